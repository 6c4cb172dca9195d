"""Hostile input against every endpoint: HTML/JS, FTS5 and Elasticsearch syntax, control characters,
very long strings, mixed scripts and emoji, percent-encoded garbage and invalid UTF-8.

For each: never a 5xx; the API answers JSON, and a 4xx carries {"error": {"code", "message"}};
pages never echo markup unescaped; and the index is byte-for-byte unchanged afterwards (record
count, the `current` pointer and a SHA-256 over every index file).

Browser: the search and owner pages with hostile queries fire no alert and show the query as text.
Hostile source documents: tags in item names are stripped by the parser, and an index built from
such a document renders the remaining text escaped.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

from hostile_inputs import BROWSER_HOSTILE, HOSTILE, LONG, raw_get

REPO = Path(__file__).resolve().parent.parent

TEXT_ENDPOINTS = [
    # (path, parameter that takes the hostile text, extra parameters)
    ("/api/search", "q", {}),
    ("/api/search", "q", {"mode": "keyword"}),
    ("/api/search", "q", {"mode": "semantic"}),
    ("/api/search", "q", {"mode": "hybrid"}),
    ("/api/search", "township", {"q": "低保"}),
    ("/api/search", "department", {"q": "低保", "mode": "keyword"}),
    ("/api/search", "category", {}),
    ("/api/owner", "q", {}),
    ("/api/owner", "township", {"q": "低保"}),
    ("/api/compare", "a", {"b": "渡口镇"}),
    ("/api/compare", "b", {"a": "渡口镇"}),
    ("/api/townships", "x", {}),
    ("/api/health", "x", {}),
    ("/", "q", {}),
    ("/", "q", {"mode": "keyword"}),
    ("/owner", "q", {}),
    ("/owner", "township", {"q": "低保"}),
    ("/compare", "a", {"b": "渡口镇"}),
]
PATH_ENDPOINTS = ["/api/duties/{}", "/api/duties/{}/similar", "/duties/{}"]


def index_fingerprint(index_dir: Path) -> dict:
    """What "unchanged" means: the current pointer and a digest of every file under the index root."""
    digest = hashlib.sha256()
    files = 0
    for path in sorted(p for p in Path(index_dir).rglob("*") if p.is_file() and not p.is_symlink()):
        if path.name.endswith((".lock", "-wal", "-shm")):
            continue  # lock file and SQLite's transient journal files are not index content
        digest.update(str(path.relative_to(index_dir)).encode())
        digest.update(path.read_bytes())
        files += 1
    current = Path(index_dir) / "current"
    return {"current": os.readlink(current) if current.is_symlink() else None,
            "files": files, "sha256": digest.hexdigest()}


@pytest.fixture(scope="module")
def before(app, app_index_dir):
    """The index before any hostile request of this module; checked again at the end."""
    health = app.test_client().get("/api/health").get_json()
    return {"records": health["records"], "built_at": health["built_at"], **index_fingerprint(app_index_dir)}


def check_response(response, path: str, what: str) -> None:
    assert response.status_code < 500, f"{path} {what!r}: {response.status_code} {response.data[:300]!r}"
    body = response.get_data(as_text=True)
    assert "Traceback" not in body, f"{path}: traceback in body"
    if path.startswith("/api"):
        assert response.is_json, f"{path} {what!r}: not JSON ({response.content_type})"
        data = response.get_json()
        if response.status_code >= 400:
            assert data["error"]["code"] and data["error"]["message"], data
    else:
        assert response.content_type.startswith("text/html")
        assert response.headers.get("Content-Security-Policy")
        lowered = body.lower()
        for needle in ("<script>alert", "<svg onload", "<img src=x", "onerror=alert(1)>"):
            assert needle not in lowered, f"{path} {what!r}: unescaped {needle!r} in the page"


def test_hostile_text_parameters(client, before):
    tried = 0
    for text in HOSTILE + LONG:
        for path, name, extra in TEXT_ENDPOINTS:
            response = client.get(path, query_string={**extra, name: text})
            check_response(response, path, text[:40])
            if len(text) > 200 and name == "q":
                assert response.status_code == 400, f"{path}: {len(text)}-char q accepted"
                if path.startswith("/api"):
                    assert response.get_json()["error"]["param"] == "q"
            tried += 1
    assert tried > 1000


def test_hostile_path_segments(client, before):
    for text in HOSTILE + LONG[:1] + ["..", "../../etc/passwd", "%2e%2e%2f", "a" * 65]:
        for template in PATH_ENDPOINTS:
            path = template.format(quote(text, safe=""))
            response = client.get(path)
            if response.status_code == 308 and "/" in text:
                # an encoded "/" makes an empty path segment; werkzeug redirects to the merged-slash
                # path on this site, which then answers 404
                location = response.headers["Location"]
                assert location.startswith("/") or location.startswith("http://localhost/"), location
                continue
            check_response(response, template, text[:40])
            assert response.status_code in (400, 404), (path, response.status_code)


@pytest.mark.parametrize("raw", [
    b"q=%ff%fe%fd", b"q=%E4%B8", b"q=%C0%AF", b"q=%ED%A0%80", b"q=%00", b"q=%", b"q=%%41", b"q=%zz",
    b"q=a&q=b", b"q", b"=x", b"&&&", b"q=%u202e", b"mode=%ff", b"size=%ff", b"page=1e3", b"size=-0",
    b"township=%ff&q=%ff",
])
@pytest.mark.parametrize("path", ["/api/search", "/api/owner", "/api/compare", "/", "/owner", "/compare"])
def test_percent_encoded_garbage(client, before, path, raw):
    check_response(client.get(path + "?" + raw.decode("ascii")), path, raw.decode())


@pytest.mark.parametrize("target", [
    b"/api/search?q=\xff\xfe\xfd", b"/api/owner?q=\xe5\xb1\xb1\xe7", b"/?q=\xc0\xaf<script>",
    b"/owner?q=\xff", b"/api/duties/\xff\xfe", b"/duties/\xe5\xb1", b"/api/search?q=\x1b[31m",
    b"/api/compare?a=\xff&b=\xfe",
])
def test_invalid_utf8_in_the_raw_url(live_server, before, target):
    """Bytes that are not UTF-8 sent unencoded on the wire (a client test tool cannot send these)."""
    status, head, body = raw_get(live_server, target, timeout=30)
    assert status < 500, (target, head, body[:400])
    assert b"Traceback" not in body
    if target.startswith(b"/api") and b"application/json" not in head.lower():
        # waitress itself refuses a request line it cannot decode, before the app sees it
        assert status == 400 and body.strip(), (target, head, body)


def test_hostile_methods_and_bodies(client, before):
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        for path in ("/api/search", "/api/health", "/", "/owner"):
            response = client.open(path, method=method, data=b"<script>alert(1)</script>")
            assert response.status_code == 405, (method, path)
            assert response.is_json and response.get_json()["error"]["message"]
    response = client.get("/api/search", query_string={"q": "低保"}, data=b"x" * (1 << 20))
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "payload_too_large"


def test_queries_still_answer_after_the_hostile_ones(client, before):
    data = client.get("/api/search", query_string={"q": "低保申请"}).get_json()
    assert data["total"] > 0 and data["hits"]


def test_zz_index_unchanged(client, app_index_dir, before):
    """Runs last in this module (pytest keeps file order): nothing above changed the index."""
    health = client.get("/api/health").get_json()
    after = {"records": health["records"], "built_at": health["built_at"], **index_fingerprint(app_index_dir)}
    assert after == before


# -- in the browser ---------------------------------------------------------------------------------



@pytest.mark.parametrize("page", ["/", "/owner"])
@pytest.mark.parametrize("text", BROWSER_HOSTILE)
def test_hostile_query_in_the_browser(browser, live_server, page, text):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    browser.get(f"{live_server}{page}?{urlencode({'q': text})}")
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert
    shown = browser.find_element(By.ID, "q").get_attribute("value")
    assert shown == text.strip(), "the query box shows the query as typed"
    assert text.strip() in browser.title, "the title shows the query as text"
    assert not browser.find_elements(By.CSS_SELECTOR, "img[src=x], svg[onload], body script:not([src])")
    assert browser.execute_script("return window.__pwned === undefined")


# -- hostile source documents -----------------------------------------------------------------------

HOSTILE_DOCUMENT = """内蒙古自治区巴彦淖尔市磴口县 测试镇履行职责事项清单
磴口县测试镇基本履职事项清单
(3项)
序号\t事项名称
一、党的建设（3项）\t
1\t<script>alert(1)</script>组织开展党建工作
2\t<img src=x onerror=alert(1)>宣传<b>政策</b> " onerror=alert(1) x="
3\t&lt;script&gt;alert(2)&lt;/script&gt;开展🔥山火防范
"""


def test_parser_strips_tags_from_hostile_documents():
    from indexer.parse import parse_text

    document = parse_text(HOSTILE_DOCUMENT, "hostile.txt")
    assert not document.errors
    names = [d.name for d in document.duties]
    assert len(names) == 3
    for name in names:  # markup in the cells, plain or entity-encoded, is stripped
        assert "<script" not in name.lower() and "<img" not in name.lower() and "<b>" not in name, name
    # entity-encoded markup (&lt;script&gt;) is markup once decoded: the parser drops it like a tag
    assert "组织开展党建工作" in names[0] and "宣传政策" in names[1] and "山火防范" in names[2]


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory):
    """An app on an index built from the hostile document alone (plus its manifest-less folder)."""
    from indexer import build
    from search_app import create_app

    root = tmp_path_factory.mktemp("hostile")
    raw = root / "raw"
    raw.mkdir()
    (raw / "hostile.txt").write_text(HOSTILE_DOCUMENT, encoding="utf-8")
    rc = build.main(["--raw", str(raw), "--index-dir", str(root / "index"), "--no-progress"])
    assert rc == 0
    app = create_app({"TESTING": True, "INDEX_DIR": str(root / "index")})
    app.extensions["tds.holder"].get()
    return app


def test_hostile_document_renders_escaped(hostile_app):
    client = hostile_app.test_client()
    duties = client.get("/api/search", query_string={"township": "测试镇", "size": 10}).get_json()["hits"]
    assert len(duties) == 3
    for hit in duties:
        page = client.get(f"/duties/{hit['duty']['id']}").get_data(as_text=True).lower()
        assert "<script>alert" not in page and "<img src=x" not in page and "onerror=alert(1)>" not in page
    for q in ("党建", "山火", "alert", "script"):
        for path in ("/", "/owner"):
            response = client.get(path, query_string={"q": q})
            assert response.status_code == 200
            page = response.get_data(as_text=True).lower()
            assert "<script>alert" not in page and "<img src=x" not in page, (path, q)
    page = client.get("/", query_string={"q": "山火"}).get_data(as_text=True)
    assert "<script>alert(2)" not in page and "&lt;script&gt;alert(2)" not in page


def test_a_ten_thousand_character_query_is_a_json_400(live_server, before):
    from urllib.parse import quote

    target = ("/api/search?q=" + quote("山林着火" * 2500)).encode()
    status, head, body = raw_get(live_server, target, timeout=30)
    assert status == 400 and b"application/json" in head.lower(), (status, head)
    assert b"too_long" in body
