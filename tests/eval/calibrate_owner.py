"""Fit the owner verdict (search/owner.py) on judged items; print the settings.

    python tests/eval/calibrate_owner.py            # fit, print the SearchConfig lines and tune figures

Only the TUNE half of the staff set and the older set (queries.jsonl) are read; the test half is
never opened here.

The model: logistic regression (scikit-learn, L2, C=1, standardized inside, weights mapped back to
raw features) from owner.FEATURES of each candidate item the engine weighs for a (question,
township) to "this item answers the task" (judged ≥ 2 for that township). Training items come from
the staff tune half (every township judged per question) and from the older set, whose judgments
cover every township they name (a township none of whose records the older set judges is left
out: it was added after that set was written).

A township's probability of listing the task is its best item's, Platt-scaled (a one-feature
logistic regression on the logit of the best item's cross-validated probability, owner_township_scale).
The cuts are chosen on those cross-validated probabilities
(folds grouped by question, so no cut is chosen on the very predictions the weights were fitted to),
over the staff tune half's (question, township) pairs only:
- owner_out_cut: the largest cut at which every 清单之外 answer together (another authority's work,
  nothing in common, or no word in common and a probability below the cut) keeps a precision of
  at least OUT_PRECISION — a false 清单之外 is the costliest answer;
- owner_listed_cut: the cut above it with the best status accuracy among those at which at least
  LISTED_PRECISION of the 有此事项 answers are truly listed; between the two cuts is 可能相关.
The output lines are pasted into search/config.py by hand.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from evaluate import load_sets  # noqa: E402
from staff_set import acceptable_lists, load_staff  # noqa: E402

OUT_PRECISION = 0.98     # tune-half precision asked of 清单之外 (cross-validated): the test half will come out lower
LISTED_PRECISION = 0.65  # share of 有此事项 answers that must be truly listed
FOLDS = 5


@dataclass
class Pairs:
    """Per candidate item: features, label, question; per (question, township): what is known."""

    X: list = field(default_factory=list)
    y: list = field(default_factory=list)
    question: list = field(default_factory=list)
    pair: list = field(default_factory=list)          # index into the pair lists below
    listed: list = field(default_factory=list)        # pair: the township lists the task
    ruled_out: list = field(default_factory=list)     # pair: 清单之外 whatever the model says
    no_words: list = field(default_factory=list)      # pair: no item shares a word with the task
    list_types: list = field(default_factory=list)    # pair: each candidate's list, in candidate order
    acceptable: list = field(default_factory=list)    # pair: lists a right 有此事项 may name


def older_as_staff(engine) -> list[dict]:
    """The older set in the staff set's shape: per township its judged items, listed when one is ≥ 2."""
    queries, _ = load_sets()
    town_of = {}
    for t in engine.ranges:
        for pos in range(t.start, t.end):
            town_of[engine.records[pos]["id"]] = t.township
    judged = {town_of[i] for q in queries for i in q.get("relevant", {}) if i in town_of}
    out = []
    for q in queries:
        owners = {t: {"status": "not_listed", "items": {}} for t in sorted(judged)}
        for i, grade in q.get("relevant", {}).items():
            if town_of.get(i) in owners:
                owners[town_of[i]]["items"][i] = grade
        for judgment in owners.values():
            if any(g >= 2 for g in judgment["items"].values()):
                judgment["status"] = "listed"
        out.append({"qid": "older-" + q["qid"], "query": q["query"], "owners": owners})
    return out


def collect(engine, questions, pairs: Pairs | None = None) -> Pairs:
    from search.owner import FEATURES
    pairs = pairs or Pairs()
    for q in questions:
        towns = list(q["owners"])
        rows = {r["township"]: r for r in engine.owner(q["query"], townships=towns, size=len(towns),
                                                       explain=True)["results"]}
        for town, judgment in q["owners"].items():
            row, items = rows[town], judgment.get("items", {})
            k = len(pairs.listed)
            types = []
            for cand in row["candidates"]:
                record = engine.records[cand["pos"]]
                pairs.X.append([cand["features"][f] for f in FEATURES])
                pairs.y.append(items.get(record["id"], 0) >= 2)
                pairs.question.append(q["qid"])
                pairs.pair.append(k)
                types.append(record["list_type"])
            listed = judgment["status"] == "listed"
            pairs.listed.append(listed)
            # ruled out before the model speaks: another authority's work or nothing in common
            pairs.ruled_out.append(row["ruled_out"])
            pairs.no_words.append(not row["shares_words"])
            pairs.list_types.append(types)
            pairs.acceptable.append(acceptable_lists(judgment, {i: engine.get(i)["list_type"] for i in items})
                                    if listed else set())
    return pairs


def fit(X, y):
    from sklearn.linear_model import LogisticRegression
    mean, scale = X.mean(axis=0), X.std(axis=0) + 1e-9
    model = LogisticRegression(C=1.0, max_iter=5000).fit((X - mean) / scale, y)
    weights = model.coef_[0] / scale
    bias = float(model.intercept_[0] - (model.coef_[0] * mean / scale).sum())
    return weights, bias


def probabilities(X, weights, bias):
    return 1.0 / (1.0 + np.exp(-(X @ weights + bias)))


def cross_validated(tune: Pairs, extra: Pairs) -> np.ndarray:
    """Out-of-fold item probabilities for the tune items; the extra items always train."""
    from sklearn.model_selection import GroupKFold
    X, y, groups = np.array(tune.X), np.array(tune.y), np.array(tune.question)
    p = np.zeros(len(y))
    for train, test in GroupKFold(FOLDS).split(X, y, groups):
        w, b = fit(np.vstack([X[train], np.array(extra.X)]), np.concatenate([y[train], np.array(extra.y)]))
        p[test] = probabilities(X[test], w, b)
    return p


def township_view(pairs: Pairs, p: np.ndarray):
    """Per pair: the best candidate's probability and whether its list is acceptable."""
    n = len(pairs.listed)
    best_p, list_ok = np.zeros(n), np.zeros(n, dtype=bool)
    owner_of = np.array(pairs.pair)
    for k in range(n):
        where = np.flatnonzero(owner_of == k)
        if len(where):
            i = where[np.argmax(p[where])]
            best_p[k] = p[i]
            list_ok[k] = pairs.listed[k] and pairs.list_types[k][i - where[0]] in pairs.acceptable[k]
    return best_p, list_ok


def _logit(p):
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))


def township_scale(best_p, listed) -> tuple[float, float]:
    """Platt scaling: P(the township lists the task) from the logit of its best item's probability."""
    from sklearn.linear_model import LogisticRegression
    model = LogisticRegression(C=1e6, max_iter=5000).fit(_logit(best_p).reshape(-1, 1), listed)
    return float(model.coef_[0][0]), float(model.intercept_[0])


def scaled(best_p, scale) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(scale[0] * _logit(best_p) + scale[1])))


def outcome(best_p, list_ok, listed, ruled, no_words, out_cut, listed_cut) -> dict:
    out = ruled | (no_words & (best_p < out_cut))
    yes = ~out & (best_p >= listed_cut)
    return {"accuracy": float(((yes & list_ok) | (out & ~listed)).mean()),
            "out_precision": float((~listed[out]).mean()) if out.any() else 1.0,
            "out_recall": float((out & ~listed).sum() / max((~listed).sum(), 1)),
            "listed_precision": float(listed[yes].mean()) if yes.any() else 1.0,
            "possible": float((~out & ~yes).mean())}


def choose_cuts(best_p, list_ok, listed, ruled, no_words) -> tuple[float, float]:
    out_cut = 0.0
    for cut in np.arange(0.0, 0.5, 0.0025):
        if outcome(best_p, list_ok, listed, ruled, no_words, cut, 1.0)["out_precision"] >= OUT_PRECISION:
            out_cut = round(float(cut), 4)
    best = (-1.0, 0.5)
    for cut in np.arange(out_cut, 0.95, 0.0025):
        o = outcome(best_p, list_ok, listed, ruled, no_words, out_cut, cut)
        if o["listed_precision"] >= LISTED_PRECISION and o["accuracy"] > best[0]:
            best = (o["accuracy"], round(float(cut), 4))
    return out_cut, best[1]


def main(argv=None) -> int:
    from sklearn.metrics import roc_auc_score

    from search.engine import Engine

    parser = argparse.ArgumentParser()
    parser.add_argument("--index-dir", default=None)
    args = parser.parse_args(argv)
    engine = Engine.open(args.index_dir)
    tune = collect(engine, load_staff("tune"))
    older = collect(engine, older_as_staff(engine))
    p_cv = cross_validated(tune, older)
    best_p, list_ok = township_view(tune, p_cv)
    listed, ruled = np.array(tune.listed), np.array(tune.ruled_out, dtype=bool)
    no_words = np.array(tune.no_words, dtype=bool)
    scale = township_scale(best_p, listed)
    confidence = scaled(best_p, scale)
    out_cut, listed_cut = choose_cuts(confidence, list_ok, listed, ruled, no_words)
    weights, bias = fit(np.array(tune.X + older.X), np.array(tune.y + older.y))
    o = outcome(confidence, list_ok, listed, ruled, no_words, out_cut, listed_cut)
    print(f"training items: {len(tune.y)} tune ({sum(tune.y)} answering), {len(older.y)} older ({sum(older.y)})")
    print(f"cross-validated AUC, item answers: {roc_auc_score(tune.y, p_cv):.3f}; "
          f"township lists the task: {roc_auc_score(listed, best_p):.3f}")
    print(f"tune pairs {len(listed)} ({int(listed.sum())} listed), cross-validated: status accuracy "
          f"{o['accuracy']:.3f}; 清单之外 precision {o['out_precision']:.3f}, recall {o['out_recall']:.3f}; "
          f"有此事项 precision {o['listed_precision']:.3f}; 可能相关 share {o['possible']:.3f}")
    print("# paste into search/config.py:")
    print(f"    owner_weights: tuple = ({', '.join(f'{w:.4f}' for w in weights)})")
    print(f"    owner_bias: float = {bias:.4f}")
    print(f"    owner_township_scale: tuple = ({scale[0]:.4f}, {scale[1]:.4f})")
    print(f"    owner_out_cut: float = {out_cut}")
    print(f"    owner_listed_cut: float = {listed_cut}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
