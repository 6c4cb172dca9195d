"""Space-joined token texts → term ids, compiled (numba): the BM25 writer's tokenizer.

The indexer hands the writer each record's fields as jieba tokens joined by spaces. Splitting
them with `str.split` and looking every token up in a dict made a Python string and a dict probe
per token — 60 million of each at a million records, half the write time. Here the texts are
encoded to UTF-8 once and a compiled loop cuts them where `str.split()` would (every code point
`str.isspace` accepts) and finds each token's id in an open-addressing table of the term bytes.
Ids are handed out in order of first appearance, as `dict.fromkeys` over the split tokens would,
so the index files are the same byte for byte. Compiled on first use and cached beside this file.
"""
from __future__ import annotations

import numpy as np
from numba import njit

_SPACE_CODES = [c for c in range(0x3001) if chr(c).isspace()]  # str.isspace's last code point is U+3000
SPACE = np.zeros(0x3001, dtype=np.bool_)
SPACE[_SPACE_CODES] = True
_FNV_OFFSET, _FNV_PRIME = np.uint64(14695981039346656037), np.uint64(1099511628211)


class TermTable:
    """Every term seen so far and its id (first seen, first numbered), in arrays the compiled loop grows."""

    def __init__(self, capacity: int = 1 << 11) -> None:
        if capacity < 1 or capacity & (capacity - 1):
            raise ValueError("capacity must be a power of two")
        self._slots = np.full(2 * capacity, -1, dtype=np.int32)  # open addressing: term id or -1
        self._hashes = np.zeros(capacity, dtype=np.uint64)
        self._starts = np.zeros(capacity + 1, dtype=np.int64)  # term t is vocab[starts[t]:starts[t + 1]]
        self._vocab = np.zeros(8 * capacity, dtype=np.uint8)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def ids(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """The term id of every token of the texts in order (int32), and how many tokens each text holds."""
        encoded = [text.encode("utf-8") for text in texts]
        ends = np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)))
        buf = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        sizes = _token_counts(buf, ends, SPACE)
        ids, self._slots, self._hashes, self._starts, self._vocab, self._n = _term_ids(
            buf, ends, int(sizes.sum()), SPACE, self._slots, self._hashes, self._starts, self._vocab, self._n)
        return ids, sizes

    def terms(self) -> list[str]:
        """Every term, in id order."""
        vocab, starts = self._vocab.tobytes(), self._starts
        return [vocab[starts[t]:starts[t + 1]].decode("utf-8") for t in range(self._n)]


@njit(cache=True)
def _char(buf, i):
    """(code point, byte length) of the UTF-8 character starting at buf[i]."""
    b = np.int64(buf[i])
    if b < 0x80:
        return b, 1
    if b < 0xE0:
        return ((b & 0x1F) << 6) | (np.int64(buf[i + 1]) & 0x3F), 2
    if b < 0xF0:
        return ((b & 0x0F) << 12) | ((np.int64(buf[i + 1]) & 0x3F) << 6) | (np.int64(buf[i + 2]) & 0x3F), 3
    return (((b & 0x07) << 18) | ((np.int64(buf[i + 1]) & 0x3F) << 12) | ((np.int64(buf[i + 2]) & 0x3F) << 6)
            | (np.int64(buf[i + 3]) & 0x3F)), 4


@njit(cache=True)
def _token_counts(buf, ends, space):
    sizes = np.zeros(len(ends), dtype=np.int64)
    start = 0
    for t in range(len(ends)):
        i, inside = start, False
        while i < ends[t]:
            code, width = _char(buf, i)
            if code < len(space) and space[code]:
                inside = False
            elif not inside:
                inside = True
                sizes[t] += 1
            i += width
        start = ends[t]
    return sizes


@njit(cache=True)
def _term_ids(buf, ends, n_tokens, space, slots, hashes, starts, vocab, n):
    ids = np.empty(n_tokens, dtype=np.int32)
    k, start = 0, 0
    for t in range(len(ends)):
        i = start
        while i < ends[t]:
            code, width = _char(buf, i)
            if code < len(space) and space[code]:
                i += width
                continue
            first, h = i, _FNV_OFFSET
            while i < ends[t]:
                code, width = _char(buf, i)
                if code < len(space) and space[code]:
                    break
                for j in range(i, i + width):
                    h = (h ^ np.uint64(buf[j])) * _FNV_PRIME
                i += width
            slot = _slot(buf, first, i, h, slots, hashes, starts, vocab)
            if slots[slot] < 0:  # a new term: number it, growing the table where it is full
                if n + 1 >= len(hashes):
                    size = 2 * len(hashes)
                    hashes, starts = _grown(hashes, size), _grown(starts, size + 1)
                used = starts[n]
                if used + i - first > len(vocab):
                    vocab = _grown(vocab, 2 * (len(vocab) + i - first))
                vocab[used:used + i - first] = buf[first:i]
                hashes[n], starts[n + 1] = h, used + i - first
                slots[slot] = n
                n += 1
                if 2 * n > len(slots):
                    slots = _rehashed(hashes, n, 2 * len(slots))
                ids[k] = n - 1
            else:
                ids[k] = slots[slot]
            k += 1
        start = ends[t]
    return ids, slots, hashes, starts, vocab, n


@njit(cache=True)
def _slot(buf, first, end, h, slots, hashes, starts, vocab):
    """The slot holding the term buf[first:end], or the empty slot where it belongs."""
    mask = len(slots) - 1
    slot = np.int64(h & np.uint64(mask))
    while slots[slot] >= 0:
        term = slots[slot]
        if hashes[term] == h and starts[term + 1] - starts[term] == end - first:
            same = True
            for j in range(end - first):
                if vocab[starts[term] + j] != buf[first + j]:
                    same = False
                    break
            if same:
                return slot
        slot = (slot + 1) & mask
    return slot


@njit(cache=True)
def _grown(values, size):
    out = np.zeros(size, dtype=values.dtype)
    out[:len(values)] = values
    return out


@njit(cache=True)
def _rehashed(hashes, n, size):
    slots = np.full(size, -1, dtype=np.int32)
    mask = size - 1
    for term in range(n):
        slot = np.int64(hashes[term] & np.uint64(mask))
        while slots[slot] >= 0:
            slot = (slot + 1) & mask
        slots[slot] = term
    return slots
