//! MCP over streamable HTTP: an axum router in front of rmcp's tower service.
//!
//! The front does what rmcp's defaults would refuse or not do: it checks `Origin` (403),
//! the adapter's credential (401, constant time) and the body size (413); it answers
//! malformed JSON with −32700; it answers a plain stateless `tools/call`, `tools/list` or
//! `ping` itself ([`super::fast`]); and it routes every other POST to one of two rmcp services —
//! stateless with plain JSON replies for requests without a session (any replica can
//! answer; a bare `tools/call` with `Accept: */*` and no `initialize` works, as upstream's
//! engine and its users' scripts expect), or the session service for a client that
//! initialises one and speaks SSE.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use http_body_util::Full;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;
use tower_service::Service;

use super::McpServer;
use crate::expose::inbound_auth::Gate;

/// The default largest request body (4 MiB); stdio's longest line too.
pub(super) const DEFAULT_MAX_BODY: usize = 4 << 20;

/// How the HTTP transport is configured.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HttpOptions {
    /// Browser origins allowed besides loopback ones (`http://localhost:*` and the like are
    /// always allowed); written as `scheme://host[:port]`. A request from any other
    /// `Origin` gets 403 (DNS-rebinding protection).
    pub allowed_origins: Vec<String>,
    /// `Host` values accepted; `None`: loopback names only (rmcp's default), which is right
    /// for a server bound to 127.0.0.1; an empty list accepts any (for 0.0.0.0 and proxies).
    pub allowed_hosts: Option<Vec<String>>,
    /// The largest request body, in bytes (default 4 MiB); larger gets 413.
    pub max_body_bytes: usize,
    /// Keep sessions for clients that initialise with `Accept: application/json,
    /// text/event-stream` (default true). Off: every request is stateless.
    pub sessions: bool,
    /// How long a client may take to send its request head (default 10 s); slower
    /// connections are closed ([`McpServer::serve_http`]).
    pub header_timeout: std::time::Duration,
    /// Cancelled at shutdown: ends open SSE streams and sessions, and stops
    /// [`McpServer::serve_http`].
    pub shutdown: CancellationToken,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            allowed_origins: Vec::new(),
            allowed_hosts: None,
            max_body_bytes: DEFAULT_MAX_BODY,
            sessions: true,
            header_timeout: crate::expose::accept::DEFAULT_HEADER_TIMEOUT,
            shutdown: CancellationToken::new(),
        }
    }
}

type Mcp = StreamableHttpService<McpServer, LocalSessionManager>;

struct Front {
    server: McpServer,
    stateless: Mcp,
    sessions: Option<Mcp>,
    gate: Gate,
    options: HttpOptions,
}

impl McpServer {
    /// Serves [`router`](Self::router) on `listener` until `options.shutdown` is
    /// cancelled, then lets the calls in flight finish: HTTP/1.1 with keep-alive and a
    /// request-head timeout (`options.header_timeout`), and h2c on the same port, as the REST
    /// adapter is served (`axum::serve` has no head timeout: a client that never finishes its
    /// request head would keep its connection, and a task, forever). `naftiko serve` serves
    /// its MCP adapters with it.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let cap = naftiko::Capability::from_path("specs/vital/users.yaml")?;
    /// let server = naftiko::McpServer::new(naftiko::Runtime::builder(cap).build()?, Default::default())?;
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:3001").await?;
    /// server.serve_http(listener, naftiko::HttpOptions::default()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn serve_http(
        &self,
        listener: tokio::net::TcpListener,
        options: HttpOptions,
    ) -> std::io::Result<()> {
        let (timeout, shutdown) = (options.header_timeout, options.shutdown.clone());
        let app = self.router(options);
        crate::expose::accept::serve_router(listener, app, timeout, shutdown).await
    }

    /// An axum router serving MCP on `/mcp` (and `/`). Serve it with
    /// [`serve_http`](Self::serve_http) or `axum::serve`, or nest it in your own router.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let cap = naftiko::Capability::from_path("specs/vital/users.yaml")?;
    /// let rt = naftiko::Runtime::builder(cap).build()?;
    /// let server = naftiko::McpServer::new(rt, Default::default())?;
    /// let app = server.router(naftiko::HttpOptions::default());
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:3001").await?;
    /// axum::serve(listener, app).await?;
    /// # Ok(()) }
    /// ```
    pub fn router(&self, options: HttpOptions) -> Router {
        let config = |sessions: bool| {
            let mut c = StreamableHttpServerConfig::default()
                .with_legacy_session_mode(sessions)
                .with_json_response(!sessions)
                .with_max_request_body_bytes(options.max_body_bytes)
                // Shutdown ends sessions and their SSE streams; a stateless request in
                // flight is never cancelled: axum's graceful shutdown lets it finish.
                .with_cancellation_token(if sessions {
                    options.shutdown.child_token()
                } else {
                    CancellationToken::new()
                });
            if let Some(hosts) = &options.allowed_hosts {
                c = if hosts.is_empty() {
                    c.disable_allowed_hosts()
                } else {
                    c.with_allowed_hosts(hosts.clone())
                };
            }
            c
        };
        let service = |sessions: bool| {
            let server = self.clone();
            StreamableHttpService::new(
                move || Ok(server.clone()),
                Arc::new(LocalSessionManager::default()),
                config(sessions),
            )
        };
        let front = Front {
            server: self.clone(),
            stateless: service(false),
            sessions: options.sessions.then(|| service(true)),
            gate: gate(self),
            options,
        };
        Router::new()
            .route("/mcp", any(handle))
            .route("/", any(handle))
            .with_state(Arc::new(front))
    }
}

fn gate(server: &McpServer) -> Gate {
    Gate::new(
        &server.inner.rt,
        server.adapter().and_then(|a| a.auth.as_ref()),
        server.namespace(),
    )
}

/// Loopback origins are always allowed; others only when listed.
fn origin_allowed(origin: &str, allowed: &[String]) -> bool {
    if allowed.iter().any(|a| a == origin) {
        return true;
    }
    let Some(rest) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    let host = if rest.starts_with('[') {
        rest.split(']').next().map(|h| &h[1..]).unwrap_or_default()
    } else {
        rest.split(':').next().unwrap_or_default()
    };
    matches!(host, "localhost" | "127.0.0.1" | "::1")
}

fn status(code: StatusCode, text: &'static str) -> Response {
    (code, text).into_response()
}

fn jsonrpc_error(code: StatusCode, rpc: i64, message: String) -> Response {
    let body = json!({"jsonrpc": "2.0", "id": null, "error": {"code": rpc, "message": message}});
    (
        code,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn accepts_both(req: &Request) -> bool {
    let accept: String = req
        .headers()
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",")
        .to_ascii_lowercase();
    accept.contains("application/json") && accept.contains("text/event-stream")
}

async fn handle(State(front): State<Arc<Front>>, req: Request) -> Response {
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let ok = origin
            .to_str()
            .is_ok_and(|o| origin_allowed(o, &front.options.allowed_origins));
        if !ok {
            return status(StatusCode::FORBIDDEN, "Forbidden: Origin not allowed");
        }
    }
    if !front.gate.admits(req.headers(), req.uri().query()) {
        let mut r = status(StatusCode::UNAUTHORIZED, "Unauthorized");
        if let Some(c) = front.gate.challenge() {
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(c));
        }
        return r;
    }
    if req.method() != Method::POST {
        // GET (SSE stream) and DELETE (end a session) concern sessions only.
        let mut svc = front
            .sessions
            .clone()
            .unwrap_or_else(|| front.stateless.clone());
        return forward(&mut svc, req).await;
    }
    post(&front, req).await
}

/// Reads and drops a refused body, up to four times the limit and for at most 5 s, so that a
/// client still writing it can read the 413 instead of a broken pipe; past either bound the
/// connection is closed with the answer as it is.
pub(crate) async fn drain(body: Body, limit: usize) {
    use http_body_util::BodyExt;
    let cap = limit.saturating_mul(4);
    let read = async {
        let mut body = body;
        let mut seen = 0usize;
        while let Some(Ok(frame)) = body.frame().await {
            seen += frame.data_ref().map_or(0, |d| d.len());
            if seen > cap {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), read).await;
}

async fn post(front: &Front, req: Request) -> Response {
    let lenient = !accepts_both(&req);
    let has_session = req.headers().contains_key("mcp-session-id");
    let (mut parts, body) = req.into_parts();
    let limit = front.options.max_body_bytes;
    let too_big = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        .is_some_and(|n| n > limit);
    if too_big {
        drain(body, limit).await;
        return status(StatusCode::PAYLOAD_TOO_LARGE, "Payload Too Large");
    }
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return status(StatusCode::PAYLOAD_TOO_LARGE, "Payload Too Large");
    };
    if !has_session {
        let hosts = front.options.allowed_hosts.as_deref();
        if let Some(r) = super::fast::answer(&front.server, hosts, &parts, &bytes).await {
            return r;
        }
    }
    let message: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => {
            let why = if bytes.iter().all(u8::is_ascii_whitespace) {
                "empty body".to_string()
            } else {
                e.to_string()
            };
            return jsonrpc_error(
                StatusCode::BAD_REQUEST,
                -32700,
                format!("Parse error: {why}"),
            );
        }
    };
    let is_init = message.get("method").and_then(Value::as_str) == Some("initialize");
    if lenient {
        // A client that takes plain JSON (curl, upstream's checks): answered statelessly,
        // whatever its Accept header says.
        parts.headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/json, text/event-stream"),
        );
    }
    // The body is JSON (just parsed): curl's default form content type must not get 415.
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let req = Request::from_parts(parts, Body::new(Full::new(bytes)));
    let mut svc = match &front.sessions {
        Some(s) if !lenient && (has_session || is_init) => s.clone(),
        _ => front.stateless.clone(),
    };
    forward(&mut svc, req).await
}

async fn forward(svc: &mut Mcp, req: Request) -> Response {
    let result: Result<_, Infallible> = svc.call(req).await;
    match result {
        Ok(r) => r.map(Body::new),
        Err(never) => match never {},
    }
}

#[cfg(test)]
mod tests {
    use super::origin_allowed;

    #[test]
    fn loopback_origins_pass_and_foreign_ones_do_not() {
        assert!(origin_allowed("http://localhost:6274", &[]));
        assert!(origin_allowed("http://127.0.0.1", &[]));
        assert!(origin_allowed("http://[::1]:3000", &[]));
        assert!(!origin_allowed("http://evil.example", &[]));
        assert!(!origin_allowed("http://localhost.evil.example", &[]));
        assert!(!origin_allowed("null", &[]));
        assert!(origin_allowed(
            "https://app.example",
            &["https://app.example".into()]
        ));
    }
}
