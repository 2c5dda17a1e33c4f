#!/usr/bin/env python3
"""The table of bench/run-gpu-compare.sh: qkv's and PyTorch's GPU rows side by side.

Reads the merged CSV (workload,shape,threads,system,metric,value), the runners' logs (for the
"skipped ..." lines, which say why a row is missing) and the machine facts; writes OUT.md and
prints it. For tflops and tokens/s higher is better; for ms lower is better. "qkv vs best torch"
is qkv's speed as a fraction of the fastest torch system's on that row (1.00 = as fast).

  python3 bench/gpu_report.py --csv X.csv --logs qkv.log torch.log --info info.txt --out OUT
"""
import argparse
import csv
import re

HIGHER_IS_BETTER = {"tflops", "tokens/s"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--csv", required=True)
    ap.add_argument("--logs", nargs="*", default=[])
    ap.add_argument("--info")
    ap.add_argument("--out", required=True, help="output path without extension")
    a = ap.parse_args()

    rows = {}
    order = []
    systems = []
    with open(a.csv, newline="") as f:
        for r in csv.reader(f):
            if len(r) != 6:
                continue
            workload, shape, _threads, system, metric, value = r
            key = (workload, shape, metric)
            if key not in rows:
                rows[key] = {}
                order.append(key)
            rows[key][system] = float(value)
            if system not in systems:
                systems.append(system)
    systems.sort(key=lambda s: (not s.startswith("qkv"), s))

    skipped = []
    for path in a.logs:
        try:
            with open(path, errors="replace") as f:
                for line in f:
                    m = re.match(r"\[(qkv-gpu|torch-gpu)\] (skipped .*|FAILED .*)", line.rstrip())
                    if m:
                        skipped.append(f"{m.group(1)}: {m.group(2)}")
        except FileNotFoundError:
            pass

    out = ["# GPU comparison: qkv (CUDA backend) and PyTorch, same machine, same run", ""]
    if a.info:
        out += ["```", open(a.info).read().rstrip(), "```", ""]
    if order:
        head = ["workload", "shape", "metric"] + systems + ["qkv vs best torch"]
        out += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for key in order:
            vals = rows[key]
            cells = [f"{vals[s]:.4g}" if s in vals else "—" for s in systems]
            qkv = vals.get("qkv-cuda")
            torch_vals = [v for s, v in vals.items() if s.startswith("torch")]
            ratio = "—"
            if qkv and torch_vals:
                if key[2] in HIGHER_IS_BETTER:
                    ratio = f"{qkv / max(torch_vals):.2f}"
                else:
                    ratio = f"{min(torch_vals) / qkv:.2f}"
            out.append("| " + " | ".join(list(key) + cells + [ratio]) + " |")
        out.append("")
    else:
        out += ["No measurements (see the skipped rows below).", ""]
    if skipped:
        out += ["## Rows not measured, and why", ""] + [f"* {s}" for s in skipped] + [""]
    text = "\n".join(out)
    with open(a.out + ".md", "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
