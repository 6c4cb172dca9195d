"""The embedded BM25 index against SQLite FTS5's bm25(), the ranking function it reproduces.

The reference is a real FTS5 table filled with the same space-joined jieba tokens and queried
with the terms quoted and OR-ed — exactly how the first version of the store searched.
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from models.fields import KEYWORD_FIELDS
from search import store
from search.keyword import bm25 as keyword_bm25
from search.config import SearchConfig

WEIGHTS = SearchConfig().field_weights


def fts5_table(tokens: list[dict[str, str]]) -> sqlite3.Connection:
    """FTS5 over the tokens, splitting only where they are joined (a few jieba tokens hold
    punctuation, "互联网+督查", which unicode61 would otherwise cut in two)."""
    inner = {c for t in tokens for text in t.values() for c in text if not c.isspace() and not c.isalnum()}
    chars = "".join(sorted(inner - {"'", '"'}))
    option = f" tokenchars ''{chars}''" if chars else ""
    connection = sqlite3.connect(":memory:")
    connection.execute(f"CREATE VIRTUAL TABLE t USING fts5({', '.join(KEYWORD_FIELDS)}, "
                       f"tokenize = 'unicode61 remove_diacritics 0{option}')")
    connection.executemany(f"INSERT INTO t(rowid, {', '.join(KEYWORD_FIELDS)}) VALUES (?{',?' * len(KEYWORD_FIELDS)})",
                           ((pos, *(t[f] for f in KEYWORD_FIELDS)) for pos, t in enumerate(tokens)))
    return connection


def fts5_scores(connection, terms: list[str], weights: dict[str, float]) -> dict[int, float]:
    expression = " OR ".join('"' + t.replace('"', '""') + '"' for t in dict.fromkeys(terms))
    args = ", ".join(str(float(weights[f])) for f in KEYWORD_FIELDS)
    rows = connection.execute(f"SELECT rowid, -bm25(t, {args}) FROM t WHERE t MATCH ?", (expression,))
    return {int(pos): float(score) for pos, score in rows}


def ours(index: keyword_bm25.Bm25Index, terms: list[str]) -> dict[int, float]:
    matches = index.search(terms, None, None)
    return dict(matches.hits)


TOY = [
    {"name": "森林草原防火", "category": "平安法治", "duties": "负责 森林 草原 防火 巡查", "departments": "应急管理局",
     "asked": "山上 着火 谁 管\n上坟 烧纸 防火"},
    {"name": "草原生态保护", "category": "生态环境", "duties": "草原 保护 巡查 巡查", "departments": "林草局",
     "asked": "草场 退化"},
    {"name": "河湖长制", "category": "生态环境", "duties": "河道 巡查 河湖长制", "departments": "水利局 林草局",
     "asked": ""},
    {"name": "流动人口服务管理", "category": "平安法治", "duties": "登记 流动人口", "departments": "公安局",
     "asked": "外地 租户 登记"},
    {"name": "防火", "category": "", "duties": "", "departments": "", "asked": ""},
]


@pytest.fixture()
def toy(tmp_path) -> keyword_bm25.Bm25Index:
    stats = keyword_bm25.write_index(tmp_path / "bm25", TOY)
    assert stats["records"] == len(TOY)
    return keyword_bm25.Bm25Index(tmp_path / "bm25", WEIGHTS)


@pytest.mark.parametrize("terms", [["巡查"], ["草原"], ["防火", "巡查"], ["林草局", "河湖长制", "登记"],
                                   ["防火", "防火"], ["不存在"], ["着火", "登记"]])
@pytest.mark.parametrize("weights", [WEIGHTS, {f: 1.0 for f in KEYWORD_FIELDS},
                                     {"name": 0.0, "category": 3.0, "duties": 1.0, "departments": 0.5, "asked": 2.0}])
def test_scores_equal_fts5_bm25_on_a_small_corpus(tmp_path, terms, weights):
    keyword_bm25.write_index(tmp_path / "bm25", TOY)
    index = keyword_bm25.Bm25Index(tmp_path / "bm25", weights)
    expected = fts5_scores(fts5_table(TOY), terms, weights)
    got = ours(index, terms)
    assert set(got) == set(expected)  # the same records match (a zero-weight field still matches)
    for pos, score in expected.items():
        assert got[pos] == pytest.approx(score, rel=1e-5, abs=1e-9)


def test_tokens_match_whole_and_query_syntax_is_text(toy):
    assert set(ours(toy, ["森林草原防火"])) == {0}       # one token
    assert set(ours(toy, ["草原"])) == {0, 1}            # the sub-word the segmenter added
    assert ours(toy, ["森林草"]) == {}                   # no partial-token matches
    for hostile in ['"', "*", ":", "(", ")", "AND", "OR", 'NEAR("a" "b")', "", "\x00"]:
        assert ours(toy, [hostile]) == {}                # no syntax: just a term found nowhere


def test_filters_restrict_matches_and_total(toy):
    mask = np.array([False, True, True, True, True])
    matches = toy.search(["巡查"], mask, 1)
    assert matches.total == 2 and list(matches.positions) == [1, 2]
    assert len(matches.hits) == 1 and matches.hits[0][0] in (1, 2)


def test_top_is_exact_at_ties():
    rng = np.random.default_rng(7)
    for _ in range(200):
        n = int(rng.integers(1, 60))
        positions = np.sort(rng.choice(1000, n, replace=False))
        scores = rng.integers(0, 5, n).astype(np.float32)  # many ties
        limit = int(rng.integers(1, 70))
        expected = sorted(zip(positions.tolist(), scores.tolist()), key=lambda x: (-x[1], x[0]))[:limit]
        assert keyword_bm25.top(positions, scores, limit) == expected
    assert keyword_bm25.top(np.array([3]), np.array([1.0], dtype=np.float32), 0) == []


def test_writing_in_chunks_gives_the_same_index(tmp_path, monkeypatch):
    many = [TOY[i % len(TOY)] | {"duties": TOY[i % len(TOY)]["duties"] + f" 编号{i % 7}"} for i in range(53)]
    keyword_bm25.write_index(tmp_path / "one", many)
    monkeypatch.setattr(keyword_bm25, "_CHUNK", 10)
    keyword_bm25.write_index(tmp_path / "chunked", many)
    one = keyword_bm25.Bm25Index(tmp_path / "one", WEIGHTS)
    chunked = keyword_bm25.Bm25Index(tmp_path / "chunked", WEIGHTS)
    for terms in (["巡查"], ["编号3", "草原"], ["防火"]):
        assert ours(one, terms) == pytest.approx(ours(chunked, terms))
    for name in ("indptr.npy", "docs.npy", "tf.npy", "doc_len.npy"):  # the very same files
        assert np.array_equal(np.load(tmp_path / "one" / name), np.load(tmp_path / "chunked" / name)), name
    docs, indptr = np.load(tmp_path / "chunked" / "docs.npy"), np.load(tmp_path / "chunked" / "indptr.npy")
    assert all(np.all(np.diff(docs[a:b]) > 0) for a, b in zip(indptr[:-1], indptr[1:]))  # ascending per term
    assert sorted(p.name for p in (tmp_path / "chunked").iterdir()) == [
        "doc_len.npy", "docs.npy", "indptr.npy", "terms.json", "tf.npy"]  # the chunks set aside are gone


# ----- the real corpus


def eval_terms(engine) -> list[list[str]]:
    path = Path(__file__).parent / "eval" / "queries.jsonl"
    queries = [json.loads(line)["query"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [engine.segmenter.query_terms(q).all for q in queries]


@pytest.fixture(scope="module")
def engine(app_index_dir):
    from search.engine import Engine
    return Engine.open(app_index_dir)


@pytest.mark.parametrize("dense_share", [0, 10 ** 9])  # every query merged sparsely / scored densely
def test_ranking_equals_fts5_bm25_on_the_corpus_for_every_eval_query(engine, monkeypatch, dense_share):
    monkeypatch.setattr(keyword_bm25, "DENSE_SHARE", dense_share)
    build_dir = engine.build_dir
    reference = fts5_table(store.read_tokens(build_dir / store.DB_NAME))
    checked = 0
    for terms in eval_terms(engine):
        expected = fts5_scores(reference, terms, engine.config.field_weights)
        got = ours(engine.keyword.index, terms)
        assert set(got) == set(expected), terms
        for pos, score in expected.items():
            assert got[pos] == pytest.approx(score, rel=1e-4, abs=1e-6), (terms, pos)
        best = sorted(expected, key=lambda p: (-expected[p], p))[:10]
        top10 = [p for p, _ in engine.keyword.search(terms, {}, 10).hits]
        # the same top 10, in the same order up to float32 rounding between near-equal scores
        assert set(top10) == set(best) or all(abs(expected[a] - expected[b]) < 1e-4 for a, b in zip(top10, best))
        checked += bool(expected)
    assert checked >= 100


def test_the_compiled_loop_answers_as_numpy_to_the_last_bit(engine, monkeypatch):
    """search/keyword/scoring.py against the numpy reference (dense path: the same float32 sums),
    on every eval query, unfiltered and filtered, at every kind of limit: the same hits in the same
    order with the same scores, and the same match set."""
    monkeypatch.setattr(keyword_bm25, "DENSE_SHARE", 10 ** 9)
    index = engine.keyword.index
    rng = np.random.default_rng(11)
    masks = [None, rng.random(index.count) < 0.3, np.zeros(index.count, dtype=bool)]
    for terms in eval_terms(engine):
        for weights in (None, rng.choice([0.3, 0.5, 1.0], size=len(terms)).tolist()):
            for mask in masks:
                for limit in (None, 0, 1, 10, 100):
                    compiled = index.search(terms, mask, limit, weights)
                    reference = index.search_numpy(terms, mask, limit, weights)
                    assert compiled.hits == reference.hits, (terms, weights, limit)
                    assert np.array_equal(compiled.positions, reference.positions), terms


def test_a_terms_weight_scales_its_score(engine):
    """BM25 is a sum over terms: with the expansions at 0.5, each record scores its typed words'
    score plus half its expansions' score (both found unweighted), and matches the same records."""
    index = engine.keyword.index
    checked = 0
    for query in ("山林着火了谁负责", "养的牛得了病", "房子裂了", "低保怎么申请"):
        terms = engine.segmenter.query_terms(query)
        typed = [t for t in terms.keyword if t in terms.tokens]
        added = [t for t in terms.keyword if t not in terms.tokens]
        assert added, query
        weighted = index.search(terms.keyword, None, None, terms.keyword_weights(0.5))
        alone = dict(index.search(typed, None, None).hits)
        extra = dict(index.search(added, None, None).hits)
        assert set(p for p, _ in weighted.hits) == set(alone) | set(extra)
        for p, score in weighted.hits:
            assert score == pytest.approx(alone.get(p, 0.0) + 0.5 * extra.get(p, 0.0), rel=1e-5)
            checked += 1
    assert checked > 100


def test_a_term_given_twice_keeps_its_higher_weight(engine):
    index = engine.keyword.index
    once = index.search(["防火"], None, 20).hits
    assert index.search(["防火", "防火"], None, 20, [0.2, 1.0]).hits == once
    assert index.search(["防火", "防火"], None, 20, [1.0, 0.2]).hits == once


def test_the_engine_weighs_expansions_as_configured(engine):
    """SearchConfig.expansion_weight reaches the keyword side of search and of the owner answer."""
    import copy

    def engine_with(**changes):
        clone = copy.copy(engine)
        clone.config = engine.config.with_(**changes)
        return clone

    query = "养的牛得了病"
    terms = engine.segmenter.query_terms(query)
    half = engine_with(expansion_weight=0.5)
    expected = engine.keyword.index.search(terms.keyword, None, 10, terms.keyword_weights(0.5)).hits
    assert half.keyword_search(terms, {}, 10).hits == expected
    assert engine_with(expansion_weight=1.0).keyword_search(terms, {}, 10).hits == \
        engine.keyword.index.search(terms.keyword, None, 10).hits
    explained = half.search(query, mode="keyword", size=3, explain=True)
    assert [h["score"] for h in explained["hits"]] == [round(s, 6) for _, s in expected[:3]]
    weights = explained["terms"]["keyword_weights"]  # explain says how much each term counted
    assert weights == dict(zip(terms.keyword, terms.keyword_weights(0.5))) and 0.5 in weights.values()


def test_the_compiled_loop_breaks_ties_by_position(tmp_path):
    """Records with equal scores (the same text three times over) rank by position at every limit."""
    keyword_bm25.write_index(tmp_path / "bm25", TOY * 3)
    index = keyword_bm25.Bm25Index(tmp_path / "bm25", WEIGHTS)
    every = index.search(["巡查", "草原"], None, None).hits
    assert len(every) == 9 and len({s for _, s in every}) == 3  # three scores, each three times
    assert every == sorted(every, key=lambda h: (-h[1], h[0]))
    for limit in range(1, len(every) + 1):
        assert index.search(["巡查", "草原"], None, limit).hits == every[:limit]


def test_facets_over_keyword_matches_count_every_match(engine):
    result = engine.search("防火", mode="keyword", size=1)
    matches = engine.keyword.index.search(engine.segmenter.query_terms("防火").all, None, None)
    assert result["total"] == matches.total > 10
    by_township = {f["value"]: f["count"] for f in result["facets"]["township"]}
    expected: dict[str, int] = {}
    for record in engine.records.many(matches.positions):
        expected[record["township"]] = expected.get(record["township"], 0) + 1
    assert by_township == expected
