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
"""
from __future__ import annotations

import json
import os
import time
from datetime import datetime
from pathlib import Path

from models.duty import county_departments
from search.config import SearchConfig
from search.keyword.es_client import Credentials, connect

REPO = Path(__file__).resolve().parent.parent
MAPPING_FILE = REPO / "mappings" / "duties.json"
DEFAULT_ALIAS = "duties"
FILTER_KEYWORDS = ("province", "prefecture", "county", "township", "list_type", "category")


class EsIndexError(RuntimeError):
    pass


def default_alias() -> str:
    return SearchConfig.from_env().es_index or DEFAULT_ALIAS


def load_mapping(shards: int | None = None, replicas: int | None = None) -> dict:
    """mappings/duties.json without its comment keys, with shard/replica counts applied."""
    body = json.loads(MAPPING_FILE.read_text(encoding="utf-8"))
    body = {k: v for k, v in body.items() if not k.startswith("_")}
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


def documents(records: list[dict], tokens: list[dict[str, str]], build_id: str):
    for pos, record in enumerate(records):
        doc = {"id": record["id"], "pos": pos, "build_id": build_id, "tokens": tokens[pos]}
        for key in FILTER_KEYWORDS:
            if record.get(key):
                doc[key] = record[key]
        departments = county_departments(record)
        if departments:
            doc["department"] = departments
        doc["record"] = record
        yield {"_index": None, "_id": record["id"], "_source": doc}


def write_index(url: str, records: list[dict], tokens: list[dict[str, str]], build_id: str,
                alias: str | None = None, shards: int | None = None, replicas: int | None = None,
                log=print, es=None, chunk_size: int = 500) -> dict:
    """Index the records into a new versioned index, then point `alias` at it and drop the old one.
    Returns {"index", "alias", "indexed", "previous", "deleted"}. Raises EsIndexError on any rejection."""
    from elasticsearch import ApiError, TransportError, helpers

    alias = alias or default_alias()
    es = es or client(url)
    name = f"{alias}-{datetime.now().strftime('%Y%m%dt%H%M%S')}-{os.getpid()}-{int(time.time() * 1000) % 1000:03d}"
    try:
        es.indices.create(index=name, **load_mapping(shards, replicas))
    except TransportError as exc:
        raise EsIndexError(f"Elasticsearch unreachable at {url}: {exc}") from exc
    except ApiError as exc:
        raise EsIndexError(f"cannot create index {name} at {url}: {exc}") from exc
    try:
        actions = ({**a, "_index": name} for a in documents(records, tokens, build_id))
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
            raise EsIndexError(f"{len(rejected)} of {len(records)} documents rejected by {url}; "
                               f"index {name} discarded, alias {alias} unchanged")
        es.indices.refresh(index=name)
        count = es.count(index=name)["count"]
        if count != len(records):
            raise EsIndexError(f"index {name} holds {count} documents, expected {len(records)}")
        health = es.cluster.health(index=name, wait_for_status="yellow", timeout="60s")
        if health.get("timed_out"):
            raise EsIndexError(f"index {name} did not reach yellow: {health.get('status')}")
        previous = swap_alias(es, alias, name)
    except BaseException:
        try:
            es.indices.delete(index=name, ignore_unavailable=True)
        except Exception:
            pass
        raise
    deleted = []
    for old in previous:
        try:
            es.indices.delete(index=old, ignore_unavailable=True)
            deleted.append(old)
        except Exception as exc:  # the alias already moved; an old index left behind is not fatal
            log(f"could not delete old index {old}: {exc}")
    log(f"Elasticsearch: {indexed} documents in {name}, alias {alias} moved"
        + (f" from {', '.join(previous)} (deleted)" if previous else ""))
    return {"index": name, "alias": alias, "indexed": indexed, "previous": previous, "deleted": deleted}


def swap_alias(es, alias: str, index: str) -> list[str]:
    """Point `alias` at `index` only, in one atomic _aliases call; returns the indexes it left."""
    previous: list[str] = []
    if es.indices.exists_alias(name=alias):
        previous = [i for i in es.indices.get_alias(name=alias) if i != index]
    elif es.indices.exists(index=alias):
        raise EsIndexError(f"{alias} is a concrete index, not an alias; delete or rename it first")
    actions = [{"remove": {"index": i, "alias": alias}} for i in previous]
    actions.append({"add": {"index": index, "alias": alias}})
    es.indices.update_aliases(actions=actions)
    return previous


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

    def hook(duties, build_dir: Path) -> None:
        build_dir = Path(build_dir)
        tokens = store.read_tokens(build_dir / store.DB_NAME)
        write_index(url, [d.to_dict() for d in duties], tokens, build_dir.name, alias=alias,
                    shards=shards, replicas=replicas, log=log, es=es)

    return hook
