"""The Elasticsearch keyword backend against a real node (tools/es-node).

`scripts/test.sh` starts a node and exports ES_URL; tests/conftest.py moves it to TDS_TEST_ES_URL
so the rest of the suite stays on the embedded store. Without a URL these tests skip with a
message — except under CI=true, where they fail. Clusters of three nodes (separate JVMs, a node
killed under load, the whole engine in Elasticsearch) are in tests/test_es_cluster.py.

The embedded index is the session one (tests/app_fixtures.py); its records and tokens are written
to a test alias (not `duties`) with indexer/es_index.py, so no second embedding run is needed.
"""
from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from pathlib import Path

import pytest

from under_load import under_load

REPO = Path(__file__).resolve().parent.parent
CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
ES_URL = os.environ.get("TDS_TEST_ES_URL") or os.environ.get("ES_URL") or ""
ALIAS = f"tds-test-{uuid.uuid4().hex[:8]}"
DEAD_URL = "http://127.0.0.1:9"  # nothing listens there: "Elasticsearch stopped"

FALLBACK_QUERIES = [
    "山林着火了谁负责", "有人在禁牧区搭圈舍", "宅基地审批", "低保申请", "残疾人补贴", "征兵工作", "河长制巡河",
    "农村饮水安全", "护林员管理", "安全生产检查", "食品安全", "义务教育控辍保学", "计划生育", "退役军人服务",
    "耕地保护", "非法采砂", "草原生态补奖", "动物防疫", "道路交通安全", "矛盾纠纷调解",
]


def _need_es():
    if not ES_URL:
        message = "ES_URL is not set: run scripts/test.sh (starts tools/es-node) or export ES_URL"
        if CI:
            pytest.fail(message + " — under CI=true the Elasticsearch tests must run")
        pytest.skip(message)


def _queries() -> list[str]:
    path = REPO / "tests" / "eval" / "queries.jsonl"
    if path.exists():
        queries = [json.loads(line)["query"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        if queries:
            return list(dict.fromkeys(queries))
    return FALLBACK_QUERIES


# ----- fixtures

@pytest.fixture(scope="module")
def es_url():
    _need_es()
    from elasticsearch import Elasticsearch
    es = Elasticsearch(ES_URL, request_timeout=10)
    try:
        info = es.info()
    except Exception as exc:
        pytest.fail(f"ES_URL={ES_URL} is set but the node does not answer: {exc}")
    assert info["version"]["number"].startswith("8."), info["version"]
    return ES_URL


@pytest.fixture(scope="module")
def es(es_url):
    from indexer.es_index import client
    es = client(es_url)
    yield es
    es.indices.delete(index=f"{ALIAS}-*", ignore_unavailable=True, allow_no_indices=True)
    es.close()


@pytest.fixture(scope="module")
def build_parts(app_index_dir):
    """(records, tokens, build_id) of the session's embedded build."""
    from search import store

    build_dir = (Path(app_index_dir) / "current").resolve()
    records = store.read_records(build_dir / store.DB_NAME)
    return records, store.read_tokens(build_dir / store.DB_NAME), build_dir.name


@pytest.fixture(scope="module")
def indexed(es, es_url, build_parts):
    from indexer.es_index import write_index
    records, tokens, build_id = build_parts
    logged = []
    result = write_index(es_url, records, tokens, build_id, alias=ALIAS, log=logged.append, es=es)
    return result | {"log": logged, "records": len(records)}


@pytest.fixture(scope="module")
def engines(app_index_dir, indexed, es_url):
    """(embedded engine, Elasticsearch engine) on the same build."""
    from search.config import SearchConfig
    from search.engine import Engine
    from search.keyword.es import EsKeywordBackend

    config = SearchConfig.from_env()
    embedded = Engine.open(app_index_dir, config=config)
    backend = EsKeywordBackend(es_url, ALIAS, config.field_weights, build_id=embedded.meta.get("build_id"))
    elastic = Engine.open(app_index_dir, config=config, keyword_backend=backend)
    yield embedded, elastic
    embedded.close()
    elastic.close()


def _ids(result) -> list[str]:
    return [h["duty"]["id"] for h in result["hits"]]


# ----- indexing

def test_whole_corpus_indexes_without_rejections(es, indexed):
    assert indexed["indexed"] == indexed["records"] > 1000
    assert not [line for line in indexed["log"] if line.startswith("rejected")]
    assert list(es.indices.get_alias(name=ALIAS)) == [indexed["index"]]
    assert es.count(index=ALIAS)["count"] == indexed["records"]
    mapping = es.indices.get_mapping(index=ALIAS)[indexed["index"]]["mappings"]
    assert mapping["properties"]["record"] == {"type": "object", "enabled": False}
    assert mapping["properties"]["tokens"]["properties"]["name"]["analyzer"] == "jieba_tokens"


def test_rejected_documents_fail_the_build_and_leave_the_alias(es, es_url, indexed, build_parts):
    from indexer.es_index import EsIndexError, write_index
    records, tokens, build_id = build_parts
    bad_tokens = list(tokens)
    bad_tokens[3] = {**tokens[3], "unexpected": "x"}  # the mapping is strict: this document is rejected
    logged = []
    with pytest.raises(EsIndexError, match="1 of"):
        write_index(es_url, records, bad_tokens, build_id, alias=ALIAS, log=logged.append, es=es)
    assert any(line.startswith(f"rejected document {records[3]['id']}") for line in logged), logged
    assert list(es.indices.get_alias(name=ALIAS)) == [indexed["index"]]
    assert sorted(es.indices.get(index=f"{ALIAS}-*")) == [indexed["index"]]


# ----- same results as the embedded store

def test_top10_overlap_with_embedded_keyword_search(engines):
    embedded, elastic = engines
    overlaps, worst = [], []
    for q in _queries():
        a, b = _ids(embedded.search(q, mode="keyword", size=10)), _ids(elastic.search(q, mode="keyword", size=10))
        overlap = 1.0 if not a and not b else len(set(a) & set(b)) / max(len(a), len(b))
        overlaps.append(overlap)
        worst.append((overlap, q))
    mean = sum(overlaps) / len(overlaps)
    worst.sort()
    print(f"\nElasticsearch vs embedded keyword top-10 overlap: mean {mean:.3f} over {len(overlaps)} queries; "
          f"lowest: " + ", ".join(f"{q} {o:.1f}" for o, q in worst[:5]))
    assert mean >= 0.8


def test_expansion_weights_scale_their_scores(engines):
    """Expansions weighted at 0.5 in Elasticsearch: each record scores its typed words' score plus
    half its expansions' (BM25 sums over terms, as the embedded index does), same matches."""
    embedded, elastic = engines
    backend = elastic.keyword
    checked = 0
    for query in ("山林着火了谁负责", "养的牛得了病", "房子裂了"):
        terms = embedded.segmenter.query_terms(query)
        typed = [t for t in terms.keyword if t in terms.tokens]
        added = [t for t in terms.keyword if t not in terms.tokens]
        weighted = backend.search(terms.keyword, {}, None, weights=terms.keyword_weights(0.5))
        alone = dict(backend.search(typed, {}, None).hits)
        extra = dict(backend.search(added, {}, None).hits)
        assert weighted.total == len(set(alone) | set(extra)) == len(weighted.hits)
        for p, score in weighted.hits:
            assert score == pytest.approx(alone.get(p, 0.0) + 0.5 * extra.get(p, 0.0), rel=1e-4)
            checked += 1
    assert checked > 50


def test_totals_and_facets_equal_embedded(engines):
    embedded, elastic = engines
    cases = [
        ("山林着火了谁负责", {}),
        ("低保", {"list_type": ["basic"]}),
        ("安全生产", {"county": ["磴口县"]}),
        ("宅基地", {"township": ["渡口镇", "嘎木乡"]}),
        ("", {"list_type": ["recovered"]}),
        ("", {"township": ["克孜勒苏乡"], "list_type": ["cooperative"]}),
    ]
    departments = embedded.search("", mode="keyword", size=1)["facets"]["department"]
    cases.append(("", {"department": [departments[0]["value"]]}))
    cases.append(("防火", {"department": [d["value"] for d in departments[:3]]}))
    for q, filters in cases:
        a = embedded.search(q, mode="keyword", filters=filters, size=20)
        b = elastic.search(q, mode="keyword", filters=filters, size=20)
        assert a["total"] == b["total"] > 0, (q, filters)
        assert a["facets"] == b["facets"], (q, filters)
        if not q:  # browse: document order, identical
            assert _ids(a) == _ids(b)


def test_hybrid_and_highlights(engines):
    embedded, elastic = engines
    q = "山林着火了谁负责"
    a, b = embedded.search(q, size=10), elastic.search(q, size=10)
    assert len(set(_ids(a)) & set(_ids(b))) >= 8
    hit = b["hits"][0]
    assert "<mark>" in json.dumps(hit["highlights"], ensure_ascii=False)
    assert "degraded" not in b


def test_health_reports_elasticsearch(engines, indexed):
    _, elastic = engines
    health = elastic.health()
    assert health["backend"] == "elasticsearch"
    assert health["es"] == "up" and health["degraded"] is False
    assert health["keyword"]["index"] == indexed["index"]
    assert health["keyword"]["records"] == indexed["records"]


# ----- zero-downtime rebuild

def test_rebuild_while_querying_fails_no_query(es, es_url, engines, build_parts, indexed):
    from indexer.es_index import write_index
    _, elastic = engines
    records, tokens, build_id = build_parts
    queries = ["山林着火了谁负责", "低保申请", "宅基地审批", "禁牧区搭圈舍"]

    def ask(i):
        q = queries[i % len(queries)]
        result = elastic.search(q, mode="keyword" if i % 2 else "hybrid", size=10)
        assert result["total"] > 0, q
        assert elastic.keyword.facets([q], {}, 5) is not None

    with under_load(ask, join_seconds=30) as (errors, done):
        time.sleep(0.3)
        names = [indexed["index"]]
        for _ in range(2):
            names.append(write_index(es_url, records, tokens, build_id, alias=ALIAS, log=lambda *_: None, es=es)["index"])
        time.sleep(0.3)
    assert not errors, errors[:5]
    assert len(done) >= 5
    assert list(es.indices.get_alias(name=ALIAS)) == [names[-1]]
    # the one just replaced is kept (an engine may still read it), older ones are deleted
    assert sorted(es.indices.get(index=f"{ALIAS}-*")) == sorted(names[-2:])
    indexed["index"] = names[-1]


def test_cli_build_writes_elasticsearch(es, es_url, tmp_path):
    """`python -m indexer build --es-url` on one document: local files and the alias, in one build."""
    from indexer import build

    raw = tmp_path / "raw"
    raw.mkdir()
    source = min((REPO / "data" / "raw").glob("*.txt"), key=lambda p: p.stat().st_size)
    shutil.copyfile(source, raw / source.name)
    alias = f"{ALIAS}-cli"
    try:
        rc = build.main(["--raw", str(raw), "--index-dir", str(tmp_path / "index"), "--no-progress",
                         "--es-url", es_url, "--es-index", alias])
        assert rc == 0
        meta = json.loads((tmp_path / "index" / "current" / "meta.json").read_text(encoding="utf-8"))
        assert es.count(index=alias)["count"] == meta["records"] > 100
        (index,) = es.indices.get_alias(name=alias)
        assert index.startswith(alias + "-")
    finally:
        es.indices.delete(index=f"{alias}-*", ignore_unavailable=True, allow_no_indices=True)


# ----- faults

@pytest.fixture(scope="module")
def dead_client(app_index_dir, es_url):
    from search_app import create_app
    from search.config import SearchConfig
    from search.engine import Engine
    from search.keyword.es import EsKeywordBackend

    config = SearchConfig.from_env()
    engine = Engine.open(app_index_dir, config=config,
                         keyword_backend=EsKeywordBackend(DEAD_URL, ALIAS, config.field_weights))

    class Holder:
        def get(self):
            return engine

    app = create_app({"TESTING": True, "INDEX_DIR": str(app_index_dir), "ENGINE_HOLDER": Holder()})
    yield app.test_client()
    engine.close()


@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
def test_unreachable_elasticsearch_gives_503(dead_client, mode):
    response = dead_client.get("/api/search", query_string={"q": "山林着火了谁负责", "mode": mode})
    assert response.status_code == 503
    body = response.get_json()
    assert body["error"]["code"] == "backend_unavailable"
    assert f"Elasticsearch unreachable at {DEAD_URL}" in body["error"]["message"]
    assert response.headers.get("Retry-After")


def test_unreachable_elasticsearch_semantic_is_degraded(dead_client):
    response = dead_client.get("/api/search", query_string={"q": "山林着火了谁负责", "mode": "semantic"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["degraded"] is True and body["hits"]
    browse = dead_client.get("/api/search", query_string={"mode": "semantic", "list_type": "recovered"})
    assert browse.status_code == 200 and browse.get_json()["degraded"] is True
    assert browse.get_json()["total"] > 0
    health = dead_client.get("/api/health").get_json()
    assert health["backend"] == "elasticsearch" and health["es"] == "down" and health["degraded"] is True
    owner = dead_client.get("/api/owner", query_string={"q": "山林着火了谁负责"})
    assert owner.status_code == 200 and owner.get_json()["degraded"] is True
    # without the keyword side nobody can tell that no word is shared: never 清单之外 on that ground
    assert all(row["verdict"] != "not_listed" for row in owner.get_json()["results"])


# ----- three nodes: shards and a replica

# ----- several nodes in ES_URL

def _hung_node():
    """A port that accepts connections and never answers: a frozen node."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    return listener, f"http://127.0.0.1:{listener.getsockname()[1]}"


@pytest.mark.parametrize("first", ["dead", "hung"])
def test_a_dead_or_hung_first_node_fails_no_query(app_index_dir, indexed, es_url, first):
    """ES_URL lists a node that refuses connections (or accepts and never answers) before a live one:
    every query is answered, the bad node costs one short timeout, not one per request, and health
    says which node answers."""
    from search.config import SearchConfig
    from search.engine import Engine
    from search.keyword.es import EsKeywordBackend

    listener, hung_url = _hung_node()
    bad = DEAD_URL if first == "dead" else hung_url
    config = SearchConfig.from_env()
    backend = EsKeywordBackend(f"{bad},{es_url}", ALIAS, config.field_weights, timeout=1.0)
    engine = Engine.open(app_index_dir, config=config, keyword_backend=backend)
    try:
        started = time.monotonic()
        answered = 0
        for q in _queries()[:20]:
            for mode in ("keyword", "hybrid"):
                answered += bool(engine.search(q, mode=mode)["total"] >= 0)
        elapsed = time.monotonic() - started
        assert answered == 40
        assert elapsed < 20, elapsed  # 40 requests each waiting the 1 s timeout would take 40 s or more
        assert backend.health()["nodes_answering"] == [{"url": bad, "up": False}, {"url": es_url, "up": True}]
    finally:
        engine.close()
        listener.close()


def test_es_url_lists_nodes_and_credentials_reach_the_client():
    from search.keyword.es_client import Credentials, hosts

    assert hosts("http://a:9200/, http://b:9200 http://c:9200") == ["http://a:9200", "http://b:9200", "http://c:9200"]
    with pytest.raises(ValueError):
        hosts(" , ")
    assert Credentials(api_key="k").options() == {"api_key": "k"}
    assert Credentials(username="u", password="p", ca_certs="/ca.pem").options() == {
        "basic_auth": ("u", "p"), "ca_certs": "/ca.pem"}
