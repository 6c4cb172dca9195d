"""The staff question set (tests/eval/staff/*.jsonl) and its one fixed split into tune and test halves.

Each question's half comes from a keyed hash of its qid (`SEED` below, fixed once): the same
question always falls in the same half, and questions added later do not move the others.
Tune on the tune half; report the test half; never change a dictionary, weight or threshold
because a test-half question failed (tests/eval/README.md).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

STAFF_DIR = Path(__file__).resolve().parent / "staff"
# The second staff set (session 22): 88 questions written and judged the same way by three more
# writers, split by the same keyed hash of their qids (d…, e…, f…); kept apart so that the first
# set's figures stay comparable across sessions (tests/eval/README.md). The third (session 26, g…, h…,
# i…) was written the same way once every rule of the verdict had been chosen.
SETS = {"staff": STAFF_DIR, "staff2": STAFF_DIR.parent / "staff2", "staff3": STAFF_DIR.parent / "staff3"}
SEED = "township-duty-search/staff-split/2026-11-24"
HALVES = ("tune", "test")


def half_of(qid: str) -> str:
    digest = hashlib.sha256(f"{SEED}:{qid}".encode()).digest()
    return HALVES[digest[0] & 1]


def load_staff(half: str | None = None, folder: Path = STAFF_DIR) -> list[dict]:
    """Every question (with "half" set), or those of one half, in file and line order."""
    questions = []
    for path in sorted(folder.glob("*.jsonl")):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    q = json.loads(line)
                    q["half"] = half_of(q["qid"])
                    questions.append(q)
    return [q for q in questions if half is None or q["half"] == half]


def acceptable_lists(judgment: dict, list_type_of: dict[str, str]) -> set[str]:
    """The lists a right answer may name for a listed township: those of its grade-3 items, else grade 2."""
    items = judgment.get("items", {})
    for grade in (3, 2):
        lists = {list_type_of[i] for i, g in items.items() if g == grade and i in list_type_of}
        if lists:
            return lists
    return set()


def relevant_records(question: dict) -> dict[str, int]:
    """Graded relevance over every township judged (for ranking metrics)."""
    out: dict[str, int] = {}
    for judgment in question["owners"].values():
        for i, g in judgment.get("items", {}).items():
            out[i] = max(out.get(i, 0), int(g))
    return out
