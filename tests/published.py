"""Writers for duty lists as counties publish them: Word, Excel and PDF, in several layouts, from
parsed records. Used by the document tests and by bench/pdf_readers.py; every file is generated,
none is committed."""
from __future__ import annotations

from pathlib import Path

LISTS = {"basic": "基本履职事项清单", "cooperative": "配合履职事项清单", "recovered": "上级部门收回事项清单"}
HEADERS = {
    "basic": ["序号", "事项类别", "事项名称", "备注"],
    "cooperative": ["序号", "事项类别", "事项名称", "对应上级部门", "上级部门职责", "乡镇配合职责", "备注"],
    "recovered": ["序号", "事项类别", "收回事项名称", "承接部门", "工作方式", "备注"],
}


def rows_of(duties, list_type) -> list[list[str]]:
    rows = []
    for n, d in enumerate((d for d in duties if d.list_type == list_type), 1):
        if list_type == "basic":
            rows.append([str(n), d.category, d.name, d.remarks])
        elif list_type == "cooperative":
            department_duties = "\n".join(
                (f"{dd.department}：" if len(d.department_duties) > 1 else "") + "\n".join(dd.duties)
                for dd in d.department_duties)
            rows.append([str(n), d.category, d.name, "、".join(d.lead_departments), department_duties,
                         "\n".join(d.township_duties), d.remarks])
        else:
            rows.append([str(n), d.category, d.name, "、".join(d.receiving_departments) or "无", d.handling,
                         d.remarks])
    return rows


def table_of(duties, list_type: str, drop: str = "") -> tuple[list[str], list[list[str]]]:
    """A list's header and rows; `drop` names a column left out (a broken table)."""
    header, rows = HEADERS[list_type], rows_of(duties, list_type)
    if drop in header:
        keep = [i for i, name in enumerate(header) if name != drop]
        header, rows = [header[i] for i in keep], [[r[i] for i in keep] for r in rows]
    return header, rows


def heading(duties, label: str, count: int) -> str:
    """'磴口县渡口镇配合履职事项清单（73项）'"""
    return f"{duties[0].county}{duties[0].township}{label}（{count}项）"


CN_NUMERALS = "一二三四五六七八九十"


def category_label(n: int, name: str, count: int) -> str:
    """'三、社会治理（12项）': a category written as a section row."""
    numeral = CN_NUMERALS[n - 1] if n <= 10 else "十" + CN_NUMERALS[n - 11]
    return f"{numeral}、{name}（{count}项）"


def with_section_rows(header: list[str], rows: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    """The category column dropped; each category opens with a row of its own naming it and its count."""
    out, categories = [], list(dict.fromkeys(r[1] for r in rows))
    for n, category in enumerate(categories, 1):
        block = [r for r in rows if r[1] == category]
        out.append([category_label(n, category, len(block))])
        out += [[r[0]] + r[2:] for r in block]
    return header[:1] + header[2:], out


def column_widths(rows: list[list[str]], total: float) -> list[float]:
    """序号 narrow; the other columns as wide as their longest cell needs, so no row outgrows a page."""
    longest = [max(len(r[i]) if i < len(r) else 0 for r in rows[:1] + [r for r in rows if len(r) > 1])
               for i in range(len(rows[0]))]
    rest = [max(n, 80) ** 0.7 for n in longest[1:]]
    return [28] + [(total - 28) * w / sum(rest) for w in rest]


def write_pdf(path: Path, duties, title: str, section_rows: bool, drop: str = "", password: str = "") -> None:
    """A landscape A4 PDF: ruled tables with the header row repeated on every page, wrapped cells,
    page numbers in the footer; categories as a column or as section rows."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))  # a CID font every PDF reader has: no file needed
    cell = ParagraphStyle("cell", fontName="STSong-Light", fontSize=7.5, leading=9, wordWrap="CJK")
    large = ParagraphStyle("heading", fontName="STSong-Light", fontSize=13, leading=18)
    story = [Paragraph(title, large)]
    for list_type, label in LISTS.items():
        header, rows = table_of(duties, list_type, drop)
        story.append(Paragraph(heading(duties, label, len(rows)), large))
        if section_rows:
            header, rows = with_section_rows(header, rows)
        data = [[Paragraph(c.replace("\n", "<br/>"), cell) for c in r] + [""] * (len(header) - len(r))
                for r in [header] + rows]
        widths = column_widths([header] + rows, 780)
        style = [("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP")]
        style += [("SPAN", (0, i), (-1, i)) for i, r in enumerate(data) if r[1] == ""]
        story.append(Table(data, colWidths=widths, repeatRows=1, style=TableStyle(style)))

    def footer(canvas, document):
        canvas.setFont("STSong-Light", 8)
        canvas.drawCentredString(421, 20, f"第 {document.page} 页")

    SimpleDocTemplate(str(path), pagesize=landscape(A4), leftMargin=30, rightMargin=30, topMargin=30,
                      bottomMargin=40, encrypt=password or None).build(story, onFirstPage=footer, onLaterPages=footer)


def write_docx(path: Path, duties, title: str, cell_breaks: bool, drop: str = "", one_table: bool = False) -> None:
    """Each list a table under its heading paragraph; or (`one_table`) all three lists in one table,
    each opened by a heading row merged across the table, as some counties draw them."""
    from docx import Document

    document = Document()
    document.add_paragraph(title)
    width = max(len(table_of(duties, t, drop)[0]) for t in LISTS)
    shared = document.add_table(rows=0, cols=width) if one_table else None
    for list_type, label in LISTS.items():
        header, rows = table_of(duties, list_type, drop)
        if one_table:
            cells = shared.add_row().cells
            cells[0].merge(cells[-1]).text = heading(duties, label, len(rows))
            table = shared
        else:
            document.add_paragraph(heading(duties, label, len(rows)))
            table = document.add_table(rows=0, cols=len(header))
        for row in [header] + rows:
            cells = table.add_row().cells
            for cell, text in zip(cells, row):
                cell.text = text if cell_breaks else text.replace("\n", " ")
    document.save(path)


def write_xlsx(path: Path, duties, title: str, merged_categories: bool, drop: str = "") -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for list_type, label in LISTS.items():
        header, rows = table_of(duties, list_type, drop)
        sheet = book.create_sheet(label[:10])
        sheet.append([heading(duties, label, len(rows))])
        sheet.append(header)
        first = 3
        for i, row in enumerate(rows):
            sheet.append(row)
            category_changes = i + 1 == len(rows) or rows[i + 1][1] != row[1]
            if merged_categories and category_changes:
                start = first
                end = first + i - (first - 3)
                if end > start:
                    sheet.merge_cells(start_row=start, start_column=2, end_row=end, end_column=2)
                first = end + 1
    book.save(path)
