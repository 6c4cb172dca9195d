"""Which weight should synonym expansions carry against the words typed? (SearchConfig.expansion_weight;
typo repairs always count as typed)

    python tests/eval/expansion_weights.py 1.0 0.7 0.5 0.3

For each weight W (set as TDS_EXPANSION_WEIGHT, so the served code path scores it: each
expansion's BM25 score times W in both keyword backends) prints, on the held-out tune view
(calibrate_owner.held_out_view), hybrid/keyword/semantic nDCG@10 and the refitted owner verdict's
cross-validated figures. Tune half only: the weight is chosen here, never on the test half.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[2])]

import calibrate_owner  # noqa: E402
import staff_eval  # noqa: E402


def main(weights: list[float]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        view = calibrate_owner.held_out_view(None, Path(tmp) / "view")
        for weight in weights:
            os.environ["TDS_EXPANSION_WEIGHT"] = str(weight)
            print(f"== expansions at {weight} × a typed word", flush=True)
            staff_eval.run(["--half", "tune", "--index-dir", str(view)])
            calibrate_owner.main([])  # builds its own held-out view of the served index
    return 0


if __name__ == "__main__":
    raise SystemExit(main([float(w) for w in sys.argv[1:]] or [1.0, 0.7, 0.5, 0.3]))
