"""Word and Excel files as counties publish them: the released townships' records written out by
generators here, in two layouts each, must parse back to the same records; broken files are
rejected with the file named, and the kind is told by content, not by the name."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from indexer.documents import OLE_SIGNATURE, kind_of
from indexer.parse import DocumentError, parse_corpus, parse_file

RAW = Path(__file__).resolve().parent.parent / "data" / "raw"
LISTS = {"basic": "基本履职事项清单", "cooperative": "配合履职事项清单", "recovered": "上级部门收回事项清单"}
HEADERS = {
    "basic": ["序号", "事项类别", "事项名称", "备注"],
    "cooperative": ["序号", "事项类别", "事项名称", "对应上级部门", "上级部门职责", "乡镇配合职责", "备注"],
    "recovered": ["序号", "事项类别", "收回事项名称", "承接部门", "工作方式", "备注"],
}


@pytest.fixture(scope="module")
def corpus():
    return parse_corpus(RAW)


def townships(corpus) -> list[str]:
    return list(dict.fromkeys(d.township for d in corpus))


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


def write_docx(path: Path, duties, title: str, cell_breaks: bool) -> None:
    from docx import Document

    document = Document()
    document.add_paragraph(title)
    for list_type, label in LISTS.items():
        document.add_paragraph(f"{duties[0].county}{duties[0].township}{label}")
        rows = rows_of(duties, list_type)
        table = document.add_table(rows=1, cols=len(HEADERS[list_type]))
        for cell, text in zip(table.rows[0].cells, HEADERS[list_type]):
            cell.text = text
        for row in rows:
            cells = table.add_row().cells
            for cell, text in zip(cells, row):
                cell.text = text if cell_breaks else text.replace("\n", " ")
    document.save(path)


def write_xlsx(path: Path, duties, title: str, merged_categories: bool) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for list_type, label in LISTS.items():
        sheet = book.create_sheet(label[:10])
        sheet.append([f"{duties[0].county}{duties[0].township}{label}"])
        sheet.append(HEADERS[list_type])
        rows = rows_of(duties, list_type)
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


def same_records(parsed, original) -> None:
    assert [(d.list_type, d.name, d.category) for d in parsed] == \
        [(d.list_type, d.name, d.category) for d in original]
    for p, o in zip(parsed, original):
        assert p.lead_departments == o.lead_departments, o.name
        assert bool(p.township_duties) == bool(o.township_duties), o.name
        assert p.receiving_departments == o.receiving_departments or not o.receiving_departments, o.name


@pytest.mark.parametrize("writer, option", [("docx", True), ("docx", False), ("xlsx", True), ("xlsx", False)])
def test_each_township_written_as_word_or_excel_parses_to_the_same_records(tmp_path, corpus, writer, option):
    for township in townships(corpus):
        original = [d for d in corpus if d.township == township]
        path = tmp_path / f"{township}-{writer}-{option}.bin"  # the name says nothing about the kind
        title = f"{original[0].county}{township}履行职责事项清单"
        (write_docx if writer == "docx" else write_xlsx)(path, original, title, option)
        assert kind_of(path.read_bytes()) == writer
        document = parse_file(path)
        assert not document.errors, (township, writer, document.errors[:3])
        same_records(document.duties, original)


def test_broken_files_are_rejected_with_the_file_named(tmp_path):
    cases = {
        "truncated.docx": None,
        "locked.xlsx": OLE_SIGNATURE + b"\0" * 512,
        "scan.pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
        "notes.zip": None,
    }
    good = io.BytesIO()
    from docx import Document
    Document().save(good)
    cases["truncated.docx"] = good.getvalue()[: len(good.getvalue()) // 2]
    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("readme.txt", "hello")
    cases["notes.zip"] = other.getvalue()
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(DocumentError) as caught:
            parse_file(path)
        assert str(path) in str(caught.value), name
