"""The embedded engine beside the whole engine in Elasticsearch, on the same build, in one run.

    python tests/eval/es_equivalence.py --es-url http://127.0.0.1:9260,http://127.0.0.1:9261,http://127.0.0.1:9262
    python tests/eval/es_equivalence.py --es-url URL --shards 1,3 --search-types query_then_fetch,dfs_query_then_fetch

The local build (var/index/current, or --index-dir) is written to the cluster with its vectors
(indexer/es_index.py, alias `tds-equivalence-<shards>`) for each shard count, and both engines
answer the same questions. "Same results" is measured, not assumed:

- relevance: nDCG@10 per mode on queries.jsonl and on both halves of the staff set, and the staff
  set's owner status accuracy — each with the difference (cluster − embedded);
- keyword: mean and lowest top-10 overlap, and how many queries give the same top 10 in order;
- totals and facets: how many queries (keyword and hybrid, unfiltered and filtered) give equal
  `total` and equal facets.

The aliases it writes are deleted at the end.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent.parent))

from evaluate import load_sets, memoize_query_vectors, ranking_figures  # noqa: E402
from staff_eval import figures as staff_figures  # noqa: E402

MODES = ("keyword", "semantic", "hybrid")


def write_build(index_dir, url: str, alias: str, shards: int, replicas: int) -> dict:
    from indexer.es_index import client, local_build, write_index

    es = client(url)
    try:
        return write_index(url, alias=alias, shards=shards, replicas=replicas, log=lambda *_: None, es=es,
                           **local_build(index_dir))
    finally:
        es.close()


def agreement(local, remote, queries: list[dict]) -> dict:
    """Top-10 overlap (keyword), equal totals and facets (keyword, hybrid) per query."""
    overlaps, same_order, totals, facets, asked = [], 0, {m: 0 for m in ("keyword", "hybrid")}, \
        {m: 0 for m in ("keyword", "hybrid")}, 0
    for q in queries:
        for filters in (None, q.get("filters") or {"list_type": ["basic"]}):
            asked += 1
            for mode in ("keyword", "hybrid"):
                a = local.search(q["query"], mode=mode, filters=filters, size=10)
                b = remote.search(q["query"], mode=mode, filters=filters, size=10)
                totals[mode] += a["total"] == b["total"]
                facets[mode] += a["facets"] == b["facets"]
                if mode == "keyword" and filters is None:
                    ia, ib = [h["duty"]["id"] for h in a["hits"]], [h["duty"]["id"] for h in b["hits"]]
                    if ia:
                        overlaps.append(len(set(ia) & set(ib)) / len(ia))
                        same_order += ia == ib
    return {"queries": len(queries), "asked": asked, "keyword_overlap_mean": statistics.fmean(overlaps),
            "keyword_overlap_min": min(overlaps), "keyword_same_order": same_order, "with_hits": len(overlaps),
            "totals_equal": totals, "facets_equal": facets}


def figures(engine, queries: list[dict]) -> dict:
    memoize_query_vectors(engine)
    started = time.perf_counter()
    out = {"ranking": {m: ranking_figures(engine, queries, m)["ndcg@10"] for m in MODES}}
    for half in ("tune", "test"):
        staff = staff_figures(engine, half)
        out[half] = {"status": staff["owner"]["status_accuracy"],
                     **{m: staff["ranking"][m]["ndcg@10"] for m in MODES}}
    out["seconds"] = time.perf_counter() - started
    return out


def print_report(local_figures: dict, runs: list[dict]) -> None:
    print("relevance, embedded beside Elasticsearch (difference = cluster − embedded)")
    labels = [("queries.jsonl", "ranking", m) for m in MODES]
    labels += [(f"staff {h}", h, m) for h in ("tune", "test") for m in (*MODES, "status")]
    head = f"{'set':<16}{'figure':<10}{'embedded':>10}"
    for run in runs:
        head += f"{run['label']:>26}"
    print(head)
    for name, part, key in labels:
        base = local_figures[part][key]
        line = f"{name:<16}{(key if key != 'status' else 'owner status'):<10}{base:>10.3f}"
        for run in runs:
            value = run["figures"][part][key]
            line += f"{value:>17.3f} ({value - base:+.3f})"
        print(line)
    print(f"{'time to answer every question':<36}{local_figures['seconds']:>6.1f} s"
          + "".join(f"{run['figures']['seconds']:>20.1f} s" for run in runs))
    print()
    print("agreement on queries.jsonl (each query unfiltered and with a filter)")
    for run in runs:
        a = run["agreement"]
        print(f"  {run['label']}: keyword top-10 overlap mean {a['keyword_overlap_mean']:.3f}, lowest "
              f"{a['keyword_overlap_min']:.2f}, same top 10 in order {a['keyword_same_order']}/{a['with_hits']}; "
              f"totals equal keyword {a['totals_equal']['keyword']}/{a['asked']}, hybrid "
              f"{a['totals_equal']['hybrid']}/{a['asked']}; facets equal keyword {a['facets_equal']['keyword']}/"
              f"{a['asked']}, hybrid {a['facets_equal']['hybrid']}/{a['asked']}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--es-url", required=True)
    parser.add_argument("--index-dir", default=None)
    parser.add_argument("--shards", default="1,3")
    parser.add_argument("--replicas", type=int, default=0)
    parser.add_argument("--search-types", default="query_then_fetch,dfs_query_then_fetch")
    args = parser.parse_args(argv)

    from indexer.es_index import client
    from search.config import SearchConfig
    from search.engine import Engine

    queries, _ = load_sets()
    local = Engine.open(args.index_dir)
    local_figures = figures(local, queries)
    runs, aliases = [], []
    try:
        for shards in (int(s) for s in args.shards.split(",")):
            alias = f"tds-equivalence-{shards}"
            aliases.append(alias)
            t = time.perf_counter()
            write_build(args.index_dir, args.es_url, alias, shards, args.replicas)
            print(f"wrote the build to {alias} ({shards} shards) in {time.perf_counter() - t:.1f} s", file=sys.stderr)
            for search_type in args.search_types.split(","):
                config = SearchConfig.from_env(es_url=args.es_url, es_index=alias, es_mode="cluster",
                                               es_search_type=search_type)
                remote = Engine.open(config=config)
                try:
                    label = f"{shards} shard{'s' if shards > 1 else ''}, {search_type.split('_')[0]}"
                    runs.append({"label": label, "figures": figures(remote, queries),
                                 "agreement": agreement(local, remote, queries)})
                finally:
                    remote.close()
    finally:
        es = client(args.es_url)
        for alias in aliases:
            es.indices.delete(index=f"{alias}-*", ignore_unavailable=True, allow_no_indices=True)
        es.close()
    print_report(local_figures, runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
