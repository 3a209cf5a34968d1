//! End-to-end throughput, memory under load and the loopback server for the peer benchmarks
//! (BENCHMARKS.md §§ 4, 6, 7, 8):
//!
//! ```text
//! cargo run --release -p naftiko-loadgen                      # full suite, in-process server
//! cargo run --release -p naftiko-loadgen -- --quick           # 5 pairs, 0.5 s windows (smoke run)
//! cargo run --release -p naftiko-loadgen -- --url http://127.0.0.1:18080 --peers target/bench-results/peers.jsonl --svg docs/throughput.svg
//! cargo run --release -p naftiko-loadgen -- --serve 18080     # only the server (for tools/peers), until killed
//! cargo run --release -p naftiko-loadgen -- --get URL,URL      # plain GETs, ratios to the last URL (tools/restbench.sh)
//! cargo run --release -p naftiko-loadgen -- --mcp 'runtime=runtime=URL;ours=http://…/mcp'  # MCP tools/call runs (tools/mcpbench.sh)
//! cargo run --release -p naftiko-loadgen -- --burst 1000 --pid PID --get URL  # peak RSS of PID, 1 000 requests in flight
//! cargo run --release -p naftiko-loadgen -- --oneshot URL     # one hand-written reqwest call, then exit (tools/cli.sh)
//! ```
//!
//! What it does (default run):
//! 1. Starts the server (unless `--url`): raw tokio HTTP/1.1 on 127.0.0.1, one thread of its own
//!    (a current-thread runtime), keep-alive, pre-built response bytes: `GET /v2/user/{id}` →
//!    200 with `tools/peers/user.json` (574 bytes). `GET /__stats` → `{"requests":N,"cpu_ns":N}`
//!    (the server thread's own CPU time, from `/proc/thread-self/schedstat`).
//! 2. Checks that the runtime and the hand-written client send byte-identical requests (one
//!    request each to a capture socket).
//! 3. Measures the server ceiling with a raw client (pre-built request bytes, `read_exact` of the
//!    known response length) and the server's CPU per request, to show it is not the bottleneck.
//! 4. For each concurrency (1, 4, 16, 64, 256): interleaved pairs of closed-loop runs of
//!    `rt.call("get_user_v2_user__user_id__get", {"user_id": …})` and of a hand-written reqwest
//!    client (same URL, same `x-vital-api-key` header, same user agent, body decoded into a
//!    `serde_json::Value`); the order alternates within each pair. Reports the median of the
//!    per-pair ratios (ours ÷ hand-written) and, at concurrency 1, the median per-call overhead
//!    `1/ours − 1/hand`.
//! 5. Memory under load: for each client, a child process (`--mem-child`) makes 1 000 calls at
//!    once against a second server that delays every response by 200 ms, and reports VmHWM
//!    (peak RSS) from `/proc/self/status` before and after.
//! 6. Writes `target/bench-results/e2e.json` (or `--out`) and, with `--svg`, the chart.
//!
//! Options: see [`args::Args`].

mod args;
mod burst;
mod chart;
mod clients;
mod get;
mod mcp;
mod memory;
mod suite;

use std::time::Duration;

use naftiko_loadgen::server::start_server;
use serde_json::Value;

use args::Args;
use clients::{hand_client, Kind, KEY, UID};

fn main() {
    let _ = std::env::set_current_dir(naftiko_loadgen::repo_root());
    let a = args::parse();
    // Every mode builds reqwest clients, which need a rustls provider (reqwest is built
    // without a default one); `--get`, `--mcp` and `--burst` build theirs directly.
    clients::install_crypto();
    if let Some(port) = a.serve {
        serve(port, a.delay_ms);
    }
    if let Some(n) = a.burst {
        burst_mode(&a, n);
    } else if !a.mcp.is_empty() {
        mcp::run(&a.mcp, &a);
    } else if !a.get.is_empty() {
        get::run(&a.get, &a);
    } else if let Some(url) = &a.oneshot {
        oneshot(url);
    } else if let Some(kind) = &a.mem_child {
        memory::child(
            Kind::from_name(kind),
            a.url.as_deref().expect("--url"),
            a.in_flight,
        );
    } else if let Some(kind) = &a.curve_child {
        memory::curve_child(Kind::from_name(kind), a.url.as_deref().expect("--url"), &a);
    } else if let Some(results) = &a.chart_only {
        chart_only(results, &a);
    } else {
        suite::run_all(&a);
    }
}

/// `--serve PORT`: only the server, until killed.
fn serve(port: u16, delay_ms: u64) -> ! {
    let delay = (delay_ms > 0).then(|| Duration::from_millis(delay_ms));
    let addr = start_server(port, delay);
    println!("serving GET /v2/user/{{id}} on http://{addr} (delay {delay_ms} ms); Ctrl-C to stop");
    loop {
        std::thread::park();
    }
}

/// `--burst N --pid PID` with `--get URL` or `--mcp NAME=URL`.
fn burst_mode(a: &Args, n: usize) {
    let pid = a.pid.expect("--burst needs --pid PID");
    match (a.get.first(), a.mcp.first()) {
        (Some(url), None) => burst::run("get", url, None, n, pid),
        (None, Some((name, url))) => {
            let (label, tool) = name.split_once('@').unwrap_or((name, &a.tool));
            burst::run(label, url, Some(tool), n, pid)
        }
        _ => panic!("--burst needs one --get URL or one --mcp NAME=URL"),
    }
}

/// `--oneshot URL`: one hand-written reqwest call in a fresh process, the per-process
/// baseline of tools/cli.sh (client built with defaults, as a one-shot tool would).
fn oneshot(url: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = hand_client();
        let body = client
            .get(format!("{}/v2/user/{UID}", url.trim_end_matches('/')))
            .header("x-vital-api-key", KEY)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .expect("request")
            .bytes()
            .await
            .expect("body");
        let v: Value = serde_json::from_slice(&body).expect("json");
        println!("{v}");
    });
}

/// `--chart-only RESULTS`: the chart from an earlier run's results.
fn chart_only(results: &str, a: &Args) {
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(results).expect("results json")).unwrap();
    let peers = a.peers.as_deref().map(args::read_jsonl).unwrap_or_default();
    chart::write(
        &v,
        &peers,
        a.svg.as_deref().unwrap_or("docs/throughput.svg"),
    );
}
