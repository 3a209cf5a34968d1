#!/usr/bin/env python3
"""The headline tables of BENCHMARKS.md from target/bench-results (run_all.sh writes them).

    python3 tools/summary.py [target/bench-results]
"""
import json
import os
import statistics
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "target/bench-results"


def jl(name):
    p = os.path.join(out, name)
    return [json.loads(l) for l in open(p) if l.strip()] if os.path.exists(p) else []


e2e = json.load(open(os.path.join(out, "e2e.json"))) if os.path.exists(os.path.join(out, "e2e.json")) else None
peers = jl("peers.jsonl")
startup = {r["peer"]: r for r in jl("peers-startup.jsonl")}
cli = {r["measure"]: r for r in jl("cli.jsonl")}
CONC = [1, 4, 16, 64, 256]


def peer(p, mode, c):
    v = [r["req_per_s"] for r in peers if r["peer"] == p and r["mode"] == mode and r["concurrency"] == c and r["errors"] == 0 and not r.get("shared_client")]
    return f"{statistics.median(v):,.0f}" if v else "–"


def f(x):
    return f"{x:,.0f}"


lines = []
if e2e:
    tp = {r["concurrency"]: r for r in e2e["throughput"]}
    lines.append("| client (same loopback server, same session) | " + " | ".join(f"c={c} req/s" for c in CONC) + " | one call per process: wall ms / peak RSS MiB |")
    lines.append("| --- |" + " --- |" * (len(CONC) + 1))

    def one(r):
        return f"{r['wall_ms_median']} / {r['peak_rss_kb_median'] / 1024:.1f}" if r else "–"

    def st(r):
        return f"{r['wall_ms_mean']} / {r['peak_rss_kb_mean'] / 1024:.1f}" if r else "–"

    lines.append("| **naftiko** `Runtime::call` (CLI for the process column) | " + " | ".join(f(tp[c]["naftiko_rps_median"]) if c in tp else "–" for c in CONC) + f" | {one(cli.get('call'))} |")
    lines.append("| hand-written reqwest | " + " | ".join(f(tp[c]["reqwest_rps_median"]) if c in tp else "–" for c in CONC) + f" | {one(cli.get('reqwest_oneshot'))} |")
    lines.append("| Python SDK `vital==2.1.569`, sync (one client per thread) | " + " | ".join(peer("python-sdk", "sync", c) for c in CONC) + f" | {st(startup.get('python-sdk'))} |")
    lines.append("| Python SDK, async (one `AsyncVital`) | " + " | ".join(peer("python-sdk", "async", c) for c in CONC) + " | (same process start-up) |")
    lines.append("| Node SDK `@tryvital/vital-node@3.1.551` | " + " | ".join(peer("node-sdk", "async", c) for c in CONC) + f" | {st(startup.get('node-sdk'))} |")
    lines.append("")
    lines.append("| concurrency | pairs | naftiko req/s (median) | reqwest req/s (median) | ratio median [min – max] | ≥ 0.97 | wall-clock overhead per call, µs (median of pairs) | client CPU per call, µs: naftiko / reqwest (median overhead) | server thread busy / CPU µs per request |")
    lines.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for c in CONC:
        r = tp.get(c)
        if not r:
            continue
        ok = "met" if r["ratio_median"] >= 0.97 else "MISSED"
        ov = f"{r['overhead_us_median']:+.1f}"
        if c == 1:
            ov += " (≤ 20: " + ("met" if r["overhead_us_median"] <= 20 else "MISSED") + ")"
        cpu = "–"
        if "naftiko_cpu_us_per_req_median" in r:
            cpu = f"{r['naftiko_cpu_us_per_req_median']:.1f} / {r['reqwest_cpu_us_per_req_median']:.1f} ({r['cpu_overhead_us_median']:+.1f})"
        lines.append(
            f"| {c} | {r['pairs']} | {f(r['naftiko_rps_median'])} | {f(r['reqwest_rps_median'])} | **{r['ratio_median']:.3f}** [{r['ratio_min']:.3f} – {r['ratio_max']:.3f}] | {ok} | {ov} | {cpu} | {r['server_busy_median'] * 100:.0f} % / {r['server_cpu_us_per_req_median']:.1f} |"
        )
    lines.append("")
    lines.append("| server ceiling (raw client: pre-built request bytes) | req/s | server CPU µs/request | server thread busy |")
    lines.append("| --- | --- | --- | --- |")
    for s in e2e["server_check"]:
        lines.append(f"| c={s['concurrency']} | {f(s['raw_rps_median'])} | {s['server_cpu_us_per_req']:.1f} | {s['server_busy'] * 100:.0f} % |")
    lines.append("")
    ctl = e2e.get("control_reqwest_vs_reqwest") or []
    if ctl:
        lines.append("| A/A control: reqwest vs reqwest, same pairing | pairs | ratio median [min – max] |")
        lines.append("| --- | --- | --- |")
        for r in ctl:
            lines.append(f"| c={r['concurrency']} | {r['pairs']} | {r['ratio_median']:.3f} [{r['ratio_min']:.3f} – {r['ratio_max']:.3f}] |")
        lines.append("")
    lines.append(f"Identical request heads (naftiko vs hand-written): **{e2e['identical_request_heads']}**")
    lines.append("")
    mem = e2e.get("memory_under_load") or []
    if mem:
        lines.append("| 1 000 calls in flight (server delays 200 ms) | ok | wall ms | VmRSS before (MiB) | VmHWM before | VmHWM after (peak RSS) | growth |")
        lines.append("| --- | --- | --- | --- | --- | --- | --- |")
        for m in mem:
            lines.append(
                f"| {m['client']} | {m['ok']}/{m['in_flight']} | {m['wall_ms']:.0f} | {m['rss_before_kb'] / 1024:.1f} | {m['hwm_before_kb'] / 1024:.1f} | **{m['hwm_after_kb'] / 1024:.1f}** | {m['hwm_delta_kb'] / 1024:.1f} |"
            )
        lines.append("")
if startup:
    lines.append("| start-up, one call per process (startup.sh, 10 runs) | wall ms mean [min – max] | peak RSS MiB |")
    lines.append("| --- | --- | --- |")
    for k, r in startup.items():
        lines.append(f"| {k} | {r['wall_ms_mean']} [{r['wall_ms_min']} – {r['wall_ms_max']}] | {r['peak_rss_kb_mean'] / 1024:.1f} |")
    lines.append("")
print("\n".join(lines))
