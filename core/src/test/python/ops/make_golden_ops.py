"""PyTorch reference values for qkv's tensor ops (forward outputs and gradients), float32.

Regenerate from the repository root with:

    /usr/bin/python3 core/src/test/python/ops/make_golden_ops.py

It writes core/src/test/resources/golden/ops/ops.json (seeded: the same torch version gives the
same file; a different one may differ in the last bits). dev.qkv.nn.functional.TorchParityTest
reads it.

Each case holds its float32 inputs, integer targets where the op takes them, the upstream
gradient dL/d(output) (a fixed random tensor of the output's shape, or a random scalar for
losses), the output, and dL/d(input) for every input that torch can differentiate (null for
pos_weight, which torch 1.13 cannot), all as flat row-major lists
with shapes. Numbers are written in the shortest form that reads back as the same float32.
"""

import json
import os

import numpy as np
import torch
import torch.nn.functional as F

torch.manual_seed(1234)
CASES = []


def arr(t):
    """A tensor as {"shape": [...], "data": [...]}, with float32 values in their shortest form."""
    t = t.detach()
    if t.dtype.is_floating_point:
        data = [float(str(np.float32(v))) for v in t.reshape(-1).tolist()]
    else:
        data = [int(v) for v in t.reshape(-1).tolist()]
    return {"shape": list(t.shape), "data": data}


def randn(*shape, scale=1.0):
    return (torch.randn(*shape) * scale).float().requires_grad_(True)


def case(name, op, fn, inputs, targets=None, **args):
    """Runs fn(*inputs) forward and backward with a random upstream gradient and records it all."""
    out = fn(*inputs)
    upstream = torch.randn(out.shape).float()
    wanted = [x for x in inputs if x.requires_grad]
    got = iter(torch.autograd.grad(out, wanted, upstream))
    grads = [next(got) if x.requires_grad else None for x in inputs]
    entry = {
        "name": name,
        "op": op,
        "args": args,
        "inputs": [arr(x) for x in inputs],
        "upstream": arr(upstream),
        "output": arr(out),
        "grads": [None if g is None else arr(g) for g in grads],
    }
    if targets is not None:
        entry["targets"] = arr(targets)
    CASES.append(entry)


# ----- matmul
case("matmul 2-D", "matmul", torch.matmul, [randn(4, 6), randn(6, 5)])
case("matmul 3-D with a 2-D right operand", "matmul", torch.matmul, [randn(3, 4, 6), randn(6, 5)])
case("matmul batch broadcast [2,1,4,6]·[3,6,5]", "matmul", torch.matmul, [randn(2, 1, 4, 6), randn(3, 6, 5)])

# ----- softmax family
case("softmax last dim", "softmax", lambda x: F.softmax(x, dim=-1), [randn(4, 7, scale=3)], dim=-1)
case("softmax dim 1 of 3", "softmax", lambda x: F.softmax(x, dim=1), [randn(3, 4, 5, scale=3)], dim=1)
case("logSoftmax last dim", "logSoftmax", lambda x: F.log_softmax(x, dim=-1), [randn(4, 7, scale=3)], dim=-1)
case("logSoftmax dim 0", "logSoftmax", lambda x: F.log_softmax(x, dim=0), [randn(5, 3, 4, scale=3)], dim=0)

# ----- normalisation
case("layerNorm [8] with weight and bias", "layerNorm",
     lambda x, w, b: F.layer_norm(x, [8], w, b, eps=1e-5),
     [randn(2, 3, 8, scale=2), randn(8), randn(8)], normalizedShape=[8], eps=1e-5)
case("layerNorm [4, 5] with weight and bias", "layerNorm",
     lambda x, w, b: F.layer_norm(x, [4, 5], w, b, eps=1e-5),
     [randn(3, 4, 5), randn(4, 5), randn(4, 5)], normalizedShape=[4, 5], eps=1e-5)


def rms_norm(x, w, eps=1e-6):
    # x / sqrt(mean(x^2) + eps) * w over the last dim, written by hand (torch 1.13 has no rms_norm)
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


case("rmsNorm [10] with weight", "rmsNorm", rms_norm, [randn(3, 10, scale=2), randn(10)],
     normalizedShape=[10], eps=1e-6)

# ----- activations
case("gelu exact", "gelu", lambda x: F.gelu(x), [randn(6, 9, scale=3)], approximate="none")
case("gelu tanh", "gelu", lambda x: F.gelu(x, approximate="tanh"), [randn(6, 9, scale=3)], approximate="tanh")

# ----- losses (scalar outputs: the upstream gradient is a random scalar)
t = torch.tensor([3, 0, -100, 9, 9, 1, -100, 4])
case("crossEntropy mean, ignore_index, label_smoothing 0.1", "crossEntropy",
     lambda x: F.cross_entropy(x, t, ignore_index=-100, label_smoothing=0.1),
     [randn(8, 10, scale=2)], targets=t, ignoreIndex=-100, labelSmoothing=0.1)
case("crossEntropy mean, plain", "crossEntropy", lambda x: F.cross_entropy(x, t, ignore_index=-100),
     [randn(8, 10, scale=2)], targets=t, ignoreIndex=-100, labelSmoothing=0.0)
td = torch.tensor([[0, 2, 4], [2, 1, 3]])
case("crossEntropy [N,C,d], ignore_index 2, label_smoothing 0.2", "crossEntropy",
     lambda x: F.cross_entropy(x, td, ignore_index=2, label_smoothing=0.2),
     [randn(2, 5, 3, scale=2)], targets=td, ignoreIndex=2, labelSmoothing=0.2)
tn = torch.tensor([1, -100, 4, 0, 2, 2])
case("nllLoss mean, ignore_index", "nllLoss", lambda x: F.nll_loss(x, tn, ignore_index=-100),
     [F.log_softmax(torch.randn(6, 5) * 2, dim=1).detach().requires_grad_(True)], targets=tn, ignoreIndex=-100)
case("binaryCrossEntropyWithLogits mean", "bce",
     lambda x, y: F.binary_cross_entropy_with_logits(x, y),
     [randn(4, 6, scale=3), torch.rand(4, 6).requires_grad_(True)])
case("binaryCrossEntropyWithLogits mean, pos_weight", "bce",
     lambda x, y, w: F.binary_cross_entropy_with_logits(x, y, pos_weight=w),
     [randn(4, 6, scale=3), torch.rand(4, 6).requires_grad_(True), torch.rand(6) * 3])

out_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "resources", "golden", "ops", "ops.json")
os.makedirs(os.path.dirname(out_path), exist_ok=True)
with open(out_path, "w") as f:
    json.dump({"generator": "core/src/test/python/ops/make_golden_ops.py", "torch": torch.__version__,
               "cases": CASES}, f, separators=(",", ":"))
    f.write("\n")
print(f"wrote {len(CASES)} cases, {os.path.getsize(out_path)} bytes to {os.path.normpath(out_path)}")
