"""Turning one table cell's text into clean structure: departments, sub-items, receivers.

Cells arrive as HTML fragments (tab layouts) or as wrapped PDF lines joined with newlines
(flow layout). Everything here works on either: HTML block tags become line breaks first.
"""
from __future__ import annotations

import html
import re

from models.duty import DepartmentDuties

_BLOCK_TAG = re.compile(r"</?(?:p|li|ol|ul|br|div|tr|td)\b[^>]*>", re.I)
_ANY_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_SPACES = re.compile(r"[ \t\u3000\xa0]+")

# A sub-item number at the start of a piece: "1." "1、" "1．" "(1)" "（1）" — not "1.5万".
_SUBITEM_START = re.compile(r"(?:^|(?<=[\s；;。]))(?:\d{1,2}\s*[.、．](?!\d)|[（(]\d{1,2}[)）])\s*")
# A labelled part such as "履职保障：" starting a sentence.
_LABEL_START = re.compile(r"(?<=[\s；;。])(?=[\u4e00-\u9fff]{2,8}[:：])")
_LIST_SEPARATORS = re.compile(r"[、，,；;\s/]+")
_AND_OTHERS = re.compile(r"以及(?=其他|有关|相关)")
_COLON = "[:：]"

GENERIC_DEPARTMENT = re.compile(r"^(?:有关|相关|其他|各|负有)")
# Endings a department or unit name has; used only to recognise "NAME：" labels inside a cell.
_DEPARTMENT_END = (
    "部", "局", "委", "办", "院", "队", "站", "中心", "所", "会", "室", "厅", "处", "团", "段", "馆", "社", "台",
    "公司", "分局", "支队", "大队", "政府", "部门", "单位", "联合会", "银行", "法院", "检察院",
)


def strip_html(cell: str) -> str:
    """Plain text with the cell's block structure kept as newlines."""
    text = _BLOCK_TAG.sub("\n", cell)
    text = _ANY_TAG.sub("", text)
    # Entity-encoded tags ('&lt;script&gt;') are markup too once decoded: drop them as well.
    text = _ANY_TAG.sub("", html.unescape(text))
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def clean(text: str) -> str:
    """One-line clean text: no tags, no line breaks, single spaces only where they separate words."""
    flat = strip_html(text).replace("\n", " ")
    # Wrapped CJK text leaves spaces between characters that belonged together.
    return re.sub(r"(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])", "", flat).strip()


def split_subitems(text: str) -> list[str]:
    """Numbered sub-items ("1.…；2.…") and labelled parts ("履职保障：…") as a list."""
    flat = clean(text)
    if not flat:
        return []
    numbered = [m for m in _SUBITEM_START.finditer(flat)]
    if numbered and not _numbers_ascend(numbered):
        numbered = []
    cuts = sorted({(m.start(), m.end()) for m in numbered} | {(m.start(), m.start()) for m in _LABEL_START.finditer(flat)})
    if not cuts:
        return [_trim_item(flat)]
    items = [flat[: cuts[0][0]]]
    for (start, end), nxt in zip(cuts, cuts[1:] + [(len(flat), len(flat))]):
        items.append(flat[end: nxt[0]])
    return [t for t in (_trim_item(i) for i in items) if t]


def _numbers_ascend(matches: list[re.Match]) -> bool:
    """Numbering counts 1,2,3… (restarts allowed): guards against digits inside sentences."""
    numbers = [int(re.search(r"\d+", m.group()).group()) for m in matches]
    if numbers[0] != 1:
        return False
    return all(b == a + 1 or b == 1 for a, b in zip(numbers, numbers[1:]))


def _trim_item(item: str) -> str:
    return item.strip().rstrip("；;，, ").strip()


def split_departments(text: str) -> list[str]:
    """Department names from a cell: separated by 、，, spaces or line breaks; parenthetical kept."""
    flat = _SPACES.sub(" ", strip_html(text).replace("\n", "、")).strip().rstrip("。.")
    flat = _AND_OTHERS.sub("、", flat)
    if flat in ("", "无", "/", "-", "——"):
        return []
    names, depth, current = [], 0, []
    for ch in flat:
        if ch in "（(":
            depth += 1
        elif ch in "）)":
            depth = max(0, depth - 1)
        if depth == 0 and _LIST_SEPARATORS.fullmatch(ch):
            names.append("".join(current))
            current = []
        else:
            current.append(ch)
    names.append("".join(current))
    return _join_orphan_parentheticals([n.strip() for n in names if n.strip()])


def _join_orphan_parentheticals(names: list[str]) -> list[str]:
    """'索县发展改革委 (统计局)' splits at the space; the bracket belongs to the name before it."""
    out: list[str] = []
    for name in names:
        if out and name[0] in "（(":
            out[-1] += name
        else:
            out.append(name)
    return out


def looks_like_department(label: str) -> bool:
    label = label.strip()
    return bool(label) and len(label) <= 40 and (
        label.endswith(_DEPARTMENT_END) or bool(GENERIC_DEPARTMENT.match(label))
    )


def split_department_duties(cell: str, leads: list[str]) -> list[DepartmentDuties]:
    """Each department's duties, split where a department name is followed by a colon.

    Labels are recognised when they name one or more lead departments (or look like a
    department); a cell with no labels belongs to all leads together.
    """
    text = strip_html(cell)
    spans = list(_department_labels(text, leads))
    if not spans:
        items = split_subitems(text)
        return [DepartmentDuties("、".join(leads), items)] if items else []
    result = []
    head = text[: spans[0][0]].strip()
    if head:
        result.append(DepartmentDuties("、".join(leads), split_subitems(head)))
    for (start, end, label), nxt in zip(spans, spans[1:] + [None]):
        body = text[end: nxt[0] if nxt else len(text)]
        result.append(DepartmentDuties(label, split_subitems(body)))
    return result


def _department_labels(text: str, leads: list[str]):
    """(start, end, label) for every 'NAME:' at a line or sentence start that names a department."""
    pattern = re.compile(r"(?:^|(?<=[\n。；;]))\s*([^\n:：。；;]{2,60}?)\s*" + _COLON)
    for m in pattern.finditer(text):
        label = m.group(1).strip()
        parts = split_departments(label)
        if parts and all(_is_lead_or_department(p, leads) for p in parts):
            yield m.start(1), m.end(), "、".join(parts)


def _is_lead_or_department(name: str, leads: list[str]) -> bool:
    return name in leads or any(name in lead or lead in name for lead in leads) or looks_like_department(name)


_LABEL = re.compile(r"(承接部门|工作方式|履职方式)\s*[:：]?")


def parse_recovered(cell: str) -> tuple[list[str], str]:
    """Receiving departments and how the item now works, from any of the documents' spellings.

    Handles 'X 工作方式：Y', several X/Y pairs in one cell, 'X： 工作方式：Y' and 'X：Y'
    without labels, and a receiver line followed by unlabelled prose.
    """
    text = strip_html(cell)
    if not text:
        return [], ""
    pairs = _receiver_way_pairs(text) if _LABEL.search(text) else [_unlabelled_pair(text)]
    receivers: list[str] = []
    for departments, _ in pairs:
        receivers += [d for d in departments if d not in receivers]
    ways = [w for _, w in pairs if w and w != "无"]
    if len(ways) > 1:
        ways = [f"{'、'.join(d)}：{w}" if d else w for d, w in pairs if w and w != "无"]
        return receivers, "；".join(w.rstrip("。；;") for w in ways) + "。"
    return receivers, "".join(ways)


def _receiver_way_pairs(text: str) -> list[tuple[list[str], str]]:
    pieces = _LABEL.split(text)
    pairs: list[tuple[list[str], str]] = []
    lead = pieces[0].strip().rstrip(":：").strip()
    departments: list[str] = _departments_or_none(lead) if lead else []
    pending = bool(lead)
    for label, body in zip(pieces[1::2], pieces[2::2]):
        if label == "承接部门":
            if pending:
                pairs.append((departments, ""))
            departments, prose = _receiver_lines(body)
            pending = True
            if prose:
                pairs.append((departments, prose))
                pending = False
        else:
            pairs.append((departments, clean(body)))
            pending = False
    if pending:
        pairs.append((departments, ""))
    return pairs


def _receiver_lines(body: str) -> tuple[list[str], str]:
    """Department list (possibly wrapped over lines) and any unlabelled prose after it."""
    lines = [line for line in body.strip().split("\n") if line.strip()]
    taken = lines[:1]
    for line in lines[1:]:
        joined = "".join(taken)
        if line.startswith(("、", "，")) or joined.endswith(("、", "，")) or not _ends_in_department(joined):
            taken.append(line)
        else:
            break
    names = "".join(taken).strip().rstrip("。.").rstrip(":：")
    prose = clean("\n".join(lines[len(taken):]))
    return _departments_or_none(names), prose


def _ends_in_department(text: str) -> bool:
    parts = split_departments(text)
    return bool(parts) and (looks_like_department(parts[-1]) or parts[-1] == "无")


def _departments_or_none(names: str) -> list[str]:
    return [d for d in split_departments(names) if d != "无"]


def _unlabelled_pair(text: str) -> tuple[list[str], str]:
    m = re.match(r"([^:：\n]{2,80}?)\s*[:：]\s*(.*)$", text, re.S)
    if m and all(looks_like_department(d) for d in split_departments(m.group(1))):
        return split_departments(m.group(1)), clean(m.group(2))
    return [], clean(text)
