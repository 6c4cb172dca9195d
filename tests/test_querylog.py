"""The query log (TDS_QUERY_LOG, search_app/querylog.py): what staff asked, for review."""
from __future__ import annotations

import json

import pytest

from search_app import create_app
from search_app.querylog import main, read, review_queue


@pytest.fixture
def logged(app, tmp_path):
    path = tmp_path / "queries.jsonl"
    logged_app = create_app({"TESTING": True, "ENGINE_HOLDER": app.extensions["tds.holder"], "QUERY_LOG": str(path)})
    return logged_app.test_client(), path


def test_each_question_is_one_line_with_what_the_answer_said(logged):
    client, path = logged
    owner = client.get("/api/owner", query_string={"q": "火星移民"}).get_json()
    search = client.get("/", query_string={"q": "低保申请", "mode": "keyword"})
    assert search.status_code == 200
    client.get("/api/search", query_string={"q": "低保申请", "mode": "keyword", "page": 2})  # a page turned
    client.get("/api/search", query_string={"list_type": "basic"})                        # browsing
    entries = read(path)
    assert [e["kind"] for e in entries] == ["owner", "search"]
    first, second = entries
    assert first["q"] == "火星移民" and first["nothing_close"] is True and first["total"] == owner["total"]
    assert sum(first["verdicts"].values()) == len(owner["results"])
    assert second["q"] == "低保申请" and second["mode"] == "keyword" and second["total"] > 0
    assert not {"ip", "remote_addr", "user_agent"} & (set(first) | set(second))


def test_hostile_text_is_logged_as_text_and_a_bad_request_not_at_all(logged):
    client, path = logged
    hostile = '"}\n{"kind": "owner", "q": "<script>'
    answer = client.get("/api/owner", query_string={"q": hostile})
    assert answer.status_code == 200
    assert client.get("/api/owner", query_string={"q": "x", "page": "0"}).status_code == 400
    entries = read(path)
    assert len(entries) == 1 and entries[0]["q"] == answer.get_json()["query"]  # as asked (line breaks as spaces)
    assert len(path.read_text(encoding="utf-8").splitlines()) == 1


def test_a_log_that_cannot_be_written_fails_no_request(app, tmp_path):
    blocked = tmp_path / "no-such-folder" / "queries.jsonl"
    client = create_app({"TESTING": True, "ENGINE_HOLDER": app.extensions["tds.holder"],
                         "QUERY_LOG": str(blocked)}).test_client()
    for _ in range(2):
        assert client.get("/api/owner", query_string={"q": "低保申请"}).status_code == 200
    assert not blocked.exists()


def test_the_review_queue_lists_questions_not_understood_most_asked_first(logged, capsys):
    client, path = logged
    for q in ["火星移民", "火星移民", "低保申请", "森林防火"]:
        client.get("/api/owner", query_string={"q": q})
    client.get("/api/search", query_string={"q": "火星移民"})
    path.open("a", encoding="utf-8").write("{torn line\n")
    queue = review_queue(read(path))
    assert queue[0]["q"] == "火星移民" and queue[0]["asked"] == 3 and queue[0]["no_hits"] == 3
    understood = {e["q"] for e in read(path) if e["kind"] == "owner" and not e["verdicts"].get("possible")
                  and not e["nothing_close"]}
    assert not understood & {r["q"] for r in queue}
    assert main([str(path), "--top", "5"]) == 0
    out = capsys.readouterr().out
    assert "火星移民" in out and "questions to review" in out
    assert main([str(path.parent / "missing.jsonl")]) == 2
    json.dumps(queue, ensure_ascii=False)  # the queue is plain data
