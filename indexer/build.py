"""`python -m indexer build`: parse data/raw, write the keyword store and FAISS index, swap them in.

Layout under the index root (--index-dir, else TDS_INDEX_DIR, else <repo>/var/index):

    builds/<YYYYmmddTHHMMSS>-<pid>/
        duties.sqlite      records (JSON), filter columns, jieba tokens (search/store.py)
        bm25/              keyword postings over those tokens (search/keyword/bm25.py)
        vectors.faiss      one normalized embedding per record, id = position (search/ann/faiss_index.py)
        dict/              the effective segmentation dictionary (curated data/dict + corpus terms)
        meta.json          counts, model (name, dim, fingerprint), built_at, timings — written last
    current -> builds/<id> a symlink, replaced atomically (temporary symlink + os.replace)

Nothing under `current` changes while a build runs: a build writes a new folder, fsyncs it, then
swaps the symlink. A failed parse or build removes its own folder and leaves `current` alone.
After a swap, old builds are deleted except the previous one (a serving engine may still read it).
One build at a time per index root (a lock file); a second one fails at once with a message.
"""
from __future__ import annotations

import argparse
import errno
import fcntl
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from models.duty import county_departments
from search.config import INDEX_FORMAT, SearchConfig, index_root

REPO = Path(__file__).resolve().parent.parent
BUILDS, CURRENT, META, DICT_DIR = "builds", "current", "meta.json", "dict"
# How staff ask for each item's task, by item name (data/dict/README.md): the keyword field `asked`.
ASKED_FILE = REPO / "data" / "dict" / "asked.tsv"
# How people ask for other authorities' work (search/ann/examples.py): embedded into the build.
OTHER_WORK_FILE = REPO / "data" / "dict" / "other_work.tsv"
LIST_ORDER = {"basic": 0, "cooperative": 1, "recovered": 2}


class BuildError(RuntimeError):
    pass


def default_index_dir() -> Path:
    return index_root(SearchConfig.from_env().index_dir or None)


def township_key(duty) -> tuple[str, str, str, str]:
    return (duty.province, duty.prefecture, duty.county, duty.township)


def order_records(duties: list) -> list:
    """Records grouped by township (first-appearance order), lists in basic/cooperative/recovered
    order, document order within a list — so each township is one contiguous id range."""
    first_seen: dict[tuple, int] = {}
    for duty in duties:
        first_seen.setdefault(township_key(duty), len(first_seen))
    indexed = list(enumerate(duties))
    indexed.sort(key=lambda p: (first_seen[township_key(p[1])], LIST_ORDER.get(p[1].list_type, 9), p[0]))
    return [d for _, d in indexed]


def write_dictionary(folder: Path, derived: list[str]) -> None:
    from models import segment

    folder.mkdir(parents=True)
    curated = (segment.CURATED_DIR / segment.USERDICT).read_text(encoding="utf-8").rstrip("\n")
    (folder / segment.USERDICT).write_text(
        curated + "\n# ---- derived from the corpus by models/segment.py derive_terms() at build time\n"
        + "\n".join(derived) + "\n", encoding="utf-8")
    for name in (segment.STOPWORDS, segment.SYNONYMS, segment.AUTHORITIES, segment.TOWNSHIP_WORDS,
                 segment.WRONGDOING, segment.ANIMAL_WORDS, segment.BODIES):
        shutil.copyfile(segment.CURATED_DIR / name, folder / name)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_tree(folder: Path) -> None:
    for path in sorted(folder.rglob("*"), key=lambda p: -len(p.parts)):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def swap_current(root: Path, build_dir: Path) -> Path | None:
    """Point root/current at build_dir atomically; returns the folder it pointed at before."""
    current = root / CURRENT
    previous = None
    if current.is_symlink():
        previous = (root / os.readlink(current)).resolve()
    elif current.exists():
        raise BuildError(f"{current} exists and is not a symlink; move it away")
    temporary = root / f".{CURRENT}.tmp-{os.getpid()}"
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    os.symlink(os.path.relpath(build_dir, root), temporary)
    os.replace(temporary, current)
    _fsync_dir(root)
    return previous


def prune_builds(root: Path, keep: set[Path], stale_after_s: float = 6 * 3600) -> list[Path]:
    """Delete finished builds not in `keep`, and unfinished ones (no meta.json) older than a while."""
    removed = []
    builds = root / BUILDS
    if not builds.is_dir():
        return removed
    keep = {p.resolve() for p in keep if p}
    now = time.time()
    for folder in builds.iterdir():
        if not folder.is_dir() or folder.resolve() in keep:
            continue
        finished = (folder / META).exists()
        if finished or now - folder.stat().st_mtime > stale_after_s:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


class _Lock:
    def __init__(self, root: Path):
        self.path = root / ".build.lock"
        self.handle = None

    def __enter__(self):
        self.handle = open(self.path, "a+")
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            self.handle.close()
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise BuildError(f"another build is running in {self.path.parent} (lock {self.path})") from exc
            raise
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def build(raw_dir: Path, index_dir: Path, model: str | None = None, kind: str = "auto",
          batch_size: int = 32, progress: bool = True, log=print, ann_threshold: int | None = None,
          after_records=None, asked_file: Path | None = None, carry_cosine: float | None = None,
          other_work_file: Path | None = None) -> dict:
    """Build and swap in a new index; returns its meta. Raises on any failure (current untouched).
    `asked_file`: the staff questions by item name (default data/dict/asked.tsv; read first, so a
    bad line fails the build before any work); `carry_cosine`: indexer/asked.py CARRY_COSINE unless given;
    `other_work_file`: questions about other authorities' work (default data/dict/other_work.tsv, read first too).

    `after_records(records, build_dir, vectors, meta)` is a hook run after the local files are
    written and before the swap (to write the build to Elasticsearch too); raising aborts the build.
    """
    from indexer.parse import parse_corpus
    from models.fields import read_asked

    timings: dict[str, float] = {}
    started = time.perf_counter()
    raw_dir, index_dir = Path(raw_dir), Path(index_dir)
    if asked_file and not Path(asked_file).is_file():
        raise BuildError(f"no questions file {asked_file}")
    asked_file = Path(asked_file) if asked_file else ASKED_FILE
    try:
        asked = read_asked(asked_file)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BuildError(str(exc) if isinstance(exc, ValueError) else f"{asked_file}: not UTF-8 text") from exc
    other_work = _other_work(Path(other_work_file) if other_work_file else OTHER_WORK_FILE)
    if not raw_dir.is_dir():
        raise BuildError(f"no source folder {raw_dir}")
    from indexer.parse import source_files
    sources = source_files(raw_dir)
    if not sources:
        raise BuildError(f"no documents in {raw_dir}")

    t = time.perf_counter()
    duties = order_records(parse_corpus(raw_dir))
    timings["parse_s"] = time.perf_counter() - t
    if not duties:
        raise BuildError(f"the documents in {raw_dir} hold no duty records")
    duplicates = [i for i, n in Counter(d.id for d in duties).items() if n > 1]
    if duplicates:
        raise BuildError(f"duplicate record ids: {', '.join(duplicates[:5])}")
    log(f"parsed {len(duties)} records from {len(sources)} documents in {timings['parse_s']:.2f} s")

    index_dir.mkdir(parents=True, exist_ok=True)
    (index_dir / BUILDS).mkdir(exist_ok=True)
    with _Lock(index_dir):
        build_id = datetime.now().strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}"
        build_dir = index_dir / BUILDS / build_id
        build_dir.mkdir()
        try:
            meta, vectors = _write_build(build_dir, duties, sources, model, kind, batch_size, progress, log,
                                         ann_threshold, timings, started, (asked_file, asked, carry_cosine),
                                         other_work)
            if after_records is not None:
                t = time.perf_counter()
                after_records(duties, build_dir, vectors, meta)
                timings["after_records_s"] = time.perf_counter() - t
            meta["timings"] = {k: round(v, 3) for k, v in timings.items()}
            meta["timings"]["total_s"] = round(time.perf_counter() - started, 3)
            (build_dir / META).write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
            _fsync_tree(build_dir)
            previous = swap_current(index_dir, build_dir)
        except BaseException:
            shutil.rmtree(build_dir, ignore_errors=True)
            raise
        removed = prune_builds(index_dir, keep={build_dir, previous})
    meta["build_dir"] = str(build_dir)
    meta["removed_builds"] = [str(p) for p in removed]
    return meta


def _embedded(duties, config, model, batch_size, progress, log, timings) -> tuple:
    """Every record's name vector (models/fields.py embedding_text), and the embedder."""
    import numpy as np
    from tqdm import tqdm

    from models.embedding import get_embedder
    from models.fields import embedding_text

    t = time.perf_counter()
    options = config.embedder_options()
    options["name"] = model or options["name"]
    embedder = get_embedder(**options)
    timings["model_load_s"] = time.perf_counter() - t
    texts = [embedding_text(d) for d in duties]
    t = time.perf_counter()
    # Shortest first across the whole corpus, so every batch pads to about the same length.
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    vectors = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    step = max(batch_size * 4, 64)
    with tqdm(total=len(texts), desc="embedding", unit="rec", disable=not progress, file=sys.stderr) as bar:
        for start in range(0, len(order), step):
            chunk = order[start:start + step]
            vectors[chunk] = embedder.encode([texts[i] for i in chunk], batch_size=batch_size)
            bar.update(len(chunk))
    timings["embed_s"] = time.perf_counter() - t
    log(f"embedded {len(texts)} records with {embedder.name} in {timings['embed_s']:.1f} s "
        f"({len(texts) / max(timings['embed_s'], 1e-9):.0f} records/s)")
    return vectors, embedder


def _segmented(build_dir, duties, questions, log, timings) -> tuple:
    """Each record's keyword tokens per field, the segmenter, the derived terms and the vocabulary;
    writes the build's dictionary, its vocabulary, the words only staff wording holds and those
    of them it holds only inside a longer word."""
    from models.fields import KEYWORD_FIELDS, LIST_FIELDS, keyword_texts
    from models.segment import ASKED_PARTS, ASKED_WORDS, VOCABULARY, Segmenter, derive_terms

    t = time.perf_counter()
    derived = derive_terms(duties)
    write_dictionary(build_dir / DICT_DIR, derived)
    segmenter = Segmenter.from_dir(build_dir / DICT_DIR)
    tokens = []
    for duty, asked in zip(duties, questions):
        texts = keyword_texts(duty, asked)
        tokens.append({f: segmenter.joined(texts[f]) for f in KEYWORD_FIELDS})
    vocabulary = Counter(token for fields in tokens for token in set(" ".join(fields.values()).split()))
    (build_dir / DICT_DIR / VOCABULARY).write_text(
        "".join(f"{w}\t{n}\n" for w, n in sorted(vocabulary.items(), key=lambda x: (-x[1], x[0]))),
        encoding="utf-8")
    listed = {w for fields in tokens for f in LIST_FIELDS for w in fields[f].split()}
    asked_words = {w for fields in tokens for w in fields["asked"].split()} - listed
    (build_dir / DICT_DIR / ASKED_WORDS).write_text("".join(f"{w}\n" for w in sorted(asked_words)), encoding="utf-8")
    # 火星 in 火星子 is a token of the field, not a word staff wrote (火星移民 must find nothing)
    written = {w for texts in set(questions) for text in texts for w in segmenter.words_of(text)}
    (build_dir / DICT_DIR / ASKED_PARTS).write_text("".join(f"{w}\n" for w in sorted(asked_words - written)),
                                                    encoding="utf-8")
    timings["segment_s"] = time.perf_counter() - t
    log(f"segmented with jieba ({len(segmenter.words)} dictionary terms, {len(derived)} from the corpus) "
        f"in {timings['segment_s']:.2f} s")
    return tokens, segmenter, derived, vocabulary


def _other_work(path: Path) -> list[tuple[str, str]]:
    """The questions about other authorities' work; a missing or malformed file fails the build."""
    from search.ann.examples import read_examples_file
    if not path.is_file():
        raise BuildError(f"no other-work questions file {path}")
    try:
        return read_examples_file(path)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BuildError(str(exc) if isinstance(exc, ValueError) else f"{path}: not UTF-8 text") from exc


def _write_build(build_dir, duties, sources, model, kind, batch_size, progress, log, ann_threshold,
                 timings, started, asked_source: tuple, other_work: list[tuple[str, str]] = ()) -> tuple:
    """Write the build's files; its meta and the records' vectors (for a hook to reuse)."""
    from indexer.asked import record_questions
    from models.fields import ASKED, KEYWORD_FIELDS, write_asked
    from search import store
    from search import ann
    from search.ann.examples import examples_of, write_examples
    from search.ann.questions import question_sets, write_sets
    from search.keyword import bm25 as keyword_bm25

    config = SearchConfig.from_env()
    vectors, embedder = _embedded(duties, config, model, batch_size, progress, log, timings)
    asked_file, asked, carry_cosine = asked_source
    questions, carried = record_questions(duties, vectors, asked, carry_cosine)
    tokens, segmenter, derived, vocabulary = _segmented(build_dir, duties, questions, log, timings)
    write_asked(build_dir / DICT_DIR / ASKED, duties, questions)
    asked_items = sum(bool(q) for q in questions)
    t = time.perf_counter()
    sets = question_sets(questions, lambda texts: embedder.encode(texts, batch_size=batch_size))
    write_sets(sets, build_dir)
    timings["question_vectors_s"] = time.perf_counter() - t
    log(f"embedded {len(sets.vectors)} staff questions in {sets.count} sets in {timings['question_vectors_s']:.1f} s")
    if other_work:
        t = time.perf_counter()
        write_examples(examples_of(list(other_work), lambda texts: embedder.encode(texts, batch_size=batch_size)),
                       build_dir)
        timings["other_work_s"] = time.perf_counter() - t
        log(f"embedded {len(other_work)} questions about other authorities' work in {timings['other_work_s']:.1f} s")

    t = time.perf_counter()
    if ann_threshold is not None:
        config = config.with_(ann_threshold=ann_threshold)
    written = ann.backend(config.ann_backend).write_index(vectors, build_dir, config, kind)
    timings["faiss_s"] = time.perf_counter() - t
    log(f"{config.ann_backend} {written['kind']} index of {written['ntotal']} vectors in {timings['faiss_s']:.2f} s")

    t = time.perf_counter()
    counts: dict[str, dict[str, int]] = {}
    for duty in duties:
        counts.setdefault(duty.township, Counter())[duty.list_type] += 1
    meta = {
        "format": INDEX_FORMAT,
        "build_id": build_dir.name,
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "records": len(duties),
        "townships": len(counts),
        "counts": {k: dict(v) for k, v in counts.items()},
        "list_types": dict(Counter(d.list_type for d in duties)),
        "model": embedder.info(),
        "faiss": written,
        "keyword": {"backend": "bm25", "fields": list(KEYWORD_FIELDS)},
        "asked": {"records": asked_items, "carried": carried, "names": len(asked),
                  "sets": sets.count, "vectors": len(sets.vectors),
                  "sha256": file_sha256(asked_file)[:16] if asked_file.is_file() else None},
        "other_work": {"questions": len(other_work),
                       "authorities": len({a for a, _ in other_work})},
        "dictionary": {"terms": len(segmenter.words), "derived": len(derived), "vocabulary": len(vocabulary),
                       "sha256": file_sha256(build_dir / DICT_DIR / "userdict.txt")[:16]},
        "sources": {p.name: file_sha256(p)[:16] for p in sources},
        "python": platform.python_version(),
    }
    store.write_store(build_dir / store.DB_NAME, [d.to_dict() for d in duties], tokens,
                      [county_departments(d.to_dict()) for d in duties],
                      {"build_id": build_dir.name, "model": meta["model"]})
    timings["sqlite_s"] = time.perf_counter() - t
    log(f"record store (SQLite {sqlite3.sqlite_version}) in {timings['sqlite_s']:.2f} s")
    t = time.perf_counter()
    meta["keyword"].update(keyword_bm25.write_index(build_dir / keyword_bm25.FOLDER, tokens))
    timings["bm25_s"] = time.perf_counter() - t
    log(f"BM25 postings ({meta['keyword']['terms']} terms, {meta['keyword']['postings']} postings) "
        f"in {timings['bm25_s']:.2f} s")
    return meta, vectors


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m indexer build",
                                     description="Build the keyword store and FAISS index and swap them in.")
    parser.add_argument("--raw", default=str(REPO / "data" / "raw"), help="source documents (default data/raw)")
    parser.add_argument("--index-dir", default=None, help="index root (default TDS_INDEX_DIR or var/index)")
    parser.add_argument("--model", default=None, help="embedding model name or folder (default TDS_MODEL or m3e-small)")
    parser.add_argument("--faiss", default="auto", choices=["auto", "flat", "ivfpq", "hnsw"],
                        help="FAISS index kind (auto: flat up to TDS_ANN_THRESHOLD records)")
    parser.add_argument("--asked", default=None,
                        help="staff questions by item name (default data/dict/asked.tsv; see data/dict/README.md)")
    parser.add_argument("--other-work", default=None,
                        help="questions about other authorities' work (default data/dict/other_work.tsv)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--es-url", default=SearchConfig.from_env().es_url or None,
                        help="also index into Elasticsearch at this URL (default ES_URL; see indexer/es_index.py)")
    parser.add_argument("--es-index", default=None, help="Elasticsearch alias (default ES_INDEX or 'duties')")
    parser.add_argument("--es-shards", type=int, default=None, help="primary shards of the new index")
    parser.add_argument("--es-replicas", type=int, default=None, help="replicas of the new index")
    args = parser.parse_args(argv)
    index_dir = Path(args.index_dir) if args.index_dir else default_index_dir()
    hook = None
    if args.es_url:
        from indexer.es_index import EsIndexError, build_hook
        try:
            hook = build_hook(args.es_url, alias=args.es_index, shards=args.es_shards, replicas=args.es_replicas)
        except EsIndexError as exc:
            print(f"build failed: {exc}", file=sys.stderr)
            return 1
    try:
        meta = build(Path(args.raw), index_dir, model=args.model, kind=args.faiss, batch_size=args.batch_size,
                     progress=not args.no_progress, after_records=hook, asked_file=args.asked,
                     other_work_file=args.other_work)
    except Exception as exc:  # DocumentError, BuildError, OSError …: say what and where, leave current alone
        print(f"build failed: {exc}", file=sys.stderr)
        print(f"{index_dir / CURRENT} is unchanged", file=sys.stderr)
        return 1
    print(f"records: {meta['records']} in {meta['townships']} townships "
          f"({', '.join(f'{k} {v}' for k, v in meta['list_types'].items())})")
    for township, counts in meta["counts"].items():
        print(f"  {township}: " + ", ".join(f"{k} {counts.get(k, 0)}" for k in LIST_ORDER))
    print("timings: " + ", ".join(f"{k[:-2]} {v:.2f} s" for k, v in meta["timings"].items()))
    print(f"index: {meta['build_dir']} (now {index_dir / CURRENT})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
