"""Robustness report: hostile input, load with a rebuild under it, faults and security basics, and
a count of records lost (must be 0). Everything runs against the real production server
(`python -m search_app.serve`, waitress) started as a second process on a free loopback port.

    $(bash scripts/venv.sh)/bin/python bench/robustness.py                    # 60 s, 16 clients
    $(bash scripts/venv.sh)/bin/python bench/robustness.py --seconds 8 --clients 4
    $(bash scripts/venv.sh)/bin/python bench/robustness.py --index-dir var/index --json report.json

Nothing outside a temporary folder is changed: with --index-dir the current build is copied
into the temporary index root first (the rebuilds and faults happen there).

Steps, each a line of the final report:

1. hostile input — HTML/JS, FTS5/Elasticsearch syntax, control characters, 10 000-character
   strings, emoji, percent-encoded garbage and raw invalid UTF-8 against every endpoint: 5xx count;
2. load — --clients threads (own keep-alive session each) cycling keyword/semantic/hybrid/owner
   queries for --seconds, bounded by --max-requests per client too; `python -m indexer build`
   runs during the load and the load lasts until it finished plus a few seconds. Throughput,
   p50/p99, errors (anything but 200), and whether health's build_id changed (answers switched);
3. faults — SIGKILL a build mid-way (current unchanged, old build still served); SIGKILL the
   server and a build together, restart (the old index serves); a truncated and a non-UTF-8
   source document (build exits non-zero naming file and line, current unchanged); a missing
   index dir, an incomplete index and TDS_MODEL=/nonexistent (serve exits non-zero naming the path);
4. security — no traceback on bad requests, no debugger, no directory listing under /static/,
   CSP and X-Content-Type-Options on pages, POST/PUT/DELETE/PATCH → 405 JSON, oversized body → 413;
5. records lost — records served at the start against records served at the end.

Exit status 0 only when every check passed.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
PY = sys.executable

from bench.common import QUERIES, percentile  # noqa: E402  (shared by the bench scripts)
from tests.hostile_inputs import HOSTILE as HOSTILE_TEXT, LONG, raw_get  # noqa: E402  (shared with the tests)

MODES = ["keyword", "semantic", "hybrid", "owner"]
THINK_S = 0.0

HOSTILE = HOSTILE_TEXT + LONG
TEXT_TARGETS = [
    ("/api/search", "q", {}), ("/api/search", "q", {"mode": "keyword"}),
    ("/api/search", "q", {"mode": "semantic"}), ("/api/search", "township", {"q": "低保"}),
    ("/api/owner", "q", {}), ("/api/owner", "township", {"q": "低保"}), ("/api/compare", "a", {"b": "渡口镇"}),
    ("/", "q", {}), ("/owner", "q", {}), ("/compare", "a", {"b": "渡口镇"}),
]
RAW_TARGETS = [
    b"/api/search?q=\xff\xfe", b"/api/search?q=%ff%fe%fd", b"/api/owner?q=\xe5\xb1", b"/?q=\xc0\xaf<script>",
    b"/api/duties/\xff", b"/api/duties/%3Cscript%3E", b"/duties/..%2f..%2fetc%2fpasswd", b"/api/search?q=%",
    b"/api/search?q=a&q=b", b"/api/townships?x=1", b"/api/health?%00=1",
]


# -- helpers ------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env(**extra) -> dict:
    env = dict(os.environ)
    env.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONUNBUFFERED": "1"})
    env.update({k: v for k, v in extra.items() if v is not None})
    return env


def current_target(index_dir: Path) -> str | None:
    link = index_dir / "current"
    return os.readlink(link) if link.is_symlink() else None


class Report:
    def __init__(self):
        self.checks: list[tuple[str, bool, str]] = []
        self.figures: dict = {}

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        self.checks.append((name, bool(ok), detail))
        print(f"  [{'ok' if ok else 'FAIL'}] {name}" + (f" — {detail}" if detail else ""), flush=True)
        return bool(ok)

    @property
    def failed(self) -> list:
        return [c for c in self.checks if not c[1]]


class Server:
    """`python -m search_app.serve` in a child process, log to a file."""

    def __init__(self, index_dir: Path, workdir: Path, threads: int = 8, env_extra: dict | None = None):
        self.index_dir = index_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"serve-{self.port}.log"
        self.env = base_env(TDS_INDEX_DIR=str(index_dir), TDS_PORT=str(self.port), TDS_THREADS=str(threads),
                            **(env_extra or {}))
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 300) -> "Server":
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([PY, "-m", "search_app.serve", "--no-build"], cwd=REPO, env=self.env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; log: {self.log_path}")
            try:
                if requests.get(self.url + "/api/health", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"server not up after {timeout} s; log: {self.log_path}")

    def health(self) -> dict:
        return requests.get(self.url + "/api/health", timeout=30).json()

    def kill(self, sig=signal.SIGKILL) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "log", None):
            self.log.close()


RAW = REPO / "data" / "raw"  # source documents of every build (--raw)


def run_build(index_dir: Path, raw: Path | None = None, log: Path | None = None) -> subprocess.Popen:
    cmd = [PY, "-m", "indexer", "build", "--index-dir", str(index_dir), "--no-progress", "--raw", str(raw or RAW)]
    out = open(log, "ab") if log else subprocess.PIPE
    return subprocess.Popen(cmd, cwd=REPO, env=base_env(), stdout=out, stderr=subprocess.STDOUT if log else subprocess.PIPE)


# -- 1. hostile input -----------------------------------------------------------------------------

def hostile_input(server: Server, report: Report) -> None:
    print("hostile input", flush=True)
    tried = server_errors = bad = 0
    problems = []
    session = requests.Session()
    for text in HOSTILE:
        for path, name, extra in TEXT_TARGETS:
            r = session.get(server.url + path, params={**extra, name: text}, timeout=60)
            tried += 1
            if r.status_code >= 500:
                server_errors += 1
                problems.append(f"{r.status_code} {path} {name}={text[:30]!r}")
            elif r.status_code == 431:
                pass  # request line beyond the server's 64 KiB limit: refused by waitress (documented, text/plain)
            elif "Traceback" in r.text:
                bad += 1
                problems.append(f"traceback {path} {text[:30]!r}")
            elif path.startswith("/api") and (not r.headers.get("Content-Type", "").startswith("application/json")
                                              or (r.status_code >= 400 and not r.json()["error"]["message"])):
                bad += 1
                problems.append(f"not a JSON error {path} {text[:30]!r}")
            elif not path.startswith("/api") and any(n in r.text.lower() for n in ("<script>alert", "<svg onload")):
                bad += 1
                problems.append(f"unescaped markup {path} {text[:30]!r}")
    for target in RAW_TARGETS:
        status, head, body = raw_get(server.url, target)
        tried += 1
        if status >= 500:
            server_errors += 1
            problems.append(f"{status} raw {target[:40]!r}")
        if b"Traceback" in body:
            bad += 1
    report.figures["hostile_inputs_tried"] = tried
    report.figures["hostile_5xx"] = server_errors
    report.check(f"hostile input: {tried} requests, 5xx {server_errors}", server_errors == 0 and bad == 0,
                 "; ".join(problems[:5]))


# -- 2. load with a rebuild under it ----------------------------------------------------------------

def load_with_rebuild(server: Server, index_dir: Path, workdir: Path, seconds: float, clients: int,
                      max_requests: int, report: Report) -> None:
    print(f"load: {clients} clients, {seconds:g} s minimum, rebuild during the load", flush=True)
    before = server.health()
    stop = threading.Event()
    lock = threading.Lock()
    latencies: dict[str, list[float]] = {m: [] for m in MODES}
    errors: list[str] = []
    builds_seen: set = set()

    def client(n: int):
        session = requests.Session()
        i = n
        for _ in range(max_requests):
            if stop.is_set():
                break
            mode = MODES[i % len(MODES)]
            q = QUERIES[(i // len(MODES)) % len(QUERIES)]
            i += 1
            path = "/api/owner?" + urlencode({"q": q}) if mode == "owner" else \
                "/api/search?" + urlencode({"q": q, "mode": mode})
            t = time.perf_counter()
            try:
                r = session.get(server.url + path, timeout=60)
                ok = r.status_code == 200
                detail = f"{r.status_code} {path}"
            except requests.RequestException as exc:
                ok, detail = False, f"{type(exc).__name__} {path}"
            dt = (time.perf_counter() - t) * 1000
            with lock:
                if ok:
                    latencies[mode].append(dt)
                else:
                    errors.append(detail)
            if THINK_S:
                stop.wait(THINK_S)

    def watch_health():
        session = requests.Session()
        while not stop.is_set():
            try:
                h = session.get(server.url + "/api/health", timeout=30)
                if h.status_code == 200:
                    builds_seen.add(h.json().get("build_id") or h.json().get("built_at"))
                else:
                    with lock:
                        errors.append(f"{h.status_code} /api/health")
            except requests.RequestException as exc:
                with lock:
                    errors.append(f"{type(exc).__name__} /api/health")
            stop.wait(0.25)

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    threads.append(threading.Thread(target=watch_health, daemon=True))
    started = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(min(2.0, seconds / 4))
    build = run_build(index_dir, log=workdir / "rebuild.log")
    try:
        rc = build.wait(timeout=900)
    except subprocess.TimeoutExpired:
        build.kill()
        rc = "timeout"
    build_done = time.perf_counter() - started
    # keep the load on until --seconds and at least 3 s past the swap (the engine reloads on the next request)
    remaining = max(seconds - build_done, 3.0)
    time.sleep(remaining)
    stop.set()
    for t in threads:
        t.join(timeout=90)
    elapsed = time.perf_counter() - started
    after = server.health()

    total = sum(len(v) for v in latencies.values())
    allv = [x for v in latencies.values() for x in v]
    figures = {
        "clients": clients, "seconds": round(elapsed, 1), "requests_ok": total, "errors": len(errors),
        "throughput_rps": round(total / elapsed, 1),
        "p50_ms": round(percentile(allv, 50), 1), "p99_ms": round(percentile(allv, 99), 1),
        "per_mode": {m: {"n": len(v), "p50_ms": round(percentile(v, 50), 1), "p99_ms": round(percentile(v, 99), 1)}
                     for m, v in latencies.items()},
        "rebuild_s": round(build_done, 1), "rebuild_exit": rc,
    }
    report.figures["load"] = figures
    print(f"  {total} requests in {elapsed:.1f} s = {figures['throughput_rps']} req/s, "
          f"p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms, errors {len(errors)}", flush=True)
    for m, f in figures["per_mode"].items():
        print(f"    {m:9s} n={f['n']:5d} p50 {f['p50_ms']:7.1f} ms  p99 {f['p99_ms']:7.1f} ms")
    report.check("rebuild under load exited 0", rc == 0, f"log {workdir / 'rebuild.log'}")
    report.check("zero failed requests under load and rebuild", not errors, "; ".join(errors[:5]))
    report.check("every mode answered under load", all(latencies[m] for m in MODES))
    old_id = before.get("build_id") or before.get("built_at")
    new_id = after.get("build_id") or after.get("built_at")
    report.check("answers switched to the new index (health build_id changed)",
                 new_id != old_id and new_id in builds_seen,
                 f"{old_id} → {new_id}; seen during load: {len(builds_seen)} builds")


# -- 3. faults --------------------------------------------------------------------------------------

def wait_for_new_build_dir(index_dir: Path, known: set, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if set((index_dir / "builds").iterdir()) - known:
            return True
        time.sleep(0.1)
    return False


def faults(server: Server, index_dir: Path, workdir: Path, report: Report) -> Server:
    print("faults", flush=True)
    survived = 0

    # a. SIGKILL a build mid-way: current unchanged, old build still served
    target = current_target(index_dir)
    served = server.health().get("build_id")
    known = set((index_dir / "builds").iterdir())
    build = run_build(index_dir, log=workdir / "killed-build.log")
    started_dir = wait_for_new_build_dir(index_dir, known)
    time.sleep(0.5)  # the build folder appears after parsing, before the model is loaded
    build.send_signal(signal.SIGKILL)
    build.wait()
    partial = sorted(set((index_dir / "builds").iterdir()) - known)
    ok = (current_target(index_dir) == target and server.health().get("build_id") == served
          and (index_dir / "current" / "meta.json").exists()
          and requests.get(server.url + "/api/search", params={"q": "低保"}, timeout=60).status_code == 200)
    survived += report.check("SIGKILL a build mid-way: current unchanged, old index still served", ok and started_dir,
                             f"current → {target}; half-written folder left, never loaded: "
                             f"{[p.name for p in partial]}")

    # b. SIGKILL the server and a build together, restart: the old index serves
    known = set((index_dir / "builds").iterdir())
    build = run_build(index_dir, log=workdir / "killed-build-2.log")
    wait_for_new_build_dir(index_dir, known)
    time.sleep(0.5)
    server.kill(signal.SIGKILL)
    build.send_signal(signal.SIGKILL)
    build.wait()
    server = Server(index_dir, workdir)
    try:
        server.start()
        h = server.health()
        ok = (h.get("build_id") == served and current_target(index_dir) == target
              and requests.get(server.url + "/api/owner", params={"q": "低保"}, timeout=60).status_code == 200)
        detail = f"restarted on {server.url}, serving {h.get('build_id')}"
    except RuntimeError as exc:
        ok, detail = False, str(exc)
    survived += report.check("SIGKILL server + build, restart: old index serves", ok, detail)

    # c. truncated / non-UTF-8 source documents: build exits non-zero naming file and line, current unchanged
    for kind in ("truncated", "not-utf8"):
        raw = workdir / f"raw-{kind}"
        shutil.rmtree(raw, ignore_errors=True)
        shutil.copytree(RAW, raw)
        victim = max(raw.glob("*.txt"), key=lambda p: p.stat().st_size)
        data = victim.read_bytes()
        if kind == "truncated":
            victim.write_bytes(data[: data.find(b"\n", len(data) // 2) + 1])  # cut at a line: mid-list
        else:
            cut = data.find(b"\n", len(data) // 3) + 1
            victim.write_bytes(data[:cut] + b"\xff\xfe bad bytes\n" + data[cut:])
        proc = run_build(index_dir, raw=raw)
        out, err = proc.communicate(timeout=600)
        message = (err or b"").decode("utf-8", "replace") + (out or b"").decode("utf-8", "replace")
        ok = (proc.returncode != 0 and victim.name in message and "line" in message
              and current_target(index_dir) == target)
        first = next((line for line in message.splitlines() if victim.name in line), message.strip()[:200])
        survived += report.check(f"{kind} source document rejected, current unchanged", ok,
                                 f"exit {proc.returncode}: {first[:220]}")

    # d. startup errors naming the path
    cases = [
        ("missing index dir", {"TDS_INDEX_DIR": str(workdir / "no-such-index")}, str(workdir / "no-such-index")),
        ("missing model (TDS_MODEL=/nonexistent)", {"TDS_MODEL": "/nonexistent"}, "/nonexistent"),
    ]
    incomplete = workdir / "incomplete-index"
    shutil.rmtree(incomplete, ignore_errors=True)
    (incomplete / "builds").mkdir(parents=True)
    shutil.copytree((index_dir / "current").resolve(), incomplete / "builds" / "b1")
    (incomplete / "builds" / "b1" / "meta.json").unlink()
    os.symlink("builds/b1", incomplete / "current")
    cases.append(("incomplete index (meta.json missing)", {"TDS_INDEX_DIR": str(incomplete)}, str(incomplete)))
    for name, extra, path in cases:
        env = base_env(TDS_INDEX_DIR=str(index_dir), TDS_PORT=str(free_port()))
        env.update(extra)
        try:
            proc = subprocess.run([PY, "-m", "search_app.serve", "--no-build"], cwd=REPO, env=env,
                                  capture_output=True, timeout=300)
            message = proc.stderr.decode("utf-8", "replace")
            line = next((x for x in message.splitlines() if x.startswith("error")), message.strip()[-200:])
            ok = proc.returncode != 0 and path in message
            detail = f"exit {proc.returncode}: {line[:220]}"
        except subprocess.TimeoutExpired:
            ok, detail = False, "serve did not exit (it should refuse to start)"
        survived += report.check(f"serve with {name} exits non-zero naming the path", ok, detail)
    report.figures["faults_survived"] = survived
    return server


# -- 4. security ------------------------------------------------------------------------------------

def security(server: Server, report: Report) -> None:
    print("security", flush=True)
    u = server.url
    bad = [requests.get(u + "/api/search", params={"size": "abc"}, timeout=30),
           requests.get(u + "/api/nope", timeout=30), requests.get(u + "/?page=-1", timeout=30),
           requests.get(u + "/console", timeout=30), requests.get(u + "/api/duties/%00", timeout=30)]
    report.check("bad requests: 4xx without traceback or debugger",
                 all(400 <= r.status_code < 500 and "Traceback" not in r.text and "Werkzeug Debugger" not in r.text
                     for r in bad), ", ".join(str(r.status_code) for r in bad))
    listing = [requests.get(u + p, timeout=30) for p in ("/static/", "/static", "/static/..%2f", "/static/%2e%2e/")]
    report.check("no directory listing under /static/",
                 all(r.status_code in (301, 308, 400, 403, 404) and "Index of" not in r.text for r in listing),
                 ", ".join(str(r.status_code) for r in listing))
    pages = [requests.get(u + p, timeout=60) for p in ("/", "/?q=低保", "/owner?q=低保", "/townships", "/compare")]
    report.check("pages carry Content-Security-Policy and X-Content-Type-Options: nosniff",
                 all(r.headers.get("Content-Security-Policy") and r.headers.get("X-Content-Type-Options") == "nosniff"
                     for r in pages), pages[0].headers.get("Content-Security-Policy", "")[:60] + "…")
    methods = [requests.request(m, u + p, data=b"x", timeout=30)
               for m in ("POST", "PUT", "DELETE", "PATCH") for p in ("/api/search", "/api/health", "/")]
    report.check("POST/PUT/DELETE/PATCH → 405 JSON",
                 all(r.status_code == 405 and r.headers.get("Content-Type", "").startswith("application/json")
                     and r.json()["error"]["message"] for r in methods))
    big = requests.get(u + "/api/search", params={"q": "低保"}, data=b"x" * (64 * 1024), timeout=30)
    huge_status = None
    try:
        huge_status = requests.post(u + "/api/search", data=b"x" * (4 * 1024 * 1024), timeout=30).status_code
    except requests.RequestException as exc:  # the server may close the connection on a body this large
        huge_status = type(exc).__name__
    report.check("oversized request body → 413", big.status_code == 413 and huge_status in (413, "ConnectionError"),
                 f"64 KiB → {big.status_code}, 4 MiB → {huge_status}")
    long_url = requests.get(u + "/api/search?q=" + "a" * 200_000, timeout=30)
    report.check("oversized request line refused without 5xx", 400 <= long_url.status_code < 500,
                 f"200 KB URL → {long_url.status_code}")
    serve_src = (REPO / "search_app" / "serve.py").read_text(encoding="utf-8")
    report.check("serve command: waitress, no debug, no reloader",
                 "waitress.serve" in serve_src and "debug=True" not in serve_src
                 and "use_reloader" not in serve_src and "app.run(" not in serve_src)


# -- main -------------------------------------------------------------------------------------------

def main(argv=None) -> int:
    global RAW, THINK_S
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="minimum load duration (default 60)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--max-requests", type=int, default=100_000, help="cap per client (default 100000)")
    parser.add_argument("--raw", default=str(RAW),
                        help="source documents for every build (default data/raw; the fast test uses one document)")
    parser.add_argument("--think-ms", type=float, default=0, help="pause between a client's requests (default 0)")
    parser.add_argument("--index-dir", help="reuse this index (its current build is copied; it is not changed)")
    parser.add_argument("--json", help="also write the report as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    RAW = Path(args.raw).resolve()
    THINK_S = args.think_ms / 1000

    workdir = Path(tempfile.mkdtemp(prefix="tds-robustness-"))
    index_dir = workdir / "index"
    report = Report()
    server = None
    print(f"work folder: {workdir}", flush=True)
    try:
        if args.index_dir:
            source = (Path(args.index_dir) / "current").resolve()
            (index_dir / "builds").mkdir(parents=True)
            shutil.copytree(source, index_dir / "builds" / source.name)
            os.symlink(f"builds/{source.name}", index_dir / "current")
        else:
            print("building the index …", flush=True)
            proc = run_build(index_dir, log=workdir / "build.log")
            if proc.wait() != 0:
                print(f"initial build failed; log: {workdir / 'build.log'}", file=sys.stderr)
                return 1
        server = Server(index_dir, workdir).start()
        start_health = server.health()
        report.figures["records_before"] = start_health["records"]
        print(f"server {server.url}: {start_health['records']} records, build {start_health.get('build_id')}")

        hostile_input(server, report)
        load_with_rebuild(server, index_dir, workdir, args.seconds, args.clients, args.max_requests, report)
        server = faults(server, index_dir, workdir, report)
        if server.proc and server.proc.poll() is None:
            security(server, report)
            end = server.health()
            report.figures["records_after"] = end["records"]
            lost = start_health["records"] - end["records"]
            report.figures["records_lost"] = lost
            report.check("records lost: 0", lost == 0, f"{start_health['records']} before, {end['records']} after")
        else:
            report.check("server running for the security checks", False)
    except Exception as exc:  # report what broke, never a silent pass
        report.check(f"run completed ({type(exc).__name__})", False, str(exc)[:300])
    finally:
        if server:
            server.kill(signal.SIGTERM)
        if not args.keep and not report.failed:
            shutil.rmtree(workdir, ignore_errors=True)

    f = report.figures
    load = f.get("load", {})
    print("\n== robustness report ==")
    print(f"inputs tried:     {f.get('hostile_inputs_tried')} hostile requests, 5xx: {f.get('hostile_5xx')}")
    print(f"load:             {load.get('clients')} clients × {load.get('seconds')} s: {load.get('requests_ok')} ok, "
          f"{load.get('throughput_rps')} req/s, p50 {load.get('p50_ms')} ms, p99 {load.get('p99_ms')} ms, "
          f"errors {load.get('errors')} (rebuild took {load.get('rebuild_s')} s under load)")
    print(f"faults survived:  {f.get('faults_survived')} of 7")
    print(f"records lost:     {f.get('records_lost')} ({f.get('records_before')} before, {f.get('records_after')} after)")
    print(f"checks:           {len(report.checks) - len(report.failed)}/{len(report.checks)} passed")
    for name, _, detail in report.failed:
        print(f"  FAILED: {name} {detail}")
    if report.failed:
        print(f"logs kept in {workdir}")
    if args.json:
        Path(args.json).write_text(json.dumps({"figures": f, "checks": [
            {"name": n, "ok": ok, "detail": d} for n, ok, d in report.checks]}, ensure_ascii=False, indent=2),
            encoding="utf-8")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
