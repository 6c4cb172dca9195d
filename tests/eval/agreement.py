"""How far the owner status truth can be trusted: the staff set's status against a second judge.

    python tests/eval/agreement.py

`second_judge.jsonl` holds 120 (question, township) pairs of the TUNE half (40 questions judged for
several townships, 3 townships each, drawn with random.Random(20261205)), judged a second time
by a helper that saw only the question, the township and the parsed corpus (`judge_helper.py`
grep and show), never the first judgments, the engine or its index. Same rule as the first
judge: `listed` when an item of that township covers the task (any list), else `not_listed`.

Prints the agreement and Cohen's kappa, and what a system that always answered as the second
judge would score against the first on the issue's figures (status accuracy, 清单之外 precision
and recall): the ceiling the first judge's truth allows, however good the engine.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from staff_set import load_staff  # noqa: E402


def load_second(path: Path = HERE / "second_judge.jsonl") -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def figures(second: list[dict]) -> dict:
    first = {q["qid"]: q for q in load_staff("tune")}
    a = [first[p["qid"]]["owners"][p["township"]]["status"] == "listed" for p in second]
    b = [p["status"] == "listed" for p in second]
    n = len(second)
    agree = sum(x == y for x, y in zip(a, b)) / n
    pa, pb = sum(a) / n, sum(b) / n
    chance = pa * pb + (1 - pa) * (1 - pb)
    said_out = [x for x, y in zip(a, b) if not y]
    truly_out = [y for x, y in zip(a, b) if not x]
    return {"pairs": n, "agreement": agree, "kappa": (agree - chance) / (1 - chance),
            "first_listed_share": pa, "second_listed_share": pb,
            "not_listed_precision": sum(not x for x in said_out) / max(len(said_out), 1),
            "not_listed_recall": sum(not y for y in truly_out) / max(len(truly_out), 1)}


def main() -> int:
    f = figures(load_second())
    print(f"{f['pairs']} tune-half pairs judged twice: status agreement {f['agreement']:.3f}, "
          f"Cohen's kappa {f['kappa']:.3f} (listed: first {f['first_listed_share']:.2f}, "
          f"second {f['second_listed_share']:.2f})")
    print(f"the second judge scored against the first: status accuracy {f['agreement']:.3f}, "
          f"清单之外 precision {f['not_listed_precision']:.3f}, recall {f['not_listed_recall']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
