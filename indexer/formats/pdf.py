"""PDF with a text layer: per page, ruled tables (pdfplumber's line finder) and the text lines
outside them (headings, titles, page marks), in reading order from the top of the page.

A cell's lines are joined as their layout says: a line that runs to the cell's right edge was
wrapped and continues without a break; a shorter line ended where the author broke it (a new
department, a numbered sub-item). A cell covered by a merged cell above takes that cell's value (a
category written once for a block). Pages without ruled tables give their text lines only, which
the parser reads as text flow. No OCR: a PDF without any text is refused as a scan.
"""
from __future__ import annotations

import io
from pathlib import Path

from indexer.formats import SourceLines, UnreadableDocument, cell_text, row_line


def read(path: Path, data: bytes) -> SourceLines:
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        pages = pdf.pages
    except Exception as exc:
        if _caused_by(exc, PDFPasswordIncorrect):
            raise UnreadableDocument(f"{path}: password-protected PDF — remove the password and save it again") from exc
        raise UnreadableDocument(f"{path}: damaged PDF: {_reason(exc)}") from exc
    out = SourceLines()
    with pdf:
        has_text = False
        for number, page in enumerate(pages, 1):
            try:
                has_text |= _add_page(page, number, out)
            except Exception as exc:
                raise UnreadableDocument(f"{path}: page {number}: damaged PDF page: {_reason(exc)}") from exc
    if not has_text:
        raise UnreadableDocument(f"{path}: scanned: no text to read on any of its {len(pages)} pages "
                                 "(a scan or an image; OCR is not done)")
    return out


def _caused_by(exc: BaseException, kind: type) -> bool:
    """pdfplumber wraps pdfminer's errors: look through the wrapping."""
    seen = exc
    while seen is not None:
        if isinstance(seen, kind) or any(isinstance(a, kind) for a in getattr(seen, "args", ())):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _reason(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}".strip().rstrip(":") or type(exc).__name__


def _add_page(page, number: int, out: SourceLines) -> bool:
    """Add the page's lines in reading order; whether the page has any text."""
    if not page.chars:
        return False
    tables = page.find_tables()
    outside = page.filter(lambda obj: not any(_centre_inside(obj, t.bbox) for t in tables))
    pieces = [(line["top"], 0, line["text"]) for line in outside.extract_text_lines()]
    pieces += [(table.bbox[1], 1, table) for table in tables]
    table_number = 0
    for _, is_table, piece in sorted(pieces, key=lambda p: (p[0], p[1])):
        if not is_table:
            out.add(cell_text(piece), f"page {number}")
            continue
        table_number += 1
        for row_number, cells in enumerate(_filled_rows(_table_cells(page, piece)), 1):
            out.add(row_line(cells), f"page {number} table {table_number} row {row_number}")
        out.add("", f"page {number} table {table_number} end")
    return True


def _table_cells(page, table) -> list[list[str | None]]:
    """The table's cell texts row by row, None where a merged cell covers the position."""
    return [[None if bbox is None else _cell_text(page, bbox) for bbox in row.cells] for row in table.rows]


WRAP_MARGIN = 3.5  # font sizes between a wrapped line's end and the cell's edge: padding + a kinsoku shift


def _cell_text(page, bbox) -> str:
    lines = page.filter(lambda obj: _starts_inside(obj, bbox)).extract_text_lines()
    text = ""
    for previous, line in zip([None] + lines, lines):
        if previous is not None:
            size = max((c["size"] for c in previous["chars"]), default=10)
            text += _joint(previous["text"], line["text"], bbox[2] - previous["x1"] < WRAP_MARGIN * size)
        text += line["text"]
    return text


def _centre_inside(obj, bbox) -> bool:
    """A character drawn within a table (by its centre: a heading may touch the table's top rule)."""
    if obj.get("object_type") != "char":
        return False
    x, y = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
    return bbox[0] <= x <= bbox[2] and bbox[1] <= y <= bbox[3]


def _starts_inside(obj, bbox) -> bool:
    """A character belongs to the cell its left edge is in: punctuation hanging past a cell's right
    border (CJK line breaking) stays with its own cell."""
    return obj.get("object_type") != "char" or (bbox[0] <= obj["x0"] < bbox[2] and bbox[1] <= obj["top"] < bbox[3])


def _joint(before: str, after: str, wrapped: bool) -> str:
    """What stands between two lines of a cell: nothing inside wrapped CJK text, a space inside
    wrapped Latin text, a line break where the author broke the line."""
    if not wrapped:
        return "\n"
    latin_word_ends = before[-1:].isascii() and before[-1:].isalnum()
    latin_word_starts = after[:1].isascii() and after[:1].isalnum() and before[-1:].isalnum()
    return " " if latin_word_ends or latin_word_starts else ""


def _filled_rows(rows: list[list[str | None]]) -> list[list[str]]:
    """Cells as text; a cell covered by a merged cell above (None under a value) takes its value."""
    filled: list[list[str]] = []
    for row in rows:
        above = filled[-1] if filled else []
        filled.append([cell_text(c) if c is not None else (above[i] if _covered(row, i, above) else "")
                       for i, c in enumerate(row)])
    return filled


def _covered(row: list[str | None], i: int, above: list[str]) -> bool:
    """None under a value, in a row that has other cells: a vertical merge, not a row-wide title."""
    return i < len(above) and bool(above[i]) and sum(c is not None for c in row) > 1
