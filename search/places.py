"""Places a query names ("嘎木乡 牧民想办个猎枪持枪证"): which of the index's townships, counties,
prefectures and provinces it mentions, and the query without them.

Staff often write the township into the question. Left in, its name is matched as words (小京庄乡
becomes 小 / 京 / 庄 / 乡, single characters that match everywhere) and pulls the embedding
toward place names; taken out, it says where to look. Only full names as the index spells them
count: a short form (渡口 for 渡口镇) is also an ordinary word (a ferry landing is a duty).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from search.vocabulary import REGION_FIELDS

_CONTENT = re.compile(r"\w")  # a letter, digit or character left: something asked
_EDGES = " \t\u3000，,。.、；;：:？?！!"


@dataclass(frozen=True)
class Named:
    """What a query says about places: the fields and values it names, and its text without them."""

    places: dict[str, list[str]]
    text: str


class PlaceNames:
    """Every region name of the index, found in a query by longest match from the left."""

    def __init__(self, ranges):
        self._field_of: dict[str, str] = {}
        for field in REGION_FIELDS:  # a name used at two levels counts as the narrower one
            for town in ranges:
                self._field_of[getattr(town, field)] = field
        self._field_of.pop("", None)
        self._lengths = sorted({len(n) for n in self._field_of if len(n) >= 2}, reverse=True)

    def find(self, q: str) -> Named:
        """The places `q` names and `q` without them (empty when `q` is only place names)."""
        places: dict[str, list[str]] = {}
        kept, i = [], 0
        while i < len(q):
            name = next((q[i:i + n] for n in self._lengths if q[i:i + n] in self._field_of), None)
            if name is None:
                kept.append(q[i])
                i += 1
                continue
            values = places.setdefault(self._field_of[name], [])
            if name not in values:
                values.append(name)
            kept.append(" ")
            i += len(name)
        text = " ".join("".join(kept).split()).strip(_EDGES)
        if not places:
            return Named({}, q)
        return Named(places, text if _CONTENT.search(text) else "")


def scope(named: Named, filters: dict[str, list[str]]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(filters to search with, the places taken from the query). Without a region filter the named
    places become the filters; with one, only places that agree with it are taken (they add
    nothing), and if any named place disagrees the query is left as typed."""
    if not named.places:
        return filters, {}
    if not any(filters.get(f) for f in REGION_FIELDS):
        return filters | named.places, named.places
    agree = all(f in filters and set(v) <= set(filters[f]) for f, v in named.places.items())
    return (filters, named.places) if agree else (filters, {})
