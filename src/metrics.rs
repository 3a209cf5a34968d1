//! Counters a running capability keeps, and their Prometheus text exposition.
//!
//! The registry is built once: one [`OpStats`] per consumed operation when the
//! [`Runtime`](crate::Runtime) is built, one [`AdapterMetrics`] per served adapter (its
//! routes or tools known at start-up) when the adapter starts. Recording is atomics only: no
//! lock, no allocation, no map insertion on the call path. [`Metrics::render`] writes the
//! text format (version 0.0.4) that Prometheus scrapes from the control port's `/metrics`.
//!
//! Crate-internal API for adapters (the MCP adapter uses it; a REST adapter does the same):
//!
//! ```ignore
//! // at start-up, once per adapter:
//! let m = rt.metrics().adapter("rest", "shipyard", ["GET /ships", "GET /ships/{imo}"]);
//! // per request:
//! m.record("GET /ships", 200, started.elapsed());
//! ```

// Without the `serve` feature nothing serves `/metrics` or records inbound requests.
#![cfg_attr(not(feature = "serve"), allow(dead_code))]

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustc_hash::FxHashMap;

/// Histogram bucket upper bounds, in seconds (Prometheus' defaults).
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A latency histogram: cumulative on render, one bucket incremented per observation.
#[derive(Debug, Default)]
struct Histogram {
    /// Per bucket (not cumulative); the last slot is `+Inf`.
    buckets: [AtomicU64; BUCKETS.len() + 1],
    sum_micros: AtomicU64,
    count: AtomicU64,
}

impl Histogram {
    fn observe(&self, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        let i = BUCKETS
            .iter()
            .position(|&b| secs <= b)
            .unwrap_or(BUCKETS.len());
        self.buckets[i].fetch_add(1, Relaxed);
        self.sum_micros
            .fetch_add(elapsed.as_micros().min(u64::MAX as u128) as u64, Relaxed);
        self.count.fetch_add(1, Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        for (i, bound) in BUCKETS.iter().enumerate() {
            cumulative += self.buckets[i].load(Relaxed);
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {cumulative}");
        }
        cumulative += self.buckets[BUCKETS.len()].load(Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {cumulative}");
        let sum = self.sum_micros.load(Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum{{{labels}}} {sum}");
        let _ = writeln!(out, "{name}_count{{{labels}}} {}", self.count.load(Relaxed));
    }
}

/// What one consumed operation did upstream.
#[derive(Debug, Default)]
pub(crate) struct OpStats {
    calls: AtomicU64,
    errors: AtomicU64,
    retries: AtomicU64,
    in_flight: AtomicI64,
    latency: Histogram,
}

/// Counts a call in flight until dropped (so a cancelled call is not left counted).
pub(crate) struct InFlight<'a>(&'a OpStats);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Relaxed);
    }
}

impl OpStats {
    /// Marks a call started; the guard marks it finished.
    pub(crate) fn start(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Relaxed);
        InFlight(self)
    }

    /// Records a finished call: its latency, attempts and whether it failed.
    pub(crate) fn finish(&self, elapsed: Duration, attempts: u32, failed: bool) {
        self.calls.fetch_add(1, Relaxed);
        if failed {
            self.errors.fetch_add(1, Relaxed);
        }
        if attempts > 1 {
            self.retries.fetch_add(u64::from(attempts - 1), Relaxed);
        }
        self.latency.observe(elapsed);
    }
}

/// Requests one route (a REST route, an MCP tool) of an adapter answered.
#[derive(Debug, Default)]
struct RouteStats {
    requests: AtomicU64,
    errors: AtomicU64,
    latency: Histogram,
}

/// The inbound counters of one served adapter. Built once per adapter with
/// [`Metrics::adapter`]; [`AdapterMetrics::record`] is lock- and allocation-free.
#[derive(Debug)]
pub(crate) struct AdapterMetrics {
    kind: String,
    namespace: String,
    routes: Vec<(String, RouteStats)>,
    index: FxHashMap<String, usize>,
    /// Requests for a route not registered (unknown tool, 404).
    other: RouteStats,
}

impl AdapterMetrics {
    /// Records one answered request: `status` is the HTTP status (MCP: 200 for a result,
    /// 500 for an `isError` result, 404 for an unknown tool); 4xx and 5xx count as errors.
    pub(crate) fn record(&self, route: &str, status: u16, elapsed: Duration) {
        let stats = match self.index.get(route) {
            Some(&i) => &self.routes[i].1,
            None => &self.other,
        };
        stats.requests.fetch_add(1, Relaxed);
        if status >= 400 {
            stats.errors.fetch_add(1, Relaxed);
        }
        stats.latency.observe(elapsed);
    }
}

/// The counters of one runtime and the adapters serving it. Shared (`Arc`) by every clone
/// of the [`Runtime`](crate::Runtime).
#[derive(Debug)]
pub(crate) struct Metrics {
    op_names: Vec<String>,
    ops: Vec<OpStats>,
    /// Registered at adapter start-up only (never on the call path).
    adapters: Mutex<Vec<Arc<AdapterMetrics>>>,
}

impl Metrics {
    /// One slot per operation, in the capability's order.
    pub(crate) fn new(op_names: Vec<String>) -> Metrics {
        let ops = op_names.iter().map(|_| OpStats::default()).collect();
        Metrics {
            op_names,
            ops,
            adapters: Mutex::new(Vec::new()),
        }
    }

    /// The stats of operation `index`.
    pub(crate) fn op(&self, index: usize) -> &OpStats {
        &self.ops[index]
    }

    /// Registers an adapter and its routes (or tools); call once at start-up and keep the
    /// result for [`AdapterMetrics::record`].
    pub(crate) fn adapter<'a>(
        &self,
        kind: &str,
        namespace: &str,
        routes: impl IntoIterator<Item = &'a str>,
    ) -> Arc<AdapterMetrics> {
        let routes: Vec<(String, RouteStats)> = routes
            .into_iter()
            .map(|r| (r.to_string(), RouteStats::default()))
            .collect();
        let index = routes
            .iter()
            .enumerate()
            .map(|(i, (r, _))| (r.clone(), i))
            .collect();
        let m = Arc::new(AdapterMetrics {
            kind: kind.to_string(),
            namespace: namespace.to_string(),
            routes,
            index,
            other: RouteStats::default(),
        });
        self.adapters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(m.clone());
        m
    }

    /// The Prometheus text exposition of every counter.
    pub(crate) fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        self.render_inbound(&mut out);
        self.render_upstream(&mut out);
        out
    }

    fn render_inbound(&self, out: &mut String) {
        let adapters = self.adapters.lock().unwrap_or_else(|e| e.into_inner());
        let rows: Vec<(String, &RouteStats)> = adapters
            .iter()
            .flat_map(|a| {
                let named = a.routes.iter().map(move |(r, s)| (r.as_str(), s));
                named
                    .chain(std::iter::once(("other", &a.other)))
                    .map(move |(r, s)| {
                        let labels = format!(
                            "adapter=\"{}\",type=\"{}\",route=\"{}\"",
                            escape(&a.namespace),
                            escape(&a.kind),
                            escape(r)
                        );
                        (labels, s)
                    })
            })
            .collect();
        header(
            out,
            "naftiko_requests_total",
            "counter",
            "Requests answered, per adapter and route (MCP: tool).",
        );
        for (l, s) in &rows {
            let _ = writeln!(
                out,
                "naftiko_requests_total{{{l}}} {}",
                s.requests.load(Relaxed)
            );
        }
        header(out, "naftiko_request_errors_total", "counter", "Requests answered with an error (HTTP 4xx/5xx; MCP: an isError result or an unknown tool).");
        for (l, s) in &rows {
            let _ = writeln!(
                out,
                "naftiko_request_errors_total{{{l}}} {}",
                s.errors.load(Relaxed)
            );
        }
        header(
            out,
            "naftiko_request_duration_seconds",
            "histogram",
            "Time to answer a request.",
        );
        for (l, s) in &rows {
            s.latency.render(out, "naftiko_request_duration_seconds", l);
        }
    }

    fn render_upstream(&self, out: &mut String) {
        let labels: Vec<String> = self
            .op_names
            .iter()
            .map(|n| format!("operation=\"{}\"", escape(n)))
            .collect();
        let rows = || labels.iter().zip(&self.ops);
        header(
            out,
            "naftiko_upstream_calls_total",
            "counter",
            "Upstream calls finished, per consumed operation.",
        );
        for (l, s) in rows() {
            let _ = writeln!(
                out,
                "naftiko_upstream_calls_total{{{l}}} {}",
                s.calls.load(Relaxed)
            );
        }
        header(
            out,
            "naftiko_upstream_errors_total",
            "counter",
            "Upstream calls that failed (status >= 400 after retries, transport failure, timeout).",
        );
        for (l, s) in rows() {
            let _ = writeln!(
                out,
                "naftiko_upstream_errors_total{{{l}}} {}",
                s.errors.load(Relaxed)
            );
        }
        header(
            out,
            "naftiko_upstream_retries_total",
            "counter",
            "Attempts beyond the first.",
        );
        for (l, s) in rows() {
            let _ = writeln!(
                out,
                "naftiko_upstream_retries_total{{{l}}} {}",
                s.retries.load(Relaxed)
            );
        }
        header(
            out,
            "naftiko_upstream_in_flight",
            "gauge",
            "Upstream calls in progress.",
        );
        for (l, s) in rows() {
            let _ = writeln!(
                out,
                "naftiko_upstream_in_flight{{{l}}} {}",
                s.in_flight.load(Relaxed)
            );
        }
        header(
            out,
            "naftiko_upstream_duration_seconds",
            "histogram",
            "Upstream call latency, all attempts and backoff included.",
        );
        for (l, s) in rows() {
            s.latency
                .render(out, "naftiko_upstream_duration_seconds", l);
        }
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A label value escaped as the text format requires (`\`, `"`, newline).
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_and_counted() {
        let m = Metrics::new(vec!["a.get".into()]);
        m.op(0).finish(Duration::from_millis(3), 1, false);
        m.op(0).finish(Duration::from_millis(300), 3, true);
        let text = m.render();
        assert!(text.contains(
            "naftiko_upstream_duration_seconds_bucket{operation=\"a.get\",le=\"0.005\"} 1"
        ));
        assert!(text.contains(
            "naftiko_upstream_duration_seconds_bucket{operation=\"a.get\",le=\"0.5\"} 2"
        ));
        assert!(text.contains("naftiko_upstream_duration_seconds_count{operation=\"a.get\"} 2"));
        assert!(text.contains("naftiko_upstream_retries_total{operation=\"a.get\"} 2"));
        assert!(text.contains("naftiko_upstream_errors_total{operation=\"a.get\"} 1"));
    }

    #[test]
    fn unregistered_routes_count_as_other_and_labels_are_escaped() {
        let m = Metrics::new(Vec::new());
        let a = m.adapter("mcp", "n\"s", ["t1"]);
        a.record("t1", 200, Duration::ZERO);
        a.record("nope", 404, Duration::ZERO);
        let text = m.render();
        assert!(
            text.contains("naftiko_requests_total{adapter=\"n\\\"s\",type=\"mcp\",route=\"t1\"} 1")
        );
        assert!(text.contains(
            "naftiko_request_errors_total{adapter=\"n\\\"s\",type=\"mcp\",route=\"other\"} 1"
        ));
    }
}
