"""The relevance set itself (tests/eval/): well-formed, large enough, and every judged id is a
record the parser produces today. Fast; needs no index and no model."""
import json
from pathlib import Path

import pytest

from indexer.parse import parse_corpus
from models.duty import LIST_TYPES

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "tests" / "eval"
FILTER_KEYS = {"province", "prefecture", "county", "township", "list_type", "category", "department"}
OWNER_STATUSES = set(LIST_TYPES) | {"not_listed"}


def _jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.fixture(scope="module")
def corpus():
    return {d.id: d for d in parse_corpus(str(ROOT / "data" / "raw"))}


@pytest.fixture(scope="module")
def queries():
    return _jsonl(EVAL / "queries.jsonl")


@pytest.fixture(scope="module")
def owner_cases():
    return _jsonl(EVAL / "owner.jsonl")


def test_enough_queries(queries):
    listed = [q for q in queries if not q.get("not_listed")]
    assert len(queries) >= 60
    assert len(listed) >= 60
    assert sum(1 for q in queries if q.get("not_listed")) >= 8


def test_query_records_are_well_formed(queries):
    qids = [q["qid"] for q in queries]
    assert len(qids) == len(set(qids)), "duplicate qid"
    texts = [(q["query"], json.dumps(q.get("filters") or {}, sort_keys=True)) for q in queries]
    assert len(texts) == len(set(texts)), "duplicate query text with the same filters"
    for q in queries:
        assert q["query"].strip(), q["qid"]
        assert isinstance(q.get("note", ""), str)
        assert set(q.get("filters") or {}) <= FILTER_KEYS, q["qid"]
        assert all(g in (1, 2, 3) for g in q["relevant"].values()), q["qid"]


def test_listed_queries_have_an_answer_and_unlisted_none(queries):
    for q in queries:
        if q.get("not_listed"):
            assert q["relevant"] == {}, q["qid"]
        else:
            assert max(q["relevant"].values()) >= 2, f"{q['qid']} has no record that answers it"


def test_every_judged_id_exists(queries, corpus):
    missing = {(q["qid"], i) for q in queries for i in q["relevant"] if i not in corpus}
    assert not missing, f"ids not produced by the parser: {sorted(missing)[:10]}"


def test_judged_records_satisfy_the_query_filters(queries, corpus):
    for q in queries:
        for key, value in (q.get("filters") or {}).items():
            if key == "department":
                continue
            for i in q["relevant"]:
                assert getattr(corpus[i], key) == value, (q["qid"], i, key)


def test_judgments_span_townships_and_list_types(queries, corpus):
    judged = {i for q in queries for i in q["relevant"]}
    # written for the eight townships indexed then; the staff set (staff_questions.jsonl) covers all nine
    assert len({corpus[i].township for i in judged}) >= 8
    assert {corpus[i].list_type for i in judged} == set(LIST_TYPES)


def test_owner_cases(owner_cases, corpus):
    assert len(owner_cases) >= 30
    townships = {d.township for d in corpus.values()}
    oids = [c["oid"] for c in owner_cases]
    assert len(oids) == len(set(oids))
    assert sum(c["status"] == "not_listed" for c in owner_cases) >= 5
    for c in owner_cases:
        assert c["township"] in townships, c["oid"]
        assert c["status"] in OWNER_STATUSES, c["oid"]
        if c["status"] == "not_listed":
            assert c["duty_ids"] == [], c["oid"]
            continue
        assert c["duty_ids"], c["oid"]
        for i in c["duty_ids"]:
            d = corpus[i]
            assert d.township == c["township"] and d.list_type == c["status"], (c["oid"], i)


def test_second_judge_is_tune_half_and_well_formed(corpus):
    import sys
    sys.path.insert(0, str(EVAL))
    from agreement import figures, load_second
    from staff_set import half_of, load_staff

    second = load_second()
    first = {q["qid"]: q for q in load_staff("tune")}
    assert len(second) >= 100
    assert len({(p["qid"], p["township"]) for p in second}) == len(second)
    for p in second:
        assert half_of(p["qid"]) == "tune", p["qid"]  # the test half is never judged twice to tune on
        assert p["township"] in first[p["qid"]]["owners"] and p["query"] == first[p["qid"]]["query"]
        assert p["status"] in ("listed", "not_listed")
        assert bool(p["items"]) == (p["status"] == "listed"), p
        assert all(i in corpus and corpus[i].township == p["township"] for i in p["items"]), p
    assert 0.0 <= figures(second)["kappa"] <= 1.0


def test_whose_work_set_is_well_formed_and_split_once():
    import sys
    sys.path.insert(0, str(EVAL))
    from whose_work import FILES, FRESH, HALVES, SEEN, half_of, load

    seen = set()
    for kind in FILES:
        rows = load(kind)
        assert len(rows) >= (50 if kind in SEEN else 140 if kind in FRESH else 150 if kind == "naming" else 400), kind
        assert all(label and question for label, question in rows), kind
        assert {half_of(q) for _, q in rows} == set(HALVES)
        assert load(kind, "tune") + load(kind, "test") != [] and len(load(kind, "tune")) + len(load(kind, "test")) == len(rows)
        questions = {q for _, q in rows}
        assert len(questions) == len(rows) and not questions & seen, kind  # no question twice, nor in both files
        seen |= questions
    assert len({label for label, _ in load("other")}) >= 40
    # the fresh set's other work is labelled with authorities.txt's authorities, as they are spelled
    from models.segment import Segmenter
    authorities = set(Segmenter.from_dir().authorities.terms.values())
    labels = {label for label, _ in load("other_fresh")}
    assert len(labels) >= 70 and labels <= authorities, labels - authorities


def test_whose_work_misses_refuse_the_test_half():
    import sys
    sys.path.insert(0, str(EVAL))
    from whose_work import print_misses
    with pytest.raises(SystemExit):
        print_misses(None, "test")


def test_like_examples_set_is_well_formed_and_split_once():
    import sys
    sys.path.insert(0, str(EVAL))
    from collections import Counter

    from like_examples import CLASSES, HALVES, half_of, load

    rows = load()
    questions = [q for _, q in rows]
    assert len(rows) >= 110 and len(set(questions)) == len(rows)
    kinds = Counter(kind for kind, _ in rows)
    assert set(kinds) == set(CLASSES) and min(kinds.values()) >= 20
    assert {half_of(q) for q in questions} == set(HALVES)
    assert len(load(half="tune")) + len(load(half="test")) == len(rows)
    # new wordings, not the examples themselves: no four characters in a row from one
    seeds = ("养的牛得了病", "污水排到河里", "赡养老人纠纷", "新冠疫苗", "林地被占了")
    assert not [q for q in questions for s in seeds for i in range(len(s) - 3) if s[i:i + 4] in q]


def test_like_examples_misses_refuse_the_test_half():
    import sys
    sys.path.insert(0, str(EVAL))
    from like_examples import main
    with pytest.raises(SystemExit, match="test half"):
        main(["--misses", "test"])


@pytest.mark.parametrize("name, least", [("staff", 240), ("staff2", 88), ("staff3", 85)])
def test_staff_sets_are_judged_per_township_and_split_once(corpus, name, least):
    """Each staff set: every question judged for all nine townships (or only the one it names),
    each judged item a record of that township graded 1–3, a township listed exactly when one of
    its items is graded ≥ 2; both halves hold questions, and no qid or question is in both sets."""
    import sys
    sys.path.insert(0, str(EVAL))
    from staff_set import HALVES, SETS, half_of, load_staff

    questions = load_staff(folder=SETS[name])
    towns = {d.township for d in corpus.values()}
    assert len(questions) >= least and len({q["qid"] for q in questions}) == len(questions)
    for q in questions:
        assert q["half"] == half_of(q["qid"])
        assert set(q["owners"]) == ({q["township"]} if q["township"] else towns), q["qid"]
        for town, judgment in q["owners"].items():
            items = judgment["items"]
            assert all(i in corpus and corpus[i].township == town and g in (1, 2, 3) for i, g in items.items()), (q["qid"], town)
            assert (judgment["status"] == "listed") == any(g >= 2 for g in items.values()), (q["qid"], town)
    assert {q["half"] for q in questions} == set(HALVES)
    others = [q for other in SETS if other != name for q in load_staff(folder=SETS[other])]
    assert not {q["qid"] for q in questions} & {q["qid"] for q in others}
    assert not {q["query"] for q in questions} & {q["query"] for q in others}


def test_held_region_judgments_are_tune_half_and_well_formed(corpus):
    """held_region.jsonl (session 25): township-work and like_examples answers judged per township,
    and staff pairs judged a second time — all tune-half questions, every item a record of the
    township judged, listed exactly when an item is graded 2 or more."""
    import sys
    sys.path.insert(0, str(EVAL))
    import like_examples
    from evaluate import load_sets
    from whose_work import HELD_REGION
    from staff_set import SETS, load_staff
    from whose_work import load

    rows = _jsonl(HELD_REGION)
    assert {r["kind"] for r in rows} == {"township_work", "second_judge", "adjudicated"}
    seconds = {(r["township"], r["query"]) for r in rows if r["kind"] == "second_judge"}
    assert {(r["township"], r["query"]) for r in rows if r["kind"] == "adjudicated"} <= seconds
    assert len({(r["kind"], r["township"], r["query"]) for r in rows}) == len(rows)
    work = {q for kind in ("township", "naming", "lookalike", "naming_fresh") for _, q in load(kind, "tune")}
    work |= {q for _, q in like_examples.load("tune")}
    staff = {q["query"]: set(q["owners"]) for folder in SETS.values() for q in load_staff("tune", folder)}
    older = {q["query"] for q in load_sets()[0]}
    townships = {d.township for d in corpus.values()}
    for r in rows:
        if r["kind"] == "township_work":
            assert r["query"] in work, r["query"]
        else:
            assert r["township"] in staff.get(r["query"], townships if r["query"] in older else ()), r
        assert r["township"] in townships and r["status"] in ("listed", "not_listed"), r
        assert (r["status"] == "listed") == any(g >= 2 for g in r["items"].values()), r
        assert all(i in corpus and corpus[i].township == r["township"] and g in (1, 2, 3)
                   for i, g in r["items"].items()), r
    assert sum(r["kind"] == "township_work" for r in rows) >= 300 and sum(r["kind"] == "second_judge" for r in rows) >= 80


def test_held_cuts_counts_township_work_judged_per_township_as_judged():
    import sys
    sys.path.insert(0, str(EVAL))
    from held_cuts import precision, ruled

    def row(group, query, right=False, p=0.05):
        return {"group": group, "right": right, "p": p, "lead": 0.99, "township": "甲乡", "query": query}

    rows = [row("township", "q1"), row("township", "q2"), row("township", "q3"), row("like", "q4"),
            row("judged", "q5", right=True), row("judged", "q6", right=True, p=0.5)]
    work = {("甲乡", "q1"): "not_listed", ("甲乡", "q2"): "listed"}
    counts = ruled(rows, 0.97, 0.1, work)
    assert (counts["work right"], counts["work wrong"], counts["township work"], counts["like wrong"],
            counts["judged right"]) == (1, 1, 1, 1, 1)
    assert precision(counts) == 2 / 4  # the unjudged township work is a bound, not counted
    assert ruled(rows, 0.97, 0.1)["township work"] == 3


def test_outside_judged_is_township_work_judged_per_township(corpus):
    """outside_judged.jsonl (session 25): 清单之外 answers on township-work and like_examples
    questions, each judged against the township's list; whose_work.py and like_examples.py count
    them. Every item is a record of that township; listed exactly when one is graded 2 or more."""
    import sys
    sys.path.insert(0, str(EVAL))
    import like_examples
    from whose_work import HELD_REGION, OUTSIDE_JUDGED, TOWNSHIP_KINDS, load, township_judgments

    rows = _jsonl(OUTSIDE_JUDGED)
    questions = {q for kind in TOWNSHIP_KINDS for _, q in load(kind)} | {q for _, q in like_examples.load()}
    townships = {d.township for d in corpus.values()}
    assert len(rows) >= 300 and {r["kind"] for r in rows} == {"township_work"}
    assert len({(r["township"], r["query"]) for r in rows}) == len(rows)
    for r in rows:
        assert r["query"] in questions and r["township"] in townships and r["status"] in ("listed", "not_listed"), r
        assert (r["status"] == "listed") == any(g >= 2 for g in r["items"].values()), r
        assert all(i in corpus and corpus[i].township == r["township"] for i in r["items"]), r
    judged = township_judgments()
    assert len(judged) == len(rows) + sum(r["kind"] == "township_work" for r in _jsonl(HELD_REGION))


def test_strict_judgments_are_township_work_answers_and_well_formed(corpus):
    """outside_strict.jsonl (session 26): whose_work's township-work 清单之外 answers judged to the
    staff sets' standard, every item a record of the township, listed exactly when one is graded ≥ 2."""
    import sys
    sys.path.insert(0, str(EVAL))
    from whose_work import OUTSIDE_STRICT, TOWNSHIP_KINDS, load, township_judgments

    rows = _jsonl(OUTSIDE_STRICT)
    questions = {q for kind in TOWNSHIP_KINDS for _, q in load(kind)}
    assert len(rows) >= 300 and {r["kind"] for r in rows} == {"township_work"}
    assert len({(r["township"], r["query"]) for r in rows}) == len(rows)
    for r in rows:
        assert r["query"] in questions and r["status"] in ("listed", "not_listed"), r
        assert (r["status"] == "listed") == any(g >= 2 for g in r["items"].values()), r
        assert all(i in corpus and corpus[i].township == r["township"] and g in (1, 2, 3) for i, g in r["items"].items()), r
    assert len(township_judgments((OUTSIDE_STRICT,))) == len(rows)


def test_whose_work_counts_the_strictly_judged_outside_answers():
    import sys
    sys.path.insert(0, str(EVAL))
    from whose_work import judged_strictly

    rows = [{"question": "q1", "outside": [("甲乡", "authority"), ("乙乡", "held")]},
            {"question": "q2", "outside": [("甲乡", "authority")]}]
    got = judged_strictly(rows, {("甲乡", "q1"): "not_listed", ("乙乡", "q1"): "listed", ("甲乡", "q2"): "not_listed"})
    assert got == {"township work: judged strictly": 3, "township work: strictly, truly not listed": 2 / 3}


def test_held_cuts_compares_each_judge_with_the_first_given():
    import sys
    sys.path.insert(0, str(EVAL))
    from held_cuts import adjudicated, second_judge_agreement, second_judgments

    second, third = second_judgments(), second_judgments(kind="adjudicated")
    all_listed = dict.fromkeys([*second, *third], "listed")
    listed = sum(s == "listed" for s in second.values())
    assert second_judge_agreement(all_listed) == (listed, 0, 0, len(second) - listed)
    assert adjudicated(all_listed) == (sum(s == "listed" for s in third.values()), sum(s != "listed" for s in third.values()))
    assert 0 < listed < len(second)


def test_whose_work_counts_the_judged_outside_answers():
    import sys
    sys.path.insert(0, str(EVAL))
    from whose_work import judged_outside

    rows = [{"question": "q1", "outside": [("甲乡", "authority"), ("乙乡", "held")]},
            {"question": "q2", "outside": [("甲乡", "authority")]}]
    got = judged_outside(rows, {("甲乡", "q1"): "not_listed", ("乙乡", "q1"): "listed"})
    assert got == {"township work: 清单之外 answers": 3, "township work: of them judged per township": 2,
                   "township work: judged truly not listed": 0.5,
                   "  by the authority rule: judged": 1, "  by the authority rule: truly not listed": 1,
                   "  by the held rule: judged": 1, "  by the held rule: truly not listed": 0}
