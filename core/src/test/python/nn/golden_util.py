"""Shared helpers of the nn golden scripts: tensors to JSON and back, and the upstream gradients.

Every golden tensor is stored as {"shape": [...], "data": [...]} (row-major), and BOOL masks as
{"shape": [...], "dtype": "bool", "data": [0/1, ...]}; an infinite value is the string "-inf" or "inf". Weights and inputs are drawn in float32
and stored exactly; the reference forward and backward passes run in float64 on those values,
so the Java tests can compare both a float64 run (tightly) and a float32 run (to ~1e-5).
"""
import json
import math

import torch


def f32(*shape, std=1.0):
    """A float32-representable random tensor, returned as float64."""
    return (torch.randn(*shape) * std).float().double()


def enc(t):
    """A tensor as JSON: float64 values written with repr (which reads back exactly)."""
    t = t.detach()
    if t.dtype == torch.bool:
        return {"shape": list(t.shape), "dtype": "bool", "data": [int(v) for v in t.reshape(-1).tolist()]}
    return {"shape": list(t.shape), "data": [num(v) for v in t.double().reshape(-1).tolist()]}


def num(v):
    """A float for JSON; strict JSON has no infinities, so -inf (in additive masks) is the string "-inf"."""
    if math.isinf(v):
        return "-inf" if v < 0 else "inf"
    return float(v)


def randomize(module, std=0.5):
    """Replaces every parameter by float32-representable random values (biases non-zero too).
    LayerNorm weights become 1 + N(0, 0.1²) so that the norm keeps its scale."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if "norm" in name and name.endswith("weight"):
                p.copy_(1 + f32(*p.shape, std=0.1))
            else:
                p.copy_(f32(*p.shape, std=std))


def params(module):
    return {name: enc(p) for name, p in module.named_parameters()}


def grads(module):
    return {name: enc(p.grad) for name, p in module.named_parameters()}


def write(path, cases):
    with open(path, "w") as f:
        json.dump({"cases": cases}, f, separators=(",", ":"))
