"""The cosine settings an embedding model needs, measured on the index at TDS_INDEX_DIR (built with
TDS_MODEL): what to re-measure before another model is served (tests/eval/HISTORY.md, session 20).

    TDS_MODEL=DIR TDS_INDEX_DIR=IDX python tests/eval/model_thresholds.py
    TDS_MODEL=DIR TDS_INDEX_DIR=IDX python tests/eval/model_thresholds.py --floors 0.4,0.45 --bands 0.3

Prints, reading tune halves only:
- semantic and hybrid nDCG@10 for each semantic floor and band (SearchConfig.semantic_floor,
  semantic_band), on the held-out tune view of the staff set and on the older set;
- the 5% quantile of each question's best name cosine (judged tune questions, the older set and
  whose_work's questions), where search's `no_match_cosine` sat for m3e-small (0.735), and the
  best cosine of a few nonsense queries.
compare_threshold and similar_floor come from pair_threshold.py, the margin from asked_probe.py
with TDS_QUESTION_MARGIN, the verdict from calibrate_owner.py.
"""
from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from calibrate_owner import held_out_view  # noqa: E402
from evaluate import engine_with, load_sets, memoize_query_vectors, ranking_figures  # noqa: E402
from staff_eval import ranking_summary  # noqa: E402
from staff_set import load_staff  # noqa: E402
from whose_work import FOLDER as WHOSE_WORK  # noqa: E402

NONSENSE = ("火星移民", "量子纠缠", "宇宙飞船发射", "哈利波特")


def whose_work_questions() -> list[str]:
    return [line.rstrip("\n").split("\t")[-1]
            for name in ("other_work.tsv", "township_work.tsv")
            for line in (WHOSE_WORK / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def floor_sweep(engine, floors, bands) -> None:
    tune, (older, _) = load_staff("tune"), load_sets()
    for floor, band in itertools.product(floors, bands):
        e = engine_with(engine, semantic_floor=floor, semantic_band=band)
        held_out = ranking_summary(e, tune)
        old = {m: ranking_figures(e, older, m)["ndcg@10"] for m in ("semantic", "hybrid")}
        print(f"floor {floor:.2f} band {band:.2f}: held-out tune semantic {held_out['semantic']['ndcg@10']:.3f} "
              f"hybrid {held_out['hybrid']['ndcg@10']:.3f}; older set semantic {old['semantic']:.3f} "
              f"hybrid {old['hybrid']:.3f}")


def best_cosines(engine) -> None:
    from search.engine import _best

    raw = engine_with(engine, semantic_floor=-1.0, semantic_band=5.0)
    questions = [q["query"] for q in load_staff("tune")] + [q["query"] for q in load_sets()[0]] + whose_work_questions()
    best = np.array([_best(raw._semantic(q, None, 10)) for q in questions])
    print(f"best name cosine of {len(best)} questions: 5% quantile {np.quantile(best, 0.05):.3f} "
          f"(search's no_match_cosine for m3e-small, 0.735, sat there)")
    print("nonsense: " + ", ".join(f"{q} {_best(raw._semantic(q, None, 10)):.3f}" for q in NONSENSE))


def main(argv=None) -> int:
    from search.engine import Engine

    parser = argparse.ArgumentParser()
    parser.add_argument("--floors", default="0.4,0.45,0.5,0.55,0.6,0.7")
    parser.add_argument("--bands", default="0.15,0.2,0.3")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tds-thresholds-") as tmp:
        engine = Engine.open(held_out_view(None, Path(tmp)))
        try:
            memoize_query_vectors(engine)
            floor_sweep(engine, [float(x) for x in args.floors.split(",")], [float(x) for x in args.bands.split(",")])
            best_cosines(engine)
        finally:
            engine.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
