#!/usr/bin/env python3
"""Golden values for pkg/use/validate, and the human ratings table the project ships.

Two jobs, run from the repository root:

    /path/to/venv/bin/python tools/reference/make_validate_fixtures.py fixtures
        writes pkg/use/validate/testdata/logistic_fixtures.json: scikit-learn's multinomial logistic regression
        (StandardScaler + LogisticRegression, lbfgs, L2) on small synthetic data sets. The Go tests read only
        that file.

    /path/to/venv/bin/python tools/reference/make_validate_fixtures.py ratings Ratings_Warriner_et_al.csv
        writes config/data/ratings_warriner2013.tsv from the published norms of Warriner, Kuperman and
        Brysbaert (2013): for every emotion word of config/data/emotions_171.txt that is a lemma of the norms
        (exact match), its mean valence (V.Mean.Sum) and mean arousal (A.Mean.Sum), copied unchanged. No value
        is rescaled, averaged or guessed; words absent from the norms (multi-word emotions, most past
        participles such as "alarmed") are left out.

Versions: scikit-learn 1.9.1, numpy 2.4.6 (tools/reference/requirements.txt).

Fixture contents, per case (matrices as lists of rows):
  x_train [n, d], y_train [n] (class ids 0..k-1), x_test [m, d], c (sklearn's C), n_classes;
  mean, scale: StandardScaler's fitted mean_ and scale_ (population std, 1 where it is 0);
  coef [k, d], intercept [k]: LogisticRegression's coef_ and intercept_ (in the standardised space);
  proba_test [m, k]: predict_proba of the pipeline on x_test; pred_test [m]: predict.
The cases: "tall" (n > d, features on very different scales, one constant feature) and "wide" (d > n,
like residual-stream activations with few stories).
"""
import csv
import hashlib
import json
import os
import sys

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def case(rng, n, m, d, k, c, spread):
    centers = rng.normal(size=(k, d)) * spread
    y = np.arange(n) % k
    rng.shuffle(y)
    x = centers[y] + rng.normal(size=(n, d))
    yt = np.arange(m) % k
    xt = centers[yt] + rng.normal(size=(m, d))
    scales = 10.0 ** rng.uniform(-2, 2, size=d)  # features on very different scales
    x, xt = x * scales + 3.0, xt * scales + 3.0
    return x, y, xt, c


def fit(x, y, xt, c, k):
    pipe = make_pipeline(StandardScaler(), LogisticRegression(C=c, tol=1e-12, max_iter=100000))
    pipe.fit(x, y)
    sc, lr = pipe[0], pipe[1]
    return {
        "x_train": x.tolist(), "y_train": y.tolist(), "x_test": xt.tolist(), "c": c, "n_classes": k,
        "mean": sc.mean_.tolist(), "scale": sc.scale_.tolist(),
        "coef": lr.coef_.tolist(), "intercept": lr.intercept_.tolist(),
        "proba_test": pipe.predict_proba(xt).tolist(), "pred_test": pipe.predict(xt).tolist(),
    }


def fixtures():
    rng = np.random.default_rng(7)
    out = {"source": "make_validate_fixtures.py, scikit-learn %s, numpy %s" % (sklearn.__version__, np.__version__)}
    x, y, xt, c = case(rng, 60, 20, 6, 4, 0.5, 1.5)
    x[:, 2] = 3.0  # a constant feature: scale 1, coefficient 0
    xt[:, 2] = 3.0
    out["tall"] = fit(x, y, xt, c, 4)
    x, y, xt, c = case(rng, 15, 10, 40, 3, 1.0, 0.6)
    out["wide"] = fit(x, y, xt, c, 3)
    path = os.path.join(ROOT, "pkg", "use", "validate", "testdata", "logistic_fixtures.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote", path, os.path.getsize(path), "bytes")


HEADER = """# Human ratings of valence and arousal for the emotion words of emotions_171.txt.
#
# Source: Warriner, A. B., Kuperman, V., & Brysbaert, M. (2013). Norms of valence, arousal, and dominance
#   for 13,915 English lemmas. Behavior Research Methods, 45(4), 1191-1207. doi:10.3758/s13428-012-0314-x
#   File Ratings_Warriner_et_al.csv as distributed by the authors (crr.ugent.be/archives/1003) and mirrored
#   in github.com/JULIELab/XANEW (sha256 %s).
# Licence: the norms are released under Creative Commons Attribution-NonCommercial-NoDerivs 3.0 Unported
#   (CC BY-NC-ND 3.0). This file is a verbatim extract (rows and columns selected, values unchanged) for
#   non-commercial research use with attribution to the authors above; it is not under the project's licence.
# Compiled by tools/reference/make_validate_fixtures.py: every emotion word that is a lemma of the norms
#   (exact match; %d of %d), its mean valence (column V.Mean.Sum) and mean arousal (A.Mean.Sum).
# Scales: 1-9, the authors' orientation: valence 1 = unhappy .. 9 = happy; arousal 1 = calm .. 9 = excited.
"""


def ratings(src):
    data = open(src, "rb").read()
    rows = {r["Word"]: r for r in csv.DictReader(open(src, newline=""))}
    path = os.path.join(ROOT, "config", "data", "emotions_171.txt")
    emotions = [l.strip() for l in open(path) if l.strip() and not l.startswith("#")]
    hit = [e for e in emotions if e in rows]
    out = os.path.join(ROOT, "config", "data", "ratings_warriner2013.tsv")
    with open(out, "w") as f:
        f.write(HEADER % (hashlib.sha256(data).hexdigest(), len(hit), len(emotions)))
        f.write("emotion\tvalence\tarousal\n")
        for e in hit:
            f.write("%s\t%s\t%s\n" % (e, rows[e]["V.Mean.Sum"], rows[e]["A.Mean.Sum"]))
    print("wrote", out, len(hit), "emotions")


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "fixtures":
        fixtures()
    elif len(sys.argv) == 3 and sys.argv[1] == "ratings":
        ratings(sys.argv[2])
    else:
        sys.exit(__doc__)
