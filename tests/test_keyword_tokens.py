"""The BM25 writer's compiled tokenizer against its reference: `str.split` and `dict.fromkeys`."""
from __future__ import annotations

import random

import numpy as np
import pytest

from search.keyword.tokens import TermTable

SPACES = [chr(c) for c in range(0x110000) if chr(c).isspace()]


def reference(batches: list[list[str]]) -> tuple[list[list[int]], list[list[int]], list[str]]:
    """Each batch's token ids and per-text counts, numbering terms as `dict.fromkeys` would."""
    term_of: dict[str, int] = {}
    ids, sizes = [], []
    for texts in batches:
        split = [text.split() for text in texts]
        flat = [token for tokens in split for token in tokens]
        for token in flat:
            term_of.setdefault(token, len(term_of))
        ids.append([term_of[token] for token in flat])
        sizes.append([len(tokens) for tokens in split])
    return ids, sizes, list(term_of)


def random_batches(seed: int) -> list[list[str]]:
    """Texts of CJK, Latin, accented, 4-byte and digit characters, cut by every whitespace Python knows."""
    rng = random.Random(seed)
    alphabet = ["中", "国", "乡", "镇", "a", "Z", "é", "😀", "1", "+", "、"] + SPACES
    return [["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(rng.randint(0, 60))]
            for _ in range(40)]


@pytest.mark.parametrize("capacity", [1, 2, 1 << 11])
def test_ids_and_counts_equal_split_and_first_seen_numbering(capacity):
    batches = random_batches(seed=capacity)
    want_ids, want_sizes, want_terms = reference(batches)
    table = TermTable(capacity)
    for texts, ids, sizes in zip(batches, want_ids, want_sizes):
        got_ids, got_sizes = table.ids(texts)
        assert got_ids.dtype == np.int32
        assert got_ids.tolist() == ids
        assert got_sizes.tolist() == sizes
    assert table.terms() == want_terms
    assert len(table) == len(want_terms)
    assert capacity > 2 or len(table) > 2 * capacity  # small tables had to grow, several times


def test_jieba_tokens_with_punctuation_stay_whole():
    table = TermTable()
    ids, sizes = table.ids(["互联网+督查 乡镇 人民政府", "", "乡镇\u3000互联网+督查"])
    assert table.terms() == ["互联网+督查", "乡镇", "人民政府"]
    assert ids.tolist() == [0, 1, 2, 1, 0]
    assert sizes.tolist() == [3, 0, 2]


def test_capacity_must_be_a_power_of_two():
    with pytest.raises(ValueError):
        TermTable(3)
