"""Tiny random Hugging Face checkpoints and their reference logits, for qkv's parity tests.

The transformers package is not available here, so the reference forward passes below are
written directly in torch, following the Hugging Face modelling code of GPT-2, Llama and BERT
(same parameter names and layouts, e.g. GPT-2's Conv1D weights stored as [in, out]).

Regenerate (Debian's python3-torch):
    /usr/bin/python3 core/src/test/python/hf/make_hf_fixtures.py core/src/test/resources/hf

Writes, for each model, DIR/config.json, DIR/model.safetensors (or shards with
model.safetensors.index.json) and DIR/expected.json = {"input_ids": [[...]], "logits": [...],
"shape": [B, T, V]}. References are computed in float64 from the float32 weights.
"""
import json
import math
import os
import struct
import sys

import torch

torch.manual_seed(0)

DTYPES = {torch.float32: "F32", torch.int64: "I64", torch.bool: "BOOL", torch.uint8: "U8"}


def save_safetensors(path, tensors, metadata=None):
    """Writes the safetensors format by hand: u64 header length, JSON header, raw data."""
    header = {}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        t = t.contiguous()
        data = t.numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def rand(*shape, std=0.2):
    return (torch.randn(*shape) * std).float()


def write(dir_, config, tensors, ids, logits, shards=1):
    os.makedirs(dir_, exist_ok=True)
    with open(os.path.join(dir_, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    if shards == 1:
        save_safetensors(os.path.join(dir_, "model.safetensors"), tensors, {"format": "pt"})
    else:
        names = list(tensors)
        weight_map = {}
        per = math.ceil(len(names) / shards)
        for s in range(shards):
            fname = "model-%05d-of-%05d.safetensors" % (s + 1, shards)
            part = {n: tensors[n] for n in names[s * per:(s + 1) * per]}
            save_safetensors(os.path.join(dir_, fname), part, {"format": "pt"})
            for n in part:
                weight_map[n] = fname
        with open(os.path.join(dir_, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, f, indent=1)
    with open(os.path.join(dir_, "expected.json"), "w") as f:
        json.dump({"input_ids": ids.tolist(), "shape": list(logits.shape),
                   "logits": [float("%.9g" % v) for v in logits.flatten().tolist()]}, f)


def layer_norm(x, w, b, eps):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), w.double(), b.double(), eps)


def causal_attention(q, k, v):
    # q, k, v: (B, H, T, D)
    T = q.shape[-2]
    att = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    mask = torch.ones(T, T, dtype=torch.bool).tril()
    att = att.masked_fill(~mask, float("-inf")).softmax(-1)
    return att @ v


# ----------------------------------------------------------------------------- GPT-2

def gpt2(out, prefixed):
    V, P, C, L, H = 61, 16, 32, 2, 4
    cfg = {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": V, "n_positions": P,
           "n_ctx": P, "n_embd": C, "n_layer": L, "n_head": H, "layer_norm_epsilon": 1e-5,
           "activation_function": "gelu_new"}
    t = {"wte.weight": rand(V, C), "wpe.weight": rand(P, C, std=0.05)}
    for i in range(L):
        p = "h.%d." % i
        t[p + "ln_1.weight"] = 1 + rand(C, std=0.1)
        t[p + "ln_1.bias"] = rand(C, std=0.1)
        t[p + "attn.bias"] = torch.ones(P, P).tril().view(1, 1, P, P)          # causal-mask buffer
        t[p + "attn.masked_bias"] = torch.tensor(-1e4)                          # older checkpoints
        t[p + "attn.c_attn.weight"] = rand(C, 3 * C)                            # Conv1D: [in, out]
        t[p + "attn.c_attn.bias"] = rand(3 * C, std=0.05)
        t[p + "attn.c_proj.weight"] = rand(C, C)
        t[p + "attn.c_proj.bias"] = rand(C, std=0.05)
        t[p + "ln_2.weight"] = 1 + rand(C, std=0.1)
        t[p + "ln_2.bias"] = rand(C, std=0.1)
        t[p + "mlp.c_fc.weight"] = rand(C, 4 * C)
        t[p + "mlp.c_fc.bias"] = rand(4 * C, std=0.05)
        t[p + "mlp.c_proj.weight"] = rand(4 * C, C)
        t[p + "mlp.c_proj.bias"] = rand(C, std=0.05)
    t["ln_f.weight"] = 1 + rand(C, std=0.1)
    t["ln_f.bias"] = rand(C, std=0.1)

    ids = torch.randint(0, V, (2, 7))
    d = {k: v.double() for k, v in t.items()}
    B, T = ids.shape
    x = d["wte.weight"][ids] + d["wpe.weight"][torch.arange(T)]
    for i in range(L):
        p = "h.%d." % i
        a = layer_norm(x, d[p + "ln_1.weight"], d[p + "ln_1.bias"], 1e-5)
        qkv = a @ d[p + "attn.c_attn.weight"] + d[p + "attn.c_attn.bias"]
        q, k, v = qkv.split(C, dim=-1)
        q, k, v = [z.view(B, T, H, C // H).transpose(1, 2) for z in (q, k, v)]
        y = causal_attention(q, k, v).transpose(1, 2).reshape(B, T, C)
        x = x + y @ d[p + "attn.c_proj.weight"] + d[p + "attn.c_proj.bias"]
        m = layer_norm(x, d[p + "ln_2.weight"], d[p + "ln_2.bias"], 1e-5)
        hdn = torch.nn.functional.gelu(m @ d[p + "mlp.c_fc.weight"] + d[p + "mlp.c_fc.bias"], approximate="tanh")
        x = x + hdn @ d[p + "mlp.c_proj.weight"] + d[p + "mlp.c_proj.bias"]
    x = layer_norm(x, d["ln_f.weight"], d["ln_f.bias"], 1e-5)
    logits = x @ d["wte.weight"].T
    if prefixed:                                   # GPT2LMHeadModel.state_dict(): prefix + tied lm_head
        t = {("transformer." + k): v for k, v in t.items()}
        t["lm_head.weight"] = t["transformer.wte.weight"].clone()
    write(out, cfg, t, ids, logits)


# ----------------------------------------------------------------------------- Llama

def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def llama(out, shards):
    V, C, L, H, HKV, I = 67, 32, 2, 4, 2, 48
    D = C // H
    theta = 10000.0
    cfg = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": V, "hidden_size": C,
           "intermediate_size": I, "num_hidden_layers": L, "num_attention_heads": H, "num_key_value_heads": HKV,
           "rms_norm_eps": 1e-6, "rope_theta": theta, "max_position_embeddings": 32, "tie_word_embeddings": False,
           "hidden_act": "silu"}
    t = {"model.embed_tokens.weight": rand(V, C, std=0.5)}
    for i in range(L):
        p = "model.layers.%d." % i
        t[p + "input_layernorm.weight"] = 1 + rand(C, std=0.1)
        t[p + "self_attn.q_proj.weight"] = rand(H * D, C)
        t[p + "self_attn.k_proj.weight"] = rand(HKV * D, C)
        t[p + "self_attn.v_proj.weight"] = rand(HKV * D, C)
        t[p + "self_attn.o_proj.weight"] = rand(C, H * D)
        t[p + "self_attn.rotary_emb.inv_freq"] = 1.0 / (theta ** (torch.arange(0, D, 2).float() / D))  # old buffer
        t[p + "post_attention_layernorm.weight"] = 1 + rand(C, std=0.1)
        t[p + "mlp.gate_proj.weight"] = rand(I, C)
        t[p + "mlp.up_proj.weight"] = rand(I, C)
        t[p + "mlp.down_proj.weight"] = rand(C, I)
    t["model.norm.weight"] = 1 + rand(C, std=0.1)
    t["lm_head.weight"] = rand(V, C)

    ids = torch.randint(0, V, (2, 9))
    d = {k: v.double() for k, v in t.items()}
    B, T = ids.shape
    inv_freq = 1.0 / (theta ** (torch.arange(0, D, 2).double() / D))
    freqs = torch.outer(torch.arange(T).double(), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    x = d["model.embed_tokens.weight"][ids]
    for i in range(L):
        p = "model.layers.%d." % i
        a = rms_norm(x, d[p + "input_layernorm.weight"], 1e-6)
        q = (a @ d[p + "self_attn.q_proj.weight"].T).view(B, T, H, D).transpose(1, 2)
        k = (a @ d[p + "self_attn.k_proj.weight"].T).view(B, T, HKV, D).transpose(1, 2)
        v = (a @ d[p + "self_attn.v_proj.weight"].T).view(B, T, HKV, D).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(H // HKV, dim=1)                 # repeat_kv
        v = v.repeat_interleave(H // HKV, dim=1)
        y = causal_attention(q, k, v).transpose(1, 2).reshape(B, T, C)
        x = x + y @ d[p + "self_attn.o_proj.weight"].T
        m = rms_norm(x, d[p + "post_attention_layernorm.weight"], 1e-6)
        g = torch.nn.functional.silu(m @ d[p + "mlp.gate_proj.weight"].T) * (m @ d[p + "mlp.up_proj.weight"].T)
        x = x + g @ d[p + "mlp.down_proj.weight"].T
    x = rms_norm(x, d["model.norm.weight"], 1e-6)
    logits = x @ d["lm_head.weight"].T
    write(out, cfg, t, ids, logits, shards)


# ----------------------------------------------------------------------------- BERT

def bert(out):
    V, P, C, L, H, I, TT = 53, 16, 32, 2, 4, 64, 2
    cfg = {"model_type": "bert", "architectures": ["BertForMaskedLM"], "vocab_size": V, "hidden_size": C,
           "num_hidden_layers": L, "num_attention_heads": H, "intermediate_size": I, "hidden_act": "gelu",
           "max_position_embeddings": P, "type_vocab_size": TT, "layer_norm_eps": 1e-12}
    t = {"bert.embeddings.word_embeddings.weight": rand(V, C, std=0.5),
         "bert.embeddings.position_embeddings.weight": rand(P, C),
         "bert.embeddings.token_type_embeddings.weight": rand(TT, C),
         "bert.embeddings.LayerNorm.weight": 1 + rand(C, std=0.1),
         "bert.embeddings.LayerNorm.bias": rand(C, std=0.1),
         "bert.embeddings.position_ids": torch.arange(P).view(1, P)}                     # buffer
    for i in range(L):
        p = "bert.encoder.layer.%d." % i
        for n in ("query", "key", "value"):
            t[p + "attention.self.%s.weight" % n] = rand(C, C)
            t[p + "attention.self.%s.bias" % n] = rand(C, std=0.05)
        t[p + "attention.output.dense.weight"] = rand(C, C)
        t[p + "attention.output.dense.bias"] = rand(C, std=0.05)
        t[p + "attention.output.LayerNorm.weight"] = 1 + rand(C, std=0.1)
        t[p + "attention.output.LayerNorm.bias"] = rand(C, std=0.1)
        t[p + "intermediate.dense.weight"] = rand(I, C)
        t[p + "intermediate.dense.bias"] = rand(I, std=0.05)
        t[p + "output.dense.weight"] = rand(C, I)
        t[p + "output.dense.bias"] = rand(C, std=0.05)
        t[p + "output.LayerNorm.weight"] = 1 + rand(C, std=0.1)
        t[p + "output.LayerNorm.bias"] = rand(C, std=0.1)
    t["cls.predictions.transform.dense.weight"] = rand(C, C)
    t["cls.predictions.transform.dense.bias"] = rand(C, std=0.05)
    t["cls.predictions.transform.LayerNorm.weight"] = 1 + rand(C, std=0.1)
    t["cls.predictions.transform.LayerNorm.bias"] = rand(C, std=0.1)
    t["cls.predictions.bias"] = rand(V, std=0.05)
    t["cls.predictions.decoder.weight"] = t["bert.embeddings.word_embeddings.weight"].clone()   # tied

    ids = torch.randint(0, V, (2, 6))
    types = torch.tensor([[0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 1, 1]])
    d = {k: v.double() for k, v in t.items()}
    B, T = ids.shape
    e = "bert.embeddings."
    x = d[e + "word_embeddings.weight"][ids] + d[e + "position_embeddings.weight"][torch.arange(T)] \
        + d[e + "token_type_embeddings.weight"][types]
    x = layer_norm(x, d[e + "LayerNorm.weight"], d[e + "LayerNorm.bias"], 1e-12)
    for i in range(L):
        p = "bert.encoder.layer.%d." % i
        q, k, v = [(x @ d[p + "attention.self.%s.weight" % n].T + d[p + "attention.self.%s.bias" % n])
                   .view(B, T, H, C // H).transpose(1, 2) for n in ("query", "key", "value")]
        att = (q @ k.transpose(-1, -2) / math.sqrt(C // H)).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        y = y @ d[p + "attention.output.dense.weight"].T + d[p + "attention.output.dense.bias"]
        x = layer_norm(x + y, d[p + "attention.output.LayerNorm.weight"], d[p + "attention.output.LayerNorm.bias"], 1e-12)
        h = torch.nn.functional.gelu(x @ d[p + "intermediate.dense.weight"].T + d[p + "intermediate.dense.bias"])
        h = h @ d[p + "output.dense.weight"].T + d[p + "output.dense.bias"]
        x = layer_norm(x + h, d[p + "output.LayerNorm.weight"], d[p + "output.LayerNorm.bias"], 1e-12)
    c = "cls.predictions."
    h = torch.nn.functional.gelu(x @ d[c + "transform.dense.weight"].T + d[c + "transform.dense.bias"])
    h = layer_norm(h, d[c + "transform.LayerNorm.weight"], d[c + "transform.LayerNorm.bias"], 1e-12)
    logits = h @ d[c + "decoder.weight"].T + d[c + "bias"]
    write(out, cfg, t, ids, logits)
    with open(os.path.join(out, "expected.json")) as f:
        exp = json.load(f)
    exp["token_type_ids"] = types.tolist()
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(exp, f)


if __name__ == "__main__":
    root = sys.argv[1]
    gpt2(os.path.join(root, "gpt2-tiny"), prefixed=False)
    gpt2(os.path.join(root, "gpt2-tiny-prefixed"), prefixed=True)
    llama(os.path.join(root, "llama-tiny"), shards=1)
    llama(os.path.join(root, "llama-tiny-sharded"), shards=2)
    bert(os.path.join(root, "bert-tiny"))
    print("wrote fixtures under", root)
