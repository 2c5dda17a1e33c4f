"""Golden training trajectories from PyTorch for qkv's optimizers, schedulers and grad clipping.

Regenerate (from the repository root) with:

    /usr/bin/python3 core/src/test/python/optim/make_optim_golden.py

which writes core/src/test/resources/golden/optim/optim_golden.json. The Java test
dev.qkv.optim.OptimGoldenTest reads the same initial weights and batch, repeats every run with
qkv and compares loss, gradient norm, learning rate and all parameters after every step.

The model is an MLP, Sequential(Linear(4, 8), Tanh(), Linear(8, 3)), trained full-batch
on 6 fixed points with cross-entropy. Each run starts from the same float32 weights and is
recorded step by step in float32, and once more in float64 (losses and final weights only).
"""
import json
import math
import os

import torch

torch.manual_seed(0)
IN, HIDDEN, OUT, N = 4, 8, 3, 6
OUT_PATH = os.path.join(os.path.dirname(__file__), "..", "..", "resources", "golden", "optim", "optim_golden.json")


def f32(v):
    """A float32 value as the shortest decimal that reads back to the same float32 (9 digits)."""
    return float(f"{float(v):.9g}")


def flat(t):
    return [f32(v) for v in t.detach().reshape(-1).tolist()]


def warmup_cosine(t, base, warmup, total, min_lr):
    """Exactly qkv's WarmupCosine.lrAt."""
    if t < warmup:
        return base * t / warmup
    if t >= total:
        return min_lr
    progress = (t - warmup) / (total - warmup)
    return min_lr + (base - min_lr) * (1 + math.cos(math.pi * progress)) / 2


def make_model():
    return torch.nn.Sequential(torch.nn.Linear(IN, HIDDEN), torch.nn.Tanh(), torch.nn.Linear(HIDDEN, OUT))


init_model = make_model()
init_state = {k: v.clone() for k, v in init_model.state_dict().items()}
x = torch.randn(N, IN)
y = torch.randint(0, OUT, (N,))


def run(name, steps, make_optimizer, schedule=None, max_norm=None):
    """The float32 run step by step, plus the same run in float64 (losses and final weights):
    float64 has so little rounding that it shows whether the update formulas are exactly torch's."""
    result = train(name, steps, make_optimizer, schedule, max_norm, torch.float32)
    f64 = train(name + " (float64)", steps, make_optimizer, schedule, max_norm, torch.float64)
    result["float64"] = {"losses": [r["loss"] for r in f64["trajectory"]],
                         "final_params": f64["trajectory"][-1]["params"]}
    return result


def train(name, steps, make_optimizer, schedule, max_norm, dtype):
    keep = f32 if dtype == torch.float32 else float
    model = make_model().to(dtype)
    model.load_state_dict(init_state)
    xd = x.to(dtype)
    opt = make_optimizer(model.parameters())
    sched = None
    if schedule is not None:
        base = opt.param_groups[0]["lr"]
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda t: warmup_cosine(t, base, schedule["warmup_steps"], schedule["total_steps"],
                                         schedule["min_lr"]) / base)
    trajectory = []
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(xd), y)
        loss.backward()
        norm = None
        if max_norm is not None:
            norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm).item()
        lr = opt.param_groups[0]["lr"]
        opt.step()
        if sched is not None:
            sched.step()
        record = {"lr": lr, "loss": keep(loss.item()),
                  "params": {k: [keep(e) for e in v.reshape(-1).tolist()] for k, v in model.state_dict().items()}}
        if norm is not None:
            record["grad_norm"] = keep(norm)
        trajectory.append(record)
    print(f"{name}: loss {trajectory[0]['loss']:.5f} -> {trajectory[-1]['loss']:.5f}",
          "grad norms " + " ".join(f"{r['grad_norm']:.3f}" for r in trajectory) if max_norm else "")
    return {"steps": steps, "schedule": schedule, "max_norm": max_norm, "trajectory": trajectory}


runs = {
    # The main run: AdamW with decoupled weight decay, warmup + cosine, and clipping that bites.
    "adamw": run("adamw", 20,
                 lambda p: torch.optim.AdamW(p, lr=0.05, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1),
                 schedule={"warmup_steps": 5, "total_steps": 20, "min_lr": 0.005}, max_norm=0.5),
    "sgd_nesterov": run("sgd_nesterov", 8,
                        lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, dampening=0, weight_decay=0.01,
                                                  nesterov=True)),
    "adam_amsgrad": run("adam_amsgrad", 8,
                        lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01,
                                                   amsgrad=True)),
    "rmsprop_centered": run("rmsprop_centered", 8,
                            lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-8, weight_decay=0.01,
                                                          momentum=0.5, centered=True)),
    "adagrad": run("adagrad", 8,
                   lambda p: torch.optim.Adagrad(p, lr=0.1, lr_decay=0.01, weight_decay=0.01,
                                                 initial_accumulator_value=0.1, eps=1e-10)),
}


def scheduler_lrs(make_scheduler, steps=30, base=0.1):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=base)
    sched = make_scheduler(opt)
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return lrs


schedulers = {
    "StepLR(stepSize=7, gamma=0.5)": scheduler_lrs(lambda o: torch.optim.lr_scheduler.StepLR(o, 7, 0.5)),
    "ExponentialLR(gamma=0.9)": scheduler_lrs(lambda o: torch.optim.lr_scheduler.ExponentialLR(o, 0.9)),
    "CosineAnnealingLR(tMax=10, etaMin=0.001)":
        scheduler_lrs(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 10, 0.001)),
}

golden = {
    "about": "PyTorch reference for dev.qkv.optim.OptimGoldenTest; regenerate with "
             "/usr/bin/python3 core/src/test/python/optim/make_optim_golden.py",
    "torch_version": torch.__version__,
    "model": "Sequential(Linear(4, 8), Tanh(), Linear(8, 3)), float32, cross-entropy, full batch",
    "x": {"shape": list(x.shape), "values": flat(x)},
    "y": y.tolist(),
    "init": {k: {"shape": list(v.shape), "values": flat(v)} for k, v in init_state.items()},
    "runs": runs,
    "scheduler_base_lr": 0.1,
    "schedulers": schedulers,
}
os.makedirs(os.path.dirname(OUT_PATH), exist_ok=True)
with open(OUT_PATH, "w") as f:
    json.dump(golden, f, separators=(",", ":"))
print(f"wrote {os.path.normpath(OUT_PATH)} ({os.path.getsize(OUT_PATH)} bytes)")
