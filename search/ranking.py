"""Joining the keyword and semantic rankings, marking matched terms, calibrating the owner threshold.

Pure functions over (position, score) lists; no I/O. The evaluation script tunes the knobs here
through SearchConfig (weights, rrf_k, depth, fusion) without touching the engine.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Iterable, Sequence


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


def fuse(keyword: Sequence[tuple[int, float]], semantic: Sequence[tuple[int, float]], *,
         method: str = "rrf", k: float = 60.0, weight_keyword: float = 1.0, weight_semantic: float = 1.0
         ) -> list[Fused]:
    """One ranking from two best-first lists of (position, score).

    rrf:   score = w_kw / (k + rank_kw) + w_sem / (k + rank_sem)   (a missing side adds nothing)
    blend: score = w_kw · bm25/max(bm25) + w_sem · (cos − min cos)/(max cos − min cos), each list
           normalized over its own candidates — uses score gaps that ranks throw away.
    Ties break on the semantic rank, then the keyword rank, then position (stable output).
    """
    items: dict[int, Fused] = {}
    for rank, (pos, score) in enumerate(keyword, 1):
        items[pos] = Fused(pos, 0.0, keyword_rank=rank, keyword_score=score)
    for rank, (pos, score) in enumerate(semantic, 1):
        item = items.setdefault(pos, Fused(pos, 0.0))
        item.semantic_rank, item.semantic_score = rank, score
    if method == "rrf":
        for item in items.values():
            if item.keyword_rank is not None:
                item.score += weight_keyword / (k + item.keyword_rank)
            if item.semantic_rank is not None:
                item.score += weight_semantic / (k + item.semantic_rank)
    elif method == "blend":
        top_kw = max((s for _, s in keyword), default=0.0) or 1.0
        cosines = [s for _, s in semantic]
        low, high = (min(cosines), max(cosines)) if cosines else (0.0, 1.0)
        spread = (high - low) or 1.0
        for item in items.values():
            if item.keyword_score is not None:
                item.score += weight_keyword * max(item.keyword_score, 0.0) / top_kw
            if item.semantic_score is not None:
                item.score += weight_semantic * (item.semantic_score - low) / spread
    else:
        raise ValueError(f"unknown fusion method {method!r} (rrf or blend)")
    big = 1 << 30
    return sorted(items.values(), key=lambda f: (-f.score, f.semantic_rank or big, f.keyword_rank or big, f.pos))


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

    def matches(self, text: str) -> bool:
        return bool(self.pattern and any(m.group(2) for m in self.pattern.finditer(html.escape(text or ""))))
