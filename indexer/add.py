"""`python -m indexer add FILE...`: add (or replace) townships from the files a county publishes.

Each file (text, Word or Excel; see indexer/documents.py) is parsed and validated first; any error
stops everything before a byte is written. Then the files are copied into the documents folder
(data/raw by default) under a name from their content hash, documents already there for the same
townships are set aside, and the index is rebuilt and swapped in atomically (indexer/build.py): a
running server keeps answering from the old index until the new one is loaded. If the build fails,
the documents folder is put back as it was. The validation report is printed.
"""
from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
from pathlib import Path

from indexer import build
from indexer.parse import DocumentError, parse_file, source_files
from indexer.validate import report

REPO = Path(__file__).resolve().parent.parent


def stored_name(path: Path) -> str:
    data = path.read_bytes()
    suffix = path.suffix.lower() if path.suffix.lower() in (".txt", ".docx", ".xlsx") else ".bin"
    return f"added_{hashlib.sha256(data).hexdigest()[:16]}{suffix}"


def townships_of(path: Path) -> set[tuple[str, str]]:
    return {(d.county, d.township) for d in parse_file(path).duties}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m indexer add", description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--raw", type=Path, default=REPO / "data" / "raw", help="documents folder (default data/raw)")
    parser.add_argument("--index-dir", default=None, help="index root (default TDS_INDEX_DIR or var/index)")
    args = parser.parse_args(argv)

    documents = []
    for path in args.files:
        try:
            document = parse_file(path)
        except (OSError, DocumentError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        lines, passed = report(document)
        print("\n".join(lines))
        if not passed or not document.duties:
            print(f"error: {path} did not validate; nothing was added", file=sys.stderr)
            return 1
        documents.append((path, {(d.county, d.township) for d in document.duties}))

    incoming = set().union(*(towns for _, towns in documents))
    replaced = []
    for old in source_files(args.raw):
        held = townships_of(old)
        if held & incoming and not held <= incoming:
            others = "、".join(t for _, t in sorted(held - incoming))
            print(f"error: {old.name} also holds {others}; add files for all of its townships, or remove it "
                  "by hand; nothing was added", file=sys.stderr)
            return 1
        if held & incoming:
            replaced.append(old)
    aside = args.raw / ".replaced"
    aside.mkdir(exist_ok=True)
    moved = []
    try:
        for old in replaced:
            shutil.move(str(old), aside / old.name)
            moved.append(old)
        for path, _ in documents:
            shutil.copyfile(path, args.raw / stored_name(path))
        rc = build.main(["--raw", str(args.raw), "--no-progress"] +
                        (["--index-dir", args.index_dir] if args.index_dir else []))
    except BaseException:
        rc = 1
        raise
    finally:
        if rc:
            for path, _ in documents:
                (args.raw / stored_name(path)).unlink(missing_ok=True)
            for old in moved:
                shutil.move(str(aside / old.name), old)
    if rc:
        print("error: the build failed; the documents folder and the index are as they were", file=sys.stderr)
        return rc
    for old in moved:
        print(f"replaced {old.name} (kept in {aside})")
    print(f"added {', '.join(f'{c}{t}' for c, t in sorted(incoming))}")
    return 0
