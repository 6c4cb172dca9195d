"""Source document → duty records, with every disagreement with what the document states.

A document holds one or more townships, each with up to three lists. A list starts at its
heading; its rows are either tab-separated (one row a line) or PDF text flow (see flow.py).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from indexer import cells, documents, flow, gazetteer, layout
from indexer.formats import SourceLines, UnreadableDocument
from models.duty import Duty, duty_id

MANIFEST = "manifest.json"


@dataclass
class Problem:
    line: int
    message: str
    severity: str = "warning"  # "error" makes validate fail
    place: str = ""  # where in the original: "page 3 table 1 row 5", "sheet 基本 row 12"; else the line

    def __str__(self) -> str:
        return f"{self.place or f'line {self.line}'}: {self.message}"


@dataclass
class ListSection:
    township: str
    region: layout.Region
    list_type: str
    line: int
    heading_total: int | None = None
    stated_total: int | None = None  # from the 说明
    promised_lists: set[str] = field(default_factory=set)  # from the table of contents
    category_totals: list[tuple[str, int | None, int]] = field(default_factory=list)
    duties: list[Duty] = field(default_factory=list)
    body: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class ParsedDocument:
    path: str
    sections: list[ListSection]
    problems: list[Problem]
    source: SourceLines = field(default_factory=SourceLines)

    def place(self, line: int) -> str:
        return self.source.place(line)

    @property
    def duties(self) -> list[Duty]:
        return [d for s in self.sections for d in s.duties]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


class DocumentError(ValueError):
    """A source document that cannot be read into records; names the file and line."""


def source_files(raw_dir: str | Path) -> list[Path]:
    """The documents in a folder: every file but the region manifest and hidden files (the kind of
    each is told by its content, see indexer/documents.py)."""
    return sorted(p for p in Path(raw_dir).iterdir()
                  if p.is_file() and p.name != "manifest.json" and not p.name.startswith((".", "README")))


def parse_corpus(raw_dir: str | Path) -> list[Duty]:
    """Every record of every document in a folder; raises DocumentError on the first bad one."""
    duties: list[Duty] = []
    for path in source_files(raw_dir):
        document = parse_file(path)
        if document.errors:
            first = document.errors[0]
            raise DocumentError(f"{path}: {first}")
        duties += document.duties
    return duties


def parse_file(path: str | Path) -> ParsedDocument:
    path = Path(path)
    try:
        source = documents.document_lines(path)
    except UnreadableDocument as exc:
        raise DocumentError(str(exc)) from exc
    return parse_lines(source, path.name, _manifest_defaults(path))


def _manifest_defaults(path: Path) -> layout.Region:
    """Region facts a document leaves out, kept as data beside the documents."""
    manifest = path.parent / MANIFEST
    if not manifest.exists():
        return layout.Region()
    entry = json.loads(manifest.read_text(encoding="utf-8")).get(path.name, {})
    return layout.Region(entry.get("province", ""), entry.get("prefecture", ""), entry.get("county", ""))


def parse_text(text: str, name: str, defaults: layout.Region | None = None) -> ParsedDocument:
    return parse_lines(SourceLines.of_text(text), name, defaults)


def parse_lines(source: SourceLines, name: str, defaults: layout.Region | None = None) -> ParsedDocument:
    problems: list[Problem] = []
    sections = _sections(source.lines, defaults or layout.Region(), problems)
    for section in sections:
        _read_rows(section, lambda line: source.source(name, line), problems)
    if not sections:
        problems.append(Problem(1, "no list heading (基本/配合/收回…事项清单) found", "error"))
    for section in sections:
        problems += _count_problems(section)
    problems += _missing_lists(sections)
    for problem in problems:
        problem.place = source.place(problem.line)
    return ParsedDocument(name, sections, problems, source)


def _missing_lists(sections: list[ListSection]) -> list[Problem]:
    """A list the table of contents promises but the document never reaches: it was cut off."""
    found: dict[str, set[str]] = {}
    for section in sections:
        found.setdefault(section.township, set()).add(section.list_type)
    firsts = {}
    for section in sections:
        firsts.setdefault(section.township, section)
    return [Problem(first.line, f"{township}: the table of contents lists the {kind} list, the document has none", "error")
            for township, first in firsts.items() for kind in sorted(first.promised_lists - found[township])]


def _count_problems(section: ListSection) -> list[Problem]:
    """An empty list, or one whose count misses the list's own stated total, is unreadable:
    the document is truncated or in a layout we don't know. Category-level differences are
    the document's own and only reported (validate)."""
    where = f"{section.township} {section.list_type} list"
    if not section.duties:
        return [Problem(section.line, f"{where} is empty", "error")]
    found = len(section.duties)
    return [Problem(section.line, f"{where}: {found} items found, {label} states {stated}", "error")
            for label, stated in (("heading", section.heading_total), ("说明", section.stated_total))
            if stated is not None and stated != found]


def _sections(lines, defaults, problems) -> list[ListSection]:
    """Split the document at list headings, tracking region titles and 说明 totals on the way."""
    region = layout.Region(defaults.province, defaults.prefecture, defaults.county)
    sections: list[ListSection] = []
    preamble: list[str] = []
    totals: dict[str, int] = {}
    promised: set[str] = set()
    for number, line in enumerate(lines, start=1):
        title = layout.region_title(line)
        heading = layout.list_heading(line)
        if title and not heading:
            region = _merge(title, region)
            continue
        if not heading and layout.is_front_matter(line):
            preamble.append(line)
            continue
        if heading:
            found, township = layout.split_place(heading.prefix, region)
            region = _merge(found, region)
            if not township:
                township = sections[-1].township if sections else ""
            if not sections or sections[-1].township != township:
                totals = layout.stated_totals("\n".join(preamble))
                promised = layout.toc_lists(preamble)
            preamble = []
            section = ListSection(township, layout.Region(region.province, region.prefecture, region.county),
                                  heading.list_type, number, heading.stated_total, totals.get(heading.list_type),
                                  promised)
            sections.append(section)
            continue
        if sections:
            sections[-1].body.append((number, line))
        preamble.append(line)
    for section in sections:
        _take_count_line(section)
        section.region, note = gazetteer.resolve(section.region)
        if note and not any(p.message == note for p in problems):
            problems.append(Problem(section.line, note))
        if not section.township:
            problems.append(Problem(section.line, "list heading names no township", "error"))
    return sections


def _merge(found: layout.Region, known: layout.Region) -> layout.Region:
    return layout.Region(found.province or known.province, found.prefecture or known.prefecture,
                         found.county or known.county)


def _take_count_line(section: ListSection) -> None:
    """'(86项)' on the line after a heading belongs to the heading."""
    for i, (_, line) in enumerate(section.body):
        if not line.strip():
            continue
        count = layout.count_line(line)
        if count is not None and section.heading_total is None:
            section.heading_total = count
            del section.body[i]
        return


def _read_rows(section: ListSection, source_of, problems: list[Problem]) -> None:
    body = [(n, l) for n, l in section.body if not layout.is_page_mark(l)]
    is_tabular = any(layout.is_header_row(l.split("\t")) for _, l in body if "\t" in l)
    raw_rows = _tabular_rows(body, section, problems) if is_tabular else _flow_rows(body, section, problems)
    for ordinal, row in enumerate(raw_rows, start=1):
        duty = _record(section, row, ordinal, source_of, problems)
        if duty:
            section.duties.append(duty)


def _tabular_rows(body, section, problems):
    fields, category = None, ""
    for number, line in body:
        if not line.strip() or layout.is_table_rule(line):
            continue
        row = line.split("\t")
        if layout.is_header_row(row):
            fields = layout.column_fields(row)
            problems += _missing_columns(section, fields, number)
            continue
        found = layout.category_row(row)
        if found:
            category = found[0]
            section.category_totals.append((found[0], found[1], number))
            continue
        first = layout.plain(row[0])
        if first.isdigit() and fields and len(row) < len(fields):
            problems.append(Problem(number, f"row has {len(row)} cells, the header has {len(fields)}: "
                                            f"{line.strip()[:40]}", "error"))
        elif first.isdigit() and fields:
            values = {f: c for f, c in zip(fields, row) if f}
            values.setdefault("category", category)
            yield flow.FlowRow(int(first), number, values.get("category") or category, values)
        elif "\t" in line.strip() or first.isdigit():
            problems.append(Problem(number, f"row cannot be placed in a table: {line.strip()[:40]}", "error"))
        else:
            problems.append(Problem(number, f"text outside any table row ignored: {line.strip()[:40]}"))


def _flow_rows(body, section, problems):
    lines, header = [], []
    in_header = False
    for number, line in body:
        text = line.strip()
        if text.startswith("序号"):
            in_header = True
            header.append(text)
            continue
        if in_header and (not text or layout.is_header_fragment(text)):
            header.append(text)
            continue
        in_header = False
        found = layout.category_row([text]) if text else None
        if found:
            section.category_totals.append((found[0], found[1], number))
            continue
        if lines or text:
            lines.append((number, text))
    if not header:
        problems.append(Problem(section.line, "no header row (序号 …) after the list heading", "error"))
        return
    fields = flow.header_fields(" ".join(header))
    problems += _missing_columns(section, fields, section.line)
    region = section.region
    places = (region.county, region.county[:-1], region.prefecture, region.prefecture.removesuffix("地区"))
    yield from flow.rows(lines, fields, places)


def _missing_columns(section: ListSection, fields: list[str | None], line: int) -> list[Problem]:
    missing = layout.missing_columns(section.list_type, fields)
    return [Problem(line, f"{section.township} {section.list_type} list: the table has no {'、'.join(missing)} column",
                    "error")] if missing else []


def _record(section: ListSection, row: flow.FlowRow, ordinal: int, source_of, problems) -> Duty | None:
    values = row.cells
    name = cells.clean(values.get("name", ""))
    where = f"{section.township} {section.list_type} #{row.seq}"
    if not name:
        problems.append(Problem(row.line, f"{where}: item has no name", "error"))
    duty = Duty(
        id=duty_id(section.region.county, section.township, section.list_type, ordinal),
        province=section.region.province, prefecture=section.region.prefecture,
        county=section.region.county, township=section.township, list_type=section.list_type,
        category=cells.clean(row.category), seq=row.seq, name=name,
        remarks=cells.clean(values.get("remarks", "")), source=source_of(row.line),
    )
    if section.list_type == "cooperative":
        _fill_cooperative(duty, values, where, row.line, problems)
    elif section.list_type == "recovered":
        duty.receiving_departments, duty.handling = cells.parse_recovered(values.get("recovered", ""))
        if "handling" in values:  # 承接部门 and 工作方式 in columns of their own
            if not duty.receiving_departments:
                duty.receiving_departments = [d for d in cells.split_departments(values.get("recovered", ""))
                                              if d != "无"]
            duty.handling = cells.clean(values["handling"])
    return duty


def _fill_cooperative(duty: Duty, values: dict, where: str, line: int, problems) -> None:
    duty.lead_departments = cells.split_departments(values.get("leads", ""))
    duty.department_duties = cells.split_department_duties(values.get("department_duties", ""),
                                                           duty.lead_departments)
    duty.township_duties = cells.split_subitems(values.get("township_duties", ""))
    if not duty.lead_departments:
        problems.append(Problem(line, f"{where}: no lead department"))
    if not duty.township_duties:
        problems.append(Problem(line, f"{where}: no township duties"))
    if not duty.department_duties:
        problems.append(Problem(line, f"{where}: no department duties"))

