"""Word, Excel and PDF files as counties publish them: the released townships' records written out
by generators here, in several layouts each, must parse back to the same records; broken files are
rejected with the file and the place named, and the kind is told by content, not by the name."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from indexer.documents import OLE_SIGNATURE, kind_of
from indexer.parse import DocumentError, parse_corpus, parse_file
from published import write_docx, write_pdf, write_xlsx

RAW = Path(__file__).resolve().parent.parent / "data" / "raw"
@pytest.fixture(scope="module")
def corpus():
    return parse_corpus(RAW)


def townships(corpus) -> list[str]:
    return list(dict.fromkeys(d.township for d in corpus))


def same_records(parsed, original, unwritable: str = "") -> None:
    """Same records; `unwritable` names characters the writer's font cannot carry into the file."""
    drop = str.maketrans("", "", unwritable)
    assert [(d.list_type, d.name, d.category) for d in parsed] == \
        [(d.list_type, d.name.translate(drop), d.category) for d in original]
    for p, o in zip(parsed, original):
        assert p.lead_departments == o.lead_departments, o.name
        assert bool(p.township_duties) == bool(o.township_duties), o.name
        assert p.receiving_departments == o.receiving_departments or not o.receiving_departments, o.name


WRITERS = {"docx": write_docx, "xlsx": write_xlsx, "pdf": write_pdf,
           "docx-one-table": lambda *args: write_docx(*args, one_table=True)}


@pytest.mark.parametrize("writer, option", [("docx", True), ("docx", False), ("docx-one-table", True),
                                            ("xlsx", True), ("xlsx", False), ("pdf", True), ("pdf", False)])
def test_each_township_written_as_word_excel_or_pdf_parses_to_the_same_records(tmp_path, corpus, writer, option):
    for township in townships(corpus):
        original = [d for d in corpus if d.township == township]
        path = tmp_path / f"{township}-{writer}-{option}.bin"  # the name says nothing about the kind
        title = f"{original[0].county}{township}履行职责事项清单"
        WRITERS[writer](path, original, title, option)
        assert kind_of(path.read_bytes()) == writer.split("-")[0]
        document = parse_file(path)
        assert not document.errors, (township, writer, document.errors[:3])
        # reportlab's STSong-Light has no U+00B7 (PyMuPDF reads the same file without it too)
        same_records(document.duties, original, unwritable="·" if writer == "pdf" else "")


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


def scanned_pdf(path: Path) -> None:
    """A page that is only a picture of a table: what a scanner gives."""
    from PIL import Image, ImageDraw
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    picture = Image.new("RGB", (600, 400), "white")
    draw = ImageDraw.Draw(picture)
    for y in range(20, 400, 40):
        draw.line([(20, y), (580, y)], fill="black")
    page = canvas.Canvas(str(path))
    page.drawImage(ImageReader(picture), 40, 300, 500, 330)
    page.save()


def test_pdf_without_text_truncated_or_locked_is_rejected_saying_why(tmp_path, corpus):
    scan = tmp_path / "scan.bin"
    scanned_pdf(scan)
    locked, whole = tmp_path / "locked.bin", tmp_path / "whole.bin"
    original = [d for d in corpus if d.township == townships(corpus)[0]]
    write_pdf(locked, original, "标题", False, password="secret")
    write_pdf(whole, original, "标题", False)
    truncated = tmp_path / "truncated.bin"
    truncated.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    for path, reason in ((scan, "scanned: no text to read"), (locked, "password-protected PDF"),
                         (truncated, "")):
        try:
            document = parse_file(path)
        except DocumentError as exc:
            assert str(path) in str(exc) and reason in str(exc), (path.name, str(exc))
        else:  # a truncated file may still give up its first pages: then its lists come out short
            assert not reason and document.errors, path.name
            assert any("page " in e.place for e in document.errors), document.errors[:2]


@pytest.mark.parametrize("writer, place", [("docx", "table 2 row 1"), ("xlsx", "sheet 配合履职事项清单 row 2"),
                                           ("pdf", "table 1 row 1")])
def test_a_table_missing_a_column_is_an_error_at_its_header(tmp_path, corpus, writer, place):
    original = [d for d in corpus if d.township == townships(corpus)[0]]
    path = tmp_path / "missing-column.bin"
    WRITERS[writer](path, original, "标题", False, drop="乡镇配合职责")
    errors = parse_file(path).errors
    assert [str(e) for e in errors if "乡镇配合职责" in e.message], errors
    assert any(place in e.place and "no 乡镇配合职责 column" in e.message for e in errors), [str(e) for e in errors]


def test_pdf_category_cells_merged_down_a_block_fill_every_row(tmp_path):
    """A category written once in a cell merged over its block of rows (within a page)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle
    from reportlab.lib.styles import ParagraphStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle("cell", fontName="STSong-Light", fontSize=9, leading=11, wordWrap="CJK")
    names = ["防汛抗旱", "森林草原防灭火", "安全生产检查", "低保申请", "临时救助"]
    rows = [["序号", "事项类别", "事项名称"]] + [[str(i), "", n] for i, n in enumerate(names, 1)]
    rows[1][1], rows[4][1] = "平安法治", "民生服务"
    data = [[Paragraph(c, style) for c in r] for r in rows]
    table = Table(data, colWidths=[40, 80, 300], style=TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("SPAN", (1, 1), (1, 3)), ("SPAN", (1, 4), (1, 5))]))
    path = tmp_path / "merged.pdf"
    SimpleDocTemplate(str(path), pagesize=A4).build([Paragraph("索县某乡基本履职事项清单", style), table])
    document = parse_file(path)
    assert not document.errors, document.errors
    assert [(d.name, d.category) for d in document.duties] == [
        ("防汛抗旱", "平安法治"), ("森林草原防灭火", "平安法治"), ("安全生产检查", "平安法治"),
        ("低保申请", "民生服务"), ("临时救助", "民生服务")]
    assert document.duties[0].source == "merged.pdf:page 1 table 1 row 2"
