"""The record store of a build held in Elasticsearch: records by position, from `_source`."""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Iterable, Iterator, Sequence

from models.fields import KEYWORD_FIELDS
from search.elastic.cluster import Cluster
from search.store import Positional

CHUNK = 1000


class ClusterRecords(Positional):
    """Records of one index by position, the most recently used `cache_size` kept decoded (a
    build's records never change, so the cache needs no invalidation)."""

    def __init__(self, cluster: Cluster, index: str, count: int, cache_size: int = 50_000):
        self.cluster = cluster
        self.index = index
        self._count = int(count)
        self._cache: OrderedDict[int, dict] = OrderedDict()
        self._tokens: OrderedDict[int, dict] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def __iter__(self) -> Iterator[dict]:
        for start in range(0, self._count, CHUNK):
            yield from self.many(range(start, min(start + CHUNK, self._count)))

    def many(self, positions: Iterable[int]) -> list[dict]:
        """The records at `positions`, in that order (one request per thousand not cached)."""
        positions = [int(p) for p in positions]
        found = self._cached(self._cache, positions)
        missing = [p for p in dict.fromkeys(positions) if p not in found]
        for start in range(0, len(missing), CHUNK):
            docs = self._sources(missing[start:start + CHUNK], ["pos", "record", "tokens"])
            loaded = {doc["pos"]: doc["record"] for doc in docs}
            found.update(loaded)
            self._remember(self._cache, loaded)
            # the owner answer reads the tokens of the records it reads: keep them too
            self._remember(self._tokens, {d["pos"]: _tokens(d) for d in docs})
        try:
            return [found[p] for p in positions]
        except KeyError as exc:
            raise IndexError(exc.args[0]) from None

    def prefetch(self, positions: Iterable[int]) -> None:
        self.many(positions)

    def tokens(self, pos: int) -> dict[str, str]:
        """The record's keyword tokens per field, as the build cut them."""
        pos = int(pos)
        found = self._cached(self._tokens, [pos])
        if pos not in found:
            found = {d["pos"]: _tokens(d) for d in self._sources([pos], ["pos", "tokens"])}
            self._remember(self._tokens, found)
        return found.get(pos, {})

    def positions_of(self, ids: Sequence[str]) -> dict[str, int]:
        """Position of each known duty id (unknown ids are left out)."""
        ids = [i for i in dict.fromkeys(ids) if isinstance(i, str)]
        out: dict[str, int] = {}
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            response = self.cluster.search(self.index, query={"terms": {"id": chunk}}, size=len(chunk),
                                           _source=False, docvalue_fields=["id", "pos"])
            out.update((h["fields"]["id"][0], h["fields"]["pos"][0]) for h in response["hits"]["hits"])
        return out

    def _sources(self, positions: list[int], fields: list[str]) -> list[dict]:
        response = self.cluster.search(self.index, query={"terms": {"pos": positions}}, size=len(positions),
                                       _source=fields)
        return [h["_source"] for h in response["hits"]["hits"]]

    def _cached(self, cache: OrderedDict, positions: list[int]) -> dict:
        with self._lock:
            found = {p: cache[p] for p in positions if p in cache}
            for p in found:
                cache.move_to_end(p)
        return found

    def _remember(self, cache: OrderedDict, loaded: dict) -> None:
        with self._lock:
            cache.update(loaded)
            while len(cache) > self._cache_size:
                cache.popitem(last=False)

    def close(self) -> None:
        self.cluster.close()


def _tokens(doc: dict) -> dict[str, str]:
    return {f: doc.get("tokens", {}).get(f, "") for f in KEYWORD_FIELDS}
