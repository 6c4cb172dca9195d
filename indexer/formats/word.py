"""Word (.docx): paragraphs and tables in document order; cells merged across columns count once."""
from __future__ import annotations

import io
from pathlib import Path

from indexer.formats import SourceLines, UnreadableDocument, cell_text, row_line


def read(path: Path, data: bytes) -> SourceLines:
    from docx import Document
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = Document(io.BytesIO(data))
    except Exception as exc:  # a ZIP with a damaged document.xml
        raise UnreadableDocument(f"{path}: damaged Word file: {type(exc).__name__}: {exc}") from exc
    out, tables, paragraphs = SourceLines(), 0, 0
    for element in document.element.body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraphs += 1
            out.add(cell_text(Paragraph(element, document).text), f"paragraph {paragraphs}")
        elif tag == "tbl":
            tables += 1
            for number, row in enumerate(Table(element, document).rows, 1):
                out.add(row_line(_distinct_cells(row)), f"table {tables} row {number}")
            out.add("", f"table {tables} end")
    return out


def _distinct_cells(row) -> list[str]:
    cells, seen = [], set()
    for cell in row.cells:
        if id(cell._tc) in seen:  # merged across columns: once
            continue
        seen.add(id(cell._tc))
        cells.append(cell_text(cell.text))
    return cells
