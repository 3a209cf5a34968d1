//! The fourth step of the data flow (spec → bind → prepare → **send** → map): HTTP with a
//! deadline, safe retries, a response size limit and a redirect policy that never carries
//! a credential to another origin.
//!
//! * **Timeouts**: a total deadline per call (default 60 s, like the official Junction SDKs)
//!   that bounds every attempt and every backoff together, and a connect timeout (10 s).
//! * **Retries** (default 2): on 408, 429, 500, 502, 503, 504 and on transport failures,
//!   with exponential backoff and jitter, honouring `Retry-After` (seconds or HTTP-date,
//!   at most 60 s; a longer wait is not retried). A request that may have reached the server
//!   is retried only if its method is idempotent (GET, HEAD, PUT, DELETE, OPTIONS) or the
//!   caller opted in; a connection that failed before the request was written (refused,
//!   or reset before hyper started writing, see `never_written`) is always retried.
//! * **Limits**: the response body is streamed and refused beyond 32 MiB (configurable).
//! * **Redirects**: followed (up to 10) within the same origin; a redirect to another origin
//!   is refused, so no header, query key or cookie ever reaches a host the capability did
//!   not name.

use std::error::Error as StdError;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};
use serde_json::Value;

use crate::request::{Body, PreparedRequest};
use crate::spec::Method;

/// Why an HTTP exchange failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The server answered with a status of 400 or more.
    #[error("{0}")]
    Status(Box<HttpError>),
    /// The connection could not be made (refused, DNS, TLS handshake).
    #[error("operation `{operation}`: cannot connect to {origin}: {message} (after {attempts} attempt(s))")]
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

impl HttpError {
    /// Junction/FastAPI-style `detail` (an array, a string or an object), if present.
    pub fn detail(&self) -> Option<&Value> {
        self.body.get("detail")
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
        let summary = match self.detail() {
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
        };
        if !summary.is_empty() {
            write!(f, ": {summary}")?;
        }
        if self.attempts > 1 {
            write!(f, " (after {} attempts)", self.attempts)?;
        }
        Ok(())
    }
}

/// When to retry.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 disables retrying).
    pub max_retries: u32,
    /// The first backoff; each retry doubles it.
    pub initial_backoff: Duration,
    /// The largest backoff.
    pub max_backoff: Duration,
    /// The longest `Retry-After` honoured; a server asking for more is not retried.
    pub max_retry_after: Duration,
    /// Retry POST and PATCH even after the request may have reached the server.
    pub retry_non_idempotent: bool,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_retries: 2,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
            retry_non_idempotent: false,
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> RetryPolicy {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }
}

/// Transport settings of a runtime.
#[derive(Debug, Clone)]
pub(crate) struct SendConfig {
    pub(crate) timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) max_response_bytes: usize,
    pub(crate) retry: RetryPolicy,
}

impl Default for SendConfig {
    fn default() -> SendConfig {
        SendConfig {
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            max_response_bytes: 32 * 1024 * 1024,
            retry: RetryPolicy::default(),
        }
    }
}

/// A successful (status < 400) response, undecoded.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Bytes,
    /// Attempts made.
    pub attempts: u32,
}

/// Builds a pooled client. Called once per runtime and scheme, on the first call of that
/// scheme (dry runs never pay for it). Without `tls` the client has no root certificates:
/// it serves `http://` only (redirects never leave the origin, so never its scheme), and
/// does not pay for loading the system's certificate store.
pub(crate) fn build_client(config: &SendConfig, tls: bool) -> Result<reqwest::Client, String> {
    // reqwest is built without a default crypto provider (ring builds much faster than
    // aws-lc-rs); install ring unless the application installed one.
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    let builder = reqwest::Client::builder();
    let builder = if tls {
        builder
    } else {
        builder.tls_certs_only(std::iter::empty())
    };
    builder
        .user_agent(concat!("naftiko/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(config.connect_timeout)
        .redirect(reqwest::redirect::Policy::custom(|attempt| {
            let same_origin = attempt
                .previous()
                .first()
                .is_some_and(|first| first.origin() == attempt.url().origin());
            if !same_origin {
                attempt.stop()
            } else if attempt.previous().len() > 10 {
                attempt.error("too many redirects (more than 10)")
            } else {
                attempt.follow()
            }
        }))
        .build()
        .map_err(|e| error_chain(&e))
}

/// How one attempt ended.
enum Attempt {
    Done(Response),
    Status(HttpError, Option<Duration>),
    /// Failed before the request was written: always safe to retry.
    NotSent(SendError),
    /// Failed after the request may have been written.
    MaybeSent(SendError),
    /// Not worth retrying.
    Fatal(SendError),
}

/// Sends `req`, retrying as the policy allows, within `timeout`.
pub(crate) async fn send(
    client: &reqwest::Client,
    req: &PreparedRequest,
    config: &SendConfig,
    timeout: Duration,
    retry: &RetryPolicy,
    keep_headers: bool,
) -> Result<Response, SendError> {
    let started = Instant::now();
    let deadline = started + timeout;
    let url = reqwest::Url::parse(req.expose_url()).map_err(|e| SendError::InvalidUrl {
        operation: req.operation.to_string(),
        message: format!("{} ({e})", req.url()),
    })?;
    // Built once; the first attempt takes it, a retry builds it again.
    let mut first_headers = Some(header_map(req)?);
    let body: Option<(Bytes, &'static str)> = match &req.body {
        None => None,
        Some(Body::Json(v)) => Some((
            Bytes::from(serde_json::to_vec(v).unwrap_or_default()),
            "application/json",
        )),
        Some(Body::Text { content_type, text }) => Some((Bytes::from(text.clone()), content_type)),
    };
    let may_resend = req.method.is_idempotent() || retry.retry_non_idempotent;
    let mut attempts: u32 = 0;
    loop {
        attempts += 1;
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(SendError::Timeout {
                operation: req.operation.to_string(),
                after: timeout,
                attempts: attempts - 1,
            });
        }
        let headers = match first_headers.take() {
            Some(h) => h,
            None => header_map(req)?,
        };
        let outcome = attempt(
            client,
            req,
            &url,
            headers,
            body.as_ref(),
            config,
            Budget {
                remaining,
                total: timeout,
                attempts,
                keep_headers,
            },
        )
        .await;
        let (error, server_delay) = match outcome {
            Attempt::Done(r) => return Ok(r),
            Attempt::Fatal(e) => return Err(e),
            Attempt::Status(e, delay) => {
                let retryable = matches!(e.status, 408 | 429 | 500 | 502 | 503 | 504) && may_resend;
                if !retryable {
                    return Err(SendError::Status(Box::new(e)));
                }
                (SendError::Status(Box::new(e)), delay)
            }
            Attempt::NotSent(e) => (e, None),
            Attempt::MaybeSent(e) => {
                if !may_resend {
                    return Err(e);
                }
                (e, None)
            }
        };
        if attempts > retry.max_retries {
            return Err(error);
        }
        let delay = match server_delay {
            Some(d) if d > retry.max_retry_after => return Err(error),
            Some(d) => d,
            None => backoff(retry, attempts),
        };
        if Instant::now() + delay >= deadline {
            return Err(error);
        }
        tracing::debug!(operation = %req.operation, attempt = attempts, delay_ms = delay.as_millis() as u64, "retrying");
        tokio::time::sleep(delay).await;
    }
}

/// What one attempt may spend, and what it reports.
struct Budget {
    /// Time left before the call's deadline.
    remaining: Duration,
    /// The call's whole deadline (for messages).
    total: Duration,
    /// This attempt's number, from 1.
    attempts: u32,
    /// Copy (and redact) the response headers: only `execute` and errors need them.
    keep_headers: bool,
}

async fn attempt(
    client: &reqwest::Client,
    req: &PreparedRequest,
    url: &reqwest::Url,
    headers: HeaderMap,
    body: Option<&(Bytes, &'static str)>,
    config: &SendConfig,
    budget: Budget,
) -> Attempt {
    let method = match req.method {
        Method::Get => reqwest::Method::GET,
        Method::Post => reqwest::Method::POST,
        Method::Put => reqwest::Method::PUT,
        Method::Patch => reqwest::Method::PATCH,
        Method::Delete => reqwest::Method::DELETE,
        Method::Head => reqwest::Method::HEAD,
        Method::Options => reqwest::Method::OPTIONS,
    };
    let mut builder = client.request(method, url.clone()).headers(headers);
    match body {
        Some((bytes, content_type)) => {
            builder = builder
                .header(CONTENT_TYPE, *content_type)
                .body(bytes.clone());
        }
        // A body-less POST/PUT/PATCH says so with `content-length: 0`.
        None if matches!(req.method, Method::Post | Method::Put | Method::Patch) => {
            // hyper omits the header for an empty body; say it explicitly, as the SDKs do.
            builder = builder
                .header(reqwest::header::CONTENT_LENGTH, "0")
                .body(Bytes::new());
        }
        None => {}
    }
    let attempts = budget.attempts;
    let timeout_error = || SendError::Timeout {
        operation: req.operation.to_string(),
        after: budget.total,
        attempts,
    };
    // One timer bounds the whole exchange: sending, the response head and the body.
    let exchange = exchange(builder, req, url, config, &budget);
    match tokio::time::timeout(budget.remaining, exchange).await {
        Err(_) => Attempt::MaybeSent(timeout_error()),
        Ok(Err(e)) => classify(
            req,
            url,
            &e,
            attempts,
            config.connect_timeout,
            timeout_error,
        ),
        Ok(Ok(outcome)) => outcome,
    }
}

/// Sends the request and reads the response; a transport error before the response head
/// is returned for `classify`.
async fn exchange(
    builder: reqwest::RequestBuilder,
    req: &PreparedRequest,
    url: &reqwest::Url,
    config: &SendConfig,
    budget: &Budget,
) -> Result<Attempt, reqwest::Error> {
    let response = builder.send().await?;
    let operation = &req.operation;
    let attempts = budget.attempts;
    let status = response.status().as_u16();
    if (300..400).contains(&status) {
        if let Some(location) = response.headers().get(reqwest::header::LOCATION) {
            let target = response.url().join(location.to_str().unwrap_or_default());
            let other_origin = target.as_ref().map_or(true, |t| t.origin() != url.origin());
            if other_origin {
                let to = target.map_or_else(
                    |_| "an invalid location".to_string(),
                    |t| t.origin().ascii_serialization(),
                );
                return Ok(Attempt::Fatal(SendError::CrossOriginRedirect {
                    operation: operation.to_string(),
                    status,
                    from: url.origin().ascii_serialization(),
                    to: req.redact(&to).into_owned(),
                }));
            }
        }
    }
    let response_headers: Vec<(String, String)> = if budget.keep_headers || status >= 400 {
        response
            .headers()
            .iter()
            .map(|(k, v)| {
                // A server may echo the key in a header value, or even use it as a header name.
                (
                    req.redact(k.as_str()).into_owned(),
                    req.redact(&String::from_utf8_lossy(v.as_bytes()))
                        .into_owned(),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after);
    let body = match read_limited(response, config.max_response_bytes, operation).await {
        Ok(b) => b,
        Err(ReadError::TooLarge(e)) => return Ok(Attempt::Fatal(e)),
        Err(ReadError::Broken(e)) => {
            return Ok(Attempt::MaybeSent(SendError::Transport {
                operation: operation.to_string(),
                message: format!(
                    "the response body broke off: {}",
                    req.redact(&error_chain(&e))
                ),
                attempts,
            }));
        }
    };
    if status >= 400 {
        let parsed = if body.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            serde_json::from_slice(&body)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()))
        };
        return Ok(Attempt::Status(
            HttpError {
                operation: operation.to_string(),
                status,
                headers: response_headers,
                body: crate::secret::redact_json(&parsed, req.all_secrets()),
                attempts,
            },
            retry_after,
        ));
    }
    Ok(Attempt::Done(Response {
        status,
        headers: response_headers,
        body,
        attempts,
    }))
}

fn classify(
    req: &PreparedRequest,
    url: &reqwest::Url,
    e: &reqwest::Error,
    attempts: u32,
    connect_timeout: Duration,
    timeout_error: impl Fn() -> SendError,
) -> Attempt {
    let mut message = req.redact(&error_chain(e)).into_owned();
    if let Some(tls) = tls_error(e) {
        return Attempt::Fatal(SendError::Tls {
            operation: req.operation.to_string(),
            origin: url.origin().ascii_serialization(),
            message: req.redact(&tls).into_owned(),
        });
    }
    // Before `is_timeout`: a connect timeout is a connection that was never made (so the
    // request was not sent and may be retried), not the call's deadline.
    if e.is_connect() {
        if e.is_timeout() {
            message = format!(
                "no connection within the connect timeout of {} ms ({message})",
                connect_timeout.as_millis()
            );
        }
        let error = SendError::Connect {
            operation: req.operation.to_string(),
            origin: url.origin().ascii_serialization(),
            message,
            attempts,
        };
        // Certificate problems do not go away by retrying.
        if error_chain(e).contains("certificate") {
            return Attempt::Fatal(error);
        }
        return Attempt::NotSent(error);
    }
    if e.is_timeout() {
        return Attempt::MaybeSent(timeout_error());
    }
    if never_written(e) {
        return Attempt::NotSent(SendError::Transport {
            operation: req.operation.to_string(),
            message: format!("the connection closed before the request was sent: {message}"),
            attempts,
        });
    }
    if e.is_redirect() {
        return Attempt::Fatal(SendError::Transport {
            operation: req.operation.to_string(),
            message,
            attempts,
        });
    }
    Attempt::MaybeSent(SendError::Transport {
        operation: req.operation.to_string(),
        message,
        attempts,
    })
}

/// Whether hyper reports that the request was never written to the connection.
///
/// reqwest says `is_request()`, not `is_connect()`, when a freshly opened connection is
/// reset before the request goes out (a server that accepts and closes at once, an
/// overloaded proxy): from reqwest's flags alone it looks exactly like a reset after the
/// server read the request. hyper does know the difference: its HTTP/1 dispatcher cancels a
/// request it has not started writing when the connection fails, and reports
/// `hyper::Error::is_canceled()` ("the message was never even started, so it's safe to tell
/// the user that the request was completely canceled"); hyper-util hands the request back
/// and reqwest wraps that error. A request that was written, even partly, is never
/// reported as canceled, so retrying a POST on this signal cannot duplicate it. When the
/// reset races with the write and the request did go out, the error is an ordinary
/// transport error and a POST is not retried. (When the reset arrives during the TCP
/// handshake itself, reqwest reports `is_connect()`, also handled as not sent.)
fn never_written(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn StdError + 'static)> = e.source();
    while let Some(s) = source {
        if s.downcast_ref::<hyper::Error>()
            .is_some_and(hyper::Error::is_canceled)
        {
            return true;
        }
        source = s.source();
    }
    false
}

enum ReadError {
    TooLarge(SendError),
    Broken(reqwest::Error),
}

/// The largest buffer allocated ahead of the bytes, whatever `Content-Length` announces.
const PREALLOC_MAX: usize = 1024 * 1024;

async fn read_limited(
    mut response: reqwest::Response,
    limit: usize,
    operation: &str,
) -> Result<Bytes, ReadError> {
    let too_large = || {
        ReadError::TooLarge(SendError::BodyTooLarge {
            operation: operation.to_string(),
            limit,
        })
    };
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    // Memory follows the bytes that arrived, not the length announced: a server announcing
    // 32 MiB and sending a few bytes must not cost 32 MiB per call. The announced length
    // only sizes the first allocation, up to `PREALLOC_MAX`; beyond that the buffer grows
    // as data comes.
    let announced = response.content_length().map_or(0, |n| n as usize);
    let mut buf: Vec<u8> = Vec::new();
    let mut first: Option<Bytes> = None;
    while let Some(chunk) = response.chunk().await.map_err(ReadError::Broken)? {
        if first.is_none() && buf.is_empty() {
            // Most bodies arrive in one chunk: keep it without copying.
            first = Some(chunk);
            continue;
        }
        if let Some(f) = first.take() {
            buf.reserve(announced.min(PREALLOC_MAX).max(f.len() + chunk.len()));
            buf.extend_from_slice(&f);
        }
        if buf.len() + chunk.len() > limit {
            return Err(too_large());
        }
        buf.extend_from_slice(&chunk);
    }
    match first {
        Some(f) if buf.is_empty() => {
            if f.len() > limit {
                return Err(too_large());
            }
            Ok(f)
        }
        _ => Ok(Bytes::from(buf)),
    }
}

fn header_map(req: &PreparedRequest) -> Result<HeaderMap, SendError> {
    let mut map = HeaderMap::with_capacity(req.headers.len());
    for (k, v) in &req.headers {
        let name = HeaderName::from_bytes(k.as_bytes());
        let value = HeaderValue::from_bytes(v.as_bytes());
        let value_text: &str = v;
        match (name, value) {
            (Ok(n), Ok(mut v)) => {
                if matches!(
                    n.as_str(),
                    "authorization" | "cookie" | "proxy-authorization"
                ) || req
                    .secrets
                    .iter()
                    .any(|s| !s.expose().is_empty() && value_text.contains(s.expose()))
                {
                    v.set_sensitive(true);
                }
                map.append(n, v);
            }
            _ => {
                return Err(SendError::InvalidUrl {
                    operation: req.operation.to_string(),
                    message: format!("header `{k}` cannot be sent"),
                })
            }
        }
    }
    Ok(map)
}

/// The rustls error behind a failed connection, if TLS is what failed.
fn tls_error(e: &(dyn StdError + 'static)) -> Option<String> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(err) = current {
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return Some(tls.to_string());
        }
        // io::Error skips its payload in `source()` (it returns the payload's source):
        // step into the payload instead, which may be another io::Error.
        current = match err
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => err.source(),
        };
    }
    None
}

/// A duration for people: milliseconds below a second, seconds above.
fn human(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// The error and its causes, joined (reqwest's own message is often just "error sending request").
pub(crate) fn error_chain(e: &(dyn StdError + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

/// `Retry-After`: delta-seconds or an HTTP-date.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Some(Duration::from_secs_f64(secs));
        }
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// `initial × 2^(attempt-1)`, capped, times a random factor in [0.75, 1.0].
fn backoff(policy: &RetryPolicy, attempt: u32) -> Duration {
    let exp = policy
        .initial_backoff
        .saturating_mul(1u32 << (attempt - 1).min(20));
    let capped = exp.min(policy.max_backoff);
    capped.mul_f64(1.0 - 0.25 * jitter())
}

/// A cheap random number in [0, 1) (splitmix64 over a counter seeded by the clock).
fn jitter() -> f64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let seed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut z = STATE
        .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
        .wrapping_add(seed);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(Duration::ZERO)
        );
        let future = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(30));
        let d = parse_retry_after(&future).unwrap();
        assert!(
            d > Duration::from_secs(27) && d <= Duration::from_secs(30),
            "{d:?}"
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn backoff_grows_and_stays_capped() {
        let p = RetryPolicy::default();
        for attempt in 1..30 {
            let d = backoff(&p, attempt);
            let base = p
                .initial_backoff
                .saturating_mul(1 << (attempt - 1).min(20))
                .min(p.max_backoff);
            assert!(
                d <= base && d >= base.mul_f64(0.75),
                "attempt {attempt}: {d:?}"
            );
        }
    }

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
