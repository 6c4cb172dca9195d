"""The vectors of a build held in Elasticsearch: kNN with filters, under the ANN contract
(search/ann/__init__.py).

The field is an int8-quantized HNSW `dense_vector` with cosine similarity; every kNN request
re-scores its candidates with the raw floats (`rescore_vector`), so the cosines the engine
compares with its floors are the same numbers the embedded FAISS index gives, not quantized ones.
Elasticsearch scores a cosine c as (1 + c) / 2; it is turned back here.
"""
from __future__ import annotations

import numpy as np

from search.elastic.cluster import Cluster
from search.elastic.columns import positions_clause

CANDIDATES = 4.0      # HNSW candidates per shard, as a multiple of k (more: better recall, slower)
OVERSAMPLE = 2.0      # candidates re-scored with the raw floats, as a multiple of k
KNN_MAX = 10_000      # Elasticsearch's ceiling on k and num_candidates
TIE_MARGIN = 10       # hits fetched beyond k, so records with the same text tie-break by position


class ClusterVectors:
    kind = "elasticsearch int8_hnsw"
    remote = True

    def __init__(self, cluster: Cluster, index: str, count: int, dim: int):
        self.cluster = cluster
        self.index = index
        self.count = int(count)
        self.dim = int(dim)

    def _knn(self, vector: np.ndarray, k: int, clause: dict | None) -> dict:
        k = max(1, min(int(k), KNN_MAX))
        knn = {"field": "vector", "query_vector": np.asarray(vector, dtype=np.float32).tolist(), "k": k,
               "num_candidates": min(max(int(k * CANDIDATES), 100), KNN_MAX),
               "rescore_vector": {"oversample": OVERSAMPLE}}
        if clause is not None:
            knn["filter"] = clause
        return {"knn": knn, "size": k, "_source": False, "docvalue_fields": ["pos"]}

    @staticmethod
    def _hits(response: dict, k: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        hits = response["hits"]["hits"]
        positions = np.fromiter((h["fields"]["pos"][0] for h in hits), dtype=np.int64, count=len(hits))
        scores = np.fromiter((2.0 * h["_score"] - 1.0 for h in hits), dtype=np.float32, count=len(hits))
        order = np.lexsort((positions, -scores))[:k]  # ties by position, as the embedded index
        return positions[order], scores[order]

    def search(self, vector: np.ndarray, k: int, allowed=None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (positions, cosines), best first; `allowed` None, a filter or a boolean mask."""
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        # A few more than k: records with the same text have the same cosine, and which of them make
        # the cut must not depend on the shard they sit in (the lowest positions do, as embedded).
        wanted = k + max(TIE_MARGIN, k // 5)
        return self._hits(self.cluster.search(self.index, **self._knn(vector, wanted, positions_clause(allowed))), k)

    def search_range(self, vector: np.ndarray, k: int, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, end - start)
        wanted = min(k + max(TIE_MARGIN, k // 5), end - start)
        return self._hits(self.cluster.search(self.index, **self._knn(vector, wanted, _range(start, end))), k)

    def range_cosines(self, vector: np.ndarray, ranges: list[tuple[int, int]]) -> list[np.ndarray]:
        """Every record's cosine to `vector` in each [start, end) range (one township each), in one
        multi-search: the township is filtered down to fewer records than k, so the search is exact."""
        if not ranges:
            return []
        searches = []
        for start, end in ranges:
            searches += [{"index": self.index, "allow_partial_search_results": False}, self._knn(vector, end - start, _range(start, end))]
        responses = self.cluster.call(self.cluster.es.msearch, searches=searches)["responses"]
        out = []
        for (start, end), response in zip(ranges, responses):
            if "error" in response:  # one search of the batch failed (a node lost mid-way): alone, with retries
                response = self.cluster.search(self.index, **self._knn(vector, end - start, _range(start, end)))
            cosines = np.full(end - start, -1.0, dtype=np.float32)
            positions, scores = self._hits(response)
            cosines[positions - start] = scores
            out.append(cosines)
        return out

    def cosines_among(self, vector: np.ndarray, positions: np.ndarray, allowed=None,
                      limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The first `limit` of `positions` that `allowed` admits, in their order, with cosines: one
        exact kNN a 10,000 positions, filtered to them (and to `allowed`)."""
        positions = np.asarray(positions, dtype=np.int64)
        cosine = {}
        clause = positions_clause(allowed)
        for start in range(0, len(positions), KNN_MAX):
            part = positions[start:start + KNN_MAX]
            only = {"terms": {"pos": part.tolist()}}
            found, scores = self._hits(self.cluster.search(self.index, **self._knn(
                vector, len(part), only if clause is None else {"bool": {"filter": [only, clause]}})))
            cosine.update(zip(found.tolist(), scores.tolist()))
            if limit is not None and len(cosine) >= limit:
                break
        kept = np.array([p for p in positions.tolist() if p in cosine][:limit], dtype=np.int64)
        return kept, np.array([cosine[p] for p in kept.tolist()], dtype=np.float32)

    def vector(self, pos: int) -> np.ndarray:
        return self.vectors(pos, pos + 1)[0]

    def vectors_at(self, positions: np.ndarray) -> np.ndarray:
        """The stored vectors of the given positions, in their order (one search per 1,000)."""
        positions = [int(p) for p in positions]
        out = np.zeros((len(positions), self.dim), dtype=np.float32)
        row_of: dict[int, list[int]] = {}
        for i, p in enumerate(positions):
            row_of.setdefault(p, []).append(i)
        wanted = list(row_of)
        for chunk in range(0, len(wanted), 1000):
            part = wanted[chunk:chunk + 1000]
            response = self.cluster.search(self.index, query={"terms": {"pos": part}}, size=len(part),
                                           _source=["pos", "vector"])
            for hit in response["hits"]["hits"]:
                out[row_of[hit["_source"]["pos"]]] = hit["_source"]["vector"]
        return out

    def vectors(self, start: int, end: int) -> np.ndarray:
        """The stored vectors of positions [start, end), in order."""
        out = np.zeros((max(end - start, 0), self.dim), dtype=np.float32)
        for chunk in range(start, end, 1000):
            stop = min(chunk + 1000, end)
            response = self.cluster.search(self.index, query=_range(chunk, stop), size=stop - chunk,
                                           _source=["pos", "vector"])
            for hit in response["hits"]["hits"]:
                out[hit["_source"]["pos"] - start] = hit["_source"]["vector"]
        return out


def _range(start: int, end: int) -> dict:
    return {"range": {"pos": {"gte": int(start), "lt": int(end)}}}
