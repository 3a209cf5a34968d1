//! Why an HTTP exchange failed.

use std::time::Duration;

use serde_json::Value;

/// Why an HTTP exchange failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The server answered with a status of 400 or more.
    #[error("{0}")]
    Status(Box<HttpError>),
    /// The connection could not be made (refused, DNS, TLS handshake).
    #[error("operation `{operation}`: {message} at {origin}{} ({})", connect_hint(message), attempts_text(*attempts))]
    Connect {
        /// The operation.
        operation: String,
        /// Scheme, host and port.
        origin: String,
        /// The cause.
        message: String,
        /// Attempts made.
        attempts: u32,
    },
    /// The deadline passed.
    #[error("operation `{operation}`: timed out after {} (after {attempts} attempt(s))", human(*after))]
    Timeout {
        /// The operation.
        operation: String,
        /// The deadline.
        after: Duration,
        /// Attempts made.
        attempts: u32,
    },
    /// The TLS handshake failed (a certificate that does not verify, a server that does not
    /// speak TLS, …). Never retried.
    #[error("operation `{operation}`: TLS handshake with {origin} failed: {message}")]
    Tls {
        /// The operation.
        operation: String,
        /// Scheme, host and port.
        origin: String,
        /// What TLS reported.
        message: String,
    },
    /// The connection broke while sending or receiving.
    #[error("operation `{operation}`: {message} (after {attempts} attempt(s))")]
    Transport {
        /// The operation.
        operation: String,
        /// The cause.
        message: String,
        /// Attempts made.
        attempts: u32,
    },
    /// The response body is larger than the limit.
    #[error("operation `{operation}`: the response body exceeds the limit of {limit} bytes (set by RuntimeBuilder::max_response_bytes, 32 MiB by default)")]
    BodyTooLarge {
        /// The operation.
        operation: String,
        /// The limit in bytes.
        limit: usize,
    },
    /// The server redirected to another origin; following would leak credentials.
    #[error("operation `{operation}`: refused a {status} redirect from {from} to another origin ({to}); credentials are never sent to a host the capability does not name")]
    CrossOriginRedirect {
        /// The operation.
        operation: String,
        /// The redirect status.
        status: u16,
        /// The origin asked.
        from: String,
        /// Where the server redirected to.
        to: String,
    },
    /// The prepared URL cannot be sent.
    #[error("operation `{operation}`: invalid URL: {message}")]
    InvalidUrl {
        /// The operation.
        operation: String,
        /// Why.
        message: String,
    },
}

/// A response with a status of 400 or more.
#[derive(Debug, Clone)]
pub struct HttpError {
    /// The operation.
    pub operation: String,
    /// The status code.
    pub status: u16,
    /// Response headers (names in lower case).
    pub headers: Vec<(String, String)>,
    /// The body: parsed JSON when it is JSON, a string otherwise, `null` when empty.
    pub body: Value,
    /// Attempts made.
    pub attempts: u32,
}

impl SendError {
    /// Attempts made before the call gave up (1 where the error does not record it).
    pub fn attempts(&self) -> u32 {
        match self {
            SendError::Status(e) => e.attempts,
            SendError::Connect { attempts, .. }
            | SendError::Timeout { attempts, .. }
            | SendError::Transport { attempts, .. } => *attempts,
            _ => 1,
        }
    }
}

impl HttpError {
    /// Junction/FastAPI-style `detail` (an array, a string or an object), if present.
    pub fn detail(&self) -> Option<&Value> {
        self.body.get("detail")
    }

    /// The body in one line: the `detail` (FastAPI's list of `loc: msg`, a string, or an
    /// object's `error_message`), else the start of the body.
    fn summary(&self) -> String {
        match self.detail() {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| {
                    let loc = i.get("loc").map(|l| match l {
                        Value::Array(parts) => parts
                            .iter()
                            .map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_string))
                            .collect::<Vec<_>>()
                            .join("."),
                        other => other.to_string(),
                    });
                    let msg = i
                        .get("msg")
                        .and_then(Value::as_str)
                        .map_or_else(|| i.to_string(), str::to_string);
                    match loc {
                        Some(l) => format!("{l}: {msg}"),
                        None => msg,
                    }
                })
                .collect::<Vec<_>>()
                .join("; "),
            Some(other) => other
                .get("error_message")
                .and_then(Value::as_str)
                .map_or_else(|| other.to_string(), str::to_string),
            None => match &self.body {
                Value::Null => String::new(),
                Value::String(s) => s.chars().take(200).collect(),
                other => {
                    let s = other.to_string();
                    s.chars().take(200).collect()
                }
            },
        }
    }
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "operation `{}`: HTTP {}", self.operation, self.status)?;
        if let Some(reason) = reqwest::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
        {
            write!(f, " {reason}")?;
        }
        let summary = self.summary();
        if !summary.is_empty() {
            write!(f, ": {summary}")?;
        }
        if self.attempts > 1 {
            write!(f, " (after {} attempts)", self.attempts)?;
        }
        Ok(())
    }
}

/// A duration for people: milliseconds below a second, seconds above.
/// What to check for a common connection failure.
fn connect_hint(cause: &str) -> &'static str {
    match cause {
        "connection refused" => ": is the server running?",
        "cannot resolve the host name" => ": check the host in the URL (`--dry-run` shows it)",
        _ => "",
    }
}

/// `1 attempt`, `3 attempts`.
fn attempts_text(n: u32) -> String {
    if n == 1 {
        "1 attempt".into()
    } else {
        format!("{n} attempts")
    }
}

fn human(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_shapes_render_in_one_line() {
        let mk = |body: Value| HttpError {
            operation: "op".into(),
            status: 422,
            headers: vec![],
            body,
            attempts: 1,
        };
        let arr = mk(
            serde_json::json!({"detail": [{"loc": ["body", "client_user_id"], "msg": "field required", "type": "missing"}]}),
        );
        assert_eq!(
            arr.to_string(),
            "operation `op`: HTTP 422 Unprocessable Entity: body.client_user_id: field required"
        );
        let s = mk(serde_json::json!({"detail": "User not found"}));
        assert!(s.to_string().ends_with(": User not found"));
        let o = mk(
            serde_json::json!({"detail": {"error_type": "INVALID_REQUEST", "error_message": "Client user id already exists."}}),
        );
        assert!(o.to_string().ends_with(": Client user id already exists."));
    }
}
