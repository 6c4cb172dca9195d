"""Which text of a duty record feeds each side of the search — shared by every index writer.

Keyword side: five weighted fields (name > departments > category > duties, and `asked`: how
staff ask for the item's task in their own words; weights live in search/config.py). Semantic
side: the item name, see `embedding_text` for why.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

from models.duty import Duty

KEYWORD_FIELDS = ("name", "category", "duties", "departments", "asked")
# The lists' own text, apart from staff wording (`asked`): a question sharing a word with it has
# something in common with the lists (search/engine.py `staff_words_only`).
LIST_FIELDS = KEYWORD_FIELDS[:-1]

_NOISE = re.compile(r"[★☆]")
_NAME_NOISE = re.compile(r"[★☆\s]")


def keyword_texts(duty: Duty, asked: Iterable[str] = ()) -> dict[str, str]:
    """Original (unsegmented) text per keyword field; `asked`: the item's questions (`read_asked`)."""
    return {
        "name": _NOISE.sub("", duty.name),
        "category": duty.category,
        "duties": "\n".join(duty.duty_texts() + ([duty.remarks] if duty.remarks else [])),
        "departments": "\n".join(duty.departments()),
        "asked": "\n".join(asked),
    }


def name_key(name: str) -> str:
    """An item name as `asked.tsv` keys it: without marks and spaces (the same item recurs across
    townships' documents with a ★ or a line break more or less)."""
    return _NAME_NOISE.sub("", name)


ASKED = "asked.tsv"  # in a build's dict folder: the questions each record's name holds (own or carried)


def write_asked(path: Path, duties, questions) -> None:
    """The questions of each record's name (`read_asked` reads them back), for showing which one matched."""
    held = {name_key(d.name): q for d, q in zip(duties, questions) if q}
    Path(path).write_text("".join(f"{k}\t{q}\n" for k, qs in held.items() for q in qs), encoding="utf-8")


def read_asked(path: Path) -> dict[str, tuple[str, ...]]:
    """`name<TAB>question` lines (data/dict/asked.tsv; # starts a comment): each item name's questions."""
    out: dict[str, list[str]] = {}
    if not Path(path).is_file():
        return {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        name, sep, question = line.partition("\t")
        if not sep or not question.strip():
            raise ValueError(f"{path}:{number}: expected name<TAB>question")
        out.setdefault(name_key(name), []).append(question.strip())
    return {k: tuple(v) for k, v in out.items()}


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
