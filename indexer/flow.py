"""Rows from PDF text flow: one table row spans many lines, each cell wrapped into short
pieces and emitted column after column (seq+category, name, departments, then the duty columns).

Narrow columns (category, name, departments) come out as short lines grouped by blank lines;
the duty columns are wide. Between the two duty columns the sub-item numbering restarts.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from indexer.cells import GENERIC_DEPARTMENT, looks_like_department

_ITEM_START = re.compile(r"^\s*(\d{1,3})(?:\s+(\S.*))?$")
_SUBITEM = re.compile(r"^\s*\d{1,2}\s*[.、．](?!\d)")
_LABEL_LINE = re.compile(r"^\s*[^\s:：。，；]{2,40}[:：]\s*$")
_RECEIVER_START = re.compile(r"^\s*(?:承接部门|工作方式|履职方式)")
NARROW = 6  # widest piece of a narrow column seen in flow documents, in characters


@dataclass
class FlowRow:
    seq: int
    line: int
    category: str
    cells: dict[str, str] = field(default_factory=dict)


def header_fields(header_text: str) -> list[str]:
    """Column fields in order, from the header words however they were wrapped."""
    text = re.sub(r"\s+", "", header_text)
    fields = ["seq"]
    if "事项类别" in text or "类别" in text:
        fields.append("category")
    fields.append("name")
    if "对应上级部门" in text:
        fields += ["leads", "department_duties", "township_duties"]
    elif "承接部门" in text:
        fields.append("recovered")
    if "备注" in text:
        fields.append("remarks")
    return fields


def rows(lines: list[tuple[int, str]], fields: list[str], places: tuple[str, ...] = ()):
    """FlowRow for every item; lines are (line number, text) with page residue removed.

    `places` are the region names (county, prefecture) departments are named after.
    """
    for line, seq, body in _items(lines):
        yield _row(line, seq, body, fields, places)


def _items(lines):
    """Split lines into items at '<seq> <category…>' lines whose seq continues the numbering."""
    current, expected = None, 1
    for number, text in lines:
        m = _ITEM_START.match(text)
        if m and int(m.group(1)) in (expected, 1):
            if current:
                yield current
            current = (number, int(m.group(1)), [(number, m.group(2) or "")])
            expected = int(m.group(1)) + 1
        elif current:
            current[2].append((number, text))
    if current:
        yield current


def _row(line, seq, body, fields, places) -> FlowRow:
    texts = [t.strip() for _, t in body]
    if "leads" in fields:
        return _cooperative_row(seq, line, texts, places)
    category, name_lines, rest = _category_and_name(texts, receivers="recovered" in fields)
    row = FlowRow(seq, line, category, {"name": "".join(name_lines)})
    if "recovered" in fields:
        row.cells["recovered"] = "\n".join(rest)
    return row


def _category_and_name(texts, receivers):
    first, *others = texts
    category, _, name_start = first.partition(" ")
    name_lines, rest = [name_start.strip()] if name_start.strip() else [], []
    for i, text in enumerate(others):
        if receivers and _RECEIVER_START.match(text):
            rest = others[i:]
            break
        if text:
            name_lines.append(text)
    return category, name_lines, rest


def _cooperative_row(seq, line, texts, places) -> FlowRow:
    narrow, wide = _narrow_groups(texts)
    category = "".join(narrow[0]) if narrow else ""
    name_groups, lead_groups = _split_name_and_leads(narrow[1:], places)
    department_text, township_text = _split_duty_columns(wide)
    return FlowRow(seq, line, category, {
        "name": "".join("".join(g) for g in name_groups),
        "leads": "".join("".join(g) for g in lead_groups),
        "department_duties": department_text,
        "township_duties": township_text,
    })


def _narrow_groups(texts):
    """Groups of short lines (split at blank lines) before the first wide line, and the rest."""
    groups, current = [], []
    for i, text in enumerate(texts):
        if len(text) > NARROW or text.endswith((":", "：")) or _SUBITEM.match(text):
            if current:
                groups.append(current)
            return groups, texts[i:]
        if text:
            current.append(text)
        elif current:
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return groups, []


def _split_name_and_leads(groups, places):
    """The department column starts at the first group from which every piece names a department."""
    for k in range(1, len(groups)):
        joined = "".join("".join(g) for g in groups[k:])
        parts = [p for p in re.split(r"[、，,]", joined) if p]
        if parts and all(_starts_like_department(p, places) and looks_like_department(p) for p in parts):
            return groups[:k], groups[k:]
    if len(groups) > 1 and looks_like_department("".join(groups[-1])):
        return groups[:-1], groups[-1:]
    return groups, []


def _starts_like_department(name: str, places: tuple[str, ...]) -> bool:
    """Departments are named after their government: the county's or prefecture's name, or '县…'."""
    return bool(GENERIC_DEPARTMENT.match(name)) or name.startswith(tuple(p for p in places if p) + _LEVELS)


_LEVELS = ("县", "市", "区", "旗", "地区", "州", "盟", "省", "自治区")


def _split_duty_columns(wide: list[str]) -> tuple[str, str]:
    """Department duties and township duties: the second column starts where numbering restarts
    the way the first column opened (same label, or an unlabelled '1.')."""
    lines = [t for t in wide if t]
    starts = [i for i, t in enumerate(lines) if _SUBITEM.match(t) and re.match(r"^\s*1\s*[.、．]", t)]
    if not lines:
        return "", ""
    opening = _opening(lines, 0)
    for i in starts:
        at = i - 1 if i > 0 and _LABEL_LINE.match(lines[i - 1]) else i
        if at == 0:
            continue
        if _opening(lines, at) == opening:
            return "\n".join(lines[:at]), "\n".join(lines[at:])
    unlabelled = [i for i in starts if i > 0 and not _LABEL_LINE.match(lines[i - 1])]
    at = unlabelled[0] if unlabelled else _trailing_paragraph(lines)
    return "\n".join(lines[:at]), "\n".join(lines[at:])


def _trailing_paragraph(lines: list[str]) -> int:
    """Where an unnumbered township column follows a numbered department column: the first
    unnumbered line after the last sub-item that closed a sentence. len(lines) if none."""
    numbered = [i for i, t in enumerate(lines) if _SUBITEM.match(t)]
    for i in range(numbered[-1] + 1 if numbered else 1, len(lines)):
        if lines[i - 1].rstrip().endswith("。") and not _SUBITEM.match(lines[i]):
            return i
    return len(lines)


def _opening(lines, i) -> str:
    """How a column opens: its label line if it has one, else '1.'."""
    return lines[i].strip() if _LABEL_LINE.match(lines[i]) else "1."
