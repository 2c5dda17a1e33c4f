"""PyTorch reference values for qkv's convolution, pooling and batch-norm ops, float32.

Regenerate from the repository root with:

    /usr/bin/python3 core/src/test/python/conv/make_golden_conv.py

It writes core/src/test/resources/golden/conv/conv.json (seeded: the same torch version gives
the same file). dev.qkv.nn.functional.ConvTorchParityTest reads it.

Each case holds its float32 inputs, the arguments, a fixed random upstream gradient
dL/d(output), the output and dL/d(input) for every input (null where there is none), all as
flat row-major lists with shapes. Batch-norm cases also hold the running mean and variance
before and after the call (training updates them in place).
"""

import json
import os

import numpy as np
import torch
import torch.nn.functional as F

torch.manual_seed(1234)
CASES = []


def arr(t):
    """A tensor as {"shape": [...], "data": [...]}, float32 values in their shortest form."""
    t = t.detach()
    data = [float(str(np.float32(v))) for v in t.reshape(-1).tolist()]
    return {"shape": list(t.shape), "data": data}


def randn(*shape, scale=1.0):
    return (torch.randn(*shape) * scale).float().requires_grad_(True)


def case(name, op, fn, inputs, extra=None, **args):
    """Runs fn(*inputs) forward and backward with a random upstream gradient and records it."""
    out = fn(*inputs)
    upstream = torch.randn(out.shape).float()
    wanted = [x for x in inputs if x is not None and x.requires_grad]
    got = iter(torch.autograd.grad(out, wanted, upstream))
    grads = [next(got) if x is not None and x.requires_grad else None for x in inputs]
    entry = {
        "name": name,
        "op": op,
        "args": args,
        "inputs": [None if x is None else arr(x) for x in inputs],
        "upstream": arr(upstream),
        "output": arr(out),
        "grads": [None if g is None else arr(g) for g in grads],
    }
    if extra:
        entry.update(extra)
    CASES.append(entry)


def conv(name, x, w, b, stride, padding, dilation, groups):
    case(name, "conv2d",
         lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups),
         [x, w, b], stride=list(stride), padding=list(padding), dilation=list(dilation), groups=groups)


# ----- conv2d: odd sizes, strides, padding, dilation, groups, no bias
conv("conv2d 3x3 pad 1", randn(2, 2, 6, 5), randn(3, 2, 3, 3), randn(3), (1, 1), (1, 1), (1, 1), 1)
conv("conv2d 5x3 stride (2,1) pad (2,0)", randn(2, 2, 9, 7), randn(3, 2, 5, 3), randn(3), (2, 1), (2, 0), (1, 1), 1)
conv("conv2d stride 3 dilation 2 pad 2", randn(1, 2, 10, 9), randn(2, 2, 3, 3), randn(2), (3, 3), (2, 2), (2, 2), 1)
conv("conv2d groups 2, no bias", randn(2, 4, 6, 5), randn(6, 2, 3, 2), None, (1, 2), (1, 1), (1, 1), 2)
conv("conv2d depthwise 3x3 stride 2", randn(2, 3, 5, 5), randn(3, 1, 3, 3), randn(3), (2, 2), (1, 1), (1, 1), 3)

# ----- pooling
case("maxPool2d 2x2", "maxPool2d", lambda x: F.max_pool2d(x, 2), [randn(2, 2, 6, 7)],
     kernel=[2, 2], stride=[2, 2], padding=[0, 0], dilation=[1, 1])
case("maxPool2d 3x3 stride 2 pad 1", "maxPool2d", lambda x: F.max_pool2d(x, 3, 2, 1), [randn(2, 2, 7, 8)],
     kernel=[3, 3], stride=[2, 2], padding=[1, 1], dilation=[1, 1])
case("maxPool2d 3x2 dilation 2", "maxPool2d", lambda x: F.max_pool2d(x, (3, 2), 1, 0, dilation=2), [randn(1, 2, 8, 7)],
     kernel=[3, 2], stride=[1, 1], padding=[0, 0], dilation=[2, 2])
case("avgPool2d 3x3 stride 2 pad 1 count_include_pad", "avgPool2d",
     lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=True), [randn(2, 2, 7, 8)],
     kernel=[3, 3], stride=[2, 2], padding=[1, 1], countIncludePad=True)
case("avgPool2d 3x2 stride (1,2) pad 1 exclude pad", "avgPool2d",
     lambda x: F.avg_pool2d(x, (3, 2), (1, 2), 1, count_include_pad=False), [randn(2, 3, 5, 6)],
     kernel=[3, 2], stride=[1, 2], padding=[1, 1], countIncludePad=False)


# ----- batch norm: training (batch statistics, running stats updated) and eval (running stats)
def bn(name, x, training, momentum=0.1, eps=1e-5):
    c = x.shape[1]
    w = randn(c)
    b = randn(c)
    rm0 = torch.randn(c).float() * 0.5
    rv0 = torch.rand(c).float() + 0.5
    rm, rv = rm0.clone(), rv0.clone()
    case(name, "batchNorm",
         lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=training, momentum=momentum, eps=eps),
         [x, w, b],
         extra={"runningMeanBefore": arr(rm0), "runningVarBefore": arr(rv0)},
         training=training, momentum=momentum, eps=eps)
    CASES[-1]["runningMeanAfter"] = arr(rm)
    CASES[-1]["runningVarAfter"] = arr(rv)


bn("batchNorm 2d training", randn(4, 3, 3, 3, scale=2), True)
bn("batchNorm 2d eval", randn(2, 3, 3, 4, scale=2), False)
bn("batchNorm 1d [N, C] training momentum 0.3", randn(6, 5, scale=3), True, momentum=0.3, eps=1e-3)
bn("batchNorm 1d [N, C, L] training", randn(2, 4, 3), True)

out = {"torch": torch.__version__, "cases": CASES}
path = os.path.join(os.path.dirname(__file__), "..", "..", "resources", "golden", "conv", "conv.json")
with open(path, "w") as f:
    json.dump(out, f, separators=(",", ":"))
    f.write("\n")
print("wrote", os.path.normpath(path), len(CASES), "cases")
