"""In-process search latency per mode, warm, at corpus size and on a synthetic corpus of 1,000,000 records.

    python bench/bench_search.py                       # both parts (the 1M part takes ~10–15 min on 2 cores)
    python bench/bench_search.py --records 200000      # a smaller synthetic corpus
    python bench/bench_search.py --skip-large          # corpus size only (~1 min)
    python bench/bench_search.py --skip-corpus --keep  # keep the synthetic index (--work-dir) ...
    python bench/bench_search.py --skip-corpus --reuse # ... and measure it again without rebuilding
    python bench/bench_search.py --json out.json       # also write every figure as JSON

Corpus size: the built index (--index-dir, else TDS_INDEX_DIR, else var/index) opened with
`Engine.open`; queries are the staff-style queries of tests/eval/queries.jsonl (with their
filters), one warm-up pass, then --rounds passes; every mode runs on every query in turn. On the
synthetic corpus the warm-up is the first 30 queries and --rounds-large passes (default 1, so 116
timed searches per mode: p99 lies between the third and second slowest); township filters are
mapped to a synthetic township copying the named one. Percentiles are linearly interpolated
(numpy.percentile's default), by `bench.common.percentile`.

Synthetic corpus: records recombined from the real ones — each synthetic township copies a real
township's list (same items, same list types, in order) under a new name; every record keeps its
template's name, category and departments and takes one duty sentence group from another real
record of the same list type, so term frequencies and text lengths are those of real lists. Tokens
are reused from the real keyword store (no jieba run for a million texts); vectors are the
template's real embedding plus a quarter of the partner's, plus Gaussian noise, renormalized (no
model run for a million texts; cosine to the template ≈ 0.9). Written with the core's own
writers (search.store.write_store, search.keyword.bm25.write_index, search.ann.faiss_index.build_index with the compressed
kind, IVF-PQ by default) into a normal build folder, then opened with `Engine.open` like any index.

Where the build holds the staff questions' vectors (search/ann/questions.py), each size also times
semantic search and the county owner call with them and with the names' alone (the same engine,
question_vectors=0), interleaved query by query: the peer the questions' cost is read against.
Where it holds the questions about other authorities' work (search/ann/examples.py; the synthetic
build copies the real one's), the one-page owner call is timed with and without them the same way.

Each measurement runs in a fresh child process, so its RSS (psutil) is the serving footprint of
that index alone. The query-embedding cache is off (TDS_QUERY_CACHE=0): every search embeds its
query, as a new query would. Latencies are wall-clock per `engine.search(..., size=10)` call,
highlights and facets included. The machine's load average is printed: other processes on these
2 cores inflate the tails.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.common import percentile  # noqa: E402  (shared by the bench scripts)

MODES = ("keyword", "semantic", "hybrid")
TARGETS = {"corpus_hybrid_p50_ms": 15.0, "large_p99_ms": 100.0, "corpus_owner_p50_ms": 30.0,
           "large_owner_county_p50_ms": 100.0, "hybrid_over_embed": 1.3}


# ----- helpers

def rss_mb() -> float:
    import psutil
    return psutil.Process().memory_info().rss / 2 ** 20


def load_queries() -> list[dict]:
    with open(REPO / "tests" / "eval" / "queries.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def dir_size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) / 2 ** 20


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ----- measuring (runs in a child process)

def measure(index_dir: str, rounds: int, township_map: dict | None, drop_filters: bool,
            warmup: int | None = None) -> dict:
    """Open the index, warm up, time every mode on every query `rounds` times."""
    os.environ["TDS_QUERY_CACHE"] = "0"
    from search.engine import Engine

    rss_start = rss_mb()
    started = time.perf_counter()
    engine = Engine.open(index_dir)
    open_s = time.perf_counter() - started
    rss_open = rss_mb()

    queries = []
    for q in load_queries():
        filters = dict(q.get("filters") or {})
        if filters and township_map is not None:
            if "township" in filters and filters["township"] in township_map:
                filters["township"] = township_map[filters["township"]]
            elif drop_filters:
                filters = {}
        queries.append((q["query"], filters or None))

    for text, filters in queries[:warmup]:  # warm-up: model, SQLite pages, FAISS lists
        for mode in MODES:
            engine.search(text, mode=mode, filters=filters, size=10)
    samples = {m: [] for m in MODES}
    embed = []
    for _ in range(rounds):
        for text, filters in queries:
            t = time.perf_counter()
            engine.query_vector(text)
            embed.append((time.perf_counter() - t) * 1000)
            for mode in MODES:
                t = time.perf_counter()
                engine.search(text, mode=mode, filters=filters, size=10)
                samples[mode].append((time.perf_counter() - t) * 1000)
    owner, rows = [], 0
    for text, _ in queries:  # one page of townships (SearchConfig.owner_page_size), as the API answers
        t = time.perf_counter()
        rows = len(engine.owner(text)["results"])
        owner.append((time.perf_counter() - t) * 1000)
    # every township of one county, as a county office asks: the county with the most townships
    county = max(Counter(t.county for t in engine.ranges).items(), key=lambda kv: (kv[1], kv[0]))[0]
    owner_county, county_rows = [], 0
    for text, _ in queries:
        t = time.perf_counter()
        county_rows = len(engine.owner(text, region={"county": county}, size=100)["results"])
        owner_county.append((time.perf_counter() - t) * 1000)
    peer = questions_peer(engine, queries, county)
    rest = rest_peer(engine)
    elsewhere = elsewhere_peer(engine, queries)
    out = {
        "index": str(engine.build_dir), "records": len(engine.records), "faiss": engine.vectors.kind,
        "open_s": round(open_s, 2), "rss_mb_before_open": round(rss_start, 1), "rss_mb": round(rss_open, 1),
        "rss_mb_after_queries": round(rss_mb(), 1), "queries": len(queries), "rounds": rounds,
        "embed_ms": {"p50": percentile(embed, 50), "p99": percentile(embed, 99)},
        "modes": {m: {"p50": percentile(v, 50), "p90": percentile(v, 90), "p99": percentile(v, 99),
                      "mean": statistics.fmean(v), "max": max(v), "n": len(v)} for m, v in samples.items()},
        "owner": {"p50": percentile(owner, 50), "p99": percentile(owner, 99), "n": len(owner),
                  "townships_per_call": rows, "townships": len(engine.ranges)},
        "owner_county": {"p50": percentile(owner_county, 50), "p99": percentile(owner_county, 99),
                         "n": len(owner_county), "townships_per_call": county_rows, "county": county},
    }
    if peer:
        out["questions_peer"] = peer
    if rest:
        out["rest_peer"] = rest
    if elsewhere:
        out["elsewhere_peer"] = elsewhere
    engine.close()
    return out


def rest_peer(engine) -> dict | None:
    """The owner call (one page) on questions that name another authority's work beside the
    township's (tests/eval/whose_work's stress set, both halves: only timed, never read), with the
    second yield of the other-authority rule (SearchConfig.owner_authority_rest_p: the clauses
    without the term weighed again) and without it, interleaved question by question."""
    stress = REPO / "tests" / "eval" / "whose_work" / "township_work_naming_others.tsv"
    if not stress.exists() or engine.config.owner_authority_rest_p > 1:
        return None
    questions = [line.partition("\t")[2] for line in stress.read_text(encoding="utf-8").splitlines() if "\t" in line]
    plain = copy.copy(engine)
    plain.config = engine.config.with_(owner_authority_rest_p=2.0)
    times = {"with": [], "without": []}
    for text in questions:
        for side, e in (("with", engine), ("without", plain)):
            t = time.perf_counter()
            e.owner(text)
            times[side].append((time.perf_counter() - t) * 1000)
    asked = sum(bool(engine.segmenter.authorities_asked(q)) for q in questions)
    return {side: {"p50": percentile(v, 50), "p99": percentile(v, 99), "n": len(v)} for side, v in times.items()} | {
        "asked": asked}


def elsewhere_peer(engine, queries) -> dict | None:
    """The owner call (one page) with the questions about other authorities' work
    (search/ann/examples.py: the closest one found for every question) and without them (the same
    engine, none loaded), interleaved query by query, each side first every other query: the first
    call of a query reads its records from the store, the second from the cache."""
    if engine.work_examples is None:
        return None
    plain = copy.copy(engine)
    plain.work_examples = None
    times = {"with": [], "without": []}
    for i, (text, _) in enumerate(queries):
        sides = (("with", engine), ("without", plain))
        for side, e in sides if i % 2 == 0 else sides[::-1]:
            t = time.perf_counter()
            e.owner(text)
            times[side].append((time.perf_counter() - t) * 1000)
    return {side: {"p50": percentile(v, 50), "p99": percentile(v, 99), "n": len(v)} for side, v in times.items()} | {
        "examples": len(engine.work_examples)}


def questions_peer(engine, queries, county: str) -> dict | None:
    """Semantic search and the county owner call with the staff questions' vectors (as served)
    and with the names' alone (the same engine, TDS_QUESTION_VECTORS=0), interleaved query by
    query in this one process, so both meet the same machine."""
    if engine.question_sets is None or not engine.config.question_vectors:
        return None
    plain = copy.copy(engine)
    plain.config = engine.config.with_(question_vectors=0)
    times = {(part, side): [] for part in ("semantic", "owner_county") for side in ("questions", "names")}
    for text, filters in queries:
        for side, e in (("questions", engine), ("names", plain)):
            t = time.perf_counter()
            e.search(text, mode="semantic", filters=filters, size=10)
            times[("semantic", side)].append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            e.owner(text, region={"county": county}, size=100)
            times[("owner_county", side)].append((time.perf_counter() - t) * 1000)
    return {f"{part}_{side}": {"p50": percentile(v, 50), "p99": percentile(v, 99), "n": len(v)}
            for (part, side), v in times.items()} | {"questions": len(engine.question_sets.vectors)}


def wait_quiet(limit: float, timeout_s: float) -> str:
    """Wait (at most timeout_s) until the 1-minute load average is below `limit`."""
    started = time.perf_counter()
    while os.getloadavg()[0] >= limit and time.perf_counter() - started < timeout_s:
        time.sleep(5)
    load = os.getloadavg()[0]
    return f"{load:.2f} after waiting {time.perf_counter() - started:.0f} s"


def measure_in_child(index_dir: Path, rounds: int, township_map: dict | None = None,
                     drop_filters: bool = False, blas_threads: int | None = None, warmup: int | None = None,
                     env_extra: dict | None = None) -> dict:
    spec = json.dumps({"index_dir": str(index_dir), "rounds": rounds, "township_map": township_map,
                       "drop_filters": drop_filters, "warmup": warmup}, ensure_ascii=False)
    env = dict(os.environ, TDS_QUERY_CACHE="0", PYTHONPATH=str(REPO), **(env_extra or {}))
    if blas_threads:
        env.update(OPENBLAS_NUM_THREADS=str(blas_threads), OMP_NUM_THREADS=str(blas_threads),
                   MKL_NUM_THREADS=str(blas_threads))
    proc = subprocess.run([sys.executable, __file__, "--_measure", spec], env=env, cwd=REPO,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"measurement failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ----- the synthetic corpus

def read_real(build_dir: Path):
    from search import store
    from search.ann import faiss_index as semantic

    records = store.read_records(build_dir / store.DB_NAME)
    tokens = store.read_tokens(build_dir / store.DB_NAME)
    index = semantic.SemanticIndex.load(build_dir / semantic.INDEX_NAME)
    vectors = index.vectors(0, index.count).astype("float32")
    meta = json.loads((build_dir / "meta.json").read_text(encoding="utf-8"))
    assert len(records) == len(tokens) == len(vectors), "real index is inconsistent"
    return records, tokens, vectors, meta


class Plan:
    """Which real record each synthetic record copies (template) and borrows from (partner)."""

    def __init__(self, records: list[dict], n: int, seed: int):
        import numpy as np

        rng = np.random.default_rng(seed)
        towns: dict[tuple, list[int]] = {}
        for pos, r in enumerate(records):
            towns.setdefault((r["province"], r["prefecture"], r["county"], r["township"]), []).append(pos)
        by_type: dict[str, np.ndarray] = {}
        for lt in ("basic", "cooperative", "recovered"):
            by_type[lt] = np.array([p for p, r in enumerate(records) if r["list_type"] == lt])
        town_keys = list(towns)
        template, block, region = [], [], []
        k = 0
        while len(template) < n:
            key = town_keys[k % len(town_keys)]
            members = towns[key][: n - len(template)]
            template += members
            block += [k] * len(members)
            province, prefecture, county, township = key
            region.append((province, prefecture, f"{county}{k // 8:05d}", f"{township}{k:05d}"))
            k += 1
        self.template = np.array(template, dtype=np.int32)
        self.block = np.array(block, dtype=np.int32)
        self.region = region
        types = [records[t]["list_type"] for t in template]
        self.partner = np.empty(n, dtype=np.int32)
        for lt, pool in by_type.items():
            idx = np.array([i for i, t in enumerate(types) if t == lt], dtype=np.int64)
            if len(idx):
                self.partner[idx] = pool[rng.integers(0, len(pool), len(idx))]
        self.n = n
        self.township_map = {}  # real township -> first synthetic township copying it
        for k, (_, _, _, name) in enumerate(region):
            self.township_map.setdefault(name[:-5], name)


def synthetic_records(records, plan: Plan):
    from models.duty import duty_id

    ordinal = 0
    last_block = -1
    for i in range(plan.n):
        a, b, k = int(plan.template[i]), int(plan.partner[i]), int(plan.block[i])
        ordinal = ordinal + 1 if k == last_block else 1
        last_block = k
        province, prefecture, county, township = plan.region[k]
        r = dict(records[a])
        r.update(province=province, prefecture=prefecture, county=county, township=township,
                 id=duty_id(county, township, r["list_type"], ordinal), source=f"synthetic:{a}:{b}")
        borrowed = records[b]["township_duties"][:1] or ([records[b]["handling"]] if records[b]["handling"] else [])
        r["township_duties"] = list(r["township_duties"]) + borrowed
        yield r


def synthetic_tokens(tokens, plan: Plan, borrow_tokens: int = 40):
    for i in range(plan.n):
        a, b = int(plan.template[i]), int(plan.partner[i])
        ta = tokens[a]
        extra = " ".join(tokens[b]["duties"].split()[:borrow_tokens])
        yield {"name": ta["name"], "category": ta["category"], "duties": f"{ta['duties']} {extra}".strip(),
               "departments": ta["departments"], "asked": ta["asked"]}


def synthetic_departments(records, plan: Plan):
    for i in range(plan.n):
        r = records[int(plan.template[i])]
        yield list(r["lead_departments"]) + list(r["receiving_departments"])


def synthetic_vectors(vectors, plan: Plan, noise: float, seed: int, chunk: int = 100_000):
    import numpy as np

    rng = np.random.default_rng(seed + 1)
    out = np.empty((plan.n, vectors.shape[1]), dtype=np.float32)
    for start in range(0, plan.n, chunk):
        end = min(plan.n, start + chunk)
        v = vectors[plan.template[start:end]] + 0.25 * vectors[plan.partner[start:end]]
        v += rng.standard_normal(v.shape, dtype=np.float32) * noise
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        out[start:end] = v
    return out


def build_synthetic(real_build: Path, work_dir: Path, n: int, kind: str, noise: float, seed: int) -> dict:
    import numpy as np

    from search import store
    from search.keyword import bm25 as keyword_bm25
    from search.ann import faiss_index as semantic
    from search.ann.examples import EXAMPLES_FILE
    from search.ann.questions import QuestionSets, read_sets, write_sets

    if work_dir.exists():
        shutil.rmtree(work_dir)
    build_dir = work_dir / "builds" / f"synthetic-{n}"
    build_dir.mkdir(parents=True)
    timings = {}
    rss = {"start": rss_mb()}

    t = time.perf_counter()
    records, tokens, vectors, real_meta = read_real(real_build)
    plan = Plan(records, n, seed)
    timings["plan_s"] = time.perf_counter() - t
    log(f"synthetic: {n:,} records in {len(plan.region):,} townships from {len(records):,} real records")

    t = time.perf_counter()
    store.write_store(build_dir / store.DB_NAME, synthetic_records(records, plan),
                      synthetic_tokens(tokens, plan), synthetic_departments(records, plan),
                      {"build_id": build_dir.name, "model": real_meta["model"], "synthetic": True})
    timings["record_store_s"] = time.perf_counter() - t
    rss["after_record_store"] = rss_mb()
    log(f"synthetic: record store written in {timings['record_store_s']:.1f} s "
        f"({n / timings['record_store_s']:,.0f} records/s)")
    t = time.perf_counter()
    postings = keyword_bm25.write_index(build_dir / keyword_bm25.FOLDER, synthetic_tokens(tokens, plan))
    timings["keyword_index_s"] = time.perf_counter() - t
    rss["after_keyword_index"] = rss_mb()
    log(f"synthetic: BM25 postings ({postings['terms']:,} terms, {postings['postings']:,} postings) in "
        f"{timings['keyword_index_s']:.1f} s ({n / timings['keyword_index_s']:,.0f} records/s)")

    t = time.perf_counter()
    synth = synthetic_vectors(vectors, plan, noise, seed)
    timings["vectors_s"] = time.perf_counter() - t
    cos = float(np.mean(np.sum(synth[:2000] * vectors[plan.template[:2000]], axis=1)))
    t = time.perf_counter()
    index = semantic.build_index(synth, kind)
    timings["faiss_s"] = time.perf_counter() - t
    semantic.save(index, build_dir / semantic.INDEX_NAME)
    rss["after_faiss"] = rss_mb()
    log(f"synthetic: FAISS {kind} over {n:,} vectors in {timings['faiss_s']:.1f} s "
        f"({n / timings['faiss_s']:,.0f} records/s; mean cosine to template {cos:.3f})")
    del synth, index

    real_sets = read_sets(real_build)
    if real_sets is not None:  # each synthetic record asks as its template does
        write_sets(QuestionSets(real_sets.vectors, real_sets.starts, real_sets.record_set[plan.template]), build_dir)
    shutil.copytree(real_build / "dict", build_dir / "dict")
    if (real_build / EXAMPLES_FILE).is_file():  # the questions about other authorities' work, as built
        shutil.copy2(real_build / EXAMPLES_FILE, build_dir / EXAMPLES_FILE)
    meta = dict(real_meta)
    meta.update(build_id=build_dir.name, records=n, townships=len(plan.region), counts={}, synthetic=True,
                faiss={"kind": kind, "dim": int(vectors.shape[1]), "ntotal": n},
                timings={k: round(v, 2) for k, v in timings.items()})
    (build_dir / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    os.symlink(os.path.relpath(build_dir, work_dir), work_dir / "current")
    (work_dir / "township_map.json").write_text(json.dumps(plan.township_map, ensure_ascii=False), encoding="utf-8")
    return {"records": n, "townships": len(plan.region), "kind": kind, "noise": noise,
            "mean_cosine_to_template": round(cos, 3), "timings": {k: round(v, 2) for k, v in timings.items()},
            "build_rss_mb": {k: round(v, 1) for k, v in rss.items()},
            "disk_mb": {"duties.sqlite": round((build_dir / store.DB_NAME).stat().st_size / 2 ** 20, 1),
                        "bm25": round(dir_size_mb(build_dir / keyword_bm25.FOLDER), 1),
                        "vectors.faiss": round((build_dir / semantic.INDEX_NAME).stat().st_size / 2 ** 20, 1)},
            "township_map": plan.township_map}


# ----- report

def print_report(report: dict) -> None:
    print(f"load average at start: {report['loadavg']}  (2 cores; other processes inflate the tails); "
          f"BLAS threads in the measured process: {report.get('blas_threads') or 'library default'}")
    for key in ("corpus_load", "large_load"):
        if key in report:
            print(f"load average when the {key.split('_')[0]} measurement started: {report[key]}")
    print()
    head = f"{'':<22}{'records':>10}{'RSS MB':>8}{'open s':>8}{'embed p50':>10}"
    for m in MODES:
        head += f"{m + ' p50/p99 ms':>22}"
    print(head)
    for key, label in (("corpus", "corpus size"), ("large", "synthetic")):
        r = report.get(key)
        if not r:
            continue
        line = f"{label:<22}{r['records']:>10,}{r['rss_mb']:>8.0f}{r['open_s']:>8.1f}{r['embed_ms']['p50']:>10.1f}"
        for m in MODES:
            x = r["modes"][m]
            line += f"{x['p50']:>13.1f} / {x['p99']:<6.1f}"
        print(line)
        print(f"{'':<22}faiss {r['faiss']}, {r['queries']} queries x {r['rounds']} rounds per mode")
        if "owner" in r:
            o = r["owner"]
            print(f"{'':<22}owner, one page of {o['townships_per_call']} of {o['townships']:,} townships: "
                  f"p50 {o['p50']:.1f} ms, p99 {o['p99']:.1f} ms ({o['n']} queries)")
        if "owner_county" in r:
            o = r["owner_county"]
            print(f"{'':<22}owner, county {o['county']} ({o['townships_per_call']} townships): "
                  f"p50 {o['p50']:.1f} ms, p99 {o['p99']:.1f} ms ({o['n']} queries)")
        if "questions_peer" in r:
            q = r["questions_peer"]
            print(f"{'':<22}with the {q['questions']:,} staff questions' vectors / names alone, interleaved: "
                  + ", ".join(f"{part.replace('_', ' ')} p50 {q[part + '_questions']['p50']:.1f} / "
                              f"{q[part + '_names']['p50']:.1f} ms "
                              f"(x{q[part + '_questions']['p50'] / q[part + '_names']['p50']:.2f})"
                              for part in ("semantic", "owner_county")))
        if "rest_peer" in r:
            x = r["rest_peer"]
            print(f"{'':<22}owner on {x['with']['n']} questions naming another authority's work beside the township's "
                  f"({x['asked']} asked as that authority's work: only those can weigh their other clauses again), "
                  f"with / without that step, interleaved: "
                  f"p50 {x['with']['p50']:.1f} / {x['without']['p50']:.1f} ms, "
                  f"p99 {x['with']['p99']:.1f} / {x['without']['p99']:.1f} ms")
        if "elsewhere_peer" in r:
            x = r["elsewhere_peer"]
            print(f"{'':<22}owner with / without the {x['examples']:,} questions about other authorities' work, "
                  f"interleaved: p50 {x['with']['p50']:.1f} / {x['without']['p50']:.1f} ms, "
                  f"p99 {x['with']['p99']:.1f} / {x['without']['p99']:.1f} ms ({x['with']['n']} queries)")
    b = report.get("large_build")
    if b:
        t = b["timings"]
        print()
        print(f"synthetic build ({b['records']:,} records, {b['townships']:,} townships, FAISS {b['kind']}):")
        print(f"  record store (SQLite): {t['record_store_s']:.1f} s = "
              f"{b['records'] / t['record_store_s']:,.0f} records/s, {b['disk_mb']['duties.sqlite']:,.0f} MB")
        print(f"  BM25 postings: {t['keyword_index_s']:.1f} s = "
              f"{b['records'] / t['keyword_index_s']:,.0f} records/s, {b['disk_mb']['bm25']:,.0f} MB")
        print(f"  FAISS {b['kind']} train + add: {t['faiss_s']:.1f} s = {b['records'] / t['faiss_s']:,.0f} records/s, "
              f"{b['disk_mb']['vectors.faiss']:,.0f} MB")
        print(f"  build process peak RSS seen: {max(b['build_rss_mb'].values()):,.0f} MB")
        emb = report.get("embedding_rate")
        if emb:
            whole = 1 / (1 / emb + (t["record_store_s"] + t["keyword_index_s"] + t["faiss_s"]) / b["records"])
            print(f"  embedding (real build, {report['embedding_source']}): {emb:,.0f} records/s — with it a full "
                  f"build runs at ~{whole:,.0f} records/s (embedding dominates)")
    print()
    c, l = report.get("corpus"), report.get("large")
    if c:
        ok = c["modes"]["hybrid"]["p50"] <= TARGETS["corpus_hybrid_p50_ms"]
        print(f"target hybrid p50 <= {TARGETS['corpus_hybrid_p50_ms']:.0f} ms at corpus size: "
              f"{c['modes']['hybrid']['p50']:.1f} ms  {'MET' if ok else 'NOT MET'}")
    if c and "owner" in c:
        ok = c["owner"]["p50"] <= TARGETS["corpus_owner_p50_ms"]
        print(f"target owner p50 <= {TARGETS['corpus_owner_p50_ms']:.0f} ms at corpus size: "
              f"{c['owner']['p50']:.1f} ms  {'MET' if ok else 'NOT MET'}")
    if l and "owner_county" in l:
        ok = l["owner_county"]["p50"] <= TARGETS["large_owner_county_p50_ms"]
        print(f"target county-filtered owner p50 <= {TARGETS['large_owner_county_p50_ms']:.0f} ms at "
              f"{l['records']:,} records: {l['owner_county']['p50']:.1f} ms  {'MET' if ok else 'NOT MET'}")
    for r, label in ((c, "corpus size"), (l, "synthetic")):
        if r:
            ratio = r["modes"]["hybrid"]["p50"] / r["embed_ms"]["p50"]
            print(f"target hybrid p50 <= {TARGETS['hybrid_over_embed']} x the query embedding at {label}: "
                  f"{r['modes']['hybrid']['p50']:.1f} / {r['embed_ms']['p50']:.1f} ms = {ratio:.2f}  "
                  f"{'MET' if ratio <= TARGETS['hybrid_over_embed'] else 'NOT MET'}")
    if l:
        worst = max(l["modes"][m]["p99"] for m in MODES)
        label = f"{l['records']:,}"
        print(f"target p99 <= {TARGETS['large_p99_ms']:.0f} ms at {label} records: " + ", ".join(
            f"{m} {l['modes'][m]['p99']:.1f}" for m in MODES) + f"  {'MET' if worst <= TARGETS['large_p99_ms'] else 'NOT MET'}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", default=None, help="the real index root (default TDS_INDEX_DIR or var/index)")
    parser.add_argument("--records", type=int, default=1_000_000, help="synthetic corpus size (default 1,000,000)")
    parser.add_argument("--faiss", default="ivf-sq8", choices=["ivf-sq8", "ivfpq", "hnsw", "flat"],
                        help="FAISS kind for the synthetic corpus (default ivf-sq8, the core's default above ann_threshold)")
    parser.add_argument("--noise", type=float, default=0.02, help="per-dimension noise on synthetic vectors")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=5, help="timed passes over the queries at corpus size")
    parser.add_argument("--rounds-large", type=int, default=1, help="timed passes on the synthetic corpus")
    parser.add_argument("--work-dir", default="/tmp/tds-bench-synthetic", help="where the synthetic index goes")
    parser.add_argument("--keep", action="store_true", help="keep the synthetic index afterwards")
    parser.add_argument("--reuse", action="store_true", help="measure an existing synthetic index in --work-dir")
    parser.add_argument("--skip-corpus", action="store_true")
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="set OPENBLAS_NUM_THREADS/OMP_NUM_THREADS in the measured process (default: as shipped)")
    parser.add_argument("--wait-quiet", type=float, default=None, metavar="LOAD",
                        help="before each measurement wait (up to 10 min) until the 1-min load average < LOAD")
    parser.add_argument("--json", default=None, help="also write the report to this file")
    parser.add_argument("--_measure", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args._measure:
        spec = json.loads(args._measure)
        print(json.dumps(measure(spec["index_dir"], spec["rounds"], spec.get("township_map"),
                                 spec.get("drop_filters", False), spec.get("warmup")), ensure_ascii=False))
        return 0

    from search.config import index_root

    real_root = index_root(args.index_dir)
    real_build = (real_root / "current").resolve()
    if not (real_build / "meta.json").exists():
        print(f"no built index at {real_root / 'current'}; run `python -m indexer build` first", file=sys.stderr)
        return 1
    real_meta = json.loads((real_build / "meta.json").read_text(encoding="utf-8"))
    report = {"loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()), "started": time.strftime("%Y-%m-%d %H:%M:%S"),
              "blas_threads": args.blas_threads}
    embed_s = (real_meta.get("timings") or {}).get("embed_s")
    if embed_s:
        report["embedding_rate"] = real_meta["records"] / embed_s
        report["embedding_source"] = f"{real_meta['records']:,} records in {embed_s:.0f} s"

    if not args.skip_corpus:
        log(f"corpus size: measuring {real_build} ...")
        if args.wait_quiet:
            report["corpus_load"] = wait_quiet(args.wait_quiet, 600)
        report["corpus"] = measure_in_child(real_root, args.rounds, blas_threads=args.blas_threads)

    if not args.skip_large:
        work = Path(args.work_dir)
        started = time.perf_counter()
        if args.reuse and (work / "current").exists():
            township_map = json.loads((work / "township_map.json").read_text(encoding="utf-8"))
        else:
            log(f"synthetic: building {args.records:,} records into {work} ...")
            build = build_synthetic(real_build, work, args.records, args.faiss, args.noise, args.seed)
            township_map = build.pop("township_map")
            report["large_build"] = build
        log("synthetic: measuring ...")
        if args.wait_quiet:
            report["large_load"] = wait_quiet(args.wait_quiet, 600)
        report["large"] = measure_in_child(work, args.rounds_large, township_map, drop_filters=True,
                                           blas_threads=args.blas_threads, warmup=30)
        report["large"]["total_s"] = round(time.perf_counter() - started, 1)
        if not args.keep and not args.reuse:
            shutil.rmtree(work, ignore_errors=True)

    print_report(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
