"""The search engine: the library API the Flask app (and the eval and benchmark scripts) call.

    engine = Engine.open()                       # loads <index root>/current
    engine.search("山林着火了谁负责")              # hybrid by default
    engine.owner("山林着火了谁负责")               # per township: basic / cooperative / recovered / not listed
    engine.similar(duty_id) ; engine.compare("渡口镇", "补隆淖镇") ; engine.townships() ; engine.health()

Everything returned is JSON-serialisable; a duty is `Duty.to_dict()`. Errors: BadRequest (400),
NotFound (404), IndexNotReady (503) from search_app/errors.py.

Data flow: query → segmenter (same jieba cut and dictionary as the index, synonyms added) →
keyword index (BM25 over numpy postings by default, Elasticsearch when ES_URL is set) and query
embedding → FAISS → fusion (search_app/ranking.py) → filters and facets from integer columns
(search_app/columns.py) → the page's records read from the store (search_app/store.py) → highlights.

Thread safety: an Engine is immutable after `open`; the record store pools its connections,
FAISS searches are read-only, the embedder serializes model calls. `EngineHolder` swaps in a
new Engine when `current` is re-pointed by a build, while the old one keeps answering.
"""
from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np

from models.duty import LIST_TYPES
from models.segment import Segmenter
from search_app import keyword_bm25, ranking, semantic, store
from search_app.columns import FILTER_FIELDS, REGION_FIELDS, Columns, TownshipRange
from search_app.config import INDEX_FORMAT, SearchConfig, index_root
from search_app.errors import BackendUnavailable, BadRequest, IndexNotReady, NotFound

log = logging.getLogger(__name__)

MODES = ("hybrid", "keyword", "semantic")
STATUS_NOT_LISTED = "not_listed"

# Words around a task that say who/how, not what: dropped from the text that is embedded.
_QUESTION = re.compile(
    r"(请问|我想问一?下?|想问一?下?|应该|应当|到底|究竟|具体)|"
    r"(由谁|归谁|找谁|是谁|谁来|谁)(负责|管理?|处理|来管|牵头|办理?)?|"
    r"(该|应|要)?(由|归|找)?(哪个|哪些|哪一?个|什么)(部门|单位|机构|人)(负责|管理?|处理|牵头|办理?)?|"
    r"(怎么办|怎么处理|如何处理|怎么弄|咋办|咋整|怎么管)|"
    r"[了吗呢吧啊呀嘛]?[？?！!。，,]*$")


def semantic_text(query: str) -> str:
    """The query as embedded: the task, without the question around it ("…了谁负责")."""
    text = _QUESTION.sub("", query).strip(" ，,。？?！!了")
    return text or query.strip()


class Engine:
    def __init__(self, build_dir: Path, meta: dict, records: store.RecordStore, columns: Columns,
                 segmenter: Segmenter, keyword, vectors: semantic.SemanticIndex, embedder, config: SearchConfig):
        self.build_dir = build_dir
        self.meta = meta
        self.records = records
        self.columns = columns
        self.segmenter = segmenter
        self.keyword = keyword
        # The embedded index ranks positions and leaves filters and facets to the columns; a remote
        # one (Elasticsearch) filters, counts and facets by itself and answers with duty ids.
        self._embedded = isinstance(keyword, keyword_bm25.Bm25Index)
        self.vectors = vectors
        self.embedder = embedder
        self.config = config
        self.ranges = columns.township_ranges()
        self._range_starts = np.array([t.start for t in self.ranges], dtype=np.int64)
        self._range_of = {t.key(): t for t in self.ranges}

    # ----- opening

    @classmethod
    def open(cls, index_dir=None, model: str | None = None, config: SearchConfig | None = None,
             keyword_backend=None) -> "Engine":
        """Open `<index_dir>/current`. Raises IndexNotReady naming the path when it is missing,
        incomplete, corrupt, or built with a different embedding model."""
        config = config or SearchConfig.from_env()
        _limit_blas_threads()
        root = index_root(index_dir)
        current = root / "current"
        if not current.exists():
            raise IndexNotReady(current, "no index has been built yet — run `python -m indexer build`")
        build_dir = current.resolve()
        meta_path = build_dir / "meta.json"
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise IndexNotReady(build_dir, "incomplete index: meta.json is missing") from None
        except (OSError, ValueError) as exc:
            raise IndexNotReady(build_dir, f"unreadable meta.json: {exc}") from exc
        if meta.get("format") != INDEX_FORMAT:
            raise IndexNotReady(build_dir, f"index format {meta.get('format')} was written by an older version "
                                           f"(this one reads format {INDEX_FORMAT}); rebuild it with "
                                           "`python -m indexer build`")
        from models.embedding import ModelNotFound, get_embedder
        built_with = meta.get("model", {})
        # Quantization is how the model runs, not which model: unless TDS_QUANTIZE says otherwise,
        # run it the way the index was built (the fingerprint check below still applies).
        quantize = None if os.environ.get("TDS_QUANTIZE") else built_with.get("quantize")
        try:
            embedder = get_embedder(model, quantize=quantize)
        except (ModelNotFound, OSError, ValueError) as exc:
            raise IndexNotReady(build_dir, f"embedding model unavailable: {exc}") from exc
        if (built_with.get("fingerprint"), built_with.get("dim")) != (embedder.fingerprint, embedder.dim):
            raise IndexNotReady(
                build_dir,
                f"index built with model {built_with.get('name')!r} (dim {built_with.get('dim')}, fingerprint "
                f"{built_with.get('fingerprint')}, quantize {built_with.get('quantize')}) but queries would use "
                f"{embedder.name!r} (dim {embedder.dim}, fingerprint {embedder.fingerprint}, quantize "
                f"{embedder.quantize}); rebuild the index or set TDS_MODEL/TDS_QUANTIZE to match")
        try:
            records = store.RecordStore(build_dir / store.DB_NAME, config.sqlite_connections, config.record_cache)
            columns = Columns.from_store(records)
            vectors = semantic.SemanticIndex.load(build_dir / semantic.INDEX_NAME, nprobe=config.nprobe,
                                                  ef_search=config.hnsw_ef_search)
            segmenter = Segmenter.from_dir(build_dir / "dict")
            keyword = keyword_backend or make_keyword_backend(build_dir, meta, config)
        except IndexNotReady:
            raise
        except Exception as exc:  # sqlite3.DatabaseError, RuntimeError from FAISS, OSError …
            raise IndexNotReady(build_dir, f"corrupt or unreadable index: {type(exc).__name__}: {exc}") from exc
        counts = {len(records), vectors.count, meta.get("records")}
        if isinstance(keyword, keyword_bm25.Bm25Index):
            counts.add(keyword.count)
        if len(counts) != 1:
            raise IndexNotReady(build_dir, f"inconsistent index: {len(records)} records, {vectors.count} vectors, "
                                           f"{getattr(keyword, 'count', '?')} keyword documents, "
                                           f"meta says {meta.get('records')}")
        return cls(build_dir, meta, records, columns, segmenter, keyword, vectors, embedder, config)

    def close(self) -> None:
        self.keyword.close()
        self.records.close()

    # ----- parameters

    def _filters(self, filters) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for key, value in (filters or {}).items():
            if key not in FILTER_FIELDS:
                raise BadRequest(f"unknown filter {key!r}; filters are {', '.join(FILTER_FIELDS)}")
            values = [value] if isinstance(value, str) else list(value or [])
            values = [v.strip() for v in values if isinstance(v, str) and v.strip()]
            if any(not isinstance(v, str) for v in ([value] if isinstance(value, str) else value or [])):
                raise BadRequest(f"filter {key!r} takes text values")
            if key == "list_type":
                bad = [v for v in values if v not in LIST_TYPES]
                if bad:
                    raise BadRequest(f"unknown list_type {bad[0]!r}; one of {', '.join(LIST_TYPES)}")
            if values:
                out[key] = list(dict.fromkeys(values))
        return out

    def _check_query(self, q) -> str:
        if q is None:
            return ""
        if not isinstance(q, str):
            raise BadRequest("q must be text")
        q = q.strip()
        if len(q) > self.config.max_query_chars:
            raise BadRequest(f"query longer than {self.config.max_query_chars} characters")
        return q

    def _mask(self, filters: dict[str, list[str]]) -> np.ndarray | None:
        return self.columns.mask(filters)

    # ----- search

    def search(self, q: str, mode: str = "hybrid", filters: dict | None = None, page: int = 1, size: int = 10,
               *, depth: int | None = None, explain: bool = False) -> dict:
        """Ranked records for a query, with facets over every match and highlights.

        - keyword: BM25 over jieba tokens (+ synonyms); every record containing a query term
          matches; `total` counts them all and facets cover them all.
        - semantic: cosine to the query's embedding; records at or above `semantic_floor` among
          the best `depth` are the matches (pages end there).
        - hybrid: fusion (SearchConfig.fusion: score blend by default, or RRF) of the keyword
          top-`depth` and the semantic matches; the union is the match set (`total`, facets).
        - empty q: browse — the filtered records in document order (any mode), facets over them.
        `depth` overrides SearchConfig.depth (candidates per side); `explain` adds per-hit ranks.
        """
        started = time.perf_counter()
        if mode not in MODES:
            raise BadRequest(f"unknown mode {mode!r}; one of {', '.join(MODES)}")
        q = self._check_query(q)
        filters = self._filters(filters)
        page, size = self._paging(page, size)
        offset = (page - 1) * size
        depth = depth or self.config.depth  # fixed per query, so `total` is the same on every page
        facet_size = self.config.facet_size
        terms = self.segmenter.query_terms(q) if q else None
        result = {"query": q, "mode": mode}

        degraded = mode == "semantic" and not self._keyword_available()
        if not q and (self._embedded or degraded):
            mask = self._mask(filters)
            matched = np.flatnonzero(mask) if mask is not None else np.arange(len(self.records))
            positions, total = matched[offset:offset + size].tolist(), len(matched)
            facets = self._facets(matched, facet_size)
        elif not q:
            ids, total = self.keyword.browse(filters, offset, size)
            facets = self.keyword.facets(None, filters, facet_size)
            known = self.records.positions_of(ids)
            positions = [known[i] for i in ids if i in known]
        if not q:
            hits = [{"duty": record, "score": 0.0, "highlights": self._highlights(record, ranking.Highlighter(()))}
                    for record in self.records.many(positions)]
            result.update(browse=True, total=total, page=page, size=size, hits=hits, facets=facets)
        else:
            if mode == "keyword" and self._embedded:
                matches = self.keyword.search(terms.all, self._mask(filters), offset + size)
                ranked = [ranking.Fused(p, s, keyword_rank=r, keyword_score=s)
                          for r, (p, s) in enumerate(matches.hits, 1)]
                total, facets = matches.total, self._facets(matches.positions, facet_size)
            elif mode == "keyword":
                found, total = self._keyword(terms.all, filters, offset + size)
                ranked = [ranking.Fused(p, s, keyword_rank=r, keyword_score=s) for r, (p, s) in enumerate(found, 1)]
                facets = self.keyword.facets(terms.all, filters, facet_size)
            else:
                sem = self._semantic(q, filters, depth)
                if mode == "semantic":
                    ranked = [ranking.Fused(p, s, semantic_rank=r, semantic_score=s) for r, (p, s) in enumerate(sem, 1)]
                else:
                    kw, _ = self._keyword(terms.all, filters, depth)
                    ranked = ranking.fuse(kw, sem, method=self.config.fusion, k=self.config.rrf_k,
                                          weight_keyword=self.config.weight_keyword,
                                          weight_semantic=self.config.weight_semantic)
                total = len(ranked)
                facets = self._facets([f.pos for f in ranked], facet_size)
            highlighter = ranking.Highlighter(terms.highlight_terms())
            hits = []
            page_items = ranked[offset:offset + size]
            for item, record in zip(page_items, self.records.many(f.pos for f in page_items)):
                hit = {"duty": record, "score": round(float(item.score), 6),
                       "highlights": self._highlights(record, highlighter)}
                if explain:
                    hit["explain"] = item.explain()
                hits.append(hit)
            result.update(total=total, page=page, size=size, hits=hits, facets=facets)
            if explain:
                result["terms"] = {"tokens": terms.tokens, "expansions": terms.expansions,
                                   "semantic_text": self.semantic_query(q, terms)}
        if degraded:
            result["degraded"] = True
        result["took_ms"] = round((time.perf_counter() - started) * 1000, 2)
        return result

    def _keyword_available(self) -> bool:
        """False when the keyword backend (Elasticsearch) is known to be unreachable."""
        check = getattr(self.keyword, "available", None)
        return True if check is None else bool(check())

    def _paging(self, page, size) -> tuple[int, int]:
        try:
            page, size = int(page), int(size)
        except (TypeError, ValueError):
            raise BadRequest("page and size must be integers") from None
        if page < 1 or page > self.config.max_page:
            raise BadRequest(f"page must be between 1 and {self.config.max_page}")
        if size < 1 or size > self.config.max_size:
            raise BadRequest(f"size must be between 1 and {self.config.max_size}")
        return page, size

    def _keyword(self, terms, filters, limit) -> tuple[list[tuple[int, float]], int]:
        """The best `limit` (position, score) for `terms` among the filtered records, and the match count."""
        if self._embedded:
            matches = self.keyword.search(terms, self._mask(filters), limit)
            return matches.hits, matches.total
        hits, total = self.keyword.search(terms, filters, limit)
        known = self.records.positions_of([i for i, _ in hits])
        return [(known[i], s) for i, s in hits if i in known], total

    def semantic_query(self, q: str, terms=None) -> str:
        """The text embedded for a query: the task without the question around it, followed by up to
        `semantic_expansions` synonym terms (staff words → the lists' words: "山林着火" also
        embeds "森林草原防火")."""
        terms = terms or self.segmenter.query_terms(q)
        text = semantic_text(q)
        extra = terms.expansions[: self.config.semantic_expansions]
        return f"{text} {' '.join(extra)}" if extra else text

    def query_vector(self, q: str) -> np.ndarray:
        return self.embedder.encode_query(self.semantic_query(q))

    def _semantic(self, q: str, filters, depth: int) -> list[tuple[int, float]]:
        vector = self.query_vector(q)
        positions, scores = self.vectors.search(vector, depth, self._mask(filters))
        floor = self.config.semantic_floor
        return [(int(p), float(s)) for p, s in zip(positions, scores) if s >= floor]

    def _facets(self, positions, size: int) -> dict[str, list[dict]]:
        return self.columns.facets(np.asarray(positions, dtype=np.int64), size)

    @staticmethod
    def _highlights(record: dict, mark: ranking.Highlighter, max_duties: int = 3) -> dict:
        """HTML (escaped, <mark> around matched terms) for the fields a result shows.

        name: the item name; duties: up to `max_duties` duty sentences (departments' and the
        township's) that contain a match; departments: every lead/receiving department;
        township_duties: every one of the township's duties; handling: the recovered item's way
        of working; category.
        """
        department_texts = [d for dd in record.get("department_duties", []) for d in dd.get("duties", [])]
        candidates = department_texts + list(record.get("township_duties", []))
        if record.get("handling"):
            candidates.append(record["handling"])
        matched = [mark(t) for t in candidates if mark.matches(t)][:max_duties]
        return {
            "name": mark(record.get("name", "")),
            "category": mark(record.get("category", "")),
            "duties": matched,
            "departments": [mark(d) for d in _departments(record)],
            "township_duties": [mark(t) for t in record.get("township_duties", [])],
            "handling": mark(record.get("handling", "")),
        }

    # ----- who owns it

    def owner(self, q: str, townships: list[str] | None = None, region: dict | None = None,
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
        q = self._check_query(q)
        if not q:
            raise BadRequest("q is required")
        chosen = self._resolve_townships(townships) if townships else list(self.ranges)
        chosen = [t for t in chosen if all(getattr(t, f) == v for f, v in self._region(region).items())]
        page, size = self._paging(page, size or self.config.owner_page_size)
        total = len(chosen)
        chosen = chosen[(page - 1) * size: page * size]
        terms = self.segmenter.query_terms(q)
        vector = self.query_vector(q)
        groups = self.segmenter.query_groups(q)
        degraded = False
        try:
            keyword_hits, _ = self._keyword(terms.all, {"township": sorted({t.township for t in chosen})}, None)
        except BackendUnavailable:  # answer from the embeddings alone
            keyword_hits, degraded = [], True
        by_town = self._hits_by_township(keyword_hits, self.config.depth)
        threshold = self.config.owner_threshold
        rows = []
        for town in chosen:
            kw = by_town.get(town.start, [])
            positions, scores = self.vectors.search_range(vector, self.config.depth, town.start, town.end)
            sem = [(int(p), float(s)) for p, s in zip(positions, scores)]
            cosine = dict(sem)
            fused = ranking.fuse(kw, sem, method=self.config.fusion, k=self.config.rrf_k,
                                 weight_keyword=self.config.weight_keyword, weight_semantic=self.config.weight_semantic)
            scored = [(self._owner_score(f, cosine, groups), f) for f in fused[:5]]
            scored.sort(key=lambda x: -x[0])  # stable: fused order breaks ties
            row = town.region()
            if not scored:
                row.update(status=STATUS_NOT_LISTED, duty=None, score=0.0, alternatives=[])
                rows.append(row)
                continue
            best_score, best = scored[0]
            listed = best_score >= threshold
            alternatives = [{"duty": self.records[f.pos], "score": round(s, 4)}
                            for s, f in scored[1:] if s >= threshold][:3]
            row.update(status=self.records[best.pos]["list_type"] if listed else STATUS_NOT_LISTED,
                       duty=self.records[best.pos] if listed else None, score=round(best_score, 4),
                       alternatives=alternatives)
            if not listed:
                row["nearest"] = self.records[best.pos]
            rows.append(row)
        out = {"query": q, "threshold": threshold, "total": total, "page": page, "size": size, "results": rows}
        if degraded:
            out["degraded"] = True
        return out

    @staticmethod
    def _region(region) -> dict[str, str]:
        out = {}
        for key, value in (region or {}).items():
            if key not in REGION_FIELDS[:3]:
                raise BadRequest(f"unknown region field {key!r}; one of province, prefecture, county")
            if not isinstance(value, str):
                raise BadRequest(f"{key} must be text")
            if value.strip():
                out[key] = value.strip()
        return out

    def _hits_by_township(self, hits: list[tuple[int, float]], depth: int) -> dict[int, list[tuple[int, float]]]:
        """Ranked hits split by township (keyed by its first position), the best `depth` of each."""
        out: dict[int, list[tuple[int, float]]] = {}
        if not hits:
            return out
        starts = self._range_starts[np.searchsorted(self._range_starts, [p for p, _ in hits], side="right") - 1]
        for start, hit in zip(starts.tolist(), hits):
            bucket = out.setdefault(start, [])
            if len(bucket) < depth:
                bucket.append(hit)
        return out

    def _owner_score(self, item: ranking.Fused, cosine: dict[int, float], groups) -> float:
        """cosine(query, item name) + owner_coverage_weight × coverage.

        Coverage is the share of the query's content words (weighted by length, single characters
        half) that the item's own text contains — as the word, a part of it, a synonym or a typo
        repair. Both parts are absolute (unlike BM25 or ranks), so one threshold serves every query.
        """
        score = float(cosine.get(item.pos, 0.0))
        weight = self.config.owner_coverage_weight
        if weight and groups:
            tokens = self._record_tokens(item.pos)
            total = found = 0.0
            for word, alternatives in groups:
                w = self._word_weight(word, alternatives)
                total += w
                if alternatives & tokens:
                    found += w
            score += weight * (found / total if total else 0.0)
        return score

    def _word_weight(self, word: str, alternatives: frozenset[str]) -> float:
        """How much a query word counts in the coverage share. "length": its length up to 3, a
        single character 0.5. "idf": its inverse document frequency (the most common of its
        alternatives counts), a single character half."""
        scheme = self.config.owner_word_weight
        vocabulary = self.segmenter.corrector.vocabulary if self.segmenter.corrector else {}
        df = max((vocabulary.get(a, 0) for a in alternatives), default=0)
        if scheme == "length":
            weight = 0.5 if len(word) == 1 else min(len(word), 3)
            # words most items share (办理, 工作, 管理) say little about which task is meant
            if df > self.config.owner_common_share * len(self.records):
                weight *= self.config.owner_common_factor
            return weight
        weight = float(np.log((len(self.records) + 1) / (df + 1)))
        return weight * (0.5 if len(word) == 1 else 1.0)

    def _record_tokens(self, pos: int) -> frozenset[str]:
        return frozenset(self._indexed_tokens(pos))

    def _indexed_tokens(self, pos: int) -> list[str]:
        """The record's keyword tokens over all fields as the build cut them (no jieba at query time)."""
        return " ".join(self.records.tokens(pos).values()).split()

    def _resolve_townships(self, names: list[str]) -> list[TownshipRange]:
        chosen: list[TownshipRange] = []
        for name in names:
            for town in self.resolve_township(name):
                if town not in chosen:
                    chosen.append(town)
        return chosen

    def resolve_township(self, name: str) -> list[TownshipRange]:
        """Townships named `name`: a township name, or "县/乡" … "省/市/县/乡" to tell namesakes apart."""
        if not isinstance(name, str) or not name.strip():
            raise BadRequest("township must be a name")
        parts = [p.strip() for p in re.split(r"[/／|]", name.strip()) if p.strip()]
        if not parts:
            raise NotFound(f"未找到乡镇：{name}")
        found = [t for t in self.ranges if t.township == parts[-1]
                 and all(p in (t.province, t.prefecture, t.county) for p in parts[:-1])]
        if not found:
            raise NotFound(f"未找到乡镇：{name}")
        return found

    def _one_township(self, name: str) -> TownshipRange:
        found = self.resolve_township(name)
        if len(found) > 1:
            raise BadRequest(f"乡镇名称 {name} 不唯一，请写成 县/乡镇：" + "、".join(f"{t.county}/{t.township}" for t in found))
        return found[0]

    # ----- equivalents elsewhere

    def get(self, duty_id: str) -> dict | None:
        pos = self._position(duty_id)
        return None if pos is None else self.records[pos]

    def _position(self, duty_id) -> int | None:
        return self.records.positions_of([duty_id]).get(duty_id) if isinstance(duty_id, str) else None

    def similar(self, duty_id: str, k: int = 10, other_townships: bool = True) -> list[dict]:
        """Equivalent records: other townships only unless told otherwise.

        Ranked like hybrid search with the record itself as the query: its name embedding against
        every name (semantic), and its most distinctive tokens — name, duties, departments — as
        a keyword query ("more like this"), fused by `blend`. Only semantic neighbours are
        returned; the keyword side reorders them. `score` is the fused score, `similarity` the
        cosine of the two names."""
        pos = self._position(duty_id)
        if pos is None:
            raise NotFound(f"未找到事项：{duty_id}")
        try:
            k = int(k)
        except (TypeError, ValueError):
            raise BadRequest("k must be an integer") from None
        if not 1 <= k <= 100:
            raise BadRequest("k must be between 1 and 100")
        own = self.records[pos]
        allowed = np.ones(len(self.records), dtype=bool)
        allowed[pos] = False
        if other_townships:
            town = self._range_of[_region(own)]
            allowed[town.start:town.end] = False
        depth = max(self.config.depth, k)
        positions, scores = self.vectors.search(self.vectors.vector(pos), depth, allowed)
        floor = self.config.similar_floor
        sem = [(int(p), float(s)) for p, s in zip(positions, scores) if s >= floor]
        cosine = dict(sem)
        if self.config.similar_weight_keyword > 0:
            # "More like this": the record's most distinctive tokens (tf·idf) as a keyword query.
            terms = self._distinctive_terms(pos, self.config.similar_terms)
            found, _ = self._keyword(terms, {}, depth + int((~allowed).sum()))
            kw = [(p, sc) for p, sc in found if allowed[p]][:depth]
            ranked = ranking.fuse(kw, sem, method="blend", weight_keyword=self.config.similar_weight_keyword,
                                  weight_semantic=1.0)
            ranked = [f for f in ranked if f.pos in cosine]
        else:
            ranked = [ranking.Fused(p, s, semantic_rank=r, semantic_score=s) for r, (p, s) in enumerate(sem, 1)]
        ranked = ranked[:k]
        return [{"duty": record, "score": round(float(f.score), 4), "similarity": round(cosine[f.pos], 4)}
                for f, record in zip(ranked, self.records.many(f.pos for f in ranked))]

    def _distinctive_terms(self, pos: int, n: int) -> list[str]:
        vocabulary = self.segmenter.corrector.vocabulary if self.segmenter.corrector else {}
        counts = Counter(t for t in self._indexed_tokens(pos) if len(t) >= 2)
        total = len(self.records) + 1
        weight = {t: c * float(np.log(total / (vocabulary.get(t, 0) + 1))) for t, c in counts.items()}
        return sorted(weight, key=lambda t: (-weight[t], t))[:n]

    def compare(self, a_township: str, b_township: str, threshold: float | None = None) -> dict:
        """Aligned items of two townships: mutual best matches (by cosine) at or above `threshold`,
        and the items of each side left without a partner."""
        a, b = self._one_township(a_township), self._one_township(b_township)
        if threshold is None:
            threshold = self.config.compare_threshold
        try:
            threshold = float(threshold)
        except (TypeError, ValueError):
            raise BadRequest("threshold must be a number") from None
        va, vb = self.vectors.vectors(a.start, a.end), self.vectors.vectors(b.start, b.end)
        sims = va @ vb.T if len(va) and len(vb) else np.zeros((len(va), len(vb)), dtype=np.float32)
        records_a, records_b = self.records[a.start:a.end], self.records[b.start:b.end]
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

    # ----- overview

    def townships(self) -> list[dict]:
        return [t.region() | {"counts": {lt: t.counts.get(lt, 0) for lt in LIST_TYPES}, "total": t.end - t.start}
                for t in self.ranges]

    def health(self) -> dict:
        keyword = self.keyword.health() if hasattr(self.keyword, "health") else {"backend": self.keyword.name}
        return {"loaded": True, "records": len(self.records), "model": self.embedder.name,
                "backend": getattr(self.keyword, "name", "embedded"), "index_dir": str(self.build_dir),
                "built_at": self.meta.get("built_at"), "build_id": self.meta.get("build_id"),
                "faiss": self.vectors.kind, "keyword": keyword,
                **({"es": keyword.get("es", "down"), "degraded": not keyword.get("up", False)}
                   if getattr(self.keyword, "name", "") == "elasticsearch" else {})}


_BLAS_LIMITED = False


def _limit_blas_threads() -> None:
    """One BLAS thread for the process that serves searches (TDS_BLAS_THREADS to change).

    A query's matrix-vector products are tiny; multi-threaded BLAS only adds waiting, and on a
    busy machine spinning threads turn a 0.1 ms product into a scheduler time slice (~10 ms)."""
    global _BLAS_LIMITED
    if _BLAS_LIMITED:
        return
    _BLAS_LIMITED = True
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(int(os.environ.get("TDS_BLAS_THREADS", "1")), user_api="blas")
    except Exception as exc:  # threadpoolctl missing or an unknown BLAS: keep the defaults
        log.info("BLAS thread limit not applied: %s", exc)


def _departments(record: dict) -> list[str]:
    return list(record.get("lead_departments") or []) + list(record.get("receiving_departments") or [])


def _region(record: dict) -> tuple:
    return tuple(record[f] for f in REGION_FIELDS)


def make_keyword_backend(build_dir: Path, meta: dict, config: SearchConfig):
    """The BM25 index in the build folder, or Elasticsearch when ES_URL is set
    (search_app/keyword_es.py documents what a remote backend provides)."""
    url = os.environ.get("ES_URL")
    if url:
        from search_app import keyword_es
        return keyword_es.open_backend(url, build_dir, meta, config)
    return keyword_bm25.Bm25Index(build_dir / keyword_bm25.FOLDER, config.field_weights)


# ----- serving across rebuilds


class EngineHolder:
    """The engine a server uses, swapped when a build re-points `current`.

    `get()` returns the engine; at most every `check_interval` seconds it reads the `current`
    symlink, and when it changed a background thread opens the new build and swaps it in. Until
    then (and if the new build fails to open) the old engine keeps answering, so no request fails
    while a rebuild runs. With no engine yet, `get()` opens one or raises IndexNotReady.
    """

    def __init__(self, index_dir=None, model: str | None = None, config: SearchConfig | None = None,
                 check_interval: float = 1.0):
        self.root = index_root(index_dir)
        self.model = model
        self.config = config
        self.check_interval = check_interval
        self._engine: Engine | None = None
        self._target: str | None = None
        self._failed_target: str | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        self._reloading: threading.Thread | None = None

    def _read_target(self) -> str | None:
        try:
            return os.readlink(self.root / "current")
        except OSError:
            return None

    def get(self) -> Engine:
        engine = self._engine
        if engine is None:
            with self._lock:
                if self._engine is None:
                    target = self._read_target()
                    self._engine = Engine.open(self.root, self.model, self.config)
                    self._target = target
                    self._checked = time.monotonic()
                return self._engine
        now = time.monotonic()
        if now - self._checked >= self.check_interval:
            self._checked = now
            target = self._read_target()
            if target and target != self._target and target != self._failed_target:
                self._start_reload(target)
        return engine

    def _start_reload(self, target: str) -> None:
        with self._lock:
            if self._reloading is not None and self._reloading.is_alive():
                return
            self._reloading = threading.Thread(target=self._reload, args=(target,), name="engine-reload", daemon=True)
            self._reloading.start()

    def _reload(self, target: str) -> None:
        try:
            engine = Engine.open(self.root, self.model, self.config)
        except Exception as exc:
            log.error("keeping the current index; the new one failed to open: %s", exc)
            self._failed_target = target
            return
        self._engine, self._target, self._failed_target = engine, target, None
        log.info("now serving %s", engine.build_dir)

    def reload(self, wait: bool = True) -> Engine | None:
        """Check `current` now (tests, admin); with wait=True return once any reload finished."""
        self._checked = 0.0
        if self._engine is None:
            return self.get()
        self.get()
        thread = self._reloading
        if wait and thread is not None:
            thread.join()
        return self._engine

    @property
    def engine(self) -> Engine | None:
        return self._engine
