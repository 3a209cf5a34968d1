//! The control port: health probes, status and Prometheus metrics for a served capability.
//!
//! * `GET /health/live` — 200 while the process serves at all.
//! * `GET /health/ready` — 200 once every adapter listens; 503 (problem body) before that
//!   and while draining at shutdown, so a load balancer stops sending new requests while
//!   the calls in flight finish.
//! * `GET /status` — capability label, spec version, our version, uptime, adapters.
//! * `GET /metrics` — the Prometheus text exposition of the runtime's counters
//!   (see `crate::metrics`).
//!
//! Served for a declared `type: control` adapter, or by `naftiko serve --control HOST:PORT`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use crate::spec::{Adapter, ControlSettings};
use crate::Runtime;

/// The control endpoints of one serving process. Cheap to clone; every clone shares the
/// readiness state.
///
/// ```
/// let cap = naftiko::Capability::from_path("specs/vital/users.yaml")?;
/// let rt = naftiko::Runtime::builder(cap).env([("VITAL_API_KEY", "k")]).build()?;
/// let control = naftiko::Control::new(rt, 1);
/// assert!(!control.is_ready());                 // the adapter does not listen yet
/// control.listening("mcp", "auto", "http://127.0.0.1:3001/mcp");
/// assert!(control.is_ready());
/// control.drain();                               // SIGTERM: readiness goes 503
/// assert!(!control.is_ready());
/// // control.router() is the axum Router serving /health/*, /status and /metrics.
/// # Ok::<(), naftiko::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Control {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    rt: Runtime,
    started: Instant,
    /// Adapters that must listen before the process is ready.
    expected: usize,
    /// Those that do: `{type, namespace, url}`.
    adapters: Mutex<Vec<Value>>,
    draining: AtomicBool,
    settings: ControlSettings,
}

impl Control {
    /// Control endpoints for `rt`, ready once `expected` adapters called
    /// [`Control::listening`].
    pub fn new(rt: Runtime, expected: usize) -> Control {
        Control::with_settings(rt, expected, ControlSettings::default())
    }

    /// For a declared `type: control` adapter: its `management` and `observability`
    /// settings decide which endpoints are served.
    pub fn for_adapter(rt: Runtime, expected: usize, adapter: &Adapter) -> Control {
        let settings = adapter.control.clone().unwrap_or_default();
        Control::with_settings(rt, expected, settings)
    }

    fn with_settings(rt: Runtime, expected: usize, settings: ControlSettings) -> Control {
        Control {
            inner: Arc::new(Inner {
                rt,
                started: Instant::now(),
                expected,
                adapters: Mutex::new(Vec::new()),
                draining: AtomicBool::new(false),
                settings,
            }),
        }
    }

    /// Records that an adapter accepts connections at `url`.
    pub fn listening(&self, kind: &str, namespace: &str, url: &str) {
        self.adapters()
            .push(json!({"type": kind, "namespace": namespace, "url": url}));
    }

    /// Readiness goes 503 from now on: the process is shutting down.
    pub fn drain(&self) {
        self.inner.draining.store(true, Ordering::SeqCst);
    }

    /// True when every expected adapter listens and the process is not draining.
    pub fn is_ready(&self) -> bool {
        !self.inner.draining.load(Ordering::SeqCst) && self.adapters().len() >= self.inner.expected
    }

    fn adapters(&self) -> std::sync::MutexGuard<'_, Vec<Value>> {
        self.inner
            .adapters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// An axum router serving the enabled endpoints; anything else is a 404 problem.
    pub fn router(&self) -> Router {
        let s = &self.inner.settings;
        let mut r = Router::new();
        if s.health {
            r = r
                .route("/health/live", get(live))
                .route("/health/ready", get(ready));
        }
        if s.info {
            r = r.route("/status", get(status));
        }
        if s.metrics {
            r = r.route("/metrics", get(metrics));
        }
        r.fallback(not_found).with_state(self.clone())
    }

    /// Serves the endpoints on `listener` until `shutdown` is cancelled (a 10 s
    /// request-head timeout, as every adapter).
    pub async fn serve_until(
        &self,
        listener: tokio::net::TcpListener,
        shutdown: tokio_util::sync::CancellationToken,
    ) -> std::io::Result<()> {
        let timeout = crate::expose::accept::DEFAULT_HEADER_TIMEOUT;
        crate::expose::accept::serve_router(listener, self.router(), timeout, shutdown).await
    }
}

/// An RFC 9457 problem response.
fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    let body =
        json!({"type": "about:blank", "title": title, "status": status.as_u16(), "detail": detail});
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

fn up() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"status":"UP"}"#,
    )
        .into_response()
}

async fn live() -> Response {
    up()
}

async fn ready(State(c): State<Control>) -> Response {
    if c.inner.draining.load(Ordering::SeqCst) {
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "Not ready",
            "draining: the process is shutting down and finishing calls in flight",
        );
    }
    let (listening, expected) = (c.adapters().len(), c.inner.expected);
    if listening < expected {
        let detail = format!("starting: {listening} of {expected} adapters listen");
        return problem(StatusCode::SERVICE_UNAVAILABLE, "Not ready", &detail);
    }
    up()
}

async fn status(State(c): State<Control>) -> Response {
    let cap = c.inner.rt.capability();
    let body = json!({
        "capability": cap.label(),
        "file": cap.file().display().to_string(),
        "specVersion": cap.version(),
        "version": env!("CARGO_PKG_VERSION"),
        "uptimeSeconds": c.inner.started.elapsed().as_secs(),
        "ready": c.is_ready(),
        "draining": c.inner.draining.load(Ordering::SeqCst),
        "adapters": *c.adapters(),
    });
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn metrics(State(c): State<Control>) -> Response {
    let mut text = c.inner.rt.metrics().render();
    text.push_str("# HELP naftiko_uptime_seconds Seconds since the process started serving.\n");
    text.push_str("# TYPE naftiko_uptime_seconds gauge\n");
    text.push_str(&format!(
        "naftiko_uptime_seconds {}\n",
        c.inner.started.elapsed().as_secs_f64()
    ));
    text.push_str(
        "# HELP naftiko_ready 1 when every adapter listens and the process is not draining.\n",
    );
    text.push_str("# TYPE naftiko_ready gauge\n");
    text.push_str(&format!("naftiko_ready {}\n", u8::from(c.is_ready())));
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

async fn not_found(uri: axum::http::Uri) -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "Not found",
        &format!(
            "no control endpoint {}; endpoints: /health/live, /health/ready, /status, /metrics",
            uri.path()
        ),
    )
}
