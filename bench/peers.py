"""The project's keyword and vector search beside peer libraries, on the same records, tokens and
queries, in one run.

    bash bench/peers.sh --size corpus        # the real index (about a minute)
    bash bench/peers.sh --size 1000000       # synthetic records as bench_search.py makes them

bench/peers.sh makes a venv holding bench/requirements-peers.txt on top of the service's venv (the
peers are not service dependencies) and runs this script in it.

Keyword: the 116 queries of tests/eval/queries.jsonl, cut into jieba tokens once by the project's
segmenter (with its synonym expansions); every system gets exactly those tokens, OR-ed, over the
same per-record tokens (all keyword fields). Measured per query, warm: the project's BM25 index
(top 10 and the full match set), tantivy (top 10; top 10 with the count), bm25s (top 10); with
facets: the project's backend answering total + 7 facets (the engine's keyword mode) beside
tantivy's count + 7 terms aggregations.

Vectors: the same queries embedded once by the project's model; exact top 10 by brute force is
the truth for recall@10. The project's index (the kind the build chooses at this size) beside
faiss HNSW32 and usearch HNSW (f16).

Each index is built in a forked child: build seconds, peak memory the build added (ru_maxrss over
the child's starting RSS) and size on disk. The last line gives project ÷ best peer:
`ratios: keyword_p50=… keyword_p99=… facets_p50=… ann_recall=… keyword_build_s=… keyword_build_mem=…`
(recall is the project's own; the build ratios are against tantivy, which issue 15 asks within 1.5).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from bench.common import percentile, samples_ms  # noqa: E402

FACETS = ("province", "prefecture", "county", "township", "list_type", "category", "department")


# ----- the data every system gets


class Data:
    def __init__(self, fields, facets, vectors, query_tokens, query_vectors, label):
        self.fields = fields            # per record: {field: tokens} (the project's writer wants fields)
        self.texts = [" ".join(f.values()) for f in fields]  # the same tokens as one text, for the peers
        self.facets = facets            # per record: {facet: value or [values]}
        self.vectors = vectors          # float32 [n, dim], normalized
        self.query_tokens = query_tokens
        self.query_vectors = query_vectors
        self.label = label


def load_data(size: str, seed: int) -> Data:
    sys.path.insert(0, str(REPO / "bench"))
    from bench_search import Plan, read_real, synthetic_tokens, synthetic_vectors
    from models.embedding import get_embedder
    from models.segment import Segmenter
    from search.config import SearchConfig

    build = (REPO / "var" / "index" / "current").resolve()
    records, tokens, vectors, meta = read_real(build)
    config = SearchConfig.from_env()
    segmenter = Segmenter.from_dir(build / "dict")
    queries = [json.loads(line)["query"] for line in open(REPO / "tests" / "eval" / "queries.jsonl", encoding="utf-8")
               if line.strip()]
    query_tokens = [list(segmenter.query_terms(q).keyword) for q in queries]
    options = config.embedder_options()
    options["quantize"] = options["quantize"] or meta.get("model", {}).get("quantize")
    embedder = get_embedder(**options)
    query_vectors = np.stack([embedder.encode_query(q) for q in queries]).astype(np.float32)
    if size == "corpus":
        fields = tokens
        facet_rows = [_facet_row(r, r) for r in records]
        label = f"corpus ({len(records):,} records)"
    else:
        plan = Plan(records, int(size), seed)
        fields = list(synthetic_tokens(tokens, plan))
        facet_rows = []
        for i in range(plan.n):
            province, prefecture, county, township = plan.region[int(plan.block[i])]
            facet_rows.append(_facet_row(records[int(plan.template[i])], {
                "province": province, "prefecture": prefecture, "county": county, "township": township}))
        vectors = synthetic_vectors(vectors, plan, 0.02, seed)
        label = f"synthetic ({plan.n:,} records, bench_search.py's generator, seed {seed})"
    return Data(fields, facet_rows, np.ascontiguousarray(vectors, dtype=np.float32), query_tokens, query_vectors, label)


def _facet_row(record: dict, region: dict) -> dict:
    row = {f: region[f] for f in ("province", "prefecture", "county", "township")}
    row.update(list_type=record["list_type"], category=record["category"],
               department=list(record["lead_departments"]) + list(record["receiving_departments"]))
    return row


# ----- building in a child: seconds, added peak memory, disk


def built_in_child(build, folder: Path) -> dict:
    """Run build(folder) in a forked child; its seconds, the memory it added at peak, disk size."""
    queue = mp.get_context("fork").Queue()

    def child():
        start_rss = _rss_mb()
        t = time.perf_counter()
        build(folder)
        seconds = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        queue.put({"build_s": seconds, "build_mem_mb": max(0.0, peak - start_rss)})

    process = mp.get_context("fork").Process(target=child)
    process.start()
    out = queue.get()
    process.join()
    out["disk_mb"] = sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file()) / 2 ** 20
    return out


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def timed(call, items, rounds: int = 3) -> dict:
    """p50/p99 in ms of call(item) over `rounds` warm passes (one warm-up pass first)."""
    for item in items:
        call(item)
    samples = samples_ms(call, items, rounds)
    return {"p50_ms": percentile(samples, 50), "p99_ms": percentile(samples, 99)}


# ----- keyword systems


def project_keyword(data: Data, work: Path) -> dict:
    from search.config import SearchConfig
    from search.keyword import bm25

    folder = work / "project-bm25"
    built = built_in_child(lambda f: bm25.write_index(f, iter(data.fields)), folder)
    index = bm25.Bm25Index(folder, SearchConfig.from_env().field_weights)
    columns = _columns(data)
    backend = bm25.Bm25Backend(index, columns)
    out = dict(built)
    out["top10"] = timed(lambda terms: index.search(terms, None, 10), data.query_tokens)
    out["facets"] = timed(lambda terms: backend.search(terms, {}, 10).facets(10), data.query_tokens)
    out["totals"] = [index.search(t, None, 10).total for t in data.query_tokens]
    return out


def _columns(data: Data):
    from scipy import sparse

    from search.columns import Columns

    codes, values = {}, {}
    for field in FACETS[:-1]:
        table: dict[str, int] = {}
        codes[field] = np.fromiter((table.setdefault(r[field], len(table)) for r in data.facets), dtype=np.int32,
                                   count=len(data.facets))
        values[field] = list(table)
    names: dict[str, int] = {}
    rows, cols = [], []
    for pos, r in enumerate(data.facets):
        for d in r["department"]:
            rows.append(pos)
            cols.append(names.setdefault(d, len(names)))
    matrix = sparse.csr_matrix((np.ones(len(rows), dtype=np.int32), (rows, cols)), shape=(len(data.facets), len(names)))
    return Columns(codes, values, matrix, list(names))


def tantivy_keyword(data: Data, work: Path) -> dict:
    import tantivy

    folder = work / "tantivy"

    def schema():
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("body", stored=False, tokenizer_name="whitespace")
        for field in FACETS:
            builder.add_text_field(field, stored=False, tokenizer_name="raw", fast=True)
        return builder.build()

    def build(f: Path):
        f.mkdir(parents=True)
        index = tantivy.Index(schema(), path=str(f))
        writer = index.writer(heap_size=256_000_000, num_threads=2)
        for text, facets in zip(data.texts, data.facets):
            doc = tantivy.Document(body=text)
            for field in FACETS:
                values = facets[field] if isinstance(facets[field], list) else [facets[field]]
                for value in values:
                    doc.add_text(field, value)
            writer.add_document(doc)
        writer.commit()
        writer.wait_merging_threads()

    built = built_in_child(build, folder)
    index = tantivy.Index.open(str(folder))
    index.reload()
    searcher = index.searcher()
    sch = index.schema

    def query(terms):
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, tantivy.Query.term_query(sch, "body", t))
                                            for t in terms])

    queries = [query(t) for t in data.query_tokens]
    aggregations = {f: {"terms": {"field": f, "size": 10}} for f in FACETS}
    out = dict(built)
    out["top10"] = timed(lambda q: searcher.search(q, 10, count=False), queries)
    out["top10_count"] = timed(lambda q: searcher.search(q, 10, count=True), queries)
    out["facets"] = timed(lambda q: (searcher.search(q, 10, count=True), searcher.aggregate(q, aggregations)), queries)
    out["totals"] = [searcher.search(q, 1, count=True).count for q in queries]
    return out


def bm25s_keyword(data: Data, work: Path) -> dict:
    import bm25s

    folder = work / "bm25s"

    def build(f: Path):
        retriever = bm25s.BM25()
        retriever.index([t.split() for t in data.texts], show_progress=False)
        retriever.save(str(f))

    built = built_in_child(build, folder)
    retriever = bm25s.BM25.load(str(folder))
    vocab = retriever.vocab_dict

    def search(terms):
        ids = [vocab[t] for t in terms if t in vocab]
        if not ids:
            return None
        scores = retriever.get_scores(ids)
        return np.argpartition(-scores, 10)[:10] if len(scores) > 10 else scores

    out = dict(built)
    out["top10"] = timed(search, data.query_tokens)
    return out


# ----- vector systems


def exact_top10(data: Data) -> np.ndarray:
    out = []
    for q in data.query_vectors:
        scores = np.empty(len(data.vectors), dtype=np.float32)
        for start in range(0, len(data.vectors), 200_000):
            scores[start:start + 200_000] = data.vectors[start:start + 200_000] @ q
        top = np.argpartition(-scores, 10)[:10]
        out.append(top[np.argsort(-scores[top])])
    return np.array(out)


def recall_at_10(found: list[np.ndarray], truth: np.ndarray) -> float:
    return float(np.mean([len(set(map(int, f[:10])) & set(map(int, t))) / 10 for f, t in zip(found, truth)]))


def project_vectors(data: Data, work: Path, truth: np.ndarray) -> dict:
    from search.ann import faiss_index as semantic
    from search.config import SearchConfig

    config = SearchConfig.from_env()
    kind = semantic.choose_kind(len(data.vectors), config.ann_threshold, config.ann_kind)
    folder = work / "project-faiss"

    def build(f: Path):
        f.mkdir(parents=True)
        semantic.save(semantic.build_index(data.vectors, kind), f / semantic.INDEX_NAME)

    built = built_in_child(build, folder)
    index = semantic.open_index(folder, config)
    out = dict(built, kind=kind, nprobe=config.nprobe)
    out["search"] = timed(lambda q: index.search(q, 10), data.query_vectors)
    out["recall10"] = recall_at_10([index.search(q, 10)[0] for q in data.query_vectors], truth)
    return out


def faiss_hnsw(data: Data, work: Path, truth: np.ndarray) -> dict:
    import faiss

    folder = work / "faiss-hnsw"

    def build(f: Path):
        f.mkdir(parents=True)
        index = faiss.IndexHNSWFlat(data.vectors.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.add(data.vectors)
        faiss.write_index(index, str(f / "hnsw.faiss"))

    built = built_in_child(build, folder)
    index = faiss.read_index(str(folder / "hnsw.faiss"))
    params = faiss.SearchParametersHNSW(efSearch=64)
    one = lambda q: index.search(q.reshape(1, -1), 10, params=params)[1][0]  # noqa: E731
    out = dict(built, ef_search=64)
    out["search"] = timed(one, data.query_vectors)
    out["recall10"] = recall_at_10([one(q) for q in data.query_vectors], truth)
    return out


def usearch_hnsw(data: Data, work: Path, truth: np.ndarray) -> dict:
    from usearch.index import Index

    folder = work / "usearch"

    def build(f: Path):
        f.mkdir(parents=True)
        index = Index(ndim=data.vectors.shape[1], metric="ip", dtype="f16", connectivity=16)
        index.add(np.arange(len(data.vectors)), data.vectors, threads=2)
        index.save(str(f / "usearch.index"))

    built = built_in_child(build, folder)
    index = Index.restore(str(folder / "usearch.index"), view=False)
    one = lambda q: index.search(q, 10).keys  # noqa: E731
    out = dict(built)
    out["search"] = timed(one, data.query_vectors)
    out["recall10"] = recall_at_10([one(q) for q in data.query_vectors], truth)
    return out


# ----- report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="corpus", help="'corpus' or a record count (synthetic)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", help="also write every figure to this file")
    args = parser.parse_args(argv)
    load = os.getloadavg()
    t0 = time.perf_counter()
    data = load_data(args.size, args.seed)
    print(f"# {data.label}; {len(data.query_tokens)} queries; load average {load[0]:.2f} {load[1]:.2f} at start; "
          f"{os.cpu_count()} cores")
    report = {"data": data.label, "load_start": load}
    with tempfile.TemporaryDirectory(prefix="tds-peers-") as tmp:
        work = Path(tmp)
        report["project_keyword"] = project_keyword(data, work)
        report["tantivy"] = tantivy_keyword(data, work)
        report["bm25s"] = bm25s_keyword(data, work)
        truth = exact_top10(data)
        report["project_vectors"] = project_vectors(data, work, truth)
        report["faiss_hnsw"] = faiss_hnsw(data, work, truth)
        report["usearch"] = usearch_hnsw(data, work, truth)
    report["load_end"] = os.getloadavg()
    report["seconds"] = time.perf_counter() - t0
    print_report(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, default=float), encoding="utf-8")
    return 0


def print_report(r: dict) -> None:
    pk, tv, bs = r["project_keyword"], r["tantivy"], r["bm25s"]
    totals_agree = sum(a == b for a, b in zip(pk["totals"], tv["totals"]))
    print("\n| keyword | p50 / p99 ms | build s | build memory MB | disk MB |\n|---|---|---|---|---|")
    for name, s, key in (("project BM25, top 10 + every match (unsorted)", pk, "top10"), ("tantivy, top 10", tv, "top10"),
                         ("tantivy, top 10 + count", tv, "top10_count"), ("bm25s, top 10", bs, "top10"),
                         ("project backend, total + 7 facets", pk, "facets"),
                         ("tantivy, count + 7 terms aggregations", tv, "facets")):
        print(f"| {name} | {s[key]['p50_ms']:.2f} / {s[key]['p99_ms']:.2f} | {s['build_s']:.1f} | "
              f"{s['build_mem_mb']:.0f} | {s['disk_mb']:.0f} |")
    print(f"match counts equal to tantivy's on {totals_agree} of {len(pk['totals'])} queries")
    pv, fh, us = r["project_vectors"], r["faiss_hnsw"], r["usearch"]
    print("\n| vectors | p50 / p99 ms | recall@10 (exact) | build s | build memory MB | disk MB |\n|---|---|---|---|---|---|")
    for name, s in ((f"project ({pv['kind']}, nprobe {pv['nprobe']})", pv), ("faiss HNSW32 (efSearch 64)", fh),
                    ("usearch HNSW f16", us)):
        print(f"| {name} | {s['search']['p50_ms']:.3f} / {s['search']['p99_ms']:.3f} | {s['recall10']:.3f} | "
              f"{s['build_s']:.1f} | {s['build_mem_mb']:.0f} | {s['disk_mb']:.0f} |")
    best_p50 = min(tv["top10"]["p50_ms"], bs["top10"]["p50_ms"])
    best_p99 = min(tv["top10"]["p99_ms"], bs["top10"]["p99_ms"])
    print(f"\nload average at the end {r['load_end'][0]:.2f}; {r['seconds']:.0f} s in all")
    print(f"ratios: keyword_p50={pk['top10']['p50_ms'] / best_p50:.2f} keyword_p99={pk['top10']['p99_ms'] / best_p99:.2f} "
          f"facets_p50={pk['facets']['p50_ms'] / tv['facets']['p50_ms']:.2f} ann_recall={pv['recall10']:.3f} "
          f"keyword_build_s={pk['build_s'] / tv['build_s']:.2f} keyword_build_mem={pk['build_mem_mb'] / tv['build_mem_mb']:.2f}")


if __name__ == "__main__":
    raise SystemExit(main())
