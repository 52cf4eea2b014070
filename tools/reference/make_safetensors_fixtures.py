#!/usr/bin/env python3
"""Golden fixtures for pkg/engine/safetensors, made with the reference implementation (the `safetensors` package).

Writes, under pkg/engine/safetensors/testdata/:
  single.safetensors      one file written by safetensors.torch.save_file: F32, F16, BF16, F64, I64, I32 tensors,
                          a one-element tensor, an empty tensor, and __metadata__.
  sharded/                the same tensors split over model-00001-of-00002.safetensors and
                          model-00002-of-00002.safetensors, plus model.safetensors.index.json (weight_map), as
                          transformers' save_pretrained lays them out.
  expected.json           per tensor: dtype, shape, the float32/float64/int source values handed to the writer,
                          and the values safetensors reads back (for F16/BF16 after rounding, as float32 bits).
                          The Go reader test compares its values with these; the Go writer test writes the source
                          values and compares its tensor bytes with single.safetensors byte for byte (the header
                          is compared parsed: JSON key order and padding may differ).

Check a file written by the Go writer with the Python package:
  /tmp/refvenv/bin/python tools/reference/make_safetensors_fixtures.py --check FILE.safetensors

Versions used: see tools/reference/requirements.txt (safetensors 0.8.0, torch 2.13.0, numpy 2.4.6).
"""
import json
import os
import sys

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file, load_file

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "pkg", "engine", "safetensors", "testdata")
METADATA = {"format": "pt", "note": "ünïcode ✓", "empty": ""}


def sources():
    """Source values (float32 for F32/F16/BF16, float64, ints) and the dtype each is stored as."""
    rng = np.random.default_rng(7)
    f16_src = np.array([0.0, -0.0, 1.0, 65504.0, 65520.0, 1e-8, 6.1e-5, 5.96e-8, 2.98e-8, 1.0009765625,
                        1.00048828125, 1.00146484375, -3.14159265, 0.1, 1e5, float("inf")], dtype=np.float32)
    bf16_src = np.array([1.0, 1.00390625, 1.01171875, -2.5, 3.0e38, 1e-40, 0.1, -7.77], dtype=np.float32)
    return [
        ("a.f32", "F32", [2, 3], rng.standard_normal((2, 3)).astype(np.float32)),
        ("b.f16", "F16", [4, 4], f16_src.reshape(4, 4)),
        ("c.bf16", "BF16", [2, 4], bf16_src.reshape(2, 4)),
        ("d.f64", "F64", [3], np.array([1.0 / 3.0, -1e300, 5e-324], dtype=np.float64)),
        ("e.i64", "I64", [2, 2], np.array([[-(2**63), 2**63 - 1], [0, -42]], dtype=np.int64)),
        ("f.i32", "I32", [3], np.array([-(2**31), 2**31 - 1, 7], dtype=np.int32)),
        ("g.one", "F32", [1], np.array([2.5], dtype=np.float32)),
        ("h.empty", "F32", [0, 3], np.zeros((0, 3), dtype=np.float32)),
        ("layers.0.weight", "F32", [2, 2], rng.standard_normal((2, 2)).astype(np.float32)),
        ("layers.1.weight", "F16", [3], rng.standard_normal(3).astype(np.float32)),
    ]


TORCH = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64,
         "I64": torch.int64, "I32": torch.int32}


def to_torch(dtype, src):
    t = torch.from_numpy(np.ascontiguousarray(src))
    return t.to(TORCH[dtype])  # float32 -> float16/bfloat16 rounds to nearest even


def readback(t):
    """What the Python package reads back, in a JSON-exact form."""
    if t.dtype in (torch.float32, torch.float16, torch.bfloat16):
        return {"f32_bits": t.to(torch.float32).numpy().view(np.uint32).ravel().tolist()}
    if t.dtype == torch.float64:
        return {"f64": t.numpy().ravel().tolist()}
    return {"ints": [str(v) for v in t.numpy().ravel().tolist()]}  # strings: int64 exceeds 2^53


def main():
    os.makedirs(os.path.join(OUT, "sharded"), exist_ok=True)
    tensors = {name: to_torch(dtype, src) for name, dtype, _, src in sources()}
    save_file(tensors, os.path.join(OUT, "single.safetensors"), metadata=METADATA)

    names = sorted(tensors)
    shards = [names[: len(names) // 2], names[len(names) // 2:]]
    weight_map, total = {}, 0
    for i, part in enumerate(shards):
        fname = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
        save_file({n: tensors[n] for n in part}, os.path.join(OUT, "sharded", fname), metadata={"format": "pt"})
        for n in part:
            weight_map[n] = fname
            total += tensors[n].numel() * tensors[n].element_size()
    with open(os.path.join(OUT, "sharded", "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2, sort_keys=True)

    loaded = load_file(os.path.join(OUT, "single.safetensors"))
    with safe_open(os.path.join(OUT, "single.safetensors"), "pt") as f:
        assert f.metadata() == METADATA
    expected = {"source": "safetensors 0.8.0 (torch 2.13.0) save_file/load_file", "metadata": METADATA,
                "tensors": []}
    for name, dtype, shape, src in sources():
        entry = {"name": name, "dtype": dtype, "shape": shape}
        if src.dtype == np.float32:
            entry["source_f32_bits"] = src.view(np.uint32).ravel().tolist()
        elif src.dtype == np.float64:
            entry["source_f64"] = src.ravel().tolist()
        else:
            entry["source_ints"] = [str(v) for v in src.ravel().tolist()]
        assert list(loaded[name].shape) == shape
        entry.update(readback(loaded[name]))
        expected["tensors"].append(entry)
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)


def check(path):
    """Load a Go-written file with the Python package and compare it with expected.json."""
    with open(os.path.join(OUT, "expected.json")) as f:
        expected = json.load(f)
    loaded = load_file(path)
    with safe_open(path, "pt") as f:
        meta = f.metadata()
    assert meta == expected["metadata"], meta
    for e in expected["tensors"]:
        t = loaded[e["name"]]
        assert list(t.shape) == e["shape"], (e["name"], t.shape)
        assert str(t.dtype) == str(TORCH[e["dtype"]]), (e["name"], t.dtype)
        got = readback(t)
        for k, v in got.items():
            assert v == e[k], (e["name"], k)
    print(f"ok: {path}: {len(loaded)} tensors and metadata read by safetensors match expected.json")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        check(sys.argv[2])
    else:
        main()
