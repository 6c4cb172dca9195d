"""The `asked` keyword field: how staff ask for each item's task (data/dict/asked.tsv)."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from indexer.build import ASKED_FILE
from models.fields import KEYWORD_FIELDS, name_key, read_asked
from search import store
from search.engine import Engine


@pytest.fixture(scope="module")
def engine(app_index_dir):
    engine = Engine.open(app_index_dir)
    yield engine
    engine.close()


def test_read_asked_keys_names_without_marks(tmp_path):
    path = tmp_path / "asked.tsv"
    path.write_text("# comment\n★对乱堆垃圾的处罚\t门口堆了一堆垃圾\n对乱堆垃圾的处罚 \t垃圾谁来清\n\n", encoding="utf-8")
    assert read_asked(path) == {"对乱堆垃圾的处罚": ("门口堆了一堆垃圾", "垃圾谁来清")}


def test_read_asked_names_the_bad_line(tmp_path):
    path = tmp_path / "asked.tsv"
    path.write_text("甲\t问一\n乙没有问题\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"asked.tsv:2: expected name<TAB>question"):
        read_asked(path)


def test_a_missing_file_asks_nothing(tmp_path):
    assert read_asked(tmp_path / "none.tsv") == {}


def test_every_asked_name_is_an_item_and_every_item_is_asked(engine):
    asked = read_asked(ASKED_FILE)
    names = {name_key(engine.records[pos]["name"]) for pos in range(len(engine.records))}
    assert set(asked) == names
    assert min(len(v) for v in asked.values()) >= 2


def test_the_asked_field_is_indexed_and_searched(app_index_dir, engine):
    """A word found in one item's questions and in no other text of the corpus finds that item."""
    tokens = store.read_tokens(app_index_dir / "current" / store.DB_NAME)
    assert "asked" in KEYWORD_FIELDS and all("asked" in t for t in tokens)
    df = Counter(w for t in tokens for w in set(" ".join(t.values()).split()))
    only_asked = [(pos, w) for pos, t in enumerate(tokens) for w in set(t["asked"].split())
                  if df[w] == 1 and len(w) >= 2 and w not in " ".join(t[f] for f in KEYWORD_FIELDS if f != "asked")]
    assert len(only_asked) > 100
    for pos, word in sorted(only_asked)[::max(1, len(only_asked) // 20)]:
        hits = engine.search(word, mode="keyword", size=1)["hits"]
        assert hits and hits[0]["duty"]["id"] == engine.records[pos]["id"], word


def test_a_staff_word_beside_a_word_nobody_knows_finds_nothing(app_index_dir, engine):
    """A question whose only word in common with the index is in staff wording, beside a word the
    index has never seen (火星移民), finds nothing in every mode, as a question sharing no word does;
    the staff word alone is understood."""
    tokens = store.read_tokens(app_index_dir / "current" / store.DB_NAME)
    listed = {w for t in tokens for f in KEYWORD_FIELDS if f != "asked" for w in t[f].split()}
    staff = sorted({w for t in tokens for w in t["asked"].split()} - listed)
    word = next(w for w in staff if len(w) >= 2 and engine.search(w, mode="keyword")["total"] > 0)
    assert engine.search(word, mode="hybrid")["total"] > 0, word
    nonsense = f"犇羴鱻{word}"
    for mode in ("keyword", "semantic", "hybrid"):
        assert engine.search(nonsense, mode=mode)["total"] == 0, (nonsense, mode)
    assert engine.owner(nonsense)["nothing_close"]


def test_a_staff_word_only_inside_a_longer_one_is_not_known(app_index_dir, engine):
    """A token of the field that no question writes as a word of its own (火星 of 火星子) is listed
    in asked_parts.txt and is not known, while a word staff wording holds whole is
    (Engine.staff_words_only: 火星移民, tests/test_owner_examples.py)."""
    from models.segment import ASKED_PARTS, read_word_list
    parts = read_word_list(app_index_dir / "current" / "dict" / ASKED_PARTS)
    written = {w for qs in read_asked(ASKED_FILE).values() for q in qs for w in engine.segmenter.words_of(q)}
    assert parts and not set(parts) & written
    tokens = store.read_tokens(app_index_dir / "current" / store.DB_NAME)
    listed = {w for t in tokens for f in KEYWORD_FIELDS if f != "asked" for w in t[f].split()}
    part = next(w for w in parts if len(w) >= 2 and w not in listed)
    whole = next(w for w in sorted(written - listed - set(parts)) if len(w) >= 2)
    assert not engine.segmenter.all_known([part, whole]) and engine.segmenter.all_known([whole])


class _Named:
    def __init__(self, name: str):
        self.name = name


def test_a_name_without_questions_takes_the_closest_named_records():
    from indexer.asked import record_questions
    duties = [_Named("残疾人证管理"), _Named("★残疾人证办理"), _Named("森林防火"), _Named("火星移民")]
    vectors = np.array([[1.0, 0.0, 0.0], [0.95, 0.312, 0.0], [0.0, 1.0, 0.0], [0.6, 0.0, 0.8]], dtype=np.float32)
    asked = {"残疾人证管理": ("残疾证怎么办",), "森林防火": ("山上着火了",)}
    questions, carried = record_questions(duties, vectors, asked, min_cosine=0.9)
    assert questions == [("残疾证怎么办",), ("残疾证怎么办",), ("山上着火了",), ()]
    assert carried == 1
    assert record_questions(duties, vectors, asked, min_cosine=0.99)[0][1] == ()
    assert record_questions(duties, vectors, {}, min_cosine=0.5) == ([(), (), (), ()], 0)


def test_the_build_says_how_many_records_have_questions(app_index_dir):
    import json
    meta = json.loads((app_index_dir / "current" / "meta.json").read_text(encoding="utf-8"))
    assert meta["asked"]["records"] == meta["records"] and meta["asked"]["carried"] == 0


@pytest.mark.parametrize("flag, bad_line, expected, missing", [
    ("--asked", "森林草原防火 山上冒烟", "expected name<TAB>question", "no questions file"),
    ("--other-work", "人民法院 立案", "expected authority<TAB>question", "no other-work questions file"),
])
def test_a_bad_questions_file_fails_the_build_and_changes_nothing(tmp_path, capsys, flag, bad_line, expected, missing):
    from indexer import build
    index_dir = tmp_path / "index"
    bad = tmp_path / "questions.tsv"
    bad.write_text(f"# questions\n森林草原防火\t山上着火了\n{bad_line}\n", encoding="utf-8")
    rc = build.main(["--index-dir", str(index_dir), flag, str(bad), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 1 and f"{bad}:3: {expected}" in err and "unchanged" in err
    assert not (index_dir / "current").exists()
    assert build.main(["--index-dir", str(index_dir), flag, str(tmp_path / "none.tsv")]) == 1
    assert missing in capsys.readouterr().err


def test_the_build_embeds_the_questions_about_other_authorities_work(app_index_dir):
    import json

    from search.ann.examples import read_examples, read_examples_file
    from indexer.build import OTHER_WORK_FILE
    build_dir = (app_index_dir / "current").resolve()
    meta = json.loads((build_dir / "meta.json").read_text(encoding="utf-8"))
    rows = read_examples_file(OTHER_WORK_FILE)
    examples = read_examples(build_dir)
    assert meta["other_work"]["questions"] == len(rows) == len(examples) > 500
    assert set(examples.authorities) == {a for a, _ in rows}
    assert abs(float((examples.vectors ** 2).sum(axis=1).mean()) - 1.0) < 1e-2


def test_the_cluster_build_document_carries_the_other_work_questions_and_a_bad_one_is_a_clear_error(app_index_dir):
    import json

    from indexer.es_index import build_document
    from search.ann.examples import read_examples
    from search.elastic.cluster import ClusterBuild
    from search.errors import IndexNotReady
    build_dir = (app_index_dir / "current").resolve()
    doc = build_document(json.loads((build_dir / "meta.json").read_text(encoding="utf-8")), build_dir, [])
    held = ClusterBuild(None, "duties-x", {}, {}, [], None, doc["other_work"]).work_examples()
    local = read_examples(build_dir)
    assert held.authorities == local.authorities and np.array_equal(held.vectors, local.vectors)
    assert ClusterBuild(None, "duties-x", {}, {}, []).work_examples() is None  # written before them
    with pytest.raises(IndexNotReady, match="unreadable other-work questions in duties-x"):
        ClusterBuild(None, "duties-x", {}, {}, [], None, "bm90IGEgemlw").work_examples()


def test_search_shows_the_staff_question_that_matched_on_the_page_and_in_the_json(app_index_dir, client):
    """An item found through how staff ask for it says so: highlights.asked in the JSON, 常见问法 on
    the page, the same marked question in both; an item found through its own words has none."""
    tokens = store.read_tokens(app_index_dir / "current" / store.DB_NAME)
    df = Counter(w for t in tokens for w in set(" ".join(t.values()).split()))
    word = next(w for t in tokens for w in sorted(set(t["asked"].split()))
                if df[w] == 1 and len(w) >= 2 and w not in " ".join(t[f] for f in KEYWORD_FIELDS if f != "asked"))
    hit = client.get("/api/search", query_string={"q": word, "mode": "keyword"}).get_json()["hits"][0]
    assert f"<mark>{word}</mark>" in hit["highlights"]["asked"]
    page = client.get("/", query_string={"q": word, "mode": "keyword"}).get_data(as_text=True)
    assert "常见问法" in page and hit["highlights"]["asked"] in page
    plain = client.get("/api/search", query_string={"q": "森林草原防火", "mode": "keyword"}).get_json()["hits"][0]
    assert "<mark>" in plain["highlights"]["name"] and set(plain["highlights"]) >= {"asked"}


def _judged_questions() -> set[str]:
    """Every question of tests/eval, read by the eval scripts' own loaders."""
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parent / "eval"))
    from agreement import load_second
    from evaluate import load_sets
    from staff_set import SETS, load_staff
    from whose_work import FILES, load

    import like_examples
    queries, owner_cases = load_sets()
    rows = [*(q for folder in SETS.values() for q in load_staff(folder=folder)), *queries, *owner_cases, *load_second()]
    return ({r["query"].strip() for r in rows} | {q for kind in FILES for _, q in load(kind)}
            | {q for _, q in like_examples.load()})


def test_no_staff_question_copies_a_judged_question():
    """The questions (asked.tsv's and other_work.tsv's) are written for the items and the other
    authorities, not from the judged sets: none is a judged
    question, or shares half its character trigrams with one — else the relevance figures would
    measure recall of a copy (session 18 took 46 such out, written by chance: 低保怎么申请)."""
    def grams(text):
        return {text[i:i + 3] for i in range(len(text) - 2)}

    judged = [(q, grams(q)) for q in _judged_questions()]
    assert len(judged) > 1500
    close = []
    from indexer.build import OTHER_WORK_FILE
    from search.ann.examples import read_examples_file
    written = {q for qs in read_asked(ASKED_FILE).values() for q in qs} | {q for _, q in read_examples_file(OTHER_WORK_FILE)}
    for question in written:
        g = grams(question)
        for q, gq in judged:
            if question == q or (len(g) >= 4 and len(gq) >= 4 and len(g & gq) / len(g | gq) >= 0.5):
                close.append((question, q))
    assert not close, close[:10]
