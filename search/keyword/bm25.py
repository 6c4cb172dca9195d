"""The embedded keyword index: BM25 over jieba tokens, as postings in numpy arrays.

Scores are SQLite FTS5's `bm25()` with column weights, term for term (tests/test_keyword_bm25.py
checks them against a real FTS5 table): for a query term t and a record d,

    idf(t) · f·(k1 + 1) / (f + k1·(1 − b + b·|d| / avgdl)),   f = Σ_field weight · count of t in field

with k1 = 1.2, b = 0.75, |d| the record's token count over all fields, idf = ln((N − n + ½)/(n + ½))
and 1e-6 where that is not positive. A record's score is the sum over the query terms it contains.

Why not FTS5 itself (the first version of this store): FTS5 decodes and scores every posting of
every OR-ed term row by row, and counting and faceting the matches took more SQL passes. At a
million records keyword search took 0.7 s at the median and 4.2 s at p99 (bench/README.md). Here each
term's contribution to each record is computed once when the index is opened (the formula above
does not depend on the other query terms), so a query only adds up the postings of its terms —
in one compiled pass (search/keyword/scoring.py; `Bm25Index.matches` is the numpy reference) —
and the engine facets the match set with numpy.
Libraries such as bm25s do the same for one field; none weighs fields the way FTS5 does.

Files in `bm25/` of a build folder (written by `write_index`):

    terms.json    the vocabulary, in term-id order
    indptr.npy    int64 [terms + 1]: term t's postings are [indptr[t], indptr[t+1])
    docs.npy      int32 [postings]: record positions, ascending within a term
    tf.npy        uint16 [postings, fields]: occurrences per field (models/fields.py KEYWORD_FIELDS)
    doc_len.npy   int32 [records]: tokens per record over all fields

Field weights are applied when the index is opened, so TDS_FIELD_WEIGHTS needs no rebuild.
"""
from __future__ import annotations

import json
import shutil
from itertools import chain
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from models.fields import KEYWORD_FIELDS
from search.keyword import KeywordResult, browse_columns, postings, scoring
from search.keyword.tokens import TermTable

FOLDER = "bm25"
K1, B = 1.2, 0.75
_MIN_IDF = 1e-6
_CHUNK = 100_000  # records per pass when writing, to bound memory at millions of records
_KEY_BASE = 1 << 32  # a posting's sort key is term · 2³² + position (positions fit int32)
DENSE_SHARE = 4  # a query whose postings reach a quarter of the records is scored densely (measured: bench/peers.py)


# ----- writing


def write_index(folder: Path, tokens: Iterable[dict[str, str]]) -> dict:
    """Write the postings of `tokens` (per record, each field's space-joined tokens) into `folder`.

    Memory stays near one chunk's postings plus the output: each chunk of records is cut into
    postings sorted by (term, position) and set aside on disk; once every term's posting count
    is known, each chunk's postings are copied into their term's slice of the output files
    (chunks hold ascending positions, so every term's positions come out ascending).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    runs = folder / ".runs"
    runs.mkdir(exist_ok=True)
    table = TermTable()
    doc_len: list[np.ndarray] = []
    per_run: list[np.ndarray] = []  # each chunk's postings per term
    n = chunks = 0
    batch: list[dict[str, str]] = []
    for fields in chain(tokens, [None]):
        if fields is not None:
            batch.append(fields)
        if len(batch) == _CHUNK or (fields is None and batch):
            key, tf, lengths = _chunk_postings(batch, n, table)
            term, docs = np.divmod(key, _KEY_BASE)
            np.save(runs / f"{chunks}.terms.npy", term.astype(np.int32))
            np.save(runs / f"{chunks}.docs.npy", docs.astype(np.int32))
            np.save(runs / f"{chunks}.tf.npy", tf)
            per_run.append(np.bincount(term))
            doc_len.append(lengths)
            n, chunks, batch = n + len(batch), chunks + 1, []
    n_terms = len(table)
    per_run = [np.pad(counts, (0, n_terms - len(counts))) for counts in per_run]  # terms seen later count 0
    indptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(np.sum(per_run, axis=0) if per_run else np.zeros(n_terms, dtype=np.int64), out=indptr[1:])
    total = int(indptr[-1])
    docs_out = np.lib.format.open_memmap(folder / "docs.npy", mode="w+", dtype=np.int32, shape=(total,))
    tf_out = np.lib.format.open_memmap(folder / "tf.npy", mode="w+", dtype=np.uint16, shape=(total, len(KEYWORD_FIELDS)))
    filled = indptr[:-1].copy()
    for i, counts in enumerate(per_run):
        term = np.load(runs / f"{i}.terms.npy")
        within = np.arange(len(term)) - (np.cumsum(counts) - counts)[term]  # rank within its term in this run
        where = filled[term] + within
        docs_out[where] = np.load(runs / f"{i}.docs.npy")
        tf_out[where] = np.load(runs / f"{i}.tf.npy")
        filled += counts
    docs_out.flush()
    tf_out.flush()
    del docs_out, tf_out
    shutil.rmtree(runs)
    np.save(folder / "indptr.npy", indptr)
    np.save(folder / "doc_len.npy", np.concatenate(doc_len) if doc_len else np.zeros(0, dtype=np.int32))
    (folder / "terms.json").write_text(json.dumps(table.terms(), ensure_ascii=False), encoding="utf-8")
    return {"records": n, "terms": n_terms, "postings": total}


def _chunk_postings(batch: list[dict[str, str]], offset: int, table: TermTable):
    """Unique (term, record) keys of one chunk of records, their per-field counts, and record lengths."""
    n_fields = len(KEYWORD_FIELDS)
    terms, records, fields = [], [], []
    lengths = np.zeros(len(batch), dtype=np.int32)
    for f, name in enumerate(KEYWORD_FIELDS):
        ids, sizes = table.ids([record[name] for record in batch])
        lengths += sizes.astype(np.int32)
        terms.append(ids)
        records.append(np.repeat(np.arange(len(batch), dtype=np.int32), sizes))
        fields.append(np.full(len(ids), f, dtype=np.int8))
    term, record, tf = postings.postings(np.concatenate(terms), np.concatenate(records), np.concatenate(fields),
                                         len(table), len(batch), n_fields)
    return term * _KEY_BASE + record + offset, tf, lengths


# ----- reading


class KeywordMatches:
    """A keyword query's answer: the best `limit` (position, score) best first, and every match
    (`matched` in any order; `positions` ascending, sorted when first asked for)."""

    def __init__(self, hits: list[tuple[int, float]], matched: np.ndarray):
        self.hits = hits
        self.matched = matched
        self._ascending: np.ndarray | None = None

    @property
    def positions(self) -> np.ndarray:
        if self._ascending is None:
            self._ascending = np.sort(self.matched)
        return self._ascending

    @property
    def total(self) -> int:
        return int(len(self.matched))


class Bm25Index:
    """BM25 over the postings in a build's `bm25/` folder; read-only, safe to share between threads."""

    name = "embedded"

    def __init__(self, folder: Path, field_weights: dict[str, float]):
        folder = Path(folder)
        self.folder = folder
        terms = json.loads((folder / "terms.json").read_text(encoding="utf-8"))
        self._term_id = {t: i for i, t in enumerate(terms)}
        self._indptr = np.load(folder / "indptr.npy")
        self._docs = np.load(folder / "docs.npy")
        doc_len = np.load(folder / "doc_len.npy")
        tf = np.load(folder / "tf.npy", mmap_mode="r")
        self.count = int(len(doc_len))
        if len(self._indptr) != len(terms) + 1 or tf.shape != (len(self._docs), len(KEYWORD_FIELDS)):
            raise ValueError(f"inconsistent BM25 index in {folder}")
        self._contrib = _contributions(self._indptr, self._docs, tf, doc_len, field_weights)
        scoring.warm_up()

    def weighted_ids(self, terms: Sequence[str], weights: Sequence[float] | None) -> tuple[np.ndarray, np.ndarray]:
        """Ids of the distinct known terms (unknown terms match nothing) and each one's weight (1
        when `weights` is None; a term given twice keeps its higher weight), in the order the terms
        first come."""
        best: dict[int, float] = {}
        for i, term in enumerate(terms):
            tid = self._term_id.get(term)
            if tid is not None:
                w = 1.0 if weights is None else float(weights[i])
                best[tid] = max(best.get(tid, w), w)
        return np.fromiter(best, dtype=np.int64, count=len(best)), np.fromiter(best.values(), dtype=np.float32, count=len(best))

    def matches(self, terms: Sequence[str], weights: Sequence[float] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The records containing at least one of `terms` (ascending positions) and their scores.

        Work follows the postings the terms have, not the size of the index: a query whose terms
        have few postings merges them (they are sorted runs, so a stable sort merges them in
        O(m log k)) and adds each record's contributions; one whose postings cover a large part of
        the index adds them into a dense score array instead, which is cheaper there than sorting.
        """
        ids, factors = self.weighted_ids(terms, weights)
        spans = [(int(self._indptr[t]), int(self._indptr[t + 1])) for t in ids]
        postings = sum(end - start for start, end in spans)
        if not postings:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
        contribs = [factor * self._contrib[a:b] for (a, b), factor in zip(spans, factors)]  # float32 × float32
        if len(spans) == 1:
            return self._docs[spans[0][0]:spans[0][1]], contribs[0]
        if postings * DENSE_SHARE < self.count:
            docs = np.concatenate([self._docs[a:b] for a, b in spans])
            contrib = np.concatenate(contribs)
            order = np.argsort(docs, kind="stable")
            docs, contrib = docs[order], contrib[order]
            firsts = np.flatnonzero(np.concatenate(([True], docs[1:] != docs[:-1])))
            return docs[firsts], np.add.reduceat(contrib, firsts)
        scores = np.zeros(self.count, dtype=np.float32)
        matched = np.zeros(self.count, dtype=bool)
        for (start, end), contrib in zip(spans, contribs):
            docs = self._docs[start:end]
            scores[docs] += contrib  # positions are unique within a term
            matched[docs] = True
        positions = np.flatnonzero(matched)
        return positions, scores[positions]

    def search(self, terms: Sequence[str], mask: np.ndarray | None, limit: int | None,
               weights: Sequence[float] | None = None) -> KeywordMatches:
        """Matches among the records `mask` allows (None: all), ranked by score then position:
        one compiled pass over the terms' postings (search/keyword/scoring.py). `weights` (one per
        term, default 1) scale each term's BM25 contribution."""
        ids, factors = self.weighted_ids(terms, weights)
        positions, scores, every = scoring.score(self._indptr, self._docs, self._contrib, ids, factors, mask,
                                                 -1 if limit is None else int(limit), scoring.buffers(self.count))
        return KeywordMatches([(int(p), float(s)) for p, s in zip(positions.tolist(), scores.tolist())], every)

    def search_numpy(self, terms: Sequence[str], mask: np.ndarray | None, limit: int | None,
                     weights: Sequence[float] | None = None) -> KeywordMatches:
        """The same answer as `search` from numpy alone (`matches`, then `top`): the reference the
        compiled loop is tested against."""
        positions, scores = self.matches(terms, weights)
        if mask is not None:
            keep = mask[positions]
            positions, scores = positions[keep], scores[keep]
        return KeywordMatches(top(positions, scores, limit), positions)

    def health(self) -> dict:
        return {"backend": self.name, "up": True, "records": self.count,
                "terms": len(self._term_id), "postings": int(len(self._docs))}


class Bm25Backend:
    """The embedded keyword backend (search/keyword/__init__.py): BM25 postings for ranking, the
    filter columns for masks and facets."""

    name = "embedded"

    def __init__(self, index: Bm25Index, columns):
        self.index = index
        self.columns = columns
        self.count = index.count

    def search(self, terms: Sequence[str], filters: dict[str, list[str]], limit: int | None,
               facet_size: int | None = None, weights: Sequence[float] | None = None) -> KeywordResult:
        matches = self.index.search(terms, self.columns.mask(filters), limit, weights)  # facets are counted when asked
        # facets count the match set whatever its order
        return KeywordResult(matches.hits, matches.total, lambda size: self.columns.facets(matches.matched, size))

    def browse(self, filters: dict[str, list[str]], offset: int, limit: int) -> KeywordResult:
        return browse_columns(self.columns, filters, offset, limit)

    def bind(self, records) -> None:
        pass

    def available(self) -> bool:
        return True

    def health(self) -> dict:
        return self.index.health()

    def close(self) -> None:
        pass


def open_backend(build_dir, meta, config, records, columns) -> Bm25Backend:
    return Bm25Backend(Bm25Index(Path(build_dir) / FOLDER, config.field_weights), columns)


def top(positions: np.ndarray, scores: np.ndarray, limit: int | None) -> list[tuple[int, float]]:
    """The best `limit` (position, score), by score descending then position ascending (exact at ties)."""
    if limit is not None and len(positions) > limit:
        if limit <= 0:
            return []
        kth = np.partition(scores, len(scores) - limit)[len(scores) - limit]
        above = np.flatnonzero(scores > kth)
        tied = np.flatnonzero(scores == kth)[: limit - len(above)]  # positions ascend, so ties keep the first
        chosen = np.concatenate([above, tied])
        positions, scores = positions[chosen], scores[chosen]
    order = np.lexsort((positions, -scores))
    return [(int(p), float(s)) for p, s in zip(positions[order], scores[order])]


def _contributions(indptr: np.ndarray, docs: np.ndarray, tf: np.ndarray, doc_len: np.ndarray,
                   field_weights: dict[str, float]) -> np.ndarray:
    """Each posting's BM25 term score (see the module docstring), float32, computed in chunks."""
    n = max(len(doc_len), 1)
    avgdl = float(doc_len.sum()) / n if len(doc_len) else 1.0
    df = np.diff(indptr)
    idf = np.log((n - df + 0.5) / (df + 0.5))
    idf[idf <= 0] = _MIN_IDF
    weights = np.array([float(field_weights.get(f, 1.0)) for f in KEYWORD_FIELDS], dtype=np.float64)
    norm = K1 * (1 - B + B * doc_len.astype(np.float64) / max(avgdl, 1e-9))
    term_of_posting = np.repeat(np.arange(len(df)), df)
    out = np.empty(len(docs), dtype=np.float32)
    for start in range(0, len(docs), 4_000_000):
        end = min(len(docs), start + 4_000_000)
        f = np.asarray(tf[start:end], dtype=np.float64) @ weights
        out[start:end] = idf[term_of_posting[start:end]] * f * (K1 + 1) / (f + norm[docs[start:end]])
    return out
