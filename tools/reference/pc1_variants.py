#!/usr/bin/env python3
"""Which axis of the emotion vectors carries valence? PC1-PC5 against human valence, under variants of the method.

Usage (from the repository root, with the reference venv, after a run of config/small.yaml):

    python tools/reference/pc1_variants.py [RUN_DIR] [DATA_DIR]     # default: runs/small config/data

It reads the activation stage's files (RUN_DIR/activations: each emotion's per-story means, each neutral
dialogue's mean), rebuilds the emotion vectors in numpy, and prints, for each layer read and each variant,
Pearson's r of PC1-PC5 scores with the Warriner et al. (2013) valence of the rated emotions:

- base: the method (each emotion's mean minus the mean over emotions; the neutral components that explain
  50% of the dialogues' variance projected out), as pkg/method/vectors makes them;
- unit: the same vectors scaled to unit length before the PCA;
- neutral k=10, k=20: 10 or 20 neutral components projected out instead;
- whitened: the vectors in coordinates where the stories' spread within an emotion is the same in every
  direction (a direction the stories of one emotion vary along a lot counts for less);
- minus story PCs: the top 3 components of all stories' activations projected out too.

It is a way to explore, not a golden fixture: the README quotes what it printed.
"""
import glob
import os
import sys

import numpy as np
from safetensors.numpy import load_file


def read_list(path):
    return [l.strip() for l in open(path) if l.strip() and not l.startswith("#")]


def read_ratings(path):
    out = {}
    for line in open(path):
        if line.startswith("#") or line.startswith("emotion\t") or not line.strip():
            continue
        e, v, a = line.rstrip("\n").split("\t")[:3]
        out[e] = (float(v), float(a))
    return out


def top_components(x, k):
    _, s, vt = np.linalg.svd(x - x.mean(0), full_matrices=False)
    return vt[:k], s


def project_out(v, p):
    return v - v @ p.T @ p


def pc_valence(v, emotions, ratings):
    rated = [i for i, e in enumerate(emotions) if e in ratings]
    vc = v - v.mean(0)
    _, _, vt = np.linalg.svd(vc, full_matrices=False)
    scores = vc @ vt[:5].T
    val = np.array([ratings[emotions[i]][0] for i in rated])
    return [np.corrcoef(scores[rated, j], val)[0, 1] for j in range(5)]


def main():
    run = sys.argv[1] if len(sys.argv) > 1 else "runs/small"
    data = sys.argv[2] if len(sys.argv) > 2 else "config/data"
    emotions = read_list(os.path.join(data, "emotions_171.txt"))
    ratings = read_ratings(os.path.join(data, "ratings_warriner2013.tsv"))
    neutral = [load_file(f) for f in sorted(glob.glob(os.path.join(run, "activations", "neutral", "*.safetensors")))]
    first = load_file(os.path.join(run, "activations", "emotions", emotions[0].replace(" ", "-") + ".safetensors"))
    layers = sorted(int(k.split("_")[1].split(".")[0]) for k in first if k.endswith(".per_story"))
    print(f"{len(emotions)} emotions, {sum(e in ratings for e in emotions)} rated, {len(neutral)} neutral files")
    print("r of valence with PC1 .. PC5")
    for layer in layers:
        stories = {e: load_file(os.path.join(run, "activations", "emotions", e.replace(" ", "-") + ".safetensors"))
                   [f"layer_{layer}.per_story"].astype(np.float64) for e in emotions}
        means = np.stack([stories[e].mean(0) for e in emotions])
        dialogues = np.concatenate([n[f"layer_{layer}"] for n in neutral if f"layer_{layer}" in n]).astype(np.float64)
        v = means - means.mean(0)
        nvt, ns = top_components(dialogues, len(dialogues))
        share = np.cumsum(ns ** 2) / np.sum(ns ** 2)
        k = int(np.searchsorted(share, 0.5)) + 1
        base = project_out(v, nvt[:k])
        within = np.concatenate([s - s.mean(0) for s in stories.values()])
        cov = np.cov(within.T)
        cov += 1e-3 * np.trace(cov) / len(cov) * np.eye(len(cov))
        w, q = np.linalg.eigh(cov)
        story_pcs, _ = top_components(np.concatenate(list(stories.values())), 3)
        variants = {
            f"base (k={k})": base,
            "unit": base / np.linalg.norm(base, axis=1, keepdims=True),
            "neutral k=10": project_out(v, nvt[:10]),
            "neutral k=20": project_out(v, nvt[:20]),
            "whitened": base @ q @ np.diag(w ** -0.5) @ q.T,
            "minus story PCs": project_out(base, story_pcs),
        }
        for name, x in variants.items():
            r = pc_valence(x, emotions, ratings)
            print(f"layer {layer:2d}  {name:16s}  " + "  ".join(f"{c:+.2f}" for c in r))


if __name__ == "__main__":
    main()
