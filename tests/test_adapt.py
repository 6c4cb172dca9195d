"""Training pairs for `python -m indexer adapt` (indexer/adapt.py): taken from the corpus only,
non-empty, deterministic for a seed, batched without repeats. Fast: no model, no training."""
import json
import random
import sys
from pathlib import Path

import numpy as np
import pytest

from indexer import adapt
from indexer.parse import parse_corpus
from models.fields import embedding_text

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "tests" / "eval"


@pytest.fixture(scope="module")
def duties():
    return parse_corpus(str(ROOT / "data" / "raw"))


@pytest.fixture(scope="module")
def pairs(duties):
    return adapt.duty_pairs(duties, adapt.Settings(seed=13))


def _eval_questions() -> set[str]:
    """Question texts of the judged sets this module must never train on (the staff set's tune
    half only: the test half is not opened outside its reports)."""
    texts = set()
    for name in ("queries.jsonl", "owner.jsonl"):
        with open(EVAL / name, encoding="utf-8") as f:
            texts |= {json.loads(line)["query"] for line in f if line.strip()}
    sys.path.insert(0, str(EVAL))
    try:
        from staff_set import load_staff
    finally:
        sys.path.remove(str(EVAL))
    texts |= {q["query"] for q in load_staff("tune")}
    return {t.strip() for t in texts if t.strip()}


def test_pairs_non_empty_and_well_formed(pairs):
    assert len(pairs) > 1000
    assert len({name for _, name in pairs}) > 300
    assert len(set(pairs)) == len(pairs)
    for anchor, name in pairs:
        assert anchor and name and anchor != name
        assert len(anchor) >= adapt.Settings().min_chars


def test_pairs_come_from_the_corpus(duties, pairs):
    """Every name is a record's embedded text and every anchor a piece of that name's duty texts."""
    texts_of: dict[str, str] = {}
    for duty in duties:
        name = embedding_text(duty)
        texts_of[name] = texts_of.get(name, "") + "\n" + adapt._NOISE.sub("", "\n".join(duty.duty_texts()))
    for anchor, name in pairs:
        assert name in texts_of
        assert anchor in texts_of[name], (anchor, name)


def test_no_pair_from_eval_files(pairs):
    questions = _eval_questions()
    assert len(questions) > 100
    # Anchors stand in for questions: none may be one. (A name may equal a question — a few
    # questions quote an item's name — but names are the corpus's own text, see the test above.)
    overlap = {anchor for anchor, _ in pairs} & questions
    assert not overlap, f"{len(overlap)} training anchors equal an eval question"
    source = (ROOT / "indexer" / "adapt.py").read_text(encoding="utf-8")
    assert "tests/eval" not in source.replace("Nothing here reads tests/eval", "")
    assert "staff" not in source.replace("staff describe", "")


def test_question_pairs_name_items_of_the_corpus(duties):
    from indexer.build import ASKED_FILE
    from models.fields import read_asked
    pairs = adapt.asked_pairs(duties, read_asked(ASKED_FILE))
    names = {embedding_text(d) for d in duties}
    assert len(pairs) > 3000 and all(name in names for _, name in pairs)
    assert pairs == sorted(set(pairs))
    assert not {q for q, _ in pairs} & _eval_questions()


def test_pairs_deterministic_for_a_seed(duties, pairs):
    assert adapt.duty_pairs(duties, adapt.Settings(seed=13)) == pairs
    other = adapt.duty_pairs(duties, adapt.Settings(seed=14))
    assert len(other) == len(pairs) and other != pairs  # the per-name sample moves with the seed


def test_boilerplate_sentences_dropped(pairs):
    anchors = [a for a, _ in pairs]
    assert "上级部门职责乡镇配合职责" not in anchors
    assert "提供业务指导" not in anchors


def test_sentences_split_numbered_items():
    text = "县农业农村局：1. 定期对农业机械进行安全检验； 2.负责农业机械事故认定 3、开展安全教育培训。履职保障：提供补助资金"
    assert adapt.sentences(text) == ["定期对农业机械进行安全检验", "负责农业机械事故认定", "开展安全教育培训", "提供补助资金"]
    assert adapt.sentences("12345工单办理") == ["12345工单办理"]
    assert adapt.sentences("（1）做好人口普查工作 （2）3年开展一次检查") == ["做好人口普查工作", "3年开展一次检查"]


def _char_vectors(texts):
    """A stand-in embedding: normalized character counts (no model)."""
    chars = sorted({c for t in texts for c in t})
    index = {c: i for i, c in enumerate(chars)}
    out = np.zeros((len(texts), len(chars)), dtype=np.float32)
    for row, text in enumerate(texts):
        for c in text:
            out[row, index[c]] += 1
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_batches_have_no_repeats_and_are_seeded(pairs, duties):
    groups = adapt.name_groups(duties, _char_vectors, 0.9)
    first = adapt.batches(pairs, 32, random.Random("batches:1"), groups)
    assert first == adapt.batches(pairs, 32, random.Random("batches:1"), groups)
    assert first != adapt.batches(pairs, 32, random.Random("batches:2"), groups)
    assert len(first) >= len(pairs) // 32 * 0.8
    seen = set()
    for batch in first:
        assert len(batch) == 32
        texts = [t for pair in batch for t in pair]
        assert len(set(texts)) == len(texts)
        names = [groups[name] for _, name in batch]
        assert len(set(names)) == len(names)
        seen.update(batch)
    assert len(seen) == sum(len(b) for b in first)  # each pair used at most once per epoch


def test_paraphrase_pairs_cross_township(duties):
    township_of: dict[str, set[str]] = {}
    for duty in duties:
        township_of.setdefault(embedding_text(duty), set()).add(duty.township)
    para = adapt.paraphrase_pairs(duties, _char_vectors, 0.9)
    assert para and para == sorted(set(para))
    for a, b in para:
        assert a != b and a in township_of and b in township_of


def test_importing_adapt_stays_light():
    import subprocess
    code = ("import sys, indexer.adapt; heavy = [m for m in ('flask', 'search_app', 'torch', "
            "'sentence_transformers') if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_models_of_one_architecture_average_to_their_mean(tmp_path):
    import torch
    from safetensors.torch import load_file, save_file
    folders = []
    for i, value in enumerate((1.0, 3.0)):
        folder = tmp_path / f"seed-{i}"
        folder.mkdir()
        (folder / "config.json").write_text("{}", encoding="utf-8")
        save_file({"w": torch.full((2, 2), value), "b": torch.tensor([value, -value])}, str(folder / "model.safetensors"))
        folders.append(folder)
    info = adapt.average_models(folders, tmp_path / "mean")
    mean = load_file(str(tmp_path / "mean" / "model.safetensors"))
    assert torch.equal(mean["w"], torch.full((2, 2), 2.0)) and torch.equal(mean["b"], torch.tensor([2.0, -2.0]))
    assert (tmp_path / "mean" / "config.json").exists() and info["weights_sha256"]
    with pytest.raises(ValueError, match="holds a model"):
        adapt.average_models(folders, tmp_path)  # the mean would replace the models it averages
    assert all((f / "model.safetensors").exists() for f in folders)
    save_file({"other": torch.zeros(1)}, str(folders[1] / "model.safetensors"))
    with pytest.raises(ValueError, match="one architecture"):
        adapt.average_models(folders, tmp_path / "bad")


def _hashed_char_vectors(texts):
    """A stand-in embedding with one fixed space for every call: characters hashed into 512 slots."""
    import zlib
    out = np.zeros((len(texts), 512), dtype=np.float32)
    for row, text in enumerate(texts):
        for c in text:
            out[row, zlib.crc32(c.encode()) % 512] += 1
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def test_hard_negatives_are_the_nearest_other_item_of_the_same_township(duties):
    from indexer.build import ASKED_FILE
    from models.fields import read_asked
    pairs = adapt.asked_pairs(duties, read_asked(ASKED_FILE))[:400]
    groups = adapt.name_groups(duties, _hashed_char_vectors, 0.9)
    triplets = adapt.with_hard_negatives(pairs, duties, _hashed_char_vectors, groups)
    assert len(triplets) == len(pairs)
    names_of: dict[str, set[str]] = {}
    for duty in duties:
        names_of.setdefault(duty.township, set()).add(embedding_text(duty))
    meant: dict[str, set[str]] = {}
    for q, name in pairs:
        meant.setdefault(q, set()).add(name)
    for q, positive, negative in triplets:
        town = min(t for t, names in names_of.items() if positive in names)
        assert negative in names_of[town] and negative not in meant[q]
        assert groups[negative] != groups[positive]
    # the nearest allowed name, checked by brute force for one triplet
    q, positive, negative = triplets[0]
    town = min(t for t, names in names_of.items() if positive in names)
    allowed = sorted(n for n in names_of[town] if n not in meant[q] and groups[n] != groups[positive])
    sims = _hashed_char_vectors(allowed) @ _hashed_char_vectors([q])[0]
    assert negative == allowed[int(np.argmax(sims))]
    assert len({n for _, _, n in triplets}) > 20  # not one catch-all name


def test_batches_keep_a_triplets_negative_apart_from_other_pairs():
    triplets = [(f"q{i}", f"name{i}", f"name{i + 1}") for i in range(200)]
    for batch in adapt.batches(triplets, 16, random.Random("batches:1")):
        texts = [t for row in batch for t in row]
        assert len(set(texts)) == len(texts)
