"""Downloads (format=csv|xlsx): the same rows as the JSON, readable by the csv module and openpyxl."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

OWNER_Q = "山林着火了谁负责"


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:200]
    assert response.mimetype == "text/csv"
    body = response.get_data()
    assert body.startswith("\ufeff".encode("utf-8")), "a BOM so that Excel reads UTF-8"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def read_xlsx(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:200]
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    return load_workbook(io.BytesIO(response.get_data()))


def test_owner_csv_has_a_row_per_township_and_item(client):
    body = client.get("/api/owner", query_string={"q": OWNER_Q, "size": 100}).get_json()
    rows = read_csv(client.get("/api/owner", query_string={"q": OWNER_Q, "format": "csv"}))
    assert rows[0][:3] == ["乡镇", "县", "结论"]
    expected = []
    for r in body["results"]:
        if r["verdict"] == "not_listed" or not r["items"]:
            expected.append([r["township"], r["verdict_label"], ""])
            continue
        # an item after 有此事项's answer is related, to check: the sheet says so, as the page does
        expected += [[r["township"], "相关事项，请核对" if i["role"] == "related" else r["verdict_label"],
                      i["duty"]["name"]] for i in r["items"]]
    assert [[row[0], row[2], row[4]] for row in rows[1:]] == expected


def test_township_lists_xlsx_has_one_sheet_per_list(client):
    body = client.get("/api/townships/渡口镇/lists").get_json()
    book = read_xlsx(client.get("/api/townships/渡口镇/lists", query_string={"format": "xlsx"}))
    assert book.sheetnames == ["基本履职事项", "配合履职事项", "收回履职事项"]
    for sheet, list_type in zip(book.worksheets, ("basic", "cooperative", "recovered")):
        names = [row[5] for row in sheet.iter_rows(min_row=2, values_only=True)]
        assert names == [d["name"] for d in body["duties"] if d["list_type"] == list_type]
        assert sheet.column_dimensions["F"].width > 10
    assert body["total"] == sum(sheet.max_row - 1 for sheet in book.worksheets)


def test_search_export_holds_every_hit_not_one_page(client):
    query = {"q": "低保", "mode": "keyword"}
    first = client.get("/api/search", query_string=query | {"size": 100}).get_json()
    ids = [h["duty"]["name"] for h in first["hits"]]
    page = 2
    while len(ids) < first["total"]:
        more = client.get("/api/search", query_string=query | {"size": 100, "page": page}).get_json()
        ids += [h["duty"]["name"] for h in more["hits"]]
        page += 1
    rows = read_csv(client.get("/api/search", query_string=query | {"format": "csv"}))
    assert [r[5] for r in rows[1:]] == ids and len(ids) == first["total"] > 10


def test_compare_xlsx(client):
    body = client.get("/api/compare", query_string={"a": "渡口镇", "b": "嘎木乡"}).get_json()
    book = read_xlsx(client.get("/api/compare", query_string={"a": "渡口镇", "b": "嘎木乡", "format": "xlsx"}))
    assert book.sheetnames == ["两地都有", "仅渡口镇有", "仅嘎木乡有"]
    assert book["两地都有"].max_row - 1 == len(body["pairs"])
    assert book["仅渡口镇有"].max_row - 1 == len(body["only_a"])


def test_the_page_downloads_what_the_api_does(client):
    page = client.get("/owner", query_string={"q": OWNER_Q, "format": "csv"})
    api = client.get("/api/owner", query_string={"q": OWNER_Q, "format": "csv"})
    assert read_csv(page) == read_csv(api)
    html = client.get("/owner", query_string={"q": OWNER_Q}).get_data(as_text=True)
    assert 'id="export-xlsx"' in html and "format=xlsx" in html


@pytest.mark.parametrize("url", ["/api/search?q=x&format=pdf", "/api/owner?q=x&format=", "/api/townships/渡口镇/lists?format=doc",
                                 "/api/townships/渡口镇/lists?page=2"])
def test_bad_format_is_a_400_naming_it(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] in ("invalid_choice", "unknown_parameter")


def test_unknown_township_lists_is_404(client):
    response = client.get("/api/townships/不存在乡/lists", query_string={"format": "xlsx"})
    assert response.status_code == 404 and "不存在乡" in response.get_json()["error"]["message"]


def test_owner_csv_says_whose_the_other_part_is_as_the_page_does(client):
    q = "村里有人借钱不还要去起诉，镇上司法所能先调解吗"
    body = client.get("/api/owner", query_string={"q": q, "size": 100}).get_json()
    rows = read_csv(client.get("/api/owner", query_string={"q": q, "format": "csv"}))
    told = {r["township"] for r in body["results"] if r["other_work"]}
    assert told
    said = {row[0] for row in rows[1:] if "问题里的“起诉”通常由人民法院办理" in row[2]}
    assert said == told
