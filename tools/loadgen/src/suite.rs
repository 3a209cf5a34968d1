//! The default run: identical requests, the server ceiling, the interleaved pairs at each
//! concurrency, the optional A/A control, memory under load; then the results and the chart.

use std::io::{Read as _, Write as _};
use std::sync::Arc;
use std::time::Duration;

use naftiko_loadgen::server::{head_end, ok_response, start_server};
use serde_json::{json, Value};

use crate::args::{read_jsonl, Args};
use crate::clients::{median, run, Clients, Kind, OP, UID};
use crate::{chart, memory};

/// Runs the suite against `--url` or an in-process server, and writes what it found.
pub fn run_all(a: &Args) {
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
    let mut results = tokio_rt.block_on(measure(a, &base, in_process));
    drop(tokio_rt);
    if a.mem {
        let mem = memory::under_load(a.in_flight);
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
        chart::write(&results, &peers, svg);
    }
}

/// Everything measured on the async runtime, as the results' JSON.
async fn measure(a: &Args, base: &str, in_process: bool) -> Value {
    let warmup = Duration::from_secs_f64(a.warmup);
    let secs = Duration::from_secs_f64(a.secs);
    let (identical, head_ours, head_hand) = identical_requests().await;
    eprintln!("[e2e] identical request heads: {identical}\n--- naftiko ---\n{head_ours}\n--- reqwest ---\n{head_hand}");
    let c = Arc::new(Clients::new(base));
    // The runtime's output for this operation is `{"result": <body>}`.
    let out =
        c.rt.call(OP, json!({ "user_id": UID }))
            .await
            .expect("runtime call");
    assert_eq!(out["result"]["user_id"], UID);
    for _ in 0..200 {
        c.ours().await.unwrap();
        c.hand().await.unwrap();
    }
    let server_check = server_ceiling(&c, warmup, secs).await;
    let mut throughput = Vec::new();
    for &conc in &a.conc {
        let pairs = if conc == 1 || conc == 64 {
            a.pairs
        } else {
            a.pairs_chart
        };
        throughput.push(pairs_at(&c, conc, pairs, warmup, secs).await);
    }
    let control = if a.control {
        control(&c, a.pairs, warmup, secs).await
    } else {
        Vec::new()
    };
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
}

/// The raw client at 1 and 64: the server's ceiling and CPU per request.
async fn server_ceiling(c: &Arc<Clients>, warmup: Duration, secs: Duration) -> Vec<Value> {
    let mut server_check = Vec::new();
    for conc in [1usize, 64] {
        let mut runs = Vec::new();
        for _ in 0..3 {
            runs.push(run(Kind::Raw, c, conc, warmup, secs).await);
        }
        let rps = median(&runs.iter().map(|r| r.rps).collect::<Vec<_>>());
        let cpu = median(
            &runs
                .iter()
                .map(|r| r.server_cpu_us_per_req)
                .collect::<Vec<_>>(),
        );
        let busy = median(&runs.iter().map(|r| r.server_busy).collect::<Vec<_>>());
        eprintln!("[e2e] raw client c={conc}: {rps:.0} req/s, server {cpu:.2} µs CPU/request, busy {:.0}%", busy * 100.0);
        server_check.push(json!({"concurrency": conc, "raw_rps_median": rps, "server_cpu_us_per_req": cpu, "server_busy": busy}));
    }
    server_check
}

/// `pairs` interleaved pairs (ours, hand-written; the order alternates) at concurrency
/// `conc`, as one throughput row.
async fn pairs_at(
    c: &Arc<Clients>,
    conc: usize,
    pairs: usize,
    warmup: Duration,
    secs: Duration,
) -> Value {
    let (mut ours, mut hand, mut ratios, mut overhead, mut busy, mut srv_us) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    let mut errors = 0;
    let (mut cpu_ours, mut cpu_hand, mut cpu_overhead) = (vec![], vec![], vec![]);
    for i in 0..pairs {
        let order = if i % 2 == 0 {
            [Kind::Ours, Kind::Hand]
        } else {
            [Kind::Hand, Kind::Ours]
        };
        let mut got = [0.0f64; 2];
        let mut cpu = [0.0f64; 2];
        for k in order {
            let r = run(k, c, conc, warmup, secs).await;
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
    print_row(conc, errors, &row);
    row
}

fn print_row(conc: usize, errors: u64, row: &Value) {
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
}

/// A/A control: the hand-written client against itself, same pairing, to show how far the
/// ratio wanders when nothing differs.
async fn control(c: &Arc<Clients>, pairs: usize, warmup: Duration, secs: Duration) -> Vec<Value> {
    let mut control = Vec::new();
    for conc in [1usize, 64] {
        let mut ratios = Vec::new();
        for _ in 0..pairs {
            let x = run(Kind::Hand, c, conc, warmup, secs).await.rps;
            let y = run(Kind::Hand, c, conc, warmup, secs).await.rps;
            ratios.push(x / y);
        }
        let row = json!({"concurrency": conc, "pairs": pairs, "ratio_median": median(&ratios),
            "ratio_min": ratios.iter().cloned().fold(f64::INFINITY, f64::min),
            "ratio_max": ratios.iter().cloned().fold(0.0, f64::max), "ratios": ratios});
        eprintln!(
            "[e2e] control reqwest vs reqwest c={conc}: ratio median {:.3} [{:.3}–{:.3}]",
            row["ratio_median"].as_f64().unwrap(),
            row["ratio_min"].as_f64().unwrap(),
            row["ratio_max"].as_f64().unwrap()
        );
        control.push(row);
    }
    control
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
    // Three connections: `Clients::new` probes the response length with a raw request first.
    let (base, h) = capture_heads(3);
    let c = Clients::new(&base);
    c.ours().await.expect("runtime call to the capture socket");
    c.hand()
        .await
        .expect("hand-written call to the capture socket");
    let heads = tokio::task::spawn_blocking(move || h.join().unwrap())
        .await
        .unwrap();
    (heads[1] == heads[2], heads[1].clone(), heads[2].clone())
}
