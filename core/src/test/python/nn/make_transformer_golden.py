"""Golden values from torch.nn.TransformerEncoderLayer / TransformerDecoderLayer and their stacks.

Regenerate (from the repository root) with:

    /usr/bin/python3 core/src/test/python/nn/make_transformer_golden.py

which writes core/src/test/resources/golden/nn/transformer_golden.json, read by
dev.qkv.nn.TransformerLayersTest. All cases run in eval mode (dropout off) in float64 with
random float32-representable parameters; each stores the options, parameters by PyTorch name,
inputs, masks, the output, and the gradients of Σ out·grad_out with respect to the inputs and
every parameter. TransformerEncoder is built with enable_nested_tensor=False: PyTorch 1.13's
nested-tensor fast path would zero the padded positions of the output, which is not part of
the layer's math.
"""
import os
import sys

import torch

sys.dont_write_bytecode = True  # no __pycache__ beside the script
from golden_util import enc, f32, grads, params, randomize, write

torch.manual_seed(1)
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "resources", "golden", "nn", "transformer_golden.json")
D, NH, FF = 8, 2, 16


def options(activation, batch_first, norm_first):
    return {"d_model": D, "nhead": NH, "dim_feedforward": FF, "dropout": 0.1, "activation": activation,
            "layer_norm_eps": 1e-5, "batch_first": batch_first, "norm_first": norm_first}


def encoder_layer(o):
    return torch.nn.TransformerEncoderLayer(o["d_model"], o["nhead"], o["dim_feedforward"], o["dropout"],
                                            o["activation"], o["layer_norm_eps"], o["batch_first"], o["norm_first"])


def decoder_layer(o):
    return torch.nn.TransformerDecoderLayer(o["d_model"], o["nhead"], o["dim_feedforward"], o["dropout"],
                                            o["activation"], o["layer_norm_eps"], o["batch_first"], o["norm_first"])


def run(name, kind, module, o, inputs, masks, call, num_layers=1, final_norm=False):
    randomize(module)
    module = module.double().eval()
    for t in inputs.values():
        t.requires_grad_(True)
    out = call(module)
    g_out = f32(*out.shape)
    (out * g_out).sum().backward()
    return {"name": name, "kind": kind, "options": o, "num_layers": num_layers, "final_norm": final_norm,
            "params": params(module), "inputs": {k: enc(v) for k, v in inputs.items()},
            "masks": {k: enc(v) for k, v in masks.items()}, "output": enc(out), "grad_output": enc(g_out),
            "input_grads": {k: enc(v.grad) for k, v in inputs.items()}, "param_grads": grads(module)}


B, S, T = 2, 5, 4
src_padding = torch.tensor([[False, False, False, False, True], [False, False, True, True, True]])
tgt_padding = torch.tensor([[False, False, False, False], [False, False, False, True]])
causal_bool = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)                  # true = not allowed
causal_float = torch.zeros(T, T, dtype=torch.float64).masked_fill(causal_bool, float("-inf"))
src_bool = torch.tensor([[False, True, False, False, False]] * S)                        # nobody sees key 1
cases = []

o = options("relu", True, False)
src = f32(B, S, D)
cases.append(run("encoder_post_norm_masks", "encoder_layer", encoder_layer(o), o, {"src": src},
                 {"src_mask": src_bool, "src_key_padding_mask": src_padding},
                 lambda m: m(src, src_mask=src_bool, src_key_padding_mask=src_padding)))

o = options("gelu", False, True)
src2 = f32(S, B, D)
src_float = f32(S, S)
cases.append(run("encoder_pre_norm_gelu_seq_first", "encoder_layer", encoder_layer(o), o, {"src": src2},
                 {"src_mask": src_float}, lambda m: m(src2, src_mask=src_float)))

o = options("relu", True, False)
tgt = f32(B, T, D)
mem = f32(B, S, D)
cases.append(run("decoder_post_norm_masks", "decoder_layer", decoder_layer(o), o, {"tgt": tgt, "memory": mem},
                 {"tgt_mask": causal_bool, "tgt_key_padding_mask": tgt_padding, "memory_key_padding_mask": src_padding},
                 lambda m: m(tgt, mem, tgt_mask=causal_bool, tgt_key_padding_mask=tgt_padding,
                             memory_key_padding_mask=src_padding)))

o = options("gelu", False, True)
tgt2 = f32(T, B, D)
mem2 = f32(S, B, D)
mem_mask = f32(T, S)
cases.append(run("decoder_pre_norm_gelu_seq_first", "decoder_layer", decoder_layer(o), o, {"tgt": tgt2, "memory": mem2},
                 {"tgt_mask": causal_float, "memory_mask": mem_mask},
                 lambda m: m(tgt2, mem2, tgt_mask=causal_float, memory_mask=mem_mask)))

o = options("gelu", True, True)
src3 = f32(B, S, D)
enc_stack = torch.nn.TransformerEncoder(encoder_layer(o), 2, norm=torch.nn.LayerNorm(D), enable_nested_tensor=False)
cases.append(run("encoder_stack_pre_norm", "encoder", enc_stack, o, {"src": src3},
                 {"src_key_padding_mask": src_padding},
                 lambda m: m(src3, src_key_padding_mask=src_padding), num_layers=2, final_norm=True))

o = options("relu", True, False)
tgt3 = f32(B, T, D)
mem3 = f32(B, S, D)
dec_stack = torch.nn.TransformerDecoder(decoder_layer(o), 2)
cases.append(run("decoder_stack_post_norm", "decoder", dec_stack, o, {"tgt": tgt3, "memory": mem3},
                 {"tgt_mask": causal_bool, "memory_key_padding_mask": src_padding},
                 lambda m: m(tgt3, mem3, tgt_mask=causal_bool, memory_key_padding_mask=src_padding), num_layers=2))

write(OUT, cases)
print("wrote", len(cases), "cases to", os.path.normpath(OUT))
