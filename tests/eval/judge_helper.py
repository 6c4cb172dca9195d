"""Helper for writing relevance judgments by hand: lists candidate records by keyword.

It reads the parsed corpus directly (never the search engine), so judgments made with it are
not circular. Usage, from the repo root:

    python tests/eval/judge_helper.py grep '森林|草原.*火|防火'        # regex over name
    python tests/eval/judge_helper.py grep -a '应急管理' -t 渡口镇      # regex over all text
    python tests/eval/judge_helper.py show 428e86e3b6d1 fa42a7730093   # full records
    python tests/eval/judge_helper.py query q07                       # a query's judged records
    python tests/eval/judge_helper.py dump > /tmp/corpus.txt          # one line per record
    python tests/eval/judge_helper.py unjudged q001 '火' -a            # matches a query has not judged

Output lines: id  township  list_type  category  name | departments
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from indexer.parse import parse_corpus  # noqa: E402

LT = {"basic": "B", "cooperative": "C", "recovered": "R"}


def corpus():
    return parse_corpus(str(ROOT / "data" / "raw"))


def full_text(d) -> str:
    parts = [d.name, d.category, " ".join(d.departments())]
    parts += d.duty_texts()
    parts.append(d.remarks)
    return " ".join(parts)


def line(d, width=90) -> str:
    name = d.name if len(d.name) <= width else d.name[:width] + "…"
    deps = "、".join(d.departments())[:40]
    return f"{d.id}  {d.township:<6} {LT[d.list_type]} {d.category[:6]:<6} {name} | {deps}"


def load_queries() -> dict:
    queries = {}
    with open(ROOT / "tests" / "eval" / "queries.jsonl", encoding="utf-8") as f:
        for raw in f:
            if raw.strip():
                rec = json.loads(raw)
                queries[rec["qid"]] = rec
    return queries


def main(argv=None):
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("grep")
    g.add_argument("pattern")
    g.add_argument("-a", "--all", action="store_true", help="match all text, not only the name")
    g.add_argument("-t", "--township")
    g.add_argument("-l", "--list-type")
    g.add_argument("-x", "--exclude", help="regex; drop records whose name matches")
    s = sub.add_parser("show")
    s.add_argument("ids", nargs="+")
    q = sub.add_parser("query")
    q.add_argument("qids", nargs="+")
    u = sub.add_parser("unjudged", help="records matching a pattern that a query has not judged")
    u.add_argument("qid")
    u.add_argument("pattern")
    u.add_argument("-a", "--all", action="store_true")
    sub.add_parser("dump")
    a = ap.parse_args(argv)

    duties = corpus()
    by_id = {d.id: d for d in duties}
    if a.cmd == "grep":
        rx = re.compile(a.pattern)
        xr = re.compile(a.exclude) if a.exclude else None
        n = 0
        for d in duties:
            if a.township and d.township != a.township:
                continue
            if a.list_type and d.list_type != a.list_type:
                continue
            text = full_text(d) if a.all else d.name
            if rx.search(text) and not (xr and xr.search(d.name)):
                print(line(d))
                n += 1
        print(f"-- {n} records", file=sys.stderr)
    elif a.cmd == "show":
        for i in a.ids:
            print(json.dumps(by_id[i].to_dict(), ensure_ascii=False, indent=1))
    elif a.cmd == "query":
        queries = load_queries()
        for qid in a.qids:
            rec = queries[qid]
            print(f"## {qid} {rec['query']} {rec.get('filters') or ''}")
            for i, grade in sorted(rec["relevant"].items(), key=lambda kv: -kv[1]):
                print(grade, line(by_id[i]) if i in by_id else f"{i} MISSING")
    elif a.cmd == "unjudged":
        rec = load_queries()[a.qid]
        rx = re.compile(a.pattern)
        flt = rec.get("filters") or {}
        for d in duties:
            if d.id in rec["relevant"] or any(getattr(d, k) != v for k, v in flt.items()):
                continue
            if rx.search(full_text(d) if a.all else d.name):
                print(line(d))
    elif a.cmd == "dump":
        for d in duties:
            print(line(d, width=400))


if __name__ == "__main__":
    main()
