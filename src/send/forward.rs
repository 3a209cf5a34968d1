//! Forwarding (`forward` on a REST adapter): one streamed exchange, the request body passed
//! through as it arrives and the response returned before its body is read, so a large
//! upload or download is never held in memory. The same client (same-origin redirects only)
//! and connect timeout as calls; the deadline bounds the exchange up to the response head;
//! the response body limit is checked against `Content-Length` here and enforced while
//! streaming by the caller ([`Forwarded::limit`]). Never retried: a streamed body cannot be
//! sent twice.

use std::time::Duration;

use http_body::Body;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, LOCATION};

use super::client::{connect_cause, error_chain};
use super::{Http, Incoming, Outgoing, SendConfig, SendError};
use crate::request::PreparedRequest;

/// A forwarded response: status, headers (redacted, hop-by-hop ones removed) and the body
/// still to be streamed.
#[derive(Debug)]
pub(crate) struct Forwarded {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Incoming,
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

/// Sends `req` with `body` streamed, within `timeout` up to the response head. A redirect
/// within the origin is followed as calls follow it when there is no body to send again
/// (the reqwest client follows it itself; the direct one is answered here).
pub(crate) async fn forward(
    client: &Http,
    req: &PreparedRequest,
    mut body: Option<Outgoing>,
    config: &SendConfig,
    timeout: Duration,
    prepared: super::Prepared<'_>,
) -> Result<Forwarded, SendError> {
    let operation = req.operation.to_string();
    let origin = super::parse_url(req, prepared.base)?;
    let mut url = origin.clone();
    let mut method = super::wire_method(req.method);
    let timed_out = || SendError::Timeout {
        operation: operation.clone(),
        after: timeout,
        attempts: 1,
    };
    let deadline = tokio::time::Instant::now() + timeout;
    let bodyless = body.is_none();
    for _ in 0..=super::MAX_REDIRECTS {
        let headers = super::header_map_with(req, prepared.names)?;
        let sending = super::transmit(client, (method.clone(), url.clone(), headers, body.take()));
        let response = match tokio::time::timeout_at(deadline, sending).await {
            Err(_) => return Err(timed_out()),
            Ok(Err(e)) => return Err(failed(req, &operation, &url, &e, timed_out)),
            Ok(Ok(r)) => r,
        };
        let status = response.status;
        match follow(req, &operation, &origin, &response, &method)? {
            Some((next, to_get)) if bodyless => {
                url = next;
                if to_get {
                    method = reqwest::Method::GET;
                }
            }
            _ => return answer(req, operation, response, config.max_response_bytes, status),
        }
    }
    Err(super::too_many_redirects(req, &url, 1))
}

/// Where a redirect leads when it is to be followed (the direct client's, within the
/// origin); a redirect to another origin is refused.
fn follow(
    req: &PreparedRequest,
    operation: &str,
    origin: &reqwest::Url,
    response: &super::Received,
    method: &reqwest::Method,
) -> Result<Option<(reqwest::Url, bool)>, SendError> {
    let (Some(location), Some(answered)) = (response.headers.get(LOCATION), &response.url) else {
        return Ok(None);
    };
    let target = answered.join(location.to_str().unwrap_or_default());
    if target
        .as_ref()
        .map_or(true, |t| t.origin() != origin.origin())
    {
        return Err(SendError::CrossOriginRedirect {
            operation: operation.to_string(),
            status: response.status,
            from: origin.origin().ascii_serialization(),
            to: target.map_or_else(
                |_| "an invalid location".to_string(),
                |t| req.redact(&t.origin().ascii_serialization()).into_owned(),
            ),
        });
    }
    let direct = matches!(response.body, Incoming::Direct(_));
    Ok(target
        .ok()
        .filter(|_| direct)
        .and_then(|t| super::redirect_to(response.status, method, &t)))
}

/// The response to pass on: its body checked against the limit where its length is known.
fn answer(
    req: &PreparedRequest,
    operation: String,
    response: super::Received,
    limit: usize,
    status: u16,
) -> Result<Forwarded, SendError> {
    if response
        .body
        .size_hint()
        .exact()
        .is_some_and(|n| n > limit as u64)
    {
        return Err(SendError::BodyTooLarge { operation, limit });
    }
    let headers = passed_headers(response.headers, req);
    Ok(Forwarded {
        status,
        headers,
        body: response.body,
        limit,
    })
}

/// The transport's failure as a send error.
fn failed(
    req: &PreparedRequest,
    operation: &str,
    url: &reqwest::Url,
    e: &super::TransportError,
    timed_out: impl Fn() -> SendError,
) -> SendError {
    let error = e.error();
    if e.is_connect() {
        SendError::Connect {
            operation: operation.to_string(),
            origin: url.origin().ascii_serialization(),
            message: req.redact(&connect_cause(error)).into_owned(),
            attempts: 1,
        }
    } else if e.is_timeout() {
        timed_out()
    } else {
        SendError::Transport {
            operation: operation.to_string(),
            message: req.redact(&error_chain(error)).into_owned(),
            attempts: 1,
        }
    }
}

/// The response's headers to pass back: hop-by-hop ones dropped, a secret in a value
/// redacted (a value that cannot be redacted is dropped), every other value as received
/// (the map is moved, not copied).
fn passed_headers(mut headers: HeaderMap, req: &PreparedRequest) -> HeaderMap {
    let hop: Vec<HeaderName> = (headers.keys())
        .filter(|k| hop_by_hop(k.as_str()))
        .cloned()
        .collect();
    for name in &hop {
        headers.remove(name);
    }
    if req.all_secrets().is_empty() {
        return headers;
    }
    let mut unsendable = Vec::new();
    for (k, v) in headers.iter_mut() {
        let text = String::from_utf8_lossy(v.as_bytes());
        if let std::borrow::Cow::Owned(r) = req.redact(&text) {
            match HeaderValue::from_str(&r) {
                Ok(redacted) => *v = redacted,
                Err(_) => unsendable.push(k.clone()),
            }
        }
    }
    for name in &unsendable {
        headers.remove(name);
    }
    headers
}
