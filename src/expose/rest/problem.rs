//! RFC 9457 problem responses (`application/problem+json`): every error the REST adapter
//! answers itself, with the status, a title, a detail and, for a bad parameter, its name.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

/// A problem to answer.
#[derive(Debug)]
pub(crate) struct Problem {
    pub(crate) status: StatusCode,
    pub(crate) detail: String,
    /// The inbound parameter at fault (400s).
    pub(crate) parameter: Option<(String, &'static str)>,
    /// Extra headers (`Allow`, `WWW-Authenticate`).
    pub(crate) headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl Problem {
    pub(crate) fn new(status: StatusCode, detail: impl Into<String>) -> Problem {
        Problem {
            status,
            detail: detail.into(),
            parameter: None,
            headers: Vec::new(),
        }
    }

    /// A 400 naming the parameter and where it is read from.
    pub(crate) fn parameter(name: &str, location: &'static str, detail: String) -> Problem {
        Problem {
            parameter: Some((name.to_string(), location)),
            ..Problem::new(StatusCode::BAD_REQUEST, detail)
        }
    }

    pub(crate) fn header(mut self, name: header::HeaderName, value: HeaderValue) -> Problem {
        self.headers.push((name, value));
        self
    }

    /// The JSON body.
    pub(crate) fn body(&self) -> Value {
        let mut body = json!({
            "type": "about:blank",
            "title": self.status.canonical_reason().unwrap_or("Error"),
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        if let Some((name, location)) = &self.parameter {
            body["parameter"] = json!({"name": name, "in": location});
        }
        body
    }

    pub(crate) fn into_response(self) -> Response {
        let mut r = Response::new(Body::from(self.body().to_string()));
        *r.status_mut() = self.status;
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        for (k, v) in self.headers {
            r.headers_mut().insert(k, v);
        }
        r
    }
}
