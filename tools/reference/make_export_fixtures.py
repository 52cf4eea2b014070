#!/usr/bin/env python3
"""Golden fixtures for `emotion-probes export`, made with the consumers' own libraries, and a checker.

Without arguments, writes:
  pkg/engine/gguf/testdata/controlvector_ref.gguf
      a control vector written as repeng's ControlVector.export_gguf writes one (gguf-py's GGUFWriter, arch
      "controlvector", controlvector.model_hint, controlvector.layer_count, one F32 tensor "direction.N" per
      layer) and as llama.cpp's --control-vector reads it: 3 layers (direction.1, .2, .3) of 8 floats,
      direction.N[j] = N + j/4 - 1 (exact in float32), model_hint "llama". pkg/engine/gguf's writer must
      reproduce it byte for byte from the same inputs (writer_test.go).
  pkg/support/npy/testdata/reference.npz
      numpy.savez of the arrays an export holds, with known values: pkg/support/npy must write each member
      (.npy) byte for byte as numpy does (npy_test.go):
        vectors   float32 [2, 3]  [[0.5, -1, 2], [0.25, 3, -0.125]]
        emotions  <U7 [3]         "sad", "at ease", "déjà vu"  (a non-ASCII string: <U is UTF-32)
        layers    int64 [1]       [20]
        norm      float64 [1]     [12.5]
        metadata  <U (0-d)        '{"model": "default", "token_offset": 50}'

With --check FILE ..., reads files written by emotion-probes (or pkg/engine/gguf's writer) as the consumers
would and prints what they see:
  .gguf  gguf.GGUFReader; the checks of llama.cpp's common_control_vector_load_one (tensor names
         "direction.N" with N >= 1, F32, one dimension, the same n_embd everywhere) and of repeng's
         ControlVector.import_gguf (general.architecture "controlvector", a controlvector.model_hint);
         each direction's shape, L2 norm and first values, every metadata key.
         With --expect-fixture, also that tensors and metadata equal controlvector_ref.gguf's.
  .npz   numpy.load(allow_pickle=False): every array's dtype, shape and (for vectors) row norms; the JSON
         metadata. With --expect-fixture, also that every array equals reference.npz's.
With --run DIR (a run's output.dir), also recomputes what the file should hold from the run's own files,
with numpy alone (safetensors parsed by hand): for each layer L, the emotion vector v from
vectors/layer_L/emotion_vectors.safetensors and the mean story norm (the mean L2 norm of every row of
"layer_L.per_story" in activations/emotions/*.safetensors, over the vector file's emotions); a control vector's
direction.(L-1) must be alpha * norm * v / |v|, an npz's vectors v itself, its residual_norm the norm and its
story_mean the mean of the emotions' "layer_L.mean".
Exits non-zero if a check fails.

Usage: /tmp/venv/bin/python tools/reference/make_export_fixtures.py [--check FILE ... [--expect-fixture] [--run DIR]]
Versions: tools/reference/requirements.txt (gguf 0.19.0, numpy 2.4.6).
"""
import argparse
import json
import os
import sys

import numpy as np
import gguf

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
GGUF_OUT = os.path.join(ROOT, "pkg", "engine", "gguf", "testdata", "controlvector_ref.gguf")
NPZ_OUT = os.path.join(ROOT, "pkg", "support", "npy", "testdata", "reference.npz")

CV_LAYERS = [1, 2, 3]
CV_DIM = 8
CV_HINT = "llama"


def cv_direction(n):
    return (n + np.arange(CV_DIM, dtype=np.float32) / 4 - 1).astype(np.float32)


def npz_arrays():
    return {
        "vectors": np.array([[0.5, -1, 2], [0.25, 3, -0.125]], dtype=np.float32),
        "emotions": np.array(["sad", "at ease", "déjà vu"]),
        "layers": np.array([20], dtype=np.int64),
        "norm": np.array([12.5], dtype=np.float64),
        "metadata": np.array(json.dumps({"model": "default", "token_offset": 50})),
    }


def write_fixtures():
    # Exactly repeng's ControlVector.export_gguf (repeng/extract.py), with directions {1, 2, 3}.
    arch = "controlvector"
    w = gguf.GGUFWriter(GGUF_OUT, arch)
    w.add_string(f"{arch}.model_hint", CV_HINT)
    w.add_uint32(f"{arch}.layer_count", len(CV_LAYERS))
    for n in CV_LAYERS:
        w.add_tensor(f"direction.{n}", cv_direction(n))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"wrote {GGUF_OUT} ({os.path.getsize(GGUF_OUT)} bytes)")

    os.makedirs(os.path.dirname(NPZ_OUT), exist_ok=True)
    np.savez(NPZ_OUT, **npz_arrays())
    print(f"wrote {NPZ_OUT} ({os.path.getsize(NPZ_OUT)} bytes)")


SAFETENSORS_DTYPES = {"F32": "<f4", "F64": "<f8", "I64": "<i8", "I32": "<i4"}


def read_safetensors(path):
    """(metadata, {name: array}) of a safetensors file, parsed with numpy alone."""
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    arrays = {}
    for name, t in header.items():
        a, b = t["data_offsets"]
        arrays[name] = np.frombuffer(data[a:b], dtype=SAFETENSORS_DTYPES[t["dtype"]]).reshape(t["shape"])
    return meta, arrays


def run_layer(run, layer):
    """What a run holds at a layer: emotions, vectors [E, D], the mean story norm, the story mean."""
    meta, vecs = read_safetensors(os.path.join(run, "vectors", f"layer_{layer}", "emotion_vectors.safetensors"))
    emotions = json.loads(meta["emotions"])
    norms, means = [], []
    folder = os.path.join(run, "activations", "emotions")
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".safetensors"):
            continue
        m, a = read_safetensors(os.path.join(folder, name))
        if int(m.get("n", "0")) == 0:
            continue
        means.append(a[f"layer_{layer}.mean"])
        if m.get("emotion") in emotions:
            norms.extend(np.linalg.norm(a[f"layer_{layer}.per_story"].astype(np.float64), axis=1))
    return emotions, np.stack([vecs[e] for e in emotions]), float(np.mean(norms)), np.mean(means, axis=0)


def field_value(field):
    v = field.contents()
    return v.item() if isinstance(v, np.generic) else v


def check_gguf(path, expect_fixture, run=None):
    ok = True

    def fail(msg):
        nonlocal ok
        ok = False
        print(f"  FAIL: {msg}")

    r = gguf.GGUFReader(path)
    print(f"{path}: GGUF, {len(r.tensors)} tensors")
    for key, field in r.fields.items():
        if key.startswith("GGUF."):
            continue
        print(f"  {key} ({field.types[0].name}) = {field_value(field)!r}")

    # repeng's ControlVector.import_gguf
    arch = r.get_field("general.architecture")
    if arch is None or field_value(arch) != "controlvector":
        fail("general.architecture is not \"controlvector\" (repeng warns: not a control vector)")
    hint = r.get_field("controlvector.model_hint")
    if hint is None or not len(hint.parts):
        fail("no controlvector.model_hint (repeng raises ValueError)")

    # llama.cpp's common_control_vector_load_one
    n_embd = None
    directions = {}
    for t in r.tensors:
        head, _, tail = t.name.partition(".")
        if head != "direction" or not tail.isdigit():
            fail(f"tensor {t.name!r}: llama.cpp wants direction.N (invalid/unparsable direction tensor layer index)")
            continue
        n = int(tail)
        if n == 0:
            fail(f"{t.name}: llama.cpp rejects layer index 0 (invalid (zero) direction tensor layer index)")
        if t.tensor_type != gguf.GGMLQuantizationType.F32:
            fail(f"{t.name}: type {t.tensor_type.name}, llama.cpp wants F32")
        if len(t.shape) != 1:
            fail(f"{t.name}: {len(t.shape)} dimensions, llama.cpp wants 1")
        if n_embd is None:
            n_embd = int(t.n_elements)
        elif int(t.n_elements) != n_embd:
            fail(f"{t.name}: {t.n_elements} values, earlier directions have {n_embd}")
        data = np.array(t.data, dtype=np.float32)
        if not np.all(np.isfinite(data)):
            fail(f"{t.name}: non-finite values")
        directions[n] = data
        print(f"  {t.name}: {t.tensor_type.name} shape {[int(x) for x in t.shape]}, L2 norm {np.linalg.norm(data):.6g}, "
              f"first values {np.round(data[:4], 6).tolist()}")
    count = r.get_field("controlvector.layer_count")
    if count is not None and field_value(count) != len(directions):
        fail(f"controlvector.layer_count = {field_value(count)} but the file has {len(directions)} directions "
             "(repeng writes the number of directions)")

    if expect_fixture:
        if sorted(directions) != CV_LAYERS:
            fail(f"directions {sorted(directions)}, the fixture has {CV_LAYERS}")
        for n in CV_LAYERS:
            if n in directions and not np.array_equal(directions[n], cv_direction(n)):
                fail(f"direction.{n} = {directions[n].tolist()}, want {cv_direction(n).tolist()}")
        if hint is not None and field_value(hint) != CV_HINT:
            fail(f"model_hint {field_value(hint)!r}, want {CV_HINT!r}")
        if count is None or count.types[0] != gguf.GGUFValueType.UINT32:
            fail("controlvector.layer_count should be a UINT32 as repeng writes it")
    if run is not None:
        emotion = field_value(r.get_field("emotion_probes.emotion"))
        alpha = float(field_value(r.get_field("emotion_probes.alpha")))
        for L in field_value(r.get_field("emotion_probes.hidden_states_layers")):
            emotions, vecs, norm, _ = run_layer(run, L)
            v = vecs[emotions.index(emotion)].astype(np.float64)
            want = (alpha * norm * v / np.linalg.norm(v)).astype(np.float32)
            got = directions.get(L - 1)
            if got is None:
                fail(f"layer {L}: no direction.{L - 1}")
                continue
            diff = float(np.max(np.abs(got - want)))
            print(f"  layer {L} -> direction.{L - 1}: recomputed from the run: mean story norm {norm:.6f} "
                  f"(over {len(emotions)} emotions), |v| {np.linalg.norm(v):.6f}; max |difference| {diff:.3g}")
            if diff > 1e-4 * max(1.0, norm):
                fail(f"direction.{L - 1} differs from alpha * norm * v/|v| by {diff}")
    print("  llama.cpp and repeng loaders' checks:", "passed" if ok else "FAILED")
    return ok


def check_npz(path, expect_fixture, run=None):
    ok = True

    def fail(msg):
        nonlocal ok
        ok = False
        print(f"  FAIL: {msg}")

    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    print(f"{path}: npz with {len(arrays)} arrays")
    for k, a in arrays.items():
        print(f"  {k}: dtype {a.dtype.str}, shape {a.shape}")
    if "metadata" in arrays:
        meta = json.loads(str(arrays["metadata"]))
        print("  metadata:", json.dumps(meta, ensure_ascii=False)[:600])
    if "vectors" in arrays:
        v = arrays["vectors"]
        if v.dtype != np.dtype("<f4"):
            fail(f"vectors dtype {v.dtype.str}, want <f4")
        norms = np.linalg.norm(v, axis=-1)
        print(f"  vectors: row L2 norms min {norms.min():.6g}, max {norms.max():.6g}, "
              f"first {np.round(norms.ravel()[:3], 6).tolist()}")
    if "emotions" in arrays:
        print(f"  emotions: {arrays['emotions'].tolist()[:8]}{' ...' if arrays['emotions'].size > 8 else ''}")
    if expect_fixture:
        want = npz_arrays()
        if sorted(arrays) != sorted(want):
            fail(f"arrays {sorted(arrays)}, the fixture has {sorted(want)}")
        for k, w in want.items():
            a = arrays.get(k)
            if a is None or a.dtype != w.dtype or a.shape != w.shape or not np.array_equal(a, w):
                fail(f"{k}: {a!r}, want {w!r}")
    if run is not None:
        layers = arrays["layers"].tolist()
        vectors = arrays["vectors"].reshape(len(layers), -1, arrays["vectors"].shape[-1])
        means = arrays.get("story_mean")
        if means is not None:
            means = means.reshape(len(layers), -1)
        for i, L in enumerate(layers):
            emotions, vecs, norm, mean = run_layer(run, L)
            rows = np.stack([vecs[emotions.index(e)] for e in arrays["emotions"].tolist()])
            same = np.array_equal(rows, vectors[i])
            print(f"  layer {L}: vectors equal the run's safetensors: {same}; residual_norm {arrays['residual_norm'][i]:.6f}, "
                  f"recomputed {norm:.6f}", end="")
            if means is not None:
                print(f"; story_mean max |difference| {float(np.max(np.abs(means[i] - mean))):.3g}")
            else:
                print()
            if not same:
                fail(f"layer {L}: vectors differ from the run's")
            if abs(arrays["residual_norm"][i] - norm) > 1e-6 * norm:
                fail(f"layer {L}: residual_norm {arrays['residual_norm'][i]}, recomputed {norm}")
            if means is not None and float(np.max(np.abs(means[i] - mean))) > 1e-9 * max(1.0, float(np.max(np.abs(mean)))):
                fail(f"layer {L}: story_mean differs from the mean of the emotions' means")
    print("  numpy.load checks:", "passed" if ok else "FAILED")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", nargs="+", metavar="FILE", help="check .gguf/.npz files instead of writing fixtures")
    ap.add_argument("--expect-fixture", action="store_true", help="the checked files must hold the fixtures' values")
    ap.add_argument("--run", metavar="DIR", help="recompute the expected values from this run's output folder")
    args = ap.parse_args()
    if not args.check:
        write_fixtures()
        return
    ok = True
    for path in args.check:
        if path.endswith(".npz"):
            ok &= check_npz(path, args.expect_fixture, args.run)
        else:
            ok &= check_gguf(path, args.expect_fixture, args.run)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
