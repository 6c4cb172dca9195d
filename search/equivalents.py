"""Equivalent items elsewhere: a record's counterparts in other townships, and two townships' lists aligned."""
from __future__ import annotations

from collections import Counter

import numpy as np

from search import ranking
from search.errors import BadRequest, NotFound
from search.vocabulary import K_MAX, REGION_FIELDS


def similar(engine, duty_id: str, k: int = 10, other_townships: bool = True) -> list[dict]:
    """Equivalent records: other townships only unless told otherwise.

    Ranked like hybrid search with the record itself as the query: its name embedding against
    every name (semantic), and its most distinctive tokens — name, duties, departments — as
    a keyword query ("more like this"), fused by `blend`. Only semantic neighbours are
    returned; the keyword side reorders them. `score` is the fused score, `similarity` the
    cosine of the two names."""
    pos = engine.position(duty_id)
    if pos is None:
        raise NotFound(f"未找到事项：{duty_id}")
    try:
        k = int(k)
    except (TypeError, ValueError):
        raise BadRequest("k must be an integer") from None
    if not 1 <= k <= K_MAX:
        raise BadRequest(f"k must be between 1 and {K_MAX}", "k", "out_of_range")
    own = engine.records[pos]
    allowed = np.ones(len(engine.records), dtype=bool)
    allowed[pos] = False
    if other_townships:
        town = engine.township_range(_region(own))
        allowed[town.start:town.end] = False
    depth = max(engine.config.depth, k)
    positions, scores = engine.vectors.search(engine.vectors.vector(pos), depth, allowed)
    floor = engine.config.similar_floor
    sem = [(int(p), float(s)) for p, s in zip(positions, scores) if s >= floor]
    cosine = dict(sem)
    if engine.config.similar_weight_keyword > 0:
        # "More like this": the record's most distinctive tokens (tf·idf) as a keyword query.
        terms = _distinctive_terms(engine, pos, engine.config.similar_terms)
        found = engine.keyword.search(terms, {}, depth + int((~allowed).sum())).hits
        kw = [(p, sc) for p, sc in found if allowed[p]][:depth]
        ranked = ranking.fuse(kw, sem, method="blend", weight_keyword=engine.config.similar_weight_keyword,
                              weight_semantic=1.0)
        ranked = [f for f in ranked if f.pos in cosine]
    else:
        ranked = [ranking.Fused(p, s, semantic_rank=r, semantic_score=s) for r, (p, s) in enumerate(sem, 1)]
    ranked = ranked[:k]
    return [{"duty": record, "score": round(float(f.score), 4), "similarity": round(cosine[f.pos], 4)}
            for f, record in zip(ranked, engine.records.many(f.pos for f in ranked))]


def _distinctive_terms(engine, pos: int, n: int) -> list[str]:
    vocabulary = engine.segmenter.corrector.vocabulary if engine.segmenter.corrector else {}
    counts = Counter(t for t in engine.indexed_tokens(pos) if len(t) >= 2)
    total = len(engine.records) + 1
    weight = {t: c * float(np.log(total / (vocabulary.get(t, 0) + 1))) for t, c in counts.items()}
    return sorted(weight, key=lambda t: (-weight[t], t))[:n]


def compare(engine, a_township: str, b_township: str, threshold: float | None = None) -> dict:
    """Aligned items of two townships: mutual best matches (by cosine) at or above `threshold`,
    and the items of each side left without a partner."""
    a, b = engine.one_township(a_township), engine.one_township(b_township)
    if a == b:
        raise BadRequest(f"请选择两个不同的乡镇（两边都是 {a.township}）", "b", "same_township")
    if threshold is None:
        threshold = engine.config.compare_threshold
    try:
        threshold = float(threshold)
    except (TypeError, ValueError):
        raise BadRequest("threshold must be a number") from None
    va, vb = engine.vectors.vectors(a.start, a.end), engine.vectors.vectors(b.start, b.end)
    sims = va @ vb.T if len(va) and len(vb) else np.zeros((len(va), len(vb)), dtype=np.float32)
    records_a, records_b = engine.records[a.start:a.end], engine.records[b.start:b.end]
    pairs, paired_a, paired_b = [], set(), set()
    if sims.size:
        best_b = sims.argmax(axis=1)
        best_a = sims.argmax(axis=0)
        for i, j in enumerate(best_b):
            if best_a[j] == i and sims[i, j] >= threshold and (a.start + i) != (b.start + j):
                pairs.append({"a": records_a[i], "b": records_b[j],
                              "score": round(float(sims[i, j]), 4)})
                paired_a.add(i)
                paired_b.add(int(j))
    return {"a": a.region() | {"total": a.end - a.start}, "b": b.region() | {"total": b.end - b.start},
            "threshold": threshold, "pairs": pairs,
            "only_a": [r for i, r in enumerate(records_a) if i not in paired_a],
            "only_b": [r for j, r in enumerate(records_b) if j not in paired_b]}


def _region(record: dict) -> tuple:
    return tuple(record[f] for f in REGION_FIELDS)
