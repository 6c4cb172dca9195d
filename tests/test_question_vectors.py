"""The staff questions' vectors beside the names' (search/ann/questions.py): a record's cosine is the
best of its name's and its questions', the same through every call of the ANN contract, and the
top-k search is exact against scoring every record."""
from __future__ import annotations

import numpy as np
import pytest

from models.fields import name_key
from search.ann import faiss_index
from search.ann.questions import NO_SET, QuestionSets, WithQuestions, question_sets, read_sets, write_sets

DIM = 24


def _unit(rng, n):
    v = rng.standard_normal((n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def corpus():
    rng = np.random.default_rng(7)
    names = _unit(rng, 600)
    texts = [f"q{i}" for i in range(90)]
    table = dict(zip(texts, _unit(rng, len(texts))))
    # 30 sets of three questions; every fourth record has none; records share sets
    held = [() if i % 4 == 3 else tuple(texts[3 * (i % 30) + j] for j in range(3)) for i in range(600)]
    sets = question_sets(held, lambda batch: np.stack([table[t] for t in batch]))
    return names, sets


def _brute(names, sets, v):
    scores = sets.set_scores(v)
    return np.maximum(names @ v, sets.record_scores(scores, np.arange(len(names))))


def _brute_top(scores, k, allowed=None):
    positions = np.arange(len(scores)) if allowed is None else np.flatnonzero(allowed)
    order = np.lexsort((positions, -scores[positions]))[:k]
    return positions[order]


def test_sets_are_shared_and_records_without_questions_have_none(corpus):
    _, sets = corpus
    assert sets.count == 30 and len(sets.vectors) == 90
    assert (sets.record_set[3::4] == NO_SET).all() and (sets.record_set[:3] >= 0).all()
    assert sets.record_set[0] == sets.record_set[30]
    members = sets.members(np.array([sets.record_set[0]]))
    assert members.tolist() == [p for p in range(600) if sets.record_set[p] == sets.record_set[0]]


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
@pytest.mark.parametrize("whole_up_to", [50_000, 300, 0])  # every record scored; a filter's few; the walk
def test_search_is_the_best_of_name_and_questions(corpus, kind, whole_up_to, monkeypatch):
    from search.ann import questions
    monkeypatch.setattr(questions, "WHOLE_UP_TO", whole_up_to)
    names, sets = corpus
    index = WithQuestions(faiss_index.SemanticIndex(faiss_index.build_index(names, kind)), sets)
    rng = np.random.default_rng(3)
    allowed = np.zeros(600, dtype=bool)
    allowed[100:220] = True
    for v in _unit(rng, 20):
        full = _brute(names, sets, v)
        for k, mask in ((10, None), (50, None), (10, allowed), (200, allowed)):
            positions, scores = index.search(v, k, mask)
            expected = _brute_top(full, k, mask)
            if kind == "flat":  # exact
                assert positions.tolist() == expected.tolist()
            else:  # HNSW's name side is approximate: most of the top k
                assert len(set(positions.tolist()) & set(expected.tolist())) >= 0.8 * len(expected)
            assert np.allclose(scores, full[positions], atol=1e-5)
            assert mask is None or mask[positions].all()


def test_a_question_lifts_a_record_the_name_leaves_out(corpus):
    names, sets = corpus
    index = WithQuestions(faiss_index.SemanticIndex(faiss_index.build_index(names, "flat")), sets)
    target = sets.vectors[sets.starts[5]]  # a question of set 5, asked word for word
    positions, scores = index.search(target, 5)
    plain, _ = faiss_index.SemanticIndex(faiss_index.build_index(names, "flat")).search(target, 5)
    holders = set(np.flatnonzero(sets.record_set == 5).tolist())
    assert scores[0] == pytest.approx(1.0, abs=1e-3) and positions[0] in holders
    assert not holders & set(plain.tolist())


def test_range_calls_agree_with_search(corpus):
    names, sets = corpus
    index = WithQuestions(faiss_index.SemanticIndex(faiss_index.build_index(names, "flat")), sets)
    v = _unit(np.random.default_rng(11), 1)[0]
    full = _brute(names, sets, v)
    (cos,) = index.range_cosines(v, [(40, 90)])
    assert np.allclose(cos, full[40:90], atol=1e-6)
    positions, scores = index.search_range(v, 7, 40, 90)
    assert positions.tolist() == (40 + _brute_top(full[40:90], 7)).tolist()
    # the name vectors pass through for item-to-item cosines
    assert np.array_equal(index.vectors_at(np.array([3, 9])), names[[3, 9]])


def test_round_trip_keeps_the_scores(corpus, tmp_path):
    _, sets = corpus
    write_sets(sets, tmp_path)
    again = read_sets(tmp_path)
    v = _unit(np.random.default_rng(5), 1)[0]
    assert np.array_equal(again.record_set, sets.record_set) and np.array_equal(again.starts, sets.starts)
    assert np.array_equal(again.set_scores(v), sets.set_scores(v))  # float16-rounded when built
    assert read_sets(tmp_path / "none") is None


def test_no_questions_at_all():
    sets = question_sets([(), ()], lambda batch: pytest.fail("nothing to embed"))
    assert sets.count == 0 and sets.set_scores(np.ones(DIM, dtype=np.float32)).shape == (0,)
    assert isinstance(QuestionSets.from_bytes(sets.to_bytes()), QuestionSets)


# ----- on the built corpus, with the real model

@pytest.fixture(scope="module")
def built(app_index_dir):
    import copy

    from search.engine import Engine
    engine = Engine.open(app_index_dir)
    plain = copy.copy(engine)  # the same index, scored by the names alone
    plain.config = engine.config.with_(question_vectors=0)
    yield engine, plain
    engine.close()


def test_the_build_holds_every_records_questions(app_index_dir, built):
    import json

    engine, _ = built
    meta = json.loads((app_index_dir / "current" / "meta.json").read_text(encoding="utf-8"))
    sets = read_sets(app_index_dir / "current")
    assert len(sets.record_set) == meta["records"] and (sets.record_set >= 0).all()
    assert meta["asked"]["sets"] == sets.count and meta["asked"]["vectors"] == len(sets.vectors)
    # records with the same name share one set, and its rows are that name's questions, embedded
    pos = 17
    key = name_key(engine.records[pos]["name"])
    s = sets.record_set[pos]
    rows = sets.vectors[sets.starts[s]:sets.starts[s + 1]]
    expected = engine.embedder.encode(list(engine.questions[key]))
    # (the int8 model's numbers move a little with the batch it is encoded in)
    assert (np.sum(rows * expected, axis=1) > 0.98).all()
    assert engine.health()["question_vectors"] == len(sets.vectors) > 1000
    assert built[1].health()["question_vectors"] == 0


def test_a_staff_question_finds_its_item_by_meaning(built):
    """Asked word for word, an item's own staff question brings the item up in semantic search
    more often than the name vectors alone do; never less."""
    engine, plain = built
    names = sorted(engine.questions)[::40]
    ranks = {"with": [], "without": []}
    for key in names:
        question = engine.questions[key][1]  # the situation told as it happened
        for label, e in (("with", engine), ("without", plain)):
            hits = e.search(question, mode="semantic", size=10)["hits"]
            keys = [h["duty"]["name"] for h in hits]
            ranks[label].append(any(name_key(n) == key for n in keys))
    assert sum(ranks["with"]) > sum(ranks["without"]), ranks
    assert sum(ranks["with"]) >= 0.8 * len(names), ranks


def test_a_cluster_build_document_carries_the_sets_and_a_bad_one_is_a_clear_error(corpus):
    import base64

    from search.elastic.cluster import ClusterBuild
    from search.errors import IndexNotReady
    _, sets = corpus
    held = ClusterBuild(None, "duties-x", {}, {}, [], base64.b64encode(sets.to_bytes()).decode("ascii"))
    assert np.array_equal(held.question_sets().record_set, sets.record_set)
    assert ClusterBuild(None, "duties-x", {}, {}, []).question_sets() is None  # written before them
    with pytest.raises(IndexNotReady, match="unreadable staff questions in duties-x"):
        ClusterBuild(None, "duties-x", {}, {}, [], base64.b64encode(b"not a zip").decode("ascii")).question_sets()


def test_the_best_question_is_the_closest_of_every_set_with_the_margin_put_back(corpus):
    names, sets = corpus
    index = WithQuestions(faiss_index.SemanticIndex(faiss_index.build_index(names, "flat")), sets, margin=0.05)
    v = _unit(np.random.default_rng(11), 1)[0]
    assert abs(index.best_question(v) - float((sets.vectors @ v).max())) < 1e-5
    index.search(v, 5)  # the set scores of v, computed once, serve both
    assert abs(index.best_question(v) - float((sets.vectors @ v).max())) < 1e-5
