"""The validation report: per township and list, items found against every total the document states."""
from __future__ import annotations

from collections import Counter

from indexer.parse import ListSection, ParsedDocument

LIST_NAMES = {"basic": "基本", "cooperative": "配合", "recovered": "收回"}


def disagreements(section: ListSection, place=lambda line: f"line {line}") -> list[str]:
    """Every way the items found differ from what the document says about them."""
    found = len(section.duties)
    notes = []
    for label, stated in (("说明", section.stated_total), ("heading", section.heading_total)):
        if stated is not None and stated != found:
            notes.append(f"{label} states {stated} items, {found} found")
    if section.category_totals:
        notes += _category_disagreements(section, place)
    notes += _numbering_gaps(section)
    return notes


def _category_disagreements(section: ListSection, place) -> list[str]:
    per_category = Counter(d.category for d in section.duties)
    notes = []
    for name, stated, line in section.category_totals:
        if stated is not None and per_category.get(name, 0) != stated:
            notes.append(f"category {name} ({place(line)}) states {stated} items, {per_category.get(name, 0)} found")
    stated_sum = sum(c for _, c, _ in section.category_totals if c is not None)
    if stated_sum and stated_sum != len(section.duties):
        notes.append(f"category rows add up to {stated_sum}, {len(section.duties)} found")
    return notes


def _numbering_gaps(section: ListSection) -> list[str]:
    """序号 that skip or repeat, within a list or (where numbering restarts) within a category."""
    notes, previous, category = [], 0, None
    for duty in section.duties:
        restarted = duty.seq == 1 and duty.category != category
        if not restarted and duty.seq != previous + 1:
            notes.append(f"序号 {duty.seq} follows {previous} ({duty.source})")
        previous, category = duty.seq, duty.category
    return notes


def report(document: ParsedDocument) -> tuple[list[str], bool]:
    """Printable lines and whether the document passes (no errors)."""
    lines = [f"== {document.path}"]
    for section in document.sections:
        stated = [f"说明 {section.stated_total}" if section.stated_total is not None else "",
                  f"heading {section.heading_total}" if section.heading_total is not None else "",
                  f"categories {sum(c or 0 for _, c, _ in section.category_totals)}" if section.category_totals else ""]
        stated_text = ", ".join(s for s in stated if s) or "no totals stated"
        region = section.region
        lines.append(f"{region.province}{region.prefecture}{region.county} {section.township} "
                     f"{LIST_NAMES[section.list_type]}({section.list_type}): {len(section.duties)} items; {stated_text}")
        lines += [f"    DIFFERS: {note}" for note in disagreements(section, document.place)]
    for problem in document.problems:
        lines.append(f"  {problem.severity.upper()}: {document.path} {problem}")
    return lines, not document.errors
