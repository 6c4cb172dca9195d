"""Who owns a task, per township: 有此事项 (which list, which items), 可能相关, or 清单之外.

For each township the task is ranked against the township's own items with everything search
has: the keyword ranking (with synonym and typo expansions) and the semantic ranking restricted
to the township, fused as in hybrid search. The verdict comes from how strong that evidence is,
not from one cosine against one threshold. A handful of features of the township's best
candidates (`township_features`) go through a logistic model fitted on the tune half of the
staff question set (tests/eval/calibrate_owner.py), which gives the probability that the
township lists the task. Three answers:

- 清单之外 — only when confident, for one of two reasons. The task names another authority's
  work (诉讼, 护照, 发票: data/dict/authorities.txt) and no item of the township mentions it —
  the row then says whose work it is; or no item of the township shares a single word with the
  task (nor with its synonym or typo expansions) and no item name comes semantically close (best
  cosine below `no_match_cosine`). A false 清单之外 tells a clerk a listed task may be
  refused, so both are chosen for the precision of this answer on judged data;
- 有此事项 — the probability is at least `owner_listed_cut`: the relevant items, with their
  lists, lead or receiving departments and what the township does (a task can have a basic part
  and a cooperative or recovered part: all are shown);
- 可能相关 — otherwise: the candidates are shown and no verdict is given.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from search import ranking
from search.errors import BackendUnavailable, BadRequest
from search.vocabulary import AREA_FIELDS, STATUS_NOT_LISTED

LISTED, POSSIBLE, NOT_LISTED = "listed", "possible", STATUS_NOT_LISTED
VERDICT_LABELS = {LISTED: "有此事项", POSSIBLE: "可能相关", NOT_LISTED: "清单之外"}
FEATURES = ("cosine", "coverage", "keyword", "keyword_share", "cosine_gap", "standout")
CANDIDATES = 5  # fused candidates per township that are scored and may be shown
MENTION_DEPTH = 20  # a township's best keyword hits for another authority's term that are read


@dataclass
class Evidence:
    """What the query found in one township: the fused candidates and their cosines."""

    fused: list[ranking.Fused]
    cosines: np.ndarray     # every item's cosine to the query (for how far the best stands out)
    keyword_best: float


def owner(engine, q: str, townships: list[str] | None = None, region: dict | None = None,
          page: int = 1, size: int | None = None, explain: bool = False) -> dict:
    """Per township (those named, else all, narrowed by `region`; one page of them): the verdict,
    its probability and the items. `explain` adds each township's features."""
    q = engine.check_query(q)
    if not q:
        raise BadRequest("q is required", "q", "missing_parameter")
    chosen = engine.resolve_townships(townships) if townships else list(engine.ranges)
    area = _region(region)
    engine.check_places({k: [v] for k, v in area.items()})
    chosen = [t for t in chosen if all(getattr(t, f) == v for f, v in area.items())]
    page, size = engine.paging(page, size or engine.config.owner_page_size)
    total = len(chosen)
    shown = chosen[(page - 1) * size: page * size]
    terms = engine.segmenter.query_terms(q)
    vector = engine.query_vector(q)
    groups = engine.segmenter.query_groups(q)
    degraded = False
    try:
        keyword_hits = engine.keyword.search(terms.keyword, _townships_filter(engine, shown), None).hits
        # the best anywhere asked about, not only on this page, is a feature: a page must answer
        # as it would within the whole list
        best = engine.keyword.search(terms.keyword, _townships_filter(engine, chosen), 1).hits
    except BackendUnavailable:  # answer from the embeddings alone
        keyword_hits, best, degraded = [], [], True
    by_town = _hits_by_township(engine, keyword_hits, engine.config.depth)
    best_cosine = _best_cosine(engine, vector, chosen)
    best_keyword = best[0][1] if best else 0.0
    named = engine.segmenter.authorities.named_in(q)
    unmentioned = _unmentioned(engine, named, shown) if named and not degraded else {}
    rows = []
    cosines = engine.vectors.range_cosines(vector, [(t.start, t.end) for t in shown])
    evidence = [_evidence(engine, town, by_town.get(town.start, []), c) for town, c in zip(shown, cosines)]
    # from a cluster, every candidate's record and tokens in one request, not one per candidate
    engine.records.prefetch(dict.fromkeys(f.pos for ev in evidence for f in ev.fused))
    for town, ev in zip(shown, evidence):
        features = township_features(engine, ev, groups, best_cosine, best_keyword)
        row = town.region() | _answer(engine, ev, features, unmentioned.get(town.start))
        if explain:
            row["features"] = {k: round(v, 4) for k, v in features.items()}
        rows.append(row)
    out = {"query": q, "total": total, "page": page, "size": size, "results": rows}
    if degraded:
        out["degraded"] = True
    return out


def _townships_filter(engine, towns) -> dict:
    return {} if len(towns) == len(engine.ranges) else {"township": sorted({t.township for t in towns})}


def _best_cosine(engine, vector: np.ndarray, towns) -> float:
    if len(towns) == len(engine.ranges):
        allowed = None
    else:
        allowed = np.zeros(len(engine.records), dtype=bool)
        for t in towns:
            allowed[t.start:t.end] = True
    _, scores = engine.vectors.search(vector, 1, allowed)
    return float(scores[0]) if len(scores) else 0.0


def _evidence(engine, town, keyword: list[tuple[int, float]], cosines: np.ndarray) -> Evidence:
    config = engine.config
    order = np.argsort(-cosines, kind="stable")[:config.depth]
    sem = [(town.start + int(i), float(cosines[i])) for i in order]
    fused = ranking.fuse(keyword, sem, method=config.fusion, k=config.rrf_k,
                         weight_keyword=config.weight_keyword, weight_semantic=config.weight_semantic)
    return Evidence(fused[:CANDIDATES], cosines, max((s for _, s in keyword), default=0.0))


def township_features(engine, ev: Evidence, groups, best_cosine: float, best_keyword: float) -> dict[str, float]:
    """The evidence that a township lists the task, as numbers the calibrated model weighs.

    cosine: the township's best cosine (query ↔ item name); coverage: the largest share of the
    query's words one candidate's text contains; keyword: log(1 + the best BM25 score);
    keyword_share: that score over the best in any township answered; cosine_gap: the best
    cosine minus the best in any township answered; standout: how many standard deviations the
    best cosine lies above the township's mean (a real match stands out, a vague one does not).
    """
    cos = ev.cosines
    top = float(cos.max()) if len(cos) else 0.0
    spread = float(cos.std()) if len(cos) > 1 else 0.0
    return {
        "cosine": top,
        "coverage": max((coverage(engine, f.pos, groups) for f in ev.fused), default=0.0),
        "keyword": math.log1p(ev.keyword_best),
        "keyword_share": ev.keyword_best / best_keyword if best_keyword > 0 else 0.0,
        "cosine_gap": top - best_cosine,
        "standout": (top - float(cos.mean())) / spread if spread > 0 else 0.0,
    }


def listed_probability(config, features: dict[str, float]) -> float:
    """The calibrated logistic model: P(the township lists the task | features)."""
    z = config.owner_bias + sum(w * features[name] for name, w in zip(FEATURES, config.owner_weights))
    return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))


def _unmentioned(engine, named: dict[str, str], towns) -> dict[int, list[str]]:
    """For each township (keyed by its first position) none of whose items mentions a term of
    another authority's work that the task names: those authorities."""
    filters = _townships_filter(engine, towns)
    mentioned = {term: _mentioning(engine, term, filters) for term in named}
    out = {}
    for town in towns:
        if not any(town.start in mentioned[t] for t in named):
            out[town.start] = list(dict.fromkeys(named.values()))
    return out


def unmentioned_authorities(engine, q: str, filters: dict) -> list[str]:
    """The authorities whose work the query names when no record within `filters` mentions any
    of it (search shows them: 这类事项通常由…办理); else none."""
    named = engine.segmenter.authorities.named_in(q)
    try:
        if not named or any(_mentioning(engine, term, filters) for term in named):
            return []
    except BackendUnavailable:
        return []
    return list(dict.fromkeys(named.values()))


def _mentioning(engine, term: str, filters: dict) -> set[int]:
    """The townships (first positions) with an item that mentions the term: its text holds every
    word of it, as the word, a synonym or a part (`coverage` 1)."""
    groups = engine.segmenter.query_groups(term)
    words = list(dict.fromkeys(w for _, alternatives in groups for w in alternatives))
    hits = engine.keyword.search(words, filters, None).hits if words else []
    return {start for start, found in _hits_by_township(engine, hits, MENTION_DEPTH).items()
            if any(coverage(engine, pos, groups) >= 1.0 for pos, _ in found)}


def _answer(engine, ev: Evidence, features: dict[str, float], authorities: list[str] | None = None) -> dict:
    config = engine.config
    p = listed_probability(config, features)
    if authorities or not ev.fused or (features["keyword"] == 0 and features["cosine"] < config.no_match_cosine):
        verdict = NOT_LISTED
    elif p >= config.owner_listed_cut:
        verdict = LISTED
    else:
        verdict = POSSIBLE
    picked = _items(engine, ev.fused) if verdict == LISTED else ev.fused[:3]
    records = engine.records.many(f.pos for f in picked)
    items = [{"duty": r, "relevance": round(_relevance(f, ev.fused[0]), 2)} for f, r in zip(picked, records)]
    row = {"verdict": verdict, "verdict_label": VERDICT_LABELS[verdict], "confidence": round(p, 2)}
    if verdict == LISTED:
        row.update(status=items[0]["duty"]["list_type"], duty=items[0]["duty"], items=items,
                   lists=list(dict.fromkeys(i["duty"]["list_type"] for i in items)))
    elif verdict == POSSIBLE:
        row.update(status=POSSIBLE, duty=None, items=items, lists=[])
    else:
        row.update(status=NOT_LISTED, duty=None, items=[], lists=[], nearest=items[0]["duty"] if items else None)
    row["authorities"] = authorities or []
    return row


def _items(engine, fused: list[ranking.Fused]) -> list[ranking.Fused]:
    """The best candidate and those close behind it; a candidate on another list, or the best of
    the keyword or the semantic side, needs less (the basic part — 巡查、发现、报告 — and the
    recovered or cooperative part — 查处 — of one task are worded differently, so the second part
    ranks lower)."""
    best = fused[0]
    best_list = engine.columns.value("list_type", best.pos)
    out = [best]
    for f in fused[1:4]:
        share = f.score / best.score if best.score > 0 else 0.0
        other_list = engine.columns.value("list_type", f.pos) != best_list
        # the best of either side shows too: the keyword side's best shares the task's words, the
        # semantic side's best its meaning, and they differ when a task has two aspects
        side_best = f.keyword_rank == 1 or f.semantic_rank == 1
        if share >= engine.config.owner_item_share or (
                (other_list or side_best) and share >= engine.config.owner_part_share):
            out.append(f)
    return out


def _relevance(f: ranking.Fused, best: ranking.Fused) -> float:
    """The candidate's fused score relative to the township's best (0..1), for ordering on the page."""
    return min(1.0, f.score / best.score) if best.score > 0 else 0.0


def coverage(engine, pos: int, groups) -> float:
    """The share of the query's content words (weighted by length, single characters half) that the
    item's own text contains — as the word, a synonym or a typo repair; found only as a part of
    the word (人民 for 人民币) it counts for the part's share of the word's length."""
    if not groups:
        return 0.0
    tokens = frozenset(engine.indexed_tokens(pos))
    total = found = 0.0
    for word, alternatives in groups:
        weight = 0.5 if len(word) == 1 else min(len(word), 3)
        total += weight
        matched = alternatives & tokens
        if word in matched or any(a not in word for a in matched):
            found += weight
        elif matched:
            found += weight * max(len(a) for a in matched) / len(word)
    return found / total if total else 0.0


def _region(region) -> dict[str, str]:
    out = {}
    for key, value in (region or {}).items():
        if key not in AREA_FIELDS:
            raise BadRequest(f"unknown region field {key!r}; one of {', '.join(AREA_FIELDS)}", key,
                             "unknown_parameter")
        if not isinstance(value, str):
            raise BadRequest(f"{key} must be text", key)
        if value.strip():
            out[key] = value.strip()
    return out


def _hits_by_township(engine, hits: list[tuple[int, float]], depth: int) -> dict[int, list[tuple[int, float]]]:
    """Ranked hits split by township (keyed by its first position), the best `depth` of each."""
    out: dict[int, list[tuple[int, float]]] = {}
    if not hits:
        return out
    starts = engine.township_starts([p for p, _ in hits])
    for start, hit in zip(starts.tolist(), hits):
        bucket = out.setdefault(start, [])
        if len(bucket) < depth:
            bucket.append(hit)
    return out
