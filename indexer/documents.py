"""Source documents as counties publish them — text, Word (.docx) or Excel (.xlsx) — as the text
layout the parser reads: headings as lines, each table row as one line of tab-separated cells.

The kind is recognised by content, never by the file name: a ZIP holding `word/document.xml` is
Word, one holding `xl/workbook.xml` is Excel, `%PDF` is PDF, the OLE signature is an old or
password-protected Office file; anything else must be UTF-8 text. Line breaks inside a cell become
spaces (numbered sub-items "1.… 2.…" stay apart); cells merged across columns count once; merged
ranges in Excel repeat their value in every row they span (a category written once for a block).
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class UnreadableDocument(ValueError):
    """The file cannot be read as a duty list; the message names the file and the place."""


def kind_of(data: bytes) -> str:
    if data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(OLE_SIGNATURE):
        return "ole"
    if data.startswith(b"PK"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            return "broken-zip"
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        return "zip"
    return "text"


def document_text(path: Path) -> str:
    """The document's text in the parser's layout; raises UnreadableDocument naming file and place."""
    data = Path(path).read_bytes()
    kind = kind_of(data)
    if kind == "docx":
        return _docx_text(path, data)
    if kind == "xlsx":
        return _xlsx_text(path, data)
    if kind == "pdf":
        raise UnreadableDocument(f"{path}: PDF files are not read yet — save the lists as Word (.docx) or Excel "
                                 "(.xlsx), or as text")
    if kind == "ole":
        raise UnreadableDocument(f"{path}: an old (.doc/.xls) or password-protected Office file — remove the "
                                 "password and save it as .docx or .xlsx")
    if kind in ("broken-zip", "zip"):
        raise UnreadableDocument(f"{path}: a damaged or unknown ZIP file (neither Word nor Excel)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UnreadableDocument(f"{path}: line {line}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def _cell_text(text: str) -> str:
    return " ".join(part.strip() for part in str(text).replace("\t", " ").splitlines() if part.strip())


def _row_line(cells: list[str]) -> str:
    """A table row as one line: its cells tab-separated, or the one filled cell alone (a heading, a
    category row, a title spread across the table)."""
    filled = [c for c in cells if c]
    if len(filled) <= 1:
        return filled[0] if filled else ""
    return "\t".join(cells)


def _docx_text(path: Path, data: bytes) -> str:
    from docx import Document
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = Document(io.BytesIO(data))
    except Exception as exc:  # a ZIP with a damaged document.xml
        raise UnreadableDocument(f"{path}: damaged Word file: {type(exc).__name__}: {exc}") from exc
    lines: list[str] = []
    for number, element in enumerate(document.element.body.iterchildren()):
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(_cell_text(Paragraph(element, document).text))
        elif tag == "tbl":
            table = Table(element, document)
            for row in table.rows:
                cells, seen = [], set()
                for cell in row.cells:
                    if id(cell._tc) in seen:  # merged across columns: once
                        continue
                    seen.add(id(cell._tc))
                    cells.append(_cell_text(cell.text))
                lines.append(_row_line(cells))
            lines.append("")
    return "\n".join(lines) + "\n"


def _xlsx_text(path: Path, data: bytes) -> str:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:
        raise UnreadableDocument(f"{path}: damaged Excel file: {type(exc).__name__}: {exc}") from exc
    lines: list[str] = []
    for sheet in book.worksheets:
        values = [[cell.value for cell in row] for row in sheet.iter_rows()]
        for merged in sheet.merged_cells.ranges:  # the value of a merged block in every row it spans
            top = values[merged.min_row - 1][merged.min_col - 1] if values else None
            for r in range(merged.min_row, merged.max_row + 1):
                for c in range(merged.min_col, merged.max_col + 1):
                    if r - 1 < len(values) and c - 1 < len(values[r - 1]) and (r, c) != (merged.min_row, merged.min_col):
                        values[r - 1][c - 1] = top if c == merged.min_col else ""
        for row in values:
            lines.append(_row_line(["" if v is None else _cell_text(v) for v in row]))
        lines.append("")
    return "\n".join(lines) + "\n"
