"""ANN indexes: one contract, chosen by configuration (SearchConfig.ann_backend).

An index holds one L2-normalized vector per record, its id the record's position:

    search(vector, k, allowed=None) -> (positions, scores)   # best first; `allowed` a bool mask
    search_range(vector, k, start, end) -> (positions, scores)  # one township's contiguous range
    range_cosines(vector, [(start, end), …]) -> [cosines of every record in the range]  # owner
    cosines_among(vector, positions, allowed, limit) -> (the first `limit` admitted positions, cosines)
    vector(pos) ; vectors(start, end) ; vectors_at(positions) ; count ; kind

search/elastic/vectors.py answers the same calls from an Elasticsearch cluster. Queries are scored
through search/ann/questions.py WithQuestions, which adds the staff questions' vectors around either.

A backend is a module in this package with `open_index(build_dir, config)` and `write_index(
vectors, build_dir, config, kind)`; add it to BACKENDS to make it selectable.
"""
from __future__ import annotations

import importlib
from typing import Protocol

import numpy as np

BACKENDS = {"faiss": "search.ann.faiss_index"}


class AnnIndex(Protocol):
    count: int
    kind: str

    def search(self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]: ...
    def search_range(self, vector: np.ndarray, k: int, start: int, end: int) -> tuple[np.ndarray, np.ndarray]: ...
    def range_cosines(self, vector: np.ndarray, ranges: list[tuple[int, int]]) -> list[np.ndarray]: ...
    def cosines_among(self, vector: np.ndarray, positions: np.ndarray, allowed=None, limit: int | None = None
                      ) -> tuple[np.ndarray, np.ndarray]: ...
    def vector(self, pos: int) -> np.ndarray: ...
    def vectors(self, start: int, end: int) -> np.ndarray: ...
    def vectors_at(self, positions: np.ndarray) -> np.ndarray: ...


def backend(kind: str):
    if kind not in BACKENDS:
        raise ValueError(f"unknown ANN backend {kind!r}; one of {', '.join(BACKENDS)}")
    return importlib.import_module(BACKENDS[kind])


def open_index(kind: str, build_dir, config) -> AnnIndex:
    return backend(kind).open_index(build_dir, config)
