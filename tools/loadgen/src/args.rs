//! The command line (hand-parsed: the tool has no dependency beyond the runtime's own).

use serde_json::Value;

/// Options of a run.
pub struct Args {
    /// `--pairs N`: interleaved pairs at concurrency 1 and 64 (15).
    pub pairs: usize,
    /// `--pairs-chart N`: pairs at the other concurrencies, for the chart (5).
    pub pairs_chart: usize,
    /// `--secs S`: measured seconds per run (1.0).
    pub secs: f64,
    /// `--warmup S`: seconds before each measured window (0.2).
    pub warmup: f64,
    /// `--conc 1,4,16,64,256`: the concurrencies.
    pub conc: Vec<usize>,
    /// `--url URL` (or `--target URL`, or `TARGET` in the environment): use a running server
    /// instead of an in-process one, e.g. the nginx of tools/nginx.sh.
    pub url: Option<String>,
    /// Off with `--no-mem`: the memory-under-load children.
    pub mem: bool,
    /// `--in-flight N`: calls at once in the memory test (1000).
    pub in_flight: usize,
    /// `--peers FILE`: JSON lines from the tools/peers scripts, for the chart.
    pub peers: Option<String>,
    /// `--svg PATH`: write the chart there.
    pub svg: Option<String>,
    /// `--out PATH`: the results (target/bench-results/e2e.json).
    pub out: String,
    /// `--serve PORT`: only the server, until killed.
    pub serve: Option<u16>,
    /// `--delay-ms MS`: with `--serve`, delay every response.
    pub delay_ms: u64,
    /// `--mem-child CLIENT` (internal): one memory-test child.
    pub mem_child: Option<String>,
    /// `--curve-child CLIENT` (tools/curves.sh): one closed-loop run of that client at each
    /// `--conc` against `--url`, as JSON lines with p50/p99 and this process's peak RSS.
    pub curve_child: Option<String>,
    /// `--chart-only RESULTS`: only the chart, from an earlier run's results.
    pub chart_only: Option<String>,
    /// `--oneshot URL`: one hand-written call, then exit.
    pub oneshot: Option<String>,
    /// `--get URL,URL,…`: plain GET runs against those URLs, ratios to the last (see `get.rs`).
    pub get: Vec<String>,
    /// `--control`: also reqwest-vs-reqwest pairs at 1 and 64 (the noise floor of the ratio).
    pub control: bool,
    /// `--mcp NAME=TARGET;NAME=TARGET;…`: MCP `tools/call` runs, added latency over the
    /// first target (see `mcp.rs`).
    pub mcp: Vec<(String, String)>,
    /// `--tool NAME`: the tool `--mcp` and `--burst` call (get_user_v2_user__user_id__get).
    pub tool: String,
    /// `--burst N`: N requests at once (with `--get URL` or `--mcp NAME=URL`), the peak RSS of
    /// `--pid` before and after (see `burst.rs`).
    pub burst: Option<usize>,
    /// `--pid PID`: the server process `--burst` reads `/proc/PID/status` of.
    pub pid: Option<u32>,
    /// `--pids P,P,…`: with `--get`/`--mcp`, the server process behind each URL/target (0:
    /// none), whose CPU time per request is reported (`/proc/P/task/*/schedstat`).
    pub pids: Vec<u32>,
}

impl Default for Args {
    fn default() -> Args {
        Args {
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
            curve_child: None,
            chart_only: None,
            oneshot: None,
            get: Vec::new(),
            control: false,
            mcp: Vec::new(),
            tool: crate::clients::OP.into(),
            burst: None,
            pid: None,
            pids: Vec::new(),
        }
    }
}

/// The process's arguments. `--quick` is `--pairs 5 --pairs-chart 3 --secs 0.5`.
pub fn parse() -> Args {
    let mut a = Args {
        url: std::env::var("TARGET").ok().filter(|t| !t.is_empty()),
        ..Args::default()
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || it.next().unwrap_or_else(|| panic!("{k} needs a value"));
        match k.as_str() {
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
            "--url" | "--target" => a.url = Some(v()),
            "--no-mem" => a.mem = false,
            "--in-flight" => a.in_flight = v().parse().unwrap(),
            "--peers" => a.peers = Some(v()),
            "--svg" => a.svg = Some(v()),
            "--out" => a.out = v(),
            "--serve" => a.serve = Some(v().parse().unwrap()),
            "--delay-ms" => a.delay_ms = v().parse().unwrap(),
            "--mem-child" => a.mem_child = Some(v()),
            "--curve-child" => a.curve_child = Some(v()),
            "--chart-only" => a.chart_only = Some(v()),
            "--oneshot" => a.oneshot = Some(v()),
            "--get" => a.get = v().split(',').map(str::to_string).collect(),
            "--control" => a.control = true,
            "--mcp" => a.mcp = parse_targets(&v()),
            "--tool" => a.tool = v(),
            "--burst" => a.burst = Some(v().parse().unwrap()),
            "--pid" => a.pid = Some(v().parse().unwrap()),
            "--pids" => a.pids = v().split(',').map(|p| p.trim().parse().unwrap()).collect(),
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

/// `NAME=SPEC;NAME=SPEC;…` (a SPEC may itself contain `=` and spaces, not `;`).
fn parse_targets(s: &str) -> Vec<(String, String)> {
    s.split(';')
        .filter(|t| !t.trim().is_empty())
        .map(|t| {
            let (name, spec) = t
                .split_once('=')
                .unwrap_or_else(|| panic!("--mcp entry `{t}` is not NAME=TARGET"));
            (name.trim().to_string(), spec.trim().to_string())
        })
        .collect()
}

/// The JSON lines of a file (none when it cannot be read; unparsable lines skipped).
pub fn read_jsonl(path: &str) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::parse_targets;

    #[test]
    fn mcp_targets_split_on_semicolons_and_keep_spaces_and_equals_in_the_spec() {
        let t =
            parse_targets("runtime=runtime=http://127.0.0.1:1; s@tool=stdio:bin mcp a.yaml --x=1;");
        assert_eq!(
            t,
            vec![
                (
                    "runtime".to_string(),
                    "runtime=http://127.0.0.1:1".to_string()
                ),
                (
                    "s@tool".to_string(),
                    "stdio:bin mcp a.yaml --x=1".to_string()
                ),
            ]
        );
    }
}
