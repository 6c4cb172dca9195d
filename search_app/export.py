"""Answers staff can take away: the same rows as the JSON, as CSV (UTF-8 with BOM, so Excel opens
the Chinese right) or Excel .xlsx (openpyxl; one sheet per list, readable column widths).

A `Sheet` is a title, a header row and rows of plain text or numbers; each view turns its JSON
payload into sheets here, and `response` writes them in the format asked for.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from urllib.parse import quote

from flask import Response

from search.vocabulary import LIST_LABELS
from models.duty import record_departments

EXPORT_MAX = 2000  # rows one export holds (a township's three lists are about 300)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DUTY_HEADERS = ["乡镇", "县", "清单", "类别", "序号", "事项名称", "牵头或承接部门", "上级部门职责", "乡镇职责",
                "工作方式", "备注"]
VERDICT_HEADERS = ["乡镇", "县", "结论", "清单", "事项名称", "牵头或承接部门", "乡镇做什么"]


@dataclass
class Sheet:
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)


def duty_row(d: dict) -> list:
    department_duties = "\n".join(f"{dd['department']}：{'；'.join(dd['duties'])}" if dd.get("department")
                                  else "；".join(dd["duties"]) for dd in d.get("department_duties", []))
    return [d["township"], d["county"], LIST_LABELS.get(d["list_type"], d["list_type"]), d["category"], d["seq"],
            d["name"], "、".join(record_departments(d)), department_duties, "\n".join(d.get("township_duties", [])),
            d.get("handling", ""), d.get("remarks", "")]


def duty_sheets(records: list[dict], title: str = "事项") -> list[Sheet]:
    return [Sheet(title, DUTY_HEADERS, [duty_row(d) for d in records])]


def list_sheets(records: list[dict]) -> list[Sheet]:
    """A township's lists: one sheet per list, in document order."""
    sheets = []
    for list_type, label in LIST_LABELS.items():
        rows = [duty_row(d) for d in records if d["list_type"] == list_type]
        sheets.append(Sheet(f"{label}履职事项", DUTY_HEADERS, rows))
    return sheets


def owner_sheets(payload: dict) -> list[Sheet]:
    """One row per township and item: what the owner page shows."""
    sheet = Sheet(f"谁负责：{payload['query']}"[:31], VERDICT_HEADERS)
    for row in payload["results"]:
        items = row.get("items") or []
        if row["verdict"] == "not_listed" or not items:
            whose = "、".join(row.get("authorities") or [])
            sheet.rows.append([row["township"], row["county"], row["verdict_label"], "", "",
                               f"通常由{whose}办理" if whose else held_by(row) or other_work(row), ""])
            continue
        for item in items:
            d = item["duty"]
            said = "相关事项，请核对" if item.get("role") == "related" else (
                f"{row['verdict_label']}（{row['verdict_note']}）" if row.get("verdict_note") else row["verdict_label"])
            if item is items[0] and row.get("other_work"):
                said += f"；{other_work(row)}"
            does = "必须为、负全责" if d["list_type"] == "basic" else (
                "；".join(d.get("township_duties", [])) if d["list_type"] == "cooperative" else d.get("handling", ""))
            sheet.rows.append([row["township"], row["county"], said,
                               LIST_LABELS.get(d["list_type"], d["list_type"]), d["name"],
                               "、".join(record_departments(d)), does])
    return [sheet]


def held_by(row: dict) -> str:
    """What the owner page says of a task another township clearly holds."""
    held = row.get("held_by")
    return f"其他乡镇的清单有这项工作，如{held['township']}的“{held['duty']['name']}”" if held else ""


def other_work(row: dict) -> str:
    """What the owner page says of another authority's work the question names beside the township's part."""
    work = row.get("other_work") or []
    if not work:
        return ""
    terms = "、".join(f"“{w['term']}”" for w in work)
    return f"问题里的{terms}通常由{'、'.join(dict.fromkeys(w['authority'] for w in work))}办理"


def compare_sheets(payload: dict) -> list[Sheet]:
    a, b = payload["a"]["township"], payload["b"]["township"]
    pairs = Sheet("两地都有", [f"{a}·清单", f"{a}·事项", f"{b}·清单", f"{b}·事项", "归属相同"])
    for p in payload["pairs"]:
        pairs.rows.append([LIST_LABELS[p["a"]["list_type"]], p["a"]["name"], LIST_LABELS[p["b"]["list_type"]],
                           p["b"]["name"], "是" if p["a"]["list_type"] == p["b"]["list_type"] else "否"])
    return [pairs] + duty_sheets(payload["only_a"], f"仅{a}有"[:31]) + duty_sheets(payload["only_b"], f"仅{b}有"[:31])


def response(sheets: list[Sheet], fmt: str, filename: str) -> Response:
    if fmt == "xlsx":
        body, mimetype, suffix = _xlsx(sheets), XLSX_TYPE, "xlsx"
    else:
        body, mimetype, suffix = _csv(sheets), "text/csv", "csv"
    name = f"{filename}.{suffix}"
    disposition = f"attachment; filename=\"export.{suffix}\"; filename*=UTF-8''{quote(name)}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": disposition})


def _csv(sheets: list[Sheet]) -> bytes:
    """One table; with several sheets a first column names the sheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    several = len(sheets) > 1
    writer.writerow((["表"] if several else []) + sheets[0].headers)
    for sheet in sheets:
        for row in sheet.rows:
            writer.writerow(([sheet.title] if several else []) + row)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx(sheets: list[Sheet]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    book.remove(book.active)
    for sheet in sheets:
        ws = book.create_sheet(_sheet_title(sheet.title, book.sheetnames))
        ws.append(sheet.headers)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in sheet.rows:
            ws.append(row)
        for i, header in enumerate(sheet.headers, 1):
            longest = max([len(str(header))] + [len(str(r[i - 1])) for r in sheet.rows[:500]])
            ws.column_dimensions[ws.cell(1, i).column_letter].width = min(60, max(6, longest * 2 + 2))
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet_title(title: str, taken: list[str]) -> str:
    clean = "".join(" " if ch in "[]:*?/\\" else ch for ch in title)[:31] or "表"
    n, candidate = 2, clean
    while candidate in taken:
        candidate = f"{clean[:28]}({n})"
        n += 1
    return candidate
