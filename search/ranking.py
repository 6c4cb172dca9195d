"""Joining the keyword and semantic rankings, marking matched terms, calibrating the owner threshold.

Pure functions over (position, score) lists; no I/O. The evaluation script tunes the knobs here
through SearchConfig (weights, rrf_k, depth, fusion) without touching the engine.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np


@dataclass
class Fused:
    pos: int
    score: float
    keyword_rank: int | None = None      # 1-based rank in the keyword list, None if absent
    keyword_score: float | None = None
    semantic_rank: int | None = None
    semantic_score: float | None = None  # cosine

    def explain(self) -> dict:
        return {"keyword_rank": self.keyword_rank,
                "keyword_score": None if self.keyword_score is None else round(self.keyword_score, 4),
                "semantic_rank": self.semantic_rank,
                "semantic_score": None if self.semantic_score is None else round(self.semantic_score, 4)}


class Ranking(Sequence[Fused]):
    """A fused ranking held as arrays, best first; a `Fused` is made only for the items read (a
    page), not for every candidate of both sides."""

    def __init__(self, positions: np.ndarray, scores: np.ndarray, keyword_ranks: np.ndarray,
                 keyword_scores: np.ndarray, semantic_ranks: np.ndarray, semantic_scores: np.ndarray):
        self.positions = positions
        self._columns = (scores, keyword_ranks, keyword_scores, semantic_ranks, semantic_scores)

    @classmethod
    def of_one_side(cls, hits: Sequence[tuple[int, float]], side: str) -> "Ranking":
        """One side's best-first hits as they are, scored by that side ("keyword" or "semantic")."""
        positions, scores = _columns(hits)
        ranks, none = np.arange(1, len(positions) + 1), np.zeros(len(positions), dtype=np.int64)
        if side == "keyword":
            return cls(positions, scores, ranks, scores, none, scores)
        return cls(positions, scores, none, scores, ranks, scores)

    def __len__(self) -> int:
        return len(self.positions)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._item(i) for i in range(*index.indices(len(self)))]
        return self._item(range(len(self))[index])

    def _item(self, i: int) -> Fused:
        score, kw_rank, kw_score, sem_rank, sem_score = (c[i] for c in self._columns)
        return Fused(int(self.positions[i]), float(score),
                     keyword_rank=int(kw_rank) if kw_rank else None,
                     keyword_score=float(kw_score) if kw_rank else None,
                     semantic_rank=int(sem_rank) if sem_rank else None,
                     semantic_score=float(sem_score) if sem_rank else None)


def fuse(keyword: Sequence[tuple[int, float]], semantic: Sequence[tuple[int, float]], *,
         method: str = "rrf", k: float = 60.0, weight_keyword: float = 1.0, weight_semantic: float = 1.0
         ) -> Ranking:
    """One ranking from two best-first lists of (position, score).

    rrf:   score = w_kw / (k + rank_kw) + w_sem / (k + rank_sem)   (a missing side adds nothing)
    blend: score = w_kw · bm25/max(bm25) + w_sem · (cos − min cos)/(max cos − min cos), each list
           normalized over its own candidates — uses score gaps that ranks throw away.
    Ties break on the semantic rank, then the keyword rank, then position (stable output).
    """
    if method not in ("rrf", "blend"):
        raise ValueError(f"unknown fusion method {method!r} (rrf or blend)")
    kw_pos, kw_score = _columns(keyword)
    sem_pos, sem_score = _columns(semantic)
    positions, where = np.unique(np.concatenate([kw_pos, sem_pos]), return_inverse=True)
    kw_at, sem_at = where[:len(kw_pos)], where[len(kw_pos):]
    kw_rank, sem_rank = np.zeros(len(positions), np.int64), np.zeros(len(positions), np.int64)  # 0: absent
    kw_rank[kw_at], sem_rank[sem_at] = np.arange(1, len(kw_pos) + 1), np.arange(1, len(sem_pos) + 1)
    kw_scores, sem_scores = np.zeros(len(positions)), np.zeros(len(positions))
    kw_scores[kw_at], sem_scores[sem_at] = kw_score, sem_score
    scores = np.zeros(len(positions))
    if method == "rrf":
        scores[kw_at] += weight_keyword / (k + kw_rank[kw_at])
        scores[sem_at] += weight_semantic / (k + sem_rank[sem_at])
    else:
        top_kw = float(kw_score.max()) if len(kw_score) else 0.0
        top_kw = top_kw or 1.0
        low, high = (float(sem_score.min()), float(sem_score.max())) if len(sem_score) else (0.0, 1.0)
        spread = (high - low) or 1.0
        scores[kw_at] += weight_keyword * np.maximum(kw_score, 0.0) / top_kw
        scores[sem_at] += weight_semantic * (sem_score - low) / spread
    big = 1 << 30
    order = np.lexsort((positions, np.where(kw_rank > 0, kw_rank, big), np.where(sem_rank > 0, sem_rank, big), -scores))
    return Ranking(positions[order], scores[order], kw_rank[order], kw_scores[order], sem_rank[order],
                   sem_scores[order])


def _columns(hits: Sequence[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
    """(positions, scores) of a best-first list of hits, as arrays."""
    if not len(hits):
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    positions, scores = zip(*hits)
    return np.array(positions, dtype=np.int64), np.array(scores, dtype=np.float64)


# ----- highlighting

_ENTITY = r"&(?:[a-zA-Z]+|#[0-9]+|#x[0-9a-fA-F]+);"


class Highlighter:
    """Marks terms in original text: HTML-escape first, then wrap matches in <mark>…</mark>.

    Matching runs on the escaped text with escaped terms, and never inside an entity such as
    `&amp;`, so nothing from the source text can become markup.
    """

    def __init__(self, terms: Iterable[str]):
        escaped = sorted({html.escape(t, quote=True) for t in terms if t}, key=lambda t: (-len(t), t))
        self.pattern = re.compile(f"({_ENTITY})|(" + "|".join(map(re.escape, escaped)) + ")",
                                  re.IGNORECASE) if escaped else None

    def __call__(self, text: str) -> str:
        escaped = html.escape(text or "", quote=True)
        if self.pattern is None:
            return escaped
        return self.pattern.sub(lambda m: m.group(1) or f"<mark>{m.group(2)}</mark>", escaped)
