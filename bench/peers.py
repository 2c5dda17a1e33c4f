#!/usr/bin/python3
"""The peers of qkv's benchmarks: the same workloads on NumPy (OpenBLAS sgemm) and PyTorch CPU.

Run by bench/run-compare.sh, once per (system, thread configuration), because the BLAS thread
count is read from the environment when the library loads. Prints CSV rows
``workload,shape,threads,system,metric,value`` on stdout, one per measurement, and progress on
stderr. Every value is the median over repetitions; a repetition is one call (big workloads) or
enough calls to last about ``min_time`` seconds (small ones), timed with perf_counter.

The shapes here must match the JMH benchmarks in bench/src/main/java/dev/qkv/bench; each
workload names the Java class it mirrors.

Usage (normally through the runner):
  OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/peers.py --system numpy --threads 2 --workloads sgemm,matmul
  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/peers.py --system torch --torch-threads 2 --threads 2 --workloads attention
"""
import argparse
import csv
import math
import statistics
import sys
import time

# ---------------------------------------------------------------------------------- timing


class Timer:
    """Median-of-repetitions timing with warmup. quick: fewer and shorter repetitions."""

    def __init__(self, quick):
        self.warmup = 1 if quick else 2
        self.reps = 3 if quick else 7
        self.min_time = 0.05 if quick else 0.2
        self.long_warmup = 1                             # for single-call repetitions (seconds each)
        self.long_reps = 1 if quick else 3

    def median_seconds(self, fn, setup=None, single=False):
        """Seconds per call of fn(). setup() runs before every repetition, untimed.
        single: one call per repetition, 1 warmup and 3 measured (calls of a second or more)."""
        inner = 1
        if not single:                                   # calibrate calls per repetition
            if setup:
                setup()
            t0 = time.perf_counter()
            fn()
            one = max(time.perf_counter() - t0, 1e-7)
            inner = max(1, int(self.min_time / one))
        warmup, reps = (self.long_warmup, self.long_reps) if single else (self.warmup, self.reps)
        times = []
        for r in range(warmup + reps):
            if setup:
                setup()
            t0 = time.perf_counter()
            for _ in range(inner):
                fn()
            dt = (time.perf_counter() - t0) / inner
            if r >= warmup:
                times.append(dt)
        return statistics.median(times)


def emit(workload, shape, threads, system, metric, value):
    csv.writer(sys.stdout).writerow([workload, shape, threads, system, metric, f"{value:.6g}"])
    sys.stdout.flush()


def log(msg):
    print(f"[peers] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------- shapes
# Mirrors SgemmBench, RowOpsBench, AttentionBench, GptTrainBench, GenerationBench.

SGEMM_N = [128, 256, 512, 1024, 2048]
MATMUL = (2048, 768, 3072)              # M, K, N: GPT-2 small c_fc over 2048 tokens
BMM = (64, 256, 64, 256)                # batch, M, K, N: the attention-score shape
SOFTMAX = (8192, 1024)
LAYERNORM = (8192, 768)
CROSSENTROPY = (1024, 50257)
ATTN_B, ATTN_H, ATTN_D = 8, 8, 64
ATTN_T = [256, 1024]
GPT_TRAIN = dict(layers=4, heads=4, d=256, ctx=128, vocab=256, batch=16)
GEN = dict(layers=12, heads=12, d=768, ctx=1024, vocab=50257, prompt=128, new=16)


def shape_sgemm(n):
    return f"N={n}"


SHAPE_MATMUL = "2048x768 @ 768x3072"
SHAPE_BMM = "64 x (256x64 @ 64x256)"
SHAPE_SOFTMAX = "8192x1024"
SHAPE_LAYERNORM = "8192x768"
SHAPE_CROSSENTROPY = "1024x50257"
SHAPE_GPT_TRAIN = "L4 H4 d256 ctx128 V256 B16"
SHAPE_GEN = "GPT-2 small 124M B1 prompt128 new16"


def shape_attn(t):
    return f"B8 H8 T{t} D64 causal"


# ---------------------------------------------------------------------------------- numpy


def run_numpy(workloads, threads, timer):
    import numpy as np
    system = "numpy"
    rng = np.random.default_rng(0)

    def gemm_gflops(a, b, flops):
        c = np.empty(a.shape[:-1] + b.shape[-1:], np.float32)          # preallocated, like qkv's C
        s = timer.median_seconds(lambda: np.matmul(a, b, out=c))
        return flops / s / 1e9

    if "sgemm" in workloads:
        for n in SGEMM_N:
            a = rng.standard_normal((n, n), dtype=np.float32)
            b = rng.standard_normal((n, n), dtype=np.float32)
            emit("sgemm", shape_sgemm(n), threads, system, "gflops", gemm_gflops(a, b, 2.0 * n ** 3))
            log(f"numpy sgemm N={n} done")
    if "matmul" in workloads:
        m, k, n = MATMUL
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        emit("matmul", SHAPE_MATMUL, threads, system, "gflops", gemm_gflops(a, b, 2.0 * m * n * k))
    if "bmm" in workloads:
        bt, m, k, n = BMM
        a = rng.standard_normal((bt, m, k), dtype=np.float32)
        b = rng.standard_normal((bt, k, n), dtype=np.float32)
        emit("bmm", SHAPE_BMM, threads, system, "gflops", gemm_gflops(a, b, 2.0 * bt * m * n * k))


# ---------------------------------------------------------------------------------- torch


def torch_gpt(torch, layers, heads, d, ctx, vocab):
    """nanoGPT's architecture, the same as dev.qkv.models.gpt.GPT: pre-norm blocks, GELU (tanh),
    weight tying, biases, manual causal attention (torch 1.13 has no scaled_dot_product_attention).
    forward(ids, cache) runs with or without a hand-written KV cache."""
    nn = torch.nn
    F = torch.nn.functional

    class Attn(nn.Module):
        def __init__(self):
            super().__init__()
            self.c_attn = nn.Linear(d, 3 * d)
            self.c_proj = nn.Linear(d, d)

        def forward(self, x, layer, cache):
            B, T, C = x.shape
            hs = C // heads
            q, k, v = self.c_attn(x).split(C, dim=2)
            q = q.view(B, T, heads, hs).transpose(1, 2)                  # (B, nh, T, hs)
            k = k.view(B, T, heads, hs).transpose(1, 2)                  # (B, nh, T, hs)
            v = v.view(B, T, heads, hs).transpose(1, 2)                  # (B, nh, T, hs)
            offset = 0
            if cache is not None:
                offset = cache.length
                cache.k[layer, :, :, offset:offset + T] = k
                cache.v[layer, :, :, offset:offset + T] = v
                k = cache.k[layer, :, :, :offset + T]                     # (B, nh, offset+T, hs)
                v = cache.v[layer, :, :, :offset + T]
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))       # (B, nh, T, offset+T)
            if T > 1:                                                     # one new token sees every key
                hidden = torch.ones(T, offset + T, dtype=torch.bool).triu(offset + 1)
                att = att.masked_fill(hidden, float("-inf"))
            att = F.softmax(att, dim=-1)
            y = att @ v                                                   # (B, nh, T, hs)
            y = y.transpose(1, 2).contiguous().view(B, T, C)
            return self.c_proj(y)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = nn.LayerNorm(d)
            self.attn = Attn()
            self.ln_2 = nn.LayerNorm(d)
            self.c_fc = nn.Linear(d, 4 * d)
            self.c_proj = nn.Linear(4 * d, d)

        def forward(self, x, layer, cache):
            x = x + self.attn(self.ln_1(x), layer, cache)
            return x + self.c_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))

    class Cache:
        def __init__(self, batch, max_len):
            self.k = torch.zeros(layers, batch, heads, max_len, d // heads)
            self.v = torch.zeros(layers, batch, heads, max_len, d // heads)
            self.length = 0

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = nn.Embedding(vocab, d)
            self.wpe = nn.Embedding(ctx, d)
            self.h = nn.ModuleList([Block() for _ in range(layers)])
            self.ln_f = nn.LayerNorm(d)
            self.lm_head = nn.Linear(d, vocab, bias=False)
            self.lm_head.weight = self.wte.weight                         # weight tying
            for name, p in self.named_parameters():
                if name.endswith("bias"):
                    nn.init.zeros_(p)
                elif name.endswith("c_proj.weight"):
                    nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * layers))
                elif p.dim() == 2:
                    nn.init.normal_(p, 0.0, 0.02)

        def new_cache(self, batch, max_len):
            return Cache(batch, max_len)

        def forward(self, ids, cache=None):
            B, T = ids.shape
            offset = 0 if cache is None else cache.length
            pos = torch.arange(offset, offset + T)
            x = self.wte(ids) + self.wpe(pos)                              # (B, T, C)
            for i, block in enumerate(self.h):
                x = block(x, i, cache)
            if cache is not None:
                cache.length += T
            return self.lm_head(self.ln_f(x))                              # (B, T, V)

    return GPT()


def run_torch(workloads, threads, system, timer):
    import torch
    import torch.nn.functional as F
    torch.manual_seed(0)
    torch.set_grad_enabled(True)

    def gemm_gflops(fn, flops):
        return flops / timer.median_seconds(fn) / 1e9

    if "sgemm" in workloads:
        for n in SGEMM_N:
            a, b, c = torch.randn(n, n), torch.randn(n, n), torch.empty(n, n)
            emit("sgemm", shape_sgemm(n), threads, system, "gflops",
                 gemm_gflops(lambda: torch.mm(a, b, out=c), 2.0 * n ** 3))
            log(f"{system} sgemm N={n} done")
    if "matmul" in workloads:
        m, k, n = MATMUL
        a, b, c = torch.randn(m, k), torch.randn(k, n), torch.empty(m, n)
        emit("matmul", SHAPE_MATMUL, threads, system, "gflops", gemm_gflops(lambda: torch.mm(a, b, out=c), 2.0 * m * n * k))
    if "bmm" in workloads:
        bt, m, k, n = BMM
        a, b, c = torch.randn(bt, m, k), torch.randn(bt, k, n), torch.empty(bt, m, n)
        emit("bmm", SHAPE_BMM, threads, system, "gflops", gemm_gflops(lambda: torch.bmm(a, b, out=c), 2.0 * bt * m * n * k))

    def row_op(name, shape, fwd, x, dy, params=()):
        with torch.no_grad():
            emit(name, shape, threads, system, "ms", 1e3 * timer.median_seconds(fwd))

        def fwd_bwd():
            for p in (x,) + tuple(params):
                p.grad = None
            out = fwd()
            if dy is None:
                out.backward()
            else:
                out.backward(dy)
        emit(name + "_fwdbwd", shape, threads, system, "ms", 1e3 * timer.median_seconds(fwd_bwd))
        log(f"{system} {name} done")

    if "softmax" in workloads:
        x = torch.randn(*SOFTMAX, requires_grad=True)
        row_op("softmax", SHAPE_SOFTMAX, lambda: torch.softmax(x, -1), x, torch.randn(*SOFTMAX))
    if "layernorm" in workloads:
        x = torch.randn(*LAYERNORM, requires_grad=True)
        w = torch.randn(LAYERNORM[1], requires_grad=True)
        b = torch.randn(LAYERNORM[1], requires_grad=True)
        row_op("layernorm", SHAPE_LAYERNORM, lambda: F.layer_norm(x, (LAYERNORM[1],), w, b, 1e-5), x,
               torch.randn(*LAYERNORM), (w, b))
    if "crossentropy" in workloads:
        x = torch.randn(*CROSSENTROPY, requires_grad=True)
        t = torch.randint(0, CROSSENTROPY[1], (CROSSENTROPY[0],))
        row_op("crossentropy", SHAPE_CROSSENTROPY, lambda: F.cross_entropy(x, t), x, None)

    if "attention" in workloads:
        for T in ATTN_T:
            q, k, v = (torch.randn(ATTN_B, ATTN_H, T, ATTN_D, requires_grad=True) for _ in range(3))
            dout = torch.randn(ATTN_B, ATTN_H, T, ATTN_D)
            hidden = torch.ones(T, T, dtype=torch.bool).triu(1)

            def attend():                                                  # the manual path, as nanoGPT
                att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(ATTN_D))   # (B, H, T, T)
                att = att.masked_fill(hidden, float("-inf"))
                return torch.softmax(att, dim=-1) @ v                      # (B, H, T, D)

            def fwd_bwd():
                q.grad = k.grad = v.grad = None
                attend().backward(dout)
            big = T >= 1024
            with torch.no_grad():
                emit("attention_fwd", shape_attn(T), threads, system, "ms",
                     1e3 * timer.median_seconds(attend, single=big))
            emit("attention_fwdbwd", shape_attn(T), threads, system, "ms",
                 1e3 * timer.median_seconds(fwd_bwd, single=big))
            log(f"{system} attention T={T} done")

    if "gpt-train" in workloads:
        c = GPT_TRAIN
        torch.manual_seed(42)
        model = torch_gpt(torch, c["layers"], c["heads"], c["d"], c["ctx"], c["vocab"])
        model.train()
        opt = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.01)
        ids = torch.randint(0, c["vocab"], (c["batch"], c["ctx"]))
        targets = torch.randint(0, c["vocab"], (c["batch"], c["ctx"]))

        def step():
            opt.zero_grad(set_to_none=True)
            logits = model(ids)
            loss = F.cross_entropy(logits.view(-1, c["vocab"]), targets.view(-1))
            loss.backward()
            opt.step()
        s = timer.median_seconds(step)                   # a step is ~1 s: one call per repetition
        emit("gpt-train", SHAPE_GPT_TRAIN, threads, system, "tokens/s", c["batch"] * c["ctx"] / s)
        log(f"{system} gpt-train done")

    if "gen" in workloads:
        c = GEN
        torch.manual_seed(42)
        model = torch_gpt(torch, c["layers"], c["heads"], c["d"], c["ctx"], c["vocab"])
        model.eval()
        prompt = torch.randint(0, c["vocab"], (1, c["prompt"]))
        state = {}

        def fresh():
            state["cache"] = model.new_cache(1, c["prompt"] + c["new"])

        def prefill():
            return model(prompt, state["cache"])

        def prefilled():
            fresh()
            state["first"] = prefill()[:, -1].argmax(-1, keepdim=True)     # (1, 1)

        def decode():
            nxt = state["first"]
            for _ in range(c["new"]):
                nxt = model(nxt, state["cache"])[:, -1].argmax(-1, keepdim=True)
            return nxt
        with torch.inference_mode():
            s = timer.median_seconds(prefill, setup=fresh, single=True)
            emit("gen-prefill", SHAPE_GEN, threads, system, "tokens/s", c["prompt"] / s)
            s = timer.median_seconds(decode, setup=prefilled, single=True)
            emit("gen-decode", SHAPE_GEN, threads, system, "tokens/s", c["new"] / s)
        log(f"{system} generation done")


# ---------------------------------------------------------------------------------- info


def info():
    """Versions and the BLAS each library actually loaded (threadpoolctl), as key=value lines."""
    import numpy as np
    print(f"numpy={np.__version__}")
    try:
        import threadpoolctl
        for p in threadpoolctl.threadpool_info():
            if p.get("internal_api") == "openblas":
                print(f"numpy_blas=openblas {p.get('version')} {p.get('threading_layer')} "
                      f"kernel={p.get('architecture')} ({p.get('filepath')})")
                break
        else:
            print("numpy_blas=" + ";".join(p.get("internal_api", "?") for p in threadpoolctl.threadpool_info()))
    except ImportError:
        print("numpy_blas=unknown (threadpoolctl missing)")
    import torch
    print(f"torch={torch.__version__}")
    print(f"torch_has_sdpa={hasattr(torch.nn.functional, 'scaled_dot_product_attention')}")
    try:
        import threadpoolctl
        libs = sorted({f"{p.get('internal_api')} {p.get('version') or ''}".strip() for p in threadpoolctl.threadpool_info()})
        print("torch_process_libs=" + "; ".join(libs))
    except ImportError:
        pass


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--system", choices=["numpy", "torch", "info"], required=True)
    ap.add_argument("--threads", type=int, default=1, help="the thread count this run stands for (the CSV column)")
    ap.add_argument("--torch-threads", type=int, default=None, help="torch.set_num_threads (intra-op pool)")
    ap.add_argument("--label", default=None, help="the system name written in the CSV (default: --system)")
    ap.add_argument("--workloads", default="sgemm,matmul,bmm,softmax,layernorm,crossentropy,attention,gpt-train,gen")
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    if a.system == "info":
        info()
        return
    workloads = set(a.workloads.split(","))
    timer = Timer(a.quick)
    if a.system == "numpy":
        run_numpy(workloads, a.threads, timer)
    else:
        import torch
        torch.set_num_threads(a.torch_threads or a.threads)
        torch.set_num_interop_threads(1)
        run_torch(workloads, a.threads, a.label or "torch", timer)


if __name__ == "__main__":
    main()
