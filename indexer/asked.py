"""Which staff questions (data/dict/asked.tsv) each record's `asked` field holds.

The questions are written per item name, and the corpus's names are covered. A county whose
documents name the same task in other words (残疾人证办理 where another county writes 残疾人证管理)
would otherwise get none: a record whose name has no questions takes those of the closest named
record, where the two names embed within CARRY_COSINE of each other — mostly the same task worded
twice, sometimes a neighbour (传染病防控 ← 动物疫病防控 at 0.84 falls just short).
"""
from __future__ import annotations

import numpy as np

from models.fields import name_key

# Chosen by taking a county's own names out of asked.tsv and carrying the others' questions to it
# (held-out tune view, cross-validated status / hybrid nDCG@10; tests/eval/asked_probe.py
# --drop-county C --carry X). 磴口县 (5 of the 9 townships, 330 names): none 0.540 / 0.739,
# 0.9 → 0.534 / 0.747, 0.875 → 0.540 / 0.745, 0.85 → 0.556 / 0.747, 0.8 → 0.550 / 0.750 (with its
# own questions 0.590 / 0.805, without the field anywhere 0.554 / 0.729: a county left without
# questions loses to those that have them). 左云县 (227 names): none 0.582 / 0.783, 0.9 → 0.588 /
# 0.783, 0.85 → 0.590 / 0.789.
CARRY_COSINE = 0.85


def record_questions(duties, vectors: np.ndarray, asked: dict[str, tuple[str, ...]],
                     min_cosine: float | None = None) -> tuple[list[tuple[str, ...]], int]:
    """Per record (in order): its name's questions, else the closest named record's when its name
    embeds within `min_cosine` (CARRY_COSINE unless given), else none; and how many records took
    another name's questions."""
    min_cosine = CARRY_COSINE if min_cosine is None else min_cosine
    keys = [name_key(d.name) for d in duties]
    own = [asked.get(k, ()) for k in keys]
    named = sorted({k: i for i, k in enumerate(keys) if own[i]}.values())
    missing = [i for i, q in enumerate(own) if not q]
    if not named or not missing:
        return own, 0
    carried = 0
    vectors_named = vectors[named]
    for start in range(0, len(missing), 4096):  # bounded memory for a large build
        chunk = missing[start:start + 4096]
        scores = vectors[chunk] @ vectors_named.T
        best = scores.argmax(axis=1)
        for i, j, s in zip(chunk, best, scores[np.arange(len(chunk)), best]):
            if s >= min_cosine:
                own[i] = own[named[j]]
                carried += 1
    return own, carried
