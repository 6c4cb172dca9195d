"""The pages in a real headless browser (Debian's chromium via Selenium and /usr/bin/chromedriver;
nothing is downloaded): type a task, see badges and departments, open a duty, follow a similar
item, compare two townships, and check a hostile query does not run. Screenshots go to
artifacts/screenshots/.

Skips when chromium or chromedriver is missing, except with CI=true, where it fails instead.
"""
from __future__ import annotations

import json
import urllib.request
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from app_fixtures import SHOTS

BADGES = {"基本", "配合", "收回"}


def shot(driver, name: str) -> None:
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def wait_for(driver, css: str, timeout: float = 30):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))


def css(driver, selector: str):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def no_alert(driver) -> bool:
    from selenium.common.exceptions import NoAlertPresentException

    try:
        driver.switch_to.alert
    except NoAlertPresentException:
        return True
    return False


def type_and_submit(driver, text: str, button: str = "#search-button") -> None:
    box = css(driver, "#q")[0]
    box.clear()
    box.send_keys(text)
    css(driver, button)[0].click()


def search(driver, live_server, text: str) -> None:
    driver.get(live_server + "/")
    type_and_submit(driver, text)
    wait_for(driver, "#total")


def test_type_a_task_see_badges_and_departments(browser, live_server):
    search(browser, live_server, "流动人口管理")
    hits = css(browser, "article.hit")
    assert hits, "results listed"
    assert {b.text for b in css(browser, "article.hit .badge")} <= BADGES
    assert "配合" in {b.text for b in css(browser, "article.hit .badge")}
    depts = [d.text for d in css(browser, "article.hit .depts .dept")]
    assert depts and all(depts), "lead or receiving departments shown"
    assert css(browser, "article.hit .part"), "the township's part shown"
    assert css(browser, "article.hit mark"), "highlights rendered as marks"
    assert parse_qs(urlsplit(browser.current_url).query)["q"] == ["流动人口管理"]
    shot(browser, "01-search")

    # the mode switch and a facet keep the query in the URL
    css(browser, 'nav.modes a[data-mode="keyword"]')[0].click()
    wait_for(browser, 'nav.modes a.on[data-mode="keyword"]')
    assert parse_qs(urlsplit(browser.current_url).query)["mode"] == ["keyword"]
    facet = css(browser, '.facet[data-facet="list_type"] a')[0]
    label = facet.text
    facet.click()
    wait_for(browser, ".active-filters")
    assert {b.text for b in css(browser, "article.hit .badge")} == {label}
    query = parse_qs(urlsplit(browser.current_url).query)
    assert query["mode"] == ["keyword"] and "list_type" in query
    shot(browser, "02-search-filtered")

    # the JSON twin of what is on screen
    total = int(css(browser, "#total")[0].text)
    browser.get(css(browser, "a.json-twin")[0].get_attribute("href"))
    body = json.loads(css(browser, "body")[0].text)
    assert body["total"] == total and body["mode"] == "keyword"


def test_open_a_duty_and_follow_a_similar_item(browser, live_server):
    search(browser, live_server, "流动人口管理")
    first = css(browser, "article.hit h2 a.duty-name")[0]
    first.click()
    wait_for(browser, "article.duty h1")
    township = css(browser, "nav.crumbs a")[0].text
    assert css(browser, "article.duty h1 .badge")[0].text in BADGES
    headings = [h.text for h in css(browser, "h2")]
    assert "其他乡镇的同类事项" in headings
    shot(browser, "03-duty")

    similar = css(browser, ".similar-list li a.duty-name")
    assert similar, "similar items in other townships"
    first_place = css(browser, ".similar-list li .place")[0].text
    assert township not in first_place.split(" · ")[0]
    similar[0].click()
    wait_for(browser, "article.duty h1")
    assert css(browser, "nav.crumbs a")[0].text != township
    shot(browser, "04-similar-duty")


def test_owner_view_row_per_township(browser, live_server):
    browser.get(live_server + "/owner")
    type_and_submit(browser, "流动人口管理", "#owner-button")
    wait_for(browser, "table.owner")
    shot(browser, "05-owner")
    rows = css(browser, "tr.owner-row")
    with urllib.request.urlopen(live_server + "/api/townships") as r:
        townships = json.loads(r.read())["townships"]
    assert len(rows) == len(townships)
    statuses = {r.get_attribute("data-status") for r in rows}
    assert statuses <= {"basic", "cooperative", "recovered", "possible", "not_listed"}
    assert statuses & {"basic", "cooperative", "recovered"}, "流动人口管理 is on some township's lists"
    labels = {"listed": "有此事项", "possible": "可能相关", "not_listed": "清单之外"}
    for row in rows:
        verdict = row.get_attribute("data-verdict")
        assert row.find_elements("css selector", ".verdict")[0].text == labels[verdict]
        if verdict != "not_listed":
            assert row.find_elements("css selector", "a.duty-name"), "the item is linked"
    assert "相似度" not in css(browser, "table.owner")[0].text, "no raw scores on the page"


def test_owner_view_pages_and_matches_the_api(browser, live_server):
    from urllib.parse import urlencode
    query = {"q": "流动人口管理", "size": 3}
    browser.get(f"{live_server}/owner?{urlencode(query)}")
    wait_for(browser, "table.owner")
    first = [r.get_attribute("data-township") for r in css(browser, "tr.owner-row")]
    css(browser, "nav.pager a[rel=next]")[0].click()
    wait_for(browser, "nav.pager a[rel=prev]")
    shot(browser, "05b-owner-page-2")
    second = [r.get_attribute("data-township") for r in css(browser, "tr.owner-row")]
    with urllib.request.urlopen(f"{live_server}/api/owner?{urlencode(query | {'page': 2})}") as r:
        api = json.loads(r.read())
    assert len(first) == 3 and not set(first) & set(second)
    assert second == [row["township"] for row in api["results"]]
    assert f"共 {api['total']} 个乡镇" in css(browser, "nav.pager")[0].text


def test_owner_view_nothing_close(browser, live_server):
    browser.get(live_server + "/owner?q=" + "火星移民")
    wait_for(browser, "table.owner")
    assert "没有找到与“火星移民”相近的事项" in css(browser, "p.nothing-close")[0].text
    with urllib.request.urlopen(live_server + "/api/owner?q=" + quote("火星移民")) as r:
        api = json.load(r)
    # every township has its row, none lists candidates
    rows = css(browser, "tr.owner-row")
    assert [row.get_attribute("data-township") for row in rows] == [r["township"] for r in api["results"]]
    assert not css(browser, "tr.owner-part") and not css(browser, "a.duty-name")


def test_owner_view_for_a_question_naming_a_township(browser, live_server):
    with urllib.request.urlopen(live_server + "/api/townships") as r:
        towns = [t["township"] for t in json.load(r)["townships"]]
    browser.get(live_server + "/owner")
    type_and_submit(browser, f"{towns[0]} 低保申请", "#owner-button")
    wait_for(browser, "#place-note")
    assert towns[0] in css(browser, "#place-note")[0].text
    assert [row.get_attribute("data-township") for row in css(browser, "tr.owner-row")] == [towns[0]]
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait
    note = css(browser, "#place-note")[0]
    css(browser, "#place-note a")[0].click()  # 列出全部乡镇
    WebDriverWait(browser, 30).until(EC.staleness_of(note))
    wait_for(browser, "table.owner")
    assert not css(browser, "#place-note")
    assert [row.get_attribute("data-township") for row in css(browser, "tr.owner-row")] == towns


def test_owner_view_not_listed(browser, live_server):
    browser.get(live_server + "/owner?q=" + "地铁")
    wait_for(browser, "table.owner")
    shot(browser, "06-owner-not-listed")
    assert "三张清单中没有这项工作" in css(browser, "table.owner")[0].text
    assert {b.text for b in css(browser, "tr.verdict-not_listed .verdict")} == {"清单之外"}
    # the 职责准入 sentence once, not once per township
    assert css(browser, "table.owner")[0].text.count("职责准入") == 1
    # whose work it is, as the JSON says
    with urllib.request.urlopen(live_server + "/api/owner?q=" + quote("地铁")) as r:
        api = {row["township"]: row for row in json.load(r)["results"]}
    assert any(r["authorities"] for r in api.values())
    for row in css(browser, "tr.verdict-not_listed"):
        whose = api[row.get_attribute("data-township")]["authorities"]
        assert ("通常由" + "、".join(whose) + "办理" in row.text) == bool(whose), row.text


def test_owner_view_names_the_township_that_holds_a_task_this_one_lacks(browser, live_server):
    """A township ruled out because another clearly holds the task (held_by in the JSON) says so,
    with that township and a link to its item; no other row does."""
    browser.get(live_server + "/owner?q=" + quote("防沙治沙"))
    wait_for(browser, "table.owner")
    shot(browser, "06b-owner-held-elsewhere")
    with urllib.request.urlopen(live_server + "/api/owner?q=" + quote("防沙治沙")) as r:
        api = {row["township"]: row for row in json.load(r)["results"]}
    assert any(row["held_by"] for row in api.values())
    for row in css(browser, "tr.owner-row"):
        held = api[row.get_attribute("data-township")]["held_by"]
        assert ("其他乡镇的清单有这项工作" in row.text) == bool(held), row.text
        if held:
            assert held["township"] in row.text
            link = row.find_element("css selector", ".held-by a")
            assert link.get_attribute("href").endswith("/duties/" + held["duty"]["id"])


def test_search_says_whose_work_a_task_is(browser, live_server):
    browser.get(live_server + "/?q=" + quote("护照去哪办"))
    wait_for(browser, "#authority-note")
    with urllib.request.urlopen(live_server + "/api/search?q=" + quote("护照去哪办")) as r:
        api = json.load(r)
    assert "这类事项通常由" + "、".join(api["authorities"]) + "办理" in css(browser, "#authority-note")[0].text
    assert len(css(browser, ".hits .hit")) == len(api["hits"]) > 0


def test_search_shows_the_staff_question_that_matched(browser, live_server):
    """常见问法 under exactly the hits whose JSON has highlights.asked, with the same text."""
    import re
    q = quote("门牌号怎么办")
    browser.get(live_server + "/?q=" + q)
    wait_for(browser, ".hits .hit")
    with urllib.request.urlopen(live_server + "/api/search?q=" + q) as r:
        api = json.load(r)
    asked = [re.sub(r"</?mark>", "", h["highlights"]["asked"]) for h in api["hits"]]
    assert any(asked)
    hits = css(browser, ".hits .hit")
    assert len(hits) == len(asked)
    for hit, question in zip(hits, asked):
        shown = [e.text for e in hit.find_elements("css selector", ".asked-part .asked")]
        assert shown == ([question] if question else []), (shown, question)
    shot(browser, "search-asked")


def test_compare_two_townships(browser, live_server):
    from selenium.webdriver.support.ui import Select

    browser.get(live_server + "/compare")
    Select(css(browser, "#a")[0]).select_by_value("渡口镇")
    Select(css(browser, "#b")[0]).select_by_value("沙金套海苏木")
    css(browser, "#compare-button")[0].click()
    wait_for(browser, "#pair-count")
    assert int(css(browser, "#pair-count")[0].text) > 0
    assert css(browser, "table.compare tr.pair")
    assert "仅渡口镇有" in css(browser, ".only-a h2")[0].text
    assert "仅沙金套海苏木有" in css(browser, ".only-b h2")[0].text
    query = parse_qs(urlsplit(browser.current_url).query)
    assert query == {"a": ["渡口镇"], "b": ["沙金套海苏木"]}
    shot(browser, "07-compare")


HOSTILE = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "'><svg onload=alert(1)>"]


@pytest.mark.parametrize("i, text", list(enumerate(HOSTILE)))
def test_hostile_query_does_not_execute(browser, live_server, i, text):
    search(browser, live_server, text)
    assert no_alert(browser)
    assert css(browser, "#q")[0].get_attribute("value") == text
    assert not css(browser, "script"), "no script element made it into the page"
    assert not css(browser, "main img, main svg")
    assert text in browser.title
    shot(browser, f"08-hostile-{i}")

    browser.get(live_server + "/owner")
    type_and_submit(browser, text, "#owner-button")
    wait_for(browser, "table.owner")
    assert no_alert(browser)
    assert not css(browser, "script") and not css(browser, "main img, main svg")
    assert text in css(browser, "p.summary")[0].text


def test_owner_view_export_buttons_download_the_rows(browser, live_server):
    import csv
    import io

    from openpyxl import load_workbook

    browser.get(live_server + "/owner?q=" + "流动人口管理")
    wait_for(browser, "table.owner")
    xlsx_href = css(browser, "#export-xlsx")[0].get_attribute("href")
    csv_href = css(browser, "#export-csv")[0].get_attribute("href")
    with urllib.request.urlopen(live_server + "/api/owner?q=%E6%B5%81%E5%8A%A8%E4%BA%BA%E5%8F%A3%E7%AE%A1%E7%90%86") as r:
        api = json.loads(r.read())
    with urllib.request.urlopen(csv_href) as r:
        rows = list(csv.reader(io.StringIO(r.read().decode("utf-8-sig"))))
    with urllib.request.urlopen(xlsx_href) as r:
        sheet = load_workbook(io.BytesIO(r.read())).worksheets[0]
    townships = [row["township"] for row in api["results"]]
    assert list(dict.fromkeys(row[0] for row in rows[1:])) == townships
    from_xlsx = [["" if c is None else str(c) for c in row] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert from_xlsx == rows[1:]


PAGES = ["/", "/?q=%E4%BD%8E%E4%BF%9D", "/owner?q=%E4%BD%8E%E4%BF%9D",
         "/compare?a=%E6%B8%A1%E5%8F%A3%E9%95%87&b=%E5%98%8E%E6%9C%A8%E4%B9%A1", "/townships", "/help", "duty"]


def _page_url(live_server, path: str) -> str:
    if path == "duty":  # a cooperative item's page (the longest)
        with urllib.request.urlopen(live_server + "/api/search?q=%E6%B6%88%E9%98%B2&list_type=cooperative&size=1") as r:
            path = "/duties/" + json.loads(r.read())["hits"][0]["duty"]["id"]
    return live_server + path


def _shot_name(prefix: str, path: str) -> str:
    return prefix + (path.strip("/").split("?")[0].split("/")[0] or "home") + ("-q" if "?" in path else "")


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("path", PAGES)
def test_every_page_fits_the_screen(browser, live_server, path, width):
    browser.set_window_size(width, 1000 if width > 600 else 844)
    try:
        browser.get(_page_url(live_server, path))
        wait_for(browser, "main")
        scroll = browser.execute_script("return document.documentElement.scrollWidth")
        viewport = browser.execute_script("return document.documentElement.clientWidth")
        shot(browser, _shot_name("desktop-" if width > 600 else "phone-", path))
        assert scroll <= viewport, (path, width, scroll, viewport)
        facets = css(browser, ".facet-body")
        if facets:  # filters shown on a desktop, behind 筛选 on a phone
            assert facets[0].is_displayed() == (width > 600)
            if width <= 600:
                css(browser, ".facet-button")[0].click()
                assert facets[0].is_displayed()
    finally:
        browser.set_window_size(1280, 1000)


def test_owner_table_prints_on_a4_without_the_page_chrome(browser, live_server):
    import base64

    browser.get(live_server + "/owner?q=" + "山林着火了谁负责")
    wait_for(browser, "table.owner")
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not css(browser, "header.top nav")[0].is_displayed()
        assert not css(browser, ".take-away")[0].is_displayed()
        assert css(browser, "table.owner")[0].is_displayed()
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    pdf = base64.b64decode(browser.print_page())
    assert pdf.startswith(b"%PDF") and b"/MediaBox" in pdf
