//! A local stand-in for Microcks serving the two OpenAPI documents upstream's tutorial suite
//! loads (`tests/fixtures/naftiko/parity/*.yaml`), with Microcks' dispatch rules. The
//! responses are read from the documents when the mock starts, never copied by hand:
//!
//! * each document is served under `/rest/{info.title}/{info.version}` (Microcks' layout);
//! * `URI_PARAMS` (directly or as a `FALLBACK`'s inner dispatcher): the example named
//!   `?{param}={value}`, else the fallback example;
//! * `URI_PARTS`: the example named `/{param}={segment}`; none → the 404 example;
//! * `SCRIPT` (the `FALLBACK` of `POST /voyages`): the fallback example (`created`), with
//!   `{{ request.body/field }}` replaced by the request body's field;
//! * no dispatcher: the first example of the first 2xx response;
//! * the `Content-Type` is the response's media type (`application/xml` for `/vessels`).
//!
//! Every request is recorded, so a test can check what reached the mock.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// The documents the suite loads into Microcks.
pub const DOCUMENTS: [&str; 2] = [
    "tests/fixtures/naftiko/parity/naftiko-shipyard-maritime-registry-api.yaml",
    "tests/fixtures/naftiko/parity/naftiko-shipyard-legacy-dockyard-api.yaml",
];

/// One request that reached the mock.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// Path and query as received.
    pub uri: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// The running mock.
pub struct Microcks {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    docs: Arc<Vec<Document>>,
}

impl Microcks {
    /// Parses [`DOCUMENTS`] and serves them on 127.0.0.1 (any free port).
    pub async fn start() -> Microcks {
        let docs: Vec<Document> = DOCUMENTS.iter().map(|p| Document::read(p)).collect();
        let docs = Arc::new(docs);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (d, s) = (docs.clone(), seen.clone());
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let (d, s) = (d.clone(), s.clone());
                async move {
                    s.lock().unwrap().push(Seen {
                        method: method.to_string(),
                        uri: uri.to_string(),
                        headers,
                        body: body.to_vec(),
                    });
                    respond(&d, &method, &uri, &body)
                }
            },
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        Microcks { addr, seen, docs }
    }

    /// The base URI of the API whose `info.title` is `title` (what upstream's CI patches
    /// into `baseUri`).
    pub fn base_uri(&self, title: &str) -> String {
        let d = self
            .docs
            .iter()
            .find(|d| d.title == title)
            .unwrap_or_else(|| panic!("no mocked API `{title}`"));
        format!("http://{}{}", self.addr, d.prefix())
    }

    /// Every request received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

struct Document {
    title: String,
    version: String,
    operations: Vec<MockOp>,
}

struct MockOp {
    method: Method,
    /// Path segments; `{name}` for a parameter.
    segments: Vec<String>,
    dispatch: Dispatch,
    /// `(status, media type, example name, value)` of every response example.
    examples: Vec<(u16, String, String, Value)>,
}

enum Dispatch {
    None,
    UriParams { param: String, fallback: String },
    UriParts { param: String },
    Script { fallback: String },
}

impl Document {
    fn read(path: &str) -> Document {
        let text = std::fs::read_to_string(path).expect("run from the crate root");
        let doc = naftiko::__bench::parse_tree(&text)
            .expect("the OpenAPI document parses")
            .to_json();
        let mut operations = Vec::new();
        for (p, item) in doc["paths"].as_object().expect("paths") {
            for (m, op) in item.as_object().unwrap() {
                let Ok(method) = m.to_uppercase().parse::<Method>() else {
                    continue;
                };
                operations.push(MockOp {
                    method,
                    segments: p
                        .split('/')
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect(),
                    dispatch: dispatch(op),
                    examples: examples(op),
                });
            }
        }
        Document {
            title: doc["info"]["title"].as_str().unwrap().to_string(),
            version: doc["info"]["version"].as_str().unwrap().to_string(),
            operations,
        }
    }

    fn prefix(&self) -> String {
        format!("/rest/{}/{}", self.title, self.version)
    }
}

fn dispatch(op: &Value) -> Dispatch {
    let x = &op["x-microcks-operation"];
    let (mut kind, mut rules) = (
        x["dispatcher"].as_str().unwrap_or_default().to_string(),
        x["dispatcherRules"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    );
    let mut fallback = String::new();
    if kind == "FALLBACK" {
        let inner: Value = serde_json::from_str(&rules).expect("FALLBACK rules are JSON");
        kind = inner["dispatcher"].as_str().unwrap_or_default().to_string();
        rules = inner["dispatcherRules"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        fallback = inner["fallback"].as_str().unwrap_or_default().to_string();
    }
    match kind.as_str() {
        "URI_PARAMS" => Dispatch::UriParams {
            param: rules,
            fallback,
        },
        "URI_PARTS" => Dispatch::UriParts { param: rules },
        "SCRIPT" => Dispatch::Script { fallback },
        _ => Dispatch::None,
    }
}

fn examples(op: &Value) -> Vec<(u16, String, String, Value)> {
    let mut out = Vec::new();
    for (status, r) in op["responses"].as_object().into_iter().flatten() {
        let status: u16 = status.parse().unwrap_or(200);
        for (media, c) in r["content"].as_object().into_iter().flatten() {
            for (name, e) in c["examples"].as_object().into_iter().flatten() {
                out.push((status, media.clone(), name.clone(), e["value"].clone()));
            }
        }
    }
    out
}

fn respond(docs: &[Document], method: &Method, uri: &Uri, body: &[u8]) -> Response {
    let path = uri.path();
    let Some((doc, rest)) = docs
        .iter()
        .find_map(|d| path.strip_prefix(&d.prefix()).map(|r| (d, r)))
    else {
        return (StatusCode::NOT_FOUND, "no such mocked API").into_response();
    };
    let segs: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let Some((op, params)) = doc.operations.iter().find_map(|op| {
        (op.method == *method)
            .then(|| matches(&op.segments, &segs))
            .flatten()
            .map(|p| (op, p))
    }) else {
        return (StatusCode::NOT_FOUND, "no such mocked operation").into_response();
    };
    let by_name = |name: &str| op.examples.iter().find(|e| e.2 == name);
    let chosen = match &op.dispatch {
        Dispatch::UriParams { param, fallback } => {
            let value = uri.query().unwrap_or_default().split('&').find_map(|kv| {
                let (k, v) = kv.split_once('=')?;
                (k == param).then(|| v.to_string())
            });
            value
                .and_then(|v| by_name(&format!("?{param}={v}")))
                .or_else(|| by_name(fallback))
        }
        Dispatch::UriParts { param } => params
            .iter()
            .find(|(k, _)| k == param)
            .and_then(|(_, v)| by_name(&format!("/{param}={v}")))
            .or_else(|| op.examples.iter().find(|e| e.0 == 404)),
        Dispatch::Script { fallback } => by_name(fallback),
        Dispatch::None => op.examples.iter().find(|e| (200..300).contains(&e.0)),
    };
    let Some((status, media, _, value)) = chosen else {
        return (StatusCode::BAD_REQUEST, "no example matches").into_response();
    };
    let request: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let text = match value {
        Value::String(s) => s.clone(),
        v => fill(v.clone(), &request).to_string(),
    };
    (
        StatusCode::from_u16(*status).unwrap(),
        [("content-type", media.as_str())],
        text,
    )
        .into_response()
}

/// The operation's path parameters when `segs` matches its template.
fn matches(template: &[String], segs: &[&str]) -> Option<Vec<(String, String)>> {
    if template.len() != segs.len() {
        return None;
    }
    let mut params = Vec::new();
    for (t, s) in template.iter().zip(segs) {
        match t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
            Some(name) => params.push((name.to_string(), s.to_string())),
            None if t == s => {}
            None => return None,
        }
    }
    Some(params)
}

/// Microcks' `{{ request.body/field }}` templates in string values.
fn fill(v: Value, request: &Value) -> Value {
    match v {
        Value::String(s) => {
            let t = s.trim();
            match t
                .strip_prefix("{{")
                .and_then(|t| t.strip_suffix("}}"))
                .and_then(|t| t.trim().strip_prefix("request.body/"))
            {
                Some(field) => match &request[field] {
                    Value::String(s) => Value::String(s.clone()),
                    Value::Null => Value::String(String::new()),
                    other => Value::String(other.to_string()),
                },
                None => Value::String(s),
            }
        }
        Value::Array(a) => Value::Array(a.into_iter().map(|x| fill(x, request)).collect()),
        Value::Object(m) => {
            Value::Object(m.into_iter().map(|(k, x)| (k, fill(x, request))).collect())
        }
        other => other,
    }
}
