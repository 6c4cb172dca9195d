"""HTML pages for staff (Chinese UI, server-rendered with Jinja autoescaping).

Each page gets its data from the same `api.*_payload` function as its JSON twin, and links to it.
Text from the documents is always escaped; the only markup let through is the `<mark>` of
search highlights, via the `highlight` filter below.
"""
from __future__ import annotations

import html
import re
from urllib.parse import urlencode

from flask import Blueprint, Flask, render_template, request, url_for
from markupsafe import Markup, escape

from search.vocabulary import LIST_LABELS
from search_app import api, params

bp = Blueprint("pages", __name__)

LIST_FULL = {"basic": "基本履职事项", "cooperative": "配合履职事项", "recovered": "上级部门收回事项"}
STATUS_LABELS = dict(LIST_LABELS, not_listed="清单之外")
MODE_LABELS = {"hybrid": "综合", "keyword": "关键词", "semantic": "语义"}
FACET_LABELS = {
    "list_type": "清单",
    "province": "省（区）",
    "prefecture": "市（地区）",
    "county": "县（区）",
    "township": "乡镇",
    "category": "类别",
    "department": "部门",
}
FACET_ORDER = ("list_type", "township", "county", "prefecture", "province", "category", "department")
FACET_SHOWN = 12  # values listed per facet before the rest are folded away

_MARK_SPLIT = re.compile(r"(<mark>|</mark>)")


def highlight(value) -> Markup:
    """Render engine highlight HTML safely: keep only <mark>/</mark>, escape everything else.

    The engine already escapes; this does not trust it. Each text run is unescaped and escaped
    again, so `&amp;` displays as `&` and any stray tag displays as text.
    """
    if value is None:
        return Markup("")
    out = []
    depth = 0
    for part in _MARK_SPLIT.split(str(value)):
        if part == "<mark>":
            if depth == 0:
                out.append("<mark>")
            depth += 1
        elif part == "</mark>":
            if depth == 1:
                out.append("</mark>")
            depth = max(depth - 1, 0)
        elif part:
            out.append(str(escape(html.unescape(part))))
    if depth:
        out.append("</mark>")
    return Markup("".join(out))


def url_with(**changes) -> str:
    """The current URL with some query parameters replaced (None removes one)."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in changes]
    for key, value in changes.items():
        if value is None or value == "":
            continue
        if isinstance(value, (list, tuple)):
            args.extend((key, v) for v in value)
        else:
            args.append((key, value))
    query = urlencode(args)
    return request.path + ("?" + query if query else "")


def api_url(endpoint: str, **values) -> str:
    """The JSON twin: same query string, API endpoint."""
    base = url_for(endpoint, **values)
    query = request.query_string.decode("latin-1")
    return base + ("?" + query if query else "")


def with_format(url: str, fmt: str) -> str:
    """An API URL asking for a download (format=csv|xlsx) instead of JSON."""
    return url + ("&" if "?" in url else "?") + urlencode({"format": fmt})


def register_template_helpers(app: Flask) -> None:
    app.add_template_filter(highlight, "highlight")
    app.add_template_global(url_with, "url_with")
    app.add_template_global(with_format, "with_format")
    app.jinja_env.globals.update(
        LIST_LABELS=LIST_LABELS,
        LIST_FULL=LIST_FULL,
        STATUS_LABELS=STATUS_LABELS,
        MODE_LABELS=MODE_LABELS,
        FACET_LABELS=FACET_LABELS,
        FACET_ORDER=FACET_ORDER,
        FACET_SHOWN=FACET_SHOWN,
        MODES=params.MODES,
        Q_MAX=params.Q_MAX,
    )


def with_refs(townships: list[dict]) -> list[dict]:
    """Add `ref`: the name to send back for a township — the bare name, or "县/乡镇" when another
    county has a township of the same name (the engine resolves both forms)."""
    seen: dict[str, int] = {}
    for t in townships:
        seen[t["township"]] = seen.get(t["township"], 0) + 1
    return [dict(t, ref=t["township"] if seen[t["township"]] == 1 else f"{t['county']}/{t['township']}")
            for t in townships]


def _townships_or_empty() -> list:
    return with_refs(api.townships_payload()["townships"])


def page_numbers(result: dict | None) -> dict | None:
    """Current and last page of a paged answer (search hits, owner townships)."""
    if not result:
        return None
    last = min(max((result["total"] + result["size"] - 1) // result["size"], 1), params.PAGE_MAX)
    current = result["page"]
    shown = sorted({1, last} | {n for n in range(current - 2, current + 3) if 1 <= n <= last})
    window: list[int | None] = []
    for n in shown:  # page numbers around the current one, the first and the last; None for a gap
        if window and n - window[-1] > 1:
            window.append(None)
        window.append(n)
    return {"current": current, "last": last, "window": window}


# -- pages --------------------------------------------------------------------------------------

@bp.get("/")
def search_page():
    p = params.parse_search(request.args)
    if p.format != "json":  # the page and its JSON twin take the same parameters, downloads too
        return api.search_export(p)
    result = None if p.is_empty else api.search_payload(p)
    pages = page_numbers(result)
    return render_template(
        "search.html",
        p=p,
        q=p.q,
        mode=p.mode,
        active=p.filters,
        result=result,
        pages=pages,
        json_url=api_url("api.search") if result else None,
        exportable=True,
        townships=None if result else with_refs(api.townships_payload()["townships"]),
    )


@bp.get("/owner")
def owner_page():
    p = params.parse_owner(request.args, require_q=False)
    if p and p.format != "json":
        return api.owner_export(p)
    result = api.owner_payload(p) if p else None
    pages = page_numbers(result)
    return render_template(
        "owner.html",
        p=p,
        pages=pages,
        q=(p.q if p else ""),
        selected=[params.clean_text(t) for t in request.args.getlist("township")],
        result=result,
        townships=_townships_or_empty(),
        json_url=api_url("api.owner") if p else None,
        exportable=True,
    )


@bp.get("/duties/<duty_id>")
def duty_page(duty_id: str):
    sp = params.parse_similar(request.args)
    duty = api.duty_payload(duty_id)
    similar = api.similar_payload(duty_id, sp)
    return render_template(
        "duty.html",
        duty=duty,
        similar=similar,
        json_url=url_for("api.duty", duty_id=duty_id),
        similar_json_url=api_url("api.similar", duty_id=duty_id),
    )


@bp.get("/compare")
def compare_page():
    p = params.parse_compare(request.args, require=False)
    if p and p.format != "json":
        return api.compare_export(p)
    result = api.compare_payload(p) if p else None
    if result:  # mark pairs the two townships put on different lists (display only)
        result = dict(result, pairs=[dict(pr, differs=pr["a"]["list_type"] != pr["b"]["list_type"])
                                     for pr in result["pairs"]])
    return render_template(
        "compare.html",
        p=p,
        a=request.args.get("a", ""),
        b=request.args.get("b", ""),
        result=result,
        townships=_townships_or_empty(),
        json_url=api_url("api.compare") if p else None,
        exportable=True,
    )


@bp.get("/townships")
def townships_page():
    params.parse_none(request.args)
    data = api.townships_payload()
    data = dict(data, townships=with_refs(data["townships"]))
    return render_template("townships.html", data=data, json_url=url_for("api.townships"))


@bp.get("/help")
def help_page():
    params.parse_none(request.args)
    return render_template("help.html")
