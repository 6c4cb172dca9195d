"""Fit the owner verdict (search/owner.py) on judged items; print the settings.

    python tests/eval/calibrate_owner.py            # fit, print the SearchConfig lines and tune figures
    python tests/eval/calibrate_owner.py --served-dictionary   # the same on the served synonyms

Only the TUNE half of the staff set and the older set (queries.jsonl) are read; the test half is
never opened here.

The evidence is read through a view of the built index whose synonyms lack the block written from
the tune half's wrong answers (data/dict/synonyms.txt, between TUNE_BLOCK_BEGIN and TUNE_BLOCK_END):
with the block, tune questions find their items far more easily than unseen wording does, and
cuts chosen there promise a precision new questions do not get (session 8: 清单之外 precision 0.96
cross-validated on the tune half, 0.78 on the test half). Without it the tune half scores as the
test half does (status 0.566 / 0.459, 清单之外 precision 0.80 / 0.78, hybrid nDCG@10 0.685 / 0.697
under session 8's fit), so cuts chosen there hold for wording nobody wrote a synonym for.

The model: logistic regression (scikit-learn, L2, C=1, standardized inside, weights mapped back to
raw features) from owner.FEATURES of each candidate item the engine weighs for a (question,
township) to "this item answers the task" (judged ≥ 2 for that township). Training items come from
the staff tune half (every township judged per question) and from the older set, whose judgments
cover every township they name (a township none of whose records the older set judges is left
out: it was added after that set was written).

A township's probability of listing the task is its best item's, Platt-scaled against the leaders'
(a logistic regression on the logits of its best item's cross-validated probability and of the
best such probability among the townships holding the best items anywhere, owner_township_scale;
and how many leaders answer clearly). The cuts are chosen on cross-validated probabilities: the
items' from weights fitted on the other folds, and since session 13 the scaling too (until then it
was fitted on the very pairs the cuts were chosen on, which flattered status by about 0.015).
Folds are grouped by question, so no cut is chosen on the very predictions the weights were fitted to,
over the staff tune half's (question, township) pairs only:
- owner_no_match_cosine and owner_out_cut: the pair with the best 清单之外 recall at which every
  清单之外 answer together (another authority's work; no word in common and a best cosine below the
  first or a probability below the second) keeps a precision of at least OUT_PRECISION — a false
  清单之外 is the costliest answer (0 turns a rule off). Since session 17 the answers these two cuts
  give on the tune half of whose_work.py's township-work questions (every township taken as
  listing the task: the questions are about township work) count as wrong in that precision too,
  so the cuts are held to wording of township work the staff set lacks (the authority rule's
  answers there are not the cuts' doing and are left out); since session 21 so do those on the
  tune half of like_examples.py (new wordings of issue 11's examples, each kind listed by every
  township: `township_work_as_staff`). The cosine is searched from 0.30 (0.55
  until session 20): a model adapted to the lists puts every cosine lower (the best name of a
  judged question at its 5% quantile 0.49 against 0.735), and a grid starting above its range
  left the out_cut rule alone to fit; m3e-small as published refits the same either way;
- owner_listed_cut: the cut above it with the best status accuracy among those at which at least
  LISTED_PRECISION of the 有此事项 answers are truly listed; between the two cuts is 可能相关.
  A township that shares no word with the task is never 有此事项 (owner._answer): on the held-out
  view no cut reaches that precision among such townships (printed: `no_word_slice`; a question
  nothing answers well lifts its least bad items through the leaders' term).
The output lines are pasted into search/config.py by hand.
"""
from __future__ import annotations

import argparse
import math
import shutil
import sys
import tempfile
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
# the synonyms written from the tune half's wrong answers (data/dict/synonyms.txt)
TUNE_BLOCK_BEGIN = "# everyday words from the tune half"
TUNE_BLOCK_END = "# end of the tune-half block"


@dataclass
class Pairs:
    """Per candidate item: features, label, question; per (question, township): what is known."""

    X: list = field(default_factory=list)
    y: list = field(default_factory=list)
    question: list = field(default_factory=list)
    pair: list = field(default_factory=list)          # index into the pair lists below
    listed: list = field(default_factory=list)        # pair: the township lists the task
    ruled_out: list = field(default_factory=list)     # pair: another authority's work, or no candidate
    no_words: list = field(default_factory=list)      # pair: no item shares a word with the task
    top_cosine: list = field(default_factory=list)    # pair: the township's best cosine
    leaders: list = field(default_factory=list)       # pair: the pairs of the same question whose townships lead
    nothing_close: list = field(default_factory=list) # pair: nothing is close anywhere (search finds nothing)
    list_types: list = field(default_factory=list)    # pair: each candidate's list, in candidate order
    acceptable: list = field(default_factory=list)    # pair: lists a right 有此事项 may name
    pair_question: list = field(default_factory=list) # pair: its question


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
        answer = engine.owner(q["query"], townships=towns, size=len(towns), explain=True)
        rows = {r["township"]: r for r in answer["results"]}
        first = len(pairs.listed)
        pair_of = {town: first + i for i, town in enumerate(q["owners"])}
        leading = [pair_of[t["township"]] for t in answer["leaders"] if t["township"] in pair_of]
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
            # ruled out before the model speaks: another authority's work (or nothing to weigh)
            pairs.ruled_out.append(bool(row["authorities"]) or not row["candidates"])
            pairs.no_words.append(not row["shares_words"])
            pairs.top_cosine.append(row["features"].get("township_cosine", 0.0))
            pairs.leaders.append(leading)
            pairs.nothing_close.append(bool(answer["nothing_close"]))
            pairs.list_types.append(types)
            pairs.pair_question.append(q["qid"])
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


def leader_view(pairs: Pairs, best_p: np.ndarray, floor: float) -> tuple[np.ndarray, np.ndarray]:
    """Per pair: the best probability among the leading townships of its question and how many of
    them answer clearly (search/owner.py _leaders; at corpus size every township is judged, so every
    leader is a judged pair)."""
    return (np.array([max((best_p[k] for k in leaders), default=0.0) for leaders in pairs.leaders]),
            np.array([sum(best_p[k] >= floor for k in leaders) for leaders in pairs.leaders], dtype=float))


def _logit(p):
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))


def township_scale(best_p, leader_p, clear, listed) -> tuple[float, float, float, float]:
    """Platt scaling: P(the township lists the task) from the logits of its best item's probability
    and of the leaders', and how many leaders answer clearly — (a, b, c, d) in
    owner.listed_probability's order."""
    from sklearn.linear_model import LogisticRegression
    X = np.column_stack([_logit(best_p), _logit(leader_p), clear])
    model = LogisticRegression(C=1e6, max_iter=5000).fit(X, listed)
    a, c, d = (float(w) for w in model.coef_[0])
    return a, float(model.intercept_[0]), c, d


def scaled(best_p, leader_p, clear, scale) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(scale[0] * _logit(best_p) + scale[2] * _logit(leader_p) + scale[3] * clear + scale[1])))


def scaled_cross_validated(best_p, leader_p, clear, listed, questions) -> np.ndarray:
    """P(listed) per pair with the township scaling fitted on the other folds' questions: the cuts
    are chosen on these, so that neither stage of the model is scored on pairs it was fitted to."""
    from sklearn.model_selection import GroupKFold
    out = np.zeros(len(listed))
    for train, test in GroupKFold(FOLDS).split(best_p, listed, np.array(questions)):
        scale = township_scale(best_p[train], leader_p[train], clear[train], listed[train])
        out[test] = scaled(best_p[test], leader_p[test], clear[test], scale)
    return out


@dataclass
class Verdicts:
    """What the cuts decide from, per (question, township) pair."""

    best_p: np.ndarray       # P(listed), cross-validated
    list_ok: np.ndarray      # the best item's list is acceptable
    listed: np.ndarray       # truth
    ruled: np.ndarray        # another authority's work: 清单之外 whatever the model says
    no_words: np.ndarray     # no item shares a word with the task
    top_cosine: np.ndarray   # the township's best cosine
    nothing_close: np.ndarray  # nothing close anywhere: never 有此事项
    # the leaders' P(listed), for the rule that rules out a township far from a task another clearly
    # holds (owner.held_by, session 24), and its two cuts (SearchConfig's, chosen by held_cuts.py);
    # lead_p None: off
    lead_p: np.ndarray | None = None
    held_cuts: tuple[float, float] = (2.0, 0.0)


def answers(v: Verdicts, no_match_cosine, out_cut, listed_cut) -> tuple[np.ndarray, np.ndarray]:
    """Per pair: answered 清单之外, answered 有此事项 (search/owner.py _answer)."""
    out = v.ruled | (v.no_words & ((v.top_cosine < no_match_cosine) | (v.best_p < out_cut))) | _held(v)
    return out, ~out & (v.best_p >= listed_cut) & ~v.no_words & ~v.nothing_close


def _held(v: Verdicts, ceiling: bool = False) -> np.ndarray:
    """Pairs the held-elsewhere rule rules out (with `ceiling`: could rule out, whatever their own P)."""
    if v.lead_p is None:
        return np.zeros(len(v.best_p), dtype=bool)
    lead_cut, own_cut = v.held_cuts
    held = v.lead_p >= lead_cut
    return held if ceiling else held & (v.best_p < own_cut)


def _held_cuts() -> tuple[float, float]:
    from search.config import SearchConfig
    config = SearchConfig.from_env()
    return config.owner_held_lead_p, config.owner_held_p


def sure_cut(v: Verdicts, no_match_cosine, out_cut, listed_cut) -> float:
    """The P(listed) at which an 有此事项 answer names an acceptable list one time in two (a
    logistic fit over the cross-validated 有此事项 answers): below it the answer asks the clerk to
    check its items (owner._note)."""
    from sklearn.linear_model import LogisticRegression
    _, yes = answers(v, no_match_cosine, out_cut, listed_cut)
    model = LogisticRegression(C=1e6, max_iter=5000).fit(_logit(v.best_p[yes]).reshape(-1, 1), v.list_ok[yes])
    z = -float(model.intercept_[0]) / float(model.coef_[0][0])
    return round(max(listed_cut, 1.0 / (1.0 + math.exp(-z))), 3)


def outcome(v: Verdicts, no_match_cosine, out_cut, listed_cut) -> dict:
    out, yes = answers(v, no_match_cosine, out_cut, listed_cut)
    listed = v.listed
    return {"accuracy": float(((yes & v.list_ok) | (out & ~listed)).mean()),
            "out_precision": float((~listed[out]).mean()) if out.any() else 1.0,
            "out_recall": float((out & ~listed).sum() / max((~listed).sum(), 1)),
            "listed_precision": float(listed[yes].mean()) if yes.any() else 1.0,
            "possible": float((~out & ~yes).mean())}


def ceiling(v: Verdicts) -> tuple[int, int, float]:
    """What the 清单之外 rules allow (staff_eval.py prints the same as served): not-listed pairs a
    township shares a word with (never 清单之外: always wrong), all not-listed pairs, and the status
    accuracy if every other pair were right."""
    allowed = v.ruled | v.no_words | v.nothing_close | _held(v, ceiling=True)
    return int((~v.listed & ~allowed).sum()), int((~v.listed).sum()), float((v.listed | allowed).mean())


def no_word_slice(v: Verdicts, cuts=(0.1, 0.2, 0.3)) -> list[tuple[float, int, float]]:
    """Among townships sharing no word with the task (not ruled out, something close somewhere):
    per probability cut, how many reach it and the share of those truly listed — why such a
    township is never 有此事项 (owner._answer): no cut reaches LISTED_PRECISION there."""
    pool = v.no_words & ~v.ruled & ~v.nothing_close
    return [(cut, int((pool & (v.best_p >= cut)).sum()),
             float(v.listed[pool & (v.best_p >= cut)].mean()) if (pool & (v.best_p >= cut)).any() else 0.0)
            for cut in cuts]


def model_outs(work: "Verdicts | None", no_match_cosine, out_cut) -> int:
    """How many township-work pairs the two model-side rules answer 清单之外 (owner._answer)."""
    if work is None:
        return 0
    return int((~work.ruled & work.no_words & ((work.top_cosine < no_match_cosine)
                                                | (work.best_p < out_cut))).sum())


def choose_cuts(v: Verdicts, work: "Verdicts | None" = None) -> tuple[float, float, float]:
    """(no_match_cosine, out_cut, listed_cut): the two 清单之外 cuts with the best recall at
    OUT_PRECISION (0 turns a rule off; ties go to the lower cuts), then the 有此事项 cut. `work`:
    township-work pairs (whose_work.py), each 清单之外 the model-side rules give there a wrong one."""
    best_out = (-1.0, 0.0, 0.0)
    for nm in [0.0, *np.arange(0.30, 0.80, 0.005)]:
        for cut in np.arange(0.0, 0.5, 0.0025):
            out, _ = answers(v, nm, cut, 1.0)
            right = int((out & ~v.listed).sum())
            said = int(out.sum()) + model_outs(work, nm, cut)
            precision = right / said if said else 1.0
            recall = right / max(int((~v.listed).sum()), 1)
            if precision >= OUT_PRECISION and recall > best_out[0] + 1e-12:
                best_out = (recall, round(float(nm), 4), round(float(cut), 4))
    _, nm, out_cut = best_out
    best = (-1.0, 0.5)
    for cut in np.arange(out_cut, 0.95, 0.0025):
        o = outcome(v, nm, out_cut, cut)
        if o["listed_precision"] >= LISTED_PRECISION and o["accuracy"] > best[0]:
            best = (o["accuracy"], round(float(cut), 4))
    return nm, out_cut, best[1]


def township_work_as_staff(engine) -> list[dict]:
    """The tune halves of whose_work.py's township-work questions and of like_examples.py's
    questions (every township lists an item of each kind) in the staff set's shape, every township
    taken as listing the task (labelled by question: township work)."""
    import like_examples
    from whose_work import load
    towns = [t.township for t in engine.ranges]
    questions = [q for _, q in load("township", "tune")] + [q for _, q in like_examples.load("tune")]
    return [{"qid": f"work-{i}", "query": q, "owners": {t: {"status": "listed", "items": {}} for t in towns}}
            for i, q in enumerate(questions)]


def work_verdicts(work: Pairs, weights, bias, scale, floor: float) -> Verdicts:
    """P(listed) and the rule inputs of the township-work pairs, from the fitted item model and
    township scaling (these questions train nothing)."""
    n = len(work.listed)
    p = probabilities(np.array(work.X), weights, bias) if work.X else np.zeros(0)
    best_p, _ = township_view(work, p)
    leader_p, clear = leader_view(work, best_p, floor)
    return Verdicts(scaled(best_p, leader_p, clear, scale), np.zeros(n, dtype=bool), np.ones(n, dtype=bool),
                    np.array(work.ruled_out, dtype=bool), np.array(work.no_words, dtype=bool),
                    np.array(work.top_cosine), np.array(work.nothing_close, dtype=bool),
                    scaled(leader_p, leader_p, clear, scale), _held_cuts())


def held_out_view(index_dir, folder: Path) -> Path:
    """An index root whose build is the served one, but whose synonyms lack the block written from
    the tune half's wrong answers: evidence for the tune questions as if their wording were unseen."""
    from search.config import index_root
    build = (index_root(index_dir) / "current").resolve()
    view = folder / "current"
    view.mkdir(parents=True)
    for part in build.iterdir():
        if part.name != "dict":
            (view / part.name).symlink_to(part)
    shutil.copytree(build / "dict", view / "dict")
    synonyms = view / "dict" / "synonyms.txt"
    lines = synonyms.read_text(encoding="utf-8").splitlines()
    begin = next(i for i, line in enumerate(lines) if line.startswith(TUNE_BLOCK_BEGIN))
    end = next(i for i, line in enumerate(lines) if line.startswith(TUNE_BLOCK_END))
    synonyms.write_text("\n".join(lines[:begin] + lines[end + 1:]) + "\n", encoding="utf-8")
    return folder


def on_held_out_view(collect, **overrides):
    """What `collect(engine)` returns on the held-out tune view, the served settings with `overrides`
    (the grids of authority_yield.py, elsewhere_cuts.py and held_cuts.py turn their rule off so)."""
    from search.config import SearchConfig
    from search.engine import Engine
    with tempfile.TemporaryDirectory(prefix="tds-view-") as tmp:
        engine = Engine.open(held_out_view(None, Path(tmp)), config=SearchConfig.from_env().with_(**overrides))
        try:
            return collect(engine)
        finally:
            engine.close()


def calibrate(index_dir=None, served_dictionary: bool = False) -> dict:
    """The fitted settings (SearchConfig field → value) and the cross-validated tune figures."""
    from sklearn.metrics import roc_auc_score

    from search.engine import Engine

    with tempfile.TemporaryDirectory(prefix="tds-calibrate-") as tmp:
        engine = Engine.open(index_dir if served_dictionary else held_out_view(index_dir, Path(tmp)))
        try:
            tune = collect(engine, load_staff("tune"))
            older = collect(engine, older_as_staff(engine))
            work = collect(engine, township_work_as_staff(engine))
        finally:
            engine.close()
    p_cv = cross_validated(tune, older)
    best_p, list_ok = township_view(tune, p_cv)
    from search.config import SearchConfig
    leader_p, clear = leader_view(tune, best_p, SearchConfig().owner_leader_floor)
    listed = np.array(tune.listed)
    scale = township_scale(best_p, leader_p, clear, listed)
    v = Verdicts(scaled_cross_validated(best_p, leader_p, clear, listed, tune.pair_question), list_ok, listed,
                 np.array(tune.ruled_out, dtype=bool), np.array(tune.no_words, dtype=bool), np.array(tune.top_cosine),
                 np.array(tune.nothing_close, dtype=bool), scaled(leader_p, leader_p, clear, scale), _held_cuts())
    weights, bias = fit(np.array(tune.X + older.X), np.array(tune.y + older.y))
    work_v = work_verdicts(work, weights, bias, scale, SearchConfig().owner_leader_floor)
    no_match, out_cut, listed_cut = choose_cuts(v, work_v)
    settings = {"owner_weights": tuple(round(float(w), 4) for w in weights), "owner_bias": round(bias, 4),
                "owner_township_scale": tuple(round(x, 4) for x in scale),
                "owner_no_match_cosine": no_match, "owner_out_cut": out_cut, "owner_listed_cut": listed_cut,
                "owner_sure_cut": sure_cut(v, no_match, out_cut, listed_cut)}
    _, yes = answers(v, no_match, out_cut, listed_cut)
    below = yes & (v.best_p < settings["owner_sure_cut"])
    sure = (int(below.sum()), float(v.list_ok[below].mean()) if below.any() else 0.0,
            int((yes & ~below).sum()), float(v.list_ok[yes & ~below].mean()) if (yes & ~below).any() else 0.0)
    return {"settings": settings, "figures": outcome(v, no_match, out_cut, listed_cut), "verdicts": v, "sure": sure,
            "work": (model_outs(work_v, no_match, out_cut), len(work_v.listed)),
            "item_features": np.array(tune.X + older.X), "no_word_slice": no_word_slice(v), "ceiling": ceiling(v),
            "items": (len(tune.y), sum(tune.y), len(older.y), sum(older.y)), "pairs": (len(listed), int(listed.sum())),
            "auc": (roc_auc_score(tune.y, p_cv), roc_auc_score(listed, v.best_p))}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index-dir", default=None)
    parser.add_argument("--served-dictionary", action="store_true",
                        help="fit on the served synonyms, tune-half block included (flatters the tune half)")
    args = parser.parse_args(argv)
    fitted = calibrate(args.index_dir, args.served_dictionary)
    o, s = fitted["figures"], fitted["settings"]
    print("synonyms:", "as served" if args.served_dictionary else "without the tune-half block")
    print("training items: {} tune ({} answering), {} older ({})".format(*fitted["items"]))
    print("cross-validated AUC, item answers: {:.3f}; township lists the task: {:.3f}".format(*fitted["auc"]))
    print(f"tune pairs {fitted['pairs'][0]} ({fitted['pairs'][1]} listed), cross-validated: status accuracy "
          f"{o['accuracy']:.3f}; 清单之外 precision {o['out_precision']:.3f}, recall {o['out_recall']:.3f}; "
          f"有此事项 precision {o['listed_precision']:.3f}; 可能相关 share {o['possible']:.3f}")
    print("ceiling of the 清单之外 rules: {} of {} not-listed pairs share a word with the township's items; "
          "status at most {:.3f}".format(*fitted["ceiling"]))
    print("no word in common, truly listed at P(listed) ≥ " + "; ".join(
        f"{cut}: {share:.2f} of {n}" for cut, n, share in fitted["no_word_slice"]) + f" (有此事项 needs {LISTED_PRECISION})")
    print("有此事项 below the sure cut (asks the clerk to check): {} answers, list right in {:.2f}; at or above: {}, "
          "{:.2f}".format(*fitted["sure"]))
    print("township work (whose_work.py and like_examples.py tune halves): the model-side rules say 清单之外 "
          "in {} of {} township answers at these cuts".format(*fitted["work"]))
    print("# paste into search/config.py:")
    print(f"    owner_weights: tuple = ({', '.join(f'{w:.4f}' for w in s['owner_weights'])})")
    print(f"    owner_bias: float = {s['owner_bias']:.4f}")
    print(f"    owner_township_scale: tuple = ({', '.join(f'{x:.4f}' for x in s['owner_township_scale'])})")
    for name in ("owner_no_match_cosine", "owner_out_cut", "owner_listed_cut", "owner_sure_cut"):
        print(f"    {name}: float = {s[name]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
