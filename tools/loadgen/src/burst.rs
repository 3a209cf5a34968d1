//! `--burst N --pid PID` with `--get URL` or `--mcp NAME=URL`: N requests at once, each on
//! its own connection (plain GETs, or stateless MCP `tools/call` POSTs), against a server
//! whose upstream delays every answer (`--serve PORT --delay-ms 200`), so that all N are in
//! flight together; prints PID's VmRSS/VmHWM (peak RSS) before and after, as one JSON line.

use std::time::Instant;

use serde_json::json;

use crate::mcp::call_body;

/// A `/proc/PID/status` field in KiB (0 when unreadable).
fn status_kb(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

async fn one(client: reqwest::Client, url: String, mcp: Option<String>) -> Result<(), String> {
    let req = match &mcp {
        None => client.get(&url),
        Some(tool) => client
            .post(&url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(call_body(1, tool)),
    };
    let r = req.send().await.map_err(|e| e.to_string())?;
    let status = r.status();
    let body = r.bytes().await.map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&body);
    let tool_ok = text.contains("\"result\"") && !text.contains("\"isError\":true");
    if status.is_success() && (mcp.is_none() || tool_ok) {
        Ok(())
    } else {
        Err(format!(
            "{status}: {}",
            text.chars().take(160).collect::<String>()
        ))
    }
}

/// Entry point of `--burst`: `mcp` is the tool name for MCP POSTs, None for GETs.
pub fn run(label: &str, url: &str, mcp: Option<&str>, n: usize, pid: u32) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio");
    rt.block_on(async {
        let client = reqwest::Client::new();
        // One call first: the server's pools and lazy state exist before the baseline.
        let _ = one(client.clone(), url.to_string(), mcp.map(str::to_string)).await;
        let (rss0, hwm0) = (status_kb(pid, "VmRSS:"), status_kb(pid, "VmHWM:"));
        let t = Instant::now();
        let handles: Vec<_> = (0..n)
            .map(|_| {
                tokio::spawn(one(
                    client.clone(),
                    url.to_string(),
                    mcp.map(str::to_string),
                ))
            })
            .collect();
        let (mut ok, mut first) = (0, None);
        for h in handles {
            match h.await.expect("request task") {
                Ok(()) => ok += 1,
                Err(e) => {
                    first.get_or_insert(e);
                }
            }
        }
        let wall = t.elapsed();
        let (rss1, hwm1) = (status_kb(pid, "VmRSS:"), status_kb(pid, "VmHWM:"));
        println!(
            "{}",
            json!({"target": label, "url": url, "in_flight": n, "ok": ok, "first_error": first,
                   "wall_ms": (wall.as_secs_f64() * 1e4).round() / 10.0,
                   "rss_before_kb": rss0, "hwm_before_kb": hwm0,
                   "rss_after_kb": rss1, "hwm_after_kb": hwm1})
        );
    });
}
