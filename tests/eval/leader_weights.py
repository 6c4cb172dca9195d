"""Which answer item should a township give when another township answers clearly?
(SearchConfig.owner_leader_floor, owner_leader_weight; search/owner.py _agreeing)

    python tests/eval/leader_weights.py                  # floors 0.5 0.7, weights 0 1 2 4 8 16 32
    python tests/eval/leader_weights.py --floors 0.5 --weights 0 8

On the held-out tune view (calibrate_owner.held_out_view) and with the item model's cross-validated
probabilities (calibrate_owner.cross_validated), for every listed (tune question, township) pair:
pick the candidate with the highest logit(p) + weight × cosine to the answer item of the most
probable other leading township (when that item's probability reaches the floor), and print the
share of pairs whose pick is judged ≥ 2. Tune half only.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[2])]

import calibrate_owner as calibrate  # noqa: E402
from staff_set import load_staff  # noqa: E402


def candidates(engine, questions) -> tuple[list[list[int]], list[dict[int, int]]]:
    """Per (question, township) pair, in calibrate.collect's order: its candidates' positions and
    each one's judged grade."""
    positions, grades = [], []
    for q in questions:
        towns = list(q["owners"])
        rows = {r["township"]: r for r in engine.owner(q["query"], townships=towns, size=len(towns),
                                                       explain=True)["results"]}
        for town, judgment in q["owners"].items():
            pos = [c["pos"] for c in rows[town]["candidates"]]
            positions.append(pos)
            grades.append({p: judgment.get("items", {}).get(engine.records[p]["id"], 0) for p in pos})
    return positions, grades


def item_accuracy(tune, cand_p, positions, grades, vectors, best_p, floor: float, weight: float) -> tuple[float, int]:
    """Share of listed pairs whose chosen candidate is judged ≥ 2, and how many picks moved."""
    right = total = moved = 0
    for k, listed in enumerate(tune.listed):
        if not listed or not len(cand_p[k]):
            continue
        score = calibrate._logit(cand_p[k])
        others = [j for j in tune.leaders[k] if j != k and len(cand_p[j])]
        lead = max(others, key=lambda j: best_p[j], default=None)
        if lead is not None and best_p[lead] >= floor and weight:
            target = vectors[positions[lead][int(np.argmax(cand_p[lead]))]]
            score = score + weight * np.array([float(vectors[p] @ target) for p in positions[k]])
        pick = positions[k][int(np.argmax(score))]
        moved += pick != positions[k][int(np.argmax(cand_p[k]))]
        right += grades[k][pick] >= 2
        total += 1
    return right / max(total, 1), moved


def main(argv=None) -> int:
    from search.engine import Engine

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--floors", type=float, nargs="+", default=[0.5, 0.7])
    parser.add_argument("--weights", type=float, nargs="+", default=[0, 1, 2, 4, 8, 16, 32])
    args = parser.parse_args(argv)
    questions = load_staff("tune")
    with tempfile.TemporaryDirectory(prefix="tds-leaders-") as tmp:
        engine = Engine.open(calibrate.held_out_view(None, Path(tmp)))
        try:
            tune = calibrate.collect(engine, questions)
            older = calibrate.collect(engine, calibrate.older_as_staff(engine))
            positions, grades = candidates(engine, questions)
            every = sorted({p for pos in positions for p in pos})
            vectors = dict(zip(every, engine.vectors.vectors_at(np.array(every, dtype=np.int64))))
        finally:
            engine.close()
    p_cv = calibrate.cross_validated(tune, older)
    best_p, _ = calibrate.township_view(tune, p_cv)
    owner_of = np.array(tune.pair)
    cand_p = [p_cv[np.flatnonzero(owner_of == k)] for k in range(len(tune.listed))]
    for floor in args.floors:
        for weight in args.weights:
            share, moved = item_accuracy(tune, cand_p, positions, grades, vectors, best_p, floor, weight)
            print(f"floor {floor} weight {weight:g}: item right when listed {share:.3f} ({moved} picks moved)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
