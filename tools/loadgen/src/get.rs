//! `--get URL,URL,…`: plain HTTP GET against arbitrary URLs (the REST adapter benchmark,
//! BENCHMARKS.md "REST adapter", `tools/restbench.sh`). For each concurrency in `--conc`,
//! `--pairs` rounds in which every URL gets one closed-loop run of `--secs` seconds, in an
//! order that alternates between rounds (A/B/C, C/B/A, …) so noise hits every target.
//! Prints req/s, p50 and p99 latency (medians over the rounds) and the ratio of each to the
//! last URL (the baseline). With three URLs or more, the first is the direct one (the limit)
//! and two more columns compare what each adds over it with what the last adds, computed
//! per round (so that a noisy round hits both) and given as the median over the rounds:
//! added mean latency (`c/rps − c/rps_first`, Little's law) and added p50.

use std::time::{Duration, Instant};

use crate::args::Args;
use crate::clients::{median, process_cpu_ns};

/// One run's numbers: completed requests per second, p50 and p99 latency (µs), errors
/// (`--get` and `--mcp`).
pub(crate) struct Sample {
    pub(crate) rps: f64,
    pub(crate) p50: f64,
    pub(crate) p99: f64,
    pub(crate) errors: u64,
    /// CPU µs of the server process per answered request (NaN without a pid).
    pub(crate) cpu_us: f64,
}

impl Sample {
    /// The numbers of a run of `secs` seconds from its latencies (µs), errors and the
    /// server's CPU time (ns) over the run.
    pub(crate) fn of(mut lat: Vec<u64>, secs: f64, errors: u64, cpu_ns: Option<u64>) -> Sample {
        lat.sort_unstable();
        let pct = |p: f64| {
            lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
                .copied()
                .unwrap_or(0) as f64
        };
        Sample {
            rps: lat.len() as f64 / secs,
            p50: pct(0.50),
            p99: pct(0.99),
            errors,
            cpu_us: cpu_ns.map_or(f64::NAN, |ns| ns as f64 / 1e3 / lat.len().max(1) as f64),
        }
    }
}

/// Entry point of `--get`.
pub fn run(urls: &[String], a: &Args) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        println!("| target | c | req/s | p50 µs | p99 µs | req/s ÷ last | p50 ÷ last | p99 ÷ last | added mean latency ÷ last's | added p50 ÷ last's | server CPU µs/req | errors |");
        println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        for &conc in &a.conc {
            let rows = rounds(urls, conc, a).await;
            print_rows(urls, conc, &rows);
        }
    });
}

/// `a.pairs` rounds at one concurrency; `rows[i]` holds URL i's samples.
async fn rounds(urls: &[String], conc: usize, a: &Args) -> Vec<Vec<Sample>> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(conc)
        .build()
        .unwrap();
    let mut rows: Vec<Vec<Sample>> = urls.iter().map(|_| Vec::new()).collect();
    for round in 0..a.pairs.max(1) {
        let mut order: Vec<usize> = (0..urls.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for i in order {
            let pid = a.pids.get(i).copied().unwrap_or(0);
            let s = closed_loop(&client, &urls[i], pid, conc, a.warmup, a.secs).await;
            rows[i].push(s);
        }
    }
    rows
}

/// Median per URL, printed as Markdown rows with ratios to the last URL.
fn print_rows(urls: &[String], conc: usize, rows: &[Vec<Sample>]) {
    let med = |v: &Vec<Sample>, f: fn(&Sample) -> f64| median(&v.iter().map(f).collect::<Vec<_>>());
    let base = rows.last().expect("at least one URL");
    let (b_rps, b50, b99) = (
        med(base, |s| s.rps),
        med(base, |s| s.p50),
        med(base, |s| s.p99),
    );
    for (url, v) in urls.iter().zip(rows) {
        let (rps, p50, p99) = (med(v, |s| s.rps), med(v, |s| s.p50), med(v, |s| s.p99));
        let errors: u64 = v.iter().map(|s| s.errors).sum();
        let (added_mean, added_p50) = if urls.len() >= 3 {
            (
                format!("{:.2}", added_ratio(v, rows, |s| 1e6 / s.rps.max(1e-9))),
                format!("{:.2}", added_ratio(v, rows, |s| s.p50)),
            )
        } else {
            ("–".into(), "–".into())
        };
        println!(
            "| {url} | {conc} | {rps:.0} | {p50:.0} | {p99:.0} | {:.2} | {:.2} | {:.2} | {added_mean} | {added_p50} | {:.1} | {errors} |",
            rps / b_rps,
            p50 / b50,
            p99 / b99,
            med(v, |s| s.cpu_us),
        );
    }
}

/// Median over the rounds of (v − first) ÷ (last − first) for the latency `f`.
fn added_ratio(v: &[Sample], rows: &[Vec<Sample>], f: fn(&Sample) -> f64) -> f64 {
    let (first, last) = (&rows[0], &rows[rows.len() - 1]);
    let per_round: Vec<f64> = v
        .iter()
        .zip(first)
        .zip(last)
        .map(|((s, d), b)| (f(s) - f(d)) / (f(b) - f(d)))
        .filter(|r| r.is_finite())
        .collect();
    median(&per_round)
}

/// `conc` workers sending GET `url` for `warmup` then `secs` seconds.
async fn closed_loop(
    client: &reqwest::Client,
    url: &str,
    pid: u32,
    conc: usize,
    warmup: f64,
    secs: f64,
) -> Sample {
    let start = Instant::now() + Duration::from_secs_f64(warmup);
    let end = start + Duration::from_secs_f64(secs);
    let handles: Vec<_> = (0..conc)
        .map(|_| tokio::spawn(worker(client.clone(), url.to_string(), start, end)))
        .collect();
    let cpu = tokio::spawn(server_cpu(pid, start, end));
    let (mut lat, mut errors) = (Vec::new(), 0);
    for h in handles {
        let (l, e) = h.await.expect("worker panicked");
        lat.extend(l);
        errors += e;
    }
    Sample::of(lat, secs, errors, cpu.await.unwrap_or(None))
}

/// CPU ns process `pid` spent inside the measured window (None without a pid).
pub async fn server_cpu(pid: u32, start: Instant, end: Instant) -> Option<u64> {
    if pid == 0 {
        return None;
    }
    tokio::time::sleep_until(start.into()).await;
    let a = process_cpu_ns(pid);
    tokio::time::sleep_until(end.into()).await;
    Some(process_cpu_ns(pid).saturating_sub(a))
}

/// One worker: latencies (µs) of the 2xx answers completed inside the window, and errors.
async fn worker(
    client: reqwest::Client,
    url: String,
    start: Instant,
    end: Instant,
) -> (Vec<u64>, u64) {
    let (mut lat, mut errors) = (Vec::new(), 0);
    loop {
        let t = Instant::now();
        let ok = match client.get(&url).send().await {
            Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
            Err(_) => false,
        };
        let done = Instant::now();
        if done >= end {
            return (lat, errors);
        }
        if t >= start {
            if ok {
                lat.push(done.duration_since(t).as_micros() as u64);
            } else {
                errors += 1;
            }
        }
    }
}
