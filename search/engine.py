"""The search engine: the library API the Flask app (and the eval and benchmark scripts) call.

    engine = Engine.open()                       # loads <index root>/current
    engine.search("山林着火了谁负责")              # hybrid by default
    engine.owner("山林着火了谁负责")               # per township: basic / cooperative / recovered / not listed
    engine.similar(duty_id) ; engine.compare("渡口镇", "补隆淖镇") ; engine.townships() ; engine.health()

Everything returned is JSON-serialisable; a duty is `Duty.to_dict()`. Errors: BadRequest (400),
NotFound (404), IndexNotReady (503) from search/errors.py.

Data flow: query → segmenter (same jieba cut and dictionary as the index, synonyms added) →
keyword index (BM25 over numpy postings by default, Elasticsearch when ES_URL is set) and query
embedding → FAISS → fusion (search/ranking.py) → filters and facets from integer columns
(search/columns.py) → the page's records read from the store (search/store.py) → highlights.

Thread safety: an Engine is immutable after `open`; the record store pools its connections,
FAISS searches are read-only, the embedder serializes model calls. `EngineHolder` swaps in a
new Engine when `current` is re-pointed by a build, while the old one keeps answering.
"""
from __future__ import annotations

import json
import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from models.duty import record_departments
from models.fields import ASKED, name_key, read_asked
from models.segment import Segmenter
from search import ann, equivalents, keyword, owner, places, ranking, store
from search.ann.examples import WorkExamples, read_examples
from search.ann.questions import QuestionSets, WithQuestions, read_sets
from search.columns import Columns, TownshipRange
from search.config import INDEX_FORMAT, SearchConfig, index_root
from search.errors import BackendUnavailable, BadRequest, IndexNotReady, NotFound
from search.vocabulary import FILTER_FIELDS, LIST_TYPES, MODES, PAGE_MAX, Q_MAX, REGION_FIELDS, SIZE_MAX

PLACE_LABELS = {"province": "省（区）", "prefecture": "市（地区）", "county": "县", "township": "乡镇"}

log = logging.getLogger(__name__)


# Words around a task that say who/how, not what: dropped from the text that is embedded.
_QUESTION = re.compile(
    r"(请问|我想问一?下?|想问一?下?|应该|应当|到底|究竟|具体)|"
    r"(该|应|要|去)?(由谁|归谁|找谁|是谁|谁来|谁)(负责|管理?|处理|来管|牵头|办理?)?|"
    r"(该|应|要)?(由|归|找)?(哪个|哪些|哪一?个|什么)(部门|单位|机构|人)(负责|管理?|处理|牵头|办理?)?|"
    r"(怎么办|怎么处理|如何处理|怎么弄|咋办|咋整|怎么管)|"
    r"[了吗呢吧啊呀嘛]?[？?！!。，,]*$")


def semantic_text(query: str) -> str:
    """The query as embedded: the task, without the question around it ("…了谁负责")."""
    text = _QUESTION.sub("", query).strip(" ，,。？?！!了")
    return text or query.strip()


EMBEDDING_THREADS = 4  # query embeddings in flight at once (hybrid search's side thread)


class Engine:
    def __init__(self, build_dir: Path, meta: dict, records: store.RecordStore, columns: Columns,
                 segmenter: Segmenter, keyword: keyword.KeywordBackend, vectors: ann.AnnIndex, embedder,
                 config: SearchConfig, questions: dict[str, tuple[str, ...]] | None = None,
                 question_sets: QuestionSets | None = None, work_examples: WorkExamples | None = None):
        self.build_dir = build_dir
        self.questions = questions or {}  # staff questions by item name (models/fields.py ASKED)
        self.meta = meta
        self.records = records
        self.columns = columns
        self.segmenter = segmenter
        self.keyword = keyword
        self.vectors = vectors  # the records' name vectors: item-to-item cosines
        self.question_sets = question_sets if question_sets is not None and question_sets.count else None
        # questions about other authorities' work (search/ann/examples.py), None for a build without them
        self.work_examples = work_examples if work_examples is not None and len(work_examples) else None
        self.embedder = embedder
        self.config = config
        self.local_vectors = not getattr(vectors, "remote", False)
        self.ranges = columns.township_ranges()
        self._range_starts = np.array([t.start for t in self.ranges], dtype=np.int64)
        self._range_of = {t.key(): t for t in self.ranges}
        self._places = {key: frozenset(getattr(t, key) for t in self.ranges) for key in REGION_FIELDS}
        self.place_names = places.PlaceNames(self.ranges)
        # Hybrid search embeds the query here while the keyword side runs on the caller's thread:
        # the model releases the GIL, so on two cores the two overlap instead of adding up.
        self._embedding = ThreadPoolExecutor(max_workers=EMBEDDING_THREADS, thread_name_prefix="tds-embed")

    # ----- opening

    @classmethod
    def open(cls, index_dir=None, model: str | None = None, config: SearchConfig | None = None,
             keyword_backend=None) -> "Engine":
        """Open `<index_dir>/current`, or the build in Elasticsearch when the configuration serves
        from the cluster (SearchConfig.es_mode). Raises IndexNotReady naming the path or alias when
        it is missing, incomplete, corrupt, or built with a different embedding model."""
        config = config or SearchConfig.from_env()
        _limit_blas_threads(config.blas_threads)
        if keyword_backend is None and config.serves_from_cluster(index_dir):
            return cls.open_cluster(model, config)
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
        embedder = _embedder_for(build_dir, meta, model, config)
        try:
            records = store.RecordStore(build_dir / store.DB_NAME, config.sqlite_connections, config.record_cache)
            columns = Columns.from_store(records)
            vectors = ann.open_index(config.ann_backend, build_dir, config)
            segmenter = Segmenter.from_dir(build_dir / "dict")
            questions = read_asked(build_dir / "dict" / ASKED)
            question_sets = read_sets(build_dir)
            work_examples = read_examples(build_dir)
            backend = keyword_backend or keyword.open_backend(config.keyword_kind, build_dir, meta, config,
                                                              records, columns)
            backend.bind(records)
        except IndexNotReady:
            raise
        except Exception as exc:  # sqlite3.DatabaseError, RuntimeError from FAISS, OSError …
            raise IndexNotReady(build_dir, f"corrupt or unreadable index: {type(exc).__name__}: {exc}") from exc
        counts = {len(records), vectors.count, meta.get("records")} | ({backend.count} - {None})
        if question_sets is not None:
            counts.add(len(question_sets.record_set))
        if len(counts) != 1:
            raise IndexNotReady(build_dir, f"inconsistent index: {len(records)} records, {vectors.count} vectors, "
                                           f"{backend.count} keyword documents, meta says {meta.get('records')}"
                                           + _sets_said(question_sets))
        return cls(build_dir, meta, records, columns, segmenter, backend, vectors, embedder, config, questions,
                   question_sets, work_examples)

    @classmethod
    def open_cluster(cls, model: str | None = None, config: SearchConfig | None = None) -> "Engine":
        """The build the alias (ES_INDEX) names in the cluster at ES_URL, with no local files: the
        records, columns, vectors and keyword side all answer from Elasticsearch (search/elastic/)."""
        import shutil

        from search import elastic
        from search.elastic.columns import ClusterColumns
        from search.elastic.records import ClusterRecords
        from search.elastic.vectors import ClusterVectors
        from search.keyword.es import DEFAULT_ALIAS, EsKeywordBackend
        from search.keyword.es_client import Credentials

        config = config or SearchConfig.from_env()
        credentials = Credentials.from_config(config)
        cluster = elastic.Cluster(config.es_url, credentials, timeout=config.es_timeout)
        try:
            build = elastic.open_build(cluster, config.es_index or DEFAULT_ALIAS)
            meta, where = build.meta, Path(build.index)
            embedder = _embedder_for(where, meta, model, config)
            dict_dir = build.dictionary_dir()
            try:
                segmenter = Segmenter.from_dir(dict_dir)
                questions = read_asked(dict_dir / ASKED)
            finally:
                shutil.rmtree(dict_dir, ignore_errors=True)
            records = ClusterRecords(cluster, build.index, meta["records"], config.record_cache)
            columns = ClusterColumns(cluster, build.index, records, build.townships)
            vectors = ClusterVectors(cluster, build.index, meta["records"], embedder.dim)
            question_sets = build.question_sets()
            work_examples = build.work_examples()
            backend = EsKeywordBackend(cluster.url, build.index, config.field_weights, build_id=meta.get("build_id"),
                                       query_type=config.es_query_type, client=cluster.es, records=records,
                                       credentials=credentials, positions_from_index=True,
                                       search_type=config.es_search_type)
            held = cluster.call(cluster.es.count, index=build.index)["count"]
        except BackendUnavailable as exc:
            cluster.close()
            raise IndexNotReady(config.es_url, str(exc)) from exc
        except BaseException:
            cluster.close()
            raise
        if held != meta.get("records") or (question_sets is not None and len(question_sets.record_set) != held):
            cluster.close()
            raise IndexNotReady(where, f"inconsistent index: {held} documents, meta says {meta.get('records')}"
                                       + _sets_said(question_sets))
        return cls(where, meta, records, columns, segmenter, backend, vectors, embedder, config, questions,
                   question_sets, work_examples)

    def close(self) -> None:
        self._embedding.shutdown(wait=False)
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
        self.check_places(out)
        return out

    def check_places(self, filters: dict) -> None:
        """An unknown province, prefecture, county or township is a 404 on every endpoint, not an
        empty answer: a misspelt place would otherwise read as "nothing there"."""
        for key in REGION_FIELDS:
            for value in filters.get(key, ()):
                if value not in self._places[key]:
                    raise NotFound(f"未找到{PLACE_LABELS[key]}：{value}")

    def scoped(self, q: str, filters: dict[str, list[str]]) -> tuple[str, dict[str, list[str]], dict[str, list[str]]]:
        """(the text to match, the filters to search with, the places taken from the query)."""
        named = self.place_names.find(q) if q else None
        if not named or not named.places:
            return q, filters, {}
        filters, taken = places.scope(named, filters)
        return (named.text if taken else q), filters, taken

    def check_query(self, q) -> str:
        if q is None:
            return ""
        if not isinstance(q, str):
            raise BadRequest("q must be text")
        q = q.strip()
        if len(q) > Q_MAX:
            raise BadRequest(f"query longer than {Q_MAX} characters", "q", "too_long")
        return q

    def _mask(self, filters: dict[str, list[str]]) -> np.ndarray | None:
        return self.columns.mask(filters)

    # ----- search

    def search(self, q: str, mode: str = "hybrid", filters: dict | None = None, page: int = 1, size: int = 10,
               *, depth: int | None = None, explain: bool = False, place_from_query: bool = True) -> dict:
        """Ranked records for a query, with facets over every match and highlights.

        - keyword: BM25 over jieba tokens (+ synonyms); every record containing a query term
          matches; `total` counts them all and facets cover them all.
        - semantic: cosine to the query's embedding; records at or above `semantic_floor` among
          the best `depth` are the matches (pages end there).
        - hybrid: fusion (SearchConfig.fusion: score blend by default, or RRF) of the keyword
          top-`depth` and the semantic matches; the union is the match set (`total`, facets).
        - empty q, or only place names: browse — the filtered records in document order (any mode),
          facets over them.
        `depth` overrides SearchConfig.depth (candidates per side); `explain` adds per-hit ranks.
        Places the query names ("嘎木乡 …") filter the search and are not matched as words
        (`places` in the answer; search/places.py); `place_from_query=False` searches the text as typed.
        """
        started = time.perf_counter()
        if mode not in MODES:
            raise BadRequest(f"unknown mode {mode!r}; one of {', '.join(MODES)}")
        q = self.check_query(q)
        filters = self._filters(filters)
        text, filters, named = self.scoped(q, filters) if place_from_query else (q, filters, {})
        page, size = self.paging(page, size)
        offset = (page - 1) * size
        depth = depth or self.config.depth  # fixed per query, so `total` is the same on every page
        facet_size = self.config.facet_size
        terms = self.segmenter.query_terms(text) if text else None
        result = {"query": q, "mode": mode, "places": named}

        # Semantic search answers from local vectors while a remote keyword side is down; with the
        # whole build in the cluster there is nothing local to fall back on (503 instead).
        degraded = mode == "semantic" and self.local_vectors and not self.keyword.available()
        if not text:
            found = (keyword.browse_columns(self.columns, filters, offset, size) if degraded
                     else self.keyword.browse(filters, offset, size))
            hits = [{"duty": record, "score": 0.0, "highlights": self._highlights(record, ranking.Highlighter(()))}
                    for record in self.records.many(p for p, _ in found.hits)]
            result.update(browse=True, total=found.total, total_relation="eq", page=page, size=size, hits=hits,
                          facets=found.facets(facet_size))
        else:
            if mode == "keyword":
                found = self.keyword_search(terms, filters, offset + size, facet_size=facet_size)
                # only staff wording in common: 没有找到 unless a name is close
                if found.total and self.staff_words_only(terms) and \
                        self.nothing_close(_best(self._semantic(text, filters, 1)), found.total, terms):
                    found = keyword.KeywordResult.empty()
                ranked = ranking.Ranking.of_one_side(found.hits, "keyword")
                total, facets, capped = found.total, found.facets(facet_size), False
            else:
                ranked, capped = self._semantic_ranked(text, terms, filters, depth) if mode == "semantic" else \
                    self._hybrid_ranked(text, terms, filters, depth)
                total, facets = len(ranked), self.columns.facets(ranked.positions, facet_size)
            highlighter = ranking.Highlighter(terms.highlight_terms())
            hits = []
            page_items = ranked[offset:offset + size]
            for item, record in zip(page_items, self.records.many(f.pos for f in page_items)):
                hit = {"duty": record, "score": round(float(item.score), 6),
                       "highlights": self._highlights(record, highlighter)}
                if explain:
                    hit["explain"] = item.explain()
                hits.append(hit)
            # semantic and hybrid matches stop at `depth` a side: a side cut there may have had more
            authorities, other_work = owner.whose_work(self, text, filters)
            result.update(total=total, total_relation="gte" if capped else "eq", page=page, size=size,
                          hits=hits, facets=facets, authorities=authorities, other_work=other_work)
            if explain:
                result["terms"] = {"tokens": terms.tokens, "expansions": terms.expansions,
                                   "keyword_weights": dict(zip(terms.keyword,
                                                               terms.keyword_weights(self.config.expansion_weight))),
                                   "semantic_text": self.semantic_query(text, terms)}
        if degraded:
            result["degraded"] = True
        result["took_ms"] = round((time.perf_counter() - started) * 1000, 2)
        return result

    def keyword_search(self, terms, filters: dict[str, list[str]], limit: int | None,
                       facet_size: int | None = None) -> keyword.KeywordResult:
        """The keyword side for a query's terms (models.segment.QueryTerms): the words typed at
        full weight, their expansions at SearchConfig.expansion_weight."""
        weight = self.config.expansion_weight
        weights = None if weight == 1.0 else terms.keyword_weights(weight)
        return self.keyword.search(terms.keyword, filters, limit, facet_size=facet_size, weights=weights)

    def _semantic_ranked(self, q: str, terms, filters, depth: int) -> tuple[ranking.Ranking, bool]:
        """The semantic matches, and whether `depth` cut them short."""
        sem = self._semantic(q, filters, depth)
        # the keyword count is asked for only when no name is close
        if sem and _best(sem) < self.config.no_match_cosine and \
                self.nothing_close(_best(sem), self._keyword_total(terms, filters), terms):
            sem = []
        return ranking.Ranking.of_one_side(sem, "semantic"), len(sem) >= depth

    def _hybrid_ranked(self, q: str, terms, filters, depth: int) -> tuple[ranking.Ranking, bool]:
        """The fused matches, and whether `depth` cut either side short. The query is embedded and
        searched in the vectors on the engine's side thread while the keyword side runs here."""
        pending = self._embedding.submit(self._semantic, q, filters, depth)
        try:
            kw = self.keyword_search(terms, filters, depth)
        finally:
            sem = pending.result()
        if self.nothing_close(_best(sem), kw.total, terms):
            kw, sem = keyword.KeywordResult.empty(), []
        fused = ranking.fuse(kw.hits, sem, method=self.config.fusion, k=self.config.rrf_k,
                             weight_keyword=self.config.weight_keyword, weight_semantic=self.config.weight_semantic)
        return fused, kw.total > depth or len(sem) >= depth

    def nothing_close(self, best_cosine: float, keyword_total: int, terms) -> bool:
        """No word in common and no name close: search finds nothing rather than the least bad,
        and the owner answer says so (`nothing_close`)."""
        if best_cosine >= self.config.no_match_cosine:
            return False
        return keyword_total == 0 or self.staff_words_only(terms)

    def staff_words_only(self, terms) -> bool:
        """The query shares no word with the lists' text and types a word the index has never seen:
        what it matches, it matches through staff wording alone (火星移民: 移民 in two items'
        questions, 火星 nowhere). A question all of whose words staff wording knows (门牌) is
        understood."""
        typed = [t for t in terms.tokens if len(t) >= 2 or not t.isascii()]
        return not self.segmenter.in_lists(terms.keyword) and not self.segmenter.all_known(typed)

    def paging(self, page, size) -> tuple[int, int]:
        try:
            page, size = int(page), int(size)
        except (TypeError, ValueError):
            raise BadRequest("page and size must be integers") from None
        if page < 1 or page > PAGE_MAX:
            raise BadRequest(f"page must be between 1 and {PAGE_MAX}", "page", "page_out_of_range")
        if size < 1 or size > SIZE_MAX:
            raise BadRequest(f"size must be between 1 and {SIZE_MAX}", "size", "out_of_range")
        return page, size

    def _keyword_total(self, terms, filters) -> int:
        try:
            return self.keyword.search(terms.keyword, filters, 1).total
        except BackendUnavailable:
            return 1  # cannot tell: keep the semantic matches

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
        return self._semantic_matches(self.query_vector(q), filters, depth)

    def _semantic_matches(self, vector: np.ndarray, filters, depth: int) -> list[tuple[int, float]]:
        positions, scores = self.query_vectors.search(vector, depth, self._mask(filters))
        # A match must clear an absolute floor and lie within `semantic_band` of the best one: the
        # cosines of unrelated names sit close together, so a fixed count (the depth) means nothing.
        floor = max(self.config.semantic_floor, (float(scores[0]) if len(scores) else 0.0) - self.config.semantic_band)
        return [(int(p), float(s)) for p, s in zip(positions, scores) if s >= floor]

    def _highlights(self, record: dict, mark: ranking.Highlighter, max_duties: int = 3) -> dict:
        """HTML (escaped, <mark> around matched terms) for the fields a result shows.

        name: the item name; duties: up to `max_duties` duty sentences (departments' and the
        township's) that contain a match; departments: every lead/receiving department;
        township_duties: every one of the township's duties; handling: the recovered item's way
        of working; category; asked: the first of the item's staff questions that holds a match
        (why an item the list words differently was found), else "".
        """
        asked = next((m for m in map(mark, self.questions.get(name_key(record.get("name", "")), ()))
                      if "<mark>" in m), "")
        township_duties = [mark(t) for t in record.get("township_duties", [])]
        handling = mark(record.get("handling", ""))
        # each text is escaped and marked once: a <mark> in the output can only be ours
        department_texts = [mark(d) for dd in record.get("department_duties", []) for d in dd.get("duties", [])]
        candidates = department_texts + township_duties + ([handling] if record.get("handling") else [])
        return {
            "name": mark(record.get("name", "")),
            "category": mark(record.get("category", "")),
            "duties": [t for t in candidates if "<mark>" in t][:max_duties],
            "departments": [mark(d) for d in record_departments(record)],
            "township_duties": township_duties,
            "handling": handling,
            "asked": asked,
        }
    # ----- who owns it, equivalents elsewhere (search/owner.py, search/equivalents.py)

    def owner(self, q: str, townships: list[str] | None = None, region: dict | None = None,
              page: int = 1, size: int | None = None, explain: bool = False, place_from_query: bool = True) -> dict:
        return owner.owner(self, q, townships, region, page, size, explain, place_from_query)

    def similar(self, duty_id: str, k: int = 10, other_townships: bool = True) -> list[dict]:
        return equivalents.similar(self, duty_id, k, other_townships)

    def compare(self, a_township: str, b_township: str, threshold: float | None = None) -> dict:
        return equivalents.compare(self, a_township, b_township, threshold)

    # ----- townships and records

    def township_range(self, region: tuple[str, str, str, str]) -> TownshipRange:
        """The township at (province, prefecture, county, township)."""
        return self._range_of[region]

    def township_starts(self, positions) -> np.ndarray:
        """For each record position, the first position of its township (townships are contiguous)."""
        return self._range_starts[np.searchsorted(self._range_starts, positions, side="right") - 1]

    def resolve_townships(self, names: list[str]) -> list[TownshipRange]:
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

    def one_township(self, name: str) -> TownshipRange:
        found = self.resolve_township(name)
        if len(found) > 1:
            raise BadRequest(f"乡镇名称 {name} 不唯一，请写成 县/乡镇：" + "、".join(f"{t.county}/{t.township}" for t in found))
        return found[0]

    def indexed_tokens(self, pos: int) -> list[str]:
        """The record's keyword tokens over all fields as the build cut them (no jieba at query time)."""
        return " ".join(self.records.tokens(pos).values()).split()

    def indexed_token_sets(self, positions) -> dict[int, frozenset[str]]:
        """`indexed_tokens` of many records as sets, read in one go."""
        return {pos: frozenset(" ".join(fields.values()).split())
                for pos, fields in self.records.tokens_many(positions).items()}

    def get(self, duty_id: str) -> dict | None:
        pos = self.position(duty_id)
        return None if pos is None else self.records[pos]

    def position(self, duty_id) -> int | None:
        return self.records.positions_of([duty_id]).get(duty_id) if isinstance(duty_id, str) else None

    # ----- overview

    def townships(self) -> list[dict]:
        return [t.region() | {"counts": {lt: t.counts.get(lt, 0) for lt in LIST_TYPES}, "total": t.end - t.start}
                for t in self.ranges]

    def health(self) -> dict:
        keyword = self.keyword.health() if hasattr(self.keyword, "health") else {"backend": self.keyword.name}
        return {"loaded": True, "records": len(self.records), "model": self.embedder.name,
                "backend": getattr(self.keyword, "name", "embedded"), "index_dir": self.build_dir.name,
                "built_at": self.meta.get("built_at"), "build_id": self.meta.get("build_id"),
                "faiss": self.vectors.kind, "keyword": keyword, "question_vectors": self._question_count(),
                **({"es": keyword.get("es", "down"), "degraded": not keyword.get("up", False)}
                   if getattr(self.keyword, "name", "") == "elasticsearch" else {})}

    @property
    def query_vectors(self) -> ann.AnnIndex:
        """What a query is scored against: the names' vectors and, as configured, the staff
        questions' beside them (read from the configuration each time, so a copy of the engine
        with other settings answers by them)."""
        if self.question_sets is None or not self.config.question_vectors:
            return self.vectors
        return WithQuestions(self.vectors, self.question_sets, self.config.question_margin)

    def _question_count(self) -> int:
        return len(self.question_sets.vectors) if self.query_vectors is not self.vectors else 0


def _sets_said(sets: QuestionSets | None) -> str:
    return "" if sets is None else f", questions for {len(sets.record_set)} records"


def _best(matches: list[tuple[int, float]]) -> float:
    """The best cosine of semantic matches (best first); none: below any floor."""
    return matches[0][1] if matches else -1.0


def _embedder_for(where, meta: dict, model: str | None, config: SearchConfig):
    """The query model, checked against the one the index was built with."""
    from models.embedding import ModelNotFound, get_embedder

    if meta.get("format") != INDEX_FORMAT:
        raise IndexNotReady(where, f"index format {meta.get('format')} was written by an older version "
                                   f"(this one reads format {INDEX_FORMAT}); rebuild it with "
                                   "`python -m indexer build`")
    built_with = meta.get("model", {})
    # Quantization is how the model runs, not which model: unless configured otherwise, run it
    # the way the index was built (the fingerprint check below still applies).
    options = config.embedder_options()
    options["name"] = model or options["name"]
    options["quantize"] = options["quantize"] or built_with.get("quantize")
    try:
        embedder = get_embedder(**options)
    except (ModelNotFound, OSError, ValueError) as exc:
        raise IndexNotReady(where, f"embedding model unavailable: {exc}") from exc
    if (built_with.get("fingerprint"), built_with.get("dim")) != (embedder.fingerprint, embedder.dim):
        raise IndexNotReady(
            where,
            f"index built with model {built_with.get('name')!r} (dim {built_with.get('dim')}, fingerprint "
            f"{built_with.get('fingerprint')}, quantize {built_with.get('quantize')}) but queries would use "
            f"{embedder.name!r} (dim {embedder.dim}, fingerprint {embedder.fingerprint}, quantize "
            f"{embedder.quantize}); rebuild the index or set TDS_MODEL/TDS_QUANTIZE to match")
    return embedder


_BLAS_LIMITED = False


def _limit_blas_threads(threads: int) -> None:
    """One BLAS thread for the process that serves searches (SearchConfig.blas_threads to change).

    A query's matrix-vector products are tiny; multi-threaded BLAS only adds waiting, and on a
    busy machine spinning threads turn a 0.1 ms product into a scheduler time slice (~10 ms)."""
    global _BLAS_LIMITED
    if _BLAS_LIMITED:
        return
    _BLAS_LIMITED = True
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(threads, user_api="blas")
    except Exception as exc:  # threadpoolctl missing or an unknown BLAS: keep the defaults
        log.info("BLAS thread limit not applied: %s", exc)

