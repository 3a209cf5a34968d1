//! Forwarding (`forward` on a REST adapter): one streamed exchange, the request body passed
//! through as it arrives and the response returned before its body is read, so a large
//! upload or download is never held in memory. The same client (same-origin redirects only)
//! and connect timeout as calls; the deadline bounds the exchange up to the response head;
//! the response body limit is checked against `Content-Length` here and enforced while
//! streaming by the caller ([`Forwarded::limit`]). Never retried: a streamed body cannot be
//! sent twice.

use std::time::Duration;

use reqwest::header::HeaderName;

use super::client::{connect_cause, error_chain};
use super::{SendConfig, SendError};
use crate::request::PreparedRequest;
use crate::spec::Method;

/// A forwarded response: status, headers (redacted, hop-by-hop ones removed) and the body
/// still to be streamed.
#[derive(Debug)]
pub(crate) struct Forwarded {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(HeaderName, reqwest::header::HeaderValue)>,
    pub(crate) body: reqwest::Response,
    /// The largest body to pass on (the runtime's response limit).
    pub(crate) limit: usize,
}

/// Headers that belong to one connection (RFC 9110 §7.6.1), never forwarded either way.
pub(crate) fn hop_by_hop(name: &str) -> bool {
    matches!(
        name,
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "transfer-encoding"
            | "te"
            | "trailer"
            | "upgrade"
            | "proxy-authorization"
            | "proxy-authenticate"
            | "host"
            | "content-length"
    )
}

/// Sends `req` with `body` streamed, within `timeout` up to the response head.
pub(crate) async fn forward(
    client: &reqwest::Client,
    req: &PreparedRequest,
    body: Option<reqwest::Body>,
    config: &SendConfig,
    timeout: Duration,
    prepared: super::Prepared<'_>,
) -> Result<Forwarded, SendError> {
    let operation = req.operation.to_string();
    let url = super::parse_url(req, prepared.base)?;
    let method = match req.method {
        Method::Get => reqwest::Method::GET,
        Method::Post => reqwest::Method::POST,
        Method::Put => reqwest::Method::PUT,
        Method::Patch => reqwest::Method::PATCH,
        Method::Delete => reqwest::Method::DELETE,
        Method::Head => reqwest::Method::HEAD,
        Method::Options => reqwest::Method::OPTIONS,
    };
    let mut builder = client
        .request(method, url.clone())
        .headers(super::header_map_with(req, prepared.names)?);
    if let Some(b) = body {
        builder = builder.body(b);
    }
    let response = match tokio::time::timeout(timeout, builder.send()).await {
        Err(_) => {
            return Err(SendError::Timeout {
                operation,
                after: timeout,
                attempts: 1,
            })
        }
        Ok(Err(e)) => {
            let message = req.redact(&error_chain(&e)).into_owned();
            return Err(if e.is_connect() {
                SendError::Connect {
                    operation,
                    origin: url.origin().ascii_serialization(),
                    message: req.redact(&connect_cause(&e)).into_owned(),
                    attempts: 1,
                }
            } else if e.is_timeout() {
                SendError::Timeout {
                    operation,
                    after: timeout,
                    attempts: 1,
                }
            } else {
                SendError::Transport {
                    operation,
                    message,
                    attempts: 1,
                }
            });
        }
        Ok(Ok(r)) => r,
    };
    let status = response.status().as_u16();
    if (300..400).contains(&status) {
        if let Some(location) = response.headers().get(reqwest::header::LOCATION) {
            let target = response.url().join(location.to_str().unwrap_or_default());
            if target.as_ref().map_or(true, |t| t.origin() != url.origin()) {
                return Err(SendError::CrossOriginRedirect {
                    operation,
                    status,
                    from: url.origin().ascii_serialization(),
                    to: target.map_or_else(
                        |_| "an invalid location".to_string(),
                        |t| req.redact(&t.origin().ascii_serialization()).into_owned(),
                    ),
                });
            }
        }
    }
    let limit = config.max_response_bytes;
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(SendError::BodyTooLarge { operation, limit });
    }
    let headers = passed_headers(&response, req);
    Ok(Forwarded {
        status,
        headers,
        body: response,
        limit,
    })
}

/// The response's headers to pass back: hop-by-hop ones dropped, a secret in a value
/// redacted, every other value as received (not copied).
fn passed_headers(
    response: &reqwest::Response,
    req: &PreparedRequest,
) -> Vec<(HeaderName, reqwest::header::HeaderValue)> {
    response
        .headers()
        .iter()
        .filter(|(k, _)| !hop_by_hop(k.as_str()))
        .filter_map(|(k, v)| {
            let text = String::from_utf8_lossy(v.as_bytes());
            let value = match req.redact(&text) {
                std::borrow::Cow::Borrowed(_) => v.clone(),
                std::borrow::Cow::Owned(r) => reqwest::header::HeaderValue::from_str(&r).ok()?,
            };
            Some((k.clone(), value))
        })
        .collect()
}
