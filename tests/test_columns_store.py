"""The record store and the filter/facet columns against plain Python over the same records."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from models.duty import county_departments
from search import store
from search.columns import COLUMN_FIELDS, Columns


@pytest.fixture(scope="module")
def db(app_index_dir) -> Path:
    return (Path(app_index_dir) / "current").resolve() / store.DB_NAME


@pytest.fixture(scope="module")
def records(db) -> list[dict]:
    return store.read_records(db)


@pytest.fixture(scope="module")
def columns(db) -> Columns:
    return Columns.from_store(store.RecordStore(db, connections=1))


def departments(record: dict) -> list[str]:
    return county_departments(record)


def expected_facets(records: list[dict], positions, size: int) -> dict:
    counters = {f: Counter() for f in COLUMN_FIELDS + ("department",)}
    for pos in positions:
        r = records[pos]
        for f in COLUMN_FIELDS:
            if r[f]:
                counters[f][r[f]] += 1
        counters["department"].update(departments(r))
    return {f: [{"value": v, "count": c} for v, c in sorted(counter.items(), key=lambda x: (-x[1], x[0]))[:size]]
            for f, counter in counters.items()}


@pytest.mark.parametrize("share", [0.0, 0.01, 0.1, 0.5, 1.0])  # both department-count paths
def test_facets_equal_counting_the_records(records, columns, share):
    rng = np.random.default_rng(int(share * 100))
    positions = np.sort(rng.choice(len(records), int(len(records) * share), replace=False))
    for size in (3, 50):
        assert columns.facets(positions, size) == expected_facets(records, positions.tolist(), size)


def test_masks_equal_filtering_the_records(records, columns):
    some = records[len(records) // 3]
    cases = [{"township": [some["township"]]}, {"list_type": ["recovered", "basic"]},
             {"department": departments(some)[:1]}, {"category": [some["category"]], "county": [some["county"]]},
             {"township": ["不存在"]}, {"department": ["不存在", departments(some)[0]]}]
    for filters in cases:
        mask = columns.mask(filters)
        expected = [all(any(v in (departments(r) if f == "department" else [r[f]]) for v in values)
                        for f, values in filters.items()) for r in records]
        assert mask.tolist() == expected, filters
    assert columns.mask({}) is None


def test_township_ranges_cover_every_record_once(records, columns):
    ranges = columns.township_ranges()
    assert ranges[0].start == 0 and ranges[-1].end == len(records)
    assert all(a.end == b.start for a, b in zip(ranges, ranges[1:]))
    for t in ranges:
        assert {r["township"] for r in records[t.start:t.end]} == {t.township}
        assert t.counts == dict(Counter(r["list_type"] for r in records[t.start:t.end]))


def test_record_store_reads_through_a_small_cache(db, records):
    small = store.RecordStore(db, connections=2, cache_size=10)
    try:
        assert len(small) == len(records)
        rng = np.random.default_rng(3)
        picks = rng.integers(0, len(records), 200).tolist()
        assert small.many(picks) == [records[p] for p in picks]   # evicting as it goes
        assert small[-1] == records[-1] and small[5:8] == records[5:8]
        assert list(small) == records
        ids = [records[p]["id"] for p in picks[:20]] + ["no-such-id"]
        assert small.positions_of(ids) == {records[p]["id"]: p for p in picks[:20]}
        with pytest.raises(IndexError):
            small[len(records)]
    finally:
        small.close()


def test_top_values_are_exact_at_ties_when_only_candidates_are_sorted():
    import numpy as np

    from search.columns import _empty_code, _top, _value_order

    rng = np.random.default_rng(3)
    values = [""] + [f"乡{i:04d}" for i in range(999)]
    order = _value_order(values)
    for _ in range(20):
        counts = rng.integers(0, 6, size=len(values))  # many ties
        expected = sorted((v for v in range(len(values)) if counts[v] and values[v]),
                          key=lambda v: (-counts[v], values[v]))[:10]
        got = _top(values, order, counts, 10, _empty_code(values))
        assert [g["value"] for g in got] == [values[v] for v in expected]
