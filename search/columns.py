"""Filter and facet columns of every record, as integer codes in numpy arrays.

Province … category are one int32 code per record (with the code → value table); departments are
a sparse records × departments matrix. A filter is a boolean mask from one vectorized comparison
per field, and the facets of any set of matches are one gather of their rows from a records ×
fields code matrix and one `bincount` — work in proportion to the matches, with no record decoded.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from search.errors import IndexNotReady
from search.store import COLUMN_FIELDS, RecordStore
from search.vocabulary import REGION_FIELDS


@dataclass(frozen=True)
class TownshipRange:
    """One township's records: positions [start, end) — a build keeps each township contiguous."""

    province: str
    prefecture: str
    county: str
    township: str
    start: int
    end: int
    counts: dict

    def key(self) -> tuple[str, str, str, str]:
        return (self.province, self.prefecture, self.county, self.township)

    def region(self) -> dict:
        return {"province": self.province, "prefecture": self.prefecture, "county": self.county,
                "township": self.township}


class Columns:
    def __init__(self, codes: dict[str, np.ndarray], values: dict[str, list[str]],
                 departments: sparse.csr_matrix, department_names: list[str]):
        self.codes = codes
        self.values = values
        self._code_of = {f: {v: i for i, v in enumerate(vs)} for f, vs in values.items()}
        self._order = {f: _value_order(vs) for f, vs in values.items()}
        self._empty = {f: _empty_code(vs) for f, vs in values.items()}
        # every field's codes side by side, each field's shifted past the previous fields' values:
        # one gather and one bincount count every field at once
        sizes = [len(values[f]) for f in codes]
        self._offsets = dict(zip(codes, np.concatenate(([0], np.cumsum(sizes)[:-1])).tolist()))
        self._stacked = np.stack([codes[f] + self._offsets[f] for f in codes], axis=1).astype(np.int32)
        self._value_count = int(sum(sizes))
        self.departments = departments
        self.department_names = department_names
        self._department_code = {d: i for i, d in enumerate(department_names)}
        self._department_order = _value_order(department_names)
        self._department_empty = _empty_code(department_names)
        self._by_department = departments.tocsc()
        coo = departments.tocoo()
        self._department_rows, self._department_cols = coo.row, coo.col
        self.count = int(departments.shape[0])

    @classmethod
    def from_store(cls, store: RecordStore) -> "Columns":
        values: dict[str, dict[str, int]] = {f: {} for f in COLUMN_FIELDS}
        n = len(store)
        codes = {f: np.empty(n, dtype=np.int32) for f in COLUMN_FIELDS}
        tables = [(codes[f], values[f]) for f in COLUMN_FIELDS]
        for pos, row in enumerate(store.column_values()):
            for (column, table), value in zip(tables, row):
                column[pos] = table.setdefault(value, len(table))
        names: dict[str, int] = {}
        pairs = store.department_pairs()
        rows = np.fromiter((p for p, _ in pairs), dtype=np.int32, count=len(pairs))
        cols = np.fromiter((names.setdefault(d, len(names)) for _, d in pairs), dtype=np.int32, count=len(pairs))
        matrix = sparse.csr_matrix((np.ones(len(pairs), dtype=np.int32), (rows, cols)), shape=(n, len(names)))
        return cls(codes, {f: list(v) for f, v in values.items()}, matrix, list(names))

    def value(self, field: str, pos: int) -> str:
        return self.values[field][self.codes[field][pos]]

    def mask(self, filters: dict[str, list[str]]) -> np.ndarray | None:
        """Records passing every filter (values of one field OR-ed); None when there are no filters."""
        if not filters:
            return None
        mask = np.ones(self.count, dtype=bool)
        for field, wanted in filters.items():
            if field == "department":
                part = np.zeros(self.count, dtype=bool)
                for name in wanted:
                    code = self._department_code.get(name)
                    if code is not None:
                        column = self._by_department
                        part[column.indices[column.indptr[code]:column.indptr[code + 1]]] = True
            else:
                codes = [self._code_of[field][v] for v in wanted if v in self._code_of[field]]
                part = np.isin(self.codes[field], codes)
            mask &= part
        return mask

    def facets(self, positions: np.ndarray, size: int) -> dict[str, list[dict]]:
        """Count per value of each FACET_FIELDS over the records at `positions` (most first, then by
        value; empty values left out), the top `size` of each."""
        positions = np.asarray(positions, dtype=np.int64)
        # np.take of whole rows is several times faster than fancy indexing them
        every = np.bincount(np.take(self._stacked, positions, axis=0).ravel(), minlength=self._value_count)
        out = {}
        for field in COLUMN_FIELDS:
            start = self._offsets[field]
            counts = every[start:start + len(self.values[field])]
            out[field] = _top(self.values[field], self._order[field], counts, size, self._empty[field])
        out["department"] = _top(self.department_names, self._department_order,
                                 self._department_counts(positions), size, self._department_empty)
        return out

    def _department_counts(self, positions: np.ndarray) -> np.ndarray:
        if len(positions) * 8 < self.count:  # few matches: read just their rows of the matrix
            indptr = self.departments.indptr
            starts = indptr[positions]
            lengths = indptr[positions + 1] - starts
            # the row slices' entries, laid end to end: each row's start repeated over its length,
            # plus the running index within it
            within = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
            entries = np.repeat(starts, lengths) + within
            return np.bincount(self.departments.indices[entries], minlength=len(self.department_names))
        matched = np.zeros(self.count, dtype=bool)  # many: one pass over every (record, department)
        matched[positions] = True
        return np.bincount(self._department_cols[matched[self._department_rows]],
                           minlength=len(self.department_names))

    def township_ranges(self) -> list[TownshipRange]:
        """Each township's contiguous positions and its count per list type."""
        region = np.stack([self.codes[f] for f in REGION_FIELDS], axis=1)
        if self.count == 0:
            return []
        starts = np.flatnonzero(np.r_[True, np.any(region[1:] != region[:-1], axis=1)])
        ends = np.r_[starts[1:], self.count]
        list_types = self.values["list_type"]
        ranges = []
        for start, end in zip(starts.tolist(), ends.tolist()):
            counts = np.bincount(self.codes["list_type"][start:end], minlength=len(list_types))
            ranges.append(TownshipRange(*(self.value(f, start) for f in REGION_FIELDS), start, end,
                                        {list_types[c]: int(k) for c, k in enumerate(counts) if k}))
        if len({r.key() for r in ranges}) != len(ranges):
            raise IndexNotReady("", "records of one township are not contiguous; rebuild the index")
        return ranges


def _value_order(values: list[str]) -> np.ndarray:
    """Each value's rank in sorted order (facet ties list values alphabetically); "" never shows."""
    order = np.empty(len(values), dtype=np.int64)
    order[sorted(range(len(values)), key=values.__getitem__)] = np.arange(len(values))
    return order


def _empty_code(values: list[str]) -> int:
    """The code of the empty value, or -1 when there is none."""
    return values.index("") if "" in values else -1


def _top(values: list[str], order: np.ndarray, counts: np.ndarray, size: int, empty: int = -1) -> list[dict]:
    """The `size` most frequent non-empty values: by count descending, then value."""
    shown = np.flatnonzero(counts)
    if empty >= 0:
        shown = shown[shown != empty]
    if len(shown) > 4 * size > 0:  # many values (townships at scale): only those that can make the top
        kth = np.partition(counts[shown], len(shown) - size)[len(shown) - size]
        shown = shown[counts[shown] >= kth]  # ties at the cut stay, so the order below is exact
    best = shown[np.lexsort((order[shown], -counts[shown]))[:size]]
    return [{"value": values[i], "count": int(counts[i])} for i in best]
