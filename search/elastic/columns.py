"""Filters, facets and township ranges of a build held in Elasticsearch.

The same calls as search/columns.py, answered by the cluster: a filter is a query clause (which
the vectors' kNN and the keyword query take as their filter) rather than a boolean mask, and
facets are terms aggregations over the given positions.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from search.columns import TownshipRange
from search.elastic.cluster import Cluster
from search.keyword.es import facet_aggregations, read_facets


@dataclass(frozen=True)
class ClusterFilter:
    """Records passing the filters, as an Elasticsearch query clause."""

    clause: dict


def filter_clause(filters: dict[str, list[str]]) -> dict:
    return {"bool": {"filter": [{"terms": {field: list(values)}} for field, values in filters.items() if values]}}


def positions_clause(allowed) -> dict | None:
    """A query clause for an `allowed` argument of the ANN contract: None, a ClusterFilter, or a
    boolean mask over positions (turned into position ranges: owner masks are whole townships)."""
    if allowed is None:
        return None
    if isinstance(allowed, ClusterFilter):
        return allowed.clause
    mask = np.asarray(allowed, dtype=bool)
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
    ranges = [{"range": {"pos": {"gte": int(s), "lt": int(e)}}} for s, e in zip(edges[::2], edges[1::2])]
    return {"bool": {"should": ranges, "minimum_should_match": 1}} if ranges else {"match_none": {}}


class ClusterColumns:
    def __init__(self, cluster: Cluster, index: str, records, townships: list[dict]):
        self.cluster = cluster
        self.index = index
        self.records = records
        self.count = len(records)
        self._townships = townships

    def value(self, field: str, pos: int) -> str:
        return self.records[pos].get(field, "")

    def mask(self, filters: dict[str, list[str]]) -> ClusterFilter | None:
        return ClusterFilter(filter_clause(filters)) if filters else None

    def facets(self, positions, size: int) -> dict[str, list[dict]]:
        positions = [int(p) for p in np.asarray(positions).tolist()]
        response = self.cluster.search(self.index, query={"terms": {"pos": positions}}, size=0,
                                       aggs=facet_aggregations(size), track_total_hits=False)
        return read_facets(response, size)

    def township_ranges(self) -> list[TownshipRange]:
        return [TownshipRange(*t["region"], t["start"], t["end"], dict(t["counts"])) for t in self._townships]
