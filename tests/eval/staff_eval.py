"""Figures on the staff question set, per half: owner verdicts per (question, township) and ranking.

    python tests/eval/staff_eval.py                 # tune and test halves side by side
    python tests/eval/staff_eval.py --misses tune   # the tune half's wrong owner answers (never the test half's
                                                    # for tuning: see tests/eval/README.md)
    python tests/eval/staff_eval.py --set staff2    # the second staff set (session 22), its two halves
    python tests/eval/staff_eval.py --set staff3    # the third (session 26)

Owner, per judged (question, township) pair — the truth is "listed" (with the lists of its grade-3
items, else grade-2) or "not_listed":
- status accuracy: verdict 有此事项 with the main item on an acceptable list, or 清单之外 for a
  not-listed pair; 可能相关 counts as wrong (it answers nothing);
- item accuracy: listed pairs whose main item is judged ≥ 2;
- 清单之外 precision and recall over the not-listed pairs; the 可能相关 share;
- the ceiling the 清单之外 rules leave (session 20): a township that shares a word with the task
  is never 清单之外 unless the task is another authority's work or (session 24) another township
  clearly holds it (search/owner.py _answer), so a
  not-listed pair where it does can only be answered wrong; the status accuracy if every other
  pair were answered right, and how many not-listed pairs share a word;
- parts: listed pairs whose judged ≥ 2 items span two lists, and how often the answer shows both;
- items shown with 有此事项 (whatever the truth): how often the answer item, and each related item
  after it (role "related"), is judged ≥ 2.
Ranking: nDCG@10 per mode, relevance the union of every township's judged items (filtered to the
township a question names); questions listed nowhere are left out.
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from evaluate import ndcg_at_k  # noqa: E402
from staff_set import HALVES, SETS, acceptable_lists, load_staff, relevant_records  # noqa: E402

MODES = ("keyword", "semantic", "hybrid")


def verdict_of(row: dict) -> str:
    if "verdict" in row:
        return row["verdict"]
    return "not_listed" if row["status"] == "not_listed" else "listed"


def main_item(row: dict) -> dict | None:
    items = row.get("items")
    if items:
        return items[0]["duty"]
    return row.get("duty")


def owner_pairs(engine, questions: list[dict]) -> list[dict]:
    """One entry per judged (question, township): truth, verdict and whether each is right."""
    list_type_of = {}
    pairs = []
    for q in questions:
        towns = list(q["owners"])
        answer = engine.owner(q["query"], townships=towns, size=len(towns), explain=True)
        rows = {r["township"]: r for r in answer["results"]}
        for town, judgment in q["owners"].items():
            row = rows[town]
            verdict = verdict_of(row)
            items = judgment.get("items", {})
            for entry in row.get("items") or ([{"duty": row["duty"]}] if row.get("duty") else []):
                list_type_of[entry["duty"]["id"]] = entry["duty"]["list_type"]
            main = main_item(row) if verdict == "listed" else None
            truth = judgment["status"]
            pair = {"qid": q["qid"], "query": q["query"], "township": town, "truth": truth, "verdict": verdict,
                    "main": main, "row": row, "judged": items}
            if truth == "listed":
                lists = acceptable_lists(judgment, _list_types(engine, items))
                pair["status_ok"] = verdict == "listed" and main is not None and main["list_type"] in lists
                pair["item_ok"] = verdict == "listed" and main is not None and items.get(main["id"], 0) >= 2
                answer_lists = {_list_types(engine, items).get(i) for i, g in items.items() if g >= 2}
                pair["two_parts"] = len(answer_lists) > 1
                shown = {e["duty"]["list_type"] for e in row.get("items") or [] if items.get(e["duty"]["id"], 0) >= 2}
                pair["both_parts_shown"] = pair["two_parts"] and len(shown) > 1
            else:
                pair["status_ok"] = verdict == "not_listed"
            pair["out_allowed"] = out_allowed(row, answer, engine.config)
            pairs.append(pair)
    return pairs


def out_allowed(row: dict, answer: dict, config) -> bool:
    """Whether the 清单之外 rules could answer this township at all (owner explain fields): another
    authority's work, nothing to weigh, no word in common with the task, nothing close anywhere, or
    (session 24) another township holding the task clearly (search/owner.py held_by)."""
    from search.owner import listed_probability
    held = listed_probability(config, row["leader_p"], row["leader_p"], row["leaders_clear"]) >= config.owner_held_lead_p
    return (bool(row["authorities"]) or not row["candidates"] or not row["shares_words"] or bool(answer["nothing_close"])
            or held)


_LT_CACHE: dict[str, str] = {}


def _list_types(engine, items: dict) -> dict[str, str]:
    for i in items:
        if i not in _LT_CACHE:
            record = engine.get(i)
            _LT_CACHE[i] = record["list_type"] if record else "?"
    return {i: _LT_CACHE[i] for i in items}


def owner_summary(pairs: list[dict]) -> dict:
    listed = [p for p in pairs if p["truth"] == "listed"]
    said_out = [p for p in pairs if p["verdict"] == "not_listed"]
    truly_out = [p for p in pairs if p["truth"] == "not_listed"]
    two = [p for p in listed if p.get("two_parts")]
    return {
        "pairs": len(pairs), "listed": len(listed), "not_listed": len(truly_out),
        "status_accuracy": _mean(p["status_ok"] for p in pairs),
        "item_accuracy": _mean(p["item_ok"] for p in listed),
        "not_listed_precision": _mean(p["truth"] == "not_listed" for p in said_out),
        "not_listed_recall": _mean(p["verdict"] == "not_listed" for p in truly_out),
        "not_listed_said": len(said_out),
        "possible_share": _mean(p["verdict"] == "possible" for p in pairs),
        "status_ceiling": _mean(p["truth"] == "listed" or p["out_allowed"] for p in pairs),
        "not_listed_sharing": sum(p["truth"] == "not_listed" and not p["out_allowed"] for p in pairs),
        "two_part_pairs": len(two), "both_parts_shown": _mean(p["both_parts_shown"] for p in two),
        "answer_item_judged": _mean(_judged(p, "answer") for p in pairs if p["verdict"] == "listed"),
        # 有此事项 given with little certainty (the answer's verdict_note asks for a check) and how
        # often such answers, and the sure ones, are right (status_ok)
        "unsure_share": _mean(bool(p["row"].get("verdict_note")) for p in pairs if p["verdict"] == "listed"),
        "unsure_right": _mean(p["status_ok"] for p in pairs if p["verdict"] == "listed" and p["row"].get("verdict_note")),
        "sure_right": _mean(p["status_ok"] for p in pairs if p["verdict"] == "listed" and not p["row"].get("verdict_note")),
        "related_items_judged": _mean(ok for p in pairs if p["verdict"] == "listed" for ok in _judged(p, "related")),
        "related_items_shown": sum(len(_judged(p, "related")) for p in pairs if p["verdict"] == "listed"),
    }


def _judged(pair: dict, role: str):
    """Whether the answer item (role "answer": one bool) or each related item (a list) is judged ≥ 2."""
    shown = [pair["judged"].get(i["duty"]["id"], 0) >= 2 for i in pair["row"]["items"] if i["role"] == role]
    return shown[0] if role == "answer" else shown


def ranking_summary(engine, questions: list[dict]) -> dict:
    out = {}
    for mode in MODES:
        scores, cut = [], []
        for q in questions:
            relevant = relevant_records(q)
            if not any(g >= 2 for g in relevant.values()):
                continue
            filters = {"township": q["township"]} if q.get("township") else None
            result = engine.search(q["query"], mode=mode, filters=filters, size=10)
            scores.append(ndcg_at_k([h["duty"]["id"] for h in result["hits"]], relevant))
            cut.append(result.get("total_relation") == "gte")
        out[mode] = {"ndcg@10": _mean(scores), "queries": len(scores), "total_cut": _mean(cut)}
    return out


def nowhere_summary(engine, questions: list[dict]) -> dict:
    """Questions listed in no township: how many does hybrid search answer with no hits (没有找到)?"""
    nowhere = [q for q in questions if all(j["status"] == "not_listed" for j in q["owners"].values())]
    empty = [engine.search(q["query"], mode="hybrid", size=1)["total"] == 0 for q in nowhere]
    return {"questions": len(nowhere), "no_hits": _mean(empty)}


def _mean(values) -> float | None:
    values = [float(v) for v in values]
    return statistics.fmean(values) if values else None


def figures(engine, half: str, folder: Path = SETS["staff"]) -> dict:
    questions = load_staff(half, folder)
    pairs = owner_pairs(engine, questions)
    return {"questions": len(questions), "owner": owner_summary(pairs), "ranking": ranking_summary(engine, questions),
            "nowhere": nowhere_summary(engine, questions), "_pairs": pairs}


def print_side_by_side(report: dict, name: str = "staff") -> None:
    halves = [h for h in HALVES if h in report]
    print(f"{name} questions (tests/eval/{name}): " + ", ".join(f"{h} {report[h]['questions']}" for h in halves))
    print(f"{'':<34}" + "".join(f"{h:>10}" for h in halves))
    rows = [("owner pairs", lambda r: r["owner"]["pairs"], "d"),
            ("owner status accuracy", lambda r: r["owner"]["status_accuracy"], "f"),
            ("owner item accuracy (listed)", lambda r: r["owner"]["item_accuracy"], "f"),
            ("清单之外 precision", lambda r: r["owner"]["not_listed_precision"], "f"),
            ("清单之外 recall", lambda r: r["owner"]["not_listed_recall"], "f"),
            ("清单之外 answers", lambda r: r["owner"]["not_listed_said"], "d"),
            ("可能相关 share", lambda r: r["owner"]["possible_share"], "f"),
            ("not listed, a word shared", lambda r: r["owner"]["not_listed_sharing"], "d"),
            ("status ceiling of the 清单之外 rules", lambda r: r["owner"]["status_ceiling"], "f"),
            ("two-part tasks: both parts shown", lambda r: r["owner"]["both_parts_shown"], "f"),
            ("有此事项: answer item judged ≥ 2", lambda r: r["owner"]["answer_item_judged"], "f"),
            ("有此事项: share marked unsure", lambda r: r["owner"]["unsure_share"], "f"),
            ("有此事项 right, marked unsure", lambda r: r["owner"]["unsure_right"], "f"),
            ("有此事项 right, not marked", lambda r: r["owner"]["sure_right"], "f"),
            ("有此事项: related items judged ≥ 2", lambda r: r["owner"]["related_items_judged"], "f"),
            ("有此事项: related items shown", lambda r: r["owner"]["related_items_shown"], "d")]
    rows += [(f"{m} nDCG@10", (lambda m: lambda r: r["ranking"][m]["ndcg@10"])(m), "f") for m in MODES]
    rows += [("semantic totals cut at the depth", lambda r: r["ranking"]["semantic"]["total_cut"], "f")]
    rows += [("listed nowhere: no hits", lambda r: r["nowhere"]["no_hits"], "f")]
    for label, get, kind in rows:
        cells = []
        for h in halves:
            v = get(report[h])
            cells.append(f"{'—':>10}" if v is None else (f"{v:>10d}" if kind == "d" else f"{v:>10.3f}"))
        print(f"{label:<34}" + "".join(cells))


def print_misses(pairs: list[dict]) -> None:
    for p in pairs:
        if p["status_ok"]:
            continue
        main = p["main"] or (p["row"].get("items") or [{}])[0].get("duty") or p["row"].get("nearest") or {}
        judged = ", ".join(f"{i}:{g}" for i, g in p["judged"].items())
        print(f"{p['qid']} {p['query'][:30]} @ {p['township']}: truth {p['truth']}, said {p['verdict']} "
              f"[{main.get('list_type', '')} {main.get('name', '')[:30]}] judged {judged}")


def run(argv=None) -> int:
    from search.engine import Engine

    parser = argparse.ArgumentParser()
    parser.add_argument("--index-dir", default=None)
    parser.add_argument("--misses", choices=["tune"], help="list the tune half's wrong owner answers")
    parser.add_argument("--half", choices=list(HALVES), action="append")
    parser.add_argument("--set", choices=list(SETS), default="staff", help="which staff set (tests/eval/staff_set.SETS)")
    args = parser.parse_args(argv)
    engine = Engine.open(args.index_dir)
    if args.misses:
        print_misses(figures(engine, args.misses, SETS[args.set])["_pairs"])
        return 0
    report = {h: figures(engine, h, SETS[args.set]) for h in (args.half or HALVES)}
    print_side_by_side(report, args.set)
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
