"""Fit the owner verdict (search/owner.py) on the TUNE half of the staff set; print the settings.

    python tests/eval/calibrate_owner.py            # fit, print the SearchConfig lines and tune figures

The model: logistic regression (scikit-learn, L2, C=1, standardized inside, weights mapped back
to raw features) from owner.FEATURES of each judged (question, township) pair to listed /
not listed. The cuts:
- no_match_cosine: 清单之外 is said only for townships with no keyword evidence at all;
  among those, the largest best-cosine cut (0.005 steps) at which 清单之外 keeps a precision of
  at least PRECISION_TARGET on the tune pairs;
- owner_listed_cut: on cross-validated probabilities (grouped by question, so it is not chosen on
  the very predictions the weights were fitted to), the smallest cut at which at least
  LISTED_PRECISION of the 有此事项 answers are truly listed; weaker evidence is 可能相关. (The
  cut that maximizes status accuracy answers 有此事项 to almost everything, half of it wrong;
  可能相关 is the honest answer there.)
Only the tune half is read. The output lines are pasted into search/config.py by hand.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from staff_set import acceptable_lists, load_staff  # noqa: E402

PRECISION_TARGET = 0.97  # tune-half precision asked of 清单之外: the test half will come out lower
LISTED_PRECISION = 0.6   # share of 有此事项 answers that must be truly listed


def collect(engine, questions):
    from search.owner import FEATURES
    X, y, groups, list_ok = [], [], [], []
    for qi, q in enumerate(questions):
        towns = list(q["owners"])
        rows = {r["township"]: r for r in engine.owner(q["query"], townships=towns, size=len(towns),
                                                       explain=True)["results"]}
        for town, judgment in q["owners"].items():
            row = rows[town]
            X.append([row["features"][f] for f in FEATURES])
            listed = judgment["status"] == "listed"
            y.append(listed)
            groups.append(qi)
            # would the main candidate be on an acceptable list if the verdict were 有此事项?
            candidate = (row.get("items") or [{}])[0].get("duty") or row.get("nearest")
            lists = acceptable_lists(judgment, {i: engine.get(i)["list_type"] for i in judgment["items"]})
            list_ok.append(bool(listed and candidate and candidate["list_type"] in lists))
    return np.array(X), np.array(y), np.array(groups), np.array(list_ok)


def fit(X, y):
    from sklearn.linear_model import LogisticRegression
    mean, scale = X.mean(axis=0), X.std(axis=0) + 1e-9
    model = LogisticRegression(C=1.0, max_iter=5000).fit((X - mean) / scale, y)
    weights = model.coef_[0] / scale
    bias = float(model.intercept_[0] - (model.coef_[0] * mean / scale).sum())
    return weights, bias


def probabilities(X, weights, bias):
    return 1.0 / (1.0 + np.exp(-(X @ weights + bias)))


def cross_validated(X, y, groups, folds=5):
    from sklearn.model_selection import GroupKFold
    p = np.zeros(len(y))
    for train, test in GroupKFold(folds).split(X, y, groups):
        w, b = fit(X[train], y[train])
        p[test] = probabilities(X[test], w, b)
    return p


def choose_cuts(p, y, list_ok, X):
    from search.owner import FEATURES
    no_keyword = X[:, FEATURES.index("keyword")] == 0
    cosine = X[:, FEATURES.index("cosine")]
    cosine_cut = 0.0
    for cut in np.arange(0.20, 0.95, 0.005):
        said = no_keyword & (cosine < cut)
        if said.sum() >= 5 and (~y[said]).mean() >= PRECISION_TARGET:
            cosine_cut = round(float(cut), 3)
    out = no_keyword & (cosine < cosine_cut)
    listed_cut = 0.95
    for cut in np.arange(0.95, 0.01, -0.01):
        listed = (p >= cut) & ~out
        if listed.any() and y[listed].mean() >= LISTED_PRECISION:
            listed_cut = round(float(cut), 2)
    return cosine_cut, listed_cut, out


def main(argv=None) -> int:
    from search.engine import Engine

    parser = argparse.ArgumentParser()
    parser.add_argument("--index-dir", default=None)
    args = parser.parse_args(argv)
    engine = Engine.open(args.index_dir)
    X, y, groups, list_ok = collect(engine, load_staff("tune"))
    p_cv = cross_validated(X, y, groups)
    cosine_cut, listed_cut, said = choose_cuts(p_cv, y, list_ok, X)
    weights, bias = fit(X, y)
    possible = ~said & (p_cv < listed_cut)
    right = np.where(y, (p_cv >= listed_cut) & ~said & list_ok, said)
    from sklearn.metrics import roc_auc_score
    print(f"cross-validated AUC of P(listed), listed vs not listed: {roc_auc_score(y, p_cv):.3f}")
    print(f"tune pairs {len(y)} ({int(y.sum())} listed): 清单之外 precision "
          f"{(~y[said]).mean() if said.any() else float('nan'):.3f}, recall {(said & ~y).sum() / (~y).sum():.3f}; "
          f"可能相关 share {possible.mean():.3f}; status accuracy (cross-validated) {right.mean():.3f}")
    print("# paste into search/config.py:")
    print(f"    owner_weights: tuple = ({', '.join(f'{w:.4f}' for w in weights)})")
    print(f"    owner_bias: float = {bias:.4f}")
    print(f"    owner_listed_cut: float = {listed_cut}")
    print(f"    no_match_cosine: float = {cosine_cut}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
