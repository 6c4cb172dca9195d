"""Measure the cosine at which two townships' items are "the same duty", on judged pairs.

    python tests/eval/pair_threshold.py

Pairs come from the TUNE half of the staff set: two items of different townships graded 3 for
the same question are the same duty (positives); an item graded 3 and an item of another
township graded 1 for the same question — related, not the same — are hard negatives, the kind
of pair a comparison must not join (公益性岗位 ↔ 公益性墓地). Prints precision / recall of
"cosine ≥ t" for a range of t, and the smallest t with precision ≥ 0.9 — the setting for
SearchConfig.compare_threshold (and the floor under 其他乡镇的同类事项, similar_floor).
"""
from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from staff_set import load_staff  # noqa: E402

PRECISION = 0.9


def judged_pairs(engine):
    positives, negatives = set(), set()
    for q in load_staff("tune"):
        graded = [(i, engine.get(i)["township"], g) for j in q["owners"].values() for i, g in j["items"].items()]
        for (a, ta, ga), (b, tb, gb) in itertools.combinations(graded, 2):
            if ta == tb:
                continue
            pair = tuple(sorted((a, b)))
            if ga == gb == 3:
                positives.add(pair)
            elif {ga, gb} == {3, 1}:
                negatives.add(pair)
    return sorted(positives), sorted(negatives - positives)


def main() -> int:
    from search.engine import Engine

    engine = Engine.open()
    positives, negatives = judged_pairs(engine)

    def cosine(a, b):
        return float(engine.vectors.vector(engine.position(a)) @ engine.vectors.vector(engine.position(b)))

    pos = np.array([cosine(a, b) for a, b in positives])
    neg = np.array([cosine(a, b) for a, b in negatives])
    print(f"tune half: {len(pos)} same-duty pairs, {len(neg)} different-duty pairs")
    chosen = None
    for t in np.arange(0.50, 0.96, 0.01):
        tp, fp = int((pos >= t).sum()), int((neg >= t).sum())
        precision = tp / (tp + fp) if tp + fp else float("nan")
        print(f"  cosine ≥ {t:.2f}: precision {precision:.3f}, recall {tp / len(pos):.3f}")
        if chosen is None and tp + fp and precision >= PRECISION:
            chosen = round(float(t), 2)
    print(f"smallest threshold with precision ≥ {PRECISION}: {chosen}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
