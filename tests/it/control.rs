//! The control port, end to end: `naftiko serve … --control` (and a declared `type: control`
//! adapter) over real HTTP on 127.0.0.1, against wiremock upstreams and a gated upstream that
//! holds a call in flight while the process drains.
#![cfg(feature = "serve")]

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support;

const USERS: &str = "specs/vital/users.yaml";
const KEY: &str = "sk_us_test_secret_9f8e7d";
const FIXTURE: &str = "tests/fixtures/control/shipyard-control.yaml";
const TOOL: &str = "get_user_v2_user__user_id__get";
const OP: &str = "users.get_user_v2_user__user_id__get";

/// A `naftiko serve` process, killed when dropped.
struct Served {
    child: Child,
    ready: Vec<Value>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    fn url(&self, adapter: &str) -> String {
        let r = (self.ready.iter())
            .find(|r| r["adapter"] == adapter)
            .unwrap_or_else(|| panic!("no {adapter} readiness line in {:?}", self.ready));
        r["url"].as_str().unwrap().to_string()
    }
}

/// Starts `naftiko serve ARGV` and reads `lines` readiness lines.
fn serve(argv: &[&str], lines: usize) -> Served {
    let mut cmd = support::bin::command();
    cmd.arg("serve").args(argv).env("VITAL_API_KEY", KEY);
    cmd.stdout(Stdio::piped()).stderr(Stdio::null());
    let mut child = cmd.spawn().expect("naftiko starts");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut ready = Vec::new();
    while ready.len() < lines {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).unwrap_or(0) > 0,
            "serve exited before {lines} readiness lines: {ready:?}"
        );
        ready.push(serde_json::from_str::<Value>(&line).expect("a JSON readiness line"));
    }
    Served { child, ready }
}

fn serve_users(upstream: &str) -> Served {
    let base = format!("--base-uri={upstream}");
    serve(
        &[
            USERS,
            "--mcp",
            "127.0.0.1:0",
            "--control",
            "127.0.0.1:0",
            &base,
        ],
        2,
    )
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// GET `url`: status, content type, body.
async fn get(url: &str) -> (u16, String, String) {
    let r = client()
        .get(url)
        .send()
        .await
        .expect("the control port answers");
    let ty = (r.headers().get("content-type"))
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (r.status().as_u16(), ty, r.text().await.unwrap_or_default())
}

/// A stateless `tools/call` POST; returns the JSON-RPC answer.
async fn tools_call(mcp: &str, tool: &str, args: Value, headers: &[(&str, &str)]) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": tool, "arguments": args}});
    let mut req = client()
        .post(mcp)
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .body(body.to_string());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.expect("the MCP adapter answers");
    assert_eq!(r.status().as_u16(), 200);
    r.json().await.expect("a JSON answer")
}

/// The value of one sample line (`name{labels} value`) of a Prometheus exposition.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no sample `{series}` in:\n{text}"))
        .parse()
        .expect("a number")
}

async fn users_upstream() -> MockServer {
    let upstream = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/user/u-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"user_id": "u-1"})))
        .mount(&upstream)
        .await;
    upstream
}

#[tokio::test(flavor = "multi_thread")]
async fn each_control_endpoint_answers_with_its_status_and_content_type() {
    let upstream = users_upstream().await;
    let s = serve_users(&upstream.uri());
    let control = s.url("control");
    let cases = [
        ("/health/live", 200, "application/json", "\"UP\""),
        ("/health/ready", 200, "application/json", "\"UP\""),
        ("/status", 200, "application/json", "\"adapters\""),
        (
            "/metrics",
            200,
            "text/plain; version=0.0.4",
            "# TYPE naftiko_requests_total counter",
        ),
        (
            "/nope",
            404,
            "application/problem+json",
            "no control endpoint /nope",
        ),
    ];
    for (route, status, ty, needle) in cases {
        let (code, got_ty, body) = get(&format!("{control}{route}")).await;
        assert_eq!(code, status, "{route}: {body}");
        assert!(got_ty.starts_with(ty), "{route}: content type {got_ty}");
        assert!(body.contains(needle), "{route}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn status_names_the_capability_versions_uptime_and_listening_adapters() {
    let upstream = users_upstream().await;
    let s = serve_users(&upstream.uri());
    let (_, _, body) = get(&format!("{}/status", s.url("control"))).await;
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["capability"], "Vital Users API");
    assert_eq!(v["specVersion"], "1.0.0-alpha2");
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert!(v["uptimeSeconds"].is_u64(), "{v}");
    assert_eq!(v["ready"], true);
    assert_eq!(v["draining"], false);
    assert_eq!(
        v["adapters"],
        json!([{"type": "mcp", "namespace": "auto", "url": s.url("mcp")}])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_tool_requests_errors_upstream_calls_and_retries() {
    let upstream = MockServer::start().await;
    // The first attempt gets 503, the retry 200: one call, one retry.
    Mock::given(method("GET"))
        .and(path("/v2/user/u-1"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&upstream)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/user/u-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"user_id": "u-1"})))
        .mount(&upstream)
        .await;
    let s = serve_users(&upstream.uri());
    let metrics = format!("{}/metrics", s.url("control"));
    let tool = format!("{{adapter=\"auto\",type=\"mcp\",route=\"{TOOL}\"}}");
    let op = format!("{{operation=\"{OP}\"}}");
    let (_, _, before) = get(&metrics).await;
    assert_eq!(
        sample(&before, &format!("naftiko_requests_total{tool}")),
        0.0
    );
    assert_eq!(
        sample(&before, &format!("naftiko_upstream_calls_total{op}")),
        0.0
    );

    let ok = tools_call(&s.url("mcp"), TOOL, json!({"user_id": "u-1"}), &[]).await;
    assert_eq!(ok["result"]["isError"], false, "{ok}");
    let unknown = tools_call(&s.url("mcp"), "nope", json!({}), &[]).await;
    assert!(unknown["error"].is_object(), "{unknown}");

    let (_, _, after) = get(&metrics).await;
    let other = "{adapter=\"auto\",type=\"mcp\",route=\"other\"}";
    let expected = [
        (format!("naftiko_requests_total{tool}"), 1.0),
        (format!("naftiko_request_errors_total{tool}"), 0.0),
        (format!("naftiko_requests_total{other}"), 1.0),
        (format!("naftiko_request_errors_total{other}"), 1.0),
        (format!("naftiko_request_duration_seconds_count{tool}"), 1.0),
        (format!("naftiko_upstream_calls_total{op}"), 1.0),
        (format!("naftiko_upstream_errors_total{op}"), 0.0),
        (format!("naftiko_upstream_retries_total{op}"), 1.0),
        (format!("naftiko_upstream_in_flight{op}"), 0.0),
        (format!("naftiko_upstream_duration_seconds_count{op}"), 1.0),
        (
            format!("naftiko_upstream_duration_seconds_bucket{{operation=\"{OP}\",le=\"+Inf\"}}"),
            1.0,
        ),
    ];
    for (series, value) in expected {
        assert_eq!(sample(&after, &series), value, "{series}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_inbound_traceparent_reaches_the_upstream_with_the_same_trace_id_and_a_new_span() {
    let upstream = users_upstream().await;
    let s = serve_users(&upstream.uri());
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let inbound = format!("00-{trace}-00f067aa0ba902b7-01");
    let r = tools_call(
        &s.url("mcp"),
        TOOL,
        json!({"user_id": "u-1"}),
        &[("traceparent", &inbound)],
    )
    .await;
    assert_eq!(r["result"]["isError"], false, "{r}");
    // And one call without: nothing is invented.
    tools_call(&s.url("mcp"), TOOL, json!({"user_id": "u-1"}), &[]).await;
    let received = upstream.received_requests().await.unwrap();
    assert_eq!(received.len(), 2);
    let sent = received[0]
        .headers
        .get("traceparent")
        .expect("traceparent sent upstream");
    let parts: Vec<&str> = sent.to_str().unwrap().split('-').collect();
    assert_eq!(parts[0], "00");
    assert_eq!(parts[1], trace, "same trace id");
    assert_eq!(parts[2].len(), 16);
    assert_ne!(
        parts[2], "00f067aa0ba902b7",
        "a new span id for the upstream call"
    );
    assert_eq!(parts[3], "01", "flags kept");
    assert!(received[1].headers.get("traceparent").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_traceparent_is_ignored_and_not_forwarded() {
    let upstream = users_upstream().await;
    let s = serve_users(&upstream.uri());
    for bad in [
        "00-xyz-00f067aa0ba902b7-01",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
    ] {
        let r = tools_call(
            &s.url("mcp"),
            TOOL,
            json!({"user_id": "u-1"}),
            &[("traceparent", bad)],
        )
        .await;
        assert_eq!(r["result"]["isError"], false, "{r}");
    }
    let received = upstream.received_requests().await.unwrap();
    assert!(received
        .iter()
        .all(|r| r.headers.get("traceparent").is_none()));
}

/// Readiness through the library: 503 before the adapter listens, 200 after, 503 draining.
#[tokio::test(flavor = "multi_thread")]
async fn readiness_is_503_until_every_adapter_listens_then_200_then_503_while_draining() {
    let cap = naftiko::Capability::from_path(USERS).unwrap();
    let rt = naftiko::Runtime::builder(cap)
        .env([("VITAL_API_KEY", KEY)])
        .build()
        .unwrap();
    let control = naftiko::Control::new(rt, 2);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/health/ready", listener.local_addr().unwrap());
    let app = control.router();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let (code, ty, body) = get(&url).await;
    assert_eq!((code, ty.as_str()), (503, "application/problem+json"));
    assert!(body.contains("0 of 2 adapters listen"), "{body}");
    control.listening("mcp", "a", "http://127.0.0.1:1/mcp");
    assert_eq!(get(&url).await.0, 503, "one of two is not ready");
    control.listening("mcp", "b", "http://127.0.0.1:2/mcp");
    assert_eq!(get(&url).await.0, 200);
    control.drain();
    let (code, _, body) = get(&url).await;
    assert_eq!(code, 503);
    assert!(body.contains("draining"), "{body}");
}

/// An upstream that holds its first request until released.
async fn gated_upstream() -> (
    String,
    tokio::sync::oneshot::Receiver<()>,
    tokio::sync::oneshot::Sender<()>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (arrived_tx, arrived_rx) = tokio::sync::oneshot::channel();
    let (release_tx, release_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = vec![0; 8192];
        let mut head = Vec::new();
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = sock.read(&mut buf).await.unwrap();
            assert!(n > 0, "the request head arrives");
            head.extend_from_slice(&buf[..n]);
        }
        let _ = arrived_tx.send(());
        let _ = release_rx.await;
        let body = r#"{"user_id":"u-1"}"#;
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        sock.write_all(answer.as_bytes()).await.unwrap();
    });
    (url, arrived_rx, release_tx)
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_turns_readiness_503_and_the_call_in_flight_finishes_before_exit() {
    let (upstream, arrived, release) = gated_upstream().await;
    let mut s = serve_users(&upstream);
    let ready = format!("{}/health/ready", s.url("control"));
    assert_eq!(get(&ready).await.0, 200);
    let mcp = s.url("mcp");
    let call =
        tokio::spawn(async move { tools_call(&mcp, TOOL, json!({"user_id": "u-1"}), &[]).await });
    arrived.await.expect("the call reached the upstream");

    let pid = s.child.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    // The signal is handled asynchronously: poll until readiness reflects it.
    let mut code = 200;
    for _ in 0..200 {
        code = get(&ready).await.0;
        if code == 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(code, 503, "readiness goes 503 while draining");

    release.send(()).unwrap();
    let answer = call.await.unwrap();
    assert_eq!(
        answer["result"]["isError"], false,
        "the call in flight finished: {answer}"
    );
    let status = tokio::task::spawn_blocking(move || s.child.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success(), "exit status {status}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_declared_control_adapter_serves_health_and_status_and_no_metrics_when_observability_is_off(
) {
    let s = serve(&[FIXTURE], 2);
    assert_eq!(
        s.ready[0]["adapter"], "control",
        "the control port is up first"
    );
    let control = s.url("control");
    assert_eq!(get(&format!("{control}/health/ready")).await.0, 200);
    let (_, _, body) = get(&format!("{control}/status")).await;
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["capability"], "Shipyard with a control port");
    assert_eq!(v["adapters"][0]["namespace"], "shipyard-tools");
    let (code, ty, _) = get(&format!("{control}/metrics")).await;
    assert_eq!((code, ty.as_str()), (404, "application/problem+json"));
}

#[test]
fn a_control_switch_that_is_not_a_boolean_is_a_located_warning() {
    let text = std::fs::read_to_string(FIXTURE)
        .unwrap()
        .replace("health: true", "health: \"yes\"");
    let cap = naftiko::Capability::from_str_named(&text, "ctl.yaml", None).unwrap();
    let d = (cap.diagnostics().iter())
        .find(|d| d.to_string().contains("management.health"))
        .expect("a diagnostic for management.health");
    assert!(d.to_string().starts_with("ctl.yaml:28:17"), "{d}");
    assert!(d.to_string().contains("should be true or false"), "{d}");
}
