#!/usr/bin/python3
"""An independent GPT-2 forward pass in numpy, and small random checkpoints in the
Hugging Face layout, for tests/cpp/model/test_hf_gpt2.cpp.

Written from the GPT-2 architecture as published (Radford et al. 2019; the layout
transformers' GPT2LMHeadModel saves), not from the project's C++:

    h = wte[ids] + wpe[0..T)
    per block:  a = LN(h; ln_1)                    pre-LayerNorm, biased variance, eps
                q | k | v = a @ c_attn.w + c_attn.b  Conv1D: weight [in, out] = [C, 3C]
                per head: softmax(q k^T / sqrt(d_k) + causal mask) @ v
                h = h + concat(heads) @ c_proj.w + c_proj.b
                h = h + gelu_new(LN(h; ln_2) @ c_fc.w + c_fc.b) @ mlp.c_proj.w + mlp.c_proj.b
    logits = LN(h; ln_f) @ wte^T                   tied unembedding
    gelu_new(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))

Computed in float64 from the weights exactly as stored (for F16 and BF16: the rounded
values), so the only error left in a comparison is the C++'s float32 arithmetic.

Usage: /usr/bin/python3 gpt2_numpy.py OUT_DIR [--ids JSON_LIST]
Writes OUT_DIR/index.json and, per variant, OUT_DIR/<variant>/ with config.json,
model.safetensors, logits.f32 ([T, V] float32 little-endian, row-major) and
attention.f32 ([n_layer, n_head, T, T]). The safetensors writer is this file's own:
8-byte little-endian header length, JSON header, raw little-endian data.
"""
import json
import os
import struct
import sys

import numpy as np

N_LAYER, N_EMBD, N_HEAD, VOCAB, N_POSITIONS = 2, 64, 4, 50257, 64
# ~20 ids, the first GPT-2's <|endoftext|> (50256), the vocabulary's ends included.
IDS = [50256, 464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13, 50256, 40, 1101,
       257, 1332, 11, 290, 50255, 0]

# Each variant: dtype, whether names carry "transformer.", which extras the file holds
# besides the parameters (mask buffers, a tied lm_head), and its LayerNorm epsilon
# (one variant not 1e-5, so the loader must honour layer_norm_epsilon).
VARIANTS = {
    "f32": dict(dtype="F32", prefix="transformer.", buffers="F32", lm_head=True, eps=1e-5),
    "f16": dict(dtype="F16", prefix="", buffers=None, lm_head=False, eps=1e-5),
    "bf16": dict(dtype="BF16", prefix="transformer.", buffers="BOOL", lm_head=False, eps=1e-3),
}


# ---- the checkpoint ----------------------------------------------------------------

def random_parameters(rng):
    """GPT-2's tensors, named as in the HF file without the prefix. Spreads large enough
    that every head attends unevenly and every bias matters."""
    C, F = N_EMBD, 4 * N_EMBD
    p = {"wte.weight": rng.normal(0, 0.5, (VOCAB, C)),
         "wpe.weight": rng.normal(0, 0.3, (N_POSITIONS, C))}
    for l in range(N_LAYER):
        h = f"h.{l}."
        p[h + "ln_1.weight"] = 1 + rng.normal(0, 0.2, C)
        p[h + "ln_1.bias"] = rng.normal(0, 0.2, C)
        p[h + "attn.c_attn.weight"] = rng.normal(0, 0.15, (C, 3 * C))
        p[h + "attn.c_attn.bias"] = rng.normal(0, 0.5, 3 * C)
        p[h + "attn.c_proj.weight"] = rng.normal(0, 0.1, (C, C))
        p[h + "attn.c_proj.bias"] = rng.normal(0, 0.3, C)
        p[h + "ln_2.weight"] = 1 + rng.normal(0, 0.2, C)
        p[h + "ln_2.bias"] = rng.normal(0, 0.2, C)
        p[h + "mlp.c_fc.weight"] = rng.normal(0, 0.15, (C, F))
        p[h + "mlp.c_fc.bias"] = rng.normal(0, 0.3, F)
        p[h + "mlp.c_proj.weight"] = rng.normal(0, 0.08, (F, C))
        p[h + "mlp.c_proj.bias"] = rng.normal(0, 0.3, C)
    p["ln_f.weight"] = 1 + rng.normal(0, 0.2, C)
    p["ln_f.bias"] = rng.normal(0, 0.2, C)
    return {k: v.astype(np.float32) for k, v in p.items()}


def bf16_bits(x):
    """float32 -> bfloat16 bit patterns, rounded to nearest, ties to even (no NaN here)."""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def stored(x, dtype):
    """(the bytes a tensor is stored as, the float64 values those bytes hold)"""
    if dtype == "F32":
        a = x.astype("<f4")
        return a.tobytes(), a.astype(np.float64)
    if dtype == "F16":
        a = x.astype("<f2")
        return a.tobytes(), a.astype(np.float64)
    if dtype == "BF16":
        bits = bf16_bits(x)
        values = (bits.astype(np.uint32) << 16).view(np.float32)
        return bits.astype("<u2").tobytes(), values.astype(np.float64)
    raise ValueError(dtype)


def write_safetensors(path, tensors):
    """tensors: list of (name, dtype, shape, bytes). The format: an 8-byte little-endian
    header length, the JSON header, then the tensors' bytes back to back."""
    header, offset = {}, 0
    for name, dtype, shape, data in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for _, _, _, data in tensors:
            f.write(data)


def write_checkpoint(folder, params, variant):
    """Writes config.json and model.safetensors; returns the float64 weights as stored."""
    os.makedirs(folder, exist_ok=True)
    config = {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "activation_function": "gelu_new",
              "n_layer": N_LAYER, "n_head": N_HEAD, "n_embd": N_EMBD, "n_positions": N_POSITIONS,
              "n_ctx": N_POSITIONS, "vocab_size": VOCAB, "layer_norm_epsilon": variant["eps"],
              "n_inner": None, "resid_pdrop": 0.1, "embd_pdrop": 0.1, "attn_pdrop": 0.1,
              "bos_token_id": 50256, "eos_token_id": 50256}
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    tensors, weights = [], {}
    for name, x in params.items():
        data, values = stored(x, variant["dtype"])
        tensors.append((variant["prefix"] + name, variant["dtype"], x.shape, data))
        weights[name] = values
    if variant["lm_head"]:  # tied: the very bytes of wte
        wte = [t for t in tensors if t[0] == variant["prefix"] + "wte.weight"][0]
        tensors.append(("lm_head.weight", wte[1], wte[2], wte[3]))
    if variant["buffers"]:  # the causal-mask buffers older transformers saved
        mask = np.tril(np.ones((1, 1, N_POSITIONS, N_POSITIONS)))
        for l in range(N_LAYER):
            h = variant["prefix"] + f"h.{l}.attn."
            if variant["buffers"] == "BOOL":
                tensors.append((h + "bias", "BOOL", mask.shape, mask.astype(np.uint8).tobytes()))
            else:
                tensors.append((h + "bias", "F32", mask.shape, mask.astype("<f4").tobytes()))
                tensors.append((h + "masked_bias", "F32", (), np.array(-1e4, "<f4").tobytes()))
    write_safetensors(os.path.join(folder, "model.safetensors"), tensors)
    return weights


# ---- the forward pass --------------------------------------------------------------

def layer_norm(x, gain, bias, eps):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)  # biased, as torch's LayerNorm
    return (x - mean) / np.sqrt(var + eps) * gain + bias


def gelu_new(x):
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)))


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def forward(w, ids, eps):
    """-> logits [T, V], attention weights [n_layer, n_head, T, T]"""
    T, C, H = len(ids), N_EMBD, N_HEAD
    d_k = C // H
    h = w["wte.weight"][ids] + w["wpe.weight"][:T]
    causal = np.tril(np.ones((T, T), dtype=bool))
    attention = np.zeros((N_LAYER, H, T, T))
    for l in range(N_LAYER):
        p = lambda name: w[f"h.{l}.{name}"]
        a = layer_norm(h, p("ln_1.weight"), p("ln_1.bias"), eps)
        qkv = a @ p("attn.c_attn.weight") + p("attn.c_attn.bias")  # [T, 3C]
        q, k, v = qkv[:, :C], qkv[:, C:2 * C], qkv[:, 2 * C:]
        heads = lambda m: m.reshape(T, H, d_k).transpose(1, 0, 2)  # [H, T, d_k]
        q, k, v = heads(q), heads(k), heads(v)
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(d_k)  # [H, T, T]
        scores = np.where(causal, scores, -np.inf)
        att = softmax(scores)
        attention[l] = att
        y = (att @ v).transpose(1, 0, 2).reshape(T, C)  # heads side by side
        h = h + y @ p("attn.c_proj.weight") + p("attn.c_proj.bias")
        m = layer_norm(h, p("ln_2.weight"), p("ln_2.bias"), eps)
        m = gelu_new(m @ p("mlp.c_fc.weight") + p("mlp.c_fc.bias"))
        h = h + m @ p("mlp.c_proj.weight") + p("mlp.c_proj.bias")
    h = layer_norm(h, w["ln_f.weight"], w["ln_f.bias"], eps)
    return h @ w["wte.weight"].T, attention


def main():
    # --ids: the logits and attention for these ids instead (the same checkpoints), e.g.
    # a text's ids as gpt-3-encoder gives them, for tests/js/gpt2-model.test.js.
    if len(sys.argv) == 4 and sys.argv[2] == "--ids":
        ids = json.loads(sys.argv[3])
        if not (1 <= len(ids) <= N_POSITIONS and all(0 <= i < VOCAB for i in ids)):
            sys.exit(f"--ids: 1 to {N_POSITIONS} ids in [0, {VOCAB})")
    elif len(sys.argv) == 2:
        ids = IDS
    else:
        sys.exit("usage: gpt2_numpy.py OUT_DIR [--ids JSON_LIST]")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    params = random_parameters(np.random.default_rng(2019))
    index = {"ids": ids, "n_layer": N_LAYER, "n_head": N_HEAD, "vocab_size": VOCAB, "variants": {}}
    for name, variant in VARIANTS.items():
        folder = os.path.join(out, name)
        weights = write_checkpoint(folder, params, variant)
        logits, attention = forward(weights, ids, variant["eps"])
        logits.astype("<f4").tofile(os.path.join(folder, "logits.f32"))
        attention.astype("<f4").tofile(os.path.join(folder, "attention.f32"))
        index["variants"][name] = dict(variant, folder=name, logits="logits.f32", attention="attention.f32",
                                       logits_max_abs=float(np.abs(logits).max()))
    # written last: its presence says every variant is complete
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f, indent=2)
    print(f"wrote {len(VARIANTS)} GPT-2 checkpoints and their numpy logits and attention to {out}")


if __name__ == "__main__":
    main()
