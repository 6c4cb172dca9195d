"""Query-string validation shared by the JSON API and the HTML pages.

Every public endpoint reads its parameters through one of the `parse_*` functions, so a page
and its JSON twin accept and reject exactly the same requests. Rules:

- unknown parameters are rejected (a typo such as `lsit_type=basic` would otherwise silently
  return unfiltered results);
- a parameter may appear once, except `township` on the owner endpoint;
- control characters in text are replaced by spaces and text is stripped; length limits apply to
  the text as sent; an empty text parameter counts as absent;
- numbers, booleans and choices must be well formed when present (an empty `page=` is an error,
  as the OpenAPI document says);
- the limits (search/vocabulary.py) are also what the engine checks and the OpenAPI document states.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from search.errors import BadRequest
from search.vocabulary import (AREA_FIELDS, FILTER_FIELDS, FILTER_MAX, K_DEFAULT, K_MAX, LIST_TYPES, MODES,
                               PAGE_MAX, Q_MAX, SIZE_DEFAULT, SIZE_MAX, TOWNSHIPS_MAX)

DUTY_ID_RE = re.compile(r"^[0-9A-Za-z_-]{1,64}$")  # used with fullmatch

# JSON-schema pattern equivalent of "contains something after cleaning".
TEXT_PATTERN = r"[^\s\x00-\x1f\x7f-\x9f]"

_INT_RE = re.compile(r"-?[0-9]{1,9}")
_TRUE = ("true",)
_FALSE = ("false",)


FORMATS = ("json", "csv", "xlsx")  # json: the answer; csv / xlsx: the same rows as a download


@dataclass
class SearchParams:
    q: str
    mode: str = "hybrid"
    filters: dict = field(default_factory=dict)
    page: int = 1
    size: int = SIZE_DEFAULT
    format: str = "json"
    place_from_query: bool = True

    @property
    def is_empty(self) -> bool:
        return not self.q and not self.filters


@dataclass
class OwnerParams:
    q: str
    townships: list = field(default_factory=list)
    region: dict = field(default_factory=dict)
    page: int = 1
    size: int | None = None  # None: the engine's SearchConfig.owner_page_size
    format: str = "json"
    place_from_query: bool = True


@dataclass
class SimilarParams:
    k: int = K_DEFAULT
    other_townships: bool = True


@dataclass
class CompareParams:
    a: str
    b: str
    format: str = "json"


def clean_text(value: str) -> str:
    """Control characters become spaces; surrounding whitespace goes."""
    return "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in value).strip()


def _check_known(args, allowed: tuple, repeatable: tuple = ()) -> None:
    for key in args.keys():
        if key not in allowed:
            names = "、".join(allowed) if allowed else "（无）"
            raise BadRequest(f"未知参数 {key}；可用参数：{names}", key, "unknown_parameter")
        if key not in repeatable and len(args.getlist(key)) > 1:
            raise BadRequest(f"参数 {key} 只能出现一次", key, "repeated_parameter")


def _text(args, name: str, limit: int, required: bool = False) -> str | None:
    raw = args.get(name)
    if raw is None or (raw == "" and not required):
        if required:
            raise BadRequest(f"缺少参数 {name}", name, "missing_parameter")
        return None
    if len(raw) > limit:
        raise BadRequest(f"参数 {name} 不能超过 {limit} 个字符（收到 {len(raw)} 个）", name, "too_long")
    value = clean_text(raw)
    if not value:
        if required:
            raise BadRequest(f"参数 {name} 不能为空", name, "empty_parameter")
        return None
    return value


def _int(args, name: str, default: int, low: int, high: int, code: str = "out_of_range") -> int:
    raw = args.get(name)
    if raw is None:
        return default
    if not _INT_RE.fullmatch(raw):
        raise BadRequest(f"参数 {name} 须为整数", name, "invalid_integer")
    value = int(raw)
    if not low <= value <= high:
        raise BadRequest(f"参数 {name} 须在 {low} 到 {high} 之间（收到 {value}）", name, code)
    return value


def _choice(args, name: str, choices: tuple, default: str | None) -> str | None:
    raw = args.get(name)
    if raw is None:
        return default
    value = raw
    if value not in choices:
        shown = raw if len(raw) <= 40 else raw[:40] + "…"
        raise BadRequest(f"参数 {name} 的值 {shown!r} 无效；可选：{'、'.join(choices)}", name, "invalid_choice")
    return value


def _bool(args, name: str, default: bool) -> bool:
    raw = args.get(name)
    if raw is None:
        return default
    value = raw
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise BadRequest(f"参数 {name} 须为 true 或 false", name, "invalid_boolean")


SEARCH_PARAMS = ("q", "mode") + FILTER_FIELDS + ("page", "size", "format", "place_from_query")
OWNER_PARAMS = ("q", "township") + AREA_FIELDS + ("page", "size", "format", "place_from_query")
SIMILAR_PARAMS = ("k", "other_townships")
COMPARE_PARAMS = ("a", "b", "format")
FORMAT_PARAMS = ("format",)


def parse_filters(args) -> dict:
    filters = {}
    for name in FILTER_FIELDS:
        if name == "list_type":
            value = _choice(args, name, LIST_TYPES, None)
        else:
            value = _text(args, name, FILTER_MAX)
        if value:
            filters[name] = value
    return filters


def parse_search(args) -> SearchParams:
    """Parameters of /api/search and of the search page.

    `q` may be missing or empty: the engine then browses the (filtered) records in document
    order, e.g. one township's cooperative list. The page shows its empty form instead when
    there is neither a query nor a filter (`SearchParams.is_empty`).
    """
    _check_known(args, SEARCH_PARAMS)
    q = _text(args, "q", Q_MAX) or ""
    mode = _choice(args, "mode", MODES, "hybrid")
    filters = parse_filters(args)
    size = _int(args, "size", SIZE_DEFAULT, 1, SIZE_MAX)
    page = _int(args, "page", 1, 1, PAGE_MAX, "page_out_of_range")
    return SearchParams(q=q, mode=mode, filters=filters, page=page, size=size,
                        format=_choice(args, "format", FORMATS, "json"),
                        place_from_query=_bool(args, "place_from_query", True))


def parse_owner(args, require_q: bool = True) -> OwnerParams | None:
    _check_known(args, OWNER_PARAMS, repeatable=("township",))
    q = _text(args, "q", Q_MAX, required=require_q)
    raw_townships = args.getlist("township")
    if len(raw_townships) > TOWNSHIPS_MAX:
        raise BadRequest(f"最多可指定 {TOWNSHIPS_MAX} 个乡镇", "township", "too_many")
    townships = []
    for raw in raw_townships:
        if len(raw) > FILTER_MAX:
            raise BadRequest(f"参数 township 不能超过 {FILTER_MAX} 个字符", "township", "too_long")
        value = clean_text(raw)
        if value and value not in townships:
            townships.append(value)
    region = {name: value for name in AREA_FIELDS if (value := _text(args, name, FILTER_MAX))}
    size = _int(args, "size", None, 1, SIZE_MAX)
    page = _int(args, "page", 1, 1, PAGE_MAX, "page_out_of_range")
    fmt = _choice(args, "format", FORMATS, "json")
    place_from_query = _bool(args, "place_from_query", True)
    if q is None:
        return None
    return OwnerParams(q=q, townships=townships, region=region, page=page, size=size, format=fmt,
                       place_from_query=place_from_query)


def parse_similar(args) -> SimilarParams:
    _check_known(args, SIMILAR_PARAMS)
    return SimilarParams(
        k=_int(args, "k", K_DEFAULT, 1, K_MAX),
        other_townships=_bool(args, "other_townships", True),
    )


def parse_compare(args, require: bool = True) -> CompareParams | None:
    _check_known(args, COMPARE_PARAMS)
    a = _text(args, "a", FILTER_MAX, required=require)
    b = _text(args, "b", FILTER_MAX, required=require)
    fmt = _choice(args, "format", FORMATS, "json")
    if a is None or b is None:
        return None
    return CompareParams(a=a, b=b, format=fmt)


def parse_format(args) -> str:
    _check_known(args, FORMAT_PARAMS)
    return _choice(args, "format", FORMATS, "json")


def parse_none(args) -> None:
    _check_known(args, ())


def check_duty_id(duty_id: str) -> bool:
    return bool(DUTY_ID_RE.fullmatch(duty_id))
