"""What staff ask, kept for review: one JSON line per search or owner answer (TDS_QUERY_LOG).

The synonyms and the owner verdict were tuned on questions written for the purpose; new wording
keeps arriving. With a log, the questions answered 可能相关 or 没有找到 — where the wording was not
understood — can be read, judged and turned into synonyms and judged pairs from real traffic:

    python -m search_app.querylog var/query-log.jsonl        # the review queue, most asked first

A line holds the question, what narrowed it and what the answer said (counts, verdicts), never
who asked (no address, no browser). Writing never fails a request: a log that cannot be written
is reported once in the server log and skipped.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

log = logging.getLogger(__name__)


class QueryLog:
    """Appends one JSON line per answer to `path`; safe to share between request threads."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._failed = False

    def search(self, q: str, mode: str, filters: dict, answer: dict) -> None:
        if q:  # browsing a list asks nothing
            self._write({"kind": "search", "q": q, "mode": mode, "filters": filters,
                         "places": answer.get("places") or {}, "total": answer.get("total"),
                         "took_ms": answer.get("took_ms")})

    def owner(self, q: str, townships: list, region: dict, answer: dict) -> None:
        verdicts = Counter(row["verdict"] for row in answer.get("results", []))
        self._write({"kind": "owner", "q": q, "townships": townships, "region": region,
                     "places": answer.get("places") or {}, "total": answer.get("total"),
                     "verdicts": dict(verdicts), "nothing_close": bool(answer.get("nothing_close"))})

    def _write(self, entry: dict) -> None:
        line = json.dumps({"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())} | entry,
                          ensure_ascii=False) + "\n"
        try:
            with self._lock, open(self.path, "a", encoding="utf-8") as handle:
                handle.write(line)
        except OSError as exc:
            if not self._failed:
                log.warning("query log %s not written (%s); answers go on without it", self.path, exc)
            self._failed = True


def read(path: str | Path) -> list[dict]:
    """The log's entries; a line that is not JSON (a torn write) is skipped."""
    out = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
    return out


def review_queue(entries: list[dict]) -> list[dict]:
    """Questions whose answer did not understand them — owner answers with 可能相关 townships or
    nothing close, searches with no hits — each once, most asked first."""
    seen: dict[str, dict] = defaultdict(lambda: {"asked": 0, "possible": 0, "townships": 0, "no_hits": 0})
    for e in entries:
        q = e.get("q")
        if not isinstance(q, str) or not q:
            continue
        row = seen[q]
        row["asked"] += 1
        if e.get("kind") == "owner":
            verdicts = e.get("verdicts") or {}
            row["possible"] = max(row["possible"], int(verdicts.get("possible", 0)))
            row["townships"] = max(row["townships"], int(e.get("total") or 0))
            row["no_hits"] += bool(e.get("nothing_close"))
        elif e.get("kind") == "search" and e.get("total") == 0:
            row["no_hits"] += 1
    queue = [{"q": q} | row for q, row in seen.items() if row["possible"] or row["no_hits"]]
    return sorted(queue, key=lambda r: (-r["asked"], -r["no_hits"], -r["possible"], r["q"]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="The questions a query log shows were not understood.")
    parser.add_argument("log", help="the file TDS_QUERY_LOG named")
    parser.add_argument("--top", type=int, default=50, help="how many to list (default 50)")
    args = parser.parse_args(argv)
    try:
        entries = read(args.log)
    except OSError as exc:
        print(f"cannot read {args.log}: {exc}", file=sys.stderr)
        return 2
    queue = review_queue(entries)
    print(f"{len(entries)} answers logged; {len(queue)} questions to review (可能相关 or 没有找到)")
    print(f"{'asked':>5} {'可能相关':>8} {'没有找到':>8}  question")
    for row in queue[:args.top]:
        possible = f"{row['possible']}/{row['townships']}" if row["townships"] else "—"
        print(f"{row['asked']:>5} {possible:>8} {row['no_hits']:>8}  {row['q']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
