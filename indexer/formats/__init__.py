"""Readers for published file formats. Each turns one file into `SourceLines`: the parser's text
layout (headings as lines, each table row one line of tab-separated cells) plus, for every line,
where a reader of the original finds it (page, sheet and row, table and row)."""
from __future__ import annotations

from dataclasses import dataclass, field


class UnreadableDocument(ValueError):
    """The file cannot be read as a duty list; the message names the file and the place."""


@dataclass
class SourceLines:
    lines: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)  # empty for text: its line numbers are its places

    @classmethod
    def of_text(cls, text: str) -> "SourceLines":
        """A text file's lines (any line ending), numbered as its places."""
        return cls(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))

    def add(self, line: str, place: str) -> None:
        self.lines.append(line)
        self.places.append(place)

    def place(self, line_number: int) -> str:
        """The original's place for a 1-based line number."""
        if not self.places:
            return f"line {line_number}"
        return self.places[min(max(line_number, 1), len(self.places)) - 1]

    def source(self, file_name: str, line_number: int) -> str:
        """A record's `source`: "file:line" for text, "file:page 3 table 1 row 5" for the others."""
        return f"{file_name}:{line_number if not self.places else self.place(line_number)}"


def cell_text(text) -> str:
    """A cell's text on one line: line breaks become spaces (the parser joins wrapped CJK text back
    and keeps numbered sub-items apart)."""
    return " ".join(part.strip() for part in str(text).replace("\t", " ").splitlines() if part.strip())


def row_line(cells: list[str]) -> str:
    """A table row as one line: its cells tab-separated, or the one filled cell alone (a heading, a
    category row, a title spread across the table)."""
    filled = [c for c in cells if c]
    if len(filled) <= 1:
        return filled[0] if filled else ""
    return "\t".join(cells)
