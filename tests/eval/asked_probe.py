"""Held-out tune figures for the staff questions (data/dict/asked.tsv, the keyword field `asked`).

Builds an index from data/raw into a temporary folder with the questions file as asked — all of
it, none of it, or without one county's own item names (questions carried to them from the
closest named items at --carry) — then prints what the tune half says through the held-out view:
calibrate_owner.py's cross-validated figures (the verdict refitted on this build) and nDCG@10 per
mode. Reads the tune half only. About a minute a run on two cores.

    python tests/eval/asked_probe.py                                   # as served
    python tests/eval/asked_probe.py --no-asked                        # without the field's text
    python tests/eval/asked_probe.py --add tests/eval/umbrella_questions.tsv [--within 5]  # with more
    python tests/eval/asked_probe.py --drop-county 磴口县 --carry 2     # that county without questions
    python tests/eval/asked_probe.py --drop-county 磴口县 --carry 0.85  # ... and carried at 0.85
    TDS_FIELD_WEIGHTS=name:6,category:1,duties:0.75,departments:1.5,asked:1.5 \\
        python tests/eval/asked_probe.py                               # another field weight
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def added_questions(path: Path, within: int | None, index_dir=None) -> list[str]:
    """The question lines of `path`; with `within`, only those whose item hybrid search on the
    served index (`index_dir`, else var/index) finds among its first `within` hits — a question
    that search takes to another item first may be that item's task rather than its own."""
    from models.fields import name_key
    from search.engine import Engine

    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]
    if within is None:
        return lines
    engine = Engine.open(index_dir)
    try:
        def found(line: str) -> bool:
            name, _, question = line.partition("\t")
            hits = engine.search(question, mode="hybrid", size=within)["hits"]
            return name_key(name) in {name_key(h["duty"]["name"]) for h in hits}
        return [line for line in lines if found(line)]
    finally:
        engine.close()


def questions_file(folder: Path, drop_county: str | None, none: bool, added: Path | None = None,
                   within: int | None = None) -> Path:
    """The served questions, without any (`none`) or without the names only `drop_county` uses,
    with the lines of `added` after them (`added_questions`)."""
    from indexer.build import ASKED_FILE
    from indexer.parse import parse_corpus
    from models.fields import name_key

    lines = ASKED_FILE.read_text(encoding="utf-8").splitlines()
    drop: set[str] = set()
    if drop_county:
        duties = parse_corpus(ROOT / "data" / "raw")
        drop = ({name_key(d.name) for d in duties if d.county == drop_county}
                - {name_key(d.name) for d in duties if d.county != drop_county})
        if not drop:
            raise SystemExit(f"no item name only {drop_county} uses")
    kept = [] if none else [line for line in lines
                            if line.startswith("#") or name_key(line.partition("\t")[0]) not in drop]
    before = len(kept)
    if added:
        kept += added_questions(added, within)
    path = folder / "asked.tsv"
    path.write_text("# probe\n" + "\n".join(kept) + "\n", encoding="utf-8")
    print(f"questions: {sum(not k.startswith('#') for k in kept)} lines ({len(kept) - before} added); "
          f"names dropped: {len(drop)}")
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--drop-county", default=None, help="take this county's own item names out")
    parser.add_argument("--carry", type=float, default=None, help="carry cosine (default: the served one)")
    parser.add_argument("--no-asked", action="store_true", help="build with no questions at all")
    parser.add_argument("--add", type=Path, default=None, help="a questions file to add to the served one")
    parser.add_argument("--within", type=int, default=None,
                        help="add only questions whose item served hybrid search finds in this many hits")
    args = parser.parse_args(argv)
    from calibrate_owner import calibrate, held_out_view
    from staff_eval import ranking_summary
    from staff_set import load_staff

    from indexer import build
    from search.engine import Engine

    with tempfile.TemporaryDirectory(prefix="tds-asked-probe-") as tmp:
        tmp = Path(tmp)
        meta = build.build(ROOT / "data" / "raw", tmp / "index", progress=False, log=lambda *a: None,
                           asked_file=questions_file(tmp, args.drop_county, args.no_asked, args.add, args.within),
                           carry_cosine=args.carry)
        print(f"records with questions: {meta['asked']['records']} (carried: {meta['asked']['carried']})")
        fitted = calibrate(tmp / "index")
        o = fitted["figures"]
        print("held-out tune view, cross-validated: status {:.3f}; 清单之外 precision {:.3f}, recall {:.3f}; "
              "有此事项 precision {:.3f}; 可能相关 share {:.3f}; AUC item {:.3f}, township {:.3f}".format(
                  o["accuracy"], o["out_precision"], o["out_recall"], o["listed_precision"], o["possible"],
                  *fitted["auc"]))
        engine = Engine.open(held_out_view(tmp / "index", tmp / "view"))
        try:
            ranking = ranking_summary(engine, load_staff("tune"))
        finally:
            engine.close()
        print("held-out tune view, nDCG@10: " + ", ".join(
            f"{mode} {ranking[mode]['ndcg@10']:.3f}" for mode in ("keyword", "semantic", "hybrid")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
