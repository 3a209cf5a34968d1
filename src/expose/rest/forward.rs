//! `forward`: the request is proxied to the consumed namespace — method, the rest of the
//! path (`{{path}}`), the query string (upstream drops it; we keep it), only the trusted
//! headers (plus the body's own `Content-Type`/`Content-Encoding`), the consumer's
//! parameters and credentials — and the answer streamed back as it comes, status and
//! headers included (hop-by-hop headers dropped both ways). Bodies stream both ways, bounded
//! by the adapter's request limit and the runtime's response limit.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::response::Response;
use http_body_util::Limited;

use super::call::failure;
use super::problem::Problem;
use super::Inner;
use crate::spec::{Forward, Method};

/// Forwards `req`; `rest` is the captured `{{path}}` (raw, as received).
pub(crate) async fn forward(inner: &Inner, fw: &Forward, rest: &str, req: Request) -> Response {
    let Some(consumer) = fw.consumer else {
        return Problem::new(
            StatusCode::NOT_IMPLEMENTED,
            format!("forward target `{}` is not a consumed namespace", fw.target),
        )
        .into_response();
    };
    let Some(method) = Method::parse(req.method().as_str()) else {
        return Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("method {} cannot be forwarded", req.method()),
        )
        .into_response();
    };
    let (parts, body) = req.into_parts();
    let mut headers = Vec::new();
    for (name, value) in &parts.headers {
        let n = name.as_str();
        let describes_body = matches!(n, "content-type" | "content-encoding");
        if (describes_body || fw.trusted_headers.iter().any(|t| t == n))
            && !crate::send::hop_by_hop(n)
        {
            if let Ok(v) = value.to_str() {
                headers.push((n.to_string(), v.to_string()));
            }
        }
    }
    let has_body = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .is_some_and(|v| v.as_bytes() != b"0")
        || parts.headers.contains_key(header::TRANSFER_ENCODING);
    let body = has_body
        .then(|| crate::send::Outgoing::stream(Limited::new(body, inner.options.max_body_bytes)));
    let result = inner
        .rt
        .forward(
            consumer,
            method,
            rest,
            parts.uri.query(),
            headers,
            body,
            inner.options.timeout,
        )
        .await;
    match result {
        Ok(f) => {
            let mut r = Response::new(Body::new(Limited::new(f.body, f.limit)));
            *r.status_mut() = StatusCode::from_u16(f.status).unwrap_or(StatusCode::BAD_GATEWAY);
            *r.headers_mut() = f.headers;
            r
        }
        Err(e) => failure(inner, e),
    }
}
