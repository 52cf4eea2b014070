#!/usr/bin/env python3
"""What does PC1 of the emotion vectors follow? An independent check of the report's "What PC1 follows".

Usage (from the repository root, with the reference venv, after a run and `emotion-probes validate`):

    python tools/reference/pc1_style.py [RUN_DIR] [DATA_DIR]     # default: runs/small config/data

It rebuilds the run layer's emotion vectors in numpy from the activation stage's files (as pc1_variants.py
does), reads each story's text from the run's stories folder, and computes, with its own code:

- the share of body words in each emotion's stories, and its Pearson r with PC1 over the emotions;
- the same story by story, each story's body share and its activation along PC1 taken about its emotion's
  mean;
- PC1 of the vectors with the body share partialled out (each vector minus its least-squares fit on the
  share), against the Warriner et al. (2013) valence of the rated emotions.

Then it prints the Go report's numbers (RUN_DIR/validation/report.json) beside its own. The word list is
strip_body_sentences.py's, written out there on purpose: the check must not read it from the Go code it
checks. PC signs are arbitrary in numpy, so the comparison is of |r|.
"""
import glob
import json
import os
import re
import sys

import numpy as np
from safetensors import safe_open

from pc1_variants import read_list, read_ratings  # the scripts beside this one
from strip_body_sentences import BODY


def body_share(text):
    words = re.findall(r"[a-z]+", text.lower())
    return sum(w in BODY for w in words) / len(words)


def pc1(v):
    vc = v - v.mean(0)
    _, _, vt = np.linalg.svd(vc, full_matrices=False)
    return vt[0], vc @ vt[0]


def main():
    run = sys.argv[1] if len(sys.argv) > 1 else "runs/small"
    data = sys.argv[2] if len(sys.argv) > 2 else "config/data"
    report = json.load(open(os.path.join(run, "validation", "report.json")))
    layer = report["layers"]["default_layer"]
    emotions = read_list(os.path.join(data, "emotions_171.txt"))
    valence = {e: va[0] for e, va in read_ratings(os.path.join(data, "ratings_warriner2013.tsv")).items()}
    slug = {e: e.replace(" ", "-") for e in emotions}
    emotions = [e for e in emotions if os.path.exists(os.path.join(run, "activations", "emotions", slug[e] + ".safetensors"))]

    x, share, label = [], [], []
    for i, e in enumerate(emotions):
        f = safe_open(os.path.join(run, "activations", "emotions", slug[e] + ".safetensors"), "np")
        rows = f.get_tensor(f"layer_{layer}.per_story").astype(np.float64)
        seen = {}  # a topic's unit may keep several stories: the activation rows follow them in order
        for j, topic in enumerate(json.loads(f.metadata()["topic_ids"])):
            unit = json.load(open(os.path.join(run, "stories", slug[e], topic + ".json")))
            n = seen[topic] = seen.get(topic, -1) + 1
            x.append(rows[j])
            share.append(body_share(unit["kept"][n]["text"]))
            label.append(i)
    x, share, label = np.array(x), np.array(share), np.array(label)
    means = np.stack([x[label == i].mean(0) for i in range(len(emotions))])
    em_share = np.array([share[label == i].mean() for i in range(len(emotions))])

    dialogues = []
    for path in sorted(glob.glob(os.path.join(run, "activations", "neutral", "*.safetensors"))):
        f = safe_open(path, "np")
        if f"layer_{layer}" in f.keys():
            dialogues.append(f.get_tensor(f"layer_{layer}"))
    d = np.concatenate(dialogues).astype(np.float64)
    _, s, nvt = np.linalg.svd(d - d.mean(0), full_matrices=False)
    k = int(np.searchsorted(np.cumsum(s ** 2) / np.sum(s ** 2), 0.5)) + 1
    v = means - means.mean(0)
    v = v - v @ nvt[:k].T @ nvt[:k]

    if em_share.std() == 0:
        sys.exit("every story's body share is the same: nothing to correlate (stories without body words?)")
    axis, scores = pc1(v)
    across = np.corrcoef(scores, em_share)[0, 1]
    within_x = x @ axis - np.array([(x[label == l] @ axis).mean() for l in label])
    within_s = share - em_share[label]
    within = np.corrcoef(within_x, within_s)[0, 1]
    c = em_share - em_share.mean()
    vp = v - np.outer(c, v.T @ c / (c @ c))
    _, pscores = pc1(vp)
    rated = [i for i, e in enumerate(emotions) if e in valence]
    partialled = np.corrcoef(pscores[rated], [valence[emotions[i]] for i in rated])[0, 1]

    style = report.get("style") or {}
    body = next((t for t in style.get("traits", []) if t["name"] == "body words"), {})
    go = [body.get("pc_r", [None])[0], body.get("within_r"),
          ((style.get("partialled") or {}).get("valence") or {}).get("pearson", {}).get("estimate")]
    print(f"layer {layer}, {len(emotions)} emotions, {len(share)} stories, {k} neutral components, {len(rated)} rated")
    print(f"{'':48s} {'numpy':>8s} {'report':>8s}")
    for name, ours, theirs in zip(["body share vs PC1, over emotions (|r|)", "body share vs PC1, within emotions (|r|)",
                                   "PC1 vs valence, body share partialled out (|r|)"], [across, within, partialled], go):
        print(f"{name:48s} {abs(ours):8.3f} {abs(theirs) if theirs is not None else float('nan'):8.3f}")

    # Can the stories already written balance the share? Keep, per emotion, the n stories nearest the median.
    print("stories kept per emotion (nearest the median body share): spread of the emotions' shares, |r| of PC1 "
          "with the share and with valence")
    median = np.median(share)
    for n in (12, 8, 4):
        keep = np.zeros(len(share), bool)
        for i in range(len(emotions)):
            idx = np.where(label == i)[0]
            keep[idx[np.argsort(np.abs(share[idx] - median), kind="stable")[:n]]] = True
        m = np.stack([x[(label == i) & keep].mean(0) for i in range(len(emotions))])
        vb = m - m.mean(0)
        vb = vb - vb @ nvt[:k].T @ nvt[:k]
        sb = np.array([share[(label == i) & keep].mean() for i in range(len(emotions))])
        _, sc = pc1(vb)
        val = np.corrcoef(sc[rated], [valence[emotions[i]] for i in rated])[0, 1]
        print(f"  {n:2d}: sd {sb.std():.4f}, share {abs(np.corrcoef(sc, sb)[0, 1]):.2f}, valence {abs(val):.2f}")


if __name__ == "__main__":
    main()
