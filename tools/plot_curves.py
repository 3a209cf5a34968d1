#!/usr/bin/env python3
"""The cost-curve plots of BENCHMARKS.md "Cost curves", from tools/curves.sh's JSON lines.

    target/plot-venv/bin/python tools/plot_curves.py target/bench-results/curves docs

Writes docs/curves-load.svg, curves-map.svg, curves-concurrency.svg and curves-mcp.svg (each
only when its data exists). matplotlib is pinned by tools/curves.sh (3.11.2).
"""
import json
import os
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
matplotlib.rcParams["svg.hashsalt"] = "naftiko"  # reproducible SVG ids
import matplotlib.pyplot as plt  # noqa: E402

src = sys.argv[1] if len(sys.argv) > 1 else "target/bench-results/curves"
dst = sys.argv[2] if len(sys.argv) > 2 else "docs"
MB = 1024 * 1024


def rows(name):
    p = os.path.join(src, name)
    if not os.path.exists(p):
        return []
    return [json.loads(l) for l in open(p) if l.strip()]


def save(fig, name):
    path = os.path.join(dst, name)
    fig.tight_layout()
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)
    print(f"wrote {path}")


def load_plot(r):
    r = sorted(r, key=lambda x: x["bytes"])
    kb = [x["bytes"] / 1000 for x in r]
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
    a.scatter(kb, [x["load_us"] / 1000 for x in r], s=14, label="Capability::from_path (load + validate + index)")
    j = [x for x in r if x.get("json_parse_us")]
    a.scatter([x["bytes"] / 1000 for x in j], [x["json_parse_us"] / 1000 for x in j], s=10, marker="x",
              label="serde_json::from_str of the same document as JSON")
    users = [x for x in r if x["file"].endswith("vital/users.yaml")]
    if users:
        a.annotate("users.yaml", (users[0]["bytes"] / 1000, users[0]["load_us"] / 1000), fontsize=8)
    a.set_xlabel("spec size (KB)")
    a.set_ylabel("load time (ms, CPU time per run)")
    a.set_title(f"Spec load time, {len(r)} capability files")
    a.legend(fontsize=8)
    a.grid(alpha=0.3)
    b.scatter(kb, [x["peak_bytes"] / MB for x in r], s=14, label="peak allocated during load")
    b.scatter(kb, [x["retained_bytes"] / MB for x in r], s=10, marker="x", label="retained by the Capability")
    b.set_xlabel("spec size (KB)")
    b.set_ylabel("MiB")
    b.set_title("Spec load memory")
    b.legend(fontsize=8)
    b.grid(alpha=0.3)
    save(fig, "curves-load.svg")


def map_plot(r):
    r = sorted(r, key=lambda x: x["bytes"])
    mb = [x["bytes"] / 1e6 for x in r]
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
    for key, label in [("from_slice_us", "serde_json::from_slice (baseline)"),
                       ("map_root_us", "map_response `$.` (whole body)"),
                       ("map_ids_us", "map_response `$.users[*].user_id`")]:
        a.loglog(mb, [x[key] / 1000 for x in r], marker="o", ms=4, label=label)
    a.set_xlabel("response body (MB)")
    a.set_ylabel("time (ms, CPU time per run)")
    a.set_title("Output mapping cost vs body size")
    a.legend(fontsize=8)
    a.grid(alpha=0.3, which="both")
    for key, label in [("from_slice_peak_bytes", "from_slice"), ("map_root_peak_bytes", "map `$.`"),
                       ("map_ids_peak_bytes", "map `$.users[*].user_id`")]:
        b.loglog(mb, [x[key] / x["bytes"] for x in r], marker="o", ms=4, label=label)
    b.set_xlabel("response body (MB)")
    b.set_ylabel("peak allocated ÷ body size")
    b.set_title("Peak memory (the body itself not counted)")
    b.legend(fontsize=8)
    b.grid(alpha=0.3, which="both")
    save(fig, "curves-map.svg")


def conc_plot(r):
    clients = [("naftiko", "naftiko Runtime::call"), ("reqwest", "hand-written reqwest")]
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
    for name, label in clients:
        mine = [x for x in r if x["client"] == name and x["errors"] == 0]
        cs = sorted({x["concurrency"] for x in mine})
        med = lambda c, k: statistics.median(x[k] for x in mine if x["concurrency"] == c)  # noqa: E731
        axes[0].semilogx(cs, [med(c, "rps") for c in cs], marker="o", ms=4, base=2, label=label)
        axes[1].loglog(cs, [med(c, "p99_us") / 1000 for c in cs], marker="o", ms=4, base=2, label=label)
        axes[2].semilogx(cs, [med(c, "hwm_kb") / 1024 for c in cs], marker="o", ms=4, base=2, label=label)
    for a, (y, t) in zip(axes, [("req/s (median of runs)", "Throughput"), ("p99 latency (ms)", "p99 latency"),
                                ("peak RSS of the process (MiB)", "Peak RSS")]):
        a.set_xlabel("calls in flight")
        a.set_ylabel(y)
        a.set_title(t + " vs concurrency (nginx, 1 worker)")
        a.legend(fontsize=8)
        a.grid(alpha=0.3, which="both")
    save(fig, "curves-concurrency.svg")


def mcp_plot(r):
    r = sorted(r, key=lambda x: x["tools"])
    n = [x["tools"] for x in r]
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
    a.loglog(n, [x["list_all_us"] / 1000 for x in r], marker="o", ms=4, label="tools/list, every page (100 per page)")
    a.loglog(n, [x["list_first_page_us"] / 1000 for x in r], marker="o", ms=4, label="tools/list, first page")
    a.set_xlabel("tools")
    a.set_ylabel("ms (median)")
    a.set_title("tools/list cost vs tool count")
    a.legend(fontsize=8)
    a.grid(alpha=0.3, which="both")
    b.semilogx(n, [x["tools_call_us"] for x in r], marker="o", ms=4, label="tools/call over streamable HTTP")
    b.semilogx(n, [x["runtime_call_us"] for x in r], marker="o", ms=4, label="Runtime::call, same operation")
    b.semilogx(n, [x["tools_call_us"] - x["runtime_call_us"] for x in r], marker="o", ms=4, label="overhead")
    b.set_xlabel("tools")
    b.set_ylabel("µs per call (median, c=1)")
    b.set_title("tools/call overhead over Runtime::call")
    b.legend(fontsize=8)
    b.grid(alpha=0.3, which="both")
    save(fig, "curves-mcp.svg")


for name, plot in [("load.jsonl", load_plot), ("map.jsonl", map_plot), ("concurrency.jsonl", conc_plot),
                   ("mcp.jsonl", mcp_plot)]:
    data = rows(name)
    if data:
        plot(data)
