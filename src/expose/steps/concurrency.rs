//! Steps that do not read each other run concurrently, measured on a real socket: a test
//! server that counts the requests in flight and records the order of arrivals and answers.
//!
//! Test code only (`#[cfg(test)] mod concurrency;` in `steps.rs`): its `unwrap()`s are the
//! test's assertions (a fixture that loads, a local socket that binds), never run in the
//! library.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use serde_json::{json, Value};

use super::{run_bounded, StepsOutput, MAX_IN_FLIGHT};
use crate::{CallOptions, Capability, Runtime};

/// One consumer `up` whose operation `get-X` asks `GET /X`; `get-item` asks `/item/{{id}}`,
/// `post-make` is `POST /make`.
fn capability(steps: &str, names: &[&str]) -> Capability {
    let ops: String = names
        .iter()
        .map(|n| format!("        - {{name: {n}, path: /{n}, operations: [{{name: get-{n}, method: GET}}]}}\n"))
        .collect();
    let text = format!(
        r#"naftiko: "1.0.0-alpha2"
info: {{label: Steps, description: Concurrent steps}}
capability:
  consumes:
    - type: http
      namespace: up
      baseUri: "https://up.example"
      resources:
{ops}        - {{name: make, path: /make, operations: [{{name: post-make, method: POST}}]}}
        - name: item
          path: /item/{{{{id}}}}
          operations:
            - {{name: get-item, method: GET, inputParameters: [{{name: id, in: path}}]}}
  exposes:
    - type: mcp
      port: 3001
      namespace: tools
      tools:
        - name: chain
          description: A chain of steps
          steps:
{steps}"#
    );
    Capability::from_str_named(&text, "steps.yaml", None).unwrap()
}

/// What the server saw: requests in flight now and at most, and `>/path` (arrived) and
/// `</path` (answered) in order.
#[derive(Default)]
struct Seen {
    now: AtomicUsize,
    max: AtomicUsize,
    events: Mutex<Vec<String>>,
}

/// Answers `/slow*` after `delay`, `/fail*` with 404 (not retried) (after `delay` for `/fail-slow`),
/// anything else at once; every body is `{"id": <last path segment>}`.
async fn handle(
    State((seen, delay)): State<(Arc<Seen>, Duration)>,
    req: Request,
) -> (StatusCode, String) {
    let path = req.uri().path().to_string();
    seen.events.lock().unwrap().push(format!(">{path}"));
    let now = seen.now.fetch_add(1, Ordering::SeqCst) + 1;
    seen.max.fetch_max(now, Ordering::SeqCst);
    if path.starts_with("/slow") || path == "/fail-slow" {
        tokio::time::sleep(delay).await;
    }
    seen.now.fetch_sub(1, Ordering::SeqCst);
    seen.events.lock().unwrap().push(format!("<{path}"));
    let status = match path.starts_with("/fail") {
        true => StatusCode::NOT_FOUND,
        false => StatusCode::OK,
    };
    let id = path.rsplit('/').next().unwrap_or_default();
    (status, json!({ "id": id }).to_string())
}

async fn server(delay: Duration) -> (String, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let app = axum::Router::new()
        .fallback(handle)
        .with_state((seen.clone(), delay));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (uri, seen)
}

/// What a chain gave, what the server saw, how long the steps took.
type Ran = (Result<StepsOutput, super::StepError>, Arc<Seen>, Duration);

/// Runs the tool `chain` of `cap` against a fresh server, at most `limit` steps at once.
async fn run_chain(cap: Capability, delay: Duration, limit: usize) -> Ran {
    let (uri, seen) = server(delay).await;
    let rt = Runtime::builder(cap)
        .env(Vec::<(String, String)>::new())
        .base_uri("up", uri)
        .build()
        .unwrap();
    let tool = &rt.capability().adapters()[0].tools()[0];
    let o = tool.steps.clone().unwrap();
    let start = Instant::now();
    let out = run_bounded(&rt, &CallOptions::default(), &o, &Default::default(), limit).await;
    (out, seen, start.elapsed())
}

fn mapped(out: StepsOutput) -> Value {
    match out {
        StepsOutput::Mapped(v) => v,
        StepsOutput::LastCall(v) => panic!("no mapping resolved: {v}"),
    }
}

const FAN_OUT: &str = r#"            - {name: first, call: up.get-first}
            - {name: a, call: up.get-slow-a}
            - {name: b, call: up.get-slow-b}
            - {name: after-a, call: up.get-item, with: {id: "{{a.id}}"}}
          mappings:
            - {targetName: a, value: "$.a.id"}
            - {targetName: b, value: "$.b.id"}
            - {targetName: item, value: "$.after-a.id"}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn independent_steps_are_in_flight_together_and_a_dependent_one_waits_for_its_answer() {
    let names = ["first", "slow-a", "slow-b"];
    let delay = Duration::from_millis(300);
    let (out, seen, _) = run_chain(capability(FAN_OUT, &names), delay, MAX_IN_FLIGHT).await;
    let out = mapped(out.unwrap());
    assert_eq!(out, json!({"a": "slow-a", "b": "slow-b", "item": "slow-a"}));
    assert_eq!(seen.max.load(Ordering::SeqCst), 2, "a and b together");
    let events = seen.events.lock().unwrap().clone();
    let at = |e: &str| events.iter().position(|x| x == e).unwrap();
    // The first step answers before anything else is asked; `after-a` waits for `a` only.
    assert_eq!(&events[..2], [">/first", "</first"], "{events:?}");
    assert!(at(">/item/slow-a") > at("</slow-a"), "{events:?}");
    // One step at a time gives the same result, with never two requests in flight.
    let (sequential, seen, _) = run_chain(capability(FAN_OUT, &names), delay, 1).await;
    assert_eq!(mapped(sequential.unwrap()), out);
    assert_eq!(seen.max.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_first_failing_step_in_declaration_order_stops_the_chain() {
    // (steps, the step named, `x`'s path, a request that must never be sent)
    let cases = [
        // `x` fails after `y` did, but it is declared first.
        (
            "            - {name: first, call: up.get-first}\n            - {name: x, call: up.get-fail-slow}\n            - {name: y, call: up.get-fail}\n",
            "x",
            "/fail-slow",
            None,
        ),
        // `y` fails while `x` is slow; `after-x`, declared after `y`, never starts.
        (
            "            - {name: first, call: up.get-first}\n            - {name: x, call: up.get-slow-x}\n            - {name: y, call: up.get-fail}\n            - {name: after-x, call: up.get-item, with: {id: \"{{x.id}}\"}}\n",
            "y",
            "/slow-x",
            Some(">/item/slow-x"),
        ),
    ];
    let names = ["first", "fail", "fail-slow", "slow-x"];
    for (steps, failing, x, never) in cases {
        let delay = Duration::from_millis(200);
        let (out, seen, _) = run_chain(capability(steps, &names), delay, MAX_IN_FLIGHT).await;
        let err = out.unwrap_err();
        assert_eq!(err.step, failing, "{err}");
        assert!(err.to_string().contains("HTTP 404"), "{err}");
        let events = seen.events.lock().unwrap().clone();
        // `y` went out while `x` was in flight: it answered first.
        let at = |e: &str| events.iter().position(|s| s == e);
        let (y_answered, x_answered) = (at("</fail"), at(&format!("<{x}")));
        assert!(
            y_answered.is_some() && y_answered < x_answered,
            "{events:?}"
        );
        if let Some(never) = never {
            assert!(!events.iter().any(|e| e == never), "{events:?}");
        }
    }
}

#[test]
fn each_step_waits_for_the_first_step_and_for_the_earlier_steps_it_reads() {
    let steps = r#"            - {name: first, call: up.get-a}
            - {name: a, call: up.get-a}
            - {name: b, call: up.get-a, with: {x: "{{a.id}}"}}
            - {name: id, call: up.get-a}
            - {name: c, call: up.get-item, with: {y: "{{ns.b}}"}}
            - {name: d, type: lookup, index: a, match: id, lookupValue: "$.b.id"}
            - {name: e, type: lookup, index: a, match: id, lookupValue: "$..id"}
            - {name: f, call: up.post-make}
            - {name: g, call: up.get-a, with: {z: "{{other.x}} {{first}}"}}
"#;
    let cap = capability(steps, &["a"]);
    let o = cap.adapters()[0].tools()[0].steps.clone().unwrap();
    let after: Vec<(&str, &[usize])> = o
        .steps
        .iter()
        .map(|s| (s.name.as_str(), s.after.as_slice()))
        .collect();
    assert_eq!(
        after,
        [
            ("first", &[][..]),
            ("a", &[0][..]),
            // A template's first segment names a step.
            ("b", &[0, 1][..]),
            ("id", &[0][..]),
            // `get-item` takes an argument `id` (the steps' arguments copy the context),
            // and a template's last segment may name a step.
            ("c", &[0, 2, 3][..]),
            // A lookup's index and the step its path names; `..` reads every step.
            ("d", &[0, 1, 2][..]),
            ("e", &[0, 1, 2, 3, 4, 5][..]),
            // A write waits for every earlier step.
            ("f", &[0, 1, 2, 3, 4, 5, 6][..]),
            // A step reads nothing else than what it names.
            ("g", &[0][..]),
        ]
    );
}

/// The measurement behind BENCHMARKS.md ("Orchestration"): four independent steps at 50 ms
/// upstream latency, one at a time and concurrently.
/// `cargo test --locked --lib steps::concurrency -- --ignored --nocapture`
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a measurement: prints wall times"]
async fn four_independent_steps_at_50_ms_one_at_a_time_and_concurrently() {
    let steps = "            - {name: s1, call: up.get-slow-1}\n            - {name: s2, call: up.get-slow-2}\n            - {name: s3, call: up.get-slow-3}\n            - {name: s4, call: up.get-slow-4}\n";
    let names = ["slow-1", "slow-2", "slow-3", "slow-4"];
    for (label, limit) in [("one at a time", 1), ("concurrent", MAX_IN_FLIGHT)] {
        let mut times = Vec::new();
        for _ in 0..10 {
            let cap = capability(steps, &names);
            let (out, _, took) = run_chain(cap, Duration::from_millis(50), limit).await;
            out.unwrap();
            times.push(took);
        }
        times.sort();
        println!(
            "{label}: median {:?}, min {:?}, max {:?}",
            times[5], times[0], times[9]
        );
    }
}
