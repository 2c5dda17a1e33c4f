"""Golden values from torch.nn.MultiheadAttention for qkv's nn.MultiheadAttention.

Regenerate (from the repository root) with:

    /usr/bin/python3 core/src/test/python/nn/make_mha_golden.py

which writes core/src/test/resources/golden/nn/mha_golden.json, read by
dev.qkv.nn.MultiheadAttentionTest. Each case holds the module's options, its parameters by
PyTorch name (random, biases non-zero), the inputs and masks, the output and attention weights,
and the gradients of loss = Σ out·grad_out (+ Σ weights·grad_weights when weights are returned)
with respect to the inputs and every parameter. The reference runs in float64.

Masks keep at least one key per query: PyTorch gives NaN for a fully masked row, qkv zeros.
"""
import os
import sys

import torch

sys.dont_write_bytecode = True  # no __pycache__ beside the script
from golden_util import enc, f32, grads, params, randomize, write

torch.manual_seed(0)
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "resources", "golden", "nn", "mha_golden.json")


def case(name, e, h, *, batch_first=True, bias=True, kdim=None, vdim=None, self_attn=False,
         q_shape, k_shape=None, v_shape=None, attn_mask=None, key_padding_mask=None,
         need_weights=True, average=True):
    m = torch.nn.MultiheadAttention(e, h, dropout=0.0, bias=bias, kdim=kdim, vdim=vdim, batch_first=batch_first)
    randomize(m)
    m = m.double()
    query = f32(*q_shape).requires_grad_(True)
    if self_attn:
        key = value = query
    else:
        key = f32(*k_shape).requires_grad_(True)
        value = f32(*v_shape).requires_grad_(True)
    out, w = m(query, key, value, key_padding_mask=key_padding_mask, need_weights=need_weights,
               attn_mask=attn_mask, average_attn_weights=average)
    g_out = f32(*out.shape)
    loss = (out * g_out).sum()
    c = {"name": name, "embed_dim": e, "num_heads": h, "batch_first": batch_first, "bias": bias,
         "kdim": kdim or e, "vdim": vdim or e, "self_attention": self_attn, "need_weights": need_weights,
         "average_attn_weights": average, "params": params(m),
         "inputs": {"query": enc(query)} if self_attn else {"query": enc(query), "key": enc(key), "value": enc(value)},
         "output": enc(out), "grad_output": enc(g_out)}
    if w is not None:
        g_w = f32(*w.shape)
        loss = loss + (w * g_w).sum()
        c["weights"] = enc(w)
        c["grad_weights"] = enc(g_w)
    if attn_mask is not None:
        c["attn_mask"] = enc(attn_mask)
    if key_padding_mask is not None:
        c["key_padding_mask"] = enc(key_padding_mask)
    loss.backward()
    c["input_grads"] = {"query": enc(query.grad)} if self_attn else \
        {"query": enc(query.grad), "key": enc(key.grad), "value": enc(value.grad)}
    c["param_grads"] = grads(m)
    return c


B, L, S, E, H = 2, 4, 5, 8, 2
causal = torch.triu(torch.ones(L, L, dtype=torch.bool), diagonal=1)            # true = not allowed
bool_mask = torch.tensor([[False, True, False, False, True],
                          [False, False, True, False, False],
                          [True, False, False, False, False],
                          [False, False, False, True, True]])                   # (L, S)
padding = torch.tensor([[False, False, False, True, True],
                        [False, False, False, False, False]])                   # (B, S): true = padding
cases = [
    case("self_batch_first", E, H, self_attn=True, q_shape=(B, L, E)),
    case("self_seq_first_causal_no_weights", E, H, batch_first=False, self_attn=True, q_shape=(L, B, E),
         attn_mask=causal, need_weights=False),
    case("kdim_vdim_per_head_weights", E, H, kdim=5, vdim=3, q_shape=(B, L, E), k_shape=(B, S, 5),
         v_shape=(B, S, 3), average=False),
    case("cross_bool_mask_no_weights", E, H, q_shape=(B, L, E), k_shape=(B, S, E), v_shape=(B, S, E),
         attn_mask=bool_mask, need_weights=False),
    case("cross_float_mask_3d", E, H, batch_first=False, q_shape=(L, B, E), k_shape=(S, B, E), v_shape=(S, B, E),
         attn_mask=f32(B * H, L, S)),
    case("key_padding_and_bool_mask", E, H, q_shape=(B, L, E), k_shape=(B, S, E), v_shape=(B, S, E),
         attn_mask=bool_mask, key_padding_mask=padding),
    case("key_padding_float_mask_no_weights", E, H, q_shape=(B, L, E), k_shape=(B, S, E), v_shape=(B, S, E),
         attn_mask=f32(L, S), key_padding_mask=padding, need_weights=False),
    case("unbatched_key_padding", E, H, q_shape=(L, E), k_shape=(S, E), v_shape=(S, E),
         key_padding_mask=padding[0], average=False),
    case("no_bias_four_heads", E, 4, bias=False, self_attn=True, q_shape=(B, L, E)),
]
write(OUT, cases)
print("wrote", len(cases), "cases to", os.path.normpath(OUT))
