"""Excel (.xlsx): every sheet in order; a merged block's value in every row it spans (a category
written once for a block), once per row across columns."""
from __future__ import annotations

import io
from pathlib import Path

from indexer.formats import SourceLines, UnreadableDocument, cell_text, row_line


def read(path: Path, data: bytes) -> SourceLines:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:
        raise UnreadableDocument(f"{path}: damaged Excel file: {type(exc).__name__}: {exc}") from exc
    out = SourceLines()
    for sheet in book.worksheets:
        values = _unmerged_values(sheet)
        for number, row in enumerate(values, 1):
            out.add(row_line(["" if v is None else cell_text(v) for v in row]), f"sheet {sheet.title} row {number}")
        out.add("", f"sheet {sheet.title} end")
    return out


def _unmerged_values(sheet) -> list[list]:
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    for merged in sheet.merged_cells.ranges:
        top = values[merged.min_row - 1][merged.min_col - 1] if values else None
        for r in range(merged.min_row, min(merged.max_row, len(values)) + 1):
            for c in range(merged.min_col, min(merged.max_col, len(values[r - 1])) + 1):
                if (r, c) != (merged.min_row, merged.min_col):
                    values[r - 1][c - 1] = top if c == merged.min_col else ""
    return values
