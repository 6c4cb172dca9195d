"""Where should a question asked like another authority's work be 清单之外? (SearchConfig.owner_elsewhere_cosine,
_margin, _listed_p; search/owner.py asked_elsewhere)

    python tests/eval/elsewhere_cuts.py        # the grid below, about a minute

With the rule off, every tune-half answer that is not 清单之外 (nor of a township whose items name a
term the question names as their own work: the rule never rules those) is collected on the held-out tune view
(calibrate_owner.held_out_view), with the township's P(listed), the question's cosine to its
closest question of data/dict/other_work.tsv and to its closest staff question of the lists:
- right if ruled out: the judged pairs truly not listed (both staff sets' tune halves and the
  older set), every answer to whose_work's other authorities' work (since session 24 the fresh
  set's too);
- wrong if ruled out: the judged pairs truly listed, every answer to whose_work's township work and
  township work naming others (since session 24 the fresh look-alike and naming sets too), and to
  like_examples.tsv's tune half (every township lists it);
- whose_work's seen sets (tune data, read in full in session 16) counted apart.

For each (cosine, margin, P) it prints how many right and wrong answers the rule would turn into
清单之外. The served cuts were chosen a step at a time from the strictest, while a step's added
answers stayed at least 95% right (issue 11's precision for 清单之外).
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

RULE_OFF = {"owner_elsewhere_cosine": 2.0}


def _questions(engine) -> list[tuple[str, dict | None, bool | None, bool]]:
    """(question, judged owners or None, right-if-ruled-out for unjudged, seen)."""
    judged = [(q["query"], q["owners"]) for folder in SETS.values() for q in load_staff("tune", folder)]
    judged += [(q["query"], q["owners"]) for q in calibrate.older_as_staff(engine)]
    out = [(q, owners, None, False) for q, owners in judged]
    out += [(q, None, True, False) for kind in ("other", "other_fresh") for _, q in whose_work.load(kind, "tune")]
    out += [(q, None, False, False) for kind in ("township", "naming", "lookalike", "naming_fresh")
            for _, q in whose_work.load(kind, "tune")]
    out += [(q, None, False, False) for _, q in like_examples.load("tune")]
    out += [(q, None, kind != "naming_seen", True) for kind in whose_work.SEEN for _, q in whose_work.load(kind)]
    return out


def candidate_answers(engine) -> list[dict]:
    """Every tune answer the rule could turn into 清单之外, with its evidence."""
    rows = []
    for query, owners, right, seen in _questions(engine):
        result = engine.owner(query, townships=list(owners) if owners else None, size=len(engine.ranges),
                              explain=True)
        elsewhere = result.get("elsewhere")
        if not elsewhere:
            continue
        for row in result["results"]:
            if row["verdict"] == "not_listed" or row["own_work"]:  # the rule never rules those
                continue
            is_right = right if owners is None else owners[row["township"]]["status"] == "not_listed"
            rows.append({"seen": seen, "right": is_right, "p": row["confidence"], "cosine": elsewhere["cosine"],
                         "lead": elsewhere["cosine"] - elsewhere["lists_cosine"]})
    return rows


def ruled(rows: list[dict], cosine: float, margin: float, p: float) -> dict[str, int]:
    out = {"right": 0, "wrong": 0, "seen right": 0, "seen wrong": 0}
    for r in rows:
        if r["cosine"] >= cosine and r["lead"] >= margin and r["p"] < p:
            out[("seen " if r["seen"] else "") + ("right" if r["right"] else "wrong")] += 1
    return out


def main(argv=None) -> int:
    from search.config import SearchConfig

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cosine", type=float, nargs="+", default=[0.9, 0.88, 0.86, 0.85, 0.84, 0.82])
    parser.add_argument("--margin", type=float, nargs="+", default=[0.02, 0.0, -0.02])
    parser.add_argument("--p", type=float, nargs="+", default=[0.3, 0.5, 0.7, 1.01])
    args = parser.parse_args(argv)
    served = SearchConfig.from_env()
    rows = calibrate.on_held_out_view(candidate_answers, **RULE_OFF)
    print(f"answers not 清单之外 with the rule off: {sum(r['right'] for r in rows if not r['seen'])} truly not listed, "
          f"{sum(not r['right'] for r in rows if not r['seen'])} listed (seen sets apart: {sum(r['seen'] for r in rows)})")
    print(f"{'cos ≥':>6} {'margin ≥':>9} {'P <':>5} {'right':>6} {'wrong':>6} {'seen right':>11} {'seen wrong':>11}")
    for cosine, margin, p in itertools.product(args.cosine, args.margin, args.p):
        y = ruled(rows, cosine, margin, p)
        mark = "  (served)" if (cosine, margin, p) == (served.owner_elsewhere_cosine, served.owner_elsewhere_margin,
                                                        served.owner_elsewhere_listed_p) else ""
        print(f"{cosine:6.2f} {margin:9.2f} {p:5.2f} {y['right']:6d} {y['wrong']:6d} {y['seen right']:11d} "
              f"{y['seen wrong']:11d}{mark}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
