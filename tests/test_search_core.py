"""The search engine on the real corpus and the real model (index built once per session by
tests/app_fixtures.py `app_index_dir`; set TDS_TEST_INDEX_DIR to reuse one)."""
from __future__ import annotations

import json
import shutil
from collections import Counter

import numpy as np
import pytest

from models.duty import county_departments
from search.engine import Engine, semantic_text
from search.errors import BadRequest, IndexNotReady, NotFound

FIRE = ("森林草原防", "森林、草原火灾", "草原、林地及其边缘防灭火")


@pytest.fixture(scope="module")
def engine(app_index_dir) -> Engine:
    return Engine.open(app_index_dir)


def is_fire(duty) -> bool:
    return any(f in duty["name"] for f in FIRE)


# ----- acceptance


def test_forest_fire_search_ranks_fire_items_from_many_townships_first(engine):
    result = engine.search("山林着火了谁负责", size=10)
    top = [h["duty"] for h in result["hits"]][:8]
    assert sum(is_fire(d) for d in top) >= 7
    assert len({d["township"] for d in top if is_fire(d)}) >= 6
    fire = [d for d in top if is_fire(d)]
    assert all(d["list_type"] == "cooperative" for d in fire)
    assert all(any("应急" in lead for lead in d["lead_departments"]) for d in fire)


def test_forest_fire_owner_is_cooperative_with_emergency_lead(engine):
    rows = engine.owner("山林着火了谁负责")["results"]
    assert len(rows) == len(engine.townships())
    for row in rows:
        assert row["status"] == "cooperative", row
        assert is_fire(row["duty"])
        assert any("应急" in lead for lead in row["duty"]["lead_departments"])
        assert row["duty"]["township"] == row["township"]


# ----- search


@pytest.mark.parametrize("mode", ["keyword", "semantic", "hybrid"])
def test_search_shape(engine, mode):
    result = engine.search("有人在禁牧区搭圈舍", mode=mode, size=5)
    assert result["mode"] == mode and result["page"] == 1 and result["size"] == 5
    assert 0 < len(result["hits"]) <= 5 and result["total"] >= len(result["hits"])
    assert set(result["facets"]) == {"province", "prefecture", "county", "township", "list_type", "category",
                                     "department"}
    hit = result["hits"][0]
    assert set(hit) >= {"duty", "score", "highlights"} and isinstance(hit["score"], float)
    json.dumps(result, ensure_ascii=False)
    scores = [h["score"] for h in result["hits"]]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("mode", ["keyword", "semantic", "hybrid"])
@pytest.mark.parametrize("q", ['"', "*", "森林 AND 草原", "NEAR(防火 火灾)", "防火 OR", "-消防", "a:b", "(火", "^~+",
                               '"森林草原防火"', "NOT 火"])
def test_fts_syntax_is_searched_as_text(engine, mode, q):
    result = engine.search(q, mode=mode)
    assert result["query"] == q.strip()


def test_quoted_phrase_finds_the_same_as_unquoted(engine):
    a = [h["duty"]["id"] for h in engine.search('"森林草原防火"', mode="keyword")["hits"]]
    b = [h["duty"]["id"] for h in engine.search("森林草原防火", mode="keyword")["hits"]]
    assert a == b and a


def test_highlights_escape_and_mark(engine):
    hit = engine.search("森林草原防火", mode="keyword")["hits"][0]
    assert "<mark>" in hit["highlights"]["name"]
    for html in [hit["highlights"]["name"], *hit["highlights"]["duties"], *hit["highlights"]["departments"]]:
        stripped = html.replace("<mark>", "").replace("</mark>", "")
        assert "<" not in stripped and ">" not in stripped


@pytest.mark.parametrize("field", ["province", "prefecture", "county", "township", "list_type", "category",
                                   "department"])
@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
def test_filters_restrict_every_hit(engine, field, mode):
    facets = engine.search("安全", mode=mode)["facets"][field]
    value = facets[-1]["value"] if len(facets) > 1 else facets[0]["value"]
    result = engine.search("安全", mode=mode, filters={field: value}, size=100)
    assert result["hits"]
    for hit in result["hits"]:
        duty = hit["duty"]
        if field == "department":
            assert value in county_departments(duty)
        else:
            assert duty[field] == value
    counted = {f["value"]: f["count"] for f in result["facets"][field]}
    assert counted.get(value) == result["total"]


def test_filter_values_may_be_lists(engine):
    result = engine.search("", filters={"township": ["嘎木乡", "渡口镇"], "list_type": "recovered"}, size=100)
    assert {h["duty"]["township"] for h in result["hits"]} == {"嘎木乡", "渡口镇"}
    assert result["total"] == sum(1 for r in engine.records if r["township"] in ("嘎木乡", "渡口镇")
                                  and r["list_type"] == "recovered")


def _all_hits(engine, q, mode, filters=None):
    hits, page = [], 1
    while True:
        result = engine.search(q, mode=mode, filters=filters, page=page, size=100)
        hits += result["hits"]
        if len(hits) >= result["total"] or not result["hits"]:
            return hits, result
        page += 1


@pytest.mark.parametrize("mode", ["keyword", "semantic", "hybrid"])
@pytest.mark.parametrize("filters", [None, {"list_type": "cooperative"}, {"county": "磴口县"}])
def test_facets_count_every_matching_record(engine, mode, filters):
    hits, result = _all_hits(engine, "草原 禁牧 放牧", mode, filters)
    assert len(hits) == result["total"]
    for field in ("township", "list_type", "category", "county"):
        expected = Counter(h["duty"][field] for h in hits)
        got = {f["value"]: f["count"] for f in result["facets"][field]}
        assert got == dict(expected), field
    departments = Counter(d for h in hits for d in county_departments(h["duty"]))
    got = {f["value"]: f["count"] for f in result["facets"]["department"]}
    assert all(got[v] == departments[v] for v in got)


def test_empty_query_browses_in_document_order(engine):
    result = engine.search("", filters={"township": "嘎木乡"}, size=100)
    assert result["browse"] is True and result["total"] == 170
    known = engine.records.positions_of([h["duty"]["id"] for h in result["hits"]])
    positions = [known[h["duty"]["id"]] for h in result["hits"]]
    assert positions == sorted(positions)
    assert {f["value"]: f["count"] for f in result["facets"]["list_type"]} == {"basic": 77, "cooperative": 79,
                                                                               "recovered": 14}


def test_paging_is_consistent(engine):
    first = engine.search("安全生产", size=10)
    second = engine.search("安全生产", page=2, size=10)
    ids = [h["duty"]["id"] for h in first["hits"]] + [h["duty"]["id"] for h in second["hits"]]
    assert len(set(ids)) == len(ids)
    assert [h["duty"]["id"] for h in engine.search("安全生产", size=20)["hits"]] == ids


@pytest.mark.parametrize("kwargs", [
    {"mode": "fuzzy"}, {"size": 0}, {"size": 101}, {"page": 0}, {"filters": {"colour": "red"}},
    {"filters": {"list_type": "other"}}, {"page": "x"},
])
def test_bad_search_parameters(engine, kwargs):
    with pytest.raises(BadRequest):
        engine.search("防火", **kwargs)


def test_query_length_limit(engine):
    engine.search("火" * 200)
    with pytest.raises(BadRequest):
        engine.search("火" * 201)


def test_semantic_text_drops_the_question():
    assert semantic_text("山林着火了谁负责") == "山林着火"
    assert semantic_text("卖鞭炮的店谁管") == "卖鞭炮的店"
    assert semantic_text("谁") == "谁"
    # the 该 / 要 before 找谁 goes with it, not left hanging on the task
    assert semantic_text("咱屯子有人偷牛咋整，该找谁") == "咱屯子有人偷牛"
    assert semantic_text("草场被占了该归谁管") == "草场被占"


# ----- owner


def test_owner_task_of_another_authority_is_not_listed(engine):
    for q in ("外交", "地铁"):
        rows = engine.owner(q)["results"]
        assert all(r["verdict"] == "not_listed" and r["duty"] is None for r in rows), q



def test_owner_recovered_item_names_the_receiving_department(engine):
    rows = engine.owner("有人在禁牧区搭圈舍", townships=["嘎木乡"])["results"]
    assert len(rows) == 1
    assert rows[0]["status"] == "recovered"
    assert "圈舍" in rows[0]["duty"]["name"] and rows[0]["duty"]["receiving_departments"]


def test_owner_townships_and_errors(engine):
    rows = engine.owner("低保", townships=["索县/嘎木乡", "渡口镇"])["results"]
    assert [r["township"] for r in rows] == ["嘎木乡", "渡口镇"]
    with pytest.raises(NotFound):
        engine.owner("低保", townships=["不存在乡"])
    with pytest.raises(BadRequest):
        engine.owner("")


# ----- similar, compare, get, townships, health


def test_similar_excludes_own_township(engine):
    fire = engine.search("森林草原防火", mode="keyword", filters={"list_type": "cooperative"})["hits"][0]["duty"]
    assert is_fire(fire)
    similar = engine.similar(fire["id"], k=7)
    assert len(similar) == 7
    assert all(s["duty"]["township"] != fire["township"] for s in similar)
    assert sum(is_fire(s["duty"]) for s in similar) >= 5
    assert [s["score"] for s in similar] == sorted((s["score"] for s in similar), reverse=True)
    config = engine.config
    engine.config = config.with_(similar_floor=0.0)  # the flag alone, without the relevance floor
    try:
        with_own = engine.similar(fire["id"], k=50, other_townships=False)
    finally:
        engine.config = config
    assert any(s["duty"]["township"] == fire["township"] for s in with_own)
    assert all(s["duty"]["id"] != fire["id"] for s in with_own)
    with pytest.raises(NotFound):
        engine.similar("nope")
    with pytest.raises(BadRequest):
        engine.similar(fire["id"], k=0)


def test_compare_pairs_are_mutual_best_matches(engine):
    result = engine.compare("渡口镇", "嘎木乡")
    a = next(t for t in engine.ranges if t.township == "渡口镇")
    b = next(t for t in engine.ranges if t.township == "嘎木乡")
    va, vb = engine.vectors.vectors(a.start, a.end), engine.vectors.vectors(b.start, b.end)
    sims = va @ vb.T
    assert result["pairs"]
    pos_of = engine.records.positions_of([p[side]["id"] for p in result["pairs"] for side in "ab"])
    for pair in result["pairs"]:
        i, j = pos_of[pair["a"]["id"]] - a.start, pos_of[pair["b"]["id"]] - b.start
        assert sims[i].argmax() == j and sims[:, j].argmax() == i
        assert pair["score"] >= result["threshold"]
        assert pair["a"]["township"] == "渡口镇" and pair["b"]["township"] == "嘎木乡"
    assert len(result["pairs"]) + len(result["only_a"]) == a.end - a.start
    assert len(result["pairs"]) + len(result["only_b"]) == b.end - b.start
    paired = {p["a"]["id"] for p in result["pairs"]}
    assert not paired & {d["id"] for d in result["only_a"]}
    # near-identical lists (same county, same template) align almost completely
    same_county = engine.compare("渡口镇", "补隆淖镇")
    assert len(same_county["pairs"]) >= 150
    with pytest.raises(NotFound):
        engine.compare("渡口镇", "不存在乡")


def test_get_townships_health(engine):
    some = engine.records[0]
    assert engine.get(some["id"]) == some
    assert engine.get("nope") is None
    towns = engine.townships()
    assert len(towns) == 9 and sum(t["total"] for t in towns) == len(engine.records)
    gamu = next(t for t in towns if t["township"] == "嘎木乡")
    assert gamu["counts"] == {"basic": 77, "cooperative": 79, "recovered": 14} and gamu["county"] == "索县"
    health = engine.health()
    assert health["loaded"] and health["records"] == len(engine.records) and health["backend"] == "embedded"
    assert health["model"] == "moka-ai/m3e-small" and health["built_at"]


# ----- opening


def test_missing_index_is_not_ready(tmp_path):
    with pytest.raises(IndexNotReady) as info:
        Engine.open(tmp_path)
    assert str(tmp_path) in str(info.value)


def test_index_built_with_another_model_is_refused(engine, tmp_path):
    copy = tmp_path / "builds" / "x"
    shutil.copytree(engine.build_dir, copy)
    meta = json.loads((copy / "meta.json").read_text(encoding="utf-8"))
    meta["model"]["fingerprint"] = "0" * 16
    (copy / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    (tmp_path / "current").symlink_to("builds/x")
    with pytest.raises(IndexNotReady) as info:
        Engine.open(tmp_path)
    assert "model" in str(info.value) and str(copy) in str(info.value)


def test_index_of_an_older_format_is_refused_and_serve_rebuilds_it(engine, tmp_path):
    from search_app import serve
    from search.config import INDEX_FORMAT

    copy = tmp_path / "builds" / "x"
    shutil.copytree(engine.build_dir, copy)
    meta = json.loads((copy / "meta.json").read_text(encoding="utf-8"))
    assert meta["format"] == INDEX_FORMAT and not serve.index_outdated(str(engine.build_dir.parent.parent))
    meta["format"] = INDEX_FORMAT - 1
    (copy / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    (tmp_path / "current").symlink_to("builds/x")
    with pytest.raises(IndexNotReady) as info:
        Engine.open(tmp_path)
    assert "older version" in str(info.value) and "python -m indexer build" in str(info.value)
    assert serve.index_outdated(str(tmp_path)) and not serve.index_outdated(str(tmp_path / "nothing"))


def test_corrupt_index_is_not_ready(engine, tmp_path):
    copy = tmp_path / "builds" / "x"
    shutil.copytree(engine.build_dir, copy)
    (copy / "vectors.faiss").write_bytes(b"not an index")
    (tmp_path / "current").symlink_to("builds/x")
    with pytest.raises(IndexNotReady):
        Engine.open(tmp_path)


# ----- FAISS index kinds (what the scaling path uses)


@pytest.mark.parametrize("kind, min_recall", [("hnsw", 0.9), ("ivfpq", 0.5), ("ivf-sq8", 0.95)])
def test_ann_index_kinds(engine, kind, min_recall):
    from search.ann import faiss_index as semantic

    base = engine.vectors.vectors(0, len(engine.records))
    rng = np.random.default_rng(0)
    data = np.concatenate([base + rng.normal(0, 0.02, base.shape).astype(np.float32) for _ in range(6)])
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    exact = semantic.SemanticIndex(semantic.build_index(data, "flat"))
    # 16-byte codes here keep the test fast (production default: 64 bytes, see semantic.py)
    ann = semantic.SemanticIndex(semantic.build_index(data, kind, pq_bytes=16), nprobe=16)
    assert ann.kind == kind
    recalls = []
    for i in range(0, len(data), 500):
        truth, _ = exact.search(data[i], 10)
        got, _ = ann.search(data[i], 10)
        recalls.append(len(set(truth) & set(got)) / 10)
        allowed = np.zeros(len(data), dtype=bool)
        allowed[: len(data) // 2] = True
        filtered, _ = ann.search(data[i], 10, allowed)
        assert all(p < len(data) // 2 for p in filtered)
        ranged, _ = ann.search_range(data[i], 5, 100, 400)
        assert all(100 <= p < 400 for p in ranged)
    assert np.mean(recalls) >= min_recall
    if kind != "ivfpq":  # the stored vectors the owner answer reads: full or 8-bit, not 16-byte PQ codes
        decoded = ann.vectors(0, 50)
        assert float(np.min(np.sum(decoded * data[:50], axis=1))) > 0.99
    # the owner answer's cosines over several townships' ranges, in one call: each range's
    # stored vectors against the query, in position order
    ranges = [(0, 7), (100, 100), (250, 400), (len(data) - 3, len(data))]
    got = ann.range_cosines(data[3], ranges)
    assert [len(g) for g in got] == [end - start for start, end in ranges]
    for (start, end), cosines in zip(ranges, got):
        assert np.allclose(cosines, ann.vectors(start, end) @ data[3], atol=1e-6)
    if kind != "ivfpq":
        assert abs(float(got[0][3]) - 1.0) < 0.01  # the query's own vector
    assert ann.range_cosines(data[3], []) == []
    # stored vectors picked by position, in the order asked, repeats included
    picked = np.array([250, 3, len(data) - 1, 3], dtype=np.int64)
    assert np.array_equal(ann.vectors_at(picked), np.stack([ann.vector(int(p)) for p in picked]))
    assert ann.vectors_at(np.zeros(0, dtype=np.int64)).shape == (0, data.shape[1])


def test_similar_does_not_pad_with_unrelated_items(engine):
    record = engine.search("出具婚姻状况证明", mode="keyword")["hits"][0]["duty"]
    similar = engine.similar(record["id"], k=10)
    assert all(s["similarity"] >= engine.config.similar_floor for s in similar)
    assert not any("老年人" in s["duty"]["name"] for s in similar), [s["duty"]["name"] for s in similar]


def test_total_says_whether_it_counts_every_match(engine):
    """Keyword totals count every match; semantic and hybrid matches stop at `depth` a side, and
    say so (total_relation gte) exactly when a side was cut there."""
    keyword = engine.search("森林草原防火", mode="keyword")
    assert keyword["total_relation"] == "eq"
    assert engine.search("", mode="semantic")["total_relation"] == "eq"  # browsing counts every record
    for mode in ("semantic", "hybrid"):
        deep = engine.search("养的牛得了病", mode=mode, depth=2000)
        shallow = engine.search("养的牛得了病", mode=mode, depth=5)
        assert shallow["total_relation"] == "gte" and shallow["total"] >= 5
        assert deep["total_relation"] == "eq" and deep["total"] > shallow["total"]
    assert engine.search("火星移民", mode="hybrid")["total_relation"] == "eq"
