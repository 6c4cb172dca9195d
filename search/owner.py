"""Who owns a task: per township, the item that covers it and its list, or 清单之外 (not listed)."""
from __future__ import annotations

import numpy as np

from search import ranking
from search.errors import BackendUnavailable, BadRequest
from search.vocabulary import AREA_FIELDS, STATUS_NOT_LISTED


def owner(engine, q: str, townships: list[str] | None = None, region: dict | None = None,
          page: int = 1, size: int | None = None) -> dict:
    """For a task, per township: the item that covers it and its list, or "not_listed".

    Townships: those named (else all), narrowed by `region` (exact province / prefecture /
    county), in index order; `total` counts them and rows are answered for one page of
    `size` (default SearchConfig.owner_page_size), so the cost of a request does not grow with
    the number of townships in the index.

    Per township, the keyword ranking and the semantic ranking restricted to that township are
    fused exactly as in hybrid search; the best fused item is the answer. Its owner score is the
    item's cosine to the query, raised by keyword evidence (see `_owner_score`). Below
    `owner_threshold` the answer is "not_listed" (清单之外: the task is on none of the township's
    lists). The threshold is calibrated with `ranking.calibrate_threshold` on labelled
    (query, township, listed?) pairs — tasks staff ask about, including tasks that are on no
    list — taking the cut with the highest accuracy (tests/eval reports it).
    """
    q = engine._check_query(q)
    if not q:
        raise BadRequest("q is required")
    chosen = engine._resolve_townships(townships) if townships else list(engine.ranges)
    chosen = [t for t in chosen if all(getattr(t, f) == v for f, v in _region(region).items())]
    page, size = engine._paging(page, size or engine.config.owner_page_size)
    total = len(chosen)
    chosen = chosen[(page - 1) * size: page * size]
    terms = engine.segmenter.query_terms(q)
    vector = engine.query_vector(q)
    groups = engine.segmenter.query_groups(q)
    degraded = False
    try:
        keyword_hits = engine.keyword.search(terms.all, {"township": sorted({t.township for t in chosen})}, None).hits
    except BackendUnavailable:  # answer from the embeddings alone
        keyword_hits, degraded = [], True
    by_town = _hits_by_township(engine, keyword_hits, engine.config.depth)
    threshold = engine.config.owner_threshold
    rows = []
    for town in chosen:
        kw = by_town.get(town.start, [])
        positions, scores = engine.vectors.search_range(vector, engine.config.depth, town.start, town.end)
        sem = [(int(p), float(s)) for p, s in zip(positions, scores)]
        cosine = dict(sem)
        fused = ranking.fuse(kw, sem, method=engine.config.fusion, k=engine.config.rrf_k,
                             weight_keyword=engine.config.weight_keyword, weight_semantic=engine.config.weight_semantic)
        scored = [(_owner_score(engine, f, cosine, groups), f) for f in fused[:5]]
        scored.sort(key=lambda x: -x[0])  # stable: fused order breaks ties
        row = town.region()
        if not scored:
            row.update(status=STATUS_NOT_LISTED, duty=None, score=0.0, alternatives=[])
            rows.append(row)
            continue
        best_score, best = scored[0]
        listed = best_score >= threshold
        alternatives = [{"duty": engine.records[f.pos], "score": round(s, 4)}
                        for s, f in scored[1:] if s >= threshold][:3]
        row.update(status=engine.records[best.pos]["list_type"] if listed else STATUS_NOT_LISTED,
                   duty=engine.records[best.pos] if listed else None, score=round(best_score, 4),
                   alternatives=alternatives)
        if not listed:
            row["nearest"] = engine.records[best.pos]
        rows.append(row)
    out = {"query": q, "threshold": threshold, "total": total, "page": page, "size": size, "results": rows}
    if degraded:
        out["degraded"] = True
    return out


def _region(region) -> dict[str, str]:
    out = {}
    for key, value in (region or {}).items():
        if key not in AREA_FIELDS:
            raise BadRequest(f"unknown region field {key!r}; one of province, prefecture, county")
        if not isinstance(value, str):
            raise BadRequest(f"{key} must be text")
        if value.strip():
            out[key] = value.strip()
    return out


def _hits_by_township(engine, hits: list[tuple[int, float]], depth: int) -> dict[int, list[tuple[int, float]]]:
    """Ranked hits split by township (keyed by its first position), the best `depth` of each."""
    out: dict[int, list[tuple[int, float]]] = {}
    if not hits:
        return out
    starts = engine._range_starts[np.searchsorted(engine._range_starts, [p for p, _ in hits], side="right") - 1]
    for start, hit in zip(starts.tolist(), hits):
        bucket = out.setdefault(start, [])
        if len(bucket) < depth:
            bucket.append(hit)
    return out


def _owner_score(engine, item: ranking.Fused, cosine: dict[int, float], groups) -> float:
    """cosine(query, item name) + owner_coverage_weight × coverage.

    Coverage is the share of the query's content words (weighted by length, single characters
    half) that the item's own text contains — as the word, a part of it, a synonym or a typo
    repair. Both parts are absolute (unlike BM25 or ranks), so one threshold serves every query.
    """
    score = float(cosine.get(item.pos, 0.0))
    weight = engine.config.owner_coverage_weight
    if weight and groups:
        tokens = _record_tokens(engine, item.pos)
        total = found = 0.0
        for word, alternatives in groups:
            w = _word_weight(engine, word, alternatives)
            total += w
            if alternatives & tokens:
                found += w
        score += weight * (found / total if total else 0.0)
    return score


def _word_weight(engine, word: str, alternatives: frozenset[str]) -> float:
    """How much a query word counts in the coverage share. "length": its length up to 3, a
    single character 0.5. "idf": its inverse document frequency (the most common of its
    alternatives counts), a single character half."""
    scheme = engine.config.owner_word_weight
    vocabulary = engine.segmenter.corrector.vocabulary if engine.segmenter.corrector else {}
    df = max((vocabulary.get(a, 0) for a in alternatives), default=0)
    if scheme == "length":
        weight = 0.5 if len(word) == 1 else min(len(word), 3)
        # words most items share (办理, 工作, 管理) say little about which task is meant
        if df > engine.config.owner_common_share * len(engine.records):
            weight *= engine.config.owner_common_factor
        return weight
    weight = float(np.log((len(engine.records) + 1) / (df + 1)))
    return weight * (0.5 if len(word) == 1 else 1.0)


def _record_tokens(engine, pos: int) -> frozenset[str]:
    return frozenset(engine.indexed_tokens(pos))
