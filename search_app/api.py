"""JSON API blueprint (`/api/...`).

The `*_payload` functions are the single place where a request's parameters turn into an engine
call and an answer; the HTML pages (`pages.py`) call the same functions, so a page and its JSON
twin always show the same data.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from search.errors import NotFound
from search.vocabulary import PAGE_MAX, SIZE_MAX
from search_app import export, params
from search_app.openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api")


def get_engine():
    """The engine currently serving; raises IndexNotReady (HTTP 503) if there is none."""
    return current_app.extensions["tds.holder"].get()


def _duty_or_404(duty_id: str) -> dict:
    if not params.check_duty_id(duty_id):
        raise NotFound(f"没有编号为 {duty_id[:64]} 的事项")
    duty = get_engine().get(duty_id)
    if duty is None:
        raise NotFound(f"没有编号为 {duty_id} 的事项")
    return duty


# -- payloads shared with the pages ---------------------------------------------------------------

def query_log():
    """The QueryLog questions are written to, or None (TDS_QUERY_LOG unset)."""
    return current_app.extensions.get("tds.query_log")


def search_payload(p: params.SearchParams) -> dict:
    result = get_engine().search(p.q, mode=p.mode, filters=p.filters or None, page=p.page, size=p.size,
                                 place_from_query=p.place_from_query)
    result = dict(result)
    result["filters"] = dict(p.filters)
    if query_log() and p.page == 1:  # a question once, not once per page turned
        query_log().search(p.q, p.mode, result["filters"], result)
    return result


def owner_payload(p: params.OwnerParams) -> dict:
    result = get_engine().owner(p.q, townships=p.townships or None, region=p.region, page=p.page, size=p.size,
                                place_from_query=p.place_from_query)
    if query_log() and p.page == 1:
        query_log().owner(p.q, p.townships, p.region, result)
    return result


def duty_payload(duty_id: str) -> dict:
    return _duty_or_404(duty_id)


def similar_payload(duty_id: str, p: params.SimilarParams) -> dict:
    _duty_or_404(duty_id)
    results = get_engine().similar(duty_id, k=p.k, other_townships=p.other_townships)
    return {"id": duty_id, "k": p.k, "other_townships": p.other_townships, "results": list(results)}


def compare_payload(p: params.CompareParams) -> dict:
    return get_engine().compare(p.a, p.b)


def township_lists_payload(name: str) -> dict:
    """A township's three lists, every item in document order."""
    engine = get_engine()
    town = engine.one_township(name)
    records = _all_pages(lambda page: engine.search("", filters={"township": [town.township], "county": [town.county]},
                                                    page=page, size=SIZE_MAX))
    return town.region() | {"total": len(records), "duties": records}


def _all_pages(fetch) -> list[dict]:
    """Every hit of a paged answer, up to export.EXPORT_MAX."""
    out: list[dict] = []
    for page in range(1, PAGE_MAX + 1):
        result = fetch(page)
        out += [h["duty"] for h in result["hits"]]
        if not result["hits"] or len(out) >= min(result["total"], export.EXPORT_MAX):
            break
    return out[:export.EXPORT_MAX]


# -- downloads: the same rows as the JSON -------------------------------------------------------

def search_export(p: params.SearchParams):
    engine = get_engine()
    records = _all_pages(lambda page: engine.search(p.q, mode=p.mode, filters=p.filters or None, page=page,
                                                    size=SIZE_MAX))
    return export.response(export.duty_sheets(records, "检索结果"), p.format, f"检索-{p.q or '全部'}")


def owner_export(p: params.OwnerParams):
    engine = get_engine()
    rows = []
    for page in range(1, PAGE_MAX + 1):
        result = engine.owner(p.q, townships=p.townships or None, region=p.region, page=page, size=SIZE_MAX)
        rows += result["results"]
        if len(rows) >= result["total"] or not result["results"]:
            break
    payload = {"query": p.q, "results": rows}
    return export.response(export.owner_sheets(payload), p.format, f"谁负责-{p.q}")


def compare_export(p: params.CompareParams):
    return export.response(export.compare_sheets(compare_payload(p)), p.format, f"对比-{p.a}-{p.b}")


def township_lists_export(name: str, fmt: str):
    payload = township_lists_payload(name)
    return export.response(export.list_sheets(payload["duties"]), fmt,
                           f"{payload['county']}{payload['township']}履职事项清单")


def townships_payload() -> dict:
    townships = list(get_engine().townships())
    return {"total": len(townships), "townships": townships}


def health_payload() -> dict:
    return get_engine().health()


# -- routes -------------------------------------------------------------------------------------

@bp.get("/search")
def search():
    p = params.parse_search(request.args)
    return search_export(p) if p.format != "json" else jsonify(search_payload(p))


@bp.get("/owner")
def owner():
    p = params.parse_owner(request.args)
    return owner_export(p) if p.format != "json" else jsonify(owner_payload(p))


@bp.get("/duties/<duty_id>")
def duty(duty_id: str):
    params.parse_none(request.args)
    return jsonify(duty_payload(duty_id))


@bp.get("/duties/<duty_id>/similar")
def similar(duty_id: str):
    return jsonify(similar_payload(duty_id, params.parse_similar(request.args)))


@bp.get("/compare")
def compare():
    p = params.parse_compare(request.args)
    return compare_export(p) if p.format != "json" else jsonify(compare_payload(p))


@bp.get("/townships/<path:name>/lists")
def township_lists(name: str):
    fmt = params.parse_format(request.args)
    return township_lists_export(name, fmt) if fmt != "json" else jsonify(township_lists_payload(name))


@bp.get("/townships")
def townships():
    params.parse_none(request.args)
    return jsonify(townships_payload())


@bp.get("/health")
def health():
    params.parse_none(request.args)
    return jsonify(health_payload())


@bp.get("/openapi.json")
def openapi():
    params.parse_none(request.args)
    return jsonify(openapi_document())


@bp.get("", strict_slashes=False)
def index():
    """A short map of the API for someone who opens /api in a browser."""
    params.parse_none(request.args)
    return jsonify({
        "openapi": "/api/openapi.json",
        "endpoints": [
            "/api/search", "/api/owner", "/api/duties/{id}", "/api/duties/{id}/similar",
            "/api/compare", "/api/townships", "/api/townships/{name}/lists", "/api/health",
        ],
    })
