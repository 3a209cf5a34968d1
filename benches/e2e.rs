//! End-to-end throughput, memory under load and the loopback server for the peer benchmarks
//! (BENCHMARKS.md §§ 4, 6, 7, 8). A `harness = false` bench target:
//!
//! ```text
//! cargo bench --bench e2e                        # full suite, in-process server
//! cargo bench --bench e2e -- --quick             # 5 pairs, 0.5 s windows (smoke run)
//! cargo bench --bench e2e -- --url http://127.0.0.1:18080 --peers target/bench-results/peers.jsonl --svg docs/throughput.svg
//! cargo bench --bench e2e -- --serve 18080       # only the server (for bench/peers), until killed
//! cargo bench --bench e2e -- --oneshot URL       # one hand-written reqwest call, then exit (bench/cli.sh)
//! ```
//!
//! What it does (default run):
//! 1. Starts the server (unless `--url`): raw tokio HTTP/1.1 on 127.0.0.1, one thread of its own
//!    (a current-thread runtime), keep-alive, pre-built response bytes: `GET /v2/user/{id}` →
//!    200 with `bench/peers/user.json` (574 bytes). `GET /__stats` → `{"requests":N,"cpu_ns":N}`
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
//! Options: `--pairs N` (15, at concurrency 1 and 64), `--pairs-chart N` (5, at 4, 16, 256),
//! `--secs S` (1.0 measured seconds per run), `--warmup S` (0.2), `--conc 1,4,16,64,256`,
//! `--url URL` (use a running server), `--no-mem`, `--in-flight N` (1000), `--peers FILE`
//! (JSON lines from bench/peers scripts, for the chart), `--svg PATH`, `--out PATH`, `--quick`,
//! `--control` (also run reqwest-vs-reqwest pairs at 1 and 64: the noise floor of the ratio).

use std::hint::black_box;
use std::io::{Read as _, Write as _};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const OP: &str = "get_user_v2_user__user_id__get";
const UID: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
const KEY: &str = "sk_bench";
const USER_AGENT: &str = concat!("naftiko/", env!("CARGO_PKG_VERSION"));

#[path = "support/server.rs"]
mod server;
use server::{head_end, ok_response, server_stats, start_server};

// ------------------------------------------------------------------------------------------
// The clients
// ------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// `naftiko::Runtime::call`.
    Ours,
    /// A hand-written reqwest client.
    Hand,
    /// Pre-built request bytes on a raw socket (server ceiling).
    Raw,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Ours => "naftiko",
            Kind::Hand => "reqwest",
            Kind::Raw => "raw",
        }
    }
}

struct Clients {
    rt: naftiko::Runtime,
    hand: reqwest::Client,
    base: String,
    addr: SocketAddr,
    raw_request: Vec<u8>,
    raw_response_len: usize,
}

fn install_crypto() {
    // reqwest is built without a default rustls provider; the runtime installs ring on first
    // use, and the hand-written client needs one too (plain-http requests never use it).
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn hand_client() -> reqwest::Client {
    install_crypto();
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .build()
        .expect("reqwest client")
}

fn runtime(base: &str) -> naftiko::Runtime {
    let cap =
        naftiko::Capability::from_path("specs/vital/users.yaml").expect("run from the crate root");
    naftiko::Runtime::builder(cap)
        .base_uri("users", base)
        .env([("VITAL_API_KEY", KEY)])
        .build()
        .expect("runtime")
}

impl Clients {
    fn new(base: &str) -> Clients {
        let addr: SocketAddr = base
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .expect("--url must be http://IP:PORT");
        Clients {
            rt: runtime(base),
            hand: hand_client(),
            base: base.trim_end_matches('/').to_string(),
            addr,
            raw_request: format!(
                "GET /v2/user/{UID} HTTP/1.1\r\nhost: {addr}\r\nx-vital-api-key: {KEY}\r\n\r\n"
            )
            .into_bytes(),
            raw_response_len: ok_response().len(),
        }
    }

    async fn ours(&self) -> Result<(), String> {
        let out = self
            .rt
            .call(OP, json!({ "user_id": UID }))
            .await
            .map_err(|e| e.to_string())?;
        black_box(out);
        Ok(())
    }

    /// What a developer would write by hand for the same call.
    async fn hand(&self) -> Result<(), String> {
        let response = self
            .hand
            .get(format!("{}/v2/user/{}", self.base, UID))
            .header("x-vital-api-key", KEY)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| e.to_string())?;
        let bytes = response.bytes().await.map_err(|e| e.to_string())?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
        black_box(value);
        Ok(())
    }

    async fn raw(&self, conn: &mut Option<TcpStream>, buf: &mut Vec<u8>) -> Result<(), String> {
        if conn.is_none() {
            let s = TcpStream::connect(self.addr)
                .await
                .map_err(|e| e.to_string())?;
            s.set_nodelay(true).map_err(|e| e.to_string())?;
            *conn = Some(s);
        }
        let s = conn.as_mut().unwrap();
        buf.resize(self.raw_response_len, 0);
        let r = async {
            s.write_all(&self.raw_request).await?;
            s.read_exact(buf).await?;
            Ok::<_, std::io::Error>(())
        }
        .await;
        if let Err(e) = r {
            *conn = None;
            return Err(e.to_string());
        }
        if !buf.starts_with(b"HTTP/1.1 200") {
            *conn = None;
            return Err("unexpected response".into());
        }
        Ok(())
    }

    async fn once(&self, kind: Kind) -> Result<(), String> {
        match kind {
            Kind::Ours => self.ours().await,
            Kind::Hand => self.hand().await,
            Kind::Raw => self.raw(&mut None, &mut Vec::new()).await,
        }
    }
}

// ------------------------------------------------------------------------------------------
// Closed-loop runs
// ------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Run {
    rps: f64,
    errors: u64,
    /// Server CPU per answered request (µs) over the whole run (warm-up included).
    server_cpu_us_per_req: f64,
    /// Server CPU time ÷ wall time over the run (1.0 = one core saturated).
    server_busy: f64,
    /// CPU time of this process's client threads (the bench server's thread excluded) per
    /// request completed in the measured window, in µs. Much less sensitive than req/s to
    /// other processes competing for the 2 cores.
    client_cpu_us_per_req: f64,
}

/// CPU time (ns) of every thread of this process except the bench server's.
fn client_cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter(|t| {
            std::fs::read_to_string(t.path().join("comm"))
                .map_or(true, |c| c.trim() != "bench-server")
        })
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| {
            s.split_whitespace()
                .next()
                .and_then(|f| f.parse::<u64>().ok())
        })
        .sum()
}

async fn worker(
    kind: Kind,
    c: Arc<Clients>,
    start: Instant,
    end: Instant,
) -> (u64, u64, Option<String>) {
    let (mut n, mut e, mut first) = (0u64, 0u64, None);
    let mut conn = None;
    let mut buf = Vec::new();
    loop {
        let r = match kind {
            Kind::Ours => c.ours().await,
            Kind::Hand => c.hand().await,
            Kind::Raw => c.raw(&mut conn, &mut buf).await,
        };
        let t = Instant::now();
        if t >= end {
            return (n, e, first);
        }
        if t >= start {
            match r {
                Ok(()) => n += 1,
                Err(msg) => {
                    e += 1;
                    first.get_or_insert(msg);
                }
            }
        }
    }
}

async fn run(kind: Kind, c: &Arc<Clients>, conc: usize, warmup: Duration, secs: Duration) -> Run {
    let (req0, cpu0) = server_stats(c.addr).await;
    let t0 = Instant::now();
    let start = t0 + warmup;
    let end = start + secs;
    let handles: Vec<_> = (0..conc)
        .map(|_| tokio::spawn(worker(kind, c.clone(), start, end)))
        .collect();
    let cpu = tokio::spawn(async move {
        tokio::time::sleep_until(start.into()).await;
        let a = client_cpu_ns();
        tokio::time::sleep_until(end.into()).await;
        client_cpu_ns().saturating_sub(a)
    });
    let (mut n, mut e, mut first) = (0, 0, None);
    for h in handles {
        let (a, b, f) = h.await.expect("worker panicked");
        n += a;
        e += b;
        if first.is_none() {
            first = f;
        }
    }
    let wall = t0.elapsed();
    let client_cpu = cpu.await.unwrap_or(0);
    let (req1, cpu1) = server_stats(c.addr).await;
    if let Some(f) = first {
        eprintln!("[e2e] {} c={conc}: {e} error(s), first: {f}", kind.name());
    }
    let served = req1.saturating_sub(req0).max(1);
    Run {
        rps: n as f64 / secs.as_secs_f64(),
        errors: e,
        server_cpu_us_per_req: cpu1.saturating_sub(cpu0) as f64 / 1000.0 / served as f64,
        server_busy: cpu1.saturating_sub(cpu0) as f64 / wall.as_nanos() as f64,
        client_cpu_us_per_req: client_cpu as f64 / 1000.0 / n.max(1) as f64,
    }
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    if s.is_empty() {
        return f64::NAN;
    }
    let m = s.len() / 2;
    if s.len() % 2 == 1 {
        s[m]
    } else {
        (s[m - 1] + s[m]) / 2.0
    }
}

// ------------------------------------------------------------------------------------------
// Identical requests
// ------------------------------------------------------------------------------------------

/// Accepts `n` connections on a throw-away socket, returns each request head (host line
/// removed) and answers with the user body.
fn capture_heads(n: usize) -> (String, std::thread::JoinHandle<Vec<String>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let h = std::thread::spawn(move || {
        let mut heads = Vec::new();
        for _ in 0..n {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            while head_end(&buf).is_none() {
                let k = s.read(&mut chunk).unwrap();
                if k == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..k]);
            }
            let mut resp = ok_response();
            let at = resp.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
            resp.splice(at..at, b"\r\nconnection: close".iter().copied());
            s.write_all(&resp).unwrap();
            let text = String::from_utf8_lossy(&buf).into_owned();
            heads.push(
                text.lines()
                    .filter(|l| !l.to_ascii_lowercase().starts_with("host:"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
        }
        heads
    });
    (base, h)
}

async fn identical_requests() -> (bool, String, String) {
    let (base, h) = capture_heads(2);
    let c = Clients::new(&base);
    c.ours().await.expect("runtime call to the capture socket");
    c.hand()
        .await
        .expect("hand-written call to the capture socket");
    let heads = tokio::task::spawn_blocking(move || h.join().unwrap())
        .await
        .unwrap();
    (heads[0] == heads[1], heads[0].clone(), heads[1].clone())
}

// ------------------------------------------------------------------------------------------
// Memory under load
// ------------------------------------------------------------------------------------------

fn proc_status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

/// Child process: one client, `n` calls at once, VmHWM before and after.
fn mem_child(kind: Kind, url: &str, n: usize) {
    let tokio_rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    tokio_rt.block_on(async {
        let c = Arc::new(Clients::new(url));
        c.once(kind).await.expect("warm-up call");
        let hwm_before = proc_status_kb("VmHWM:");
        let rss_before = proc_status_kb("VmRSS:");
        let t = Instant::now();
        let handles: Vec<_> = (0..n)
            .map(|_| {
                let c = c.clone();
                tokio::spawn(async move { c.once(kind).await })
            })
            .collect();
        let mut ok = 0;
        let mut first_err = None;
        for h in handles {
            match h.await.unwrap() {
                Ok(()) => ok += 1,
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        let wall = t.elapsed();
        let hwm_after = proc_status_kb("VmHWM:");
        println!(
            "{}",
            json!({"client": kind.name(), "in_flight": n, "ok": ok, "first_error": first_err,
                   "wall_ms": wall.as_secs_f64() * 1e3, "rss_before_kb": rss_before, "hwm_before_kb": hwm_before,
                   "hwm_after_kb": hwm_after, "hwm_delta_kb": hwm_after.saturating_sub(hwm_before)})
        );
    });
}

fn memory_under_load(n: usize) -> Vec<Value> {
    let addr = start_server(0, Some(Duration::from_millis(200)));
    let url = format!("http://{addr}");
    let exe = std::env::current_exe().unwrap();
    [Kind::Ours, Kind::Hand]
        .iter()
        .filter_map(|k| {
            let out = std::process::Command::new(&exe)
                .args([
                    "--mem-child",
                    k.name(),
                    "--url",
                    &url,
                    "--in-flight",
                    &n.to_string(),
                ])
                .output()
                .ok()?;
            if !out.status.success() {
                eprintln!(
                    "[e2e] memory child {} failed: {}",
                    k.name(),
                    String::from_utf8_lossy(&out.stderr)
                );
                return None;
            }
            serde_json::from_slice(&out.stdout).ok()
        })
        .collect()
}

// ------------------------------------------------------------------------------------------
// The chart
// ------------------------------------------------------------------------------------------

struct Series {
    name: String,
    color: &'static str,
    dash: &'static str,
    points: Vec<(f64, f64)>,
}

fn svg_chart(series: &[Series], subtitle: &str) -> String {
    let (w, h) = (860.0, 480.0);
    let (left, right, top, bottom) = (80.0, 230.0, 60.0, 60.0);
    let pw = w - left - right;
    let ph = h - top - bottom;
    let xs = [1.0f64, 4.0, 16.0, 64.0, 256.0];
    let x_of = |c: f64| left + (c.log(4.0) / 4.0) * pw;
    let all: Vec<f64> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .filter(|v| *v > 0.0)
        .collect();
    let lo = all.iter().cloned().fold(f64::INFINITY, f64::min).max(1.0);
    let hi = all.iter().cloned().fold(0.0, f64::max).max(10.0);
    let dlo = lo.log10().floor();
    let dhi = hi.log10().ceil().max(dlo + 1.0);
    let y_of = |v: f64| top + ph - (v.max(1e-9).log10() - dlo) / (dhi - dlo) * ph;
    let mut s = String::new();
    s.push_str(&format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="{}" y="24" font-size="16" font-weight="bold" text-anchor="middle">GET /v2/user/{{id}} on loopback: requests per second vs concurrency</text>
<text x="{}" y="42" fill="#555" text-anchor="middle">{}</text>
"##,
        left + pw / 2.0,
        left + pw / 2.0,
        xml(subtitle)
    ));
    // Grid: decades and 2×, 5× lines.
    let mut d = dlo;
    while d <= dhi {
        for m in [1.0, 2.0, 5.0] {
            let v = 10f64.powf(d) * m;
            if v.log10() > dhi + 1e-9 {
                continue;
            }
            let y = y_of(v);
            let major = m == 1.0;
            s.push_str(&format!(
                r#"<line x1="{left}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="{}" stroke-width="1"/>
"#,
                left + pw,
                if major { "#ccc" } else { "#eee" }
            ));
            s.push_str(&format!(
                r#"<text x="{}" y="{:.1}" text-anchor="end" fill="{}">{}</text>
"#,
                left - 6.0,
                y + 4.0,
                if major { "#333" } else { "#888" },
                human(v)
            ));
        }
        d += 1.0;
    }
    for c in xs {
        let x = x_of(c);
        s.push_str(&format!(
            r##"<line x1="{x:.1}" y1="{top}" x2="{x:.1}" y2="{}" stroke="#eee"/><text x="{x:.1}" y="{}" text-anchor="middle">{c}</text>
"##,
            top + ph,
            top + ph + 18.0
        ));
    }
    s.push_str(&format!(
        r##"<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>
<text x="{}" y="{}" text-anchor="middle">concurrent requests in flight (log scale)</text>
<text transform="translate(20 {}) rotate(-90)" text-anchor="middle">requests per second (log scale)</text>
"##,
        left + pw / 2.0,
        h - 16.0,
        top + ph / 2.0
    ));
    for (i, se) in series.iter().enumerate() {
        let pts: Vec<String> = se
            .points
            .iter()
            .filter(|p| p.1 > 0.0)
            .map(|(c, v)| format!("{:.1},{:.1}", x_of(*c), y_of(*v)))
            .collect();
        if pts.is_empty() {
            continue;
        }
        s.push_str(&format!(
            r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2.5" stroke-dasharray="{}"/>
"#,
            pts.join(" "),
            se.color,
            se.dash
        ));
        for (c, v) in se.points.iter().filter(|p| p.1 > 0.0) {
            s.push_str(&format!(
                r#"<circle cx="{:.1}" cy="{:.1}" r="4" fill="{}"><title>{}: {} req/s at concurrency {}</title></circle>
"#,
                x_of(*c),
                y_of(*v),
                se.color,
                xml(&se.name),
                v.round(),
                c
            ));
        }
        let ly = top + 10.0 + i as f64 * 22.0;
        let lx = left + pw + 16.0;
        s.push_str(&format!(
            r#"<line x1="{lx}" y1="{ly}" x2="{}" y2="{ly}" stroke="{}" stroke-width="2.5" stroke-dasharray="{}"/><circle cx="{}" cy="{ly}" r="4" fill="{}"/><text x="{}" y="{}">{}</text>
"#,
            lx + 28.0,
            se.color,
            se.dash,
            lx + 14.0,
            se.color,
            lx + 34.0,
            ly + 4.0,
            xml(&se.name)
        ));
    }
    s.push_str("</svg>\n");
    s
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn human(v: f64) -> String {
    if v >= 1000.0 {
        format!("{}k", v / 1000.0)
    } else {
        format!("{v}")
    }
}

/// Median req/s per concurrency for one peer/mode from bench/peers JSON lines.
fn peer_points(lines: &[Value], peer: &str, mode: &str) -> Vec<(f64, f64)> {
    let mut by: std::collections::BTreeMap<u64, Vec<f64>> = Default::default();
    for l in lines {
        if l["peer"] == peer
            && l["mode"] == mode
            && l["errors"].as_u64() == Some(0)
            && l.get("shared_client").is_none()
        {
            if let (Some(c), Some(r)) = (l["concurrency"].as_u64(), l["req_per_s"].as_f64()) {
                by.entry(c).or_default().push(r);
            }
        }
    }
    by.into_iter()
        .map(|(c, v)| (c as f64, median(&v)))
        .collect()
}

fn write_chart(results: &Value, peers: &[Value], path: &str) {
    let ours: Vec<(f64, f64)> = results["throughput"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["concurrency"].as_f64().unwrap(),
                r["naftiko_rps_median"].as_f64().unwrap(),
            )
        })
        .collect();
    let hand: Vec<(f64, f64)> = results["throughput"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["concurrency"].as_f64().unwrap(),
                r["reqwest_rps_median"].as_f64().unwrap(),
            )
        })
        .collect();
    let mut series = vec![
        Series {
            name: "naftiko Runtime::call".into(),
            color: "#d62728",
            dash: "none",
            points: ours,
        },
        Series {
            name: "hand-written reqwest".into(),
            color: "#1f77b4",
            dash: "6 3",
            points: hand,
        },
    ];
    for (peer, mode, name, color, dash) in [
        (
            "python-sdk",
            "sync",
            "Python SDK, sync threads",
            "#2ca02c",
            "none",
        ),
        ("python-sdk", "async", "Python SDK, async", "#98df8a", "4 3"),
        ("node-sdk", "async", "Node SDK", "#9467bd", "2 3"),
    ] {
        let p = peer_points(peers, peer, mode);
        if !p.is_empty() {
            series.push(Series {
                name: name.into(),
                color,
                dash,
                points: p,
            });
        }
    }
    let subtitle = format!(
        "same loopback server, same session; {} cores; median of interleaved runs ({} s windows)",
        results["machine"]["cores"], results["config"]["secs"]
    );
    if let Some(dir) = std::path::Path::new(path).parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    std::fs::write(path, svg_chart(&series, &subtitle)).expect("write svg");
    eprintln!("[e2e] wrote {path}");
}

// ------------------------------------------------------------------------------------------
// Main
// ------------------------------------------------------------------------------------------

struct Args {
    pairs: usize,
    pairs_chart: usize,
    secs: f64,
    warmup: f64,
    conc: Vec<usize>,
    url: Option<String>,
    mem: bool,
    in_flight: usize,
    peers: Option<String>,
    svg: Option<String>,
    out: String,
    serve: Option<u16>,
    delay_ms: u64,
    mem_child: Option<String>,
    chart_only: Option<String>,
    oneshot: Option<String>,
    control: bool,
}

fn parse_args() -> Args {
    let mut a = Args {
        pairs: 15,
        pairs_chart: 5,
        secs: 1.0,
        warmup: 0.2,
        conc: vec![1, 4, 16, 64, 256],
        url: None,
        mem: true,
        in_flight: 1000,
        peers: None,
        svg: None,
        out: "target/bench-results/e2e.json".into(),
        serve: None,
        delay_ms: 0,
        mem_child: None,
        chart_only: None,
        oneshot: None,
        control: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || it.next().unwrap_or_else(|| panic!("{k} needs a value"));
        match k.as_str() {
            "--bench" | "--nocapture" => {} // passed by `cargo bench`
            "--quick" => {
                a.pairs = 5;
                a.pairs_chart = 3;
                a.secs = 0.5;
            }
            "--pairs" => a.pairs = v().parse().unwrap(),
            "--pairs-chart" => a.pairs_chart = v().parse().unwrap(),
            "--secs" => a.secs = v().parse().unwrap(),
            "--warmup" => a.warmup = v().parse().unwrap(),
            "--conc" => a.conc = v().split(',').map(|c| c.trim().parse().unwrap()).collect(),
            "--url" => a.url = Some(v()),
            "--no-mem" => a.mem = false,
            "--in-flight" => a.in_flight = v().parse().unwrap(),
            "--peers" => a.peers = Some(v()),
            "--svg" => a.svg = Some(v()),
            "--out" => a.out = v(),
            "--serve" => a.serve = Some(v().parse().unwrap()),
            "--delay-ms" => a.delay_ms = v().parse().unwrap(),
            "--mem-child" => a.mem_child = Some(v()),
            "--chart-only" => a.chart_only = Some(v()),
            "--oneshot" => a.oneshot = Some(v()),
            "--control" => a.control = true,
            other if other.starts_with('-') => panic!("unknown option {other}"),
            _ => {} // a cargo bench filter
        }
    }
    a
}

fn read_jsonl(path: &str) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .unwrap_or("?")
        .trim()
        .to_string();
    json!({"cores": std::thread::available_parallelism().map_or(0, |n| n.get()), "cpu": model})
}

fn main() {
    // Run from the crate root whatever cargo's working directory is.
    let _ = std::env::set_current_dir(env!("CARGO_MANIFEST_DIR"));
    let a = parse_args();
    if let Some(port) = a.serve {
        let delay = (a.delay_ms > 0).then(|| Duration::from_millis(a.delay_ms));
        let addr = start_server(port, delay);
        println!(
            "serving GET /v2/user/{{id}} on http://{addr} (delay {} ms); Ctrl-C to stop",
            a.delay_ms
        );
        loop {
            std::thread::park();
        }
    }
    if let Some(url) = &a.oneshot {
        // One hand-written reqwest call in a fresh process: the per-process baseline of
        // bench/cli.sh (client built with defaults, as a one-shot tool would).
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
        return;
    }
    if let Some(kind) = &a.mem_child {
        let kind = if kind == "naftiko" {
            Kind::Ours
        } else {
            Kind::Hand
        };
        mem_child(kind, a.url.as_deref().expect("--url"), a.in_flight);
        return;
    }
    if let Some(results) = &a.chart_only {
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(results).expect("results json")).unwrap();
        let peers = a.peers.as_deref().map(read_jsonl).unwrap_or_default();
        write_chart(
            &v,
            &peers,
            a.svg.as_deref().unwrap_or("docs/throughput.svg"),
        );
        return;
    }

    let (base, in_process) = match &a.url {
        Some(u) => (u.trim_end_matches('/').to_string(), false),
        None => (format!("http://{}", start_server(0, None)), true),
    };
    eprintln!(
        "[e2e] server {base} ({}); pairs {} at c=1,64 / {} elsewhere; {} s windows",
        if in_process {
            "in-process thread"
        } else {
            "external"
        },
        a.pairs,
        a.pairs_chart,
        a.secs
    );
    let tokio_rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let warmup = Duration::from_secs_f64(a.warmup);
    let secs = Duration::from_secs_f64(a.secs);
    let results = tokio_rt.block_on(async {
        let (identical, head_ours, head_hand) = identical_requests().await;
        eprintln!("[e2e] identical request heads: {identical}\n--- naftiko ---\n{head_ours}\n--- reqwest ---\n{head_hand}");
        let c = Arc::new(Clients::new(&base));
        // The runtime's output for this operation is `{"result": <body>}`.
        let out = c.rt.call(OP, json!({ "user_id": UID })).await.expect("runtime call");
        assert_eq!(out["result"]["user_id"], UID);
        for _ in 0..200 {
            c.ours().await.unwrap();
            c.hand().await.unwrap();
        }

        // Server ceiling.
        let mut server_check = Vec::new();
        for conc in [1usize, 64] {
            let runs: Vec<Run> = {
                let mut v = Vec::new();
                for _ in 0..3 {
                    v.push(run(Kind::Raw, &c, conc, warmup, secs).await);
                }
                v
            };
            let rps = median(&runs.iter().map(|r| r.rps).collect::<Vec<_>>());
            let cpu = median(&runs.iter().map(|r| r.server_cpu_us_per_req).collect::<Vec<_>>());
            let busy = median(&runs.iter().map(|r| r.server_busy).collect::<Vec<_>>());
            eprintln!("[e2e] raw client c={conc}: {rps:.0} req/s, server {cpu:.2} µs CPU/request, busy {:.0}%", busy * 100.0);
            server_check.push(json!({"concurrency": conc, "raw_rps_median": rps, "server_cpu_us_per_req": cpu, "server_busy": busy}));
        }

        // Interleaved pairs.
        let mut throughput = Vec::new();
        for &conc in &a.conc {
            let pairs = if conc == 1 || conc == 64 { a.pairs } else { a.pairs_chart };
            let (mut ours, mut hand, mut ratios, mut overhead, mut busy, mut srv_us) = (vec![], vec![], vec![], vec![], vec![], vec![]);
            let mut errors = 0;
            let (mut cpu_ours, mut cpu_hand, mut cpu_overhead) = (vec![], vec![], vec![]);
            for i in 0..pairs {
                let order = if i % 2 == 0 { [Kind::Ours, Kind::Hand] } else { [Kind::Hand, Kind::Ours] };
                let mut got = [0.0f64; 2];
                let mut cpu = [0.0f64; 2];
                for k in order {
                    let r = run(k, &c, conc, warmup, secs).await;
                    cpu[(k == Kind::Hand) as usize] = r.client_cpu_us_per_req;
                    errors += r.errors;
                    if k == Kind::Hand {
                        busy.push(r.server_busy);
                        srv_us.push(r.server_cpu_us_per_req);
                    }
                    got[(k == Kind::Hand) as usize] = r.rps;
                }
                ours.push(got[0]);
                hand.push(got[1]);
                ratios.push(got[0] / got[1]);
                overhead.push(1e6 / got[0] - 1e6 / got[1]);
                cpu_ours.push(cpu[0]);
                cpu_hand.push(cpu[1]);
                cpu_overhead.push(cpu[0] - cpu[1]);
            }
            let row = json!({
                "concurrency": conc, "pairs": pairs,
                "naftiko_rps_median": median(&ours), "reqwest_rps_median": median(&hand),
                "ratio_median": median(&ratios),
                "ratio_min": ratios.iter().cloned().fold(f64::INFINITY, f64::min),
                "ratio_max": ratios.iter().cloned().fold(0.0, f64::max),
                "naftiko_us_per_call_median": 1e6 / median(&ours), "reqwest_us_per_call_median": 1e6 / median(&hand),
                "overhead_us_median": median(&overhead),
                "server_busy_median": median(&busy), "server_cpu_us_per_req_median": median(&srv_us),
                "errors": errors,
                "naftiko_cpu_us_per_req_median": median(&cpu_ours),
                "reqwest_cpu_us_per_req_median": median(&cpu_hand),
                "cpu_overhead_us_median": median(&cpu_overhead),
                "naftiko_rps": ours, "reqwest_rps": hand, "ratios": ratios,
            });
            eprintln!(
                "[e2e] c={conc:>3}: naftiko {:>8.0} req/s, reqwest {:>8.0} req/s, ratio median {:.3} [{:.3}–{:.3}], overhead {:+.1} µs/call, client CPU {:.1} vs {:.1} µs/req ({:+.1}), server busy {:.0}%, errors {errors}",
                row["naftiko_rps_median"].as_f64().unwrap(),
                row["reqwest_rps_median"].as_f64().unwrap(),
                row["ratio_median"].as_f64().unwrap(),
                row["ratio_min"].as_f64().unwrap(),
                row["ratio_max"].as_f64().unwrap(),
                row["overhead_us_median"].as_f64().unwrap(),
                row["naftiko_cpu_us_per_req_median"].as_f64().unwrap(),
                row["reqwest_cpu_us_per_req_median"].as_f64().unwrap(),
                row["cpu_overhead_us_median"].as_f64().unwrap(),
                row["server_busy_median"].as_f64().unwrap() * 100.0,
            );
            throughput.push(row);
        }
        // A/A control: the hand-written client against itself, same pairing, to show how far
        // the ratio wanders when nothing differs.
        let mut control = Vec::new();
        if a.control {
            for conc in [1usize, 64] {
                let mut ratios = Vec::new();
                for _ in 0..a.pairs {
                    let x = run(Kind::Hand, &c, conc, warmup, secs).await.rps;
                    let y = run(Kind::Hand, &c, conc, warmup, secs).await.rps;
                    ratios.push(x / y);
                }
                let row = json!({"concurrency": conc, "pairs": a.pairs, "ratio_median": median(&ratios),
                    "ratio_min": ratios.iter().cloned().fold(f64::INFINITY, f64::min),
                    "ratio_max": ratios.iter().cloned().fold(0.0, f64::max), "ratios": ratios});
                eprintln!("[e2e] control reqwest vs reqwest c={conc}: ratio median {:.3} [{:.3}–{:.3}]",
                    row["ratio_median"].as_f64().unwrap(), row["ratio_min"].as_f64().unwrap(), row["ratio_max"].as_f64().unwrap());
                control.push(row);
            }
        }
        json!({
            "control_reqwest_vs_reqwest": control,
            "machine": machine(),
            "server": if in_process { "in-process (own thread, current-thread tokio runtime)" } else { "external" },
            "base": base,
            "config": {"pairs": a.pairs, "pairs_chart": a.pairs_chart, "secs": a.secs, "warmup": a.warmup, "client_runtime": "tokio multi-thread, default workers"},
            "identical_request_heads": identical, "request_head_naftiko": head_ours, "request_head_reqwest": head_hand,
            "server_check": server_check,
            "throughput": throughput,
        })
    });
    drop(tokio_rt);
    let mut results = results;
    if a.mem {
        let mem = memory_under_load(a.in_flight);
        for m in &mem {
            eprintln!("[e2e] memory, {} calls in flight: {}", a.in_flight, m);
        }
        results["memory_under_load"] = Value::Array(mem);
    }
    if let Some(dir) = std::path::Path::new(&a.out).parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    std::fs::write(&a.out, serde_json::to_string_pretty(&results).unwrap()).expect("write results");
    eprintln!("[e2e] wrote {}", a.out);
    if let Some(svg) = &a.svg {
        let peers = a.peers.as_deref().map(read_jsonl).unwrap_or_default();
        write_chart(&results, &peers, svg);
    }
}
