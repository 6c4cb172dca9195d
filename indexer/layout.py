"""Recognising the document's structural lines: titles, list headings, header rows, category rows.

Every pattern here describes a spelling found in published lists (see DESIGN.md); none names
a township, county or file.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

LIST_KINDS = (
    ("basic", re.compile(r"基本履职事项清单")),
    ("cooperative", re.compile(r"配合履职事项清单")),
    ("recovered", re.compile(r"(?:上级部门)?收回(?:履职)?事项清单")),
)
_DECORATION = re.compile(r"^[#\s]+|</?b>|\*\*")
_TOC_LEADER = re.compile(r"(?:\.{3,}|·{2,}|…{2,}|\t\s*\d+\s*$)")
_COUNT = re.compile(r"[（(]\s*(\d+)\s*项\s*[）)]")
_PAGE_MARK = re.compile(r"^\s*(?:第\s*\d+\s*页[，,]?\s*共\s*\d+\s*页|-\s*\d+\s*-|\d+\s*/\s*\d+)\s*$")
_TABLE_RULE = re.compile(r"^[\s\-|:\t]+$")
_CN_NUMERAL = "一二三四五六七八九十百零〇"
_CATEGORY_ROW = re.compile(
    rf"^\s*[{_CN_NUMERAL}]+\s*[、.．]\s*(?P<name>[^\t（(]+?)\s*(?:[（(]\s*(?P<count>\d+)\s*项\s*[）)])?\s*$"
)
_STATED_TOTAL = re.compile(r"共有(基本|配合|上级部门收回|收回)(?:履职)?事项(\d+)项")

_HAN = r"[\u4e00-\u9fff]"
PROVINCE = rf"(?:{_HAN}{{2,8}}?(?:省|自治区)|北京市|天津市|上海市|重庆市)"
PREFECTURE = rf"{_HAN}{{2,12}}?(?:地区|自治州|盟|市|州)"
COUNTY = rf"{_HAN}{{1,10}}?(?:自治县|县|区|旗|市)"
TOWNSHIP_END = ("乡", "镇", "苏木", "街道", "民族乡", "办事处")

# Words that only ever appear in a table's header row.
HEADER_WORDS = "序号事项类别事项名称收回事项名称对应上级部门上级部门职责含提供的履职保障乡镇街道苏木配合职责乡配合职责承接部门及工作方式履职方式备注"


def plain(line: str) -> str:
    """The line without markdown hashes, <b> tags and surrounding space."""
    return _DECORATION.sub("", line).strip()


def is_page_mark(line: str) -> bool:
    return bool(_PAGE_MARK.match(line))


def is_table_rule(line: str) -> bool:
    return bool(line.strip()) and bool(_TABLE_RULE.match(line)) and "-" in line


def is_toc_line(line: str) -> bool:
    return bool(_TOC_LEADER.search(line))


def is_front_matter(line: str) -> bool:
    """Title, contents and annex lines between one township's lists and the next."""
    text = re.sub(r"\s+", "", plain(line))
    return is_toc_line(line) or text in ("目录", "附件", "说明") or (
        "\t" not in line.strip() and bool(re.search(r"(?:履职|履行职责)事项清单$", text))
    )


@dataclass
class Heading:
    list_type: str
    prefix: str          # text before the list name: region and township
    stated_total: int | None


def list_heading(line: str) -> Heading | None:
    """A list heading such as '磴口县渡口镇配合履职事项清单 (73项)', not a TOC entry or prose."""
    text = plain(line)
    if not text or is_toc_line(line) or "\t" in line.strip() or len(text) > 60:
        return None
    for list_type, pattern in LIST_KINDS:
        m = pattern.search(text)
        if not m:
            continue
        tail = text[m.end():].strip()
        count = _COUNT.fullmatch(tail) if tail else None
        if tail and not count:
            return None  # prose that mentions a list, e.g. '配合履职事项清单是以…'
        prefix = text[: m.start()].strip()
        if re.match(r"^\d+\s*[.、]", prefix):
            return None  # numbered TOC entry without leaders
        return Heading(list_type, prefix, int(count.group(1)) if count else None)
    return None


def count_line(line: str) -> int | None:
    """A line holding only '(86项)', which follows some headings."""
    m = _COUNT.fullmatch(plain(line))
    return int(m.group(1)) if m else None


@dataclass
class Region:
    province: str = ""
    prefecture: str = ""
    county: str = ""


def region_title(line: str) -> Region | None:
    """Region from a title line such as '西藏自治区那曲市索县 嘎木乡履职事项清单'."""
    text = plain(line)
    m = re.match(rf"^(?P<province>{PROVINCE})(?P<prefecture>{PREFECTURE})?(?P<county>{COUNTY})?(?:\s+)?(?:\S*(?:履职|履行职责)事项清单)?$", text)
    if not m or is_toc_line(line):
        return None
    return Region(m.group("province") or "", m.group("prefecture") or "", m.group("county") or "")


def split_place(prefix: str, known: Region) -> tuple[Region, str]:
    """(region named in a heading prefix, township) for '喀什地区伽师县克孜勒苏乡' and the like."""
    rest = prefix.replace(" ", "")
    found = Region()
    for attr, pattern in (("province", PROVINCE), ("prefecture", PREFECTURE), ("county", COUNTY)):
        known_name = getattr(known, attr)
        if known_name and rest.startswith(known_name):
            setattr(found, attr, known_name)
            rest = rest[len(known_name):]
            continue
        m = re.match(pattern, rest)
        if m and len(rest) - m.end() >= 2 and rest[m.end():].endswith(TOWNSHIP_END):
            setattr(found, attr, m.group())
            rest = rest[m.end():]
    return found, rest


def category_row(cells: list[str]) -> tuple[str, int | None] | None:
    """('党的建设', 23) for a section row like '<b>一、党的建设（23项）</b>' with empty other cells."""
    filled = [c for c in cells if c.strip()]
    if len(filled) != 1:
        return None
    m = _CATEGORY_ROW.match(plain(filled[0]))
    if not m:
        return None
    return m.group("name").strip(), int(m.group("count")) if m.group("count") else None


def is_header_row(cells: list[str]) -> bool:
    words = [plain(c) for c in cells if c.strip()]
    return bool(words) and words[0].replace(" ", "") == "序号"


def is_header_fragment(line: str) -> bool:
    """Pieces of a header row wrapped over several lines in PDF text flow."""
    tokens = plain(line).split()
    return bool(tokens) and all(_in_header_words(t) for t in tokens)


def _in_header_words(token: str) -> bool:
    token = re.sub(r"[（）()]", "", token)
    return len(token) >= 2 and token in HEADER_WORDS


def toc_lists(preamble: list[str]) -> set[str]:
    """The lists a table of contents promises ('3. 上级部门收回事项清单 ·····40')."""
    return {kind for line in preamble if is_toc_line(line)
            for kind, pattern in LIST_KINDS if pattern.search(plain(line))}


def stated_totals(preamble: str) -> dict[str, int]:
    """Totals a 说明 states, e.g. '共有基本履职事项 116 项', from text joined across line wraps."""
    joined = re.sub(r"\s+", "", preamble)
    kinds = {"基本": "basic", "配合": "cooperative", "上级部门收回": "recovered", "收回": "recovered"}
    return {kinds[m.group(1)]: int(m.group(2)) for m in _STATED_TOTAL.finditer(joined)}


COLUMN_FIELDS = (
    ("序号", "seq"),
    ("事项类别", "category"),
    ("收回事项名称", "name"),
    ("事项名称", "name"),
    ("对应上级部门", "leads"),
    ("上级部门职责", "department_duties"),
    ("配合职责", "township_duties"),
    ("承接部门及工作方式", "recovered"),
    ("承接部门", "recovered"),
    ("工作方式", "handling"),
    ("履职方式", "handling"),
    ("备注", "remarks"),
)


# The columns without which a list's records cannot be filled, and what a county would call them.
REQUIRED_COLUMNS = {
    "basic": {"name": "事项名称"},
    "cooperative": {"name": "事项名称", "leads": "对应上级部门", "department_duties": "上级部门职责",
                    "township_duties": "乡镇配合职责"},
    "recovered": {"name": "收回事项名称", "recovered": "承接部门"},
}


def missing_columns(list_type: str, fields: list[str | None]) -> list[str]:
    """The required columns a header row lacks, by the names a county would use."""
    return [label for field, label in REQUIRED_COLUMNS[list_type].items() if field not in fields]


def column_fields(header_cells: list[str]) -> list[str | None]:
    """The record field each header cell feeds, or None for a column we don't know."""
    fields = []
    for cell in header_cells:
        text = re.sub(r"\s+", "", plain(cell))
        fields.append(next((f for word, f in COLUMN_FIELDS if word in text), None) if text else None)
    return fields
