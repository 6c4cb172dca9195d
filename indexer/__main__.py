"""python -m indexer parse|validate|build|add|adapt …"""
from __future__ import annotations

import argparse
import json
import sys

from indexer.parse import DocumentError, parse_file


def _parse(args) -> int:
    for path in args.files:
        document = _read(path)
        if document is None:
            return 2
        for duty in document.duties:
            record = duty.to_dict()
            print(json.dumps(record, ensure_ascii=False) if args.jsonl else json.dumps(record, ensure_ascii=False, indent=2))
    return 0


def _validate(args) -> int:
    ok = True
    for path in args.files:
        document = _read(path)
        if document is None:
            ok = False
            continue
        from indexer.validate import report
        lines, passed = report(document)
        print("\n".join(lines))
        ok &= passed
    return 0 if ok else 1


def _read(path):
    try:
        return parse_file(path)
    except (OSError, DocumentError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def _build(args) -> int:
    from indexer import build
    return build.main(args.rest)


def _add(args) -> int:
    from indexer import add
    return add.main(args.rest)


def _adapt(args) -> int:
    from indexer import adapt
    return adapt.main(args.rest)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m indexer", description="Township duty lists: parse, validate, build indexes.")
    commands = parser.add_subparsers(dest="command", required=True)
    parse = commands.add_parser("parse", help="print duty records")
    parse.add_argument("files", nargs="+")
    parse.add_argument("--jsonl", action="store_true", help="one JSON record per line")
    parse.set_defaults(run=_parse)
    validate = commands.add_parser("validate", help="items found vs totals the documents state")
    validate.add_argument("files", nargs="+")
    validate.set_defaults(run=_validate)
    build = commands.add_parser("build", help="build the search indexes (see: build --help)", add_help=False)
    build.add_argument("rest", nargs=argparse.REMAINDER)
    build.set_defaults(run=_build)
    add = commands.add_parser("add", help="add or replace townships from published files and rebuild (see: add --help)",
                              add_help=False)
    add.add_argument("rest", nargs=argparse.REMAINDER)
    add.set_defaults(run=_add)
    adapt = commands.add_parser("adapt", help="adapt the embedding model to the lists (see: adapt --help)", add_help=False)
    adapt.add_argument("rest", nargs=argparse.REMAINDER)
    adapt.set_defaults(run=_adapt)
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["build"]:  # argparse.REMAINDER drops "--option" arguments after a subcommand
        from indexer import build as build_module
        return build_module.main(argv[1:])
    if argv[:1] == ["add"]:
        from indexer import add as add_module
        return add_module.main(argv[1:])
    if argv[:1] == ["adapt"]:
        from indexer import adapt as adapt_module
        return adapt_module.main(argv[1:])
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
