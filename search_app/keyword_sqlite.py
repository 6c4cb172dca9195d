"""The embedded keyword store: SQLite FTS5 with BM25 over jieba tokens, plus the records themselves.

File `duties.sqlite` in a build folder:

- `duties(pos INTEGER PRIMARY KEY, id, province, prefecture, county, township, list_type,
  category, record)` — `pos` is the record's position (= its FAISS id), `record` its JSON.
- `duty_departments(pos, department)` — lead or receiving departments, for the department filter.
- `duties_fts(name, category, duties, departments)` — FTS5, rowid = pos. Each column holds the
  field's jieba tokens (models/segment.py) joined by spaces. The `unicode61` tokenizer splits on
  the spaces and keeps every run of CJK characters whole (verified in tests/test_segment.py), so
  FTS tokens are exactly jieba's tokens.
- `meta(key, value)`.

Queries are built only from segmenter tokens, each double-quoted as an FTS phrase and OR-ed, so
FTS syntax in user input (`" * : ( ) - + ~ ^ AND OR NEAR`) is always searched as text.
Readers open the file read-only and immutable; connections are pooled and opened up front, so a
build folder deleted under a serving engine keeps working until that engine is dropped.
"""
from __future__ import annotations

import json
import queue
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Protocol, Sequence

from models.fields import KEYWORD_FIELDS

FILTER_FIELDS = ("province", "prefecture", "county", "township", "list_type", "category", "department")
FACET_FIELDS = FILTER_FIELDS
DB_NAME = "duties.sqlite"


class KeywordBackend(Protocol):
    """What the engine needs from a keyword store. Ids are duty ids (strings)."""

    name: str

    def search(self, terms: Sequence[str], filters: dict[str, list[str]], limit: int | None
               ) -> tuple[list[tuple[str, float]], int]:
        """Best-first (duty id, score) up to `limit` (None = all), and the total number of matches."""

    def facets(self, terms: Sequence[str] | None, filters: dict[str, list[str]], size: int
               ) -> dict[str, list[dict]]:
        """Counts per value of each FACET_FIELDS over all matches (terms None = all filtered records)."""

    def browse(self, filters: dict[str, list[str]], offset: int, limit: int) -> tuple[list[str], int]:
        """Filtered records in document order, and their total."""

    def health(self) -> dict:
        ...

    def close(self) -> None:
        ...


def match_expression(terms: Iterable[str]) -> str:
    """FTS5 MATCH text: every term a quoted phrase, OR-ed. Empty string if there are no terms."""
    quoted = []
    for term in dict.fromkeys(terms):
        term = term.replace("\x00", "").strip()
        if term:
            quoted.append('"' + term.replace('"', '""') + '"')
    return " OR ".join(quoted)


# ----- writing


SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE duties(
    pos INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    province TEXT NOT NULL, prefecture TEXT NOT NULL, county TEXT NOT NULL,
    township TEXT NOT NULL, list_type TEXT NOT NULL, category TEXT NOT NULL,
    record TEXT NOT NULL);
CREATE TABLE duty_departments(pos INTEGER NOT NULL, department TEXT NOT NULL);
CREATE VIRTUAL TABLE duties_fts USING fts5(name, category, duties, departments,
    tokenize = 'unicode61 remove_diacritics 0');
"""
INDEXES = """
CREATE INDEX duties_township ON duties(township);
CREATE INDEX duties_county ON duties(county);
CREATE INDEX duties_list_type ON duties(list_type);
CREATE INDEX duties_category ON duties(category);
CREATE INDEX duty_departments_department ON duty_departments(department, pos);
CREATE INDEX duty_departments_pos ON duty_departments(pos);
"""


def check_sqlite() -> None:
    """FTS5 with bm25() column weights needs SQLite ≥ 3.9 compiled with FTS5."""
    connection = sqlite3.connect(":memory:")
    try:
        connection.execute("CREATE VIRTUAL TABLE t USING fts5(a, b)")
        connection.execute("INSERT INTO t VALUES ('x', 'y')")
        connection.execute("SELECT bm25(t, 2.0, 1.0) FROM t WHERE t MATCH '\"x\"'").fetchall()
    except sqlite3.OperationalError as exc:
        raise RuntimeError(f"SQLite {sqlite3.sqlite_version} lacks FTS5/bm25: {exc}") from exc
    finally:
        connection.close()


def write_store(path: Path, records: Sequence[dict], tokens: Sequence[dict[str, str]],
                departments: Sequence[list[str]], meta: dict) -> None:
    """Write a fresh store. `tokens[i]` maps each KEYWORD_FIELDS name to space-joined tokens."""
    check_sqlite()
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
                f"INSERT INTO duties_fts(rowid, {', '.join(KEYWORD_FIELDS)}) VALUES (?,?,?,?,?)",
                ((pos, *(t[f] for f in KEYWORD_FIELDS)) for pos, t in enumerate(tokens)))
            connection.executemany("INSERT INTO meta VALUES (?, ?)",
                                   ((k, json.dumps(v, ensure_ascii=False)) for k, v in meta.items()))
        connection.executescript(INDEXES)
        connection.execute("INSERT INTO duties_fts(duties_fts) VALUES ('optimize')")
        connection.commit()
        connection.execute("VACUUM")
    finally:
        connection.close()


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


def _connect(path: Path) -> sqlite3.Connection:
    if not Path(path).is_file():
        raise FileNotFoundError(f"no keyword store at {path}")
    uri = Path(path).resolve().as_uri() + "?mode=ro&immutable=1"
    connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
    connection.execute("PRAGMA query_only = ON")
    return connection


# ----- reading


class SqliteKeywordBackend:
    """KeywordBackend over duties.sqlite; safe to share between threads (a pool of connections)."""

    name = "sqlite"

    def __init__(self, path: Path, field_weights: dict[str, float], connections: int = 4):
        self.path = Path(path)
        self._weights = ", ".join(str(float(field_weights.get(f, 1.0))) for f in KEYWORD_FIELDS)
        self._pool: queue.Queue[sqlite3.Connection] = queue.Queue()
        self._all = []
        for _ in range(max(1, connections)):
            connection = _connect(self.path)
            self._all.append(connection)
            self._pool.put(connection)
        with self._connection() as connection:
            connection.execute("SELECT count(*) FROM duties_fts WHERE duties_fts MATCH '\"x\"'").fetchone()
            self.count = connection.execute("SELECT count(*) FROM duties").fetchone()[0]
        self._id_of: list[str] | None = None

    @contextmanager
    def _connection(self):
        connection = self._pool.get()
        try:
            yield connection
        finally:
            self._pool.put(connection)

    def ids(self) -> list[str]:
        if self._id_of is None:
            with self._connection() as connection:
                self._id_of = [row[0] for row in connection.execute("SELECT id FROM duties ORDER BY pos")]
        return self._id_of

    @staticmethod
    def _where(filters: dict[str, list[str]], alias: str = "d") -> tuple[str, list]:
        clauses, args = [], []
        for key, values in filters.items():
            if not values:
                continue
            marks = ",".join("?" * len(values))
            if key == "department":
                clauses.append(f"{alias}.pos IN (SELECT pos FROM duty_departments WHERE department IN ({marks}))")
            elif key in FILTER_FIELDS:
                clauses.append(f"{alias}.{key} IN ({marks})")
            else:
                raise ValueError(f"unknown filter {key!r}")
            args += list(values)
        return (" AND ".join(clauses), args)

    def search_positions(self, terms: Sequence[str], filters: dict[str, list[str]], limit: int | None,
                         count: bool = True) -> tuple[list[tuple[int, float]], int]:
        """Like `search`, with record positions instead of ids (what the embedded engine uses).
        With count=False the total is not computed (returned as -1): hybrid search needs only
        the top `limit`, and SQLite then keeps a top-N heap instead of sorting every match."""
        expression = match_expression(terms)
        if not expression:
            return [], 0
        where, args = self._where(filters)
        matched = (f"FROM duties_fts JOIN duties d ON d.pos = duties_fts.rowid "
                   f"WHERE duties_fts MATCH ?{' AND ' + where if where else ''}")
        sql = f"SELECT d.pos, -bm25(duties_fts, {self._weights}) AS score {matched} ORDER BY score DESC, d.pos"
        params = [expression, *args]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        with self._connection() as connection:
            rows = connection.execute(sql, params).fetchall()
            if not count:
                total = -1
            elif limit is None or len(rows) < limit:
                total = len(rows)
            else:
                total = connection.execute(f"SELECT count(*) {matched}", [expression, *args]).fetchone()[0]
        return [(int(pos), float(score)) for pos, score in rows], total

    def search(self, terms, filters, limit):
        hits, total = self.search_positions(terms, filters, limit, count=True)
        ids = self.ids()
        return [(ids[pos], score) for pos, score in hits], total

    def facets(self, terms, filters, size):
        where, args = self._where(filters)
        if terms is not None:
            expression = match_expression(terms)
            if not expression:
                return {f: [] for f in FACET_FIELDS}
            matched = ("SELECT d.pos FROM duties_fts JOIN duties d ON d.pos = duties_fts.rowid "
                       f"WHERE duties_fts MATCH ?{' AND ' + where if where else ''}")
            args = [expression, *args]
        else:
            matched = f"SELECT d.pos FROM duties d{' WHERE ' + where if where else ''}"
        parts = []
        for key in FACET_FIELDS:
            if key == "department":
                parts.append("SELECT 'department', department, count(*) FROM duty_departments "
                             "WHERE pos IN m GROUP BY department")
            else:
                parts.append(f"SELECT '{key}', {key}, count(*) FROM duties WHERE pos IN m GROUP BY {key}")
        sql = f"WITH m AS ({matched}) " + " UNION ALL ".join(parts)
        with self._connection() as connection:
            rows = connection.execute(sql, args).fetchall()
        out: dict[str, list[dict]] = {f: [] for f in FACET_FIELDS}
        for key, value, count in rows:
            if value:
                out[key].append({"value": value, "count": count})
        for key in out:
            out[key] = sorted(out[key], key=lambda v: (-v["count"], v["value"]))[:size]
        return out

    def browse(self, filters, offset, limit):
        where, args = self._where(filters)
        clause = f" WHERE {where}" if where else ""
        with self._connection() as connection:
            total = connection.execute(f"SELECT count(*) FROM duties d{clause}", args).fetchone()[0]
            rows = connection.execute(f"SELECT d.id FROM duties d{clause} ORDER BY d.pos LIMIT ? OFFSET ?",
                                      [*args, limit, offset]).fetchall()
        return [r[0] for r in rows], total

    def health(self) -> dict:
        return {"backend": self.name, "up": True, "path": str(self.path), "records": self.count}

    def close(self) -> None:
        for connection in self._all:
            try:
                connection.close()
            except sqlite3.Error:
                pass
