#!/usr/bin/env python3
"""Writes the PyTorch cross-check fixture that SafeTensorsTorchFixtureTest reads.

    /usr/bin/python3 core/src/test/python/io/make_safetensors_fixtures.py

Outputs, in core/src/test/resources/io/:
  torch_fixture.safetensors      tensors of every dtype qkv reads, written by hand with struct
                                 and json (the `safetensors` package is not needed), from torch's
                                 own raw bytes
  torch_fixture_expected.json    what qkv must read, per tensor: dtype, shape and either
                                 "float32_bits" / "float64_bits" (the bit patterns of torch's
                                 .float() / .double(), so NaN, -0.0 and subnormals compare
                                 exactly) or "values" (integers; bools as 0/1)

The values are seeded, so rerunning reproduces the same files.
"""
import json
import struct
import sys
from pathlib import Path

import torch

OUT = Path(__file__).resolve().parents[2] / "resources" / "io"

# name of the safetensors dtype for each torch dtype
ST_DTYPE = {
    torch.float16: "F16", torch.bfloat16: "BF16", torch.float32: "F32", torch.float64: "F64",
    torch.int64: "I64", torch.int32: "I32", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL",
}


def with_specials(t, specials):
    """t (any float dtype) with its first elements replaced by values that test the conversion."""
    flat = t.flatten().clone()
    flat[: len(specials)] = torch.tensor(specials, dtype=torch.float64).to(t.dtype)
    return flat.reshape(t.shape)


def make_tensors():
    g = torch.Generator().manual_seed(1234)
    inf, nan = float("inf"), float("nan")
    return {
        # half: max, smallest subnormal 2^-24, a subnormal, smallest normal 2^-14, -0, ±inf, NaN,
        # and a value that rounds when converted to half
        "f16.weight": with_specials((torch.randn(4, 5, generator=g) * 3).half(),
                                    [65504.0, 2.0 ** -24, 3 * 2.0 ** -20, 2.0 ** -14, -0.0, inf, -inf, nan, 0.1]),
        # bfloat16: huge, a subnormal, -0, ±inf, NaN
        "bf16.emb": with_specials(torch.randn(2, 3, 4, generator=g).bfloat16(),
                                  [3.0e38, 1.0e-40, -0.0, inf, -inf, nan]),
        # NaN bit patterns: signaling and quiet, with payloads and both signs
        "f16.nans": torch.tensor([0x7C01, 0xFD00 - 0x10000, 0x7E00, 0x7FFF, 0x7C00], dtype=torch.int16).view(torch.float16),
        "bf16.nans": torch.tensor([0x7F81, 0xFFC1 - 0x10000, 0x7FC0], dtype=torch.int16).view(torch.bfloat16),
        "f32.bias": with_specials(torch.randn(7, generator=g), [1.0e-45, -inf, nan]),
        "f64.scale": with_specials(torch.randn(3, 2, generator=g, dtype=torch.float64), [5.0e-324, nan]),
        "f32.scalar": torch.tensor(3.25),
        "f16.empty": torch.zeros(0, 3, dtype=torch.float16),
        "i64.ids": torch.cat([torch.tensor([-2 ** 63, 2 ** 63 - 1, 0, -1]),
                              torch.randint(-2 ** 62, 2 ** 62, (4,), generator=g)]).reshape(2, 4),
        "i32.pos": torch.randint(-2 ** 31, 2 ** 31 - 1, (5,), generator=g, dtype=torch.int32),
        "i8.q": torch.randint(-128, 128, (2, 3), generator=g, dtype=torch.int8),
        "u8.pixels": torch.randint(0, 256, (2, 8), generator=g, dtype=torch.uint8),
        "bool.mask": torch.rand(3, 3, generator=g) > 0.5,
    }


def raw_bytes(t):
    """torch's own little-endian bytes of t (numpy has no bfloat16, so view it as int16 first)."""
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def expected(t):
    e = {"dtype": ST_DTYPE[t.dtype], "shape": list(t.shape)}
    if t.dtype == torch.float64:
        e["float64_bits"] = t.view(torch.int64).flatten().tolist()
    elif t.is_floating_point():
        e["float32_bits"] = t.float().view(torch.int32).flatten().tolist()
    else:
        e["values"] = t.to(torch.int64).flatten().tolist()
    return e


def main():
    assert sys.byteorder == "little", "safetensors data is little-endian; this script copies native bytes"
    tensors = make_tensors()
    header = {"__metadata__": {"format": "pt", "written_by": "make_safetensors_fixtures.py"}}
    data = bytearray()
    for name, t in tensors.items():  # insertion order, deliberately not the reference writer's order
        b = raw_bytes(t)
        header[name] = {"dtype": ST_DTYPE[t.dtype], "shape": list(t.shape),
                        "data_offsets": [len(data), len(data) + len(b)]}
        data += b
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "torch_fixture.safetensors").write_bytes(struct.pack("<Q", len(h)) + h + bytes(data))
    exp = {"torch_version": torch.__version__, "tensors": {n: expected(t) for n, t in tensors.items()}}
    (OUT / "torch_fixture_expected.json").write_text(json.dumps(exp, indent=1) + "\n")
    print("wrote", len(tensors), "tensors,", 8 + len(h) + len(data), "bytes, to", OUT)


if __name__ == "__main__":
    main()
