"""Which PDF library reads the published tables: pdfplumber (the project's reader) beside PyMuPDF,
on the same generated fixtures (every released township, two layouts, tests/published.py).

For each library: seconds per document (median), documents parsed to exactly the records of the
text source, and the first difference where one is found. PyMuPDF is the peer only here; it is
not a service dependency (pip install pymupdf to include it).

    python bench/pdf_readers.py
"""
from __future__ import annotations

import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from indexer.formats import SourceLines, cell_text, pdf, row_line  # noqa: E402
from indexer.parse import parse_corpus, parse_lines  # noqa: E402
from published import write_pdf  # noqa: E402


def pymupdf_lines(path: Path, data: bytes) -> SourceLines:
    """The same layout from PyMuPDF: its table finder's rows, the text blocks outside them."""
    import pymupdf

    out = SourceLines()
    with pymupdf.open(stream=io.BytesIO(data), filetype="pdf") as document:
        for number, page in enumerate(document, 1):
            tables = list(page.find_tables().tables)
            pieces = [(t.bbox[1], 1, t) for t in tables]
            for x0, y0, x1, y1, text, *_ in page.get_text("blocks"):
                if not any(t.bbox[0] <= x0 and y0 >= t.bbox[1] and x1 <= t.bbox[2] and y1 <= t.bbox[3] for t in tables):
                    pieces += [(y0, 0, line) for line in text.splitlines() if line.strip()]
            for _, is_table, piece in sorted(pieces, key=lambda p: (p[0], p[1])):
                if not is_table:
                    out.add(cell_text(piece), f"page {number}")
                    continue
                for row in piece.extract():
                    out.add(row_line([cell_text(c or "") for c in row]), f"page {number}")
                out.add("", f"page {number}")
    return out


def same(parsed, original) -> str:
    """'' when the records agree on list, name, category and leads; else the first difference."""
    if len(parsed) != len(original):
        return f"{len(parsed)} records for {len(original)}"
    for p, o in zip(parsed, original):
        if (p.list_type, p.name, p.category, p.lead_departments) != \
                (o.list_type, o.name.replace("·", ""), o.category, o.lead_departments):
            return f"{o.name[:20]}: {p.name[:20]} {p.lead_departments[:2]} / {o.lead_departments[:2]}"
    return ""


def main() -> None:
    corpus = parse_corpus(REPO / "data" / "raw")
    readers = {"pdfplumber": pdf.read}
    try:
        import pymupdf  # noqa: F401
        readers["pymupdf"] = pymupdf_lines
    except ImportError:
        print("pymupdf not installed: pdfplumber only")
    seconds = {name: [] for name in readers}
    exact = {name: 0 for name in readers}
    first_difference = {name: "" for name in readers}
    documents = 0
    with tempfile.TemporaryDirectory() as folder:
        for township in dict.fromkeys(d.township for d in corpus):
            original = [d for d in corpus if d.township == township]
            for section_rows in (False, True):
                path = Path(folder) / f"{township}-{section_rows}.pdf"
                write_pdf(path, original, f"{original[0].county}{township}履行职责事项清单", section_rows)
                data = path.read_bytes()
                documents += 1
                for name, read in readers.items():
                    start = time.perf_counter()
                    lines = read(path, data)
                    seconds[name].append(time.perf_counter() - start)
                    difference = same(parse_lines(lines, path.name).duties, original)
                    exact[name] += not difference
                    first_difference[name] = first_difference[name] or difference
    for name in readers:
        print(f"{name:10s} median {statistics.median(seconds[name]):.2f} s/document, "
              f"exact records {exact[name]}/{documents}"
              + (f"; first difference: {first_difference[name]}" if first_difference[name] else ""))


if __name__ == "__main__":
    main()
