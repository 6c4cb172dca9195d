"""Elasticsearch as the whole engine, on a cluster of three nodes, each its own JVM (tools/es-node).

The session's build (records, tokens, the flat index's exact vectors, meta and dictionary) is
written to the cluster with indexer/es_index.py; an app whose index folder is empty then serves
from the cluster alone (search/elastic/). A node is killed with SIGKILL under a query loop, one
after another, and brought back. Needs Java; under CI=true a missing Java fails instead of skipping.
Port: ES_CLUSTER_PORT (default 9260, nodes on 9260..9262).
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from under_load import under_load

REPO = Path(__file__).resolve().parent.parent
CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PORT = int(os.environ.get("ES_CLUSTER_PORT", "9260"))
RUN = REPO / "tools" / "es-node" / "target" / "run"
ALIAS = f"tds-full-{uuid.uuid4().hex[:8]}"
QUERIES = ["山林着火了谁负责", "低保申请", "宅基地审批", "禁牧区搭圈舍", "养的牛得了病", "河长制巡河"]

pytestmark = pytest.mark.es_cluster


def _es_node(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(REPO / "tools/es-node" / args[0]), *args[1:]], capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def cluster_url():
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        if CI:
            pytest.fail("java is missing: the 3-node Elasticsearch tests cannot start a cluster")
        pytest.skip("java is missing: cannot start a 3-node Elasticsearch cluster")
    start = _es_node("start.sh", "--nodes", "3", "--port", str(PORT), "--wipe")
    assert start.returncode == 0, start.stderr[-3000:]
    url = start.stdout.strip().splitlines()[-1]
    assert len(url.split(",")) == 3, url
    yield url
    _es_node("stop.sh", "--port", str(PORT), "--wipe", timeout=120)


@pytest.fixture(scope="module")
def session_build(app_index_dir):
    """The session's embedded build as write_index's arguments (its flat index's exact vectors)."""
    from indexer.es_index import local_build

    return local_build(app_index_dir)


def _write(url, session_build, alias=ALIAS):
    from indexer.es_index import client, write_index

    es = client(url)
    try:
        return write_index(url, alias=alias, shards=3, replicas=1, log=lambda *_: None, es=es, **session_build)
    finally:
        es.close()


@pytest.fixture(scope="module")
def full_build(cluster_url, session_build):
    return _write(cluster_url, session_build)


@pytest.fixture(scope="module")
def cluster_config(cluster_url, full_build):
    from search.config import SearchConfig

    return SearchConfig.from_env(es_url=cluster_url, es_index=ALIAS, es_timeout=1.0)


@pytest.fixture(scope="module")
def cluster_app(cluster_config, tmp_path_factory):
    """The app with an empty index folder: everything comes from the cluster."""
    from search.holder import EngineHolder
    from search_app import create_app

    empty = tmp_path_factory.mktemp("no-local-build")
    holder = EngineHolder(index_dir=empty, config=cluster_config)
    app = create_app({"TESTING": True, "INDEX_DIR": str(empty), "ENGINE_HOLDER": holder})
    holder.get()
    return app


def _shape(value):
    """The JSON's structure: keys of objects, and the shape of a list's first item."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__ if not isinstance(value, (int, float)) or isinstance(value, bool) else "number"


def _same_shape(a, b) -> bool:
    """Two shapes agree: the same keys, the same scalar types, and lists whose first items agree —
    an empty list agrees with any list (the two backends rank hits a little differently, and one
    hit's highlights may be empty, or its matched question null, where another's are not)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_shape(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return not a or not b or _same_shape(a[0], b[0])
    return a == b or (isinstance(a, str) and isinstance(b, str) and "NoneType" in (a, b))


def test_the_build_is_spread_over_three_nodes_with_a_replica(cluster_url, full_build):
    from indexer.es_index import client

    es = client(cluster_url)
    try:
        assert es.cluster.health(index=ALIAS, wait_for_status="green", timeout="60s")["status"] == "green"
        shards = es.cat.shards(index=full_build["index"], format="json")
        assert len(shards) == 6 and {s["state"] for s in shards} == {"STARTED"}
        assert len({s["node"] for s in shards}) == 3
        # the build document is copied to every node, so any one of them can be lost
        assert len(es.cat.shards(index=full_build["index"] + "-build", format="json")) == 3
    finally:
        es.close()


def test_cluster_mode_serves_every_endpoint_with_no_local_build(cluster_app, app):
    remote, local = cluster_app.test_client(), app.test_client()
    health = remote.get("/api/health").get_json()
    assert health["faiss"].startswith("elasticsearch") and health["index_dir"].startswith(ALIAS)
    assert [n["up"] for n in health["keyword"]["nodes_answering"]] == [True, True, True]
    duty = local.get("/api/search?q=低保&mode=keyword").get_json()["hits"][0]["duty"]["id"]
    towns = local.get("/api/townships").get_json()
    first = towns["townships"][0]["township"] if isinstance(towns, dict) else towns[0]["township"]
    urls = [f"/api/search?q={q}&mode={m}" for q in QUERIES[:3] for m in ("keyword", "semantic", "hybrid")]
    urls += ["/api/search?q=&township=渡口镇", "/api/search?q=低保&list_type=basic&mode=hybrid",
             "/api/owner?q=山林着火了谁负责", "/api/owner?q=低保&county=磴口县", f"/api/duties/{duty}",
             f"/api/duties/{duty}/similar", "/api/compare?a=渡口镇&b=补隆淖镇", "/api/townships",
             f"/api/townships/{first}/lists"]
    for url in urls:
        a, b = local.get(url), remote.get(url)
        assert (a.status_code, b.status_code) == (200, 200), (url, b.get_json())
        assert _same_shape(_shape(b.get_json()), _shape(a.get_json())), (url, _shape(b.get_json()), _shape(a.get_json()))
    for url in ("/", "/?q=宅基地审批", "/owner?q=低保", f"/duties/{duty}", "/compare?a=渡口镇&b=补隆淖镇",
                "/townships", "/api/search?q=低保&format=xlsx"):
        assert remote.get(url).status_code == 200, url
    # the parts that do not depend on the keyword engine's scores are the same answers
    for url in ("/api/townships", f"/api/duties/{duty}", f"/api/townships/{first}/lists",
                "/api/compare?a=渡口镇&b=补隆淖镇"):
        a, b = local.get(url).get_json(), remote.get(url).get_json()
        a.pop("took_ms", None), b.pop("took_ms", None)
        assert a == b, url
    # whose work a task names is decided on the records' own text, read from the cluster the same way
    for q in ("要出国打工，护照去哪办", "建设工程合同约定了仲裁条款，想申请仲裁追讨工程款"):
        a = local.get("/api/owner", query_string={"q": q}).get_json()["results"]
        b = remote.get("/api/owner", query_string={"q": q}).get_json()["results"]
        assert [(r["township"], r["authorities"]) for r in a] == [(r["township"], r["authorities"]) for r in b], q
        assert any(r["authorities"] for r in b), q
    # stored vectors picked by position (the owner answer's item-to-item cosines) are the local ones
    picked = np.array([5, 0, 1200, 5], dtype=np.int64)
    here, there = app.extensions["tds.holder"].get(), cluster_app.extensions["tds.holder"].get()
    assert np.allclose(there.vectors.vectors_at(picked), here.vectors.vectors_at(picked), atol=1e-5)
    # queries meet the staff questions' vectors there too (read from the build document), so
    # semantic search ranks as embedded
    assert there.health()["question_vectors"] == here.health()["question_vectors"] > 1000
    for q in QUERIES:
        for scope in ("&county=磴口县", ""):  # a filter is a query clause there, a mask here
            a = local.get(f"/api/search?q={q}&mode=semantic&size=10{scope}").get_json()
            b = remote.get(f"/api/search?q={q}&mode=semantic&size=10{scope}").get_json()
            assert a["total"] == b["total"] and [h["duty"]["id"] for h in a["hits"]] == [h["duty"]["id"] for h in b["hits"]], (q, scope)
        # unfiltered, the 100 matches are the same too (under a filter the cluster's HNSW is
        # approximate at the tail of the 100, with or without the questions' vectors)
        assert a["facets"] == b["facets"], q
        # keyword totals and facets over three shards are the embedded engine's (ranks may differ)
        a = local.get(f"/api/search?q={q}&mode=keyword&size=10").get_json()
        b = remote.get(f"/api/search?q={q}&mode=keyword&size=10").get_json()
        assert (a["total"], a["facets"]) == (b["total"], b["facets"]), q


def test_bad_input_is_still_a_clear_4xx_in_cluster_mode(cluster_app):
    client = cluster_app.test_client()
    for url, status in (("/api/search?q=x&mode=nope", 400), ("/api/search?q=x&township=火星乡", 404),
                        ("/api/duties/nope", 404), ("/api/search?q=" + "长" * 5000, 400)):
        response = client.get(url)
        assert response.status_code == status, url
        assert "error" in response.get_json()


def _answers(engine) -> dict:
    out = {}
    for q in QUERIES[:4]:
        for mode in ("keyword", "semantic", "hybrid"):
            result = engine.search(q, mode=mode, size=10)
            out[(q, mode)] = (result["total"], [h["duty"]["id"] for h in result["hits"]])
        out[(q, "owner")] = [(r["township"], r["status"]) for r in engine.owner(q)["results"]]
    return out


def _node_pid(port: int) -> int:
    return int((RUN / f"es-{port}.pid").read_text())


def test_killing_any_node_under_load_fails_no_query(cluster_app, cluster_url):
    """SIGKILL each node in turn (the first in ES_URL included) while queries run, bring it back:
    no query fails and every answer is the one given before. Each kill waits for the cluster to be
    green again: with one replica, a node killed while the last one's copies still recover takes
    the only live copy of a shard with it, and no cluster could answer then."""
    from indexer.es_index import client
    engine = cluster_app.extensions["tds.holder"].get()
    before = _answers(engine)
    health = client(cluster_url)

    def ask(i):
        q, mode = QUERIES[i % len(QUERIES)], ("keyword", "semantic", "hybrid")[i % 3]
        result = engine.search(q, mode=mode, size=10)
        assert result["total"] > 0 and result["hits"], (q, mode)
        if i % 7 == 0:
            assert engine.owner(q)["results"], q

    for node in range(3):
        assert health.cluster.health(wait_for_status="green", timeout="90s")["status"] == "green", node
        with under_load(ask) as (errors, done):
            time.sleep(1.0)
            os.kill(_node_pid(PORT + node), signal.SIGKILL)
            time.sleep(4.0)
            count_while_down = len(done)
            restart = _es_node("start.sh", "--nodes", "3", "--port", str(PORT), "--node", str(node))
            assert restart.returncode == 0, restart.stderr[-3000:]
        assert not errors, (node, errors[:5])
        assert count_while_down >= 5, count_while_down
        assert _answers(engine) == before, node
    health.close()
    es = client(cluster_url)
    try:
        assert es.cluster.health(wait_for_status="green", timeout="90s")["status"] == "green"
    finally:
        es.close()


def test_rebuild_under_load_swaps_to_the_new_build_without_a_failed_query(cluster_app, cluster_url, session_build):
    holder = cluster_app.extensions["tds.holder"]
    client = cluster_app.test_client()
    old = holder.get().build_dir.name

    def ask(i):
        q = QUERIES[i % len(QUERIES)]
        response = client.get(f"/api/search?q={q}&mode={('keyword', 'hybrid')[i % 2]}")
        assert response.status_code == 200 and response.get_json()["hits"], response.get_data(as_text=True)[:200]

    with under_load(ask) as (errors, done):
        new = _write(cluster_url, session_build)["index"]
        deadline = time.monotonic() + 30
        while holder.get().build_dir.name != new and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(0.5)
    assert holder.get().build_dir.name == new != old
    assert not errors, errors[:5]
    assert len(done) >= 10


def test_compose_file_runs_a_secured_cluster_of_the_tested_version():
    """docker-compose.yml (not run here: no Docker) describes what the tests exercise."""
    import re

    import yaml

    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    tested = re.search(r"<elasticsearch.version>([^<]+)<", (REPO / "tools/es-node/pom.xml").read_text()).group(1)
    nodes = {name: s for name, s in compose["services"].items() if name.startswith("es")}
    assert len(nodes) == 3
    for name, service in nodes.items():
        assert service["image"].endswith(f":{tested}"), (name, service["image"])
        env = service["environment"]
        assert env["xpack.security.enabled"] == "true" and env["xpack.security.http.ssl.enabled"] == "true", name
        assert all(p.startswith("127.0.0.1:") for p in service["ports"]), name
        assert "-Xmx512m" in env["ES_JAVA_OPTS"], name


def test_make_serve_answers_from_the_cluster_with_no_local_build(cluster_config, tmp_path):
    """`make serve`'s entry point with ES_URL listing the three nodes and an empty index folder:
    it builds nothing locally and answers pages and API from the cluster."""
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, ES_URL=cluster_config.es_url, TDS_ES_INDEX=ALIAS, TDS_INDEX_DIR=str(tmp_path),
               TDS_PORT=str(port), PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    env.pop("TDS_ES_MODE", None)
    server = subprocess.Popen([sys.executable, "-m", "search_app.serve", "--no-build"], cwd=REPO, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                health = json.loads(urllib.request.urlopen(base + "/api/health", timeout=5).read())
                break
            except OSError:
                assert server.poll() is None, server.stdout.read()[-3000:]
                assert time.monotonic() < deadline, "the server did not answer within 120 s"
                time.sleep(0.5)
        assert health["faiss"].startswith("elasticsearch") and health["records"] > 1000
        assert not any(tmp_path.iterdir())  # nothing was built locally
        from urllib.parse import quote
        for path in (f"/api/owner?q={quote('低保')}", f"/?q={quote('宅基地审批')}", "/townships"):
            with urllib.request.urlopen(base + path, timeout=30) as response:
                assert response.status == 200, path
    finally:
        server.terminate()
        server.wait(30)


def test_a_missing_or_keyword_only_index_is_a_clear_503(cluster_url, session_build, tmp_path):
    """No alias, or an index written without vectors and build document: the app says so (503 JSON)."""
    from indexer.es_index import client, write_index
    from search.config import SearchConfig
    from search.errors import IndexNotReady
    from search.holder import EngineHolder
    from search_app import create_app

    es = client(cluster_url)
    keyword_only = f"{ALIAS}-kw"
    try:
        write_index(cluster_url, session_build["records"], session_build["tokens"], session_build["build_id"],
                    alias=keyword_only, log=lambda *_: None, es=es)
        for alias, says in ((f"{ALIAS}-none", "no Elasticsearch index behind alias"),
                            (keyword_only, "keyword side only")):
            config = SearchConfig.from_env(es_url=cluster_url, es_index=alias, es_mode="cluster")
            with pytest.raises(IndexNotReady, match=says):
                from search.engine import Engine
                Engine.open(config=config)
            app = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path),
                              "ENGINE_HOLDER": EngineHolder(index_dir=tmp_path, config=config)})
            response = app.test_client().get("/api/search?q=低保")
            assert response.status_code == 503 and says in response.get_json()["error"]["message"]
    finally:
        es.indices.delete(index=f"{keyword_only}-*", ignore_unavailable=True, allow_no_indices=True)
        es.close()


def test_a_frozen_node_first_in_es_url_costs_one_short_wait(cluster_config):
    """A node that accepts connections and never answers, listed first: cluster mode answers every
    query, and the frozen node costs one timeout (then the client sets it aside), not one a query."""
    import socket

    from search.engine import Engine

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    frozen = f"http://127.0.0.1:{listener.getsockname()[1]}"
    engine = Engine.open(config=cluster_config.with_(es_url=f"{frozen},{cluster_config.es_url}", es_timeout=0.5))
    try:
        started = time.monotonic()
        took = []
        for q in QUERIES * 3:
            for mode in ("keyword", "semantic", "hybrid"):
                t = time.monotonic()
                assert engine.search(q, mode=mode)["hits"], (q, mode)
                took.append(time.monotonic() - t)
        elapsed = time.monotonic() - started
        assert elapsed < 30, elapsed  # 54 searches of several requests each, waiting 0.5 s apiece, take minutes
        assert sorted(took)[len(took) // 2] < 0.5, sorted(took)  # most searches never wait for the frozen node
        print(f"frozen first node: {len(took)} searches in {elapsed:.1f} s, median {sorted(took)[len(took) // 2] * 1000:.0f} ms, "
              f"slowest {max(took) * 1000:.0f} ms")
        answering = engine.health()["keyword"]["nodes_answering"]
        assert [n["up"] for n in answering] == [False, True, True, True]
    finally:
        engine.close()
        listener.close()
