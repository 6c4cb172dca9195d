"""Elasticsearch as the whole engine beside the embedded engine, on the same synthetic corpus, in one run.

    url=$(ES_JAVA_OPTS=-XX:TieredStopAtLevel=4 tools/es-node/start.sh --nodes 3 --port 9260 --wipe)
    python bench/bench_es.py --es-url "$url" --records 1000000     # stops loading at --max-load-minutes
    python bench/bench_es.py --es-url "$url" --records 200000 --json out.json

1. The synthetic corpus of bench/bench_search.py (same records, tokens and vectors, seeded) is
   built as an embedded index in --work-dir.
2. The same records, tokens and vectors are bulk-loaded into the cluster as a whole build
   (indexer/es_index.py: no replicas and no refresh while loading, then --replicas); printed: the
   load's time and documents per second, and the index's size on disk (primaries, and with replicas).
   A load that has not finished within --max-load-minutes is stopped and the size it reached is
   reported instead, so the output states the largest size that loads here in that time.
3. Both engines answer the same queries (tests/eval/queries.jsonl, township filters mapped to a
   synthetic township, other filters dropped) in fresh child processes with bench_search.measure:
   keyword, semantic and hybrid p50/p99 per search, owner over one page of townships and over a
   county — side by side, with each ratio cluster ÷ embedded.

The machine's load average is printed: the cluster's JVMs and the app share two cores here, which
a deployment would not do.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_search import (Plan, build_synthetic, log, measure_in_child, read_real,  # noqa: E402
                          synthetic_records, synthetic_tokens, synthetic_vectors)

ALIAS = "tds-bench"


class Deadline(Exception):
    pass


def load_cluster(url: str, work: Path, real_build: Path, n: int, noise: float, seed: int, shards: int,
                 replicas: int, max_minutes: float) -> dict:
    """Bulk-load the synthetic build into the cluster; the load's figures."""
    from indexer.es_index import build_document, client, write_index

    records, tokens, vectors, _ = read_real(real_build)
    plan = Plan(records, n, seed)
    synth = synthetic_vectors(vectors, plan, noise, seed)
    build_dir = (work / "current").resolve()
    meta = json.loads((build_dir / "meta.json").read_text(encoding="utf-8"))
    build = build_document(meta, build_dir, synthetic_records(records, plan))
    started = time.perf_counter()
    limit = started + max_minutes * 60
    done = [0]

    def timed(rows):
        for row in rows:
            done[0] += 1
            if done[0] % 50_000 == 0:
                rate = done[0] / (time.perf_counter() - started)
                log(f"cluster: {done[0]:,} documents sent ({rate:,.0f}/s)")
            if time.perf_counter() > limit:
                raise Deadline()
            yield row

    es = client(url, timeout=120)
    out = {"records": n, "shards": shards, "replicas": replicas}
    try:
        result = write_index(url, timed(synthetic_records(records, plan)), synthetic_tokens(tokens, plan),
                             meta["build_id"], alias=ALIAS, shards=shards, replicas=replicas, log=log, es=es,
                             chunk_size=500, vectors=synth, build=build, count=n)
        out["load_s"] = round(time.perf_counter() - started, 1)
        out["docs_per_s"] = round(n / out["load_s"])
        stats = es.indices.stats(index=result["index"], metric="store,docs")["indices"][result["index"]]
        out["size_primaries_mb"] = round(stats["primaries"]["store"]["size_in_bytes"] / 2 ** 20)
        out["size_total_mb"] = round(stats["total"]["store"]["size_in_bytes"] / 2 ** 20)
        out["index"] = result["index"]
        out["complete"] = True
    except Deadline:
        out.update(complete=False, loaded=done[0], load_s=round(time.perf_counter() - started, 1))
        out["docs_per_s"] = round(done[0] / out["load_s"])
    finally:
        es.close()
    return out


def print_report(report: dict) -> None:
    print(f"machine load average at start: {report['loadavg']}; cluster: {report['cluster_url']}")
    c = report["cluster_load"]
    if not c["complete"]:
        print(f"cluster load stopped after {c['load_s']:.0f} s at {c['loaded']:,} of {c['records']:,} documents "
              f"({c['docs_per_s']:,}/s): {c['records']:,} records do not load here within the limit")
        return
    print(f"{c['records']:,} synthetic records, {c['shards']} shards, {c['replicas']} replica(s)")
    print(f"cluster bulk load: {c['load_s']:.0f} s, {c['docs_per_s']:,} documents/s (with vectors, replicas "
          f"added after the load); index {c['size_primaries_mb']:,} MB primaries, {c['size_total_mb']:,} MB with replicas")
    b = report.get("embedded_build", {})
    if b:
        print(f"embedded build of the same corpus: {sum(b['timings'].values()):.0f} s, "
              f"{sum(b['disk_mb'].values()):,.0f} MB on disk")
    e, r = report["embedded"], report["cluster"]
    print()
    print(f"{'p50 / p99 ms':<22}{'embedded':>18}{'Elasticsearch':>18}{'ratio p50':>11}")
    rows = [(m, e["modes"][m], r["modes"][m]) for m in ("keyword", "semantic", "hybrid")]
    rows += [("owner (one page)", e["owner"], r["owner"]), ("owner (a county)", e["owner_county"], r["owner_county"])]
    for label, a, b in rows:
        print(f"{label:<22}{a['p50']:>9.1f} /{a['p99']:>7.1f}{b['p50']:>9.1f} /{b['p99']:>7.1f}{b['p50'] / a['p50']:>11.2f}")
    print(f"{'query embedding':<22}{e['embed_ms']['p50']:>9.1f} /{e['embed_ms']['p99']:>7.1f}")
    print(f"open: embedded {e['open_s']:.1f} s ({e['rss_mb']:,.0f} MB resident), Elasticsearch "
          f"{r['open_s']:.1f} s ({r['rss_mb']:,.0f} MB resident, no local files)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--es-url", required=True)
    parser.add_argument("--index-dir", default=None, help="the real index root (default TDS_INDEX_DIR or var/index)")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--shards", type=int, default=3)
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--max-load-minutes", type=float, default=30.0)
    parser.add_argument("--noise", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--work-dir", default="/tmp/tds-bench-es")
    parser.add_argument("--keep", action="store_true", help="keep the synthetic index and the cluster's index")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)

    from search.config import index_root

    real_build = (index_root(args.index_dir) / "current").resolve()
    if not (real_build / "meta.json").exists():
        print(f"no built index at {real_build}; run `python -m indexer build` first", file=sys.stderr)
        return 1
    work = Path(args.work_dir)
    report = {"loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()), "cluster_url": args.es_url,
              "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    log(f"embedded: building {args.records:,} synthetic records into {work} ...")
    build = build_synthetic(real_build, work, args.records, "ivf-sq8", args.noise, args.seed)
    township_map = build.pop("township_map")
    report["embedded_build"] = build
    log("cluster: bulk-loading the same records ...")
    report["cluster_load"] = load_cluster(args.es_url, work, real_build, args.records, args.noise, args.seed,
                                          args.shards, args.replicas, args.max_load_minutes)
    if report["cluster_load"]["complete"]:
        log("measuring the embedded engine ...")
        report["embedded"] = measure_in_child(work, args.rounds, township_map, drop_filters=True, warmup=30)
        log("measuring the Elasticsearch engine ...")
        cluster_env = {"TDS_ES_URL": args.es_url, "TDS_ES_INDEX": ALIAS, "TDS_ES_MODE": "cluster",
                       "TDS_ES_TIMEOUT": "30"}
        report["cluster"] = measure_in_child(work, args.rounds, township_map, drop_filters=True, warmup=30,
                                             env_extra=cluster_env)
    print_report(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
        from indexer.es_index import client
        es = client(args.es_url)
        es.indices.delete(index=f"{ALIAS}-*", ignore_unavailable=True, allow_no_indices=True)
        es.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
