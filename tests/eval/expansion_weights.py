"""Would synonym expansions weighted below the typed words rank better? (README, session 11)

    python tests/eval/expansion_weights.py 1.0 0.7 0.5 0.3

For each weight W, BM25 scores expansions at W × a typed word (the typed words and the expansions
are scored apart and summed: BM25 is a sum over terms) and prints, on the held-out tune view
(calibrate_owner.held_out_view), hybrid/keyword/semantic nDCG@10 and the refitted owner verdict's
cross-validated figures. Tune half only; the engine is patched in this process, nothing is kept.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[2])]

import calibrate_owner  # noqa: E402
import staff_eval  # noqa: E402
from models import segment  # noqa: E402
from search.keyword import bm25  # noqa: E402

EXPANSIONS: dict[tuple, set] = {}   # a query's keyword terms → which of them are expansions
_query_terms, _search = segment.Segmenter.query_terms, bm25.Bm25Index.search


def _remember(self, query):
    terms = _query_terms(self, query)
    EXPANSIONS[tuple(terms.keyword)] = set(terms.expansions)
    return terms


def _weighted(weight):
    def search(self, terms, mask, limit):
        expansions = EXPANSIONS.get(tuple(terms))
        if not expansions or weight == 1.0:
            return _search(self, terms, mask, limit)
        typed = _search(self, [t for t in terms if t not in expansions], mask, None)
        added = _search(self, [t for t in terms if t in expansions], mask, None)
        score = dict(typed.hits)
        for p, s in added.hits:
            score[p] = score.get(p, 0.0) + weight * s
        positions = np.fromiter(score, dtype=np.int64, count=len(score))
        values = np.fromiter(score.values(), dtype=np.float64, count=len(score))
        return bm25.KeywordMatches(bm25.top(positions, values, limit), np.union1d(typed.matched, added.matched))
    return search


def main(weights: list[float]) -> int:
    segment.Segmenter.query_terms = _remember
    with tempfile.TemporaryDirectory() as tmp:
        view = calibrate_owner.held_out_view(None, Path(tmp) / "view")
        for weight in weights:
            bm25.Bm25Index.search = _weighted(weight)
            print(f"== expansions at {weight} × a typed word")
            staff_eval.run(["--half", "tune", "--index-dir", str(view)])
            calibrate_owner.main([])
    return 0


if __name__ == "__main__":
    raise SystemExit(main([float(w) for w in sys.argv[1:]] or [1.0, 0.7, 0.5, 0.3]))
