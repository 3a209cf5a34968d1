//! Cost curves (BENCHMARKS.md "Cost curves", plotted by tools/curves.sh into docs/):
//!
//! ```text
//! naftiko-curves load   # every capability in specs/ and tests/fixtures/corpus/: size, load time, memory
//! naftiko-curves map    # a PaginatedUsersResponse of 1 KB … 100 MB: from_slice vs map_response, peak memory
//! naftiko-curves mcp URL  # (feature `mcp`) tools/list (all pages) and tools/call vs Runtime::call, 1 … 2000 tools
//! ```
//!
//! Each mode prints JSON lines on stdout. Memory is counted by this binary's global
//! allocator (bytes requested from malloc, live and peak), so it is exact and independent of
//! the machine's load; times are the thread's CPU time per run over repeated runs (not wall
//! clock: the machine is shared, and a long run's wall time is mostly other processes').

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use naftiko_loadgen::data;

/// The system allocator, counting live and peak bytes.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(n: usize) {
    let live = LIVE.fetch_add(n, Relaxed) + n;
    PEAK.fetch_max(live, Relaxed);
}

// SAFETY: every call is forwarded to `System` unchanged; only counters are updated.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        grew(l.size());
        System.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Relaxed);
        System.dealloc(p, l)
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        grew(l.size());
        System.alloc_zeroed(l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        if new >= l.size() {
            grew(new - l.size());
        } else {
            LIVE.fetch_sub(l.size() - new, Relaxed);
        }
        System.realloc(p, l, new)
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Runs `f` once and returns (what it returned, peak bytes above the live bytes at the start,
/// bytes still live afterwards that were not before).
fn measured<T>(f: impl FnOnce() -> T) -> (T, usize, isize) {
    let before = LIVE.load(Relaxed);
    PEAK.store(before, Relaxed);
    let out = f();
    let peak = PEAK.load(Relaxed) - before;
    let kept = LIVE.load(Relaxed) as isize - before as isize;
    (out, peak, kept)
}

/// CPU time of the calling thread (ns), from the kernel's scheduler statistics.
fn thread_cpu_ns() -> u64 {
    naftiko_loadgen::server::thread_cpu_ns()
}

/// Time per run of `f`, repeated until about `budget` has passed (at least 3 runs): the
/// thread's CPU time over all runs divided by the runs, so time the scheduler gave to other
/// processes (this machine is shared) is not counted, as a wall-clock median would for runs
/// longer than a time slice.
fn cpu_per_run(budget: Duration, mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    let cpu0 = thread_cpu_ns();
    let mut runs = 0u32;
    while runs < 3 || (start.elapsed() < budget && runs < 2000) {
        f();
        runs += 1;
    }
    Duration::from_nanos((thread_cpu_ns() - cpu0) / u64::from(runs))
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if matches!(p.extension().and_then(|x| x.to_str()), Some("yaml" | "yml")) {
            out.push(p);
        }
    }
}

/// `load`: one line per capability file that loads.
fn load_curve() {
    let mut files = Vec::new();
    yaml_files(Path::new("specs"), &mut files);
    yaml_files(Path::new("tests/fixtures/corpus"), &mut files);
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let name = path.display().to_string();
        let (cap, peak, kept) = measured(|| naftiko::Capability::from_path(&path));
        let Ok(cap) = cap else {
            eprintln!("[curves] {name}: does not load, skipped");
            continue;
        };
        let operations = cap.operations().len();
        drop(cap);
        let load = cpu_per_run(Duration::from_millis(150), || {
            black_box(naftiko::Capability::from_path(black_box(&path)).ok());
        });
        // The limit to compare with: serde_json parsing the same document as JSON.
        let as_json = naftiko::__bench::parse_tree(&text)
            .ok()
            .and_then(|t| serde_json::to_string(&t.to_json()).ok());
        let json_parse = as_json.as_ref().map(|j| {
            cpu_per_run(Duration::from_millis(50), || {
                black_box(serde_json::from_str::<Value>(black_box(j)).ok());
            })
        });
        println!(
            "{}",
            json!({"file": name, "bytes": text.len(), "lines": text.lines().count(),
                "operations": operations, "load_us": load.as_secs_f64() * 1e6,
                "json_parse_us": json_parse.map(|d| d.as_secs_f64() * 1e6),
                "peak_bytes": peak, "retained_bytes": kept})
        );
    }
}

/// `map`: one line per body size.
fn map_curve() {
    let users = naftiko::Capability::from_path("specs/vital/users.yaml").expect("users.yaml");
    let ids = naftiko::Capability::from_str_named(data::IDS_SPEC, "ids.yaml", None).expect("ids");
    let root = users.operation("get_teams_users_v2_user_get").expect("op");
    let ids = ids.operation("user_ids").expect("op");
    for kb in [1usize, 10, 100, 1_000, 10_000, 100_000] {
        let body = data::paginated_users(kb * 1000);
        let budget = Duration::from_millis(if kb >= 10_000 { 1 } else { 300 });
        let decode = cpu_per_run(budget, || {
            black_box(serde_json::from_slice::<Value>(black_box(&body)).ok());
        });
        let map_root = cpu_per_run(budget, || {
            black_box(root.map_response(black_box(&body)).ok());
        });
        let map_ids = cpu_per_run(budget, || {
            black_box(ids.map_response(black_box(&body)).ok());
        });
        let (_, decode_peak, _) =
            measured(|| drop(black_box(serde_json::from_slice::<Value>(&body))));
        let (_, root_peak, _) = measured(|| drop(black_box(root.map_response(&body))));
        let (_, ids_peak, _) = measured(|| drop(black_box(ids.map_response(&body))));
        let row = json!({"bytes": body.len(),
            "from_slice_us": decode.as_secs_f64() * 1e6, "map_root_us": map_root.as_secs_f64() * 1e6,
            "map_ids_us": map_ids.as_secs_f64() * 1e6,
            "from_slice_peak_bytes": decode_peak, "map_root_peak_bytes": root_peak,
            "map_ids_peak_bytes": ids_peak});
        eprintln!("[curves] map {row}");
        println!("{row}");
    }
}

fn main() {
    let _ = std::env::set_current_dir(naftiko_loadgen::repo_root());
    match std::env::args().nth(1).as_deref() {
        Some("load") => load_curve(),
        Some("map") => map_curve(),
        #[cfg(feature = "mcp")]
        Some("mcp") => mcp::curve(&std::env::args().nth(2).expect("mcp URL (tools/nginx.sh)")),
        _ => {
            eprintln!("usage: naftiko-curves load|map|mcp URL (mcp needs --features mcp)");
            std::process::exit(2);
        }
    }
}

/// The MCP curve: a generated capability of N operations (all `GET /v2/user/{id}` of the
/// server at URL), served by `McpServer` over streamable HTTP on 127.0.0.1 (the plain JSON
/// POSTs of benches/mcp.rs), against the same operation through `Runtime::call`.
#[cfg(feature = "mcp")]
mod mcp {
    use super::*;

    fn capability(n: usize, url: &str) -> naftiko::Capability {
        let mut ops = String::new();
        for i in 0..n {
            ops.push_str(&format!(
                "      - name: get_user_{i}\n        description: Get user number {i} (a generated tool).\n        method: GET\n        outputRawFormat: json\n"
            ));
        }
        let text = format!(
            "naftiko: 1.0.0-alpha2\ninfo:\n  label: mcp curve\ncapability:\n  consumes:\n  - type: http\n    namespace: curve\n    baseUri: {url}\n    resources:\n    - name: user\n      path: /v2/user/3fa85f64-5717-4562-b3fc-2c963f66afa6\n      operations:\n{ops}"
        );
        naftiko::Capability::from_str_named(&text, "curve.yaml", None)
            .expect("generated capability")
    }

    async fn post(client: &reqwest::Client, url: &str, body: &Value) -> Value {
        let r = client
            .post(url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(body.to_string())
            .send()
            .await
            .expect("MCP answered");
        let bytes = r.bytes().await.expect("body");
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    }

    /// Every page of tools/list; the number of tools seen.
    async fn list_all(client: &reqwest::Client, url: &str) -> (usize, usize) {
        let (mut tools, mut pages, mut cursor) = (0, 0, None::<String>);
        loop {
            let params = match &cursor {
                Some(c) => json!({"cursor": c}),
                None => json!({}),
            };
            let v = post(
                client,
                url,
                &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": params}),
            )
            .await;
            pages += 1;
            tools += v["result"]["tools"].as_array().map_or(0, Vec::len);
            match v["result"]["nextCursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => return (tools, pages),
            }
        }
    }

    async fn median_async<F: std::future::Future<Output = ()>>(
        k: usize,
        mut f: impl FnMut() -> F,
    ) -> f64 {
        let mut t = Vec::with_capacity(k);
        for _ in 0..k {
            let s = Instant::now();
            f().await;
            t.push(s.elapsed().as_secs_f64() * 1e6);
        }
        t.sort_by(f64::total_cmp);
        t[t.len() / 2]
    }

    pub fn curve(upstream: &str) {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("tokio");
        rt.block_on(async {
            let client = reqwest::Client::new();
            for n in [1usize, 10, 100, 250, 500, 1000, 2000] {
                let cap = capability(n, upstream);
                let direct = naftiko::Runtime::builder(cap.clone()).build().expect("runtime");
                let (server, build_peak, _) = measured(|| {
                    naftiko::McpServer::new(naftiko::Runtime::builder(cap).build().expect("runtime"), naftiko::McpOptions::default())
                });
                let server = server.expect("served");
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
                let url = format!("http://{}/mcp", listener.local_addr().expect("addr"));
                let router = server.router(Default::default());
                let task = tokio::spawn(async move { axum::serve(listener, router).await });
                let (tools, pages) = list_all(&client, &url).await;
                let k = if n >= 1000 { 30 } else { 100 };
                let list_all_us = median_async(k, || async { black_box(list_all(&client, &url).await); }).await;
                let first = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}});
                let list_page_us = median_async(k, || async { black_box(post(&client, &url, &first).await); }).await;
                let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "get_user_0", "arguments": {}}});
                let ok = post(&client, &url, &call).await;
                assert!(ok["result"].is_object(), "tools/call answered {ok}");
                let tools_call_us = median_async(500, || async { black_box(post(&client, &url, &call).await); }).await;
                let runtime_call_us = median_async(500, || async { black_box(direct.call("get_user_0", json!({})).await.ok()); }).await;
                let row = json!({"tools": n, "listed": tools, "pages": pages, "list_all_us": list_all_us,
                    "list_first_page_us": list_page_us, "tools_call_us": tools_call_us,
                    "runtime_call_us": runtime_call_us, "server_build_peak_bytes": build_peak});
                eprintln!("[curves] mcp {row}");
                println!("{row}");
                task.abort();
            }
        });
    }
}
