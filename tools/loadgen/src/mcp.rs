//! `--mcp NAME=TARGET;NAME=TARGET;…`: MCP `tools/call` runs (BENCHMARKS.md "MCP server",
//! `tools/mcpbench.sh`). A target is one of
//!
//! * `runtime=UPSTREAM` — `Runtime::call` in this process (specs/vital/users.yaml, base URI
//!   UPSTREAM): the limit any MCP server in front of the runtime can reach;
//! * `http://HOST:PORT/mcp` — stateless JSON-RPC POSTs of a bare `tools/call` (no
//!   `initialize`, no session), `accept: application/json, text/event-stream`;
//! * `stdio:COMMAND ARG…` — one child process per target speaking newline-delimited
//!   JSON-RPC on stdin/stdout: `initialize`, `notifications/initialized`, then `tools/call`s;
//!   at concurrency > 1 the calls are pipelined (distinct ids, answers matched by id);
//! * `get:URL` — a plain GET (no MCP at all): with the loadgen's own server as URL, the cost
//!   of one loopback HTTP exchange, which every MCP-over-HTTP server adds to its call.
//!
//! The tool is `--tool NAME` (default get_user_v2_user__user_id__get), or the one a
//! `NAME@TOOL=…` entry names (FastMCP shortens operation ids), with `{"user_id": UID}`; an answer counts only when it has a `result` without `isError`.
//! Rounds are interleaved as in `--get` (A/B/C, C/B/A, …). Prints req/s, p50 and p99 per
//! target and, per round, the latency each target adds over the first one
//! (`1/rps − 1/rps_first`, µs per call; at c = 1 this is the added latency per call).

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use std::process::Child;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tokio::net::unix::pipe;
use tokio::sync::oneshot;

use crate::args::Args;
use crate::clients::{median, Clients, KEY, UID};
use crate::get::{server_cpu, Sample};

type Pending = Arc<std::sync::Mutex<HashMap<u64, oneshot::Sender<Value>>>>;

/// A stdio MCP server: the child, its stdin, the calls waiting for an answer. Both pipes
/// are read and written on tokio's reactor (`tokio::net::unix::pipe`; the loadgen's tokio
/// has no `process` feature, and adding it would rebuild the runtime's dependencies with
/// another tokio), so no thread hand-off is measured with the server.
pub struct StdioServer {
    child: Child,
    stdin: tokio::sync::Mutex<pipe::Sender>,
    pending: Pending,
    next: std::sync::atomic::AtomicU64,
}

/// One thing that answers `tools/call`.
pub enum Target {
    Runtime(Clients),
    Http {
        client: reqwest::Client,
        url: String,
    },
    Stdio(StdioServer),
    Get {
        client: reqwest::Client,
        url: String,
    },
}

/// Whether a JSON-RPC answer is a successful tool result.
fn tool_ok(v: &Value) -> bool {
    v.get("result")
        .is_some_and(|r| !r.get("isError").and_then(Value::as_bool).unwrap_or(false))
}

/// The JSON of an HTTP answer: the body itself, or the first `data:` line of an SSE body.
fn answer_json(body: &[u8]) -> Option<Value> {
    if let Ok(v) = serde_json::from_slice(body) {
        return Some(v);
    }
    let text = std::str::from_utf8(body).ok()?;
    text.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .find_map(|d| serde_json::from_str(d.trim()).ok())
}

pub fn call_body(id: u64, tool: &str) -> String {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
           "params": {"name": tool, "arguments": {"user_id": UID}}})
    .to_string()
}

impl Target {
    /// Builds the target a `NAME=SPEC` entry describes (the child of `stdio:` is started and
    /// initialized here).
    pub async fn new(spec: &str, conc: usize) -> Result<Target, String> {
        if let Some(upstream) = spec.strip_prefix("runtime=") {
            return Ok(Target::Runtime(Clients::new(upstream)));
        }
        if spec.starts_with("http://") {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(conc.max(1))
                .build()
                .map_err(|e| e.to_string())?;
            return Ok(Target::Http {
                client,
                url: spec.to_string(),
            });
        }
        if let Some(url) = spec.strip_prefix("get:") {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(conc.max(1))
                .build()
                .map_err(|e| e.to_string())?;
            return Ok(Target::Get {
                client,
                url: url.to_string(),
            });
        }
        if let Some(cmd) = spec.strip_prefix("stdio:") {
            return stdio(cmd).await.map(Target::Stdio);
        }
        Err(format!(
            "unknown MCP target `{spec}` (runtime=URL, http://…, stdio:CMD, get:URL)"
        ))
    }

    /// One `tools/call` of `tool`; Err with a short reason when it did not succeed.
    pub async fn call(&self, tool: &str) -> Result<(), String> {
        match self {
            Target::Runtime(c) => c.ours().await,
            Target::Http { client, url } => {
                let r = client
                    .post(url)
                    .header("content-type", "application/json")
                    .header("accept", "application/json, text/event-stream")
                    .body(call_body(1, tool))
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let status = r.status();
                let body = r.bytes().await.map_err(|e| e.to_string())?;
                match answer_json(&body) {
                    Some(v) if status.is_success() && tool_ok(&v) => Ok(()),
                    _ => Err(format!(
                        "{status}: {}",
                        String::from_utf8_lossy(&body[..body.len().min(200)])
                    )),
                }
            }
            Target::Stdio(s) => s.call(tool).await,
            Target::Get { client, url } => {
                let r = client.get(url).send().await.map_err(|e| e.to_string())?;
                let status = r.status();
                let body = r.bytes().await.map_err(|e| e.to_string())?;
                // Parsed like a tool result, so the client's work is comparable.
                let _: Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
                if status.is_success() {
                    Ok(())
                } else {
                    Err(status.to_string())
                }
            }
        }
    }
}

impl StdioServer {
    async fn request(&self, method: &str, params: Value) -> Result<Value, String> {
        let id = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.pending.lock().expect("pending").insert(id, tx);
        let mut line =
            json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string();
        line.push('\n');
        self.send(&line).await?;
        tokio::time::timeout(Duration::from_secs(30), rx)
            .await
            .map_err(|_| format!("{method}: no answer in 30 s"))?
            .map_err(|_| format!("{method}: the server closed stdout"))
    }

    /// One whole line to the child.
    async fn send(&self, line: &str) -> Result<(), String> {
        let mut w = self.stdin.lock().await;
        w.write_all(line.as_bytes())
            .await
            .map_err(|e| format!("stdin: {e}"))
    }

    async fn call(&self, tool: &str) -> Result<(), String> {
        let v = self
            .request(
                "tools/call",
                json!({"name": tool, "arguments": {"user_id": UID}}),
            )
            .await?;
        if tool_ok(&v) {
            Ok(())
        } else {
            Err(v.to_string().chars().take(200).collect())
        }
    }
}

/// Starts `cmd` (split on whitespace; `VITAL_API_KEY` set), reads its answers on a task of
/// its own, and does the MCP handshake.
async fn stdio(cmd: &str) -> Result<StdioServer, String> {
    let mut words = cmd.split_whitespace();
    let prog = words.next().ok_or("stdio: empty command")?;
    let mut child = std::process::Command::new(prog)
        .args(words)
        .env("VITAL_API_KEY", KEY)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("stdio: cannot start {prog}: {e}"))?;
    let stdin = child.stdin.take().ok_or("stdio: no stdin")?;
    let stdout = child.stdout.take().ok_or("stdio: no stdout")?;
    let stdin = pipe::Sender::from_owned_fd(stdin.into()).map_err(|e| format!("stdin: {e}"))?;
    let stdout =
        pipe::Receiver::from_owned_fd(stdout.into()).map_err(|e| format!("stdout: {e}"))?;
    let pending: Pending = Arc::default();
    let p = pending.clone();
    tokio::spawn(async move {
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let Ok(v) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            let Some(id) = v.get("id").and_then(Value::as_u64) else {
                continue; // a notification
            };
            if let Some(tx) = p.lock().expect("pending").remove(&id) {
                let _ = tx.send(v);
            }
        }
    });
    let s = StdioServer {
        child,
        stdin: tokio::sync::Mutex::new(stdin),
        pending,
        next: 1.into(),
    };
    let init = s
        .request(
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "naftiko-loadgen", "version": "0"}}),
        )
        .await?;
    if init.get("result").is_none() {
        return Err(format!("stdio: initialize failed: {init}"));
    }
    s.send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n")
        .await?;
    Ok(s)
}

impl Drop for StdioServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Entry point of `--mcp`.
pub fn run(targets: &[(String, String)], a: &Args) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio");
    rt.block_on(async {
        println!("| target | c | calls/s | p50 µs | p99 µs | added mean latency over {} µs (c/rps, median of rounds) | added p50 over {} µs | server CPU µs/call | errors |",
            targets[0].0, targets[0].0);
        println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        for &conc in &a.conc {
            let mut built = Vec::new();
            for (i, (name, spec)) in targets.iter().enumerate() {
                let pid = a.pids.get(i).copied().unwrap_or(0);
                let tool = name.split_once('@').map_or(a.tool.as_str(), |(_, t)| t);
                match Target::new(spec, conc).await {
                    Ok(t) => {
                        let pid = match &t {
                            Target::Stdio(s) => s.child.id(),
                            _ => pid,
                        };
                        built.push((Arc::new(t), tool.to_string(), pid))
                    }
                    Err(e) => {
                        eprintln!("[mcp] {name}: {e}");
                        std::process::exit(1);
                    }
                }
            }
            let rows = rounds(&built, conc, a).await;
            print_rows(targets, conc, &rows);
        }
    });
}

async fn rounds(targets: &[(Arc<Target>, String, u32)], conc: usize, a: &Args) -> Vec<Vec<Sample>> {
    let mut rows: Vec<Vec<Sample>> = targets.iter().map(|_| Vec::new()).collect();
    for round in 0..a.pairs.max(1) {
        let mut order: Vec<usize> = (0..targets.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for i in order {
            let (target, tool, pid) = &targets[i];
            let s = closed_loop(target, tool, *pid, conc, a.warmup, a.secs).await;
            rows[i].push(s);
        }
    }
    rows
}

fn print_rows(targets: &[(String, String)], conc: usize, rows: &[Vec<Sample>]) {
    let med = |v: &[Sample], f: fn(&Sample) -> f64| median(&v.iter().map(f).collect::<Vec<_>>());
    let base = &rows[0];
    for ((name, _), v) in targets.iter().zip(rows) {
        let name = name.split_once('@').map_or(name.as_str(), |(n, _)| n);
        // Same-round differences, so that a noisy round hits both sides.
        let added: Vec<f64> = v
            .iter()
            .zip(base)
            .map(|(s, b)| 1e6 / s.rps.max(1e-9) - 1e6 / b.rps.max(1e-9))
            .collect();
        let added50: Vec<f64> = v.iter().zip(base).map(|(s, b)| s.p50 - b.p50).collect();
        let errors: u64 = v.iter().map(|s| s.errors).sum();
        println!(
            "| {name} | {conc} | {:.0} | {:.0} | {:.0} | {:+.1} | {:+.0} | {:.1} | {errors} |",
            med(v, |s| s.rps),
            med(v, |s| s.p50),
            med(v, |s| s.p99),
            median(&added) * conc as f64,
            median(&added50),
            med(v, |s| s.cpu_us),
        );
    }
}

/// `conc` workers calling for `warmup` then `secs` seconds.
async fn closed_loop(
    t: &Arc<Target>,
    tool: &str,
    pid: u32,
    conc: usize,
    warmup: f64,
    secs: f64,
) -> Sample {
    let start = Instant::now() + Duration::from_secs_f64(warmup);
    let end = start + Duration::from_secs_f64(secs);
    let handles: Vec<_> = (0..conc)
        .map(|_| tokio::spawn(worker(t.clone(), tool.to_string(), start, end)))
        .collect();
    let cpu = tokio::spawn(server_cpu(pid, start, end));
    let (mut lat, mut errors, mut first) = (Vec::new(), 0, None);
    for h in handles {
        let (l, e, f) = h.await.expect("worker panicked");
        lat.extend(l);
        errors += e;
        if first.is_none() {
            first = f;
        }
    }
    if let Some(f) = first {
        eprintln!("[mcp] c={conc}: {errors} error(s), first: {f}");
    }
    Sample::of(lat, secs, errors, cpu.await.unwrap_or(None))
}

async fn worker(
    t: Arc<Target>,
    tool: String,
    start: Instant,
    end: Instant,
) -> (Vec<u64>, u64, Option<String>) {
    let (mut lat, mut errors, mut first) = (Vec::new(), 0, None);
    loop {
        let began = Instant::now();
        let r = t.call(&tool).await;
        let done = Instant::now();
        if done >= end {
            return (lat, errors, first);
        }
        if began >= start {
            match r {
                Ok(()) => lat.push(done.duration_since(began).as_micros() as u64),
                Err(e) => {
                    errors += 1;
                    first.get_or_insert(e);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{answer_json, tool_ok};
    use serde_json::json;

    #[test]
    fn a_plain_json_answer_and_an_sse_answer_both_yield_the_message() {
        let plain = br#"{"jsonrpc":"2.0","id":1,"result":{"content":[]}}"#;
        let sse = b"event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n";
        assert_eq!(answer_json(plain).unwrap()["id"], 1);
        assert_eq!(answer_json(sse).unwrap()["id"], 1);
        assert!(answer_json(b"not json").is_none());
    }

    #[test]
    fn only_a_result_without_is_error_counts_as_a_successful_call() {
        assert!(tool_ok(&json!({"result": {"content": []}})));
        assert!(tool_ok(&json!({"result": {"isError": false}})));
        assert!(!tool_ok(&json!({"result": {"isError": true}})));
        assert!(!tool_ok(&json!({"error": {"code": -32602}})));
    }
}
