//! The cost of the MCP layer (BENCHMARKS.md § MCP): one `tools/call` over streamable HTTP
//! (a plain JSON POST to the in-process `McpServer::router` on 127.0.0.1, as upstream's
//! checks and scripts send it) against the same operation through `Runtime::call` directly,
//! both calling the shared loopback upstream (`GET /v2/user/{id}`, 596-byte body).
//! Target: the MCP layer adds ≤ 50 µs per call at concurrency 1. `http_hop_only` is the
//! same POST answered by a fixed route: MCP layer = tools_call − runtime_call − hop.
//!
//! `cargo bench --bench mcp`

#[path = "../tools/loadgen/src/server.rs"]
#[allow(dead_code)] // shared with the load driver, which uses all of it
mod server;

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;

const OP: &str = "get_user_v2_user__user_id__get";

fn runtime(upstream: std::net::SocketAddr) -> naftiko::Runtime {
    let cap = naftiko::Capability::from_path("specs/vital/users.yaml").expect("the seed loads");
    naftiko::Runtime::builder(cap)
        .env([("VITAL_API_KEY", "sk_bench")])
        .base_uri("users", format!("http://{upstream}"))
        .build()
        .expect("runtime")
}

fn bench(c: &mut Criterion) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let upstream = server::start_server(0, None);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio");
    let direct = runtime(upstream);
    let mcp = naftiko::McpServer::new(runtime(upstream), naftiko::McpOptions::default())
        .expect("the seed is served");
    let url = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        // `/hop` answers a fixed JSON-RPC result: the cost of the extra loopback HTTP exchange
        // alone, which any MCP-over-HTTP server pays; the MCP layer is the rest.
        let router = mcp.router(Default::default()).route(
            "/hop",
            axum::routing::post(|| async { r#"{"jsonrpc":"2.0","id":1,"result":{}}"# }),
        );
        tokio::spawn(async move { axum::serve(listener, router).await });
        format!("http://{addr}/mcp")
    });
    let client = reqwest::Client::new();
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": OP, "arguments": {"user_id": "u-1"}}})
    .to_string();

    let mut g = c.benchmark_group("mcp");
    g.measurement_time(Duration::from_secs(5));
    g.bench_function("runtime_call", |b| {
        b.to_async(&rt).iter(|| async {
            direct
                .call(OP, json!({"user_id": "u-1"}))
                .await
                .expect("call")
        })
    });
    let hop = url.replace("/mcp", "/hop");
    g.bench_function("http_hop_only", |b| {
        b.to_async(&rt).iter(|| async {
            let r = client
                .post(&hop)
                .body(body.clone())
                .send()
                .await
                .expect("answered");
            r.bytes().await.expect("body")
        })
    });
    g.bench_function("mcp_http_tools_call", |b| {
        b.to_async(&rt).iter(|| async {
            let r = client
                .post(&url)
                .header("content-type", "application/json")
                .header("accept", "application/json, text/event-stream")
                .body(body.clone())
                .send()
                .await
                .expect("answered");
            assert_eq!(r.status(), 200);
            r.bytes().await.expect("body")
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
