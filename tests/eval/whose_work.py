"""Whose work is it: the 清单之外 answer on questions labelled by whose work they are, not per township.

    python tests/eval/whose_work.py                 # both halves, side by side
    python tests/eval/whose_work.py --misses tune   # the tune half's doubtful answers (refuses test)
    python tests/eval/whose_work.py --seen          # the seen questions of session 16 (below)

Two files in tests/eval/whose_work/, written by two helpers from general knowledge who read no
judged question, no file of the repository and not each other's file (session 15):

- other_work.tsv: 454 questions about other authorities' work (courts, police, tax, banks,
  hospitals, schools, utilities, platforms …: `authority<TAB>question`) that no township list holds;
- township_work.tsv: 469 questions about work township lists hold (`domain<TAB>question`);
- township_work_naming_others.tsv: 200 questions about township work that name another
  authority's words in passing (村民说要去法院起诉乡政府，这个信访件乡里还接不接; 低保年审要看电费单
  话费单吗), a stress test of the other-authority rule (written by a third helper, the same way).

Both mix short official phrases, colloquial questions and long descriptions, with typos and
regional words. A label is the question's, not a township's: a township work question may be
清单之外 for a township whose lists truly lack it (grassland work in a farming township), so the
figures are proxies — the 清单之外 answers on township work are the ones to read (a false 清单之外 is
the costliest error), and other authorities' work answered 有此事项 is the miss.

A fresh set (whose_work/fresh/, session 24), written after both halves above had been read while
rules were shaped, by three more helpers the same way: other_work.tsv, 148 questions about the 76
authorities of data/dict/authorities.txt, two each, labelled with the authority's name as that file
spells it, most not naming the office or its terms (so the authority named can be scored);
township_lookalike.tsv, 146 about township work worded like another authority's (邻居把墙砌到俺家
宅基地上了找谁); township_naming_others.tsv, 150 about township work that name another body in
passing, most not naming the township. Split by the same hash; 8 questions that were, or nearly
were, a line of data/dict/asked.tsv or other_work.tsv, or a judged question, were taken out
before any answer was read.

Judged per township (session 25): the 清单之外 answers on township work and like_examples of both
halves (as served at the session's start: `outside_judged.jsonl`) and the tune answers in the held
rule's reach (`held_region.jsonl`) were judged against that township's list by helpers who saw only
the question and the list. The table counts, over the four township-work files, the 清单之外
answers judged so and how many of those the township truly does not list: the precision of
清单之外 on this wording, where the labels by question give only a bound. Those helpers read more
lists as covering a task than the staff set's judges do (held_region.jsonl's second judgments),
so the share is on the low side of what the staff judges would give. Session 26 had the 清单之外
answers of both halves as then served judged again by helpers given the staff sets' strict standard
word for word (`outside_strict.jsonl`); the table's last lines count those.

Each question's half comes from a keyed hash of its text (`SEED`), fixed once like the staff set's:
change dictionaries only from the tune half's answers; report the test half.

Seen questions (whose_work/seen/, session 16, a fourth helper, the same way), not split: written
to price a rule after it was made, and read in full while narrowing it, so they are tune data —
figures on them flatter. asked_to_do.tsv: 60 questions asking whether the township may take on
another authority's work (派出所让乡里帮着收身份证的材料，乡里该不该接; 乡里能办护照吗), 清单之外 by
the 职责准入 idea of the lists; township_work_naming_others.tsv: 80 more of the stress kind, 64 of
them without naming the township (the first stress set names it in most questions);
other_work_typos.tsv: 50 questions about other authorities' work with the key term typed with a
sound-alike character (户照, 起速, 公正处).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "whose_work"
OUTSIDE_JUDGED = Path(__file__).resolve().parent / "outside_judged.jsonl"
HELD_REGION = Path(__file__).resolve().parent / "held_region.jsonl"
JUDGED_FILES = (OUTSIDE_JUDGED, HELD_REGION)
# session 26: the same 清单之外 answers judged again to the staff sets' strict standard
OUTSIDE_STRICT = Path(__file__).resolve().parent / "outside_strict.jsonl"
TOWNSHIP_KINDS = ("township", "naming", "lookalike", "naming_fresh")
SEED = "township-duty-search/whose-work-split/2026-12-06"
HALVES = ("tune", "test")
FILES = {"other": "other_work.tsv", "township": "township_work.tsv", "naming": "township_work_naming_others.tsv",
         "asked": "seen/asked_to_do.tsv", "naming_seen": "seen/township_work_naming_others.tsv",
         "typos": "seen/other_work_typos.tsv",
         "other_fresh": "fresh/other_work.tsv", "lookalike": "fresh/township_lookalike.tsv",
         "naming_fresh": "fresh/township_naming_others.tsv"}
SEEN = ("asked", "naming_seen", "typos")
FRESH = ("other_fresh", "lookalike", "naming_fresh")


def half_of(question: str) -> str:
    return HALVES[hashlib.sha256(f"{SEED}:{question}".encode()).digest()[0] & 1]


def load(kind: str, half: str | None = None, folder: Path = FOLDER) -> list[tuple[str, str]]:
    """(label, question) pairs of one file, of one half or both."""
    rows = []
    for line in (folder / FILES[kind]).read_text(encoding="utf-8").splitlines():
        label, _, question = line.partition("\t")
        if question.strip() and (half is None or half_of(question) == half):
            rows.append((label.strip(), question.strip()))
    return rows


def answers(engine, rows: list[tuple[str, str]]) -> list[dict]:
    """Per question: how many townships answer each verdict, which say 清单之外, and the authorities named."""
    out = []
    for label, question in rows:
        results = engine.owner(question, size=len(engine.ranges))["results"]
        counts = Counter(r["verdict"] for r in results)
        out.append({"label": label, "question": question, "towns": len(results),
                    "listed": counts["listed"], "possible": counts["possible"], "not_listed": counts["not_listed"],
                    "outside": [(r["township"], _outside_rule(r)) for r in results if r["verdict"] == "not_listed"],
                    "authorities": sorted({a for r in results for a in r.get("authorities") or []})})
    return out


def _outside_rule(row: dict) -> str:
    """Which rule said 清单之外: another authority's work (named, or asked like it), another
    township holding the task (held_by), or the township's own evidence."""
    return "authority" if row.get("authorities") else "held" if row.get("held_by") else "own evidence"


def township_judgments(files=JUDGED_FILES) -> dict[tuple[str, str], str]:
    """(township, question) → listed / not_listed, for township-work and like_examples questions
    judged against that township's list (session 25)."""
    out = {}
    for path in files:
        with open(path, encoding="utf-8") as f:
            for row in map(json.loads, filter(str.strip, f)):
                if row["kind"] == "township_work":
                    out[(row["township"], row["query"])] = row["status"]
    return out


def judged_outside(rows: list[dict], judged: dict[tuple[str, str], str]) -> dict:
    """Of the 清单之外 answers on these questions: how many are judged per township, and the share
    of those the township truly does not list — in all, and by the rule that said it."""
    known = _judged_answers(rows, judged)
    out = {"township work: 清单之外 answers": sum(len(a["outside"]) for a in rows),
           "township work: of them judged per township": len(known),
           "township work: judged truly not listed": sum(s == "not_listed" for _, s in known) / max(1, len(known))}
    for rule in ("authority", "held"):
        of_rule = [s for r, s in known if r == rule]
        out[f"  by the {rule} rule: judged"] = len(of_rule)
        out[f"  by the {rule} rule: truly not listed"] = sum(s == "not_listed" for s in of_rule)
    return out


def judged_strictly(rows: list[dict], judged: dict[tuple[str, str], str]) -> dict:
    """Of the 清单之外 answers on these questions, how many are judged to the staff sets' strict
    standard (outside_strict.jsonl) and the share of those the township truly does not list."""
    known = [s for _, s in _judged_answers(rows, judged)]
    return {"township work: judged strictly": len(known),
            "township work: strictly, truly not listed": sum(s == "not_listed" for s in known) / max(1, len(known))}


def _judged_answers(rows: list[dict], judged: dict[tuple[str, str], str]) -> list[tuple[str, str]]:
    """(the rule that said it, the judged status) of each 清单之外 answer whose pair is judged."""
    return [(rule, judged[(town, a["question"])]) for a in rows for town, rule in a["outside"]
            if (town, a["question"]) in judged]


def summary(other: list[dict], township: list[dict], naming: list[dict]) -> dict:
    def share(rows, test):
        return sum(map(test, rows)) / len(rows) if rows else 0.0

    def of_answers(rows, verdict):
        return sum(a[verdict] for a in rows) / max(1, sum(a["towns"] for a in rows))
    return {
        "other questions": len(other),
        "other: 清单之外 in every township": share(other, lambda a: a["not_listed"] == a["towns"]),
        "other: 有此事项 in some township": share(other, lambda a: a["listed"] > 0),
        "other: 清单之外 share of township answers": of_answers(other, "not_listed"),
        "township questions": len(township),
        "township: 清单之外 in some township": share(township, lambda a: a["not_listed"] > 0),
        "township: 清单之外 in most townships": share(township, lambda a: a["not_listed"] * 2 > a["towns"]),
        "township: 清单之外 answers": sum(a["not_listed"] for a in township),
        "township: 有此事项 share of township answers": of_answers(township, "listed"),
        "naming others: questions": len(naming),
        "naming others: 清单之外 in some township": share(naming, lambda a: a["not_listed"] > 0),
        "naming others: 清单之外 answers": sum(a["not_listed"] for a in naming),
    }


def fresh_summary(other: list[dict], lookalike: list[dict], naming: list[dict]) -> dict:
    """The fresh set's figures (session 24): the old ones, and whether the authority named is the label's."""
    named = [a for a in other if a["authorities"]]
    return {
        "fresh other: questions": len(other),
        "fresh other: 清单之外 in every township": sum(a["not_listed"] == a["towns"] for a in other) / max(1, len(other)),
        "fresh other: 有此事项 in some township": sum(a["listed"] > 0 for a in other) / max(1, len(other)),
        "fresh other: 清单之外 share of answers": sum(a["not_listed"] for a in other) / max(1, sum(a["towns"] for a in other)),
        "fresh other: authority named is the label's": sum(a["label"] in a["authorities"] for a in named) / max(1, len(named)),
        "fresh look-alike: questions": len(lookalike),
        "fresh look-alike: 清单之外 in some township": sum(a["not_listed"] > 0 for a in lookalike) / max(1, len(lookalike)),
        "fresh look-alike: 清单之外 answers": sum(a["not_listed"] for a in lookalike),
        "fresh naming others: questions": len(naming),
        "fresh naming others: 清单之外 in some township": sum(a["not_listed"] > 0 for a in naming) / max(1, len(naming)),
        "fresh naming others: 清单之外 answers": sum(a["not_listed"] for a in naming),
    }


def seen_summary(engine) -> dict:
    asked, naming, typos = (answers(engine, load(kind)) for kind in SEEN)
    every = lambda rows: sum(a["not_listed"] == a["towns"] for a in rows)  # noqa: E731
    some = lambda rows: sum(a["listed"] > 0 for a in rows)  # noqa: E731
    return {"asked of the township: questions": len(asked), "asked: 清单之外 in every township": every(asked),
            "asked: 有此事项 in some township": some(asked),
            "naming others (seen): questions": len(naming),
            "naming others (seen): 清单之外 answers": sum(a["not_listed"] for a in naming),
            "typed with a typo: questions": len(typos), "typo: 清单之外 in every township": every(typos),
            "typo: 有此事项 in some township": some(typos)}


def measure(engine, half: str) -> dict:
    rows = {kind: answers(engine, load(kind, half)) for kind in ("other", "other_fresh", *TOWNSHIP_KINDS)}
    work = [a for kind in TOWNSHIP_KINDS for a in rows[kind]]
    return (summary(rows["other"], rows["township"], rows["naming"])
            | fresh_summary(rows["other_fresh"], rows["lookalike"], rows["naming_fresh"])
            | judged_outside(work, township_judgments())
            | judged_strictly(work, township_judgments((OUTSIDE_STRICT,))))


def print_table(figures: dict[str, dict]) -> None:
    halves = list(figures)
    print(f"{'':46}" + "".join(f"{h:>8}" for h in halves))
    for key in figures[halves[0]]:
        cells = [figures[h][key] for h in halves]
        print(f"{key:46}" + "".join(f"{c:8.3f}" if isinstance(c, float) else f"{c:8d}" for c in cells))


def print_misses(engine, half: str) -> None:
    if half != "tune":
        raise SystemExit("misses are listed for the tune half only: the test half is reported, never read for fixes")
    for a in [a for kind in TOWNSHIP_KINDS for a in answers(engine, load(kind, half))]:
        if a["not_listed"]:
            print(f"township work, 清单之外 in {a['not_listed']}/{a['towns']}: {a['question']} [{a['label']}] "
                  f"{' '.join(a['authorities'])}")
    for a in answers(engine, load("other", half)) + answers(engine, load("other_fresh", half)):
        if a["listed"]:
            print(f"{a['label']}'s work, 有此事项 in {a['listed']}/{a['towns']}: {a['question']}")


def main(argv=None) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from search.engine import Engine

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--misses", choices=HALVES)
    parser.add_argument("--seen", action="store_true", help="the seen questions of session 16 instead")
    parser.add_argument("--index", default=None)
    args = parser.parse_args(argv)
    engine = Engine.open(args.index)
    try:
        if args.misses:
            print_misses(engine, args.misses)
        elif args.seen:
            print_table({"seen": seen_summary(engine)})
        else:
            print_table({h: measure(engine, h) for h in HALVES})
    finally:
        engine.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
