#!/usr/bin/env python3
"""Check that the emotion-vector files written by pkg/method/vectors load in Python's safetensors.

Usage (from the repository root, with the reference venv):

    python tools/reference/check_vectors_readable.py            # writes fresh files through the Go test
    python tools/reference/check_vectors_readable.py FILE ...   # checks existing files

Without arguments it runs `go test -run TestFileIsPlainSafetensors ./pkg/method/vectors` with
EMOTION_PROBES_VECTORS_OUT set to a temporary folder (the test copies its emotion_vectors.safetensors and
emotion_vectors_raw.safetensors there), then loads each file with safetensors.numpy.load_file and
safe_open(...).metadata(), prints the metadata, and checks what pkg/method/vectors documents: one float32 [D]
tensor per emotion named by the word, the "emotions" list in the metadata naming exactly those tensors, and,
for the raw file, rows that sum to zero. Nothing is written to the repository (CI has no Python safetensors;
the Go test checks the header structure itself).
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file

REQUIRED = ["emotions", "layer", "model", "denoised", "n_components_removed", "explained_variance",
            "pca_variance_threshold", "token_offset", "n_stories", "format"]


def check(path):
    tensors = load_file(path)
    with safe_open(path, framework="np") as f:
        meta = f.metadata()
    print(f"== {path}")
    for k in sorted(meta):
        print(f"  {k}: {meta[k]}")
    missing = [k for k in REQUIRED if k not in meta]
    assert not missing, f"metadata lacks {missing}"
    emotions = json.loads(meta["emotions"])
    assert sorted(emotions) == sorted(tensors), (emotions, sorted(tensors))
    dims = {t.shape for t in tensors.values()}
    assert len(dims) == 1 and len(next(iter(dims))) == 1, dims
    assert all(t.dtype == np.float32 for t in tensors.values())
    m = np.stack([tensors[e] for e in emotions]).astype(np.float64)
    print(f"  matrix {m.shape}, mean row norm {np.linalg.norm(m, axis=1).mean():.4g}")
    if meta.get("kind") == "raw":
        colsum = np.abs(m.sum(axis=0)).max()
        scale = np.abs(m).sum(axis=0).max()
        print(f"  raw: max |column sum| {colsum:.3g} (scale {scale:.3g})")
        assert colsum <= 1e-5 * scale + 1e-6
    json.loads(meta["n_stories"])
    json.loads(meta["explained_variance"])
    print("  ok")


def main():
    paths = sys.argv[1:]
    if not paths:
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        tmp = tempfile.mkdtemp(prefix="vectors-py-")
        env = dict(os.environ, EMOTION_PROBES_VECTORS_OUT=tmp, GOFLAGS="-mod=mod", GOEXPERIMENT="simd",
                   GOMLX_NO_AUTO_INSTALL="1")
        subprocess.run(["go", "test", "-count=1", "-run", "TestFileIsPlainSafetensors", "./pkg/method/vectors"],
                       cwd=root, env=env, check=True)
        paths = [os.path.join(tmp, n) for n in ("emotion_vectors.safetensors", "emotion_vectors_raw.safetensors")]
    for p in paths:
        check(p)


if __name__ == "__main__":
    main()
