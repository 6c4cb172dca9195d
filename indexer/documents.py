"""Source documents as counties publish them — text, Word (.docx), Excel (.xlsx) or PDF — as the
text layout the parser reads (headings as lines, each table row one line of tab-separated cells),
with each line's place in the original (see indexer/formats).

The kind is recognised by content, never by the file name: a ZIP holding `word/document.xml` is
Word, one holding `xl/workbook.xml` is Excel, `%PDF` is PDF, the OLE signature is an old or
password-protected Office file; anything else must be UTF-8 text.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

from indexer.formats import SourceLines, UnreadableDocument, excel, pdf, word

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


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


READERS = {"docx": word.read, "xlsx": excel.read, "pdf": pdf.read}


def document_lines(path: Path) -> SourceLines:
    """The document in the parser's layout; raises UnreadableDocument naming file and place."""
    data = Path(path).read_bytes()
    kind = kind_of(data)
    if kind in READERS:
        return READERS[kind](path, data)
    if kind == "ole":
        raise UnreadableDocument(f"{path}: an old (.doc/.xls) or password-protected Office file — remove the "
                                 "password and save it as .docx or .xlsx")
    if kind in ("broken-zip", "zip"):
        raise UnreadableDocument(f"{path}: a damaged or unknown ZIP file (neither Word nor Excel)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UnreadableDocument(f"{path}: line {line}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    return SourceLines.of_text(text)
