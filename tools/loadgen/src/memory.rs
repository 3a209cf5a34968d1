//! Memory under load: each client in a child process of its own, `n` calls at once against
//! a server that delays every response, and the child's peak RSS before and after.

use std::sync::Arc;
use std::time::{Duration, Instant};

use naftiko_loadgen::server::start_server;
use serde_json::{json, Value};

use crate::clients::{Clients, Kind};

fn proc_status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

/// Child process: one client, `n` calls at once, VmHWM before and after.
pub fn child(kind: Kind, url: &str, n: usize) {
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

/// Runs one child per client and collects their reports.
pub fn under_load(n: usize) -> Vec<Value> {
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

/// `--curve-child CLIENT` (tools/curves.sh): a fresh process per client and concurrency, so
/// its peak RSS (VmHWM) is that of this concurrency alone. For each `--conc`: one closed-loop
/// run of `--warmup` + `--secs` seconds, printed as a JSON line.
pub fn curve_child(kind: Kind, url: &str, a: &crate::args::Args) {
    let tokio_rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    tokio_rt.block_on(async {
        let c = Arc::new(Clients::new(url));
        c.once(kind).await.expect("warm-up call");
        let hwm_start = proc_status_kb("VmHWM:");
        for &conc in &a.conc {
            let warmup = Duration::from_secs_f64(a.warmup);
            let secs = Duration::from_secs_f64(a.secs);
            let r = crate::clients::run(kind, &c, conc, warmup, secs).await;
            println!(
                "{}",
                json!({"client": kind.name(), "concurrency": conc, "rps": r.rps, "errors": r.errors,
                       "p50_us": r.p50_us, "p99_us": r.p99_us, "hwm_kb": proc_status_kb("VmHWM:"),
                       "hwm_start_kb": hwm_start})
            );
        }
    });
}
