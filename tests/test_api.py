"""The JSON API against the real engine on an index built from data/raw: every endpoint, every
error case of issue 4, response shapes checked against the served OpenAPI document, and pages
giving the same answers as their JSON twins."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import jsonschema_rs
import pytest

from models.duty import county_departments

from search_app import create_app, params
from search_app.openapi import openapi_document
from search_app.pages import highlight

QUERY = "流动人口管理"
FTS_SYNTAX = ['"', "*", ":", "(", ")", "-", "+", "~", "^", "AND", "OR", "NEAR", "NOT",
              '"流动人口', "流动 OR 人口", "NEAR(流动 人口)", "-流动", "流动*", "name:流动", "(((", "^~*",
              "AND OR NOT", "\\", "'", "%", "_", ";", "--", "/*", "{}", "[]", "a AND (b OR"]
HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "\x00\x01\x1f流动人口",
           "流动人口\u202e", "🔥山林着火🔥", "ＳＥＬＥＣＴ * FROM duties", "' OR 1=1 --", "森林\t火灾\n"]


# -- helpers ------------------------------------------------------------------------------------

def schema_validator(name: str):
    doc = openapi_document()
    return jsonschema_rs.validator_for({"$ref": f"#/components/schemas/{name}", "components": doc["components"]})


def assert_matches(name: str, body) -> None:
    errors = [e.message for e in schema_validator(name).iter_errors(body)]
    assert not errors, f"{name}: {errors[:5]}"


def assert_error(response, status: int, code: str | None = None, param: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert_matches("Error", body)
    assert set(body) == {"error"}
    if code:
        assert body["error"]["code"] == code
    if param:
        assert body["error"]["param"] == param
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and 'File "' not in text
    return body["error"]


@pytest.fixture(scope="module")
def townships(client):
    return client.get("/api/townships").get_json()["townships"]


@pytest.fixture(scope="module")
def client(app):  # module-scoped so module fixtures can use it
    return app.test_client()


@pytest.fixture(scope="module")
def cooperative_hit(client):
    body = client.get("/api/search", query_string={"q": QUERY, "list_type": "cooperative"}).get_json()
    assert body["hits"], "the corpus has cooperative items about 流动人口管理"
    return body["hits"][0]["duty"]


# -- /api/search --------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", params.MODES)
def test_search_each_mode(client, mode):
    r = client.get("/api/search", query_string={"q": QUERY, "mode": mode})
    assert r.status_code == 200
    body = r.get_json()
    assert_matches("SearchResponse", body)
    assert body["mode"] == mode and body["query"] == QUERY
    assert body["page"] == 1 and body["size"] == params.SIZE_DEFAULT
    assert 0 < len(body["hits"]) <= params.SIZE_DEFAULT
    assert body["total"] >= len(body["hits"])
    assert any("流动人口" in h["duty"]["name"] for h in body["hits"][:3])
    for field in ("list_type", "township", "county", "province"):
        assert body["facets"][field], field
    assert body["took_ms"] >= 0


def test_search_default_mode_is_hybrid(client):
    assert client.get("/api/search?q=" + QUERY).get_json()["mode"] == "hybrid"


def test_search_highlights_are_escaped_html_with_marks(client):
    body = client.get("/api/search", query_string={"q": QUERY, "mode": "keyword"}).get_json()
    names = [h["highlights"].get("name", "") for h in body["hits"]]
    assert any("<mark>" in n for n in names)
    for n in names:
        assert re.sub(r"</?mark>", "", n).count("<") == 0


@pytest.mark.parametrize("field", ["township", "list_type", "county", "category", "department"])
def test_search_filters_restrict_hits_and_facets(client, field):
    query = {"q": QUERY, "mode": "keyword", "size": 100}
    base = client.get("/api/search", query_string=query).get_json()
    value = base["facets"][field][0]["value"]
    count = base["facets"][field][0]["count"]
    r = client.get("/api/search", query_string={**query, field: value})
    assert r.status_code == 200
    body = r.get_json()
    assert body["filters"] == {field: value}
    assert body["total"] == count
    for hit in body["hits"]:
        d = hit["duty"]
        if field == "department":
            assert value in county_departments(d)
        else:
            assert d[field] == value


def test_search_combined_filters(client, townships):
    t = townships[0]["township"]
    body = client.get("/api/search", query_string={"q": "工作", "township": t, "list_type": "basic"}).get_json()
    assert all(h["duty"]["township"] == t and h["duty"]["list_type"] == "basic" for h in body["hits"])


@pytest.mark.parametrize("query", ["", "q=", "q=%20%20%09", "q=%00%01"])
def test_search_without_query_browses(client, query):
    body = client.get("/api/search?" + query).get_json()
    assert_matches("SearchResponse", body)
    assert body["browse"] is True and body["query"] == ""
    assert body["total"] == client.get("/api/health").get_json()["records"]


def test_browse_one_townships_list_in_document_order(client):
    r = client.get("/api/search", query_string={"township": "渡口镇", "list_type": "cooperative", "size": 100})
    body = r.get_json()
    assert body["browse"] is True and body["total"] == 73
    assert all(h["duty"]["township"] == "渡口镇" and h["duty"]["list_type"] == "cooperative" for h in body["hits"])
    assert_matches("SearchResponse", body)


def test_search_unknown_category_is_empty_not_error(client):
    body = client.get("/api/search", query_string={"q": QUERY, "category": "不存在的类别"}).get_json()
    assert body["total"] == 0 and body["hits"] == []


def test_search_paging(client):
    one = client.get("/api/search", query_string={"q": "管理", "size": 5, "page": 1}).get_json()
    two = client.get("/api/search", query_string={"q": "管理", "size": 5, "page": 2}).get_json()
    assert one["total"] > 10
    assert two["page"] == 2 and len(two["hits"]) == 5
    ids_one = [h["duty"]["id"] for h in one["hits"]]
    ids_two = [h["duty"]["id"] for h in two["hits"]]
    assert not set(ids_one) & set(ids_two)
    assert ids_one + ids_two == [h["duty"]["id"] for h in
                                 client.get("/api/search", query_string={"q": "管理", "size": 10}).get_json()["hits"]]


def test_search_page_past_the_end_is_empty(client):
    body = client.get("/api/search", query_string={"q": QUERY, "page": params.PAGE_MAX, "size": 100}).get_json()
    assert body["hits"] == [] and body["total"] > 0


def test_search_size_limits(client):
    assert len(client.get("/api/search", query_string={"q": "管理", "size": 100}).get_json()["hits"]) == 100
    assert len(client.get("/api/search", query_string={"q": "管理", "size": 1}).get_json()["hits"]) == 1


def test_search_query_of_exactly_200_chars(client):
    assert client.get("/api/search", query_string={"q": "流" * 200}).status_code == 200


@pytest.mark.parametrize("q", FTS_SYNTAX)
@pytest.mark.parametrize("mode", params.MODES)
def test_search_syntax_characters_are_text(client, q, mode):
    r = client.get("/api/search", query_string={"q": q, "mode": mode})
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    assert_matches("SearchResponse", r.get_json())


@pytest.mark.parametrize("q", HOSTILE)
def test_search_hostile_text(client, q):
    r = client.get("/api/search", query_string={"q": q})
    assert r.status_code == 200
    body = r.get_json()
    for hit in body["hits"]:
        assert "<script" not in hit["highlights"].get("name", "")


@pytest.mark.parametrize("query, code, param", [
    ("q=" + "a" * 201, "too_long", "q"),
    ("q=" + "流" * 201, "too_long", "q"),
    ("q=x&mode=fuzzy", "invalid_choice", "mode"),
    ("q=x&mode=HYBRID", "invalid_choice", "mode"),
    ("q=x&list_type=other", "invalid_choice", "list_type"),
    ("q=x&size=0", "out_of_range", "size"),
    ("q=x&size=101", "out_of_range", "size"),
    ("q=x&size=-5", "out_of_range", "size"),
    ("q=x&size=abc", "invalid_integer", "size"),
    ("q=x&size=1.5", "invalid_integer", "size"),
    ("q=x&size=99999999999999999999", "invalid_integer", "size"),
    ("q=x&page=0", "page_out_of_range", "page"),
    ("q=x&page=-1", "page_out_of_range", "page"),
    (f"q=x&page={params.PAGE_MAX + 1}", "page_out_of_range", "page"),
    ("q=x&page=two", "invalid_integer", "page"),
    ("q=x&page=", "invalid_integer", "page"),
    ("q=x&page=%201", "invalid_integer", "page"),
    ("q=x&page=1%0A", "invalid_integer", "page"),
    ("q=x&mode=", "invalid_choice", "mode"),
    ("q=x&list_type=", "invalid_choice", "list_type"),
    ("q=x&township=" + "乡" * (params.FILTER_MAX + 1), "too_long", "township"),
    ("q=x&foo=1", "unknown_parameter", "foo"),
    ("q=x&Q=y", "unknown_parameter", "Q"),
    ("q=x&q=y", "repeated_parameter", "q"),
    ("q=x&township=a&township=b", "repeated_parameter", "township"),
    ("q=x&place_from_query=no", "invalid_boolean", "place_from_query"),
    ("q=x&place_from_query=", "invalid_boolean", "place_from_query"),
])
def test_search_bad_parameters(client, query, code, param):
    assert_error(client.get("/api/search?" + query), 400, code, param)


def test_a_place_in_the_question_filters_page_and_json_alike(client, townships):
    town = townships[0]["township"]
    q = f"{town} 低保申请"
    api = client.get("/api/search", query_string={"q": q}).get_json()
    assert_matches("SearchResponse", api)
    assert api["query"] == q and api["places"] == {"township": [town]} and api["filters"] == {}
    assert api["hits"] and {h["duty"]["township"] for h in api["hits"]} == {town}
    html = client.get("/", query_string={"q": q}).get_data(as_text=True)
    assert _attr_values(html, "data-id") == [h["duty"]["id"] for h in api["hits"]]
    assert "（问题中提到）" in html and "place_from_query=false" in html
    # with a filter that is not a place (a list), the named place still filters, and the page says so
    listed = client.get("/api/search", query_string={"q": q, "list_type": "basic"}).get_json()
    assert listed["places"] == {"township": [town]} and {h["duty"]["township"] for h in listed["hits"]} == {town}
    assert "（问题中提到）" in client.get("/", query_string={"q": q, "list_type": "basic"}).get_data(as_text=True)
    # a place chosen as a filter is not shown twice
    chosen = client.get("/", query_string={"q": q, "township": town}).get_data(as_text=True)
    assert "（问题中提到）" not in chosen
    typed = client.get("/api/search", query_string={"q": q, "place_from_query": "false"}).get_json()
    assert typed["places"] == {} and "（问题中提到）" not in client.get(
        "/", query_string={"q": q, "place_from_query": "false"}).get_data(as_text=True)


def test_owner_for_a_question_naming_a_township(client, townships):
    town = townships[-1]["township"]
    q = f"{town} 低保申请"
    api = client.get("/api/owner", query_string={"q": q}).get_json()
    assert_matches("OwnerResponse", api)
    assert api["places"] == {"township": [town]} and [r["township"] for r in api["results"]] == [town]
    html = client.get("/owner", query_string={"q": q}).get_data(as_text=True)
    assert _attr_values(html, "data-township") == [town]
    assert 'id="place-note"' in html and "列出全部乡镇" in html
    everywhere = client.get("/api/owner", query_string={"q": q, "place_from_query": "false"}).get_json()
    assert everywhere["places"] == {} and everywhere["total"] == len(townships)
    assert_error(client.get("/api/owner", query_string={"q": q, "place_from_query": "1"}), 400,
                 "invalid_boolean", "place_from_query")


# -- /api/owner ---------------------------------------------------------------------------------

def test_owner_one_row_per_township(client, townships):
    r = client.get("/api/owner", query_string={"q": QUERY})
    assert r.status_code == 200
    body = r.get_json()
    assert_matches("OwnerResponse", body)
    assert body["query"] == QUERY
    assert sorted(x["township"] for x in body["results"]) == sorted(t["township"] for t in townships)
    listed = [x for x in body["results"] if x["verdict"] == "listed"]
    assert listed, "流动人口管理 is on several townships' lists"
    labels = {"listed": "有此事项", "possible": "可能相关", "not_listed": "清单之外"}
    for row in body["results"]:
        assert row["verdict_label"] == labels[row["verdict"]] and 0 <= row["confidence"] <= 1
        if row["verdict"] == "listed":
            assert row["duty"]["list_type"] == row["status"] == row["items"][0]["duty"]["list_type"]
            assert all(i["duty"]["township"] == row["township"] for i in row["items"])
            assert row["lists"] == list(dict.fromkeys(i["duty"]["list_type"] for i in row["items"]))
            # the first item is the answer; the others are related, to check
            assert [i["role"] for i in row["items"]] == ["answer"] + ["related"] * (len(row["items"]) - 1)
        else:
            assert row["duty"] is None and row["status"] == row["verdict"]
            assert all(i["role"] == "candidate" for i in row["items"])


def test_owner_not_listed_answer(client):
    body = client.get("/api/owner", query_string={"q": "地铁"}).get_json()
    assert body["results"] and all(row["verdict"] != "listed" for row in body["results"])
    assert any(row["status"] == "not_listed" and row["duty"] is None and row["items"] == []
               for row in body["results"])


def test_owner_selected_townships(client, townships):
    names = [townships[0]["township"], townships[-1]["township"]]
    r = client.get("/api/owner", query_string=[("q", QUERY)] + [("township", n) for n in names])
    assert r.status_code == 200
    assert sorted(x["township"] for x in r.get_json()["results"]) == sorted(names)


def test_owner_pages_through_townships_in_order(client, townships):
    everything = client.get("/api/owner", query_string={"q": QUERY}).get_json()
    assert everything["total"] == len(townships) and everything["page"] == 1
    rows = []
    for page in (1, 2, 3):
        body = client.get("/api/owner", query_string={"q": QUERY, "size": 3, "page": page}).get_json()
        assert_matches("OwnerResponse", body)
        assert body["total"] == len(townships) and body["size"] == 3 and len(body["results"]) <= 3
        rows += body["results"]
    assert rows == everything["results"]  # the pages put together are the unpaged answer
    past = client.get("/api/owner", query_string={"q": QUERY, "size": 3, "page": 4}).get_json()
    assert past["results"] == [] and past["total"] == len(townships)


def test_owner_region_filter(client, townships):
    county = townships[0]["county"]
    body = client.get("/api/owner", query_string={"q": QUERY, "county": county}).get_json()
    expected = sorted(t["township"] for t in townships if t["county"] == county)
    assert sorted(r["township"] for r in body["results"]) == expected and body["total"] == len(expected)
    assert all(r["county"] == county for r in body["results"])
    unknown = client.get("/api/owner", query_string={"q": QUERY, "county": "不存在县"})
    assert unknown.status_code == 404 and "不存在县" in unknown.get_json()["error"]["message"]


def test_owner_hostile_and_syntax_queries(client):
    for q in HOSTILE + FTS_SYNTAX:
        r = client.get("/api/owner", query_string={"q": q})
        assert r.status_code in (200, 400), q
        if r.status_code == 400:
            assert not params.clean_text(q)


@pytest.mark.parametrize("query, status, code, param", [
    ("", 400, "missing_parameter", "q"),
    ("q=", 400, "empty_parameter", "q"),
    ("q=" + "a" * 201, 400, "too_long", "q"),
    ("q=x&mode=keyword", 400, "unknown_parameter", "mode"),
    ("q=x&q=y", 400, "repeated_parameter", "q"),
    ("q=x&township=" + "乡" * (params.FILTER_MAX + 1), 400, "too_long", "township"),
    ("q=x" + "".join(f"&township=t{i}" for i in range(params.TOWNSHIPS_MAX + 1)), 400, "too_many", "township"),
    ("q=x&township=不存在乡", 404, "not_found", None),
    ("q=x&township=/", 404, "not_found", None),
    ("q=x&township=||", 404, "not_found", None),
    ("q=x&township=不存在县/渡口镇", 404, "not_found", None),
    ("q=x&page=0", 400, "page_out_of_range", "page"),
    ("q=x&page=" + str(params.PAGE_MAX + 1), 400, "page_out_of_range", "page"),
    ("q=x&size=" + str(params.SIZE_MAX + 1), 400, "out_of_range", "size"),
    ("q=x&size=abc", 400, "invalid_integer", "size"),
    ("q=x&county=" + "县" * (params.FILTER_MAX + 1), 400, "too_long", "county"),
    ("q=x&list_type=basic", 400, "unknown_parameter", "list_type"),
])
def test_owner_errors(client, query, status, code, param):
    assert_error(client.get("/api/owner?" + query), status, code, param)


# -- /api/duties/<id> and /similar ---------------------------------------------------------------

def test_duty_by_id(client, cooperative_hit):
    r = client.get(f"/api/duties/{cooperative_hit['id']}")
    assert r.status_code == 200
    duty = r.get_json()
    assert_matches("Duty", duty)
    assert duty == cooperative_hit
    assert duty["lead_departments"] and duty["township_duties"]


@pytest.mark.parametrize("duty_id", ["000000000000", "nope", "a" * 64, "a" * 65, "%3Cscript%3E", "..%2F..%2Fetc",
                                     "' OR 1=1", "%00"])
def test_duty_unknown_id(client, duty_id):
    assert_error(client.get(f"/api/duties/{duty_id}"), 404, "not_found")


def test_duty_rejects_parameters(client, cooperative_hit):
    assert_error(client.get(f"/api/duties/{cooperative_hit['id']}?x=1"), 400, "unknown_parameter", "x")


def test_similar_other_townships_by_default(client, cooperative_hit):
    r = client.get(f"/api/duties/{cooperative_hit['id']}/similar")
    assert r.status_code == 200
    body = r.get_json()
    assert_matches("SimilarResponse", body)
    assert body["id"] == cooperative_hit["id"] and body["k"] == params.K_DEFAULT and body["other_townships"]
    assert 0 < len(body["results"]) <= params.K_DEFAULT
    assert all(s["duty"]["township"] != cooperative_hit["township"] for s in body["results"])
    assert all(s["duty"]["id"] != cooperative_hit["id"] for s in body["results"])
    scores = [s["score"] for s in body["results"]]
    assert scores == sorted(scores, reverse=True)


def test_similar_k_and_same_township(client, cooperative_hit):
    body = client.get(f"/api/duties/{cooperative_hit['id']}/similar?k=3").get_json()
    assert len(body["results"]) <= 3
    body = client.get(f"/api/duties/{cooperative_hit['id']}/similar?k=50&other_townships=false").get_json()
    assert body["other_townships"] is False
    assert all(s["duty"]["id"] != cooperative_hit["id"] for s in body["results"])
    assert any(s["duty"]["township"] == cooperative_hit["township"] for s in body["results"])


@pytest.mark.parametrize("query, code, param", [
    ("k=0", "out_of_range", "k"),
    (f"k={params.K_MAX + 1}", "out_of_range", "k"),
    ("k=ten", "invalid_integer", "k"),
    ("other_townships=maybe", "invalid_boolean", "other_townships"),
    ("other_townships=", "invalid_boolean", "other_townships"),
    ("other_townships=1", "invalid_boolean", "other_townships"),
    ("size=3", "unknown_parameter", "size"),
    ("k=1&k=2", "repeated_parameter", "k"),
])
def test_similar_bad_parameters(client, cooperative_hit, query, code, param):
    assert_error(client.get(f"/api/duties/{cooperative_hit['id']}/similar?{query}"), 400, code, param)


def test_similar_unknown_id(client):
    assert_error(client.get("/api/duties/000000000000/similar"), 404, "not_found")


# -- /api/compare -------------------------------------------------------------------------------

def test_compare_accepts_county_qualified_names(client):
    body = client.get("/api/compare", query_string={"a": "磴口县/渡口镇", "b": "补隆淖镇"}).get_json()
    assert body["a"]["township"] == "渡口镇" and body["a"]["county"] == "磴口县"


def test_compare_two_townships(client, townships):
    by_name = {t["township"]: t for t in townships}
    a, b = "渡口镇", "补隆淖镇"
    r = client.get("/api/compare", query_string={"a": a, "b": b})
    assert r.status_code == 200
    body = r.get_json()
    assert_matches("CompareResponse", body)
    assert body["pairs"], "two townships of one county share many items"
    assert all(p["a"]["township"] == a and p["b"]["township"] == b for p in body["pairs"])
    assert all(d["township"] == a for d in body["only_a"])
    assert all(d["township"] == b for d in body["only_b"])
    a_ids = [p["a"]["id"] for p in body["pairs"]] + [d["id"] for d in body["only_a"]]
    b_ids = [p["b"]["id"] for p in body["pairs"]] + [d["id"] for d in body["only_b"]]
    assert len(set(a_ids)) == len(a_ids) == by_name[a]["total"]
    assert len(set(b_ids)) == len(b_ids) == by_name[b]["total"]


@pytest.mark.parametrize("query, status, code, param", [
    ("", 400, "missing_parameter", "a"),
    ("a=渡口镇", 400, "missing_parameter", "b"),
    ("a=渡口镇&b=", 400, "empty_parameter", "b"),
    ("a=渡口镇&b=" + "乡" * (params.FILTER_MAX + 1), 400, "too_long", "b"),
    ("a=渡口镇&b=补隆淖镇&c=x", 400, "unknown_parameter", "c"),
    ("a=渡口镇&a=补隆淖镇&b=x", 400, "repeated_parameter", "a"),
    ("a=渡口镇&b=不存在乡", 404, "not_found", None),
    ("a=不存在乡&b=渡口镇", 404, "not_found", None),
    ("a=/&b=渡口镇", 404, "not_found", None),
    ("a=渡口镇&b=／", 404, "not_found", None),
])
def test_compare_errors(client, query, status, code, param):
    assert_error(client.get("/api/compare?" + query), status, code, param)


# -- /api/townships, /api/health, /api/openapi.json, /api -----------------------------------------

def test_townships(client):
    r = client.get("/api/townships")
    assert r.status_code == 200
    body = r.get_json()
    assert_matches("TownshipsResponse", body)
    assert body["total"] == len(body["townships"]) == 9
    for t in body["townships"]:
        assert sum(t["counts"].values()) == t["total"] > 0
    by_name = {t["township"]: t for t in body["townships"]}
    assert by_name["渡口镇"]["counts"] == {"basic": 83, "cooperative": 73, "recovered": 46}
    assert len({t["province"] for t in body["townships"]}) == 4
    assert (by_name["小京庄乡"]["province"], by_name["小京庄乡"]["county"]) == ("山西省", "左云县")  # gazetteer


def test_health(client):
    r = client.get("/api/health")
    assert r.status_code == 200
    body = r.get_json()
    assert_matches("Health", body)
    assert body["loaded"] is True
    total = sum(t["total"] for t in client.get("/api/townships").get_json()["townships"])
    assert body["records"] == total


def test_openapi_document(client):
    r = client.get("/api/openapi.json")
    assert r.status_code == 200
    doc = r.get_json()
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {"/api/search", "/api/owner", "/api/duties/{id}", "/api/duties/{id}/similar",
                                 "/api/compare", "/api/townships", "/api/townships/{name}/lists", "/api/health"}
    for path, item in doc["paths"].items():
        for status in ("200", "400", "405", "503"):
            assert status in item["get"]["responses"], (path, status)
    search_params = {p["name"]: p for p in doc["paths"]["/api/search"]["get"]["parameters"]}
    assert search_params["q"]["schema"]["maxLength"] == params.Q_MAX
    assert search_params["size"]["schema"]["maximum"] == params.SIZE_MAX
    assert search_params["page"]["schema"]["maximum"] == params.PAGE_MAX
    assert search_params["mode"]["schema"]["enum"] == list(params.MODES)
    # every schema compiles
    for name in doc["components"]["schemas"]:
        schema_validator(name)


def test_api_index(client):
    body = client.get("/api").get_json()
    assert body["openapi"] == "/api/openapi.json"


def test_api_unknown_path_is_json_404(client):
    assert_error(client.get("/api/nothing-here"), 404, "not_found")
    assert_error(client.get("/api/duties"), 404, "not_found")


# -- methods, limits, headers ------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/search?q=x", "/api/health", "/api/duties/abc", "/", "/owner",
                                  "/compare", "/static/style.css", "/api/nothing-here"])
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"])
def test_only_get_and_head(client, path, method):
    r = client.open(path, method=method)
    error = assert_error(r, 405, "method_not_allowed")
    assert error["message"]
    assert r.headers["Allow"] == "GET, HEAD"


def test_head_is_allowed(client):
    r = client.head("/api/search?q=" + QUERY)
    assert r.status_code == 200 and r.data == b""
    assert client.head("/").status_code == 200


def test_request_body_too_large(client):
    r = client.get("/api/health", data=b"x" * (64 * 1024), content_type="application/octet-stream")
    assert_error(r, 413, "payload_too_large")


SECURITY = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


@pytest.mark.parametrize("path", ["/", "/?q=" + QUERY, "/owner?q=" + QUERY, "/compare", "/townships",
                                  "/api/search?q=x", "/api/health", "/api/openapi.json", "/static/style.css",
                                  "/api/search", "/nothing-here", "/api/nothing-here"])
def test_security_headers_everywhere(client, path):
    r = client.get(path)
    for key, value in SECURITY.items():
        assert r.headers.get(key) == value, (path, key)
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "Server" not in r.headers or "Werkzeug" not in r.headers.get("Server", "")


def test_no_debug(app):
    assert app.debug is False
    assert app.config["PROPAGATE_EXCEPTIONS"] is False


def test_static_has_no_directory_listing(client):
    assert client.get("/static/").status_code == 404
    assert client.get("/static/../search_app/__init__.py").status_code == 404


# -- 503 and 500 ----------------------------------------------------------------------------------

def test_index_not_ready_is_503(tmp_path):
    app = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path / "no-index-here")})
    c = app.test_client()
    for path in ["/api/search?q=x", "/api/health", "/api/townships", "/api/duties/abc",
                 "/api/owner?q=x", "/api/compare?a=x&b=y", "/api/duties/abc/similar"]:
        r = c.get(path)
        error = assert_error(r, 503, "index_not_ready")
        assert "no-index-here" in error["message"]
        assert r.headers["Retry-After"]
    # parameters are still checked first
    assert_error(c.get("/api/search?q=x&size=0"), 400)
    # pages say so in Chinese, as HTML
    r = c.get("/?q=x")
    assert r.status_code == 503 and r.mimetype == "text/html"
    assert "索引尚未就绪" in r.get_data(as_text=True)


class _BrokenHolder:
    def get(self):
        raise RuntimeError("secret internal detail /etc/passwd")


def test_unexpected_error_is_json_500_without_trace():
    app = create_app({"TESTING": True, "ENGINE_HOLDER": _BrokenHolder()})
    c = app.test_client()
    error = assert_error(c.get("/api/search?q=x"), 500, "internal_error")
    assert "secret" not in error["message"]
    r = c.get("/?q=x")
    assert r.status_code == 500 and "secret" not in r.get_data(as_text=True)


# -- pages give the same answers as the API -------------------------------------------------------

class _Collect(HTMLParser):
    def __init__(self, attr: str):
        super().__init__()
        self.attr, self.values = attr, []

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k == self.attr:
                self.values.append(v)


def _attr_values(html: str, attr: str) -> list[str]:
    p = _Collect(attr)
    p.feed(html)
    return p.values


@pytest.mark.parametrize("mode", params.MODES)
def test_search_page_matches_api(client, mode):
    query = {"q": QUERY, "mode": mode, "list_type": "cooperative"}
    api = client.get("/api/search", query_string=query).get_json()
    page = client.get("/", query_string=query)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert _attr_values(html, "data-id") == [h["duty"]["id"] for h in api["hits"]]
    assert f'<b id="total">{api["total"]}</b>' in html
    word = "至少" if api["total_relation"] == "gte" else "共"
    assert f'{word} <b id="total">' in html  # a count cut at the candidate depth says so, as the JSON does
    assert "/api/search?" in html  # the JSON twin link


@pytest.mark.parametrize("q", [QUERY, "有人在河道里倾倒垃圾"])  # the second shows a task's two parts (related items)
def test_owner_page_matches_api(client, q):
    api = client.get("/api/owner", query_string={"q": q}).get_json()
    html = client.get("/owner", query_string={"q": q}).get_data(as_text=True)
    assert _attr_values(html, "data-status") == [r["status"] for r in api["results"]]
    assert _attr_values(html, "data-township") == [r["township"] for r in api["results"]]
    related = sum(i["role"] == "related" for r in api["results"] for i in r["items"])
    assert html.count('class="related-label"') == related
    assert related or q == QUERY


def test_duty_page_matches_api(client, cooperative_hit):
    html = client.get(f"/duties/{cooperative_hit['id']}").get_data(as_text=True)
    similar = client.get(f"/api/duties/{cooperative_hit['id']}/similar").get_json()
    assert _attr_values(html, "data-id") == [cooperative_hit["id"]] + [s["duty"]["id"] for s in similar["results"]]
    for dep in cooperative_hit["lead_departments"]:
        assert dep in html
    assert "其他乡镇的同类事项" in html
    assert f'/api/duties/{cooperative_hit["id"]}"' in html


def test_compare_page_matches_api(client):
    api = client.get("/api/compare", query_string={"a": "渡口镇", "b": "补隆淖镇"}).get_json()
    html = client.get("/compare", query_string={"a": "渡口镇", "b": "补隆淖镇"}).get_data(as_text=True)
    assert f'<b id="pair-count">{len(api["pairs"])}</b>' in html


def test_townships_page_links_browse_each_list(client):
    html = client.get("/townships").get_data(as_text=True)
    links = [h for h in _attr_values(html, "href") if "list_type=cooperative" in h and "township=" in h]
    assert len(links) == client.get("/api/townships").get_json()["total"]
    page = client.get("/", query_string={"county": "磴口县", "township": "渡口镇", "list_type": "cooperative"})
    assert page.status_code == 200
    page_html = page.get_data(as_text=True)
    assert '<b id="total">73</b>' in page_html and "浏览清单" in page_html


@pytest.mark.parametrize("path", ["/", "/owner", "/compare", "/townships"])
def test_pages_without_query(client, path):
    r = client.get(path)
    assert r.status_code == 200 and r.mimetype == "text/html"
    assert "乡镇履职事项查询" in r.get_data(as_text=True)


@pytest.mark.parametrize("path, status", [
    ("/?q=x&size=1000", 400), ("/?q=x&bogus=1", 400), ("/owner?q=x&township=不存在乡", 404),
    ("/compare?a=渡口镇&b=不存在乡", 404), ("/duties/000000000000", 404), ("/no-such-page", 404),
])
def test_page_errors_are_html(client, path, status):
    r = client.get(path)
    assert r.status_code == status and r.mimetype == "text/html"
    assert "<!doctype html>" in r.get_data(as_text=True)


@pytest.mark.parametrize("q", HOSTILE)
@pytest.mark.parametrize("path", ["/", "/owner"])
def test_pages_escape_hostile_queries(client, path, q):
    r = client.get(path, query_string={"q": q})
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "<script" not in html.lower()


def test_highlight_filter_keeps_only_marks():
    out = str(highlight('a<mark>b</mark>&lt;c&gt;<script>x</script><mark onclick="y">z</mark>&amp;'))
    assert out == 'a<mark>b</mark>&lt;c&gt;&lt;script&gt;x&lt;/script&gt;&lt;mark onclick=&#34;y&#34;&gt;z&amp;'
    assert str(highlight("<mark><mark>x</mark>")) == "<mark>x</mark>"
    assert str(highlight("<mark>open")) == "<mark>open</mark>"
    assert str(highlight(None)) == ""


def test_query_string_that_is_not_utf8_is_a_400(client):
    response = client.get("/api/search?q=%FF%FE")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_encoding"


@pytest.mark.parametrize("url", ["/api/search?q=低保&township=不存在乡", "/api/owner?q=低保&township=不存在乡",
                                 "/api/owner?q=低保&county=火星县", "/api/search?county=火星县",
                                 "/api/compare?a=不存在乡&b=渡口镇"])
def test_unknown_places_are_404_on_every_endpoint(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "未找到" in response.get_json()["error"]["message"]


def test_health_shows_no_server_paths(client):
    body = client.get("/api/health").get_json()
    assert "/" not in body["index_dir"] and "path" not in body["keyword"]


def test_page_past_the_last_says_so(client):
    html = client.get("/", query_string={"q": "abc", "page": 18}).get_data(as_text=True)
    assert "没有第 18 页" in html and "第 18 / " not in html


def test_pager_numbers_pages(client):
    html = client.get("/", query_string={"q": "安全", "mode": "keyword", "page": 5}).get_data(as_text=True)
    assert '<b class="page-now">5</b>' in html and 'class="page-n"' in html and "…" in html


def test_help_page_explains_the_lists_and_verdicts(client):
    html = client.get("/help").get_data(as_text=True)
    for words in ("基本履职事项清单", "配合履职事项清单", "上级部门收回事项清单", "有此事项", "可能相关", "清单之外", "导出 Excel"):
        assert words in html
    assert client.get("/help?x=1").status_code == 400


def test_compare_a_township_with_itself_is_a_400(client):
    response = client.get("/api/compare", query_string={"a": "渡口镇", "b": "渡口镇"})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "same_township"


def test_duty_page_names_the_document_not_a_file(client, cooperative_hit):
    html = client.get(f"/duties/{cooperative_hit['id']}").get_data(as_text=True)
    assert ".txt" not in html and "原文第" in html


def test_department_facet_is_per_county(client):
    facets = client.get("/api/search", query_string={"q": "应急", "mode": "keyword"}).get_json()["facets"]
    values = [f["value"] for f in facets["department"]]
    assert "县应急管理局" not in values  # every county's bureau is its own value
    assert any(v.startswith("磴口县") for v in values) and any(v.startswith("伽师县") for v in values)


def test_search_names_another_authoritys_work_only_where_no_record_mentions_it(client, townships):
    body = client.get("/api/search", query_string={"q": "要出国打工，护照去哪办"}).get_json()
    assert_matches("SearchResponse", body)
    assert body["authorities"] == ["公安机关出入境管理部门"] and body["hits"]  # nearest records still shown
    assert client.get("/api/search", query_string={"q": "低保申请"}).get_json()["authorities"] == []
    # 婚姻登记: whether a township's items name it as their own work (name or the township's duties,
    # not a county department's duties) decides, township by township
    answers = set()
    for town in (t["township"] for t in townships):
        mentions = client.get("/api/search", query_string={"q": "婚姻登记", "township": town, "mode": "keyword",
                                                           "size": 50}).get_json()
        said = client.get("/api/search", query_string={"q": "婚姻登记", "township": town}).get_json()["authorities"]
        has_word = any("婚姻登记" in " ".join([h["duty"]["name"], *h["duty"].get("township_duties", [])])
                       for h in mentions["hits"])
        assert said == ([] if has_word else ["婚姻登记机关（县民政局）"]), town
        answers.add(bool(said))
    assert answers == {True, False}, "some townships list 婚姻登记 as their own work and some do not"


NOTE_QUERIES = ["村里小卖部卖过期方便面，给娃娃吃坏了肚子", "低保咋申请", "村里路灯坏了"]


def test_owner_says_in_words_when_it_is_unsure(client):
    """有此事项 below the sure cut asks the clerk to check the items (its list is right less often
    than not there); 可能相关 with candidates always does; a sure answer and 清单之外 do not. The
    page shows the same note as the JSON."""
    from search.config import SearchConfig
    from search.owner import NOTE_CHECK, NOTE_UNSURE

    sure_cut = SearchConfig().owner_sure_cut
    seen = set()
    for q in NOTE_QUERIES:
        api = client.get("/api/owner", query_string={"q": q}).get_json()
        html = client.get("/owner", query_string={"q": q}).get_data(as_text=True)
        for row in api["results"]:
            note = row["verdict_note"]
            if row["verdict"] == "listed" and abs(row["confidence"] - sure_cut) > 0.01:
                assert note == (NOTE_UNSURE if row["confidence"] < sure_cut else ""), row
                seen.add("unsure" if note else "sure")
            elif row["verdict"] == "possible":
                assert note == (NOTE_CHECK if row["items"] else "")
            elif row["verdict"] == "not_listed":
                assert note == ""
        assert html.count(f'<div class="verdict-note muted small">{NOTE_UNSURE}</div>') == sum(
            r["verdict_note"] == NOTE_UNSURE for r in api["results"])
    assert seen == {"sure", "unsure"}  # both kinds of 有此事项 occur among these questions


def test_owner_names_the_other_authoritys_part_where_the_township_part_was_answered(client):
    """起诉 is the court's work; the question asks whether the township mediates first. Rows that
    answer the township's part say, in the JSON and on the page, whose the other part is — and
    only where the township's items do not name it as their own work."""
    q = "村里有人借钱不还要去起诉，镇上司法所能先调解吗"
    api = client.get("/api/owner", query_string={"q": q}).get_json()
    html = client.get("/owner", query_string={"q": q}).get_data(as_text=True)
    told = [r for r in api["results"] if r["other_work"]]
    assert told and all(r["authorities"] == [] for r in api["results"])
    assert all(r["other_work"] == [{"term": "起诉", "authority": "人民法院"}] for r in told)
    assert html.count('<div class="other-work muted small">问题里的“起诉”通常由<b>人民法院</b>办理</div>') == len(told)
    ruled = client.get("/api/owner", query_string={"q": "要出国打工，护照去哪办"}).get_json()["results"]
    assert all(r["authorities"] and r["other_work"] == [] for r in ruled)  # the work asked about: no second note


def test_search_names_the_other_authoritys_part_as_the_owner_page_does(client):
    """Search says whose work a query names the same way: 这类事项通常由… when it asks for that work,
    问题里的“起诉”通常由人民法院办理 when it asks what the township does about it."""
    q = "村里有人借钱不还要去起诉，镇上司法所能先调解吗"
    api = client.get("/api/search", query_string={"q": q, "township": "巴彦高勒镇"}).get_json()
    html = client.get("/", query_string={"q": q, "township": "巴彦高勒镇"}).get_data(as_text=True)
    owner = client.get("/api/owner", query_string={"q": q, "township": "巴彦高勒镇"}).get_json()["results"][0]
    assert api["authorities"] == [] and api["other_work"] == owner["other_work"] == [{"term": "起诉", "authority": "人民法院"}]
    assert "问题里的“起诉”通常由<b>人民法院</b>办理" in html
    asked = client.get("/api/search", query_string={"q": "要出国打工，护照去哪办"}).get_json()
    assert asked["authorities"] and asked["other_work"] == []
