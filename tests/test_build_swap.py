"""`python -m indexer build` swaps indexes atomically: searches never fail while a rebuild runs,
a failing build leaves `current` alone, old builds are pruned (the previous one is kept).

Uses one small document (嘎木乡, 170 records) so each build takes seconds; the model is loaded
once per process and shared with the other test modules.
"""
from __future__ import annotations

import os
import random
import shutil
import threading
import time
from pathlib import Path

import pytest

from indexer import build
from search.engine import Engine
from search.holder import EngineHolder

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO / "data" / "raw" / "000_dccf10dfffeb4fe9.txt"


@pytest.fixture()
def raw(tmp_path) -> Path:
    folder = tmp_path / "raw"
    folder.mkdir()
    shutil.copyfile(SOURCE, folder / SOURCE.name)
    return folder


def run_build(raw: Path, index_dir: Path) -> int:
    return build.main(["--raw", str(raw), "--index-dir", str(index_dir), "--no-progress"])


def target(index_dir: Path) -> Path:
    return (index_dir / os.readlink(index_dir / "current")).resolve()


def test_rebuild_while_searching_never_fails(raw, tmp_path):
    index_dir = tmp_path / "index"
    assert run_build(raw, index_dir) == 0
    first = target(index_dir)
    assert (first / "meta.json").exists() and (first / "duties.sqlite").exists() and (first / "vectors.faiss").exists()

    holder = EngineHolder(index_dir, check_interval=0.0)
    assert holder.get().build_dir == first
    errors: list[BaseException] = []
    done = {"n": 0}
    stop = threading.Event()

    def searcher(seed: int):
        rng = random.Random(seed)
        queries = ["森林草原防火", "山林着火了谁负责", "低保", "禁牧区搭圈舍", '"AND" OR (', "安全生产"]
        while not stop.is_set():
            try:
                engine = holder.get()
                q = rng.choice(queries)
                engine.search(q, mode=rng.choice(["keyword", "semantic", "hybrid"]))
                engine.owner(q)
                engine.similar(engine.records[rng.randrange(len(engine.records))]["id"], k=3)
                done["n"] += 1
            except BaseException as exc:  # any failure is the test failing
                errors.append(exc)

    threads = [threading.Thread(target=searcher, args=(i,), daemon=True) for i in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    before = done["n"]
    assert run_build(raw, index_dir) == 0   # second build while the searchers run
    during = done["n"] - before
    second = target(index_dir)
    assert second != first
    deadline = time.time() + 30
    while holder.get().build_dir != second and time.time() < deadline:
        time.sleep(0.05)
    assert holder.get().build_dir == second, "the holder did not pick up the new build"

    assert run_build(raw, index_dir) == 0   # third: the first is pruned, the previous (second) kept
    third = target(index_dir)
    time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors[:3]
    assert during > 0, "no search ran during the rebuild"
    builds = {p.resolve() for p in (index_dir / "builds").iterdir()}
    assert builds == {second, third}
    assert not first.exists()


def test_failing_build_leaves_current_untouched(raw, tmp_path, capsys):
    index_dir = tmp_path / "index"
    assert run_build(raw, index_dir) == 0
    good = target(index_dir)
    before = set((index_dir / "builds").iterdir())

    (raw / "zz_broken.txt").write_text("这不是一份清单\n没有任何标题\n", encoding="utf-8")
    assert run_build(raw, index_dir) != 0
    assert "unchanged" in capsys.readouterr().err
    assert target(index_dir) == good
    assert set((index_dir / "builds").iterdir()) == before
    assert Engine.open(index_dir).search("森林草原防火")["hits"]

    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_build(empty, index_dir) != 0
    assert target(index_dir) == good


def test_one_build_at_a_time(raw, tmp_path):
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    with build._Lock(index_dir):
        with pytest.raises(build.BuildError, match="another build"):
            build.build(raw, index_dir, progress=False, log=lambda *_: None)
    assert not (index_dir / "current").exists()


def test_meta_records_model_counts_and_timings(raw, tmp_path):
    import json

    index_dir = tmp_path / "index"
    assert run_build(raw, index_dir) == 0
    meta = json.loads((target(index_dir) / "meta.json").read_text(encoding="utf-8"))
    assert meta["records"] == 170 and meta["counts"]["嘎木乡"] == {"basic": 77, "cooperative": 79, "recovered": 14}
    assert meta["model"]["name"] == "moka-ai/m3e-small" and meta["model"]["dim"] == 512
    assert len(meta["model"]["fingerprint"]) == 16
    assert meta["faiss"]["kind"] == "flat"
    assert {"parse_s", "segment_s", "embed_s", "faiss_s", "sqlite_s", "total_s"} <= set(meta["timings"])
    assert meta["built_at"]
