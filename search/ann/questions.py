"""Staff questions as a second, small vector set beside the records' name vectors.

A record's `asked` questions (data/dict/asked.tsv by item name, carried by indexer/asked.py) say
its task the way staff ask for it. A query's cosine to a record is the best of its cosine to the
record's name and to each of the record's questions, so 门牌号怎么办 meets 地名管理 through the
question that words it that way, where the name alone is far. Records share question sets (one
name's questions serve every township that lists it), so the set holds one vector per question of
each distinct set: 6,976 for the corpus's 1,171 names (session 19), as many at a million
synthetic records.

`WithQuestions` answers the ANN contract (search/ann/__init__.py) with those cosines around any
backend — FAISS or Elasticsearch — for scoring queries; item-to-item cosines (equivalents,
compare) stay on the name vectors, which it passes through unchanged.

The build writes QUESTIONS_FILE: `vectors` (float16: rows of every set in turn), `starts` (each
set's first row, and the end), `record_set` (each record's set, -1 for none).
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

QUESTIONS_FILE = "questions.npz"
NO_SET = -1
# Up to this many records (all of a local index, or those a filter admits) a search scores every
# one of them directly rather than walking the best question sets.
WHOLE_UP_TO = 50_000


@dataclass(frozen=True)
class QuestionSets:
    vectors: np.ndarray     # (questions, dim) float32, L2-normalized
    starts: np.ndarray      # (sets + 1,) first row of each set, then the row count
    record_set: np.ndarray  # (records,) int32 set of each record, NO_SET for none

    @property
    def count(self) -> int:
        return len(self.starts) - 1

    def set_scores(self, vector: np.ndarray) -> np.ndarray:
        """Each set's best question cosine to `vector`."""
        if not self.count:
            return np.zeros(0, dtype=np.float32)
        return np.maximum.reduceat(self.vectors @ vector, self.starts[:-1])

    def record_scores(self, set_scores: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """Each position's set score; -1 (the lowest cosine) for records without questions."""
        sets = self.record_set[positions]
        return np.where(sets >= 0, set_scores[np.maximum(sets, 0)], -1.0).astype(np.float32)

    @cached_property
    def _members(self) -> tuple[np.ndarray, np.ndarray]:
        # every set's records in position order, as one array cut by offsets
        order = np.argsort(self.record_set, kind="stable")
        counts = np.bincount(self.record_set[self.record_set >= 0], minlength=self.count)
        held = order[len(order) - int(counts.sum()):]
        return held.astype(np.int64), np.concatenate(([0], np.cumsum(counts)))

    def members(self, sets: np.ndarray) -> np.ndarray:
        """The records of `sets`, set by set in the given order, each set's in position order."""
        held, offsets = self._members
        if not len(sets):
            return np.zeros(0, dtype=np.int64)
        return np.concatenate([held[offsets[s]:offsets[s + 1]] for s in sets])

    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        np.savez_compressed(out, vectors=self.vectors.astype(np.float16), starts=self.starts.astype(np.int64),
                            record_set=self.record_set.astype(np.int32))
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> "QuestionSets":
        with np.load(io.BytesIO(data)) as held:
            return cls(held["vectors"].astype(np.float32), held["starts"].astype(np.int64),
                       held["record_set"].astype(np.int32))


def question_sets(questions: list[tuple[str, ...]], encode) -> QuestionSets:
    """The sets of the records' questions (one per distinct tuple, in first-seen order), their
    vectors by `encode(texts) -> normalized rows`, and each record's set."""
    set_of: dict[tuple[str, ...], int] = {}
    record_set = np.full(len(questions), NO_SET, dtype=np.int32)
    for pos, held in enumerate(questions):
        if held:
            record_set[pos] = set_of.setdefault(tuple(held), len(set_of))
    texts = [q for held in set_of for q in held]
    starts = np.concatenate(([0], np.cumsum([len(held) for held in set_of]))).astype(np.int64)
    vectors = np.asarray(encode(texts), dtype=np.float32) if texts else np.zeros((0, 0), dtype=np.float32)
    # stored as float16: round here so the build and every reader score the same numbers
    return QuestionSets(vectors.astype(np.float16).astype(np.float32), starts, record_set)


def write_sets(sets: QuestionSets, build_dir: Path) -> None:
    (Path(build_dir) / QUESTIONS_FILE).write_bytes(sets.to_bytes())


def read_sets(build_dir: Path) -> QuestionSets | None:
    """The build's question sets; None for a build without them (an index written before them)."""
    path = Path(build_dir) / QUESTIONS_FILE
    return QuestionSets.from_bytes(path.read_bytes()) if path.is_file() else None


class WithQuestions:
    """The ANN contract with each record's cosine the best of its name's and its questions'.

    `search` is exact whenever the inner search is: a record outside the inner top k has a name
    cosine at most the k-th's, so it can only enter through its set score — and the records of
    the best sets above that floor, taken in set-score then position order up to k allowed ones,
    are the only ones that can.
    """

    def __init__(self, inner, sets: QuestionSets, margin: float = 0.0):
        self.inner = inner
        self.sets = sets
        self.margin = margin  # taken off a question's cosine: one way of asking is narrower than the name
        self.count = inner.count
        self.kind = inner.kind
        # (vector, its set scores): the owner answer asks twice of one query. One instance serves
        # one caller at a time (Engine.query_vectors makes one for each use).
        self._last: tuple | None = None

    def _set_scores(self, vector: np.ndarray) -> np.ndarray:
        if self._last is None or self._last[0] is not vector:
            self._last = (vector, self.sets.set_scores(vector) - self.margin)
        return self._last[1]

    def best_question(self, vector: np.ndarray) -> float:
        """The best cosine of any staff question to `vector`, the margin not taken off (the set
        scores of this vector are reused: the owner answer asks after its searches)."""
        scores = self._set_scores(vector)
        return float(scores.max()) + self.margin if len(scores) else -1.0

    def __getattr__(self, name):  # remote, dim, vector(s), vectors_at …: the name vectors
        return getattr(self.inner, name)

    def range_cosines(self, vector: np.ndarray, ranges: list[tuple[int, int]]) -> list[np.ndarray]:
        scores = self._set_scores(vector)
        return [np.maximum(cos, self.sets.record_scores(scores, np.arange(start, end)))
                for cos, (start, end) in zip(self.inner.range_cosines(vector, ranges), ranges)]

    def search_range(self, vector: np.ndarray, k: int, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
        if end <= start or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        cos = self.range_cosines(vector, [(start, end)])[0]
        return _top(np.arange(start, end, dtype=np.int64), cos, k)

    def search(self, vector: np.ndarray, k: int, allowed=None) -> tuple[np.ndarray, np.ndarray]:
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores = self._set_scores(vector)
        if self.count <= WHOLE_UP_TO and not getattr(self.inner, "remote", False):
            # a small local index: every record's cosine in one call costs less than the walk below
            positions = np.arange(self.count) if allowed is None else np.flatnonzero(allowed)
            cosines = self.inner.range_cosines(vector, [(0, self.count)])[0][positions]
            return _top(positions, np.maximum(cosines, self.sets.record_scores(scores, positions)), k)
        positions, cosines = self.inner.search(vector, k, allowed)
        floor = float(cosines.min()) if len(positions) >= k else -np.inf
        extra, extra_cos = self._through_questions(vector, scores, floor, k, allowed)
        positions = np.concatenate((positions, extra))
        cosines = np.concatenate((cosines, extra_cos))
        positions, first = np.unique(positions, return_index=True)  # a record found both ways once
        cosines = cosines[first]
        return _top(positions, np.maximum(cosines, self.sets.record_scores(scores, positions)), k)

    def _through_questions(self, vector, scores, floor, k, allowed) -> tuple[np.ndarray, np.ndarray]:
        """The first k allowed records, in set score then position order, of the sets scoring
        above `floor`, with their name cosines."""
        if isinstance(allowed, np.ndarray) and int(allowed.sum()) <= WHOLE_UP_TO:
            # a few allowed records (a county at a million): ranked by their sets' scores directly
            positions = np.flatnonzero(allowed)
            set_score = self.sets.record_scores(scores, positions)
            above = set_score > floor
            positions = _top(positions[above], set_score[above], k)[0]
            return self.inner.cosines_among(vector, positions, None, k)
        order = np.flatnonzero(scores > floor)
        order = order[np.lexsort((order, -scores[order]))]
        kept, cosines, start, step = [], [], 0, 8
        while start < len(order) and sum(map(len, kept)) < k:
            members = self.sets.members(order[start:start + step])
            start, step = start + step, step * 2  # a narrow filter admits few: take more sets a round
            if isinstance(allowed, np.ndarray):
                members = members[allowed[members]]
            if len(members):
                members, cos = self.inner.cosines_among(vector, members, allowed, k - sum(map(len, kept)))
                kept.append(members), cosines.append(cos)
        if not kept:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        return np.concatenate(kept)[:k], np.concatenate(cosines)[:k].astype(np.float32)


def _top(positions: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.lexsort((positions, -scores))[:k]  # ties by position, as every backend breaks them
    return positions[order].astype(np.int64), scores[order].astype(np.float32)
