//! A small fixed-work binary for instruction-count profiling (BENCHMARKS.md § Profile),
//! built with the release profile: `cargo build --release -p naftiko-loadgen --bin
//! naftiko-profile`.
//!
//! ```text
//! profile load N          # Capability::from_path("specs/vital/users.yaml") N times
//! profile prepare N       # load once, then rt.prepare(get_user, {"user_id": …}) N times
//! profile prepare-all N   # load once, then N rounds over the 19 Users operations
//! profile call N          # rt.call(get_user) N times against the loopback server
//! profile call-args N     # rt.call_args(get_user, &[("user_id", …)]) N times (no json! map)
//! profile hand N          # the hand-written reqwest call N times against the same server
//! profile decode N        # serde_json::from_slice::<Value> of a 1 MB PaginatedUsersResponse
//! profile map-root N      # Operation::map_response (`result: $.`) of the same bytes
//! profile map-ids N       # Operation::map_response (`$.users[*].user_id`) of the same bytes
//! ```
//!
//! Instructions per operation are `(Ir(N) − Ir(0)) / N` (see tools/profile.sh, which runs
//! `valgrind --tool=callgrind` at N = 0 and N > 0). For `call`/`hand` the client runs on the
//! main thread (a current-thread tokio runtime) and the server on its own thread, so
//! `--separate-threads=yes` gives the client's instructions alone.
//!
//! With `TARGET=http://IP:PORT` in the environment, `call` and `hand` go to that server (an
//! external nginx, tools/nginx.sh) instead of the in-process one.
//!
//! Without a mode it prints wall-clock ns per operation for each mode.

use std::hint::black_box;
use std::time::Instant;

use serde_json::{json, Value};

use naftiko_loadgen::{data, server};

const OP: &str = "get_user_v2_user__user_id__get";
const UID: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
const SPEC: &str = "specs/vital/users.yaml";

fn runtime(base: Option<&str>) -> naftiko::Runtime {
    let cap = naftiko::Capability::from_path(SPEC).expect("run from the repository root");
    let mut b = naftiko::Runtime::builder(cap).env([("VITAL_API_KEY", "sk_bench")]);
    if let Some(base) = base {
        b = b.base_uri("users", base);
    }
    b.build().expect("runtime")
}

fn all_cases() -> Vec<(&'static str, Value)> {
    // The same representative arguments as benches/prepare.rs.
    let u = UID;
    vec![
        (
            "get_teams_users_v2_user_get",
            json!({"offset": 0, "limit": 100}),
        ),
        (
            "create_user_v2_user_post",
            json!({"body": {"client_user_id": "client-user-42", "fallback_time_zone": "Europe/London", "fallback_birth_date": "1990-01-01"}}),
        ),
        (
            "deregister_provider_v2_user__user_id___provider__delete",
            json!({"user_id": u, "provider": "oura"}),
        ),
        (
            "patch_user_v2_user__user_id__patch",
            json!({"user_id": u, "body": {"fallback_time_zone": "Europe/Paris"}}),
        ),
        (
            "delete_user_v2_user__user_id__delete",
            json!({"user_id": u}),
        ),
        ("get_user_v2_user__user_id__get", json!({"user_id": u})),
        ("get_teams_metrics_v2_user_metrics_get", json!({})),
        (
            "get_connected_providers_v2_user_providers__user_id__get",
            json!({"user_id": u}),
        ),
        (
            "get_user_demographcis_v2_user__user_id__info_latest_get",
            json!({"user_id": u}),
        ),
        (
            "create_insurance_v2_user__user_id__insurance_post",
            json!({"user_id": u, "body": {"payor_code": "AETNA", "member_id": "W123456789", "relationship": "Self", "is_primary": true, "insured": {"first_name": "Ada", "last_name": "Lovelace", "gender": "female", "dob": "1990-01-01"}}}),
        ),
        (
            "get_latest_insurance_v2_user__user_id__insurance_latest_get",
            json!({"user_id": u, "is_primary": true}),
        ),
        (
            "create_user_demographics_v2_user__user_id__info_patch",
            json!({"user_id": u, "body": {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "phone_number": "+15555550100"}}),
        ),
        (
            "get_user_by_client_user_id_v2_user_resolve__client_user_id__get",
            json!({"client_user_id": "client-user-42"}),
        ),
        (
            "undo_user_delete_v2_user_undo_delete_post",
            json!({"user_id": u}),
        ),
        (
            "refresh_user_id_v2_user_refresh__user_id__post",
            json!({"user_id": u, "timeout": 10}),
        ),
        (
            "get_user_devices_v2_user__user_id__device_get",
            json!({"user_id": u}),
        ),
        (
            "get_user_device_v2_user__user_id__device__device_id__get",
            json!({"user_id": u, "device_id": "dev-1"}),
        ),
        (
            "get_user_sign_in_token_v2_user__user_id__sign_in_token_post",
            json!({"user_id": u}),
        ),
        (
            "create_user_portal_url_v2_user__user_id__create_portal_url_post",
            json!({"user_id": u, "body": {"context": "connect", "order_id": "ord-1"}}),
        ),
    ]
}

/// One call first, so N = 0 includes connection set-up and the client's lazy
/// initialisation; then `n` calls, timed.
async fn repeat<F: std::future::Future<Output = ()>>(n: usize, mut one: impl FnMut() -> F) -> f64 {
    one().await;
    let t = Instant::now();
    for _ in 0..n {
        one().await;
    }
    t.elapsed().as_nanos() as f64 / n.max(1) as f64
}

/// The hand-written reqwest call.
async fn hand_once(hand: &reqwest::Client, base: &str) {
    let r = hand
        .get(format!("{base}/v2/user/{UID}"))
        .header("x-vital-api-key", "sk_bench")
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .unwrap();
    let b = r.bytes().await.unwrap();
    black_box(serde_json::from_slice::<Value>(&b).unwrap());
}

type HyperClient = hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    http_body_util::Empty<bytes::Bytes>,
>;
async fn hyper_once(c: &HyperClient, base: &str) {
    use http_body_util::BodyExt;
    let req = hyper::Request::get(format!("{base}/v2/user/{UID}"))
        .header("x-vital-api-key", "sk_bench")
        .header("user-agent", concat!("naftiko/", env!("CARGO_PKG_VERSION")))
        .header("accept", "*/*")
        .body(http_body_util::Empty::new())
        .unwrap();
    let r = c.request(req).await.unwrap();
    assert!(r.status().is_success());
    let b = r.into_body().collect().await.unwrap().to_bytes();
    black_box(serde_json::from_slice::<Value>(&b).unwrap());
}

/// `Runtime::call` with `json!` arguments, as the README shows it.
async fn call_once(rt: &naftiko::Runtime) {
    black_box(rt.call(OP, json!({ "user_id": UID })).await.unwrap());
}

/// `Runtime::call_args`: the arguments as name/value pairs.
async fn call_args_once(rt: &naftiko::Runtime) {
    let args = [("user_id", Value::from(UID))];
    black_box(rt.call_args(OP, &args).await.unwrap());
}

fn run(mode: &str, n: usize) -> f64 {
    match mode {
        "load" => {
            let t = Instant::now();
            for _ in 0..n {
                black_box(naftiko::Capability::from_path(black_box(SPEC)).unwrap());
            }
            t.elapsed().as_nanos() as f64 / n.max(1) as f64
        }
        "prepare" => {
            let rt = runtime(None);
            let t = Instant::now();
            for _ in 0..n {
                black_box(
                    rt.prepare(black_box(OP), json!({ "user_id": UID }))
                        .unwrap(),
                );
            }
            t.elapsed().as_nanos() as f64 / n.max(1) as f64
        }
        "prepare-all" => {
            let rt = runtime(None);
            let cases = all_cases();
            let t = Instant::now();
            for _ in 0..n {
                for (op, args) in &cases {
                    black_box(rt.prepare(black_box(op), args.clone()).unwrap());
                }
            }
            t.elapsed().as_nanos() as f64 / (n.max(1) * cases.len()) as f64
        }
        "call" | "call-args" | "hand" | "hand-hyper" => {
            // `TARGET=http://IP:PORT` (tools/nginx.sh): an external server; otherwise the
            // loopback server on a thread of its own.
            let base = match std::env::var("TARGET") {
                Ok(url) if !url.is_empty() => url.trim_end_matches('/').to_string(),
                _ => format!("http://{}", server::start_server(0, None)),
            };
            let _ = rustls::crypto::ring::default_provider().install_default();
            let rt = runtime(Some(&base));
            let hand = reqwest::Client::builder()
                .user_agent(concat!("naftiko/", env!("CARGO_PKG_VERSION")))
                .build()
                .unwrap();
            let tokio_rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            // Each mode its own future (one shared async block would make every mode's
            // state as large as the largest, and the copies of it count too).
            tokio_rt.block_on(async {
                match mode {
                    "hand" => repeat(n, || hand_once(&hand, &base)).await,
                    "hand-hyper" => {
                        let mut conn = hyper_util::client::legacy::connect::HttpConnector::new();
                        conn.set_nodelay(true);
                        let c: HyperClient = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build(conn);
                        repeat(n, || hyper_once(&c, &base)).await
                    }
                    "call-args" => repeat(n, || call_args_once(&rt)).await,
                    _ => repeat(n, || call_once(&rt)).await,
                }
            })
        }
        "decode" | "map-root" | "map-ids" => {
            let body = data::paginated_users(1 << 20);
            let users = naftiko::Capability::from_path(SPEC).unwrap();
            let ids = naftiko::Capability::from_str_named(data::IDS_SPEC, "ids.yaml", None).unwrap();
            let op = match mode {
                "map-root" => users.operation("get_teams_users_v2_user_get").unwrap(),
                _ => ids.operation("user_ids").unwrap(),
            };
            let t = Instant::now();
            for _ in 0..n {
                if mode == "decode" {
                    black_box(serde_json::from_slice::<Value>(black_box(&body)).unwrap());
                } else {
                    black_box(op.map_response(black_box(&body)).unwrap());
                }
            }
            t.elapsed().as_nanos() as f64 / n.max(1) as f64
        }
        other => panic!("unknown mode {other}: load, prepare, prepare-all, call, call-args, hand, decode, map-root, map-ids"),
    }
}

fn main() {
    let _ = std::env::set_current_dir(naftiko_loadgen::repo_root());
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    match args.as_slice() {
        [mode, n] => {
            let ns = run(mode, n.parse().expect("N"));
            eprintln!("{mode}: {ns:.0} ns/op (wall clock)");
        }
        _ => {
            for (mode, n) in [
                ("load", 200),
                ("prepare", 100_000),
                ("prepare-all", 5_000),
                ("call", 3_000),
                ("hand", 3_000),
            ] {
                run(mode, 10.min(n)); // warm caches
                let ns = run(mode, n);
                println!("profile/{mode}: {ns:.0} ns/op over {n} (wall clock, one thread)");
            }
        }
    }
}
