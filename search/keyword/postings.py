"""Cutting a chunk of records' tokens into postings, compiled (numba): the BM25 writer's inner loop.

Given every token of a chunk as (term id, record, field), the postings are the distinct
(term, record) pairs in term order, records ascending within a term, each with its count per
field. Two stable counting sorts (by record, then by term) put the tokens in that order in time
proportional to the tokens — where sorting 64-bit keys with `np.unique` costs m log m — and one
pass counts each run. Compiled on first use and cached beside this file, like scoring.py.
"""
from __future__ import annotations

import numpy as np
from numba import njit

TF_MAX = np.iinfo(np.uint16).max


def postings(terms: np.ndarray, records: np.ndarray, fields: np.ndarray, n_terms: int, n_records: int,
             n_fields: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(term, record, counts per field) of every distinct (term, record), by term then record."""
    return _postings(terms.astype(np.int32, copy=False), records.astype(np.int32, copy=False),
                     fields.astype(np.int8, copy=False), n_terms, n_records, n_fields)


@njit(cache=True)
def _postings(terms, records, fields, n_terms, n_records, n_fields):
    by_record = _counting_order(records, np.arange(len(records)), n_records)
    order = _counting_order(terms, by_record, n_terms)
    distinct = 0
    last_term, last_record = -1, -1
    for i in order:
        if terms[i] != last_term or records[i] != last_record:
            distinct += 1
            last_term, last_record = terms[i], records[i]
    out_terms = np.empty(distinct, dtype=np.int64)
    out_records = np.empty(distinct, dtype=np.int64)
    tf = np.zeros((distinct, n_fields), dtype=np.uint16)
    j = -1
    last_term, last_record = -1, -1
    for i in order:
        if terms[i] != last_term or records[i] != last_record:
            j += 1
            last_term, last_record = terms[i], records[i]
            out_terms[j], out_records[j] = last_term, last_record
        if tf[j, fields[i]] < TF_MAX:
            tf[j, fields[i]] += 1
    return out_terms, out_records, tf


@njit(cache=True)
def _counting_order(keys, order, n_keys):
    """`order` stably re-sorted by keys[order] (keys in [0, n_keys))."""
    starts = np.zeros(n_keys + 1, dtype=np.int64)
    for i in order:
        starts[keys[i] + 1] += 1
    for k in range(n_keys):
        starts[k + 1] += starts[k]
    out = np.empty(len(order), dtype=np.int64)
    for i in order:
        out[starts[keys[i]]] = i
        starts[keys[i]] += 1
    return out
