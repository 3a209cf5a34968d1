//! Inbound authentication shared by the MCP and REST adapters: the adapter's declared
//! credential is resolved once at start-up into a [`Gate`], and each request is checked
//! against it in constant time. Nothing about the credential is logged or echoed.

use axum::http::HeaderMap;
use base64::Engine as _;
use subtle::ConstantTimeEq;

use crate::spec::InboundAuth;
use crate::Runtime;

/// What a request must carry, resolved once at start-up.
pub(crate) enum Gate {
    /// No authentication declared.
    Open,
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// A key in the named (lower-case) header.
    Header(String, String),
    /// A key in the named query parameter.
    Query(String, String),
    /// `Authorization: Basic`, the expected `user:password`.
    Basic(String),
    /// The credential has no value (or the scheme is not checked): refuse everything.
    Closed,
}

impl Gate {
    /// Resolves the adapter's credential. A credential without a value closes the gate
    /// (with a warning naming the adapter, not the value).
    pub(crate) fn new(rt: &Runtime, auth: Option<&InboundAuth>, adapter: &str) -> Gate {
        let Some(auth) = auth else {
            return Gate::Open;
        };
        let resolved = match auth {
            InboundAuth::Bearer { token } => rt.secret_text(token).map(Gate::Bearer),
            InboundAuth::ApiKey {
                name,
                in_query: false,
                value,
            } => rt.secret_text(value).map(|v| Gate::Header(name.clone(), v)),
            InboundAuth::ApiKey { name, value, .. } => {
                rt.secret_text(value).map(|v| Gate::Query(name.clone(), v))
            }
            InboundAuth::Basic { username, password } => {
                match (rt.secret_text(username), rt.secret_text(password)) {
                    (Some(u), Some(p)) if !u.is_empty() => Some(Gate::Basic(format!("{u}:{p}"))),
                    _ => None,
                }
            }
            InboundAuth::Unsupported { .. } => None,
        };
        match resolved {
            Some(Gate::Bearer(v) | Gate::Header(_, v) | Gate::Query(_, v)) if v.is_empty() => {
                Gate::Closed
            }
            Some(g) => g,
            None => {
                tracing::warn!(
                    adapter,
                    "the adapter's credential has no value: every request is refused with 401"
                );
                Gate::Closed
            }
        }
    }

    /// True when the request carries the expected credential.
    pub(crate) fn admits(&self, headers: &HeaderMap, query: Option<&str>) -> bool {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let scheme = |prefix: &str| {
            header("authorization").and_then(|h| {
                let (s, rest) = h.split_once(' ')?;
                s.eq_ignore_ascii_case(prefix).then(|| rest.trim())
            })
        };
        match self {
            Gate::Open => true,
            Gate::Closed => false,
            Gate::Bearer(t) => scheme("Bearer").is_some_and(|given| same(given, t)),
            Gate::Basic(expected) => scheme("Basic")
                .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                .is_some_and(|given| bool::from(given.ct_eq(expected.as_bytes()))),
            Gate::Header(name, v) => header(name).is_some_and(|given| same(given, v)),
            Gate::Query(name, v) => query.is_some_and(|q| {
                q.split('&').any(|pair| {
                    let (k, given) = pair.split_once('=').unwrap_or((pair, ""));
                    k == name
                        && same(
                            &percent_encoding::percent_decode_str(given).decode_utf8_lossy(),
                            v,
                        )
                })
            }),
        }
    }

    /// The `WWW-Authenticate` challenge of a 401, for the schemes that have one.
    pub(crate) fn challenge(&self) -> Option<&'static str> {
        match self {
            Gate::Bearer(_) => Some("Bearer"),
            Gate::Basic(_) => Some("Basic realm=\"naftiko\", charset=\"UTF-8\""),
            _ => None,
        }
    }
}

/// Constant-time equality (the length may leak, the content does not).
fn same(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_decoded_and_compared() {
        let gate = Gate::Basic("ann:s3cret".into());
        let mut h = HeaderMap::new();
        h.insert("authorization", "Basic YW5uOnMzY3JldA==".parse().unwrap());
        assert!(gate.admits(&h, None));
        h.insert("authorization", "Basic YW5uOndyb25n".parse().unwrap());
        assert!(!gate.admits(&h, None));
        h.insert("authorization", "Bearer YW5uOnMzY3JldA==".parse().unwrap());
        assert!(!gate.admits(&h, None));
    }
}
