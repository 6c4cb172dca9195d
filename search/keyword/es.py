"""The Elasticsearch keyword backend: keyword ranking, filters and facets on a cluster (selected by
ES_URL; alias ES_INDEX, default `duties`, written by indexer/es_index.py).

It answers the contract of search/keyword/__init__.py. Beside a local build, Elasticsearch's
duty ids are turned into the local record store's positions; serving the whole build from the
cluster (search/elastic/), the documents' `pos` is the position. Facets are a terms aggregation,
in the ranking request when the caller says it will want them (a keyword page), else when asked.
Ranking uses dfs_query_then_fetch by default, so the shard count does not change scores
(tests/eval/es_equivalence.py).

- search: `combined_fields` over tokens.name/category/duties/departments with the field weights of
  SearchConfig.field_weights. combined_fields is BM25F — term frequencies summed across the fields
  with the field weights, one IDF per term — which is what the embedded index computes (FTS5's
  bm25 with column weights: weighted term frequency, one record length); `most_fields` (a sum of per-field BM25 scores) agrees
  less (tests/test_elasticsearch.py prints the overlap; TDS_ES_QUERY_TYPE=most_fields to compare).
  Query terms are the segmenter's tokens and synonym expansions, OR-ed as in the embedded index;
  ties are broken by record position as there.
- filters: bool filter of `terms` clauses on keyword fields (AND across fields, OR within one).
- facets: a `terms` aggregation per facet field over all matches.
- highlights: not from Elasticsearch — the engine marks the original text of the records it holds,
  exactly as with the embedded store.

Faults: the client spreads requests over every node ES_URL lists and retries a failed or
timed-out request on another (es_client.py). When no node answers, BackendUnavailable
("Elasticsearch unreachable at URL"), which the app answers with 503; a missing alias raises it
too, naming the alias. The backend opens without contacting the cluster, so an engine (and
semantic search) starts while Elasticsearch is down; `available()` is a short ping (PING_TIMEOUT)
cached for a second or two, so a hung cluster does not hold semantic search.
"""
from __future__ import annotations

import threading
import time
from typing import Sequence

from models.fields import KEYWORD_FIELDS
from search.errors import BackendUnavailable
from search.vocabulary import FACET_FIELDS, FILTER_FIELDS
from search.keyword import KeywordResult
from search.keyword.es_client import Credentials, call, connect, hosts, node_status

DEFAULT_ALIAS = "duties"
PAGE = 5000
PING_TIMEOUT = 0.5  # seconds: the availability check must not wait out a hung node


def facet_aggregations(size: int) -> dict:
    """A terms aggregation per facet field; each shard counts well past `size` so the merged top
    values are exact at this corpus's value counts."""
    return {f: {"terms": {"field": f, "size": size, "shard_size": max(size * 10, 1000)}} for f in FACET_FIELDS}


def read_facets(response: dict, size: int) -> dict[str, list[dict]]:
    """{field: [{value, count}]}, most first then by value, empty values left out (as search/columns.py)."""
    out = {}
    for f in FACET_FIELDS:
        buckets = [{"value": b["key"], "count": b["doc_count"]}
                   for b in response["aggregations"][f]["buckets"] if b["key"]]
        out[f] = sorted(buckets, key=lambda v: (-v["count"], v["value"]))[:size]
    return out


def open_backend(build_dir, meta: dict, config, records, columns) -> "EsKeywordBackend":
    return EsKeywordBackend(config.es_url, config.es_index or DEFAULT_ALIAS, config.field_weights,
                            build_id=(meta or {}).get("build_id"), query_type=config.es_query_type,
                            timeout=config.es_timeout, records=records, credentials=Credentials.from_config(config),
                            search_type=config.es_search_type)


class EsKeywordBackend:
    name = "elasticsearch"

    def __init__(self, url: str, alias: str = DEFAULT_ALIAS, field_weights: dict | None = None,
                 build_id: str | None = None, query_type: str = "combined_fields", timeout: float = 2.0,
                 client=None, records=None, credentials: Credentials = Credentials(),
                 positions_from_index: bool = False, search_type: str = "dfs_query_then_fetch"):
        self.url = ",".join(hosts(url))
        self.credentials = credentials
        self.alias = alias
        self.build_id = build_id
        self.query_type = query_type
        weights = {f: float((field_weights or {}).get(f, 1.0)) for f in KEYWORD_FIELDS}
        if query_type == "combined_fields":
            # combined_fields takes boosts ≥ 1; scaling all weights keeps their ratios.
            low = min(w for w in weights.values() if w > 0)
            weights = {f: w / low for f, w in weights.items()}
        self.fields = [f"tokens.{f}^{w:g}" for f, w in weights.items() if w > 0]
        self.records = records
        # The whole build in the cluster (search/elastic/): `pos` is the position. Keyword side only:
        # the local build's ids decide, so a record the local build lacks is never shown.
        self.positions_from_index = positions_from_index
        if search_type not in ("query_then_fetch", "dfs_query_then_fetch"):
            raise ValueError(f"unknown search type {search_type!r}")
        self.search_type = search_type
        self.es = client or connect(self.url, credentials, timeout=timeout)
        self._ping_lock = threading.Lock()
        self._ping_at = 0.0
        self._ping_ok = False

    # ----- requests

    def _call(self, fn, **kwargs):
        from elasticsearch import TransportError

        not_found = (f"Elasticsearch index {self.alias!r} not found at {self.url} — "
                     f"run `python -m indexer build --es-url {self.url}`")
        try:
            return call(self.url, fn, not_found, **kwargs)
        except BackendUnavailable as exc:
            if isinstance(exc.__cause__, TransportError):  # no node answers: say so to available()
                self._ping_ok, self._ping_at = False, time.monotonic()
            raise

    def _match(self, terms: Sequence[str], boost: float = 1.0) -> dict:
        text = " ".join(t for t in dict.fromkeys(t.strip() for t in terms) if t)
        if self.query_type == "combined_fields":
            match = {"combined_fields": {"query": text, "fields": self.fields, "operator": "or"}}
        else:
            match = {"multi_match": {"query": text, "fields": self.fields, "type": self.query_type, "operator": "or"}}
        if boost != 1.0:
            next(iter(match.values()))["boost"] = boost
        return match

    def _matches(self, terms: Sequence[str], weights: Sequence[float] | None) -> dict:
        """The terms' match clause; with weights, one clause per weight, boosted by it and summed
        (BM25 is a sum over terms, so each term scores its weight times its score; a term given
        twice keeps its higher weight, as in the embedded index)."""
        best: dict[str, float] = {}
        for i, term in enumerate(terms):
            w = 1.0 if weights is None else float(weights[i])
            best[term] = max(best.get(term, w), w)
        by_weight: dict[float, list[str]] = {}
        for term, w in best.items():
            by_weight.setdefault(w, []).append(term)
        if len(by_weight) == 1:
            return self._match(terms, next(iter(by_weight)))
        return {"bool": {"should": [self._match(ts, w) for w, ts in by_weight.items()]}}

    def _query(self, terms: Sequence[str] | None, filters: dict[str, list[str]],
               weights: Sequence[float] | None = None) -> dict:
        clauses = []
        for key, values in (filters or {}).items():
            if not values:
                continue
            if key not in FILTER_FIELDS:
                raise ValueError(f"unknown filter {key!r}")
            clauses.append({"terms": {key: list(values)}})
        query: dict = {"bool": {"filter": clauses}}
        if terms is not None:
            query["bool"]["must"] = [self._matches(terms, weights)]
        return query

    @staticmethod
    def _has_terms(terms) -> bool:
        return any(t.strip() for t in terms)

    # ----- KeywordBackend

    count = None  # the cluster's count is in health(); the engine checks the local build's

    def search(self, terms: Sequence[str], filters: dict[str, list[str]], limit: int | None,
               facet_size: int | None = None, weights: Sequence[float] | None = None) -> KeywordResult:
        ids, total, facets = self._ranked(terms, filters, limit, facet_size, weights)

        def facets_of(size: int) -> dict:
            return facets if facets is not None and size == facet_size else self.facets(terms, filters, size)

        return KeywordResult(self._positions(ids), total, facets_of)

    def browse(self, filters: dict[str, list[str]], offset: int, limit: int) -> KeywordResult:
        ids, total = self.browse_ids(filters, offset, limit)
        return KeywordResult(self._positions([(i, 0.0, p) for i, p in ids]), total,
                             lambda size: self.facets(None, filters, size))

    def _positions(self, hits: list[tuple[str, float, int]]) -> list[tuple[int, float]]:
        if self.positions_from_index:
            return [(p, s) for _, s, p in hits]
        known = self.records.positions_of([i for i, _, _ in hits])
        return [(known[i], s) for i, s, _ in hits if i in known]

    def search_ids(self, terms: Sequence[str], filters: dict[str, list[str]], limit: int | None,
                   weights: Sequence[float] | None = None) -> tuple[list[tuple[str, float, int]], int]:
        """Best-first (duty id, score, position) and the number of matches."""
        return self._ranked(terms, filters, limit, None, weights)[:2]

    def _ranked(self, terms, filters, limit, facet_size: int | None = None, weights: Sequence[float] | None = None):
        """search_ids, and with `facet_size` the facets too, from the same first request (one round
        trip fewer for a keyword page, which shows both)."""
        if not self._has_terms(terms):
            return [], 0, ({f: [] for f in FACET_FIELDS} if facet_size else None)
        query = self._query(terms, filters, weights)
        sort = [{"_score": "desc"}, {"pos": "asc"}]
        want = limit
        hits: list[tuple[str, float, int]] = []
        after = None
        total, facets = 0, None
        while True:
            size = PAGE if want is None else min(PAGE, max(want - len(hits), 0))
            body = dict(index=self.alias, query=query, sort=sort, size=size, track_total_hits=after is None,
                        allow_partial_search_results=False, search_type=self.search_type,
                        _source=False, docvalue_fields=["id", "pos"])
            if after is not None:
                body["search_after"] = after
            elif facet_size:
                body["aggs"] = facet_aggregations(facet_size)
            response = self._call(self.es.search, **body)
            if after is None:
                total = response["hits"]["total"]["value"]
                if facet_size:
                    facets = read_facets(response, facet_size)
            page = response["hits"]["hits"]
            hits.extend((hit["fields"]["id"][0], float(hit["_score"]), hit["fields"]["pos"][0]) for hit in page)
            if not page or len(page) < size or (want is not None and len(hits) >= want):
                break
            after = page[-1]["sort"]
        return hits, total, facets

    def facets(self, terms, filters, size):
        if terms is not None and not self._has_terms(terms):
            return {f: [] for f in FACET_FIELDS}
        response = self._call(self.es.search, index=self.alias, query=self._query(terms, filters), size=0,
                              aggs=facet_aggregations(size), track_total_hits=False,
                              allow_partial_search_results=False)
        return read_facets(response, size)

    def browse_ids(self, filters, offset, limit):
        response = self._call(self.es.search, index=self.alias, query=self._query(None, filters),
                              sort=[{"pos": "asc"}], from_=offset, size=limit, track_total_hits=True,
                              allow_partial_search_results=False,
                              _source=False, docvalue_fields=["id", "pos"])
        return ([(h["fields"]["id"][0], h["fields"]["pos"][0]) for h in response["hits"]["hits"]],
                response["hits"]["total"]["value"])

    # ----- state

    def bind(self, records) -> None:
        self.records = records

    def available(self, max_age: float = 2.0) -> bool:
        """Is the cluster reachable? (a ping, cached for `max_age` seconds)"""
        now = time.monotonic()
        if now - self._ping_at < max_age:
            return self._ping_ok
        with self._ping_lock:
            if now - self._ping_at < max_age:
                return self._ping_ok
            try:
                self._ping_ok = bool(self.es.options(request_timeout=PING_TIMEOUT).ping())
            except Exception:
                self._ping_ok = False
            self._ping_at = time.monotonic()
            return self._ping_ok

    def health(self) -> dict:
        out = {"backend": self.name, "url": self.url, "alias": self.alias, "query": self.query_type,
               "nodes_answering": node_status(self.url, self.credentials, PING_TIMEOUT)}
        try:
            cluster = self.es.options(request_timeout=5).cluster.health()
            out.update(up=True, es="up", cluster=cluster.get("cluster_name"), status=cluster.get("status"),
                       nodes=cluster.get("number_of_nodes"))
        except Exception as exc:
            out.update(up=False, es="down", error=f"Elasticsearch unreachable at {self.url}: {type(exc).__name__}")
            self._ping_ok, self._ping_at = False, time.monotonic()
            return out
        try:
            # an alias (the keyword side of a local build) or the index a cluster-served engine opened
            indexes = list(self.es.options(request_timeout=5).indices.get(index=self.alias, features="aliases"))
            out["index"] = indexes[0] if len(indexes) == 1 else indexes
            out["records"] = self.es.options(request_timeout=5).count(index=self.alias)["count"]
            hit = self.es.options(request_timeout=5).search(index=self.alias, size=1, _source=False, docvalue_fields=["build_id"])["hits"]["hits"]
            out["build_id"] = hit[0]["fields"]["build_id"][0] if hit else None
            out["same_build"] = out["build_id"] == self.build_id if self.build_id else None
        except Exception as exc:
            out.update(up=False, error=f"alias {self.alias!r} unusable at {self.url}: {type(exc).__name__}")
        self._ping_ok, self._ping_at = out["up"], time.monotonic()
        return out

    def close(self) -> None:
        try:
            self.es.close()
        except Exception:
            pass
