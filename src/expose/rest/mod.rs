//! The REST adapter (`type: rest`): each declared resource path and method served over
//! HTTP/1.1 (keep-alive) and h2c. One job per file: the route table ([`routes`]), inbound
//! parameters ([`params`]), calls and their answers ([`call`]), `forward` ([`forward`]),
//! problem bodies ([`problem`]) and `GET /openapi.json` ([`openapi`]). Inbound
//! authentication and output shaping are shared with the MCP adapter (`expose::inbound_auth`,
//! `expose::shape`).

mod call;
mod forward;
mod openapi;
mod params;
pub(crate) mod problem;
mod routes;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::expose::inbound_auth::Gate;
use crate::spec::{Adapter, AdapterKind, Method};
use crate::{Error, Runtime};
use problem::Problem;

/// How a [`RestServer`] serves.
///
/// ```
/// let mut options = naftiko::RestOptions::default();
/// options.max_body_bytes = 1 << 20;
/// assert_eq!(options.header_timeout, std::time::Duration::from_secs(10));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RestOptions {
    /// The largest request body, in bytes (default 4 MiB); larger gets 413.
    pub max_body_bytes: usize,
    /// The deadline of one upstream call or forward (default: the runtime's).
    pub timeout: Option<Duration>,
    /// How long a client may take to send its request head (default 10 s); slower
    /// connections are closed.
    pub header_timeout: Duration,
    /// How long a client may take to send its request body (default 30 s); slower gets 408.
    pub body_timeout: Duration,
    /// Cancelled to stop [`RestServer::serve`]: it stops accepting and lets requests in
    /// flight finish.
    pub shutdown: CancellationToken,
}

impl Default for RestOptions {
    fn default() -> Self {
        RestOptions {
            max_body_bytes: 4 << 20,
            timeout: None,
            header_timeout: crate::expose::accept::DEFAULT_HEADER_TIMEOUT,
            body_timeout: Duration::from_secs(30),
            shutdown: CancellationToken::new(),
        }
    }
}

/// A REST server for one declared `type: rest` adapter. Cheap to clone.
///
/// ```
/// let cap = naftiko::Capability::from_path("tests/fixtures/rest/gateway.yaml")?;
/// let rt = naftiko::Runtime::builder(cap).env([("REGISTRY_TOKEN", "r")]).build()?;
/// let server = naftiko::RestServer::new(rt, Some("fleet"), naftiko::RestOptions::default())?;
/// assert_eq!(server.namespace(), "fleet");
/// assert!(server.routes().contains(&("GET".to_string(), "/ships/{{imo}}".to_string())));
/// assert_eq!(server.openapi()["openapi"], "3.1.0");
/// // server.router() is an axum Router; server.serve(listener).await serves it with
/// // keep-alive, h2c, a header timeout and graceful drain.
/// # Ok::<(), naftiko::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct RestServer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) rt: Runtime,
    pub(crate) adapter: Adapter,
    pub(crate) options: RestOptions,
    routes: routes::Table,
    gate: Gate,
    /// Secret values to redact from every answer (an upstream may echo a key).
    pub(crate) secrets: Vec<crate::Secret>,
    /// `GET /openapi.json`, generated once.
    openapi: String,
    /// Requests, errors and latency per route pattern (`/metrics` on the control port).
    metrics: Arc<crate::metrics::AdapterMetrics>,
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Gate(***)")
    }
}

impl RestServer {
    /// A server for the REST adapter of that namespace (`None`: the first one). Fails when
    /// the capability has no such adapter.
    pub fn new(
        rt: Runtime,
        namespace: Option<&str>,
        options: RestOptions,
    ) -> Result<RestServer, Error> {
        let cap = rt.capability();
        let rest: Vec<&Adapter> = cap
            .adapters()
            .iter()
            .filter(|a| a.kind == AdapterKind::Rest)
            .collect();
        let found = match namespace {
            Some(ns) => rest.iter().find(|a| a.namespace == ns),
            None => rest.first(),
        };
        let Some(adapter) = found.map(|a| (*a).clone()) else {
            return Err(Error::NoAdapter {
                kind: "REST",
                namespace: namespace.map(str::to_string),
                file: cap.file().to_path_buf(),
                known: rest.iter().map(|a| a.namespace.clone()).collect(),
            });
        };
        Ok(Self::for_adapter(rt, options, &adapter))
    }

    /// A server for one declared adapter (what `naftiko serve` starts for each).
    pub fn for_adapter(rt: Runtime, options: RestOptions, adapter: &Adapter) -> RestServer {
        let routes = routes::Table::build(adapter);
        let gate = Gate::new(&rt, adapter.auth.as_ref(), &adapter.namespace);
        let secrets = rt.known_secrets();
        let openapi = openapi::document(rt.capability(), adapter, &routes).to_string();
        let patterns = routes.routes.iter().map(|r| r.pattern.as_str());
        let metrics = rt.metrics().adapter("rest", &adapter.namespace, patterns);
        RestServer {
            inner: Arc::new(Inner {
                rt,
                adapter: adapter.clone(),
                options,
                routes,
                gate,
                secrets,
                openapi,
                metrics,
            }),
        }
    }

    /// The adapter's namespace.
    pub fn namespace(&self) -> &str {
        &self.inner.adapter.namespace
    }

    /// The served adapter.
    pub fn adapter(&self) -> &Adapter {
        &self.inner.adapter
    }

    /// `(method, path)` of every declared operation, in match order; a forward shows as
    /// method `*`.
    pub fn routes(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for r in &self.inner.routes.routes {
            for (m, ..) in &r.operations {
                out.push((m.as_str().to_string(), r.pattern.clone()));
            }
            if r.forward.is_some() {
                out.push(("*".to_string(), r.pattern.clone()));
            }
        }
        out
    }

    /// Operations that are served but answer 501, with the reason (shown at start-up).
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for r in &self.inner.adapter.resources {
            if let Some(p) = &r.problem {
                out.push(format!("resource `{}`: {p}", r.path));
            }
            for op in &r.operations {
                if let Some(p) = &op.problem {
                    out.push(format!("{} {}: {p}", op.method.as_str(), op.path));
                }
            }
        }
        out
    }

    /// The OpenAPI 3.1 description served at `GET /openapi.json`.
    pub fn openapi(&self) -> Value {
        serde_json::from_str(&self.inner.openapi).unwrap_or(Value::Null)
    }

    /// An axum router serving the adapter (every path; `GET /openapi.json` unless the
    /// capability declares that path itself).
    pub fn router(&self) -> Router {
        Router::new()
            .fallback(any(counted))
            .with_state(self.inner.clone())
    }

    /// Serves on `listener` until `options.shutdown` is cancelled, then lets requests in
    /// flight finish: HTTP/1.1 with keep-alive and a request-head timeout, and h2c (HTTP/2
    /// with prior knowledge) on the same port.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let cap = naftiko::Capability::from_path("capability.yaml")?;
    /// let rt = naftiko::Runtime::builder(cap).build()?;
    /// let server = naftiko::RestServer::new(rt, None, Default::default())?;
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
    /// server.serve(listener).await?;
    /// # Ok(()) }
    /// ```
    pub async fn serve(&self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        self.serve_until(listener, self.inner.options.shutdown.clone())
            .await
    }

    /// [`RestServer::serve`] until `shutdown` is cancelled (several adapters drained
    /// together).
    pub async fn serve_until(
        &self,
        listener: tokio::net::TcpListener,
        shutdown: CancellationToken,
    ) -> std::io::Result<()> {
        let timeout = self.inner.options.header_timeout;
        crate::expose::accept::serve_router(listener, self.router(), timeout, shutdown).await
    }
}

fn allow(route: &routes::Route) -> String {
    let mut methods: Vec<&str> = route.operations.iter().map(|(m, ..)| m.as_str()).collect();
    if route.forward.is_some() {
        methods = vec!["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
    }
    methods.join(", ")
}

/// Serves one request and counts it under its route pattern (`other` when none matched).
async fn counted(State(inner): State<Arc<Inner>>, req: Request) -> Response {
    let started = std::time::Instant::now();
    // Matched once, here: the route names the request in the metrics and serves it.
    let matched = inner.routes.find(req.uri().path());
    let name = matched
        .as_ref()
        .map_or("other", |m| m.route.pattern.as_str());
    let response = handle(&inner, req, matched).await;
    inner
        .metrics
        .record(name, response.status().as_u16(), started.elapsed());
    response
}

async fn handle(
    inner: &Arc<Inner>,
    req: Request,
    matched: Option<routes::Matched<'_>>,
) -> Response {
    if !inner.gate.admits(req.headers(), req.uri().query()) {
        return unauthorized(&inner.gate);
    }
    let path = req.uri().path().to_string();
    let Some(matched) = matched else {
        if path == "/openapi.json" && req.method() == axum::http::Method::GET {
            let mut r = Response::new(Body::from(inner.openapi.clone()));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            return r;
        }
        return Problem::new(StatusCode::NOT_FOUND, format!("no resource at `{path}`"))
            .into_response();
    };
    let route = matched.route;
    let method = Method::parse(req.method().as_str());
    let head_as_get =
        method == Some(Method::Head) && !route.operations.iter().any(|(m, ..)| *m == Method::Head);
    let op = route
        .operations
        .iter()
        .find(|(m, ..)| Some(*m) == method || (head_as_get && *m == Method::Get));
    let Some(&(_, ri, oi)) = op else {
        // A forward route names a resource that has a `forward` (the route table is built
        // from those), so this finds it.
        let fw = route
            .forward
            .and_then(|ri| inner.adapter.resources[ri].forward.as_ref());
        if let Some(fw) = fw {
            let rest = matched
                .captures
                .iter()
                .find(|(k, _)| *k == "path")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            return forward::forward(inner, fw, &rest, req).await;
        }
        return Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("`{path}` does not take {}", req.method()),
        )
        .header(
            header::ALLOW,
            HeaderValue::from_str(&allow(route)).unwrap_or(HeaderValue::from_static("GET")),
        )
        .into_response();
    };
    let resource = &inner.adapter.resources[ri];
    let op = &resource.operations[oi];
    let (parts, body) = req.into_parts();
    let body = match read_body(inner, &parts.headers, body).await {
        Ok(b) => b,
        Err(p) => return p.into_response(),
    };
    let wants_body = op
        .inputs
        .iter()
        .chain(&resource.inputs)
        .chain(&inner.adapter.rest_inputs)
        .any(|i| i.location == crate::spec::RestIn::Body && i.fixed.is_none());
    let json_body = match json_body(&body, wants_body) {
        Ok(v) => v,
        Err(p) => return p.into_response(),
    };
    let inbound = params::Inbound {
        captures: &matched.captures,
        query: params::parse_query(parts.uri.query()),
        headers: &parts.headers,
        body: json_body,
    };
    let consumed = op
        .call
        .as_ref()
        .and_then(|c| c.index)
        .map(|i| &inner.rt.capability().operations()[i]);
    let levels = [
        inner.adapter.rest_inputs.as_slice(),
        resource.inputs.as_slice(),
        op.inputs.as_slice(),
    ];
    let args = match params::collect(&levels, &inbound, consumed) {
        Ok(a) => a,
        Err(p) => return p.into_response(),
    };
    call::run(inner, op, args).await
}

/// 401 with a `WWW-Authenticate` challenge naming what the gate expects.
pub(crate) fn unauthorized(gate: &Gate) -> Response {
    let mut p = Problem::new(
        StatusCode::UNAUTHORIZED,
        "this API requires authentication: the request has no valid credential",
    );
    let challenge = match (gate, gate.challenge()) {
        (_, Some(c)) => c.to_string(),
        (Gate::Header(name, _), None) => format!("ApiKey header=\"{name}\""),
        (Gate::Query(name, _), None) => format!("ApiKey query=\"{name}\""),
        _ => "Bearer".to_string(),
    };
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        p = p.header(header::WWW_AUTHENTICATE, v);
    }
    p.into_response()
}

/// The request body as JSON: none when empty, and when it is not JSON either a 400 (an
/// input takes the body) or none (nothing reads it).
fn json_body(body: &[u8], wants_body: bool) -> Result<Option<Value>, Problem> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => Ok(Some(v)),
        Err(e) if wants_body => Err(Problem::new(
            StatusCode::BAD_REQUEST,
            format!("the request body is not JSON: {e}"),
        )),
        Err(_) => Ok(None),
    }
}

/// The request body, bounded in size (413) and time (408).
async fn read_body(
    inner: &Inner,
    headers: &axum::http::HeaderMap,
    body: Body,
) -> Result<bytes::Bytes, Problem> {
    let limit = inner.options.max_body_bytes;
    let too_big = || {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is over the limit of {limit} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        crate::expose::mcp::http::drain(body, limit).await;
        return Err(too_big());
    }
    match tokio::time::timeout(
        inner.options.body_timeout,
        axum::body::to_bytes(body, limit),
    )
    .await
    {
        Err(_) => Err(Problem::new(
            StatusCode::REQUEST_TIMEOUT,
            "the request body did not arrive in time",
        )),
        Ok(Err(_)) => Err(too_big()),
        Ok(Ok(b)) => Ok(b),
    }
}
