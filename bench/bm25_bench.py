"""The embedded BM25 index alone at scale: writing it, and its query loop (issue 15).

    python bench/bm25_bench.py                      # 1,000,000 synthetic records (~3 min on 2 cores)
    python bench/bm25_bench.py --records 200000

The records are bench_search.py's synthetic ones (seed 7) made from the built index's tokens; the
queries are the 116 of tests/eval/queries.jsonl, cut by the index's segmenter, OR-ed. Prints the
write time and the peak memory it added, then p50 / p99 of `Bm25Index.search` (top 10 and every
match) over 3 rounds, and of `search_numpy`, the numpy reference, where the code has it. The script
runs unchanged on older commits (copy it into their checkout), so a before and after come from
one script.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values, q):
    import numpy as np
    return float(np.percentile(values, q))


def main(argv=None) -> int:
    import os

    from bench_search import Plan, read_real, synthetic_tokens
    from models.segment import Segmenter
    from search.config import SearchConfig
    from search.keyword import bm25

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    build = (REPO / "var" / "index" / "current").resolve()
    records, tokens, _, _ = read_real(build)
    data = list(synthetic_tokens(tokens, Plan(records, args.records, args.seed)))
    segmenter = Segmenter.from_dir(build / "dict")
    queries = [json.loads(line)["query"] for line in open(REPO / "tests" / "eval" / "queries.jsonl", encoding="utf-8")
               if line.strip()]
    terms = [segmenter.query_terms(q).keyword for q in queries]
    work = Path(tempfile.mkdtemp(prefix="tds-bm25-"))
    try:
        before = peak_mb()
        started = time.perf_counter()
        bm25.write_index(work / bm25.FOLDER, data)
        write_s = time.perf_counter() - started
        added = peak_mb() - before
        del data
        index = bm25.Bm25Index(work / bm25.FOLDER, SearchConfig().field_weights)
        print(f"# {args.records:,} synthetic records (seed {args.seed}), {len(terms)} queries; "
              f"load average {os.getloadavg()[0]:.2f} at start; 2 cores")
        print(f"write: {write_s:.1f} s, peak memory added {added:,.0f} MB")
        paths = [("search", index.search)] + ([("search_numpy", index.search_numpy)]
                                              if hasattr(index, "search_numpy") else [])
        for name, search in paths:
            for t in terms[:20]:
                search(t, None, 10)
            took = []
            for _ in range(3):
                for t in terms:
                    start = time.perf_counter()
                    search(t, None, 10)
                    took.append((time.perf_counter() - start) * 1000)
            print(f"{name}, top 10 + every match: p50 {percentile(took, 50):.2f} ms, p99 {percentile(took, 99):.2f} ms")
        print(f"load average {os.getloadavg()[0]:.2f} at the end")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
