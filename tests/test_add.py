"""`python -m indexer add`: a clerk's Word or Excel file adds a township, or replaces one, in one
command; a bad file changes nothing."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from indexer import add
from indexer.parse import parse_corpus
from published import write_docx, write_pdf, write_xlsx

RAW = Path(__file__).resolve().parent.parent / "data" / "raw"


@pytest.fixture(scope="module")
def corpus():
    return parse_corpus(RAW)


def engine_townships(index_dir: Path) -> dict[str, int]:
    from search.engine import Engine
    engine = Engine.open(index_dir)
    try:
        return {t["township"]: t["total"] for t in engine.townships()}
    finally:
        engine.close()


def test_add_a_new_township_then_replace_it(tmp_path, corpus):
    raw, index_dir = tmp_path / "raw", tmp_path / "index"
    raw.mkdir()
    shutil.copy(RAW / "000_dccf10dfffeb4fe9.txt", raw)  # 嘎木乡 only
    celexiang = [d for d in corpus if d.township == "策勒乡"]
    new_file = tmp_path / "策勒乡清单.xlsx"
    write_xlsx(new_file, celexiang, "策勒县策勒乡履行职责事项清单", merged_categories=True)
    assert add.main([str(new_file), "--raw", str(raw), "--index-dir", str(index_dir)]) == 0
    assert engine_townships(index_dir) == {"嘎木乡": 170, "策勒乡": len(celexiang)}

    gamu = [d for d in corpus if d.township == "嘎木乡"]
    smaller = [d for d in gamu if not (d.list_type == "recovered" and d.seq == max(
        x.seq for x in gamu if x.list_type == "recovered"))]
    replacement = tmp_path / "嘎木乡（修订）.docx"
    write_docx(replacement, smaller, "索县嘎木乡履行职责事项清单", cell_breaks=True)
    assert add.main([str(replacement), "--raw", str(raw), "--index-dir", str(index_dir)]) == 0
    assert engine_townships(index_dir) == {"嘎木乡": len(smaller), "策勒乡": len(celexiang)}
    assert not (raw / "000_dccf10dfffeb4fe9.txt").exists() and (raw / ".replaced" / "000_dccf10dfffeb4fe9.txt").exists()


def test_a_bad_file_changes_nothing(tmp_path, capsys):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(RAW / "000_dccf10dfffeb4fe9.txt", raw)
    before = sorted(p.name for p in raw.iterdir())
    broken = tmp_path / "清单.docx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    assert add.main([str(broken), "--raw", str(raw), "--index-dir", str(tmp_path / "index")]) == 2
    assert sorted(p.name for p in raw.iterdir()) == before
    assert not (tmp_path / "index").exists()
    assert str(broken) in capsys.readouterr().err


def test_a_file_for_one_of_several_townships_in_a_document_is_refused(tmp_path, corpus, capsys):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(RAW / "003_ba77cdb3d8d18c6b.txt", raw)  # five 磴口县 townships in one document
    dukou = [d for d in corpus if d.township == "渡口镇"]
    one = tmp_path / "渡口镇.xlsx"
    write_xlsx(one, dukou, "磴口县渡口镇履行职责事项清单", merged_categories=False)
    assert add.main([str(one), "--raw", str(raw), "--index-dir", str(tmp_path / "index")]) == 1
    assert "also holds" in capsys.readouterr().err
    assert sorted(p.name for p in raw.iterdir()) == ["003_ba77cdb3d8d18c6b.txt"]


def wait_for(base: str, done, seconds: float = 60) -> dict[str, int]:
    """Township totals from the running server once `done(totals)` holds, or at the deadline."""
    import json
    import urllib.request

    deadline, totals = time.monotonic() + seconds, {}
    while time.monotonic() < deadline:
        with urllib.request.urlopen(base + "/api/townships") as r:
            totals = {t["township"]: t["total"] for t in json.loads(r.read())["townships"]}
        if done(totals):
            break
        time.sleep(0.2)
    return totals


def test_add_new_and_replacement_under_load_fail_no_query_and_answer_afterwards(tmp_path, corpus):
    """A server keeps answering through two `indexer add` runs over HTTP — a new township's Word
    file, then a PDF replacing an existing township — and answers with each afterwards."""
    import threading
    import urllib.parse
    import urllib.request

    from app_fixtures import served
    from search_app import create_app

    raw, index_dir = tmp_path / "raw", tmp_path / "index"
    raw.mkdir()
    shutil.copy(RAW / "000_dccf10dfffeb4fe9.txt", raw)
    assert add.main([str(RAW / "000_dccf10dfffeb4fe9.txt"), "--raw", str(raw), "--index-dir", str(index_dir)]) == 0
    app = create_app({"TESTING": True, "INDEX_DIR": str(index_dir)})
    app.extensions["tds.holder"].check_interval = 0.2
    app.extensions["tds.holder"].get()
    failures, answered, stop = [], [0], threading.Event()

    def client(base: str):
        while not stop.is_set():
            for q in ("低保", "山林着火了谁负责"):
                for path in ("/api/search?q=", "/api/owner?q="):
                    try:
                        with urllib.request.urlopen(base + path + urllib.parse.quote(q), timeout=30) as r:
                            assert r.status == 200
                            answered[0] += 1
                    except Exception as exc:  # any failed query fails the test
                        failures.append(repr(exc))

    with served(app) as base:
        threads = [threading.Thread(target=client, args=(base,), daemon=True) for _ in range(2)]
        for t in threads:
            t.start()
        try:
            new_file = tmp_path / "策勒乡.docx"
            write_docx(new_file, [d for d in corpus if d.township == "策勒乡"], "策勒县策勒乡履行职责事项清单",
                       cell_breaks=False)
            assert add.main([str(new_file), "--raw", str(raw), "--index-dir", str(index_dir)]) == 0
            towns = wait_for(base, lambda by_name: "策勒乡" in by_name)
            gamu = [d for d in corpus if d.township == "嘎木乡"]
            replacement = tmp_path / "嘎木乡.pdf"  # a replacement, as PDF, while the queries go on
            write_pdf(replacement, gamu[:-1], "索县嘎木乡履行职责事项清单", section_rows=False)
            assert add.main([str(replacement), "--raw", str(raw), "--index-dir", str(index_dir)]) == 0
            towns = wait_for(base, lambda by_name: by_name.get("嘎木乡") == len(gamu) - 1)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=60)
    assert not failures, failures[:3]
    assert answered[0] > 10
    assert towns == {"嘎木乡": len(gamu) - 1, "策勒乡": len([d for d in corpus if d.township == "策勒乡"])}
