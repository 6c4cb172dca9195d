"""The BM25 query loop, compiled (numba): add up the postings of a query's terms, keep the best k.

numpy can only do this with whole-index arrays (a dense score array of every record, a scan of it
for the matches) or with a sort of every posting; either costs time in proportion to the index or
to m log m. Here one pass over the query's postings adds each contribution into a per-thread score
array and notes each record the first time it is seen; the best k come from a bounded heap over
the records seen, and the arrays are cleared record by record afterwards. Work follows the
postings, whatever the size of the index. The match set comes back in the order the records were
first seen; the caller sorts it only if it needs it sorted (counting facets does not).

Scores are float32 sums taken term by term in the order given, exactly as numpy's dense path adds
them (`Bm25Index.search_numpy`, tested equal to the last bit); ties break on the lower position.

`numba` compiles on first use and caches the machine code beside this file (`cache=True`), so a
process pays the compile (a few seconds) once per checkout, not per start.
"""
from __future__ import annotations

import threading

import numpy as np
from numba import njit

_local = threading.local()


class Buffers:
    """One thread's scratch arrays for an index of `n` records (cleared after every query)."""

    def __init__(self, n: int):
        self.scores = np.zeros(n, dtype=np.float32)
        self.seen = np.zeros(n, dtype=np.bool_)
        self.touched = np.empty(n, dtype=np.int32)


def buffers(n: int) -> Buffers:
    """This thread's scratch arrays for an index of `n` records."""
    cached = getattr(_local, "by_size", None)
    if cached is None:
        cached = _local.by_size = {}
    if n not in cached:
        cached.clear()  # an index of another size replaced this one: keep one set per thread
        cached[n] = Buffers(n)
    return cached[n]


def warm_up() -> None:
    """Compile (or load from the cache) before the first query needs it, with the argument types
    real queries use, filtered and not."""
    indptr = np.array([0, 2], dtype=np.int64)
    docs = np.array([0, 1], dtype=np.int32)
    contrib = np.ones(2, dtype=np.float32)
    scratch = Buffers(2)
    for mask in (None, np.ones(2, dtype=np.bool_)):
        score(indptr, docs, contrib, np.zeros(1, dtype=np.int64), np.ones(1, dtype=np.float32), mask, 1, scratch)


def score(indptr: np.ndarray, docs: np.ndarray, contrib: np.ndarray, terms: np.ndarray, weights: np.ndarray,
          mask: np.ndarray | None, k: int, scratch: Buffers) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(top positions, their scores, every matching position in no set order) for the OR of
    `terms`, each posting's contribution times its term's weight (float32), among the records
    `mask` allows (None: all); the top is the best `k` (k < 0: every match), by score descending
    then position ascending."""
    use_mask = mask is not None
    mask = mask if use_mask else np.zeros(1, dtype=np.bool_)
    return _score(indptr, docs, contrib, terms.astype(np.int64, copy=False), weights.astype(np.float32, copy=False),
                  mask, use_mask, k, scratch.scores, scratch.seen, scratch.touched)


@njit(nogil=True, cache=True)
def _score(indptr, docs, contrib, terms, weights, mask, use_mask, k, scores, seen, touched):
    m = 0
    for i in range(len(terms)):
        t = terms[i]
        w = weights[i]
        for j in range(indptr[t], indptr[t + 1]):
            d = docs[j]
            if use_mask and not mask[d]:
                continue
            if not seen[d]:
                seen[d] = True
                touched[m] = d
                m += 1
            scores[d] += w * contrib[j]
    every = touched[:m].copy()
    if k == 0:
        top = np.empty(0, dtype=np.int32)
    elif k < 0 or k >= m:
        top = every.copy()
    else:
        top = _best_k(every, scores, k)
    top_scores = np.empty(len(top), dtype=np.float32)
    for i in range(len(top)):
        top_scores[i] = scores[top[i]]
    order = _by_score(top, top_scores)
    for i in range(m):
        d = touched[i]
        scores[d] = 0.0
        seen[d] = False
    return top[order], top_scores[order], every


@njit(nogil=True, cache=True)
def _worse(s1, p1, s2, p2):
    """Is (s1, p1) ranked below (s2, p2)? Higher score first, then lower position."""
    return s1 < s2 or (s1 == s2 and p1 > p2)


@njit(nogil=True, cache=True)
def _best_k(positions, scores, k):
    """The k best positions (any order) with a min-heap whose root is the worst kept."""
    heap = np.empty(k, dtype=np.int32)
    size = 0
    for p in positions:
        s = scores[p]
        if size < k:
            heap[size] = p
            i = size
            size += 1
            while i > 0:  # sift up: the worst rises to the root
                parent = (i - 1) // 2
                if _worse(scores[heap[i]], heap[i], scores[heap[parent]], heap[parent]):
                    heap[i], heap[parent] = heap[parent], heap[i]
                    i = parent
                else:
                    break
        elif _worse(scores[heap[0]], heap[0], s, p):
            heap[0] = p
            i = 0
            while True:  # sift down
                left, right, low = 2 * i + 1, 2 * i + 2, i
                if left < k and _worse(scores[heap[left]], heap[left], scores[heap[low]], heap[low]):
                    low = left
                if right < k and _worse(scores[heap[right]], heap[right], scores[heap[low]], heap[low]):
                    low = right
                if low == i:
                    break
                heap[i], heap[low] = heap[low], heap[i]
                i = low
    return heap[:size]


@njit(nogil=True, cache=True)
def _by_score(positions, scores):
    """Order of positions by score descending, then position ascending."""
    keys = np.empty(len(positions), dtype=np.float64)
    order = np.argsort(positions, kind="mergesort")
    # a stable sort by descending score of positions already ascending keeps ties by position
    for i in range(len(order)):
        keys[i] = -scores[order[i]]
    return order[np.argsort(keys, kind="mergesort")]
