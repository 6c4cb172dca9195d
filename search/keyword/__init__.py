"""Keyword backends: one contract, chosen by configuration (SearchConfig.keyword_backend).

Every backend answers the same calls with the same types, so the engine never asks which one
it holds:

    search(terms, filters, limit, facet_size=None, weights=None) -> KeywordResult
                                                   # OR of the terms, ranked by BM25(F), each term's
                                                   # score times its weight (default 1);
                                                   # facet_size: the facets the caller will ask for
    browse(filters, offset, limit) -> KeywordResult  # filtered records in index order, score 0
    available() -> bool ; health() -> dict ; close() ; count (records held, or None)
    bind(records)  # the engine's record store, to turn a remote backend's ids into positions

Positions are the record store's positions; `filters` maps a FILTER_FIELDS name to the values
allowed (OR within a field, AND across fields). A backend is one module in this package with
`open_backend(build_dir, meta, config, records, columns)`; add it to BACKENDS to make it selectable.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable, Protocol, Sequence

import numpy as np

BACKENDS = {"bm25": "search.keyword.bm25", "elasticsearch": "search.keyword.es"}


@dataclass
class KeywordResult:
    """The best `limit` (position, score) best first, how many records match, and their facets."""

    hits: list[tuple[int, float]]
    total: int
    _facets: Callable[[int], dict] = field(repr=False, default=lambda size: {})

    def facets(self, size: int) -> dict[str, list[dict]]:
        """{field: [{value, count}]} over every match, the `size` most frequent values of each."""
        return self._facets(size)

    @classmethod
    def empty(cls) -> "KeywordResult":
        return cls([], 0)


class KeywordBackend(Protocol):
    name: str
    count: int | None

    def search(self, terms: Sequence[str], filters: dict[str, list[str]], limit: int | None,
               facet_size: int | None = None, weights: Sequence[float] | None = None) -> KeywordResult: ...
    def browse(self, filters: dict[str, list[str]], offset: int, limit: int) -> KeywordResult: ...
    def bind(self, records) -> None: ...
    def available(self) -> bool: ...
    def health(self) -> dict: ...
    def close(self) -> None: ...


def open_backend(kind: str, build_dir, meta: dict, config, records, columns) -> KeywordBackend:
    """The backend named `kind` (a key of BACKENDS) over the build in `build_dir`."""
    if kind not in BACKENDS:
        raise ValueError(f"unknown keyword backend {kind!r}; one of {', '.join(BACKENDS)}")
    return importlib.import_module(BACKENDS[kind]).open_backend(build_dir, meta, config, records, columns)


def browse_columns(columns, filters: dict[str, list[str]], offset: int, limit: int) -> KeywordResult:
    """Browse answered from the local filter columns (the embedded backend; semantic mode when a
    remote backend is down)."""
    mask = columns.mask(filters)
    matched = np.flatnonzero(mask) if mask is not None else np.arange(columns.count)
    return KeywordResult([(int(p), 0.0) for p in matched[offset:offset + limit]], int(len(matched)),
                         lambda size: columns.facets(matched, size))
