"""Where is a task another township clearly holds 清单之外 in this one? (SearchConfig.owner_held_lead_p,
owner_held_p; search/owner.py held_by)

    python tests/eval/held_cuts.py        # the grid below, under a minute

With the rule off, every tune-half answer that is not 清单之外 is collected on the held-out tune view
(calibrate_owner.held_out_view), with the township's P(listed) and the leaders' (the best item's
township, the same whatever the page):
- judged: both staff sets' tune halves and the older set, right if the pair is truly not listed;
- like_examples.tsv's tune half: every township lists the task, so 清单之外 would be wrong;
- whose_work's tune halves apart: other authorities' work (right), and township work — old,
  look-alike and naming others — whose label is the question's, not the township's: a township
  that truly lacks work another clearly holds is what this rule is for, so these are printed as a
  bound, not counted wrong;
- whose_work's seen sets apart.

The served cuts were chosen a step at a time from the strictest, while a step's added answers on
judged pairs and like_examples stayed at least 95% right (issue 11's precision for 清单之外).

Session 25 judged, per township, the township-work and like_examples answers in the rule's
reach (leaders ≥ 0.93, P(listed) < 0.40 on this view; `held_region.jsonl`, kind township_work):
those, and any other answer judged so (whose_work.township_judgments), now count as judged ("work
right / wrong"), the like_examples premise giving way to the township's own judgment; the rest
stay a bound. The same file holds a second judgment of 81 staff
pairs drawn from the same reach (kind second_judge), and the agreement of the two judges there is
printed last: how far a precision figure in this region can be trusted. Session 26 had a third
reader decide the 28 pairs where they disagree (kind adjudicated: the township's list, the
question and both readings in a seeded random order, no engine answer), and prints whose side it
takes.
"""
from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[2])]

import calibrate_owner as calibrate  # noqa: E402
import like_examples  # noqa: E402
import whose_work  # noqa: E402
from staff_set import SETS, load_staff  # noqa: E402

RULE_OFF = {"owner_held_lead_p": 2.0}
KEYS = ("judged right", "judged wrong", "work right", "work wrong", "like wrong", "other right", "township work",
        "seen right", "seen wrong")
JUDGED, LIKE, OTHER, TOWNSHIP, SEEN = "judged", "like", "other", "township", "seen"


def _questions(engine) -> list[tuple[str, dict | None, str, bool | None]]:
    """(question, judged owners or None, its group, right-if-ruled-out for unjudged)."""
    judged = judged_questions(engine)
    out = [(q, owners, JUDGED, None) for q, owners in judged]
    out += [(q, None, LIKE, False) for _, q in like_examples.load("tune")]
    out += [(q, None, OTHER, True) for kind in ("other", "other_fresh") for _, q in whose_work.load(kind, "tune")]
    out += [(q, None, TOWNSHIP, False) for kind in ("township", "naming", "lookalike", "naming_fresh")
            for _, q in whose_work.load(kind, "tune")]
    out += [(q, None, SEEN, kind != "naming_seen") for kind in whose_work.SEEN for _, q in whose_work.load(kind)]
    return out


def judged_questions(engine) -> list[tuple[str, dict]]:
    """(question, its judged owners) of both staff sets' tune halves and the older set."""
    judged = [(q["query"], q["owners"]) for folder in SETS.values() for q in load_staff("tune", folder)]
    return judged + [(q["query"], q["owners"]) for q in calibrate.older_as_staff(engine)]


def second_judgments(path: Path = whose_work.HELD_REGION, kind: str = "second_judge") -> dict[tuple[str, str], str]:
    """held_region.jsonl's second judgments of staff pairs (or, with kind "adjudicated", a third
    reader's decisions where the two judges disagree): (township, question) → status."""
    with open(path, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return {(r["township"], r["query"]): r["status"] for r in rows if r["kind"] == kind}


def candidate_answers(engine) -> list[dict]:
    """Every tune answer the rule could turn into 清单之外: its group, whether that would be right,
    the township's P(listed) and the leaders'."""
    from search.owner import listed_probability
    rows = []
    for query, owners, group, right in _questions(engine):
        result = engine.owner(query, townships=list(owners) if owners else None, size=len(engine.ranges),
                              explain=True)
        for row in result["results"]:
            if row["verdict"] == "not_listed":
                continue
            lead = listed_probability(engine.config, row["leader_p"], row["leader_p"], row["leaders_clear"])
            is_right = right if owners is None else owners[row["township"]]["status"] == "not_listed"
            rows.append({"group": group, "right": is_right, "p": row["confidence"], "lead": lead,
                         "township": row["township"], "query": query})
    return rows


def ruled(rows: list[dict], lead: float, p: float, work: dict | None = None) -> dict[str, int]:
    """How many answers of each kind the rule would rule out at these cuts; `work`: township-work
    and like_examples answers judged per township (whose_work.township_judgments: (township,
    question) → status), which count as judged."""
    out = dict.fromkeys(KEYS, 0)
    for r in rows:
        if r["lead"] >= lead and r["p"] < p:
            g = r["group"]
            judged = (work or {}).get((r["township"], r["query"])) if g in (LIKE, TOWNSHIP) else None
            if judged:
                key = f"work {'right' if judged == 'not_listed' else 'wrong'}"
            else:
                key = {LIKE: "like wrong", OTHER: "other right", TOWNSHIP: "township work"}.get(g) or \
                    f"{g} {'right' if r['right'] else 'wrong'}"
            out[key] += 1
    return out


def precision(counts: dict[str, int]) -> float | None:
    """The share right among the answers whose truth is known (judged, work judged, like_examples)."""
    right = counts["judged right"] + counts["work right"]
    said = right + counts["judged wrong"] + counts["work wrong"] + counts["like wrong"]
    return right / said if said else None


def first_judgments(engine) -> dict[tuple[str, str], str]:
    """(township, question) → the staff (first) judge's status, over judged_questions."""
    return {(town, q): owners[town]["status"] for q, owners in judged_questions(engine) for town in owners}


def adjudicated(first: dict[tuple[str, str], str]) -> tuple[int, int]:
    """Where the two judges disagree, how often the third reader (session 26) sides with the
    first judge and how often with the second."""
    decided = second_judgments(kind="adjudicated")
    return (sum(first[key] == status for key, status in decided.items()),
            sum(first[key] != status for key, status in decided.items()))


def second_judge_agreement(first: dict[tuple[str, str], str]) -> tuple[int, int, int, int]:
    """held_region.jsonl's second judgments of staff pairs against the first judge's (`first`):
    (both listed, both not, first not listed but second listed, first listed but second not)."""
    pairs = [(first[key], status) for key, status in second_judgments().items()]
    return (sum(a == b == "listed" for a, b in pairs), sum(a == b == "not_listed" for a, b in pairs),
            sum(a == "not_listed" and b == "listed" for a, b in pairs),
            sum(a == "listed" and b == "not_listed" for a, b in pairs))


def _answers_and_agreement(engine) -> tuple[list[dict], tuple[int, int, int, int], tuple[int, int]]:
    first = first_judgments(engine)
    return candidate_answers(engine), second_judge_agreement(first), adjudicated(first)


def main(argv=None) -> int:
    from search.config import SearchConfig

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lead", type=float, nargs="+", default=[0.99, 0.98, 0.97, 0.96, 0.95])
    parser.add_argument("--p", type=float, nargs="+", default=[0.05, 0.1, 0.15, 0.2, 0.25, 0.3])
    args = parser.parse_args(argv)
    served = SearchConfig.from_env()
    rows, agreement, third = calibrate.on_held_out_view(_answers_and_agreement, **RULE_OFF)
    work = whose_work.township_judgments()
    judged = [r for r in rows if r["group"] == JUDGED]
    print(f"answers not 清单之外 with the rule off: {len(judged)} judged ({sum(r['right'] for r in judged)} truly "
          f"not listed), {sum(r['group'] == LIKE for r in rows)} like_examples, {len(rows) - len(judged)} others; "
          f"{len(work)} township-work and like_examples answers judged per township")
    print(f"{'lead ≥':>6} {'P <':>5} " + " ".join(f"{k:>13}" for k in KEYS) + f" {'precision':>10}")
    for lead, p in itertools.product(args.lead, args.p):
        y = ruled(rows, lead, p, work)
        mark = "  (served)" if (lead, p) == (served.owner_held_lead_p, served.owner_held_p) else ""
        share = precision(y)
        print(f"{lead:6.2f} {p:5.2f} " + " ".join(f"{y[k]:13d}" for k in KEYS)
              + (f" {share:10.3f}" if share is not None else f" {'-':>10}") + mark)
    both, neither, second_more, first_more = agreement
    n = both + neither + second_more + first_more
    print(f"second judge on {n} staff pairs in this reach (held_region.jsonl): agrees on {(both + neither) / n:.2f}; "
          f"listed where the first judge said not listed {second_more}, the reverse {first_more}")
    with_first, with_second = third
    print(f"a third reader on those {with_first + with_second} disagreements (session 26) sides with the first judge "
          f"{with_first} times, with the second {with_second}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
