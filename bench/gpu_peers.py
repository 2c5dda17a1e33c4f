#!/usr/bin/env python3
"""PyTorch's side of bench/run-gpu-compare.sh: the GPU workloads of issue 5 section 4, on the same
GPU and in the same run as qkv's dev.qkv.bench.gpu.GpuCompare, with the same shapes.

Prints CSV rows ``workload,shape,threads,system,metric,value`` on stdout (threads is "gpu") and
progress, facts and the reason for every row it does not produce on stderr, prefixed
``[torch-gpu]``. Without torch or without a CUDA device every row is skipped with the reason and
the exit status is 0.

Timing: each repetition runs the operation (enough times to last about 0.2 s for short ones) and
then torch.cuda.synchronize(); the value is the median over repetitions after warmup, as
GpuCompare does.

  python3 bench/gpu_peers.py [--workloads gemm,attention,gpt2-train] [--quick] [--gpt-batch 8]
  python3 bench/gpu_peers.py --info
"""
import argparse
import csv
import math
import statistics
import sys
import time

# Must match bench/src/main/java/dev/qkv/bench/gpu/GpuCompare.java.
GEMM_N = [1024, 2048, 4096, 8192]
GEMM_N_QUICK = [1024, 4096]
ATTN_B, ATTN_H, ATTN_D = 8, 12, 64
ATTN_T = [1024, 2048]
ATTN_T_QUICK = [1024]
GPT = dict(layers=12, heads=12, d=768, vocab=50257, ctx=1024)
WORKLOADS = ["gemm", "attention", "gpt2-train"]


def gemm_shape(n):
    return f"M=N=K={n}"


def attn_shape(t, dtype):
    return f"B{ATTN_B} H{ATTN_H} T{t} D{ATTN_D} causal {dtype}"


def gpt_shape(batch, precision):
    return f"GPT-2 small L12 H12 d768 V50257 B{batch} T{GPT['ctx']} {precision}"


def log(msg):
    print(f"[torch-gpu] {msg}", file=sys.stderr, flush=True)


def skip(workload, shape, reason):
    log(f"skipped {workload} [{shape}]: {reason}")


def emit(workload, shape, system, metric, value):
    csv.writer(sys.stdout, lineterminator="\n").writerow([workload, shape, "gpu", system, metric, f"{value:.6g}"])
    sys.stdout.flush()


def first_line(e):
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0] if text else ''}"


class Timer:
    def __init__(self, torch, quick):
        self.torch = torch
        self.quick = quick

    def median_seconds(self, fn, single=False):
        """Seconds per call of fn(), each repetition ended by a device synchronisation."""
        sync = self.torch.cuda.synchronize
        warmup = 1 if self.quick else (2 if single else 3)
        reps = 3 if self.quick else (5 if single else 7)
        inner = 1
        if not single:
            t0 = time.perf_counter()
            fn()
            sync()
            one = max(time.perf_counter() - t0, 1e-6)
            inner = int(max(1, min(1000, (0.05 if self.quick else 0.2) / one)))
        times = []
        for r in range(warmup + reps):
            t0 = time.perf_counter()
            for _ in range(inner):
                fn()
            sync()
            dt = (time.perf_counter() - t0) / inner
            if r >= warmup:
                times.append(dt)
        return statistics.median(times)


# ---------------------------------------------------------------------------------- workloads


def run_gemm(torch, timer, quick):
    sizes = GEMM_N_QUICK if quick else GEMM_N
    configs = [("gemm-fp32", torch.float32, False), ("gemm-tf32", torch.float32, True),
               ("gemm-bf16", torch.bfloat16, False)]
    for workload, dtype, tf32 in configs:
        torch.backends.cuda.matmul.allow_tf32 = tf32
        for n in sizes:
            try:
                g = torch.Generator(device="cuda").manual_seed(n)
                a = torch.randn(n, n, device="cuda", dtype=dtype, generator=g)
                b = torch.randn(n, n, device="cuda", dtype=dtype, generator=g)
                s = timer.median_seconds(lambda: torch.matmul(a, b))
                emit(workload, gemm_shape(n), "torch", "tflops", 2.0 * n ** 3 / s / 1e12)
                log(f"{workload} N={n}: {s * 1e3:.3f} ms")
            except Exception as e:                          # noqa: BLE001 - report and go on
                skip(workload, gemm_shape(n), first_line(e))
    torch.backends.cuda.matmul.allow_tf32 = False


def sdpa_backends(torch):
    """(label, context manager factory or None for the default choice)."""
    backends = [("torch-sdpa-default", None)]
    try:
        from torch.nn.attention import SDPBackend, sdpa_kernel
        backends.append(("torch-sdpa-cudnn", lambda: sdpa_kernel(SDPBackend.CUDNN_ATTENTION)))
    except Exception as e:                                  # noqa: BLE001
        log(f"no cuDNN attention selector in torch {torch.__version__}: {first_line(e)}")
        backends.append(("torch-sdpa-cudnn", e))
    return backends


def run_attention(torch, timer, quick):
    import contextlib
    F = torch.nn.functional
    if not hasattr(F, "scaled_dot_product_attention"):
        for t in (ATTN_T_QUICK if quick else ATTN_T):
            skip("attention-fwd", attn_shape(t, "fp32"), f"torch {torch.__version__} has no scaled_dot_product_attention")
        return
    for t in (ATTN_T_QUICK if quick else ATTN_T):
        for dtype, dname in ((torch.float32, "fp32"), (torch.bfloat16, "bf16")):
            shape = attn_shape(t, dname)
            g = torch.Generator(device="cuda").manual_seed(t)
            q, k, v, dout = (torch.randn(ATTN_B, ATTN_H, t, ATTN_D, device="cuda", dtype=dtype, generator=g)
                             for _ in range(4))
            for x in (q, k, v):
                x.requires_grad_(True)
            for system, ctx in sdpa_backends(torch):
                if isinstance(ctx, Exception):
                    skip("attention-fwd", shape, f"{system}: {first_line(ctx)}")
                    continue
                make = ctx if ctx is not None else contextlib.nullcontext

                def fwd():
                    with torch.no_grad(), make():
                        F.scaled_dot_product_attention(q, k, v, is_causal=True)

                def fwd_bwd():
                    for x in (q, k, v):
                        x.grad = None
                    with make():
                        F.scaled_dot_product_attention(q, k, v, is_causal=True).backward(dout)

                for workload, fn in (("attention-fwd", fwd), ("attention-fwdbwd", fwd_bwd)):
                    try:
                        s = timer.median_seconds(fn)
                        emit(workload, shape, system, "ms", s * 1e3)
                        log(f"{workload} {shape} {system}: {s * 1e3:.3f} ms")
                    except Exception as e:                  # noqa: BLE001 - e.g. "No available kernel"
                        skip(workload, shape, f"{system}: {first_line(e)}")


def torch_gpt2(torch, layers, heads, d, vocab, ctx):
    """nanoGPT (the architecture of dev.qkv.models.gpt.GPT): pre-norm blocks, GELU (tanh), biases,
    weight tying, causal attention through scaled_dot_product_attention (nanoGPT's flash path)."""
    nn = torch.nn
    F = torch.nn.functional

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = nn.LayerNorm(d)
            self.c_attn = nn.Linear(d, 3 * d)
            self.attn_proj = nn.Linear(d, d)
            self.ln_2 = nn.LayerNorm(d)
            self.c_fc = nn.Linear(d, 4 * d)
            self.c_proj = nn.Linear(4 * d, d)

        def forward(self, x):
            B, T, C = x.shape
            q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
            q, k, v = (z.view(B, T, heads, C // heads).transpose(1, 2) for z in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + self.attn_proj(y.transpose(1, 2).contiguous().view(B, T, C))
            return x + self.c_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))

    class GPT2(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = nn.Embedding(vocab, d)
            self.wpe = nn.Embedding(ctx, d)
            self.h = nn.ModuleList([Block() for _ in range(layers)])
            self.ln_f = nn.LayerNorm(d)
            self.lm_head = nn.Linear(d, vocab, bias=False)
            self.lm_head.weight = self.wte.weight
            for name, p in self.named_parameters():
                if name.endswith("bias"):
                    nn.init.zeros_(p)
                elif name.endswith("c_proj.weight") or name.endswith("attn_proj.weight"):
                    nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * layers))
                elif p.dim() == 2:
                    nn.init.normal_(p, 0.0, 0.02)

        def forward(self, ids, targets):
            B, T = ids.shape
            x = self.wte(ids) + self.wpe(torch.arange(T, device=ids.device))
            for block in self.h:
                x = block(x)
            logits = self.lm_head(self.ln_f(x))
            return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))

    return GPT2()


def run_gpt2_train(torch, timer, batch):
    c = GPT
    for tf32, precision in ((False, "fp32"), (True, "fp32+tf32")):
        shape = gpt_shape(batch, precision)
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
        try:
            torch.manual_seed(42)
            model = torch_gpt2(torch, c["layers"], c["heads"], c["d"], c["vocab"], c["ctx"]).cuda().train()
            opt = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.01)
            ids = torch.randint(0, c["vocab"], (batch, c["ctx"]), device="cuda")
            targets = torch.randint(0, c["vocab"], (batch, c["ctx"]), device="cuda")
            last = [0.0]

            def step():
                opt.zero_grad(set_to_none=True)
                loss = model(ids, targets)
                loss.backward()
                opt.step()
                last[0] = loss.item()

            torch.cuda.reset_peak_memory_stats()
            s = timer.median_seconds(step, single=True)
            emit("gpt2-train", shape, "torch-eager", "tokens/s", batch * c["ctx"] / s)
            log(f"gpt2-train {shape}: {s * 1e3:.1f} ms/step, loss {last[0]:.4f}, "
                f"peak {torch.cuda.max_memory_allocated() / 2 ** 30:.2f} GiB")
            del model, opt
            torch.cuda.empty_cache()
        except Exception as e:                              # noqa: BLE001
            skip("gpt2-train", shape, first_line(e))
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = True


def skip_all(workloads, quick, batch, reason):
    for w in workloads:
        if w == "gemm":
            for n in (GEMM_N_QUICK if quick else GEMM_N):
                for name in ("gemm-fp32", "gemm-tf32", "gemm-bf16"):
                    skip(name, gemm_shape(n), reason)
        elif w == "attention":
            for t in (ATTN_T_QUICK if quick else ATTN_T):
                for dname in ("fp32", "bf16"):
                    skip("attention-fwd", attn_shape(t, dname), reason)
                    skip("attention-fwdbwd", attn_shape(t, dname), reason)
        elif w == "gpt2-train":
            for precision in ("fp32", "fp32+tf32"):
                skip("gpt2-train", gpt_shape(batch, precision), reason)


def info():
    """key=value facts for the report."""
    try:
        import torch
    except Exception as e:                                  # noqa: BLE001
        print(f"torch=not importable ({first_line(e)})")
        return
    print(f"torch={torch.__version__} (built for CUDA {torch.version.cuda}, cuDNN "
          f"{torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else 'none'})")
    if torch.cuda.is_available():
        p = torch.cuda.get_device_properties(0)
        print(f"torch device={p.name}, {p.total_memory / 2 ** 30:.1f} GiB, sm_{p.major}{p.minor}, "
              f"{p.multi_processor_count} SMs")
    else:
        print("torch device=none (torch.cuda.is_available() is False)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--quick", action="store_true", help="fewer sizes and repetitions: for trying the runner")
    ap.add_argument("--gpt-batch", type=int, default=8)
    ap.add_argument("--info", action="store_true", help="print facts about torch and the GPU, and exit")
    a = ap.parse_args()
    if a.info:
        info()
        return 0
    workloads = [w for w in a.workloads.split(",") if w]
    unknown = [w for w in workloads if w not in WORKLOADS]
    if unknown:
        ap.error(f"unknown workloads {unknown} (known: {WORKLOADS})")
    try:
        import torch
    except Exception as e:                                  # noqa: BLE001
        skip_all(workloads, a.quick, a.gpt_batch, f"no PyTorch: {first_line(e)}")
        return 0
    if not torch.cuda.is_available():
        skip_all(workloads, a.quick, a.gpt_batch, f"no GPU: torch {torch.__version__} says "
                 "torch.cuda.is_available() is False")
        return 0
    log(f"torch {torch.__version__} on {torch.cuda.get_device_name(0)}")
    timer = Timer(torch, a.quick)
    for w in workloads:
        try:
            {"gemm": lambda: run_gemm(torch, timer, a.quick),
             "attention": lambda: run_attention(torch, timer, a.quick),
             "gpt2-train": lambda: run_gpt2_train(torch, timer, a.gpt_batch)}[w]()
        except Exception as e:                              # noqa: BLE001 - keep the other workloads' rows
            log(f"FAILED {w}: {first_line(e)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
