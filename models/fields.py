"""Which text of a duty record feeds each side of the search — shared by every index writer.

Keyword side: four weighted fields (name > category > duties > departments; weights live in
search/config.py). Semantic side: the item name, see `embedding_text` for why.
"""
from __future__ import annotations

import re

from models.duty import Duty

KEYWORD_FIELDS = ("name", "category", "duties", "departments")

_NOISE = re.compile(r"[★☆]")


def keyword_texts(duty: Duty) -> dict[str, str]:
    """Original (unsegmented) text per keyword field."""
    return {
        "name": _NOISE.sub("", duty.name),
        "category": duty.category,
        "duties": "\n".join(duty.duty_texts() + ([duty.remarks] if duty.remarks else [])),
        "departments": "\n".join(duty.departments()),
    }


def embedding_text(duty: Duty, max_chars: int = 128) -> str:
    """The text embedded for a record: the item name alone.

    Measured on a development set of 50 staff-style queries (m3e-small, graded nDCG@10, semantic
    mode): name 0.644; name + category 0.623; name + the township's duties or the receiving
    department's way of working 0.583; name + duties + category + departments 0.627. The
    name is what a task is called; longer texts pull every record toward the generic wording of
    the lists ("做好…工作", "负责…") and cost 4× more to embed. Duties and departments reach
    the search through the keyword side, which is why the two sides complement each other.
    """
    return _NOISE.sub("", duty.name).strip()[:max_chars] or duty.category
