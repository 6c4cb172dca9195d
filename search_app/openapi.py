"""The OpenAPI 3 document served at /api/openapi.json.

Built in Python from the same constants `params.py` enforces, so the limits it states are the
limits the API applies.
"""
from __future__ import annotations

import copy
import dataclasses
import typing
from functools import lru_cache

from models.duty import DepartmentDuties, Duty
from search_app import params
from search.config import SearchConfig

STR = {"type": "string"}
STR_LIST = {"type": "array", "items": STR}
NUM = {"type": "number"}
INT = {"type": "integer"}
OTHER_WORK = {"type": "object", "required": ["term", "authority"], "properties": {"term": STR, "authority": STR},
              "description": "Another authority's work a question names: the words, and whose work it is."}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


_JSON_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean"}


def _type_schema(tp, where: str) -> dict:
    """JSON schema of one resolved annotation: str/int/float/bool, list[X], or a dataclass ($ref)."""
    if tp in _JSON_TYPES:
        return {"type": _JSON_TYPES[tp]}
    if typing.get_origin(tp) is list:
        (item,) = typing.get_args(tp) or (None,)
        if item is None:
            raise TypeError(f"{where}: bare list, give the item type (list[X])")
        return {"type": "array", "items": _type_schema(item, where)}
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _ref(tp.__name__)  # listed in SCHEMAS under its class name
    raise TypeError(f"{where}: no JSON schema mapping for {tp!r}")


def dataclass_schema(cls, description: str | None = None, extra: dict[str, dict] | None = None) -> dict:
    """JSON schema of dataclass `cls`, one property per field, in field order, every one required.

    str/int/float/bool map to string/integer/number/boolean, list[X] to an array of X, and a
    nested dataclass to a $ref to the component of its class name (which SCHEMAS must hold).
    String annotations (`from __future__ import annotations`) are resolved by
    typing.get_type_hints. `extra` adds keywords the types cannot state (an enum, a
    description) to the named fields; a name that is not a field is an error.
    """
    hints = typing.get_type_hints(cls)
    fields = [f.name for f in dataclasses.fields(cls)]
    unknown = set(extra or {}) - set(fields)
    if unknown:
        raise ValueError(f"{cls.__name__} has no field(s) {sorted(unknown)}")
    properties = {
        name: {**_type_schema(hints[name], f"{cls.__name__}.{name}"), **(extra or {}).get(name, {})}
        for name in fields
    }
    schema: dict = {"type": "object"}
    if description:
        schema["description"] = description
    schema["required"] = fields
    schema["properties"] = properties
    return schema


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _ok(description: str, schema: dict, downloads: bool = False) -> dict:
    content = {"application/json": {"schema": schema}}
    if downloads:
        content["text/csv"] = {"schema": {"type": "string"}}
        content[XLSX] = {"schema": {"type": "string", "format": "binary"}}
        description += " With format=csv or xlsx: the same rows as a download (CSV in UTF-8 with BOM)."
    return {"description": description, "content": content}


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMAT_PARAM = {
    "name": "format", "in": "query", "required": False,
    "description": "json (default), or csv / xlsx to download every row (not only this page) for Excel.",
    "schema": {"type": "string", "enum": list(params.FORMATS), "default": "json"},
}


def _text_param(name: str, description: str, limit: int, required: bool = False, example=None) -> dict:
    schema = {"type": "string", "maxLength": limit}
    if required:
        schema["minLength"] = 1
        schema["pattern"] = params.TEXT_PATTERN
    p = {"name": name, "in": "query", "required": required, "description": description, "schema": schema}
    if example is not None:
        p["example"] = example
    return p


def _int_param(name: str, description: str, default: int, low: int, high: int) -> dict:
    return {
        "name": name, "in": "query", "required": False, "description": description,
        "schema": {"type": "integer", "minimum": low, "maximum": high, "default": default},
    }


ERRORS_COMMON = {
    "400": _error("Invalid parameter: unknown, repeated, malformed, out of range or too long."),
    "405": _error("Only GET and HEAD are allowed."),
    "413": _error("Request body too large."),
    "503": _error("The index is not loaded yet (code index_not_ready), or Elasticsearch is unreachable "
                  "(code backend_unavailable: keyword and hybrid search; mode=semantic still answers, "
                  "marked degraded)."),
    "431": {
        "description": "Request line and headers together exceed the server's limit (64 KiB); sent by the "
                       "WSGI server before the app sees the request.",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    },
}

DUTY_ID = {
    "name": "id", "in": "path", "required": True, "description": "Duty id (stable across rebuilds).",
    "schema": {"type": "string", "pattern": params.DUTY_ID_RE.pattern},
}

FILTER_PARAMS = [
    _text_param("province", "Filter: province (exact value, see facets).", params.FILTER_MAX),
    _text_param("prefecture", "Filter: prefecture (exact value).", params.FILTER_MAX),
    _text_param("county", "Filter: county (exact value).", params.FILTER_MAX),
    _text_param("township", "Filter: township (exact value).", params.FILTER_MAX),
    {
        "name": "list_type", "in": "query", "required": False,
        "description": "Filter: basic (基本), cooperative (配合) or recovered (收回).",
        "schema": {"type": "string", "enum": list(params.LIST_TYPES)},
    },
    _text_param("category", "Filter: category (exact value).", params.FILTER_MAX),
    _text_param("department", "Filter: lead or receiving department, qualified by its county (磴口县应急管理局; values as in the facet).", params.FILTER_MAX),
]

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "description": "Machine-readable code, e.g. invalid_parameter."},
                    "message": {"type": "string", "description": "Human-readable message (Chinese)."},
                    "param": {"type": "string", "description": "The offending parameter, when there is one."},
                },
            }
        },
    },
    "DepartmentDuties": dataclass_schema(DepartmentDuties),
    "Duty": dataclass_schema(
        Duty,
        description="One item of one township's list, as the document states it.",
        extra={
            "list_type": {"enum": list(params.LIST_TYPES)},
            "source": {"description": "file:line of the item's first line"},
        },
    ),
    "Highlights": {
        "type": "object",
        "description": "HTML-escaped text in which matches are wrapped in <mark>…</mark>. duties: up to 3 "
                       "duty sentences that match; departments, township_duties: every one, in record order; "
                       "asked: the first of the item's staff questions (how staff ask for its task, "
                       "data/dict/asked.tsv) that holds a match, else \"\".",
        "properties": {"name": STR, "category": STR, "duties": STR_LIST, "departments": STR_LIST,
                       "township_duties": STR_LIST, "handling": STR, "asked": STR},
    },
    "Hit": {
        "type": "object",
        "required": ["duty", "score", "highlights"],
        "properties": {"duty": _ref("Duty"), "score": NUM, "highlights": _ref("Highlights")},
    },
    "FacetValue": {
        "type": "object",
        "required": ["value", "count"],
        "properties": {"value": STR, "count": INT},
    },
    "SearchResponse": {
        "type": "object",
        "required": ["query", "mode", "total", "total_relation", "page", "size", "hits", "facets", "took_ms",
                     "filters"],
        "properties": {
            "query": STR,
            "mode": {"type": "string", "enum": list(params.MODES)},
            "total": INT,
            "total_relation": {"type": "string", "enum": ["eq", "gte"],
                               "description": "eq: total counts every match. gte: semantic and hybrid "
                                              "search take at most `depth` candidates a side, a side was cut "
                                              "there, so there are at least `total` matches (pages end there)."},
            "page": INT,
            "size": INT,
            "hits": {"type": "array", "items": _ref("Hit")},
            "facets": {
                "type": "object",
                "description": "Counts per value for each filter field over all matches.",
                "additionalProperties": {"type": "array", "items": _ref("FacetValue")},
                "properties": {f: {"type": "array", "items": _ref("FacetValue")} for f in params.FILTER_FIELDS},
            },
            "took_ms": NUM,
            "places": {"type": "object", "description": "Places the query names (full names of the index's townships, "
                       "counties, prefectures or provinces: 嘎木乡 …) and that were taken out of the text matched: "
                       "without a place filter in the request they filter the answer; with one, only places that "
                       "agree with it are taken. Empty when none (or place_from_query=false).",
                       "additionalProperties": {"type": "array", "items": STR}},
            "authorities": {"type": "array", "items": STR,
                            "description": "When the query names another authority's work (诉讼, 护照, 发票 …) "
                                           "that no record within the filters mentions: whose work it is. "
                                           "The hits are still the nearest records."},
            "other_work": {"type": "array", "items": OTHER_WORK,
                           "description": "When the query names such work but asks what the township does about "
                                          "it (不想请律师打官司，乡里能先调解不): the terms and whose work each is; "
                                          "authorities is then empty."},
            "browse": {"type": "boolean", "description": "Present and true when q was empty: records in document order."},
            "degraded": {"type": "boolean", "description": "Present and true when the keyword backend (Elasticsearch) "
                         "is unreachable and a semantic search answered without it."},
            "filters": {
                "type": "object", "description": "The filters applied.",
                "additionalProperties": STR,
            },
        },
    },
    "OwnerResult": {
        "type": "object",
        "required": ["township", "county", "prefecture", "province", "verdict", "verdict_label", "verdict_note", "confidence",
                     "status", "duty", "items", "lists", "authorities", "other_work", "held_by"],
        "properties": {
            "township": STR,
            "county": STR,
            "prefecture": STR,
            "province": STR,
            "verdict": {
                "type": "string", "enum": ["listed", "possible", "not_listed"],
                "description": "listed (有此事项): the township lists the task, see items; possible (可能相关): "
                               "candidates shown, no verdict; not_listed (清单之外): confident that none of the "
                               "township's three lists holds the task.",
            },
            "verdict_label": {"type": "string", "enum": ["有此事项", "可能相关", "清单之外"]},
            "verdict_note": {"type": "string", "description": "What to do with the answer, in words: empty, or a "
                             "request to check the items (可能相关, and 有此事项 given with little certainty)."},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1,
                           "description": "Calibrated probability that the township lists the task."},
            "status": {
                "type": "string", "enum": ["basic", "cooperative", "recovered", "possible", "not_listed"],
                "description": "The main item's list when listed; otherwise the verdict.",
            },
            "duty": {"oneOf": [_ref("Duty"), {"type": "null"}], "description": "The main item when listed."},
            "items": {"type": "array", "items": _ref("OwnerItem"),
                      "description": "listed: every relevant item (a task can have a basic and a cooperative or "
                                     "recovered part); possible: the candidates; not_listed: empty."},
            "lists": {"type": "array", "items": {"type": "string", "enum": ["basic", "cooperative", "recovered"]},
                      "description": "The lists the items are on (listed only)."},
            "nearest": {"oneOf": [_ref("Duty"), {"type": "null"}],
                        "description": "When not_listed: the closest item, for reference."},
            "authorities": {"type": "array", "items": STR,
                            "description": "When not_listed because the task is another authority's work "
                                           "(人民法院, 公证机构, 税务机关 …) that none of the township's items "
                                           "mentions: those authorities; otherwise empty."},
            "held_by": {"oneOf": [{"type": "object", "required": ["township", "duty"], "properties": {
                            "township": STR,
                            "duty": {"type": "object", "required": ["id", "name", "list_type"],
                                     "properties": {"id": STR, "name": STR, "list_type": STR}}}},
                                  {"type": "null"}],
                        "description": "When not_listed because another township clearly holds the task and this "
                                       "one is far from it: that township and its item; otherwise null."},
            "other_work": {"type": "array", "items": OTHER_WORK,
                           "description": "Another authority's work the question names (its words and whose it is) "
                                          "when the verdict answered the township's part instead: the question asks "
                                          "what the township does about it (不想请律师打官司，乡里能先调解不) or names it "
                                          "in passing. Empty when the verdict is about that work (see authorities) "
                                          "or the township's items name it as their own."},
            "features": {"type": "object", "additionalProperties": NUM,
                         "description": "Only with explain: the evidence the verdict weighed."},
        },
    },
    "OwnerItem": {
        "type": "object",
        "required": ["duty", "relevance"],
        "properties": {"duty": _ref("Duty"),
                       "relevance": {"type": "number", "minimum": 0, "maximum": 1,
                                     "description": "Relative to the township's best candidate (1 = the best)."},
                       "role": {"type": "string", "enum": ["answer", "related", "candidate"],
                                "description": "answer: the item that holds the task (有此事项's first item); "
                                               "related: a later item of 有此事项 (a task's other part, or an item "
                                               "close behind), to check; candidate: an item of 可能相关, to check."}},
    },
    "OwnerResponse": {
        "type": "object",
        "required": ["query", "total", "page", "size", "results"],
        "properties": {
            "query": STR,
            "places": {"type": "object", "description": "Places the query names (full names of the index's townships, "
                       "counties, prefectures or provinces: 嘎木乡 …) and that were taken out of the text matched: "
                       "without a place filter in the request they filter the answer; with one, only places that "
                       "agree with it are taken. Empty when none (or place_from_query=false).",
                       "additionalProperties": {"type": "array", "items": STR}},
            "total": INT, "page": INT, "size": INT,
            "results": {"type": "array", "items": _ref("OwnerResult")},
            "nothing_close": {"type": "boolean",
                              "description": "No record shares a word with the task and no item name comes close "
                                             "(search answers 没有找到): 可能相关 rows then show no candidates."},
            "degraded": {"type": "boolean"},
        },
    },
    "ScoredDuty": {
        "type": "object",
        "required": ["duty", "score"],
        "properties": {"duty": _ref("Duty"), "score": NUM},
    },
    "SimilarResponse": {
        "type": "object",
        "required": ["id", "k", "other_townships", "results"],
        "properties": {
            "id": STR, "k": INT, "other_townships": {"type": "boolean"},
            "results": {"type": "array", "items": _ref("ScoredDuty")},
        },
    },
    "ComparePair": {
        "type": "object",
        "required": ["a", "b", "score"],
        "properties": {"a": _ref("Duty"), "b": _ref("Duty"), "score": NUM},
    },
    "CompareResponse": {
        "type": "object",
        "required": ["a", "b", "threshold", "pairs", "only_a", "only_b"],
        "properties": {
            "a": _ref("TownshipTotal"), "b": _ref("TownshipTotal"),
            "threshold": NUM,
            "pairs": {"type": "array", "items": _ref("ComparePair")},
            "only_a": {"type": "array", "items": _ref("Duty")},
            "only_b": {"type": "array", "items": _ref("Duty")},
        },
    },
    "Township": {
        "type": "object",
        "required": ["province", "prefecture", "county", "township", "counts", "total"],
        "properties": {
            "province": STR, "prefecture": STR, "county": STR, "township": STR,
            "counts": {
                "type": "object", "required": list(params.LIST_TYPES),
                "properties": {t: INT for t in params.LIST_TYPES},
            },
            "total": INT,
        },
    },
    "TownshipTotal": {
        "type": "object",
        "required": ["province", "prefecture", "county", "township", "total"],
        "properties": {"province": STR, "prefecture": STR, "county": STR, "township": STR, "total": INT},
    },
    "TownshipLists": {
        "type": "object",
        "required": ["province", "prefecture", "county", "township", "total", "duties"],
        "properties": {"province": STR, "prefecture": STR, "county": STR, "township": STR, "total": INT,
                       "duties": {"type": "array", "items": _ref("Duty")}},
    },
    "TownshipsResponse": {
        "type": "object",
        "required": ["total", "townships"],
        "properties": {"total": INT, "townships": {"type": "array", "items": _ref("Township")}},
    },
    "Health": {
        "type": "object",
        "required": ["loaded", "records", "model", "backend", "index_dir", "built_at"],
        "properties": {
            "loaded": {"type": "boolean"},
            "records": INT,
            "model": {"type": ["string", "null"]},
            "backend": STR,
            "index_dir": STR,
            "built_at": {"type": ["string", "null"]},
            "es": {"type": "string", "enum": ["up", "down"],
                   "description": "With the Elasticsearch backend (ES_URL): whether the cluster answers."},
            "degraded": {"type": "boolean", "description": "With Elasticsearch: true while it is down."},
            "keyword": {"type": "object", "description": "The keyword backend's own health (backend, up, …)."},
            "question_vectors": {"type": "integer", "minimum": 0,
                                 "description": "Staff questions a query is scored against besides the item names "
                                                "(0: names alone)."},
        },
    },
}


def _op(op_id: str, summary: str, parameters: list, ok: dict, extra_errors: dict | None = None) -> dict:
    responses = {"200": ok}
    responses.update(ERRORS_COMMON)
    responses.update(extra_errors or {})
    return {"get": {"operationId": op_id, "summary": summary, "parameters": parameters, "responses": responses}}


PLACE_FROM_QUERY = {
    "name": "place_from_query", "in": "query", "required": False,
    "description": "Take the places the query names (嘎木乡 …) as the place filter and out of the text "
                   "matched (default true); false searches the text as typed.",
    "schema": {"type": "boolean", "default": True},
}

PATHS = {
    "/api/search": _op(
        "search", "Search duties across townships (keyword, semantic or hybrid).",
        [
            _text_param("q", "The task or words to look for; query syntax (FTS, Elasticsearch) is searched as text. "
                             "Empty or missing: browse the filtered records in document order.",
                        params.Q_MAX, example="山林着火"),
            {
                "name": "mode", "in": "query", "required": False, "description": "Ranking mode.",
                "schema": {"type": "string", "enum": list(params.MODES), "default": "hybrid"},
            },
            *FILTER_PARAMS,
            _int_param("page", "Page number (1-based).", 1, 1, params.PAGE_MAX),
            _int_param("size", "Hits per page.", params.SIZE_DEFAULT, 1, params.SIZE_MAX),
            PLACE_FROM_QUERY,
            FORMAT_PARAM,
        ],
        _ok("Hits, facets and timing.", _ref("SearchResponse"), downloads=True),
        {"404": _error("Unknown place (province, prefecture, county or township).")},
    ),
    "/api/owner": _op(
        "owner", "Who owns a task, per township: basic, cooperative, recovered or not on the lists.",
        [
            _text_param("q", "The task, in plain words.", params.Q_MAX, required=True, example="禁牧区搭圈舍"),
            {
                "name": "township", "in": "query", "required": False,
                "description": f"Townships to answer for (repeatable, at most {params.TOWNSHIPS_MAX}; a name, or "
                               "县/乡镇 to pick one of several namesakes); default all.",
                "style": "form", "explode": True,
                "schema": {"type": "array", "maxItems": params.TOWNSHIPS_MAX,
                           "items": {"type": "string", "maxLength": params.FILTER_MAX}},
            },
            *FILTER_PARAMS[:3],
            _int_param("page", "Page of townships (1-based).", 1, 1, params.PAGE_MAX),
            _int_param("size", "Townships per page.", SearchConfig.from_env().owner_page_size, 1, params.SIZE_MAX),
            PLACE_FROM_QUERY,
            FORMAT_PARAM,
        ],
        _ok("One row per township of the page (townships in list order; `total` counts them all).",
            _ref("OwnerResponse"), downloads=True),
        {"404": _error("Unknown township or place.")},
    ),
    "/api/duties/{id}": _op(
        "getDuty", "One duty record.", [DUTY_ID], _ok("The record.", _ref("Duty")),
        {"404": _error("Unknown id.")},
    ),
    "/api/duties/{id}/similar": _op(
        "similarDuties", "Equivalent items, by default in other townships only.",
        [
            DUTY_ID,
            _int_param("k", "How many.", params.K_DEFAULT, 1, params.K_MAX),
            {
                "name": "other_townships", "in": "query", "required": False,
                "description": "Only items of other townships (default true).",
                "schema": {"type": "boolean", "default": True},
            },
        ],
        _ok("Similar items, best first.", _ref("SimilarResponse")),
        {"404": _error("Unknown id.")},
    ),
    "/api/compare": _op(
        "compare", "Align two townships' lists: matching pairs and items only one side has.",
        [
            _text_param("a", "First township: its name, or 县/乡镇 when the name is not unique.",
                        params.FILTER_MAX, required=True, example="渡口镇"),
            _text_param("b", "Second township, as a.", params.FILTER_MAX, required=True, example="补隆淖镇"),
            FORMAT_PARAM,
        ],
        _ok("Pairs and one-sided items.", _ref("CompareResponse"), downloads=True),
        {"404": _error("Unknown township.")},
    ),
    "/api/townships/{name}/lists": _op(
        "townshipLists", "A township's three lists, every item in document order.",
        [
            {"name": "name", "in": "path", "required": True,
             "description": "The township's name, or 县/乡镇 when the name is not unique.",
             "schema": {"type": "string", "minLength": 1, "maxLength": params.FILTER_MAX}, "example": "渡口镇"},
            FORMAT_PARAM,
        ],
        _ok("The township and its items (xlsx: one sheet per list).", _ref("TownshipLists"), downloads=True),
        {"404": _error("Unknown township.")},
    ),
    "/api/townships": _op(
        "townships", "Every township with item counts per list.", [],
        _ok("Townships.", _ref("TownshipsResponse")),
    ),
    "/api/health": _op(
        "health", "Whether the index is loaded, with record count, model and backend.", [],
        _ok("Loaded.", _ref("Health")),
    ),
}


@lru_cache(maxsize=1)
def _document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Township duty search",
            "version": "1.0.0",
            "description": (
                "Search the three lists of township duties (基本/配合/收回履职事项清单). "
                "Only GET and HEAD are accepted; unknown or repeated query parameters are rejected "
                "with 400. Every error body is {\"error\": {\"code\", \"message\"}}."
            ),
        },
        "servers": [{"url": "/"}],
        "paths": PATHS,
        "components": {"schemas": SCHEMAS},
    }


def openapi_document() -> dict:
    return copy.deepcopy(_document())
