"""Production server: `python -m search_app.serve`.

- serves with waitress (no debug mode, no reloader) on 127.0.0.1;
- port from TDS_PORT (default 8000), index from TDS_INDEX_DIR (default <repo>/var/index),
  worker threads from TDS_THREADS (default 8);
- builds the index first if there is none or an older version wrote it (`indexer.build.main`) —
  unless it serves the whole build from Elasticsearch (TDS_ES_MODE=cluster, or ES_URL set and no
  local build: search/elastic/), where there is nothing local to build,
  then loads it before accepting requests, so the first request does not pay for loading the model;
- exits with a message naming the path when the index or the model cannot be loaded.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from search_app import create_app, default_config
from search.config import INDEX_FORMAT, SearchConfig, index_format

log = logging.getLogger("search_app.serve")

HOST = "127.0.0.1"  # TDS_HOST to listen on a LAN address (an office server)
# Request line + headers: large enough that an over-long query (10,000 Chinese characters are 90 KB
# percent-encoded) reaches the app and gets its JSON 400 naming the parameter, instead of waitress's
# plain-text 431. Bodies: the app refuses anything over MAX_CONTENT_LENGTH with a JSON 413; waitress
# cuts off what is far beyond that.
MAX_HEADER_BYTES = 256 * 1024
MAX_BODY_BYTES = 1024 * 1024


def index_present(index_dir: str) -> bool:
    """An index exists when its `current` pointer does (the layout `indexer.build` writes)."""
    return (Path(index_dir) / "current").exists()


def index_outdated(index_dir: str) -> bool:
    """An index is there but an older version wrote it (another INDEX_FORMAT)."""
    return index_present(index_dir) and index_format(index_dir) != INDEX_FORMAT


def build_index(index_dir: str, why: str = "no index") -> int:
    from indexer import build

    log.info("%s in %s: building it now (this takes a minute or two)", why, index_dir)
    return build.main(["--index-dir", index_dir]) or 0


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m search_app.serve", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default=os.environ.get("TDS_HOST") or HOST,
                        help="address to listen on (env TDS_HOST, default 127.0.0.1; 0.0.0.0 for an office LAN)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("TDS_PORT") or 8000),
                        help="port (env TDS_PORT, default 8000)")
    parser.add_argument("--threads", type=int, default=int(os.environ.get("TDS_THREADS") or 8),
                        help="waitress worker threads (env TDS_THREADS, default 8)")
    parser.add_argument("--no-build", action="store_true", help="fail instead of building a missing index")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # faiss tries its AVX2 build first and logs the failed import with a traceback at INFO:
    # harmless (it falls back), but it reads like a crash
    logging.getLogger("faiss.loader").setLevel(logging.WARNING)
    # the Elasticsearch client logs every request at INFO: thousands of lines under load
    logging.getLogger("elastic_transport.transport").setLevel(logging.WARNING)
    args = parse_args(argv)
    config = default_config()
    index_dir = config["INDEX_DIR"]

    settings = SearchConfig.from_env()
    from_cluster = settings.serves_from_cluster(index_dir)
    missing, outdated = not index_present(index_dir), index_outdated(index_dir)
    if (missing or outdated) and not from_cluster:
        why = "no index" if missing else "an index in an older format"
        if args.no_build:
            print(f"error: {why} in {index_dir} (run: python -m indexer build --index-dir {index_dir})",
                  file=sys.stderr)
            return 2
        rc = build_index(index_dir, why)
        if rc:
            print(f"error: building the index in {index_dir} failed (exit code {rc})", file=sys.stderr)
            return rc

    app = create_app()
    try:
        health = app.extensions["tds.holder"].get().health()
    except Exception as exc:  # IndexNotReady, a missing model file, …: say what and where, then stop
        where = f"Elasticsearch ({settings.es_url}, alias {settings.es_index})" if from_cluster else index_dir
        print(f"error: cannot load the index from {where}: {exc}", file=sys.stderr)
        return 2
    log.info("index loaded: %s records, backend %s, model %s, built %s",
             health.get("records"), health.get("backend"), health.get("model"), health.get("built_at"))

    import waitress

    if args.host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("listening on %s: every machine that reaches this address can use the service "
                    "(no login); keep it on the office network", args.host)
    log.info("serving on http://%s:%d/ with %d threads", args.host, args.port, args.threads)
    waitress.serve(
        app,
        host=args.host,
        port=args.port,
        threads=args.threads,
        ident="township-duty-search",
        max_request_header_size=MAX_HEADER_BYTES,
        max_request_body_size=MAX_BODY_BYTES,
        expose_tracebacks=False,
        channel_timeout=30,
        connection_limit=256,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
