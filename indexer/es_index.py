"""Write a build's keyword side to Elasticsearch: a new versioned index behind an alias.

    python -m indexer build --es-url http://127.0.0.1:9200      (or ES_URL=… python -m indexer build)

Zero-downtime rebuild, as Elastic recommends:

1. create `<alias>-<YYYYmmddtHHMMSS>-<pid>` from mappings/duties.json (shards/replicas from the
   arguments, TDS_ES_SHARDS / TDS_ES_REPLICAS, else the file);
2. `helpers.streaming_bulk(raise_on_error=False)`: every rejected document is reported, and any
   rejection fails the build (the new index is deleted, the alias is left alone);
3. refresh, check the document count, wait for the index to be at least yellow;
4. one `_aliases` call removes the alias from the old index and adds it to the new one (atomic for
   readers), then the old index is deleted.

The documents carry exactly the tokens written to the SQLite store (read back from its tokens table),
so both keyword backends see the same jieba tokens; `pos` is the record's position in the build
(= its FAISS id) and `build_id` ties the index to the local build it came from.

With the build's vectors and its description (`build=`), the index holds the whole build, so an
app server needs no local files (search/elastic/): each document gains `vector` (a quantized
HNSW `dense_vector`), and a one-document index `<index>-build` beside it holds meta.json, the
segmenter's dictionary files and every township's position range. Both aliases (`<alias>` and
`<alias>-build`) move in the same `_aliases` call, so a reader never sees one build's records with
another's dictionary.
"""
from __future__ import annotations

import base64
import json
import os
import re
import time
from datetime import datetime
from pathlib import Path

import numpy as np

from models.duty import county_departments
from search.ann.examples import EXAMPLES_FILE
from search.ann.questions import QUESTIONS_FILE
from search.config import SearchConfig
from search.elastic.cluster import BUILD_DOC, BUILD_SUFFIX
from search.keyword.es_client import Credentials, connect

REPO = Path(__file__).resolve().parent.parent
MAPPING_FILE = REPO / "mappings" / "duties.json"
DEFAULT_ALIAS = "duties"
BUILD_MAPPING = {"settings": {"index": {"number_of_shards": 1, "auto_expand_replicas": "0-all"}},
                 "mappings": {"enabled": False}}
FILTER_KEYWORDS = ("province", "prefecture", "county", "township", "list_type", "category")


class EsIndexError(RuntimeError):
    pass


def default_alias() -> str:
    return SearchConfig.from_env().es_index or DEFAULT_ALIAS


def load_mapping(shards: int | None = None, replicas: int | None = None, dims: int | None = None) -> dict:
    """mappings/duties.json without its comment keys, with shard/replica counts applied; with `dims`
    the `vector` field takes that many dimensions, without it the field is left out (keyword only)."""
    body = json.loads(MAPPING_FILE.read_text(encoding="utf-8"))
    body = {k: v for k, v in body.items() if not k.startswith("_")}
    properties = body["mappings"]["properties"]
    if dims:
        properties["vector"]["dims"] = int(dims)
    else:
        properties.pop("vector", None)
    index = body.setdefault("settings", {}).setdefault("index", {})
    config = SearchConfig.from_env()
    shards = shards if shards is not None else (config.es_shards or None)
    replicas = replicas if replicas is not None else (config.es_replicas if config.es_replicas >= 0 else None)
    if shards is not None:
        index["number_of_shards"] = shards
    if replicas is not None:
        index["number_of_replicas"] = replicas
    return body


def client(url: str, timeout: float = 30.0, credentials: Credentials | None = None):
    """A client over every node of `url` (comma-separated), with the configured credentials."""
    return connect(url, credentials or Credentials.from_config(SearchConfig.from_env()), timeout=timeout)


def documents(records: list[dict], tokens: list[dict[str, str]], build_id: str, vectors=None):
    for pos, (record, record_tokens) in enumerate(zip(records, tokens)):
        doc = {"id": record["id"], "pos": pos, "build_id": build_id, "tokens": record_tokens}
        for key in FILTER_KEYWORDS:
            if record.get(key):
                doc[key] = record[key]
        departments = county_departments(record)
        if departments:
            doc["department"] = departments
        doc["record"] = record
        if vectors is not None:
            # seven decimals: a tenth of the JSON of full float repr, cosines unchanged to 1e-6
            doc["vector"] = np.round(np.asarray(vectors[pos], dtype=np.float64), 7).tolist()
        yield {"_index": None, "_id": record["id"], "_source": doc}


def write_index(url: str, records: list[dict], tokens: list[dict[str, str]], build_id: str,
                alias: str | None = None, shards: int | None = None, replicas: int | None = None,
                log=print, es=None, chunk_size: int = 500, vectors=None, build: dict | None = None,
                count: int | None = None) -> dict:
    """Index the records into a new versioned index, then point `alias` at it and drop the old one.
    With `vectors` (records × dims) and `build` (build_document()), the whole build goes in.
    `records` and `tokens` may be iterables when `count` says how many there are.
    Returns {"index", "alias", "indexed", "previous", "deleted"}. Raises EsIndexError on any rejection.

    The index is loaded as Elastic advises for a bulk load: no replicas and no refresh while the
    documents go in, then the configured replicas and refresh interval, waiting until every copy
    is started (green) when the cluster has the nodes for it."""
    from elasticsearch import ApiError, TransportError, helpers

    alias = alias or default_alias()
    es = es or client(url)
    name = f"{alias}-{datetime.now().strftime('%Y%m%dt%H%M%S')}-{os.getpid()}-{int(time.time() * 1000) % 1000:03d}"
    expected = len(records) if count is None else count
    body = load_mapping(shards, replicas, None if vectors is None else vectors.shape[1])
    settings = body["settings"]["index"]
    serving = {"number_of_replicas": settings.get("number_of_replicas", 1),
               "refresh_interval": settings.get("refresh_interval", "1s")}
    settings.update(number_of_replicas=0, refresh_interval="-1")
    try:
        es.indices.create(index=name, **body)
        if build is not None:
            es.indices.create(index=name + BUILD_SUFFIX, **BUILD_MAPPING)
    except TransportError as exc:
        raise EsIndexError(f"Elasticsearch unreachable at {url}: {exc}") from exc
    except ApiError as exc:
        raise EsIndexError(f"cannot create index {name} at {url}: {exc}") from exc
    try:
        actions = ({**a, "_index": name} for a in documents(records, tokens, build_id, vectors))
        indexed, rejected = 0, []
        for ok, item in helpers.streaming_bulk(es, actions, chunk_size=chunk_size, raise_on_error=False,
                                               raise_on_exception=False, max_retries=3):
            if ok:
                indexed += 1
            else:
                op = next(iter(item.values())) if isinstance(item, dict) and item else item
                rejected.append(op)
                log(f"rejected document {op.get('_id') if isinstance(op, dict) else '?'}: "
                    f"{json.dumps(op.get('error') if isinstance(op, dict) else op, ensure_ascii=False)[:500]}")
        if rejected:
            raise EsIndexError(f"{len(rejected)} of {expected} documents rejected by {url}; "
                               f"index {name} discarded, alias {alias} unchanged")
        es.indices.put_settings(index=name, settings={"index": serving})
        es.indices.refresh(index=name)
        held = es.count(index=name)["count"]
        if held != expected:
            raise EsIndexError(f"index {name} holds {held} documents, expected {expected}")
        if build is not None:
            es.index(index=name + BUILD_SUFFIX, id=BUILD_DOC, document=build, refresh=True)
        nodes = es.cluster.health()["number_of_data_nodes"]
        want = "green" if nodes > int(serving["number_of_replicas"]) else "yellow"
        health = es.cluster.health(index=name + (f",{name}{BUILD_SUFFIX}" if build is not None else ""),
                                   wait_for_status=want, timeout="600s")
        if health.get("timed_out"):
            raise EsIndexError(f"index {name} did not reach {want}: {health.get('status')}")
        previous = swap_alias(es, alias, name, with_build=build is not None)
    except BaseException:
        try:
            es.indices.delete(index=f"{name},{name}{BUILD_SUFFIX}", ignore_unavailable=True)
        except Exception:
            pass
        raise
    deleted = []
    for old in older_versions(es, alias, keep={name, *previous}):
        try:
            es.indices.delete(index=old, ignore_unavailable=True)
            deleted.append(old)
        except Exception as exc:  # the alias already moved; an old index left behind is not fatal
            log(f"could not delete old index {old}: {exc}")
    log(f"Elasticsearch: {indexed} documents in {name}, alias {alias} moved"
        + (f" from {', '.join(previous)} (kept until the next build)" if previous else "")
        + (f"; deleted {', '.join(deleted)}" if deleted else ""))
    return {"index": name, "alias": alias, "indexed": indexed, "previous": previous, "deleted": deleted}


def swap_alias(es, alias: str, index: str, with_build: bool = False) -> list[str]:
    """Point `alias` at `index` only (and `<alias>-build` at `<index>-build` when the build document
    was written, or at nothing when it was not), in one atomic _aliases call; returns the indexes
    `alias` left."""
    previous = _alias_targets(es, alias)
    build_alias = alias + BUILD_SUFFIX
    actions = [{"remove": {"index": i, "alias": alias}} for i in previous if i != index]
    actions += [{"remove": {"index": i, "alias": build_alias}} for i in _alias_targets(es, build_alias)]
    actions.append({"add": {"index": index, "alias": alias}})
    if with_build:
        actions.append({"add": {"index": index + BUILD_SUFFIX, "alias": build_alias}})
    es.indices.update_aliases(actions=actions)
    return [i for i in previous if i != index]


def older_versions(es, alias: str, keep: set[str]) -> list[str]:
    """The versioned indexes of `alias` (and their -build indexes) other than those in `keep`.

    The index the alias just left is kept until the next build: an app server reading the whole
    build from the cluster stays on the index it opened until it has opened the new one."""
    pattern = re.compile(re.escape(alias) + r"-\d{8}t\d{6}-\d+-\d{3}")
    names = es.indices.get(index=f"{alias}-*", expand_wildcards="open", ignore_unavailable=True)
    out = []
    for name in sorted(names):
        base = name[:-len(BUILD_SUFFIX)] if name.endswith(BUILD_SUFFIX) else name
        if pattern.fullmatch(base) and base not in keep:
            out.append(name)
    return out


def _alias_targets(es, alias: str) -> list[str]:
    if es.indices.exists_alias(name=alias):
        return list(es.indices.get_alias(name=alias))
    if es.indices.exists(index=alias):
        raise EsIndexError(f"{alias} is a concrete index, not an alias; delete or rename it first")
    return []


def build_document(meta: dict, build_dir: Path, records: list[dict]) -> dict:
    """What an app server reads besides the records: meta.json, the dictionary files, each
    township's [start, end) positions with its count per list, and the staff questions' vectors
    (search/ann/questions.py, base64 of QUESTIONS_FILE) and those of the questions about other
    authorities' work (search/ann/examples.py, EXAMPLES_FILE) when the build has them."""
    townships = []
    for pos, record in enumerate(records):
        key = [record.get(f, "") for f in ("province", "prefecture", "county", "township")]
        if not townships or townships[-1]["region"] != key:
            townships.append({"region": key, "start": pos, "end": pos, "counts": {}})
        town = townships[-1]
        town["end"] = pos + 1
        town["counts"][record["list_type"]] = town["counts"].get(record["list_type"], 0) + 1
    questions, examples = Path(build_dir) / QUESTIONS_FILE, Path(build_dir) / EXAMPLES_FILE
    return {"meta": meta, "townships": townships,
            "dictionary": {p.name: p.read_text(encoding="utf-8") for p in sorted((Path(build_dir) / "dict").iterdir())},
            "questions": base64.b64encode(questions.read_bytes()).decode("ascii") if questions.is_file() else None,
            "other_work": base64.b64encode(examples.read_bytes()).decode("ascii") if examples.is_file() else None}


def local_build(index_dir=None) -> dict:
    """The local build at `<index_dir>/current` as write_index's arguments (records, tokens,
    build_id, vectors, build), for writing a build to a cluster without embedding it again. The
    vectors are exact for a flat FAISS index, the decoded approximations for a compressed one."""
    from search import store
    from search.config import index_root
    from search.engine import Engine

    build_dir = (index_root(index_dir) / "current").resolve()
    records = store.read_records(build_dir / store.DB_NAME)
    meta = json.loads((build_dir / "meta.json").read_text(encoding="utf-8"))
    engine = Engine.open(index_dir)
    try:
        vectors = np.array(engine.vectors.vectors(0, len(records)), dtype=np.float32)
    finally:
        engine.close()
    return {"records": records, "tokens": store.read_tokens(build_dir / store.DB_NAME),
            "build_id": meta["build_id"], "vectors": vectors,
            "build": build_document(meta, build_dir, records)}


def build_hook(url: str, alias: str | None = None, shards: int | None = None, replicas: int | None = None,
               log=print):
    """An `after_records` hook for indexer.build.build: index the build's records into Elasticsearch."""
    from search import store

    es = client(url, timeout=10)
    try:
        reachable = es.ping()
    except Exception:
        reachable = False
    if not reachable:  # fail before parsing and embedding, not after
        raise EsIndexError(f"Elasticsearch unreachable at {url}")

    def hook(duties, build_dir: Path, vectors, meta: dict) -> None:
        build_dir = Path(build_dir)
        tokens = store.read_tokens(build_dir / store.DB_NAME)
        records = [d.to_dict() for d in duties]
        write_index(url, records, tokens, build_dir.name, alias=alias, shards=shards, replicas=replicas,
                    log=log, es=es, vectors=vectors, build=build_document(meta, build_dir, records))

    return hook
