//! Running an exposed operation: `with` injection over the collected parameters, the
//! consumed call, and the answer — the upstream's status passed through (201 stays 201),
//! its body shaped by `outputParameters` or passed through as it came; an upstream 4xx/5xx
//! passed through with its body; a mock operation's static values with 200. Failures to
//! reach the upstream are problems: 502 (transport), 504 (timeout).

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::Value;

use super::problem::Problem;
use super::Inner;
use crate::expose::shape::{inject, mock, shape, Args};
use crate::expose::steps::{self, StepsOutput};
use crate::spec::{Orchestration, RestOperation};
use crate::{CallOptions, Error, PrepareError, SendError};

/// Runs `op` with `args` (already collected and typed).
pub(crate) async fn run(inner: &Inner, op: &RestOperation, args: Args) -> Response {
    if let Some(p) = &op.problem {
        return Problem::new(
            StatusCode::NOT_IMPLEMENTED,
            format!("this operation cannot be called: {p}"),
        )
        .into_response();
    }
    if let Some(o) = &op.steps {
        return run_steps(inner, op, o, &args).await;
    }
    let Some((index, call)) = op.call.as_ref().and_then(|c| Some((c.index?, c))) else {
        return json(inner, StatusCode::OK, mock(&op.outputs, &args));
    };
    let consumed = &inner.rt.capability().operations()[index];
    let mut call_args = args.clone();
    inject(&mut call_args, &op.with, &args, &|n| inner.rt.bind_value(n));
    inject(&mut call_args, &call.with, &args, &|n| {
        inner.rt.bind_value(n)
    });
    call_args.retain(|k, _| consumed.argument_names().iter().any(|n| n == k));
    let options = CallOptions {
        timeout: inner.options.timeout,
        ..CallOptions::default()
    };
    let req = match inner.rt.prepare(&call.operation, Value::Object(call_args)) {
        Ok(r) => r,
        Err(e) => return failure(inner, e),
    };
    match inner.rt.execute(&req, &options).await {
        Ok(resp) => {
            let status = StatusCode::from_u16(resp.status).unwrap_or(StatusCode::OK);
            if op.outputs.is_empty() {
                let ct = resp
                    .headers
                    .iter()
                    .find(|(k, _)| k == "content-type")
                    .map(|(_, v)| v.clone());
                return raw(inner, status, ct.as_deref(), &resp.body);
            }
            let decoded = match consumed
                .response_format()
                .decode(&call.operation, &resp.body)
            {
                Ok(v) => v,
                Err(e) => return failure(inner, Error::from(e)),
            };
            let shaped = shape(&op.outputs, &decoded).unwrap_or(decoded);
            json(inner, status, shaped)
        }
        Err(Error::Send(SendError::Status(e))) => {
            let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_GATEWAY);
            let body = if op.outputs.is_empty() {
                e.body.clone()
            } else {
                shape(&op.outputs, &e.body).unwrap_or(e.body.clone())
            };
            match body {
                Value::Null => empty(status),
                Value::String(s) => raw(
                    inner,
                    status,
                    Some("text/plain; charset=utf-8"),
                    s.as_bytes(),
                ),
                other => json(inner, status, other),
            }
        }
        Err(e) => failure(inner, e),
    }
}

/// `steps` then `mappings` (or the last call's output shaped by `outputParameters`), 200.
/// A failing step is a problem naming it: an upstream 4xx passes its status through (the
/// ship the first step looks up does not exist: 404), anything else as for one call.
async fn run_steps(inner: &Inner, op: &RestOperation, o: &Orchestration, args: &Args) -> Response {
    let options = CallOptions {
        timeout: inner.options.timeout,
        ..CallOptions::default()
    };
    match steps::run(&inner.rt, &options, o, args).await {
        Ok(StepsOutput::Mapped(v)) => json(inner, StatusCode::OK, v),
        Ok(StepsOutput::LastCall(v)) => {
            json(inner, StatusCode::OK, shape(&op.outputs, &v).unwrap_or(v))
        }
        Err(e) => {
            let status = match &*e.source {
                Error::Send(SendError::Status(h)) if (400..500).contains(&h.status) => {
                    StatusCode::from_u16(h.status).unwrap_or(StatusCode::BAD_GATEWAY)
                }
                other => status_of(other),
            };
            let detail = crate::secret::redact(&e.to_string(), &inner.secrets).into_owned();
            Problem::new(status, detail).into_response()
        }
    }
}

/// The status of a failed call's problem.
fn status_of(e: &Error) -> StatusCode {
    match e {
        Error::Prepare(PrepareError::InvalidValue { .. })
        | Error::Prepare(PrepareError::WrongType { .. })
        | Error::Prepare(PrepareError::MissingArguments { .. })
        | Error::Prepare(PrepareError::UnknownArgument { .. })
        | Error::Prepare(PrepareError::NotAnObject { .. }) => StatusCode::BAD_REQUEST,
        Error::Send(SendError::Timeout { .. }) => StatusCode::GATEWAY_TIMEOUT,
        Error::Map(crate::MapError::UnsupportedFormat { .. }) => StatusCode::NOT_IMPLEMENTED,
        Error::Send(_) | Error::Map(_) => StatusCode::BAD_GATEWAY,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// An error before or instead of an upstream answer, as a problem (message redacted).
pub(crate) fn failure(inner: &Inner, e: Error) -> Response {
    let status = status_of(&e);
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::warn!(error = %crate::secret::redact(&e.to_string(), &inner.secrets), "REST call failed");
    }
    let detail = crate::secret::redact(&e.to_string(), &inner.secrets).into_owned();
    let mut p = Problem::new(status, detail);
    if let Error::Prepare(
        PrepareError::InvalidValue { name, .. } | PrepareError::WrongType { name, .. },
    ) = &e
    {
        p.parameter = Some((name.clone(), "upstream"));
    }
    p.into_response()
}

fn json(inner: &Inner, status: StatusCode, mut v: Value) -> Response {
    if status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED {
        return empty(status);
    }
    let text = crate::secret::redacted_json_text(&mut v, &inner.secrets, false);
    let mut r = Response::new(Body::from(text));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn raw(inner: &Inner, status: StatusCode, content_type: Option<&str>, body: &[u8]) -> Response {
    if status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED {
        return empty(status);
    }
    // An upstream may echo a key: redact text bodies (binary ones cannot hold one as text).
    let body = match std::str::from_utf8(body) {
        Ok(text) => Body::from(crate::secret::redact(text, &inner.secrets).into_owned()),
        Err(_) => Body::from(body.to_vec()),
    };
    let mut r = Response::new(body);
    *r.status_mut() = status;
    if let Some(ct) = content_type.and_then(|c| HeaderValue::from_str(c).ok()) {
        r.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    r
}

fn empty(status: StatusCode) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = status;
    r
}
