"""Evaluate the built index against the hand-judged relevance set in tests/eval/.

    python tests/eval/evaluate.py                    # table: nDCG@10, Recall@10, MRR per mode + owner
    python tests/eval/evaluate.py --json             # the same figures as JSON
    python tests/eval/evaluate.py --per-query        # one line per query and mode (find the losers)
    python tests/eval/evaluate.py --show q001        # a query's top 10 per mode, with the judged grades
    python tests/eval/evaluate.py --sweep            # hybrid figures over a grid of fusion settings
    python tests/eval/evaluate.py --index-dir DIR    # another index root (default: TDS_INDEX_DIR or var/index)

Metrics (ranking; the not-listed queries have no relevant records and are left out):
- nDCG@10, graded: gain 2^g − 1 for grade g (3 exact, 2 answers it, 1 related), log2 discount;
  the ideal ranking is every judged record sorted by grade.
- Recall@10: share of the records that answer the query (grade ≥ 2) found in the top 10;
  the denominator is min(#answering, 10), so a query with 16 answering records can reach 1.0.
- MRR@10: 1 / rank of the first answering (grade ≥ 2) record in the top 10, 0 if none.
Owner ("who owns it" per township, `engine.owner`):
- owner.jsonl: status accuracy (basic / cooperative / recovered / not_listed right) and full
  accuracy (status right and, when listed, the returned item one of the acceptable ids).
- not-listed precision / recall over the owner.jsonl pairs plus every township for each
  not-listed query of queries.jsonl ("nowhere" pairs).
- the staff set (tests/eval/staff): its tune and test halves side by side (staff_eval.py); the
  owner verdict itself is fitted by calibrate_owner.py on the tune half.
- the second staff set (tests/eval/staff2, session 22): the same figures on 88 questions written
  and judged the same way a round later; and the third (tests/eval/staff3, session 26), written and
  judged the same way again after every rule of the verdict had been chosen.
- whose work (tests/eval/whose_work): questions labelled by whose work they are, both halves side
  by side (whose_work.py): other authorities' work said 清单之外, township work said 清单之外.

Relevance judgments never come from this engine: see tests/eval/README.md.
"""
from __future__ import annotations

import argparse
import copy
import itertools
import json
import math
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

EVAL_DIR = Path(__file__).resolve().parent
MODES = ("keyword", "semantic", "hybrid")
K = 10


# ----- data

def load_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_sets(eval_dir: Path = EVAL_DIR) -> tuple[list[dict], list[dict]]:
    return load_jsonl(eval_dir / "queries.jsonl"), load_jsonl(eval_dir / "owner.jsonl")


# ----- ranking metrics (pure functions, unit-testable)

def dcg(gains: list[float]) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg_at_k(ranked_ids: list[str], relevant: dict[str, int], k: int = K) -> float:
    gains = [(2 ** relevant.get(i, 0)) - 1 for i in ranked_ids[:k]]
    ideal = sorted(((2 ** g) - 1 for g in relevant.values()), reverse=True)[:k]
    best = dcg(ideal)
    return dcg(gains) / best if best > 0 else 0.0


def recall_at_k(ranked_ids: list[str], relevant: dict[str, int], k: int = K, min_grade: int = 2) -> float:
    answering = {i for i, g in relevant.items() if g >= min_grade}
    if not answering:
        return 0.0
    found = len(answering & set(ranked_ids[:k]))
    return found / min(len(answering), k)


def reciprocal_rank(ranked_ids: list[str], relevant: dict[str, int], k: int = K, min_grade: int = 2) -> float:
    for rank, i in enumerate(ranked_ids[:k], 1):
        if relevant.get(i, 0) >= min_grade:
            return 1.0 / rank
    return 0.0


def ranking_figures(engine, queries: list[dict], mode: str, k: int = K, **search_kw) -> dict:
    per_query = {}
    for q in queries:
        if q.get("not_listed"):
            continue
        result = engine.search(q["query"], mode=mode, filters=q.get("filters") or None, page=1, size=k,
                               **search_kw)
        ids = [h["duty"]["id"] for h in result["hits"]]
        rel = q["relevant"]
        per_query[q["qid"]] = {"ndcg": ndcg_at_k(ids, rel, k), "recall": recall_at_k(ids, rel, k),
                               "rr": reciprocal_rank(ids, rel, k), "ids": ids}
    values = list(per_query.values())
    return {
        "queries": len(values),
        "ndcg@10": statistics.fmean(v["ndcg"] for v in values),
        "recall@10": statistics.fmean(v["recall"] for v in values),
        "mrr@10": statistics.fmean(v["rr"] for v in values),
        "per_query": per_query,
    }


# ----- owner

def owner_rows(engine, query: str, townships: list[str]) -> list[dict]:
    return engine.owner(query, townships=townships)["results"]


def owner_figures(engine, queries: list[dict], owner_cases: list[dict]) -> dict:
    """Owner answers on owner.jsonl (status right: the verdict 有此事项 on the expected list, or
    清单之外 when expected; 可能相关 counts as wrong) and 清单之外 precision / recall over those
    cases plus every township for each query of queries.jsonl on no list."""
    all_townships = [t["township"] for t in engine.townships()]
    cases = []
    for c in owner_cases:
        row = owner_rows(engine, c["query"], [c["township"]])[0]
        duty_id = (row.get("duty") or {}).get("id")
        status_ok = row["status"] == c["status"]
        item_ok = status_ok and (c["status"] == "not_listed" or duty_id in c["duty_ids"])
        cases.append({"oid": c["oid"], "query": c["query"], "township": c["township"], "expected": c["status"],
                      "got": row["status"], "confidence": row.get("confidence"), "duty_id": duty_id,
                      "acceptable": c["duty_ids"], "status_ok": status_ok, "ok": item_ok})
    nowhere = []
    for q in queries:
        if q.get("not_listed"):
            for row in owner_rows(engine, q["query"], all_townships):
                nowhere.append({"qid": q["qid"], "query": q["query"], "township": row["township"], "got": row["status"]})
    expected_nl = [c["expected"] == "not_listed" for c in cases] + [True] * len(nowhere)
    predicted_nl = [c["got"] == "not_listed" for c in cases] + [r["got"] == "not_listed" for r in nowhere]
    tp = sum(e and p for e, p in zip(expected_nl, predicted_nl))
    fp = sum(p and not e for e, p in zip(expected_nl, predicted_nl))
    fn = sum(e and not p for e, p in zip(expected_nl, predicted_nl))
    n = len(cases)
    return {
        "cases": n,
        "status_accuracy": sum(c["status_ok"] for c in cases) / n if n else None,
        "accuracy": sum(c["ok"] for c in cases) / n if n else None,
        "listed_item_accuracy": _share([c["ok"] for c in cases if c["expected"] != "not_listed"]),
        "possible": _share([c["got"] == "possible" for c in cases]),
        "not_listed": {"precision": tp / (tp + fp) if tp + fp else None,
                       "recall": tp / (tp + fn) if tp + fn else None,
                       "pairs": len(expected_nl), "expected": sum(expected_nl),
                       "nowhere_pairs": len(nowhere),
                       "nowhere_recall": _share([r["got"] == "not_listed" for r in nowhere])},
        "cases_detail": cases,
    }


def _share(flags: list[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


# ----- sweeping fusion settings

SWEEP = {
    "semantic_floor": [0.0, 0.7, 0.8],
    "fusion": ["rrf", "blend"],
    "rrf_k": [5.0, 10.0, 20.0, 60.0],
    "weights": [(1.0, 1.0), (1.0, 1.5), (1.5, 1.0), (1.0, 2.0), (2.0, 1.0)],
    "depth": [30, 100],
}
SEMANTIC_FLOORS = [0.0, 0.6, 0.7, 0.75, 0.8, 0.85]
FIELD_WEIGHT_VARIANTS = {
    "name-heavy": {"name": 10.0, "category": 1.0, "duties": 1.0, "departments": 1.5},
    "duties-up": {"name": 4.0, "category": 1.0, "duties": 2.0, "departments": 1.5},
    "no-category": {"name": 6.0, "category": 0.0, "duties": 1.0, "departments": 1.5},
    "flat": {"name": 1.0, "category": 1.0, "duties": 1.0, "departments": 1.0},
}


def engine_with(engine, **config_changes):
    """A shallow copy of the engine answering with other SearchConfig settings (same index in memory)."""
    from search.keyword import bm25 as keyword_bm25

    clone = copy.copy(engine)
    clone.config = engine.config.with_(**config_changes)
    if "field_weights" in config_changes:
        clone.keyword = keyword_bm25.Bm25Index(engine.build_dir / keyword_bm25.FOLDER, clone.config.field_weights)
    return clone


def memoize_query_vectors(engine) -> None:
    """Embed each query text once for the whole run (modes and sweep points reuse it)."""
    cache = {}
    original = engine.query_vector

    def query_vector(q):
        if q not in cache:
            cache[q] = original(q)
        return cache[q]

    engine.query_vector = query_vector


def _row(mode: str, figures: dict, **settings) -> dict:
    """Figures for one sweep point, plus nDCG@10 on the odd and the even qids separately: a setting
    picked on one half should hold on the other, or it is tuned to these particular queries."""
    halves = {0: [], 1: []}
    for qid, v in figures["per_query"].items():
        halves[int(qid.lstrip("q")) % 2].append(v["ndcg"])
    return {"mode": mode, **settings, "ndcg@10": figures["ndcg@10"], "recall@10": figures["recall@10"],
            "mrr@10": figures["mrr@10"], "ndcg_odd": statistics.fmean(halves[1]),
            "ndcg_even": statistics.fmean(halves[0])}


def sweep(engine, queries: list[dict]) -> list[dict]:
    """Figures over a grid. Three parts: the semantic floor alone (semantic mode); the fusion grid
    (hybrid: floor × fusion × rrf_k × weights × depth, default field weights); field-weight
    variants (keyword mode, and hybrid at the best grid point)."""
    rows = []
    for floor in SEMANTIC_FLOORS:
        rows.append(_row("semantic", ranking_figures(engine_with(engine, semantic_floor=floor), queries, "semantic"),
                         semantic_floor=floor))
    grid = []
    for floor, fusion, k, (wk, ws), depth in itertools.product(
            SWEEP["semantic_floor"], SWEEP["fusion"], SWEEP["rrf_k"], SWEEP["weights"], SWEEP["depth"]):
        if fusion == "blend" and k != SWEEP["rrf_k"][0]:
            continue  # rrf_k means nothing to blend
        settings = dict(semantic_floor=floor, fusion=fusion, rrf_k=k, weight_keyword=wk, weight_semantic=ws,
                        depth=depth)
        figures = ranking_figures(engine_with(engine, **settings), queries, "hybrid")
        grid.append(_row("hybrid", figures, field_weights="default", **settings))
    rows += grid
    best = max(grid, key=lambda r: (r["ndcg@10"], r["mrr@10"]))
    best_settings = {k: best[k] for k in ("semantic_floor", "fusion", "rrf_k", "weight_keyword",
                                          "weight_semantic", "depth")}
    for name, weights in FIELD_WEIGHT_VARIANTS.items():
        variant = engine_with(engine, field_weights=weights)
        rows.append(_row("keyword", ranking_figures(variant, queries, "keyword"), field_weights=name))
        rows.append(_row("hybrid", ranking_figures(engine_with(variant, **best_settings), queries, "hybrid"),
                         field_weights=name, **best_settings))
        variant.keyword.close()
    return rows


# ----- output

def print_table(report: dict) -> None:
    print(f"index: {report['index']}  ({report['records']} records, model {report['model']})")
    print(f"queries: {report['queries']} judged + {report['not_listed_queries']} not on any list; "
          f"owner cases: {report['owner']['cases'] if report.get('owner') else '-'}")
    print()
    print(f"{'mode':<10}{'nDCG@10':>9}{'Recall@10':>11}{'MRR@10':>9}")
    for mode in report["modes"]:
        m = report["ranking"][mode]
        print(f"{mode:<10}{m['ndcg@10']:>9.3f}{m['recall@10']:>11.3f}{m['mrr@10']:>9.3f}")
    o = report.get("owner")
    if o:
        print()
        print(f"owner (owner.jsonl): status accuracy {o['status_accuracy']:.3f}, status+item accuracy "
              f"{o['accuracy']:.3f} on {o['cases']} cases (listed cases, item right: {_fmt(o['listed_item_accuracy'])}; "
              f"可能相关 {_fmt(o['possible'])})")
        nl = o["not_listed"]
        print(f"not listed: precision {_fmt(nl['precision'])}, recall {_fmt(nl['recall'])} over {nl['pairs']} pairs "
              f"({nl['expected']} not listed; tasks on no list answered not listed in {_fmt(nl['nowhere_recall'])} "
              f"of {nl['nowhere_pairs']} township pairs)")
        wrong = [c for c in o["cases_detail"] if not c["ok"]]
        if wrong:
            print("owner cases answered wrong:")
            for c in wrong:
                print(f"  {c['oid']} {c['query']} @ {c['township']}: expected {c['expected']} "
                      f"{'/'.join(c['acceptable'])}, got {c['got']} {c['duty_id'] or ''}")
    from staff_set import SETS
    for name in SETS:
        if name in report:
            print()
            from staff_eval import print_side_by_side
            print_side_by_side(report[name], name)
    if "whose_work" in report:
        print()
        print("whose work (tests/eval/whose_work): labelled by question, not per township")
        from whose_work import print_table as print_whose_work
        print_whose_work(report["whose_work"])


def _fmt(x) -> str:
    return "-" if x is None else f"{x:.3f}"


def print_per_query(report: dict, queries: list[dict]) -> None:
    modes = report["modes"]
    print(f"{'qid':<6}" + "".join(f"{m[:4]:>7}" for m in modes) + "  query")
    for q in queries:
        if q.get("not_listed"):
            continue
        cells = "".join(f"{report['ranking'][m]['per_query'][q['qid']]['ndcg']:>7.2f}" for m in modes)
        print(f"{q['qid']:<6}{cells}  {q['query']} {q.get('filters') or ''}")


def print_show(engine, queries: list[dict], qids: list[str], modes) -> None:
    by_qid = {q["qid"]: q for q in queries}
    for qid in qids:
        q = by_qid[qid]
        print(f"## {qid} {q['query']} {q.get('filters') or ''}  ({len(q['relevant'])} judged)")
        for mode in modes:
            result = engine.search(q["query"], mode=mode, filters=q.get("filters") or None, size=K, explain=True)
            ids = [h["duty"]["id"] for h in result["hits"]]
            print(f"  [{mode}] nDCG {ndcg_at_k(ids, q['relevant']):.2f}")
            for rank, hit in enumerate(result["hits"], 1):
                d = hit["duty"]
                grade = q["relevant"].get(d["id"], "·")
                print(f"    {rank:>2} {grade} {d['id']} {d['township']:<6} {d['list_type'][:4]} {d['name'][:50]}")
        missing = [i for i, g in q["relevant"].items() if g >= 2]
        print(f"  judged ≥2: {len(missing)}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", default=None)
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--per-query", action="store_true")
    parser.add_argument("--show", nargs="*", default=None, metavar="QID")
    parser.add_argument("--sweep", action="store_true", help="hybrid figures over a grid of fusion settings")
    parser.add_argument("--no-owner", action="store_true", help="skip the owner evaluation")
    parser.add_argument("--no-staff", action="store_true", help="skip the staff set (tune and test halves)")
    parser.add_argument("--no-whose-work", action="store_true", help="skip the whose-work set (both halves)")
    args = parser.parse_args(argv)

    from search.engine import Engine

    queries, owner_cases = load_sets()
    modes = [m for m in args.modes.split(",") if m]
    engine = Engine.open(args.index_dir)
    memoize_query_vectors(engine)
    if args.show is not None:
        print_show(engine, queries, args.show or [q["qid"] for q in queries if not q.get("not_listed")], modes)
        return 0

    report = {
        "index": str(engine.build_dir), "records": len(engine.records), "model": engine.embedder.name,
        "config": {k: v for k, v in vars(engine.config).items()},
        "queries": sum(1 for q in queries if not q.get("not_listed")),
        "not_listed_queries": sum(1 for q in queries if q.get("not_listed")),
        "modes": modes,
        "ranking": {m: ranking_figures(engine, queries, m) for m in modes},
    }
    if not args.no_owner:
        report["owner"] = owner_figures(engine, queries, owner_cases)
    if not args.no_staff:
        from staff_eval import figures as staff_figures
        from staff_set import SETS
        for name, folder in SETS.items():
            report[name] = {h: staff_figures(engine, h, folder) for h in ("tune", "test")}
    if not args.no_whose_work:
        import whose_work
        report["whose_work"] = {h: whose_work.measure(engine, h) for h in whose_work.HALVES}
    if args.sweep:
        report["sweep"] = sweep(engine, queries)

    if args.json:
        out = copy.deepcopy(report)
        if not args.per_query:
            for m in out["ranking"].values():
                m.pop("per_query")
        from staff_set import SETS
        for half in [h for name in SETS for h in out.get(name, {}).values()]:
            half.pop("_pairs", None)
        print(json.dumps(out, ensure_ascii=False, indent=1, default=str))
        return 0
    print_table(report)
    if args.per_query:
        print()
        print_per_query(report, queries)
    if args.sweep:
        print()
        print_sweep(report["sweep"])
    return 0


def print_sweep(rows: list[dict], top: int = 25) -> None:
    def settings(r):
        if r["mode"] == "semantic":
            return f"semantic_floor={r['semantic_floor']}"
        parts = [f"fields={r.get('field_weights', 'default')}"]
        if "fusion" in r:
            parts += [f"floor={r['semantic_floor']}", r["fusion"]]
            if r["fusion"] == "rrf":
                parts.append(f"k={r['rrf_k']:g}")
            parts += [f"w={r['weight_keyword']:g}/{r['weight_semantic']:g}", f"depth={r['depth']}"]
        return " ".join(parts)

    def show(title, selected):
        print(title)
        print(f"  {'mode':<9}{'nDCG@10':>8}{'R@10':>7}{'MRR':>7}{'odd':>7}{'even':>7}  settings")
        for r in selected:
            print(f"  {r['mode']:<9}{r['ndcg@10']:>8.3f}{r['recall@10']:>7.3f}{r['mrr@10']:>7.3f}"
                  f"{r['ndcg_odd']:>7.3f}{r['ndcg_even']:>7.3f}  {settings(r)}")

    show("semantic floor (semantic mode):", [r for r in rows if r["mode"] == "semantic"])
    grid = sorted((r for r in rows if r["mode"] == "hybrid" and r.get("field_weights") == "default"),
                  key=lambda r: (-r["ndcg@10"], -r["mrr@10"]))
    show(f"fusion grid (hybrid), best {top} of {len(grid)}:", grid[:top])
    show("field weights (keyword; hybrid at the best grid point):",
         [r for r in rows if r.get("field_weights", "default") != "default"])


if __name__ == "__main__":
    sys.exit(main())
