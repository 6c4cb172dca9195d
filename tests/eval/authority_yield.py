"""Where should the other-authority rule yield? (SearchConfig.owner_authority_yield_p, _words;
search/owner.py _named_in_passing)

    python tests/eval/authority_yield.py                  # the grids below, under a minute
    python tests/eval/authority_yield.py --p 0.7 --words 5

With the yield switched off, every (question, township) the rule rules out is collected from the
tune halves only, on the held-out tune view (calibrate_owner.held_out_view):
- known right: the staff set's and the older set's judged pairs truly not listed, and every
  answer to whose_work's other authorities' work (since session 24 the fresh set's too);
- known wrong: every answer to whose_work's township work and township work naming others
  (since session 24 the fresh look-alike and naming sets too).

For each candidate rule (yield where P(listed) ≥ p and the question says ≥ words content words
besides the authority's terms) it prints how many judged right answers, other-work answers and
wrong answers would yield: the first two are true 清单之外 lost, the last false 清单之外 removed.

Then the second rule (SearchConfig.owner_authority_rest_p, session 22): beside the served first
rule, yield where P(listed) of the question's clauses without the terms, weighed alone, is at
least the cut. Its grid adds whose_work's seen sets (tune data: read in full in session 16):
questions asked of the township (right), more township work naming others (wrong), and typos of
other authorities' terms (right).

Then the third (SearchConfig.owner_authority_rest_held_p, session 23): beside both served rules,
yield where some township (of those ruled on, or the leaders) holds those clauses at
owner_authority_rest_p and this one at least at the cut. The engine here weighs the clauses with
owner_authority_rest_p at 1, so they are weighed but never yield by themselves (above 1 they are not
weighed: session 22's bench switch had turned this grid to zeros until session 23).

Then the fourth (SearchConfig.owner_authority_told_p, session 24): beside the three served rules,
yield where the question names the authorities only as bodies before its last clause
(Segmenter.authorities_told) and this township holds those clauses at least at the cut.

Last, each served cut made one step looser with the other three served (session 25): the four
grids above each move one rule with the later ones off, and the rules overlap.

Since session 25 every township-work answer the rule gives here with its yields off is judged
against that township's list (whose_work.township_judgments): one the township truly does not
list counts as "work right" — a true 清单之外 a yield loses — and only the rest as wrong.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[2])]

import calibrate_owner as calibrate  # noqa: E402
import whose_work  # noqa: E402
from staff_set import load_staff  # noqa: E402


# Every yield off, the clauses without the terms still weighed: at 1 they are (above 1 they are
# not) and P(listed) never reaches it.
YIELD_OFF = {"owner_authority_yield_p": 2.0, "owner_authority_rest_p": 1.0, "owner_authority_rest_held_p": 2.0,
             "owner_authority_told_p": 2.0}


# (setting, its place among yielding()'s cuts, a looser value) for the joint reading
LOOSER = (("yield_p", 0, 0.7), ("rest_p", 2, 0.8), ("rest_p", 2, 0.75), ("rest_held_p", 3, 0.1), ("told_p", 4, 0.1))


def ruled_out_answers(engine) -> list[dict]:
    """Every tune-half answer ruled out as another authority's work: its set, whether 清单之外 is
    right, P(listed) and the content words said besides the terms."""
    from search.owner import said_besides

    judged = [(q["query"], q["owners"]) for q in load_staff("tune") + calibrate.older_as_staff(engine)]
    labelled = [(q, None, True, False) for _, q in whose_work.load("other", "tune")]
    labelled += [(q, None, False, False) for kind in ("township", "naming") for _, q in whose_work.load(kind, "tune")]
    labelled += [(q, None, True, False) for _, q in whose_work.load("other_fresh", "tune")]
    labelled += [(q, None, False, False) for kind in ("lookalike", "naming_fresh") for _, q in whose_work.load(kind, "tune")]
    labelled += [(q, None, kind != "naming_seen", True) for kind in whose_work.SEEN for _, q in whose_work.load(kind)]
    judged_work = whose_work.township_judgments()
    rows = []
    for query, owners, right, seen in [(q, o, None, False) for q, o in judged] + labelled:
        named = engine.segmenter.named_authorities(query)
        if not named:
            continue
        besides = said_besides(engine.segmenter.query_groups(query), named)
        result = engine.owner(query, townships=list(owners) if owners else None, size=len(engine.ranges),
                              explain=True)
        for row in result["results"]:
            if row["authorities"]:
                is_right = right if owners is None else owners[row["township"]]["status"] == "not_listed"
                if owners is None and not right and not seen:
                    is_right = judged_work.get((row["township"], query)) == "not_listed"
                rows.append({"set": "judged" if owners else ("other" if right else "township"), "seen": seen,
                             "right": is_right, "p": row["confidence"], "besides": besides,
                             "rest_p": row["rest_p"] or 0.0, "rest_lead": row["rest_lead"] or 0.0,
                             "told": row["told"]})
    return rows


def yielding(rows: list[dict], p: float, words: int, rest_p: float = 2.0, held_p: float = 2.0,
             told_p: float = 2.0) -> dict[str, int]:
    """How many answers of each kind the rules yield on (the first rule at p and words, the second
    at rest_p, the third where some township holds the rest at rest_p and this one at held_p, the
    fourth where the question names only bodies before its last clause and this township holds the
    rest at told_p); the seen sets are counted apart."""
    out = {"judged right": 0, "other work": 0, "work right": 0, "wrong": 0, "seen right": 0, "seen wrong": 0}
    for r in rows:
        if (r["p"] >= p and r["besides"] >= words) or r["rest_p"] >= rest_p or \
                (r["rest_lead"] >= rest_p and r["rest_p"] >= held_p) or (r["told"] and r["rest_p"] >= told_p):
            if r["seen"]:
                out["seen right" if r["right"] else "seen wrong"] += 1
            else:
                out["wrong" if not r["right"] else {"judged": "judged right", "other": "other work"}.get(
                    r["set"], "work right")] += 1
    return out


def main(argv=None) -> int:
    from search.config import SearchConfig

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--p", type=float, nargs="+", default=[0.6, 0.7, 0.8])
    parser.add_argument("--words", type=int, nargs="+", default=[0, 5, 7])
    parser.add_argument("--rest", type=float, nargs="+", default=[0.7, 0.75, 0.8, 0.85, 0.9, 0.95])
    parser.add_argument("--held", type=float, nargs="+", default=[0.5, 0.4, 0.3, 0.2, 0.1, 0.05])
    parser.add_argument("--told", type=float, nargs="+", default=[0.5, 0.4, 0.3, 0.2, 0.1, 0.05, 0.0])
    args = parser.parse_args(argv)
    served = SearchConfig.from_env()
    rows = calibrate.on_held_out_view(ruled_out_answers, **YIELD_OFF)
    totals = yielding(rows, -1.0, 0)
    print(f"ruled out with the yield off: {totals['judged right']} judged right, {totals['other work']} "
          f"other authorities' work, {totals['work right']} township work the township does not list (right), "
          f"{totals['wrong']} township work (wrong)")
    print(f"{'P ≥':>5} {'words ≥':>8} {'judged right lost':>18} {'other work lost':>16} {'work right lost':>16} "
          f"{'wrong removed':>14}")
    for p in args.p:
        for words in args.words:
            y = yielding(rows, p, words)
            mark = "  (served)" if (p, words) == (served.owner_authority_yield_p, served.owner_authority_yield_words) else ""
            print(f"{p:5.2f} {words:8d} {y['judged right']:18d} {y['other work']:16d} {y['work right']:16d} "
                  f"{y['wrong']:14d}{mark}")
    first = (served.owner_authority_yield_p, served.owner_authority_yield_words)
    base = yielding(rows, *first)
    print(f"\nbeside the served first rule, the clauses without the terms at P(listed) ≥ rest (further answers):")
    print(f"{'rest ≥':>6} {'judged right lost':>18} {'other work lost':>16} {'work right lost':>16} {'wrong removed':>14} "
          f"{'seen right lost':>16} {'seen wrong removed':>19}")
    for rest in args.rest:
        y = yielding(rows, *first, rest)
        d = {k: y[k] - base[k] for k in y}
        mark = "  (served)" if rest == served.owner_authority_rest_p else ""
        print(f"{rest:6.2f} {d['judged right']:18d} {d['other work']:16d} {d['work right']:16d} {d['wrong']:14d} "
              f"{d['seen right']:16d} {d['seen wrong']:19d}{mark}")
    rest = served.owner_authority_rest_p
    base = yielding(rows, *first, rest)
    print(f"\nbeside both served rules, some township holds the clauses at P ≥ {rest:.2f} and this one at P ≥ held "
          f"(further answers):")
    print(f"{'held ≥':>6} {'judged right lost':>18} {'other work lost':>16} {'work right lost':>16} {'wrong removed':>14} "
          f"{'seen right lost':>16} {'seen wrong removed':>19}")
    for held in args.held:
        y = yielding(rows, *first, rest, held)
        d = {k: y[k] - base[k] for k in y}
        mark = "  (served)" if held == served.owner_authority_rest_held_p else ""
        print(f"{held:6.2f} {d['judged right']:18d} {d['other work']:16d} {d['work right']:16d} {d['wrong']:14d} "
              f"{d['seen right']:16d} {d['seen wrong']:19d}{mark}")
    held = served.owner_authority_rest_held_p
    base = yielding(rows, *first, rest, held)
    print(f"\nbeside the three served rules, the question names only bodies before its last clause and this "
          f"township holds the rest at P ≥ told (further answers):")
    print(f"{'told ≥':>6} {'judged right lost':>18} {'other work lost':>16} {'work right lost':>16} {'wrong removed':>14} "
          f"{'seen right lost':>16} {'seen wrong removed':>19}")
    for told in args.told:
        y = yielding(rows, *first, rest, held, told)
        d = {k: y[k] - base[k] for k in y}
        mark = "  (served)" if told == served.owner_authority_told_p else ""
        print(f"{told:6.2f} {d['judged right']:18d} {d['other work']:16d} {d['work right']:16d} {d['wrong']:14d} "
              f"{d['seen right']:16d} {d['seen wrong']:19d}{mark}")
    served_cuts = (*first, rest, held, served.owner_authority_told_p)
    base = yielding(rows, *served_cuts)
    print("\none served cut looser, the other three served (further answers):")
    print(f"{'cut':>24} {'judged right lost':>18} {'other work lost':>16} {'work right lost':>16} {'wrong removed':>14} "
          f"{'seen right lost':>16} {'seen wrong removed':>19}")
    for name, at, value in LOOSER:
        cuts = list(served_cuts)
        cuts[at] = value
        d = {k: v - base[k] for k, v in yielding(rows, *cuts).items()}
        print(f"{name + ' ' + str(value):>24} {d['judged right']:18d} {d['other work']:16d} {d['work right']:16d} "
              f"{d['wrong']:14d} {d['seen right']:16d} {d['seen wrong']:19d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
