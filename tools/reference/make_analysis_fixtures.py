#!/usr/bin/env python3
"""Golden values for pkg/support/numeric, from numpy, scikit-learn, scipy and umap-learn.

Writes pkg/support/numeric/testdata/analysis_fixtures.json. The Go tests read only that file; this script documents
where every golden number came from. Run from the repository root:

    /path/to/venv/bin/python tools/reference/make_analysis_fixtures.py

Versions used to produce the committed fixture are pinned in tools/reference/requirements.txt
(numpy 2.4.6, scipy 1.17.1, scikit-learn 1.9.1, umap-learn 0.5.12).

Contents (all matrices as lists of rows):
  denoise: a synthetic 40x16 "emotion means" matrix and a 60x16 "neutral" matrix sharing three nuisance
    directions; numpy's reference of METHOD.md step 4 (raw vectors, neutral PCA at threshold 0.5, projection).
  cosine: sklearn.metrics.pairwise.cosine_similarity of the denoised vectors.
  pca: sklearn.decomposition.PCA(n_components=5) of the denoised vectors, and PCA(n_components=4) of their
    first 8 rows (a wide matrix).
  clusters: a 150x20 data set of six Gaussian clusters of uneven size and spread;
    kmeans: sklearn KMeans(n_init=10, random_state=0) inertia for several k;
    umap: per metric, umap-learn's fuzzy simplicial set (sigmas, rhos, row sums) on exact neighbours, its
      2-D embedding (rounded to 6 decimals) and sklearn.manifold.trustworthiness of that embedding.
  ab_params: umap.umap_.find_ab_params(spread, min_dist).
  stats: scipy.stats pearsonr, spearmanr (with ties) and a percentile bootstrap CI.
"""
import json
import os
import sys

import numpy as np
import scipy
import scipy.sparse.csgraph
import scipy.stats
import sklearn
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.manifold import trustworthiness
from sklearn.metrics import pairwise_distances
from sklearn.metrics.pairwise import cosine_similarity

import umap
from umap.umap_ import find_ab_params, fuzzy_simplicial_set

OUT = os.path.join("pkg", "support", "numeric", "testdata", "analysis_fixtures.json")


def r6(a):
    """Round inputs to 6 decimals so the JSON is short and the Go side reads exactly the same numbers."""
    return np.round(np.asarray(a, dtype=np.float64), 6)


def rows(a):
    return [[float(x) for x in row] for row in np.asarray(a)]


def make_denoise(rng):
    d = 16
    # 40 emotions with a valence and an arousal sign each (used by the Go orientation test).
    names = [
        # pleasant, high arousal
        "excited", "thrilled", "ecstatic", "euphoric", "energized", "enthusiastic", "elated", "jubilant",
        # pleasant, low arousal
        "calm", "relaxed", "peaceful", "serene", "content", "at ease", "satisfied", "grateful",
        # unpleasant, high arousal
        "enraged", "furious", "terrified", "panicked", "hysterical", "alarmed", "outraged", "angry",
        # unpleasant, low arousal
        "sad", "gloomy", "depressed", "melancholy", "lonely", "miserable", "weary", "bored",
        # mixed / unlabelled
        "surprised", "nostalgic", "amazed", "reflective", "puzzled", "skeptical", "resigned", "sentimental",
    ]
    valence = np.array([1] * 16 + [-1] * 16 + [0] * 8, dtype=float)
    arousal = np.array(([1] * 8 + [-1] * 8) * 2 + [0] * 8, dtype=float)
    valence = valence * (1.0 + 0.3 * rng.random(40)) + 0.2 * rng.normal(size=40)
    arousal = arousal * (0.6 + 0.3 * rng.random(40)) + 0.2 * rng.normal(size=40)

    q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    dir_v, dir_a = q[:, 0], q[:, 1]
    nuisance = q[:, 2:5].T  # 3 x d, orthonormal, orthogonal to dir_v and dir_a
    offset = 4.0 * rng.normal(size=d)

    # Neutral activations: large variance along the nuisance directions, small isotropic noise.
    ncoef = rng.normal(size=(60, 3)) * np.array([4.0, 3.5, 2.5])
    neutral = offset + ncoef @ nuisance + 0.6 * rng.normal(size=(60, d))
    # Emotion means: valence/arousal signal plus nuisance contamination plus noise.
    ecoef = rng.normal(size=(40, 3)) * np.array([2.0, 1.5, 1.0])
    means = (offset + 2.0 * np.outer(valence, dir_v) + 1.2 * np.outer(arousal, dir_a)
             + ecoef @ nuisance + 0.4 * rng.normal(size=(40, d)))
    means, neutral = r6(means), r6(neutral)

    raw = means - means.mean(axis=0)
    xc = neutral - neutral.mean(axis=0)
    _, s, vt = np.linalg.svd(xc, full_matrices=False)
    ratio = s**2 / np.sum(s**2)
    cum = np.cumsum(ratio)
    k = int(np.searchsorted(cum, 0.5, side="left") + 1)  # smallest k with cumulative ratio >= 0.5
    assert PCA(n_components=0.5).fit(neutral).n_components_ == k
    c = vt[:k]
    vectors = raw - raw @ c.T @ c

    pca = PCA(n_components=5).fit(vectors)
    wide = PCA(n_components=4).fit(vectors[:8])  # fewer rows than columns: the Go side takes its SVD path
    return names, means, neutral, {
        "raw": rows(raw),
        "neutral_k": k,
        "neutral_components": rows(c),
        "neutral_explained_ratio": [float(x) for x in ratio],
        "vectors": rows(vectors),
    }, rows(cosine_similarity(vectors)), {
        "n_components": 5,
        "components": rows(pca.components_),
        "explained_variance_ratio": [float(x) for x in pca.explained_variance_ratio_],
        "scores": rows(pca.transform(vectors)),
        "wide_rows": 8,
        "wide_components": rows(wide.components_),
        "wide_explained_variance_ratio": [float(x) for x in wide.explained_variance_ratio_],
    }


def make_clusters(rng):
    d = 20
    sizes = [40, 30, 25, 25, 20, 10]
    spreads = [1.0, 1.4, 0.8, 1.2, 1.6, 0.9]
    centres = 1.8 * rng.normal(size=(len(sizes), d)) + 1.0
    parts, labels = [], []
    for c, (n, s) in enumerate(zip(sizes, spreads)):
        parts.append(centres[c] + s * rng.normal(size=(n, d)))
        labels += [c] * n
    x = np.vstack(parts)
    perm = rng.permutation(x.shape[0])
    return r6(x[perm]), [labels[i] for i in perm]


def main():
    rng = np.random.default_rng(20260401)
    names, means, neutral, denoise, cos, pca = make_denoise(rng)
    x, truth = make_clusters(rng)

    kmeans = []
    for k in (3, 6, 10):
        km = KMeans(n_clusters=k, n_init=10, random_state=0).fit(x)
        kmeans.append({"k": k, "sklearn_inertia": float(km.inertia_)})

    trust_k = 10
    umap_fx = []
    for metric in ("euclidean", "cosine"):
        dmat = pairwise_distances(x, metric=metric)
        graph, sigmas, rhos = fuzzy_simplicial_set(dmat, 15, np.random.RandomState(42), "precomputed")
        graph = graph.tocsr()
        # Components after umap-learn's pruning of edges below max/n_epochs (500): more than one means
        # umap-learn laid the components out separately (multi_component_layout).
        pruned = graph.copy()
        pruned.data[pruned.data < pruned.data.max() / 500.0] = 0.0
        pruned.eliminate_zeros()
        n_comp = int(scipy.sparse.csgraph.connected_components(pruned)[0])
        emb = umap.UMAP(n_neighbors=15, min_dist=0.1, metric=metric, random_state=42).fit_transform(x)
        emb = r6(emb)
        umap_fx.append({
            "metric": metric,
            "n_neighbors": 15,
            "min_dist": 0.1,
            "sigmas": [float(v) for v in sigmas],
            "rhos": [float(v) for v in rhos],
            "graph_row_sums": [float(v) for v in np.asarray(graph.sum(axis=1)).ravel()],
            "graph_nnz": int(graph.nnz),
            "graph_components": n_comp,
            "embedding": rows(emb),
            "trust_k": trust_k,
            "sklearn_trustworthiness": float(trustworthiness(x, emb, n_neighbors=trust_k, metric=metric)),
        })

    ab = []
    for spread, min_dist in ((1.0, 0.1), (1.0, 0.5), (1.0, 0.001), (2.0, 0.25), (1.5, 1.0)):
        a, b = find_ab_params(spread, min_dist)
        ab.append({"spread": spread, "min_dist": min_dist, "a": float(a), "b": float(b)})

    sx = r6(rng.normal(size=30))
    sy = r6(0.6 * sx + 0.8 * rng.normal(size=30))
    tx = rng.integers(0, 5, size=25).astype(float)
    ty = tx + rng.integers(0, 3, size=25).astype(float)
    boot = scipy.stats.bootstrap(
        (sx, sy), lambda a, b: scipy.stats.pearsonr(a, b)[0], paired=True, vectorized=False,
        n_resamples=4000, confidence_level=0.95, method="percentile", random_state=0)
    stats = {
        "x": [float(v) for v in sx], "y": [float(v) for v in sy],
        "pearson": float(scipy.stats.pearsonr(sx, sy)[0]),
        "spearman": float(scipy.stats.spearmanr(sx, sy)[0]),
        "ties_x": [float(v) for v in tx], "ties_y": [float(v) for v in ty],
        "ties_pearson": float(scipy.stats.pearsonr(tx, ty)[0]),
        "ties_spearman": float(scipy.stats.spearmanr(tx, ty)[0]),
        "ties_ranks_x": [float(v) for v in scipy.stats.rankdata(tx, method="average")],
        "bootstrap_pearson_95": [float(boot.confidence_interval.low), float(boot.confidence_interval.high)],
    }

    out = {
        "source": ("tools/reference/make_analysis_fixtures.py; numpy %s, scipy %s, scikit-learn %s, umap-learn %s"
                   % (np.__version__, scipy.__version__, sklearn.__version__, umap.__version__)),
        "names": names,
        "means": rows(means),
        "neutral": rows(neutral),
        "denoise": denoise,
        "cosine": cos,
        "pca": pca,
        "clusters": {"x": rows(x), "truth": truth, "kmeans": kmeans, "umap": umap_fx},
        "ab_params": ab,
        "stats": stats,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print("wrote", OUT, os.path.getsize(OUT), "bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
