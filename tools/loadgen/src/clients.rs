//! The clients compared (the runtime, a hand-written reqwest client, a raw socket) and the
//! closed-loop runs that measure them.

use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use naftiko_loadgen::server::{ok_response, server_stats};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const OP: &str = "get_user_v2_user__user_id__get";
pub const UID: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
pub const KEY: &str = "sk_bench";
const USER_AGENT: &str = concat!("naftiko/", env!("CARGO_PKG_VERSION"));

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// `naftiko::Runtime::call`.
    Ours,
    /// A hand-written reqwest client.
    Hand,
    /// Pre-built request bytes on a raw socket (server ceiling).
    Raw,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Ours => "naftiko",
            Kind::Hand => "reqwest",
            Kind::Raw => "raw",
        }
    }

    /// The client a `--mem-child` argument names (anything but `naftiko` is the hand-written one).
    pub fn from_name(name: &str) -> Kind {
        if name == "naftiko" {
            Kind::Ours
        } else {
            Kind::Hand
        }
    }
}

/// The three clients of a run, all sent to the same server.
pub struct Clients {
    pub rt: naftiko::Runtime,
    hand: reqwest::Client,
    base: String,
    pub addr: SocketAddr,
    raw_request: Vec<u8>,
    raw_response_len: usize,
}

pub fn install_crypto() {
    // reqwest is built without a default rustls provider; the runtime installs ring on first
    // use, and the hand-written client needs one too (plain-http requests never use it).
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub fn hand_client() -> reqwest::Client {
    install_crypto();
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .build()
        .expect("reqwest client")
}

fn runtime(base: &str) -> naftiko::Runtime {
    let cap = naftiko::Capability::from_path("specs/vital/users.yaml")
        .expect("run from the repository root");
    naftiko::Runtime::builder(cap)
        .base_uri("users", base)
        .env([("VITAL_API_KEY", KEY)])
        .build()
        .expect("runtime")
}

/// The length of the server's whole response to the raw request (an external server such as
/// nginx adds headers of its own; their length does not change between requests), from one
/// probe; `None` when the server does not answer it.
fn response_len(addr: SocketAddr) -> Option<usize> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET /v2/user/{UID} HTTP/1.1\r\nhost: {addr}\r\nx-vital-api-key: {KEY}\r\n\r\n"
    )
    .ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(h) = naftiko_loadgen::server::head_end(&buf) {
            let head = String::from_utf8_lossy(&buf[..h]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))?
                .trim()
                .parse()
                .ok()?;
            return Some(h + 4 + len);
        }
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

impl Clients {
    pub fn new(base: &str) -> Clients {
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
            raw_response_len: response_len(addr).unwrap_or_else(|| ok_response().len()),
        }
    }

    pub async fn ours(&self) -> Result<(), String> {
        let out = self
            .rt
            .call(OP, json!({ "user_id": UID }))
            .await
            .map_err(|e| e.to_string())?;
        black_box(out);
        Ok(())
    }

    /// What a developer would write by hand for the same call.
    pub async fn hand(&self) -> Result<(), String> {
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

    pub async fn once(&self, kind: Kind) -> Result<(), String> {
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
pub struct Run {
    pub rps: f64,
    pub errors: u64,
    /// Server CPU per answered request (µs) over the whole run (warm-up included).
    pub server_cpu_us_per_req: f64,
    /// Server CPU time ÷ wall time over the run (1.0 = one core saturated).
    pub server_busy: f64,
    /// CPU time of this process's client threads (the bench server's thread excluded) per
    /// request completed in the measured window, in µs. Much less sensitive than req/s to
    /// other processes competing for the 2 cores.
    pub client_cpu_us_per_req: f64,
    /// Latency percentiles (µs) of the calls completed in the measured window.
    pub p50_us: f64,
    pub p99_us: f64,
}

/// CPU time (ns) of every thread of process `pid` (0 when it cannot be read).
pub fn process_cpu_ns(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
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
) -> (u64, u64, Option<String>, Vec<u32>) {
    let (mut n, mut e, mut first) = (0u64, 0u64, None);
    let mut conn = None;
    let mut buf = Vec::new();
    let mut latencies = Vec::new();
    loop {
        let sent = Instant::now();
        let r = match kind {
            Kind::Ours => c.ours().await,
            Kind::Hand => c.hand().await,
            Kind::Raw => c.raw(&mut conn, &mut buf).await,
        };
        let t = Instant::now();
        if t >= end {
            return (n, e, first, latencies);
        }
        if t >= start {
            match r {
                Ok(()) => {
                    n += 1;
                    latencies.push((t - sent).as_micros().min(u32::MAX as u128) as u32);
                }
                Err(msg) => {
                    e += 1;
                    first.get_or_insert(msg);
                }
            }
        }
    }
}

/// One closed-loop run: `conc` workers calling for `warmup` then `secs` seconds.
pub async fn run(
    kind: Kind,
    c: &Arc<Clients>,
    conc: usize,
    warmup: Duration,
    secs: Duration,
) -> Run {
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
    let mut latencies = Vec::new();
    for h in handles {
        let (a, b, f, l) = h.await.expect("worker panicked");
        n += a;
        e += b;
        latencies.extend(l);
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
        p50_us: percentile(&mut latencies, 0.50),
        p99_us: percentile(&mut latencies, 0.99),
    }
}

/// The `q` quantile of `v` (µs), NaN when empty.
pub fn percentile(v: &mut [u32], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_unstable();
    let i = ((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1;
    f64::from(v[i])
}

pub fn median(v: &[f64]) -> f64 {
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
