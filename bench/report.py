#!/usr/bin/python3
"""Turns one comparison run's raw results into the results CSV, the table and the sgemm plot.

Inputs (written by bench/run-compare.sh into its work folder):
  jmh.json       JMH's JSON result file (qkv); the median of each benchmark's iterations is used
  peers.csv      rows from bench/peers.py (numpy, torch in each thread configuration)
  extra.csv      rows already in the final form (FMA peak, attention memory)
  info.txt       key=value facts about the machine and the libraries
Outputs:
  <out>.csv      workload,shape,threads,system,metric,value (every measurement, every torch config)
  <out>.md       the table in Markdown (what BENCHMARKS.md quotes), with the targets
  <out>.svg      sgemm GFLOPS against N per system, one panel per thread count
and prints the table as plain text. Standard library only.
"""
import argparse
import csv
import json
import math
import os
import statistics
from collections import OrderedDict, defaultdict

# The shapes of the JMH benchmarks (must match bench/src/main/java/dev/qkv/bench and peers.py).
SHAPE_MATMUL = "2048x768 @ 768x3072"
SHAPE_BMM = "64 x (256x64 @ 64x256)"
SHAPE_GPT_TRAIN = "L4 H4 d256 ctx128 V256 B16"
SHAPE_GEN = "GPT-2 small 124M B1 prompt128 new16"
ROW_OPS = {  # JMH method -> (workload, shape)
    "softmax": ("softmax", "8192x1024"), "softmaxFwdBwd": ("softmax_fwdbwd", "8192x1024"),
    "layerNorm": ("layernorm", "8192x768"), "layerNormFwdBwd": ("layernorm_fwdbwd", "8192x768"),
    "crossEntropy": ("crossentropy", "1024x50257"), "crossEntropyFwdBwd": ("crossentropy_fwdbwd", "1024x50257"),
}
HIGHER_IS_BETTER = {"gflops": True, "tokens/s": True, "ms": False}


def jmh_rows(path):
    """One row per JMH benchmark and parameter set: the median over its measured iterations."""
    rows = []
    if not path or not os.path.exists(path) or os.path.getsize(path) == 0:
        return rows
    for r in json.load(open(path)):
        cls, method = r["benchmark"].split(".")[-2:]
        p = r.get("params", {})
        unit = r["primaryMetric"]["scoreUnit"]
        raw = [x for fork in r["primaryMetric"]["rawData"] for x in fork]
        med = statistics.median(raw)
        ms = med * {"ms/op": 1.0, "us/op": 1e-3, "s/op": 1e3, "ns/op": 1e-6}[unit]
        sec = ms / 1e3
        threads = int(p.get("threads", 1))
        system = "qkv" if p.get("kernels", "vector") == "vector" else "qkv-reference"
        if cls == "SgemmBench":
            if method in ("square", "squareReference"):
                n = int(p["n"])
                rows.append(("sgemm", f"N={n}", threads, system, "gflops", 2.0 * n ** 3 / sec / 1e9))
            elif method == "transformer":
                rows.append(("matmul", SHAPE_MATMUL, threads, system, "gflops", 2.0 * 2048 * 768 * 3072 / sec / 1e9))
            elif method == "batched":
                rows.append(("bmm", SHAPE_BMM, threads, system, "gflops", 2.0 * 64 * 256 * 64 * 256 / sec / 1e9))
        elif cls == "RowOpsBench":
            workload, shape = ROW_OPS[method]
            rows.append((workload, shape, threads, system, "ms", ms))
        elif cls == "AttentionBench":
            workload = "attention_fwd" if method == "forward" else "attention_fwdbwd"
            if system == "qkv":
                system = "qkv" if p["impl"] == "FUSED" else "qkv-manual"
            rows.append((workload, f"B8 H8 T{p['t']} D64 causal", threads, system, "ms", ms))
        elif cls == "GptTrainBench":
            rows.append(("gpt-train", SHAPE_GPT_TRAIN, threads, system, "tokens/s", 16 * 128 / sec))
        elif cls == "GenerationBench":
            n = 128 if method == "prefill" else 16
            rows.append(("gen-" + method, SHAPE_GEN, threads, system, "tokens/s", n / sec))
    return rows


def csv_rows(path):
    if not path or not os.path.exists(path):
        return []
    out = []
    for r in csv.reader(open(path)):
        if len(r) == 6 and r[0] != "workload":
            out.append((r[0], r[1], int(r[2]), r[3], r[4], float(r[5])))
    return out


def median_over_rounds(rows):
    """One row per (workload, shape, threads, system, metric): the median over the rounds.

    With --rounds N the runner measures every system N times, interleaved in time (qkv, then
    the peers, then qkv again...), so that a slow spell of this shared machine hits all systems
    alike; the table compares medians. Returns (rows, the largest number of rounds seen)."""
    values = OrderedDict()
    for w, s, t, sysname, m, v in rows:
        values.setdefault((w, s, t, sysname, m), []).append(v)
    merged = [k + (statistics.median(v),) for k, v in values.items()]
    return merged, max((len(v) for v in values.values()), default=0)


def better(metric, a, b):
    return a > b if HIGHER_IS_BETTER.get(metric, True) else a < b


def speed_ratio(metric, qkv, peer):
    """qkv speed / peer speed: > 1 means qkv is faster."""
    if qkv is None or peer is None or qkv == 0 or peer == 0:
        return None
    return qkv / peer if HIGHER_IS_BETTER.get(metric, True) else peer / qkv


def fmt(v):
    if v is None:
        return "–"
    if v >= 1000:
        return f"{v:,.0f}"
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def fmt_ratio(r):
    return "–" if r is None else f"{r:.2f}×"


def build_table(rows):
    """Rows of the comparison table: one per (workload, shape, threads, metric, qkv variant)."""
    by_key = defaultdict(dict)
    order = []
    for w, s, t, sysname, m, v in rows:
        if w in ("fma-peak", "attention-memory"):
            continue
        key = (w, s, t, m)
        if key not in by_key:
            order.append(key)
        by_key[key][sysname] = v
    table = []
    for key in order:
        w, s, t, m = key
        systems = by_key[key]
        torch_best, torch_cfg = None, None
        for name, v in systems.items():
            if name.startswith("torch") and (torch_best is None or better(m, v, torch_best)):
                torch_best, torch_cfg = v, name[len("torch"):].strip("[]") or "-"
        numpy = systems.get("numpy")
        for variant in ("qkv", "qkv-manual", "qkv-reference"):
            if variant not in systems:
                continue
            q = systems[variant]
            table.append(OrderedDict([
                ("workload", w), ("shape", s), ("threads", t), ("metric", m), ("qkv", variant),
                ("value", q), ("numpy", numpy), ("torch", torch_best), ("torch config", torch_cfg),
                ("vs numpy", speed_ratio(m, q, numpy)), ("vs torch", speed_ratio(m, q, torch_best)),
            ]))
    return table


def table_lines(table, markdown):
    head = ["workload", "shape", "thr", "metric", "qkv run", "qkv", "numpy", "torch", "torch config",
            "qkv/numpy", "qkv/torch"]
    body = []
    for r in table:
        body.append([r["workload"], r["shape"], str(r["threads"]), r["metric"], r["qkv"], fmt(r["value"]),
                     fmt(r["numpy"]), fmt(r["torch"]), r["torch config"] or "–",
                     fmt_ratio(r["vs numpy"]), fmt_ratio(r["vs torch"])])
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
        lines += ["| " + " | ".join(b) + " |" for b in body]
        return lines
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(head)]
    fmt_row = lambda cells: "  ".join(c.ljust(widths[i]) for i, c in enumerate(cells))
    return [fmt_row(head), fmt_row(["-" * w for w in widths])] + [fmt_row(b) for b in body]


def targets(rows, table):
    """The issue's targets, checked against this run. Returns Markdown lines."""
    out = []

    def find(w, s, t, variant="qkv"):
        for r in table:
            if r["workload"] == w and r["shape"] == s and r["threads"] == t and r["qkv"] == variant:
                return r
        return None
    threads = sorted({r["threads"] for r in table})
    for n in (1024, 2048):
        for t in threads:
            r = find("sgemm", f"N={n}", t)
            if r and r["vs numpy"] is not None:
                ok = r["vs numpy"] >= 0.9
                out.append(f"| sgemm N={n}, {t} thread(s) | ≥ 0.9× OpenBLAS | {r['vs numpy']:.2f}× | "
                           f"{'met' if ok else 'missed'} |")
    for t in threads:
        r = find("attention_fwdbwd", "B8 H8 T256 D64 causal", t)
        if r and r["vs torch"] is not None:
            ok = r["vs torch"] >= 1.5
            out.append(f"| attention fwd+bwd B8 H8 T256 D64 (fused), {t} thread(s) | ≥ 1.5× PyTorch CPU | "
                       f"{r['vs torch']:.2f}× | {'met' if ok else 'missed'} |")
    for t in threads:
        r = find("gpt-train", SHAPE_GPT_TRAIN, t)
        if r and r["vs torch"] is not None:
            ok = r["vs torch"] >= 1.0
            out.append(f"| GPT training step tokens/s, {t} thread(s) | ≥ 1.0× PyTorch CPU | {r['vs torch']:.2f}× | "
                       f"{'met' if ok else 'missed'} |")
    mem = {(r[3], r[4]): r[5] for r in rows if r[0] == "attention-memory"}
    shape = next((r[1] for r in rows if r[0] == "attention-memory"), None)
    for metric, label in (("fwd_alloc_bytes", "forward"), ("fwdbwd_alloc_bytes", "forward+backward")):
        f, m = mem.get(("qkv-fused", metric)), mem.get(("qkv-manual", metric))
        if f and m:
            out.append(f"| attention memory, {shape}, {label}: bytes allocated | fused ≪ manual | "
                       f"fused {f / 2**20:,.0f} MiB, manual {m / 2**20:,.0f} MiB ({m / f:.0f}× less) | measured |")
    if not out:
        return []
    return ["| target | wanted | this run | |", "|---|---|---|---|"] + out


def svg_plot(rows, path):
    """sgemm GFLOPS against N (log2 axis), one line per system, one panel per thread count."""
    data = defaultdict(lambda: defaultdict(dict))          # threads -> system -> N -> gflops
    for w, s, t, sysname, m, v in rows:
        if w == "sgemm" and m == "gflops":
            name = "torch" if sysname.startswith("torch") else sysname
            n = int(s.split("=")[1])
            prev = data[t][name].get(n)
            data[t][name][n] = v if prev is None else max(prev, v)   # torch: the better config
    peak = {t: v for w, s, t, sysname, m, v in rows if w == "fma-peak" and m == "gflops"}
    if not data:
        return False
    panels = sorted(data)
    pw, ph, ml, mr, mt, mb = 420, 300, 60, 20, 40, 50
    width = len(panels) * (pw + ml + mr)
    height = ph + mt + mb + 30
    ymax = max([v for t in data for s in data[t] for v in data[t][s].values()] + [peak.get(t, 0) for t in panels])
    step = next(m * 10 ** e for e in range(0, 6) for m in (1, 2, 5) if m * 10 ** e * 6 >= ymax)
    ticks = int(math.ceil(ymax / step))
    ymax = step * ticks                                                 # round ticks: 0, 50, 100, ...
    colours = {"qkv": "#d62728", "qkv-reference": "#ff9896", "numpy": "#1f77b4", "torch": "#2ca02c"}
    ns = sorted({n for t in data for s in data[t] for n in data[t][s]})
    lx = [math.log2(n) for n in ns]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>']
    for i, t in enumerate(panels):
        x0 = i * (pw + ml + mr) + ml
        y0 = mt
        X = lambda n: x0 + (math.log2(n) - lx[0]) / max(lx[-1] - lx[0], 1) * pw
        Y = lambda v: y0 + ph - v / ymax * ph
        out.append(f'<text x="{x0 + pw / 2}" y="{y0 - 15}" text-anchor="middle" font-size="14">'
                   f'sgemm float32, {t} thread{"s" if t > 1 else ""}</text>')
        for k in range(ticks + 1):                                      # y grid
            v = step * k
            out.append(f'<line x1="{x0}" y1="{Y(v):.1f}" x2="{x0 + pw}" y2="{Y(v):.1f}" stroke="#ddd"/>')
            out.append(f'<text x="{x0 - 6}" y="{Y(v) + 4:.1f}" text-anchor="end">{v:.0f}</text>')
        for n in ns:                                                    # x ticks
            out.append(f'<text x="{X(n):.1f}" y="{y0 + ph + 16}" text-anchor="middle">{n}</text>')
        out.append(f'<rect x="{x0}" y="{y0}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>')
        out.append(f'<text x="{x0 + pw / 2}" y="{y0 + ph + 34}" text-anchor="middle">N (N×N · N×N)</text>')
        out.append(f'<text transform="translate({x0 - 42},{y0 + ph / 2}) rotate(-90)" text-anchor="middle">GFLOPS</text>')
        if t in peak:                                                   # the measured FMA peak
            out.append(f'<line x1="{x0}" y1="{Y(peak[t]):.1f}" x2="{x0 + pw}" y2="{Y(peak[t]):.1f}" '
                       f'stroke="#888" stroke-dasharray="6,4"/>')
            out.append(f'<text x="{x0 + pw - 4}" y="{Y(peak[t]) - 4:.1f}" text-anchor="end" fill="#555">'
                       f'measured FMA peak {peak[t]:.0f}</text>')
        for j, (name, pts) in enumerate(sorted(data[t].items())):
            c = colours.get(name, "#9467bd")
            xy = " ".join(f"{X(n):.1f},{Y(v):.1f}" for n, v in sorted(pts.items()))
            out.append(f'<polyline points="{xy}" fill="none" stroke="{c}" stroke-width="2"/>')
            for n, v in sorted(pts.items()):
                out.append(f'<circle cx="{X(n):.1f}" cy="{Y(v):.1f}" r="3" fill="{c}"/>')
            ly = y0 + 16 + 16 * j
            out.append(f'<line x1="{x0 + 10}" y1="{ly - 4}" x2="{x0 + 30}" y2="{ly - 4}" stroke="{c}" stroke-width="2"/>')
            out.append(f'<text x="{x0 + 35}" y="{ly}">{name}</text>')
    out.append("</svg>")
    open(path, "w").write("\n".join(out) + "\n")
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jmh")
    ap.add_argument("--peers")
    ap.add_argument("--extra")
    ap.add_argument("--info")
    ap.add_argument("--out", required=True, help="output path without extension")
    a = ap.parse_args()
    every = csv_rows(a.extra) + jmh_rows(a.jmh) + csv_rows(a.peers)
    with open(a.out + ".csv", "w", newline="") as f:     # every measurement, every round
        w = csv.writer(f)
        w.writerow(["workload", "shape", "threads", "system", "metric", "value"])
        for r in every:
            w.writerow(list(r[:5]) + [f"{r[5]:.6g}"])
    rows, rounds = median_over_rounds(every)
    table = build_table(rows)
    plotted = svg_plot(rows, a.out + ".svg")
    info = open(a.info).read().strip().splitlines() if a.info and os.path.exists(a.info) else []
    md = ["## Machine and libraries", ""] + [f"- {line}" for line in info]
    for w, s, t, sysname, m, v in rows:
        if w == "fma-peak":
            md.append(f"- float32 FMA peak (bench/fma_peak.c, best of 20 runs, per-thread CPU time), {t} thread(s): {v:.1f} GFLOPS"
                      f" ({v / t:.1f} per core)")
    md.append("")
    md += ["## Results", "", "Ratios are qkv's speed over the peer's (> 1: qkv is faster); for `ms` rows that is "
           "peer time / qkv time. `torch config` is the better of the two thread configurations tried."
           + (f" Each value is the median of {rounds} rounds, interleaved in time (qkv, peers, qkv, peers, ...);"
              " the CSV has every round." if rounds > 1 else ""), ""]
    md += table_lines(table, markdown=True)
    mem = [r for r in rows if r[0] == "attention-memory"]
    if mem:
        md += ["", "Attention memory (heap bytes allocated by one call, all threads):", "",
               "| shape | system | metric | MiB |", "|---|---|---|---|"]
        md += [f"| {r[1]} | {r[3]} | {r[4]} | {r[5] / 2**20:,.1f} |" for r in mem]
    tg = targets(rows, table)
    if tg:
        md += ["", "## Targets (issue \"CPU performance\")", ""] + tg
    open(a.out + ".md", "w").write("\n".join(md) + "\n")
    print("\n".join(table_lines(table, markdown=False)))
    if mem:
        print()
        for r in mem:
            print(f"attention-memory  {r[1]}  {r[3]:<12} {r[4]:<20} {r[5] / 2**20:10,.1f} MiB")
    if tg:
        print()
        print("\n".join(tg))
    print()
    print(f"wrote {a.out}.csv, {a.out}.md" + (f", {a.out}.svg" if plotted else ""))


if __name__ == "__main__":
    main()
