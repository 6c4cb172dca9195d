"""JSON API blueprint (`/api/...`).

The `*_payload` functions are the single place where a request's parameters turn into an engine
call and an answer; the HTML pages (`pages.py`) call the same functions, so a page and its JSON
twin always show the same data.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from search_app import params
from search.errors import NotFound
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

def search_payload(p: params.SearchParams) -> dict:
    result = get_engine().search(p.q, mode=p.mode, filters=p.filters or None, page=p.page, size=p.size)
    result = dict(result)
    result["filters"] = dict(p.filters)
    return result


def owner_payload(p: params.OwnerParams) -> dict:
    return get_engine().owner(p.q, townships=p.townships or None, region=p.region, page=p.page, size=p.size)


def duty_payload(duty_id: str) -> dict:
    return _duty_or_404(duty_id)


def similar_payload(duty_id: str, p: params.SimilarParams) -> dict:
    _duty_or_404(duty_id)
    results = get_engine().similar(duty_id, k=p.k, other_townships=p.other_townships)
    return {"id": duty_id, "k": p.k, "other_townships": p.other_townships, "results": list(results)}


def compare_payload(p: params.CompareParams) -> dict:
    return get_engine().compare(p.a, p.b)


def townships_payload() -> dict:
    townships = list(get_engine().townships())
    return {"total": len(townships), "townships": townships}


def health_payload() -> dict:
    return get_engine().health()


# -- routes -------------------------------------------------------------------------------------

@bp.get("/search")
def search():
    return jsonify(search_payload(params.parse_search(request.args)))


@bp.get("/owner")
def owner():
    return jsonify(owner_payload(params.parse_owner(request.args)))


@bp.get("/duties/<duty_id>")
def duty(duty_id: str):
    params.parse_none(request.args)
    return jsonify(duty_payload(duty_id))


@bp.get("/duties/<duty_id>/similar")
def similar(duty_id: str):
    return jsonify(similar_payload(duty_id, params.parse_similar(request.args)))


@bp.get("/compare")
def compare():
    return jsonify(compare_payload(params.parse_compare(request.args)))


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
            "/api/compare", "/api/townships", "/api/health",
        ],
    })
