//! Secret hygiene: with a known key, every public output path (Debug and Display of the
//! runtime, its builder, prepared requests and every error we can provoke, serde
//! serialization, curl export, tracing output at TRACE level, and the `naftiko` binary with
//! `-v`, `-vv`, `-vvv`, `--dry-run`, `--curl` and failing calls) is run and searched for the
//! key's bytes, in every form it is sent in (raw, percent-encoded, base64 inside basic auth).
//!
//! The fault server echoes everything it receives (request target, every header) back in its
//! error responses, in header values, header names and JSON and text bodies, so a leak
//! through an error is caught wherever the key was placed.

use crate::support;

use std::cell::Cell;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use naftiko::{Capability, Error, Runtime, RuntimeBuilder, Secret};
use serde_json::{json, Value};
use support::fault_server::{Fault, FaultServer, Recorded};
use tracing_subscriber::layer::SubscriberExt;

/// The key of the brief.
const KEY: &str = "k-secret-123";
/// A key that changes when percent-encoded (query, cookie).
const ODD_KEY: &str = "k+s/cret 9&=x";

/// How the capability sends the key.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Placement {
    Header,
    Query,
    Cookie,
    Bearer,
    Basic,
}

const PLACEMENTS: [Placement; 5] = [
    Placement::Header,
    Placement::Query,
    Placement::Cookie,
    Placement::Bearer,
    Placement::Basic,
];

fn auth_yaml(p: Placement) -> &'static str {
    match p {
        Placement::Header => {
            "type: apiKey\n      in: header\n      name: X-Api-Key\n      valueFrom:\n        env: TEST_KEY"
        }
        Placement::Query => {
            "type: apiKey\n      in: query\n      name: api_key\n      valueFrom:\n        env: TEST_KEY"
        }
        Placement::Cookie => {
            "type: apiKey\n      in: cookie\n      name: session\n      valueFrom:\n        env: TEST_KEY"
        }
        Placement::Bearer => "type: bearer\n      token:\n        env: TEST_KEY",
        Placement::Basic => {
            "type: basic\n      username: user\n      password:\n        env: TEST_KEY"
        }
    }
}

fn capability_yaml(p: Placement) -> String {
    support::items::yaml(&format!("    auth:\n      {}\n", auth_yaml(p)))
}

fn capability(p: Placement) -> Capability {
    support::items::capability(&format!("    auth:\n      {}\n", auth_yaml(p)))
}

fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Every form of `key` that would be a leak: raw, percent-encoded (both space styles),
/// and the basic-auth credential.
fn forms(key: &str) -> Vec<String> {
    let mut out = vec![key.to_string()];
    let encoded: String = key
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    out.push(encoded.clone());
    out.push(encoded.replace("%20", "+"));
    // As a cookie value: only bytes outside RFC 6265 cookie-octet are encoded.
    let cookie: String = key
        .bytes()
        .map(|b| {
            if (0x21..=0x7e).contains(&b) && !b"\",;\\".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    out.push(cookie);
    out.push(base64(format!("user:{key}").as_bytes()));
    out.sort();
    out.dedup();
    out
}

/// Fails if `text` contains any form of `key`.
fn assert_clean(what: &str, text: &str, key: &str) {
    for form in forms(key) {
        assert!(
            !text.contains(&form),
            "{what}: the key (as {form:?}) appears in:\n{text}"
        );
    }
}

fn builder(p: Placement, key: &str, uri: &str) -> RuntimeBuilder {
    support::builder(capability(p), &[("TEST_KEY", key)], Some(("ns", uri))).retry(
        naftiko::RetryPolicy {
            initial_backoff: Duration::from_millis(5),
            ..naftiko::RetryPolicy::default()
        },
    )
}

/// The fault a server answers with when it echoes everything it received (target, every
/// header) in headers, header names and the body.
fn echo(status: u16, text_body: bool, r: &Recorded) -> Fault {
    let mut headers = vec![("x-echo-target".to_string(), r.target.clone())];
    for (name, value) in &r.headers {
        headers.push((format!("x-echo-{name}"), value.clone()));
        // Also as a header *name*, when it is a valid one.
        for candidate in value.split(['=', ' ', ';', '?', '&']) {
            if !candidate.is_empty()
                && candidate
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            {
                headers.push((candidate.to_string(), "echo".to_string()));
            }
        }
    }
    headers.push(("set-cookie".into(), format!("echo={}", r.target)));
    if text_body {
        headers.push(("content-type".into(), "text/plain".into()));
        let mut body = format!("{} {}\n", r.method, r.target);
        for (name, value) in &r.headers {
            body.push_str(&format!("{name}: {value}\n"));
        }
        return Fault::Respond {
            status,
            headers,
            body: body.into_bytes(),
        };
    }
    headers.push(("content-type".into(), "application/json".into()));
    let received: serde_json::Map<String, Value> = r
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    // The key as a value, a nested value, an array item, and an object key.
    let mut detail = serde_json::Map::new();
    for (_, v) in &r.headers {
        detail.insert(v.clone(), json!([v]));
    }
    let body = json!({
        "detail": format!("invalid credentials: {}", r.target),
        "received": {"target": r.target, "headers": received},
        "echo": detail,
    });
    Fault::Respond {
        status,
        headers,
        body: serde_json::to_vec(&body).expect("json"),
    }
}

// ---------------------------------------------------------------------------------------------
// The library.

#[test]
fn secret_never_shows_its_value() {
    traces();
    let s = Secret::new("TEST_KEY", KEY);
    assert_clean("Display", &format!("{s}"), KEY);
    assert_clean("Debug", &format!("{s:?}"), KEY);
    assert_clean("alternate Debug", &format!("{s:#?}"), KEY);
    assert_clean("serde", &serde_json::to_string(&s).expect("json"), KEY);
    assert_eq!(
        s.expose(),
        KEY,
        "the value is still there for the HTTP layer"
    );
}

#[test]
fn runtime_builder_and_prepared_request_never_show_the_key() {
    traces();
    for key in [KEY, ODD_KEY] {
        for p in PLACEMENTS {
            let what = format!("{p:?} {key:?}");
            let b = builder(p, key, "http://127.0.0.1:9");
            assert_clean(&format!("{what}: builder Debug"), &format!("{b:?}"), key);
            let rt = b.build().expect("rt");
            assert_clean(&format!("{what}: runtime Debug"), &format!("{rt:?}"), key);
            assert_clean(&format!("{what}: runtime Debug"), &format!("{rt:#?}"), key);
            for (op, args) in [
                ("list_items", json!({})),
                ("create_item", json!({"body": {"a": 1}})),
            ] {
                for req in [
                    rt.prepare(op, args.clone()).expect("prepare"),
                    rt.dry_run(op, args.clone()).expect("dry run"),
                ] {
                    let all = [
                        format!("{req:?}"),
                        format!("{req:#?}"),
                        serde_json::to_string(&req).expect("json"),
                        req.to_curl(),
                        req.url(),
                        format!("{:?}", req.headers()),
                        req.body().to_string(),
                    ];
                    for text in &all {
                        assert_clean(&format!("{what}: {op} request"), text, key);
                    }
                }
            }
        }
    }
}

/// Errors from a server that echoes the credential everywhere, and from every transport
/// failure we can provoke.
#[test]
fn errors_never_show_the_key() {
    traces();
    workers().block_on(async {
        let mut all = tokio::task::JoinSet::new();
        for key in [KEY, ODD_KEY] {
            for p in PLACEMENTS {
                all.spawn(errors_for(key, p));
            }
        }
        while let Some(done) = all.join_next().await {
            done.expect("a failed check panics");
        }
    });
}

/// Provokes every kind of error with the key sent as `p` and checks its output.
async fn errors_for(key: &'static str, p: Placement) {
    let what = format!("{p:?} {key:?}");
    let mut errors: Vec<(String, Error)> = Vec::new();

    // HTTP errors echoing the request (JSON and text bodies; a retried 503, a 401).
    for (status, text) in [(401u16, false), (401, true), (503, false), (422, true)] {
        let server = FaultServer::start(move |r| echo(status, text, r)).await;
        let rt = builder(p, key, &server.uri()).build().expect("rt");
        for op in ["list_items", "create_item"] {
            let e = rt.call(op, json!({})).await.expect_err("an HTTP error");
            let http = e.http().expect("an HTTP error");
            assert_eq!(http.status, status);
            assert_clean(&what, &format!("{:?}", http.headers), key);
            assert_clean(&what, &http.body.to_string(), key);
            errors.push((format!("HTTP {status} text={text} {op}"), e));
        }
        // The server did receive the key (so the echo carried it back).
        let got = server.requests();
        let received = format!("{} {:?}", got[0].target, got[0].headers);
        assert!(
            forms(key).iter().any(|f| received.contains(f.as_str())),
            "{what}: the server never got the key: {received}"
        );
    }

    // A 200 that is not JSON, echoing the request.
    let server = FaultServer::start(|r| Fault::Respond {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: format!("not json: {} {:?}", r.target, r.headers).into_bytes(),
    })
    .await;
    let rt = builder(p, key, &server.uri()).build().expect("rt");
    errors.push((
        "decode".into(),
        rt.call("list_items", json!({})).await.expect_err("decode"),
    ));

    // Reset after read, truncated body, redirect loop, cross-origin redirect (the URLs
    // in these messages carry a query-placed key).
    for fault in [
        Fault::ResetAfterRead,
        Fault::TruncatedBody {
            declared: 50,
            sent: b"{".to_vec(),
        },
        Fault::redirect(302, "/items?again=1"),
        Fault::redirect(302, "http://localhost:9/steal"),
    ] {
        let f = fault.clone();
        let server = FaultServer::start(move |_| f.clone()).await;
        let rt = builder(p, key, &server.uri()).build().expect("rt");
        errors.push((
            format!("{fault:?}"),
            rt.call("list_items", json!({})).await.expect_err("fails"),
        ));
    }

    // Connection refused.
    let port = support::free_port();
    let rt = builder(p, key, &format!("http://127.0.0.1:{port}"))
        .build()
        .expect("rt");
    errors.push((
        "connect".into(),
        rt.call("list_items", json!({})).await.expect_err("refused"),
    ));

    // Timeout.
    let server = FaultServer::start(|_| Fault::Stall(Duration::from_secs(5))).await;
    let rt = builder(p, key, &server.uri())
        .timeout(Duration::from_millis(200))
        .build()
        .expect("rt");
    errors.push((
        "timeout".into(),
        rt.call("list_items", json!({})).await.expect_err("timeout"),
    ));

    // Body too large.
    let server = FaultServer::start(|_| Fault::HugeChunked { len: 1 << 20 }).await;
    let rt = builder(p, key, &server.uri())
        .max_response_bytes(1024)
        .build()
        .expect("rt");
    errors.push((
        "too large".into(),
        rt.call("list_items", json!({}))
            .await
            .expect_err("too large"),
    ));

    // Bad arguments, unknown operation.
    let rt = builder(p, key, "http://127.0.0.1:9").build().expect("rt");
    errors.push((
        "unknown argument".into(),
        rt.call("list_items", json!({"nope": 1}))
            .await
            .expect_err("arg"),
    ));
    errors.push((
        "unknown operation".into(),
        rt.call("list_itemz", json!({})).await.expect_err("op"),
    ));

    // A missing bind, with the key set under another name.
    let rt = Runtime::builder(capability(p))
        .env([("OTHER", key)])
        .build()
        .expect("rt");
    let e = rt
        .prepare("list_items", json!({}))
        .expect_err("missing bind");
    assert!(matches!(e, Error::Bind(_)), "{e:?}");
    errors.push(("bind".into(), e));

    for (case, e) in &errors {
        let label = format!("{what}: {case}");
        assert_clean(&label, &e.to_string(), key);
        assert_clean(&label, &format!("{e:?}"), key);
        assert_clean(&label, &format!("{e:#?}"), key);
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            assert_clean(&label, &s.to_string(), key);
            source = s.source();
        }
    }
    // Every kind of failure above was provoked.
    let kinds: Vec<&str> = errors.iter().map(|(_, e)| kind(e)).collect();
    for expected in [
        "status",
        "decode",
        "transport",
        "redirect",
        "connect",
        "timeout",
        "too large",
        "prepare",
        "lookup",
        "bind",
    ] {
        assert!(
            kinds.contains(&expected),
            "{what}: no {expected} error: {kinds:?}"
        );
    }
}

fn kind(e: &Error) -> &'static str {
    use naftiko::SendError as S;
    match e {
        Error::Send(S::Status(_)) => "status",
        Error::Send(S::Transport { .. }) => "transport",
        Error::Send(S::CrossOriginRedirect { .. }) => "redirect",
        Error::Send(S::Connect { .. }) => "connect",
        Error::Send(S::Timeout { .. }) => "timeout",
        Error::Send(S::BodyTooLarge { .. }) => "too large",
        Error::Map(_) => "decode",
        Error::Prepare(_) => "prepare",
        Error::Lookup(_) => "lookup",
        Error::Bind(_) => "bind",
        _ => "other",
    }
}

/// A `MakeWriter` into a shared buffer.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Buffer {
    type Writer = Buffer;
    fn make_writer(&'a self) -> Buffer {
        self.clone()
    }
}

thread_local! {
    /// Whether this thread's events go into the buffer (see [`traces`]).
    static TRACED: Cell<bool> = const { Cell::new(false) };
}

/// Every test of this module traces at TRACE level into one buffer, through a global
/// subscriber installed before any test does anything. (A per-test `set_default` is not
/// reliable: a callsite first reached by a concurrent test is cached as uninteresting.)
///
/// The other modules share the test binary, and so the subscriber: only the threads of this
/// module's tests (the caller's, and those of [`workers`]) are recorded, so that their events
/// neither fill the buffer nor count in the allocations that `resilience` measures.
fn traces() -> &'static Buffer {
    static TRACES: OnceLock<Buffer> = OnceLock::new();
    TRACED.with(|t| t.set(true));
    TRACES.get_or_init(|| {
        let buffer = Buffer::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
            .with_ansi(false)
            .with_writer(buffer.clone())
            .finish()
            .with(tracing_subscriber::filter::filter_fn(|_| {
                TRACED.with(Cell::get)
            }));
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
        // Callsites that other modules' tests reached before (the REST adapter's, with no
        // subscriber yet) were cached as uninteresting: ask every callsite again.
        tracing::callsite::rebuild_interest_cache();
        buffer
    })
}

/// A runtime with two worker threads whose events are recorded (see [`traces`]).
fn workers() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .on_thread_start(|| TRACED.with(|t| t.set(true)))
        .build()
        .expect("a tokio runtime")
}

#[ignore = "run alone by .ci/run: in the whole binary, the REST tests reach callsites first and the span is not recorded (tracing interest caching; not solved yet)"]
#[tokio::test]
async fn tracing_at_trace_level_never_shows_the_key() {
    let buffer = traces();
    for key in [KEY, ODD_KEY] {
        for p in PLACEMENTS {
            let server = FaultServer::start(|r| match r.attempt {
                1 => echo(503, false, r),
                2 => Fault::ResetAfterRead,
                _ => echo(401, true, r),
            })
            .await;
            let rt = builder(p, key, &server.uri()).build().expect("rt");
            let _ = rt.call("list_items", json!({})).await;
            let _ = rt.call("create_item", json!({"body": {"a": 1}})).await;
            let ok = FaultServer::start(|_| Fault::json(200, json!({"ok": true}))).await;
            let rt = builder(p, key, &ok.uri()).build().expect("rt");
            rt.call("list_items", json!({})).await.expect("ok");
        }
    }
    let text = String::from_utf8(buffer.0.lock().expect("buffer").clone()).expect("utf-8");
    assert!(
        text.contains("naftiko.call"),
        "no span was recorded:\n{text}"
    );
    assert!(text.contains("retrying"), "no retry was traced:\n{text}");
    for key in [KEY, ODD_KEY] {
        assert_clean("tracing output", &text, key);
    }
}

// ---------------------------------------------------------------------------------------------
// The binary.

#[cfg(feature = "cli")]
mod cli {
    use super::*;
    use std::path::PathBuf;
    use support::bin::Run;

    fn spec_file(p: Placement) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("naftiko-secrets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join(format!("{p:?}.yaml").to_lowercase());
        std::fs::write(&path, capability_yaml(p)).expect("write spec");
        path
    }

    fn run(key: &str, args: &[&str]) -> Run {
        let mut cmd = support::bin::naftiko();
        cmd.env("TEST_KEY", key)
            .env("NO_COLOR", "1")
            .args(args)
            .timeout(Duration::from_secs(30));
        support::bin::run_cmd(&mut cmd)
    }

    /// Runs the binary off the async runtime (the fault server lives on it).
    async fn run_async(key: &str, args: Vec<String>) -> Run {
        let key = key.to_string();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            run(&key, &args)
        })
        .await
        .expect("join")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn cli_output_never_shows_the_key() {
        traces();
        let ok = FaultServer::start(|_| Fault::json(200, json!({"ok": true}))).await;
        let echo_json = FaultServer::start(|r| echo(401, false, r)).await;
        // Statuses that are not retried, so each run takes milliseconds.
        let echo_text = FaultServer::start(|r| echo(400, true, r)).await;
        let not_json = FaultServer::start(|r| Fault::Respond {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: format!("not json: {} {:?}", r.target, r.headers).into_bytes(),
        })
        .await;
        let stall = FaultServer::start(|_| Fault::Stall(Duration::from_secs(10))).await;
        let refused = format!("http://127.0.0.1:{}", support::free_port());
        // The odd key only where its encoded form differs from the raw one.
        let cases = PLACEMENTS
            .iter()
            .map(|p| (KEY, *p))
            .chain([(ODD_KEY, Placement::Query), (ODD_KEY, Placement::Cookie)]);
        let mut all = Vec::new();
        for (key, p) in cases {
            {
                let spec = spec_file(p).display().to_string();
                let mut runs: Vec<(Vec<String>, Option<i32>)> = Vec::new();
                let call = |uri: &str, extra: &[&str]| -> Vec<String> {
                    let mut v: Vec<String> = vec!["call".into(), spec.clone(), "list_items".into()];
                    if !uri.is_empty() {
                        v.push("--base-uri".into());
                        v.push(uri.into());
                    }
                    v.extend(extra.iter().map(|s| s.to_string()));
                    v
                };
                // -vvv prints everything -vv prints, and more.
                for verbosity in [&[][..], &["-v"][..], &["-vvv"][..]] {
                    runs.push((call(&ok.uri(), verbosity), Some(0)));
                    runs.push((call(&echo_json.uri(), verbosity), None));
                    runs.push((call(&echo_text.uri(), verbosity), None));
                    runs.push((call(&not_json.uri(), verbosity), None));
                    // A deadline shorter than the first backoff: one attempt.
                    let mut once = verbosity.to_vec();
                    once.extend(["--timeout", "0.3"]);
                    runs.push((call(&refused, &once), None));
                    let mut timeout = verbosity.to_vec();
                    timeout.extend(["--timeout", "0.3"]);
                    runs.push((call(&stall.uri(), &timeout), None));
                    let mut raw = verbosity.to_vec();
                    raw.push("--raw");
                    runs.push((call(&echo_text.uri(), &raw), None));
                }
                runs.push((call(&ok.uri(), &["--dry-run"]), Some(0)));
                runs.push((call(&ok.uri(), &["--curl"]), Some(0)));
                runs.push((call("", &["--dry-run", "-vv"]), Some(0)));
                runs.push((call("", &["--curl", "-vvv"]), Some(0)));
                runs.push((
                    vec!["describe".into(), spec.clone(), "list_items".into()],
                    Some(0),
                ));
                runs.push((vec!["ops".into(), spec.clone()], Some(0)));
                all.extend(
                    runs.into_iter()
                        .map(|(args, expected)| (key, p, args, expected)),
                );
            }
        }
        // Four processes at a time.
        let mut pending = tokio::task::JoinSet::new();
        let mut queue = all.into_iter();
        loop {
            while pending.len() < 4 {
                let Some((key, p, args, expected)) = queue.next() else {
                    break;
                };
                pending.spawn(async move {
                    let out = run_async(key, args.clone()).await;
                    (key, p, args, expected, out)
                });
            }
            let Some(done) = pending.join_next().await else {
                break;
            };
            let (key, p, args, expected, out) = done.expect("join");
            let what = format!("{p:?} {key:?}: naftiko {}", args.join(" "));
            match expected {
                Some(code) => assert_eq!(out.code, Some(code), "{what}\n{}", out.all()),
                None => assert_ne!(out.code, Some(0), "{what}\n{}", out.all()),
            }
            assert_clean(&what, &out.all(), key);
        }
        // The echo servers did receive the key, so a leak would have been seen.
        assert!(!echo_json.requests().is_empty());
    }
}

#[test]
fn a_credential_written_literally_in_the_capability_never_shows_in_debug() {
    let spec = r#"
naftiko: 1.0.0-alpha2
capability:
  consumes:
  - type: http
    namespace: lit
    baseUri: https://api.example.test
    authentication: {type: bearer, token: "literal-token-0xC0FFEE"}
    resources:
    - name: r
      path: /r
      operations:
      - {name: get-r, method: GET}
"#;
    let cap = naftiko::Capability::from_str_named(spec, "literal.yaml", None).unwrap();
    let rt = naftiko::Runtime::builder(cap.clone()).build().unwrap();
    for text in [
        format!("{cap:?}"),
        format!("{rt:?}"),
        format!("{:?}", cap.auth("lit")),
    ] {
        assert!(!text.contains("literal-token-0xC0FFEE"), "{text}");
    }
    let req = rt.prepare("get-r", serde_json::json!({})).unwrap();
    // A literal credential is not a bound secret, but it is guarded like one.
    assert!(format!("{:?}", cap.auth("lit")).contains("***"));
    assert_eq!(req.header("authorization").as_deref(), Some("Bearer ***"));
    for text in [
        serde_json::to_string(&req).unwrap(),
        req.to_curl(),
        format!("{req:?}"),
    ] {
        assert!(!text.contains("literal-token-0xC0FFEE"), "{text}");
    }
}

/// A one- or two-character secret is redacted where it was placed and nowhere else: found by
/// value, `s` would turn `https` into `http***` (a new user's report).
#[test]
fn short_secrets_are_redacted_where_placed_and_the_rest_is_intact() {
    let cases: [(Placement, &str, &str); 5] = [
        (Placement::Header, "x-api-key", "***"),
        (Placement::Query, "", ""),
        (Placement::Cookie, "cookie", "session=***"),
        (Placement::Bearer, "authorization", "Bearer ***"),
        (Placement::Basic, "authorization", "Basic ***"),
    ];
    for key in ["s", "ab"] {
        for (p, header, shown) in cases {
            let what = format!("{p:?} {key:?}");
            let rt = builder(p, key, "http://localhost:9/base").build().unwrap();
            let req = rt.prepare("list_items", json!({"n": 5})).unwrap();
            let url = if p == Placement::Query {
                "http://localhost:9/base/items?n=5&api_key=***"
            } else {
                "http://localhost:9/base/items?n=5"
            };
            assert_eq!(req.url(), url, "{what}");
            if !header.is_empty() {
                assert_eq!(req.header(header).as_deref(), Some(shown), "{what}");
            }
            let curl = req.to_curl();
            assert!(
                curl.contains("http://localhost:9/base/items?n=5"),
                "{what}: {curl}"
            );
            assert!(
                curl.contains("${TEST_KEY}") || p == Placement::Basic,
                "{what}: {curl}"
            );
            let json = serde_json::to_string(&req).unwrap();
            assert!(
                json.contains("\"url\":\"http://localhost:9/base/items?n=5"),
                "{what}: {json}"
            );
            let debug = format!("{req:?}");
            assert!(
                !debug.contains("ht***") && !debug.contains("loc***"),
                "{what}: {debug}"
            );
        }
    }
}
