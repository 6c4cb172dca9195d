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
"""
from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[2])]

import calibrate_owner as calibrate  # noqa: E402
import like_examples  # noqa: E402
import whose_work  # noqa: E402
from staff_set import SETS, load_staff  # noqa: E402

RULE_OFF = {"owner_held_lead_p": 2.0}
JUDGED, LIKE, OTHER, TOWNSHIP, SEEN = "judged", "like", "other", "township", "seen"


def _questions(engine) -> list[tuple[str, dict | None, str, bool | None]]:
    """(question, judged owners or None, its group, right-if-ruled-out for unjudged)."""
    judged = [(q["query"], q["owners"]) for folder in SETS.values() for q in load_staff("tune", folder)]
    judged += [(q["query"], q["owners"]) for q in calibrate.older_as_staff(engine)]
    out = [(q, owners, JUDGED, None) for q, owners in judged]
    out += [(q, None, LIKE, False) for _, q in like_examples.load("tune")]
    out += [(q, None, OTHER, True) for kind in ("other", "other_fresh") for _, q in whose_work.load(kind, "tune")]
    out += [(q, None, TOWNSHIP, False) for kind in ("township", "naming", "lookalike", "naming_fresh")
            for _, q in whose_work.load(kind, "tune")]
    out += [(q, None, SEEN, kind != "naming_seen") for kind in whose_work.SEEN for _, q in whose_work.load(kind)]
    return out


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
            rows.append({"group": group, "right": is_right, "p": row["confidence"], "lead": lead})
    return rows


def ruled(rows: list[dict], lead: float, p: float) -> dict[str, int]:
    out = dict.fromkeys(("judged right", "judged wrong", "like wrong", "other right", "township work",
                         "seen right", "seen wrong"), 0)
    for r in rows:
        if r["lead"] >= lead and r["p"] < p:
            g = r["group"]
            key = {LIKE: "like wrong", OTHER: "other right", TOWNSHIP: "township work"}.get(g) or \
                f"{g} {'right' if r['right'] else 'wrong'}"
            out[key] += 1
    return out


def main(argv=None) -> int:
    from search.config import SearchConfig

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lead", type=float, nargs="+", default=[0.99, 0.98, 0.97, 0.96, 0.95])
    parser.add_argument("--p", type=float, nargs="+", default=[0.05, 0.1, 0.15, 0.2, 0.3])
    args = parser.parse_args(argv)
    served = SearchConfig.from_env()
    rows = calibrate.on_held_out_view(candidate_answers, **RULE_OFF)
    judged = [r for r in rows if r["group"] == JUDGED]
    print(f"answers not 清单之外 with the rule off: {len(judged)} judged ({sum(r['right'] for r in judged)} truly "
          f"not listed), {sum(r['group'] == LIKE for r in rows)} like_examples, {len(rows) - len(judged)} others")
    keys = list(ruled([], 0, 0))
    print(f"{'lead ≥':>6} {'P <':>5} " + " ".join(f"{k:>13}" for k in keys))
    for lead, p in itertools.product(args.lead, args.p):
        y = ruled(rows, lead, p)
        mark = "  (served)" if (lead, p) == (served.owner_held_lead_p, served.owner_held_p) else ""
        print(f"{lead:6.2f} {p:5.2f} " + " ".join(f"{y[k]:13d}" for k in keys) + mark)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
