"""HTTP latency of the served app, per search mode, at 1, 4 and 16 concurrent clients on loopback.

    python bench/http_bench.py                      # starts `python -m search_app.serve` itself
    python bench/http_bench.py --warm-cache         # … with the query-embedding cache on
    python bench/http_bench.py --url http://127.0.0.1:8000
    python bench/http_bench.py --requests 100 --seconds 10 --clients 1,4,16 --json out.json

Each client is a thread with its own keep-alive connection, cycling through staff-style queries
(starting at a different query per client). A level stops after --requests requests per client
or --seconds, whichever comes first, so a run is bounded. Reports p50/p90/p99/max in
milliseconds, throughput and errors (any status other than 200, or a connection failure).
Target (issue 4): hybrid p50 ≤ 25 ms with one client.

The queries repeat, and the engine keeps an LRU cache of query embeddings (TDS_QUERY_CACHE), so
a server this script starts runs with the cache off (TDS_QUERY_CACHE=0): every semantic, hybrid
and owner request embeds its query, as a stream of new questions would. --warm-cache leaves it
on. With --url the server's own settings apply. The server's log goes to a temporary file.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.common import QUERIES, percentile  # noqa: E402  (shared by the bench scripts)


def path_for(kind: str, query: str) -> str:
    if kind == "owner":
        return "/api/owner?" + urlencode({"q": query})
    return "/api/search?" + urlencode({"q": query, "mode": kind})


def run_level(host: str, port: int, kind: str, clients: int, per_client: int, seconds: float) -> dict:
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    start_barrier = threading.Barrier(clients + 1)
    deadline_box = [0.0]

    def client(i: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        start_barrier.wait()
        deadline = deadline_box[0]
        n = 0
        while n < per_client and time.perf_counter() < deadline:
            query = QUERIES[(i * 7 + n) % len(QUERIES)]
            t0 = time.perf_counter()
            try:
                conn.request("GET", path_for(kind, query))
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=30)
            latencies[i].append((time.perf_counter() - t0) * 1000)
            if not ok:
                errors[i] += 1
            n += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    deadline_box[0] = time.perf_counter() + seconds
    t_start = time.perf_counter()
    start_barrier.wait()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t_start
    values = sorted(v for per in latencies for v in per)
    return {
        "kind": kind,
        "clients": clients,
        "requests": len(values),
        "errors": sum(errors),
        "seconds": round(wall, 2),
        "rps": round(len(values) / wall, 1) if wall else 0.0,
        "p50_ms": round(percentile(values, 50), 2),
        "p90_ms": round(percentile(values, 90), 2),
        "p99_ms": round(percentile(values, 99), 2),
        "max_ms": round(values[-1], 2) if values else float("nan"),
        "mean_ms": round(statistics.fmean(values), 2) if values else float("nan"),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(threads: int, warm_cache: bool) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, TDS_PORT=str(port), TDS_THREADS=str(threads))
    if not warm_cache:
        env["TDS_QUERY_CACHE"] = "0"
    log = tempfile.NamedTemporaryFile(prefix="tds-bench-server-", suffix=".log", delete=False)
    print(f"starting python -m search_app.serve on port {port} (log: {log.name})", flush=True)
    proc = subprocess.Popen([sys.executable, "-m", "search_app.serve"], cwd=REPO, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 900  # the first start may build the index
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with code {proc.returncode}; see {log.name}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/health")
            if conn.getresponse().status == 200:
                return proc, url
        except OSError:
            pass
        time.sleep(0.5)
    proc.terminate()
    raise SystemExit("server did not become healthy in time")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="HTTP p50/p99 per search mode at several concurrency levels.")
    parser.add_argument("--url", help="a running server (default: start one with python -m search_app.serve)")
    parser.add_argument("--modes", default="keyword,semantic,hybrid,owner",
                        help="comma-separated: keyword, semantic, hybrid, owner (default: all four)")
    parser.add_argument("--clients", default="1,4,16", help="concurrency levels (default 1,4,16)")
    parser.add_argument("--requests", type=int, default=150, help="max requests per client per level (default 150)")
    parser.add_argument("--seconds", type=float, default=15.0, help="max seconds per level (default 15)")
    parser.add_argument("--warmup", type=int, default=20, help="warm-up requests per mode (default 20)")
    parser.add_argument("--server-threads", type=int, default=8, help="waitress threads when starting a server")
    parser.add_argument("--warm-cache", action="store_true",
                        help="keep the query-embedding cache on in the server this script starts")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)

    proc = None
    url = args.url
    if not url:
        proc, url = start_server(args.server_threads, args.warm_cache)
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port or 80
    try:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        conn.request("GET", "/api/health")
        health = json.loads(conn.getresponse().read() or b"{}")
        conn.close()
        kinds = [k.strip() for k in args.modes.split(",") if k.strip()]
        levels = [int(c) for c in args.clients.split(",") if c.strip()]
        results = []
        cache = "external server" if args.url else ("on" if args.warm_cache else "off")
        print(f"server {url}  records={health.get('records')} backend={health.get('backend')} "
              f"model={health.get('model')}  cpus={os.cpu_count()}  query cache: {cache}")
        print(f"{'mode':<9}{'clients':>8}{'requests':>9}{'errors':>7}{'req/s':>8}"
              f"{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}")
        for kind in kinds:
            run_level(host, port, kind, 1, args.warmup, args.seconds)  # warm caches and code paths
            for clients in levels:
                r = run_level(host, port, kind, clients, args.requests, args.seconds)
                results.append(r)
                print(f"{kind:<9}{clients:>8}{r['requests']:>9}{r['errors']:>7}{r['rps']:>8}"
                      f"{r['p50_ms']:>9}{r['p90_ms']:>9}{r['p99_ms']:>9}{r['max_ms']:>9}", flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps({"url": url, "health": health, "query_cache": cache,
                                                   "results": results},
                                                  ensure_ascii=False, indent=2), encoding="utf-8")
        return 1 if any(r["errors"] for r in results) else 0
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    sys.exit(main())
