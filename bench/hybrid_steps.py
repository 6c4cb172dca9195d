"""Where a hybrid search's time goes, step by step (medians over the eval queries).

    python bench/hybrid_steps.py                        # the built index (TDS_INDEX_DIR or var/index)
    python bench/hybrid_steps.py --index-dir /tmp/tds-bench-synthetic   # e.g. bench_search.py --keep's 1M index

Each query is run through the engine's own parts in the order hybrid search runs them: the
embedding alone; the embedding on the engine's side thread with the keyword side (top `depth`,
every match counted) running beside it, as hybrid does; then ANN, fusion, facets of the fused
set, the page's records and highlights; and finally `engine.search(mode="hybrid")` whole. The
query-vector cache is off, so every step embeds afresh. Issue 15 asks hybrid ≤ 1.3 × the embedding.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))  # bench_search.load_queries: the eval queries

STEPS = ("embedding alone", "embedding with keyword beside", "keyword side (beside)", "ANN", "fusion",
         "facets", "records", "highlights", "hybrid search, whole")


def measure(index_dir) -> dict[str, list[float]]:
    os.environ["TDS_QUERY_CACHE"] = "0"
    from bench_search import load_queries
    from search import ranking
    from search.engine import Engine

    engine = Engine.open(index_dir)
    config = engine.config
    queries = [q["query"] for q in load_queries()]
    for q in queries[:20]:
        engine.search(q, mode="hybrid")
    took = {s: [] for s in STEPS}

    def timed(step, fn, *args):
        start = time.perf_counter()
        out = fn(*args)
        took[step].append((time.perf_counter() - start) * 1000)
        return out

    for q in queries:
        terms = engine.segmenter.query_terms(q)
        timed("embedding alone", engine.query_vector, q)
        start = time.perf_counter()
        pending = engine._embedding.submit(engine.query_vector, q)
        kw = timed("keyword side (beside)", engine.keyword_search, terms, {}, config.depth)
        vector = pending.result()
        took["embedding with keyword beside"].append((time.perf_counter() - start) * 1000)
        sem = timed("ANN", engine._semantic_matches, vector, {}, config.depth)
        fused = timed("fusion", lambda: ranking.fuse(kw.hits, sem, method=config.fusion, k=config.rrf_k,
                                                      weight_keyword=config.weight_keyword,
                                                      weight_semantic=config.weight_semantic))
        timed("facets", engine.columns.facets, fused.positions, config.facet_size)
        records = timed("records", engine.records.many, fused.positions[:10].tolist())
        mark = ranking.Highlighter(terms.highlight_terms())
        timed("highlights", lambda: [engine._highlights(r, mark) for r in records])
        timed("hybrid search, whole", engine.search, q, "hybrid")
    engine.close()
    return took


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", default=None)
    args = parser.parse_args(argv)
    took = measure(args.index_dir)
    print(f"load average {os.getloadavg()[0]:.2f}; medians over {len(took[STEPS[0]])} queries, ms")
    for step in STEPS:
        print(f"  {step:<32}{statistics.median(took[step]):>8.2f}")
    ratio = statistics.median(took["hybrid search, whole"]) / statistics.median(took["embedding alone"])
    print(f"hybrid ÷ embedding: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
