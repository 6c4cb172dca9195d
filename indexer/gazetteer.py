"""China's administrative divisions from a maintained gazetteer: the `cpca` package's table of
adcodes (province xx0000, prefecture xxxx00, county xxxxxx, each followed by six zeros).

Only the data file is read: importing cpca itself would pull in pandas, which nothing else here
needs. A county name that the gazetteer places in more than one prefecture is not guessed: the
caller reports it and the document must name the prefecture.
"""
from __future__ import annotations

import csv
import importlib.util
from functools import cache
from pathlib import Path

from indexer.layout import Region


@cache
def _names() -> dict[str, str]:
    """adcode (6 digits) → name."""
    spec = importlib.util.find_spec("cpca")
    if spec is None or spec.origin is None:
        raise RuntimeError("the cpca package (the gazetteer of administrative divisions) is not installed")
    table = Path(spec.origin).parent / "resources" / "adcodes.csv"
    with table.open(encoding="utf-8") as rows:
        return {row["adcode"][:6]: row["name"] for row in csv.DictReader(rows)}


@cache
def _counties() -> dict[str, list[str]]:
    """county name → adcodes of every county-level division of that name."""
    found: dict[str, list[str]] = {}
    for code, name in _names().items():
        if code[4:] != "00":
            found.setdefault(name, []).append(code)
    return found


# Placeholders the table uses where a county sits directly under its province (no prefecture).
NO_PREFECTURE = ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划")


def _region_of(code: str, county: str) -> Region:
    names = _names()
    prefecture = names.get(code[:4] + "00", "")
    return Region(names.get(code[:2] + "0000", ""), "" if prefecture in NO_PREFECTURE else prefecture, county)


def placements(county: str) -> list[Region]:
    """Every province and prefecture the gazetteer has a county of this name in."""
    return [_region_of(code, county) for code in _counties().get(county, [])]


def resolve(stated: Region) -> tuple[Region, str]:
    """The stated region with what it leaves out filled from the gazetteer, and a note when the
    gazetteer cannot settle it (unknown, ambiguous, or disagreeing with the document)."""
    if not stated.county or (stated.province and stated.prefecture):
        return stated, ""
    known = placements(stated.county)
    fits = [r for r in known if (not stated.province or r.province == stated.province)
            and (not stated.prefecture or r.prefecture == stated.prefecture)]
    if len(fits) == 1:
        found = fits[0]
        return Region(stated.province or found.province, stated.prefecture or found.prefecture, stated.county), ""
    if not known:
        return stated, f"region: {stated.county} is not in the gazetteer — name the province in the title"
    if not fits:
        where = "、".join(f"{r.province}{r.prefecture}" for r in known)
        return stated, f"region: the document places {stated.county} in {stated.province}{stated.prefecture}, the gazetteer in {where}"
    where = "、".join(f"{r.province}{r.prefecture}" for r in fits)
    return stated, f"region: there is a {stated.county} in {where} — not guessed; name the prefecture in the title"
