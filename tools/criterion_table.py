#!/usr/bin/env python3
"""Markdown tables from criterion's JSON (target/criterion/**/new/{benchmark,estimates}.json).

    python3 tools/criterion_table.py [CRITERION_DIR]   # default target/criterion

Prints the load, prepare and map tables used in BENCHMARKS.md, with the targets checked.
Only the standard library is used.
"""
import json
import os
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "target/criterion"
res = {}
for dirpath, _, files in os.walk(root):
    if os.path.basename(dirpath) != "new" or "benchmark.json" not in files:
        continue
    b = json.load(open(os.path.join(dirpath, "benchmark.json")))
    e = json.load(open(os.path.join(dirpath, "estimates.json")))
    res[(b["group_id"], b["function_id"] or b.get("value_str"))] = {
        "median": e["median"]["point_estimate"],
        "lo": e["median"]["confidence_interval"]["lower_bound"],
        "hi": e["median"]["confidence_interval"]["upper_bound"],
        "mean": e["mean"]["point_estimate"],
        "bytes": (b.get("throughput") or {}).get("Bytes"),
    }


def t(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.1f} µs"
    return f"{ns:.0f} ns"


def ci(r):
    return f"{t(r['median'])} [{t(r['lo'])} – {t(r['hi'])}]"


out = []
# 1. Load
loads = sorted({g for g, _ in res if g.startswith("load/")})
if loads:
    out.append("| file | parse YAML tree | load from text (parse + interpret + index) | of which interpret | load from path (+ read) | baseline: serde_json → Value of the same doc as JSON | target |")
    out.append("| --- | --- | --- | --- | --- | --- | --- |")
    for g in loads:
        r = {f: res[(gg, f)] for gg, f in res if gg == g}
        p, s = r.get("parse_yaml"), r.get("load_str")
        interp = (s["median"] - p["median"]) if p and s else float("nan")
        target = ""
        if g == "load/users" and "load_path" in r:
            target = ("met" if r["load_path"]["median"] <= 300e3 else "MISSED") + " (≤ 300 µs)"
        out.append(
            f"| {g[5:]} | {ci(p)} | {ci(s)} | {t(interp)} ({interp / s['median'] * 100:.0f} %) | {ci(r['load_path'])} | {ci(r['serde_json_value'])} | {target} |"
        )
    out.append("")
# 2. Prepare
prep = sorted(((f, v) for (g, f), v in res.items() if g == "prepare"), key=lambda x: x[0])
if prep:
    out.append("| operation | median [95 % CI] | mean | ≤ 2 µs |")
    out.append("| --- | --- | --- | --- |")
    for f, v in prep:
        out.append(f"| `{f}` | {ci(v)} | {t(v['mean'])} | {'met' if v['median'] <= 2000 else 'MISSED'} |")
    meds = sorted(v["median"] for _, v in prep)
    out.append(
        f"| **all {len(prep)}** | min {t(meds[0])}, median {t(meds[len(meds) // 2])}, max {t(meds[-1])} | | {sum(m <= 2000 for m in meds)}/{len(meds)} met |"
    )
    out.append("")
# 3. Map
maps = sorted({g for g, _ in res if g.startswith("map/")}, key=lambda g: (len(g), g))
if maps:
    out.append("| body | `from_slice` (baseline) | `map_response`, `$.` | ratio | `map_response`, `$.users[*].user_id` | ratio | `from_slice` + `Query::extract` `$.` | ratio | `from_slice` + `Query::extract` ids | ratio | `$.` extract alone | ids extract alone |")
    out.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for g in maps:
        r = {f: res[(gg, f)] for gg, f in res if gg == g}
        base = r["from_slice"]
        mbps = base["bytes"] / (base["median"] / 1e9) / 1e6 if base["bytes"] else 0
        cells = []
        for k in ("map_response_root", "map_response_ids", "decode+extract_root", "decode+extract_ids"):
            x = r[k]["median"] / base["median"]
            cells.append(f"{t(r[k]['median'])} | **{x:.2f}×** {'met' if x <= 1.2 else 'MISSED'}")
        out.append(
            f"| {g[4:]} ({base['bytes'] / 1e6:.2f} MB) | {t(base['median'])} ({mbps:.0f} MB/s) | " + " | ".join(cells) + " | "
            f"{t(r['extract_root_only']['median'])} | {t(r['extract_ids_only']['median'])} |"
        )
    out.append("")
# Response formats (benches/decode.rs)
decodes = sorted({g for g, _ in res if g.startswith("decode/")}, key=lambda g: int(g.split("/")[1]))
if decodes:
    formats = ["json", "csv", "tsv", "psv", "xml", "markdown", "yaml", "html"]
    out.append("| format | " + " | ".join(f"{g[7:]} records | ÷ `from_slice`" for g in decodes) + " |")
    out.append("| --- |" + " --- | --- |" * len(decodes))
    for f in ["from_slice"] + formats:
        cells = []
        for g in decodes:
            r, base = res.get((g, f)), res[(g, "from_slice")]
            cells.append(f"{t(r['median'])} | {r['median'] / base['median']:.2f}×" if r else "– | –")
        out.append(f"| `{f}` | " + " | ".join(cells) + " |")
    out.append("")
print("\n".join(out))
