"""The record store: every duty record, its filter columns and its keyword tokens, in SQLite.

File `duties.sqlite` in a build folder:

- `duties(pos INTEGER PRIMARY KEY, id, province, prefecture, county, township, list_type,
  category, record)` — `pos` is the record's position (= its FAISS id and BM25 document number),
  `record` its JSON.
- `duty_departments(pos, department)` — lead or receiving departments, for the department filter.
- `duty_tokens(pos, name, category, duties, departments, asked)` — each field's jieba tokens
  (models/segment.py) joined by spaces: what the BM25 index (search/keyword/bm25.py) and
  the Elasticsearch index (indexer/es_index.py) are built from, so neither runs jieba again.
- `meta(key, value)`.

Ranking does not happen here; the store answers "record at position p" and "filter columns of
every record". Readers open the file read-only and immutable; connections are pooled and opened
up front, so a build folder deleted under a serving engine keeps working until that engine is
dropped.
"""
from __future__ import annotations

import json
import queue
import sqlite3
import threading
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from models.fields import KEYWORD_FIELDS
from search.vocabulary import FILTER_FIELDS

DB_NAME = "duties.sqlite"
COLUMN_FIELDS = FILTER_FIELDS[:-1]  # every filter but department, which has its own table

SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE duties(
    pos INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    province TEXT NOT NULL, prefecture TEXT NOT NULL, county TEXT NOT NULL,
    township TEXT NOT NULL, list_type TEXT NOT NULL, category TEXT NOT NULL,
    record TEXT NOT NULL);
CREATE TABLE duty_departments(pos INTEGER NOT NULL, department TEXT NOT NULL);
CREATE TABLE duty_tokens(pos INTEGER PRIMARY KEY, """ + ", ".join(f"{f} TEXT NOT NULL" for f in KEYWORD_FIELDS) + """);
"""
INDEXES = "CREATE INDEX duty_departments_pos ON duty_departments(pos);"


# ----- writing


def write_store(path: Path, records: Iterable[dict], tokens: Iterable[dict[str, str]],
                departments: Iterable[list[str]], meta: dict) -> None:
    """Write a fresh store. `tokens[i]` maps each KEYWORD_FIELDS name to space-joined tokens."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute("PRAGMA synchronous = OFF")
        connection.executescript(SCHEMA)
        with connection:
            connection.executemany(
                "INSERT INTO duties VALUES (?,?,?,?,?,?,?,?,?)",
                ((pos, r["id"], r["province"], r["prefecture"], r["county"], r["township"],
                  r["list_type"], r["category"], json.dumps(r, ensure_ascii=False))
                 for pos, r in enumerate(records)))
            connection.executemany(
                "INSERT INTO duty_departments VALUES (?,?)",
                ((pos, d) for pos, names in enumerate(departments) for d in dict.fromkeys(names)))
            connection.executemany(
                f"INSERT INTO duty_tokens(pos, {', '.join(KEYWORD_FIELDS)}) VALUES (?{',?' * len(KEYWORD_FIELDS)})",
                ((pos, *(t[f] for f in KEYWORD_FIELDS)) for pos, t in enumerate(tokens)))
            connection.executemany("INSERT INTO meta VALUES (?, ?)",
                                   ((k, json.dumps(v, ensure_ascii=False)) for k, v in meta.items()))
        connection.executescript(INDEXES)
        connection.commit()
        connection.execute("VACUUM")
    finally:
        connection.close()


# ----- reading whole tables (build tools, tests)


def _connect(path: Path) -> sqlite3.Connection:
    if not Path(path).is_file():
        raise FileNotFoundError(f"no record store at {path}")
    uri = Path(path).resolve().as_uri() + "?mode=ro&immutable=1"
    connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
    connection.execute("PRAGMA query_only = ON")
    return connection


def read_records(path: Path) -> list[dict]:
    connection = _connect(path)
    try:
        return [json.loads(row[0]) for row in connection.execute("SELECT record FROM duties ORDER BY pos")]
    finally:
        connection.close()


def read_meta(path: Path) -> dict:
    connection = _connect(path)
    try:
        return {k: json.loads(v) for k, v in connection.execute("SELECT key, value FROM meta")}
    finally:
        connection.close()


def read_tokens(path: Path) -> list[dict[str, str]]:
    """The space-joined tokens per field, in position order."""
    connection = _connect(path)
    try:
        rows = connection.execute(f"SELECT {', '.join(KEYWORD_FIELDS)} FROM duty_tokens ORDER BY pos")
        return [dict(zip(KEYWORD_FIELDS, row)) for row in rows]
    finally:
        connection.close()


# ----- serving


class Positional(Sequence):
    """Records by position: `store[pos]`, `store[a:b]`, `len(store)`, over `many(positions)`."""

    _count = 0

    def many(self, positions: Iterable[int]) -> list[dict]:
        raise NotImplementedError

    def prefetch(self, positions: Iterable[int]) -> None:
        """A hint that these records (and their tokens) are read next: a remote store reads them in
        one request; a local one reads each when asked, which is cheaper than decoding them all."""

    def tokens(self, pos: int) -> dict[str, str]:
        raise NotImplementedError

    def tokens_many(self, positions: Iterable[int]) -> dict[int, dict[str, str]]:
        """Each position's keyword tokens per field (a store that can, reads them in one go)."""
        return {p: self.tokens(p) for p in dict.fromkeys(int(p) for p in positions)}

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, pos):
        if isinstance(pos, slice):
            return self.many(range(*pos.indices(self._count)))
        pos = int(pos)
        if pos < 0:
            pos += self._count
        if not 0 <= pos < self._count:
            raise IndexError(pos)
        return self.many([pos])[0]


class RecordStore(Positional):
    """The records of a build as a read-only sequence: `store[pos]` is the record's dict.

    Records are read on demand and the most recently used `cache_size` kept decoded, so memory
    does not grow with the corpus (a million records as Python dicts take ~4 GB). Returned dicts
    are shared: callers must not change them. Safe to share between threads.
    """

    def __init__(self, path: Path, connections: int = 4, cache_size: int = 50_000):
        self.path = Path(path)
        self._pool: queue.Queue[sqlite3.Connection] = queue.Queue()
        self._all = []
        for _ in range(max(1, connections)):
            connection = _connect(self.path)
            self._all.append(connection)
            self._pool.put(connection)
        self._cache: OrderedDict[int, dict] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        with self._connection() as connection:
            self._count = connection.execute("SELECT count(*) FROM duties").fetchone()[0]

    @contextmanager
    def _connection(self):
        connection = self._pool.get()
        try:
            yield connection
        finally:
            self._pool.put(connection)

    def __iter__(self) -> Iterator[dict]:
        with self._connection() as connection:
            for (record,) in connection.execute("SELECT record FROM duties ORDER BY pos"):
                yield json.loads(record)

    def many(self, positions: Iterable[int]) -> list[dict]:
        """The records at `positions`, in that order (one query for those not cached)."""
        positions = [int(p) for p in positions]
        with self._lock:
            found = {p: self._cache[p] for p in positions if p in self._cache}
            for p in found:
                self._cache.move_to_end(p)
        missing = [p for p in dict.fromkeys(positions) if p not in found]
        for start in range(0, len(missing), 500):
            chunk = missing[start:start + 500]
            with self._connection() as connection:
                rows = connection.execute(
                    f"SELECT pos, record FROM duties WHERE pos IN ({','.join('?' * len(chunk))})", chunk).fetchall()
            loaded = {pos: json.loads(record) for pos, record in rows}
            found.update(loaded)
            self._remember(loaded)
        try:
            return [found[p] for p in positions]
        except KeyError as exc:
            raise IndexError(exc.args[0]) from None

    def _remember(self, loaded: dict[int, dict]) -> None:
        with self._lock:
            self._cache.update(loaded)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def positions_of(self, ids: Sequence[str]) -> dict[str, int]:
        """Position of each known duty id (unknown ids are left out)."""
        ids = [i for i in dict.fromkeys(ids) if isinstance(i, str)]
        out: dict[str, int] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            with self._connection() as connection:
                out.update(connection.execute(
                    f"SELECT id, pos FROM duties WHERE id IN ({','.join('?' * len(chunk))})", chunk).fetchall())
        return out

    def column_values(self) -> Iterator[tuple]:
        """(province, prefecture, county, township, list_type, category) of every record in order."""
        with self._connection() as connection:
            yield from connection.execute(f"SELECT {', '.join(COLUMN_FIELDS)} FROM duties ORDER BY pos")

    def department_pairs(self) -> list[tuple[int, str]]:
        """(position, department) for every lead or receiving department, by position."""
        with self._connection() as connection:
            return connection.execute("SELECT pos, department FROM duty_departments ORDER BY pos, rowid").fetchall()

    def tokens(self, pos: int) -> dict[str, str]:
        return self.tokens_many([pos]).get(int(pos), {})

    def tokens_many(self, positions: Iterable[int]) -> dict[int, dict[str, str]]:
        positions = list(dict.fromkeys(int(p) for p in positions))
        out: dict[int, dict[str, str]] = {}
        for start in range(0, len(positions), 500):
            chunk = positions[start:start + 500]
            with self._connection() as connection:
                rows = connection.execute(f"SELECT pos, {', '.join(KEYWORD_FIELDS)} FROM duty_tokens "
                                          f"WHERE pos IN ({','.join('?' * len(chunk))})", chunk).fetchall()
            out.update((row[0], dict(zip(KEYWORD_FIELDS, row[1:]))) for row in rows)
        return out

    def close(self) -> None:
        for connection in self._all:
            try:
                connection.close()
            except sqlite3.Error:
                pass
