"""One query's embedding, eager module against the traced graph, alone and beside a busy thread.

    python bench/embedding_bench.py                 # int8, as indexes are built by default
    python bench/embedding_bench.py --quantize none

A query is embedded while other threads run Python: the keyword side of a hybrid search, other
requests. This prints the median milliseconds of `Embedder._encode_one` over the staff-style
questions of tests/eval/queries.jsonl, with the traced graph (what the engine uses) and with the
eager module, each alone and while another thread runs a pure-Python loop, and whether the two
give the same vectors.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench.common import samples_ms  # noqa: E402


def median_ms(encode, texts: list[str], rounds: int) -> float:
    return statistics.median(samples_ms(encode, texts, rounds))


def beside_busy_thread(measure):
    """`measure()` while another thread runs Python without pause."""
    stop = threading.Event()

    def busy():
        x = 0
        while not stop.is_set():
            for i in range(1000):
                x += i

    thread = threading.Thread(target=busy)
    thread.start()
    try:
        return measure()
    finally:
        stop.set()
        thread.join()


def main(argv=None) -> int:
    import numpy as np

    from bench_search import load_queries
    from models.embedding import Embedder

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quantize", default="int8", choices=["int8", "none"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--queries", type=int, default=30, help="how many eval queries (the busy runs are slow)")
    args = parser.parse_args(argv)
    embedder = Embedder(quantize=args.quantize)
    texts = [q["query"] for q in load_queries()][:args.queries]
    graph = embedder._query_model
    if graph is None:
        print("the model did not trace: nothing to compare")
        return 1
    traced_vectors = np.stack([embedder._encode_one(t) for t in texts])
    figures = {}
    for name, model in (("traced graph", graph), ("eager module", None)):
        embedder._query_model = model
        vectors = np.stack([embedder._encode_one(t) for t in texts])
        figures[name] = (median_ms(embedder._encode_one, texts, args.rounds),
                         beside_busy_thread(lambda: median_ms(embedder._encode_one, texts, args.rounds)),
                         bool(np.array_equal(vectors, traced_vectors)))
    embedder._query_model = graph
    print(f"# {len(texts)} queries x {args.rounds}, quantize {args.quantize}, one torch thread a query; "
          f"load average {os.getloadavg()[0]:.2f}; medians in ms")
    print(f"{'':<14}{'alone':>10}{'beside a busy Python thread':>30}  same vectors as the graph")
    for name, (alone, beside, same) in figures.items():
        print(f"{name:<14}{alone:>10.2f}{beside:>30.2f}  {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
