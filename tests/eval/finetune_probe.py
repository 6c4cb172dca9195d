"""Would m3e-small fine-tuned on judged pairs tell listed from not-listed townships apart better?
And could a cross-encoder score an owner page in time? (issue 11; the figures in tests/eval/HISTORY.md, session 6)

    python tests/eval/finetune_probe.py              # 4 folds by question, about 8 min on 2 cores
    python tests/eval/finetune_probe.py --latency    # only the cross-encoder's time for one owner page

Fine-tuning, cross-validated over the TUNE half of the staff set (the test half is never read):
for each fold, m3e-small is trained on the judged pairs of the other folds and of
tests/eval/queries.jsonl — (question, an item judged >= 2, a hard negative from the question's
hybrid hits that nobody judged relevant), in-batch negatives that are judged relevant masked,
MultipleNegativesRanking-style loss, one epoch, seeded — and the held-out fold's townships get
cosine features from the fine-tuned model. Printed: the AUC (listed vs not listed) of the best
cosine under the base and the fine-tuned model, and of the owner model's logistic regression
(calibrate_owner.py) with and without the fine-tuned cosines, all on held-out predictions.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from calibrate_owner import collect, fit, probabilities  # noqa: E402
from staff_set import load_staff  # noqa: E402

FOLDS, SEED, SCALE, BATCH, LR, NEGATIVES_PER_QUESTION = 4, 13, 20.0, 32, 3e-5, 12


def base_model_dir() -> str:
    """The published m3e-small folder (Engine.open has already switched the hub off)."""
    from models.embedding import DEFAULT_MODEL, resolve_model
    return resolve_model(DEFAULT_MODEL)[1]


def judged_questions(engine, tune: list[dict]) -> list[dict]:
    """Each question with its graded items (every township) and the hybrid hits nobody judged."""
    out = []
    older = [json.loads(line) for line in open(ROOT / "tests/eval/queries.jsonl", encoding="utf-8") if line.strip()]
    for q in tune:
        graded = {i: g for j in q["owners"].values() for i, g in j.get("items", {}).items()}
        out.append({"query": q["query"], "graded": graded, "qid": q["qid"]})
    for q in older:
        out.append({"query": q["query"], "graded": q.get("relevant", {}), "qid": None})
    for q in out:
        hits = engine.search(q["query"], mode="hybrid", size=30)["hits"]
        q["negatives"] = [h["duty"]["id"] for h in hits if h["duty"]["id"] not in q["graded"]]
    return out


def triplets(questions: list[dict], rng: random.Random) -> list[tuple]:
    out = []
    for q in questions:
        positives = [i for i, g in q["graded"].items() if g >= 2]
        negatives = q["negatives"][:]
        rng.shuffle(positives)
        rng.shuffle(negatives)
        for k, p in enumerate(positives[:NEGATIVES_PER_QUESTION]):
            if negatives:
                out.append((q["query"], p, negatives[k % len(negatives)], frozenset(q["graded"])))
    return out


def train(trips: list[tuple], names: dict[str, str]):
    import torch
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(SEED)
    rng = random.Random(SEED)
    model = SentenceTransformer(base_model_dir(), device="cpu")
    model.max_seq_length = 64
    opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.01)
    steps = (len(trips) + BATCH - 1) // BATCH
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / (0.1 * steps)) * max(0.0, 1 - s / steps))
    model.train()

    def embed(texts):
        return torch.nn.functional.normalize(model(model.preprocess(texts))["sentence_embedding"], dim=-1)

    trips = trips[:]
    rng.shuffle(trips)
    for b in range(0, len(trips), BATCH):
        batch = trips[b:b + BATCH]
        ids = [t[1] for t in batch] + [t[2] for t in batch]
        logits = SCALE * embed([t[0] for t in batch]) @ embed([names[i] for i in ids]).T
        judged = torch.tensor([[j != r and ids[j] in batch[r][3] for j in range(len(ids))] for r in range(len(batch))])
        loss = torch.nn.functional.cross_entropy(logits.masked_fill(judged, -1e4), torch.arange(len(batch)))
        loss.backward()
        opt.step()
        sched.step()
        opt.zero_grad()
    model.eval()
    return model


def cosine_features(model, engine, pairs: list[tuple[str, str]], names_in_order: list[str]) -> np.ndarray:
    """Per (query, township): best cosine, how far it stands out, and its gap to the query's best township."""
    ranges = {t.township: (t.start, t.end) for t in engine.ranges}
    queries = sorted({q for q, _ in pairs})
    qv = dict(zip(queries, model.encode(queries, normalize_embeddings=True, batch_size=64)))
    items = model.encode(names_in_order, normalize_embeddings=True, batch_size=128)
    rows = []
    for q, town in pairs:
        start, end = ranges[town]
        c = items[start:end] @ qv[q]
        rows.append([float(c.max()), float((c.max() - c.mean()) / (c.std() or 1.0))])
    best: dict[str, float] = {}
    for (q, _), r in zip(pairs, rows):
        best[q] = max(best.get(q, -1.0), r[0])
    return np.array([r + [r[0] - best[q]] for (q, _), r in zip(pairs, rows)])


def finetune_report(engine) -> None:
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import GroupKFold

    from models.fields import embedding_text
    from models.duty import Duty

    tune = load_staff("tune")
    X, y, groups, _ = collect(engine, tune)
    pairs = [(q["query"], town) for q in tune for town in q["owners"]]
    records = [engine.records[p] for p in range(len(engine.records))]
    names_in_order = [embedding_text(Duty.from_dict(r)) for r in records]
    names = {r["id"]: n for r, n in zip(records, names_in_order)}
    questions = judged_questions(engine, tune)
    older = [q for q in questions if q["qid"] is None]
    qid_of_group = [q["qid"] for q in tune]
    new = np.zeros((len(y), 3))
    for fold, (train_idx, test_idx) in enumerate(GroupKFold(FOLDS).split(X, y, groups)):
        started = time.perf_counter()
        held = {qid_of_group[g] for g in set(groups[test_idx])}
        rng = random.Random(SEED + fold)
        trips = triplets(older + [q for q in questions if q["qid"] and q["qid"] not in held], rng)
        model = train(trips, names)
        new[test_idx] = cosine_features(model, engine, [pairs[i] for i in test_idx], names_in_order)
        print(f"fold {fold}: {len(trips)} triplets, {time.perf_counter() - started:.0f} s", flush=True)

    def held_out_auc(features):
        p = np.zeros(len(y))
        for train_idx, test_idx in GroupKFold(FOLDS).split(features, y, groups):
            w, b = fit(features[train_idx], y[train_idx])
            p[test_idx] = probabilities(features[test_idx], w, b)
        return roc_auc_score(y, p)

    print(f"tune pairs {len(y)}, {len(tune)} questions, {FOLDS} folds by question")
    print(f"best cosine AUC: base model {roc_auc_score(y, X[:, 0]):.3f}, fine-tuned (held out) {roc_auc_score(y, new[:, 0]):.3f}")
    print(f"owner model AUC (held out): owner features {held_out_auc(X):.3f}, "
          f"with the fine-tuned cosines added {held_out_auc(np.hstack([X, new])):.3f}")


def latency_report(engine, pairs_per_page: int = 45, rounds: int = 5) -> None:
    """A cross-encoder on m3e-small's BERT: time to score one owner page (9 townships x 5 candidates)."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.set_num_threads(2)
    tok = AutoTokenizer.from_pretrained(base_model_dir())
    model = AutoModelForSequenceClassification.from_pretrained(base_model_dir(), num_labels=1).eval()
    q = load_staff("tune")[0]["query"]
    hits = engine.search(q, mode="hybrid", size=pairs_per_page)["hits"]
    texts = [h["duty"]["name"] for h in hits][:pairs_per_page]
    enc = tok([q] * len(texts), texts, truncation=True, max_length=128, padding=True, return_tensors="pt")
    times = []
    with torch.no_grad():
        model(**enc)
        for _ in range(rounds):
            started = time.perf_counter()
            model(**enc)
            times.append((time.perf_counter() - started) * 1000)
    print(f"cross-encoder, {len(texts)} pairs of up to {enc['input_ids'].shape[1]} tokens: "
          f"p50 {statistics.median(times):.0f} ms over {rounds} rounds (owner budget: 30 ms a page)")


def main(argv=None) -> int:
    from search.engine import Engine

    parser = argparse.ArgumentParser()
    parser.add_argument("--index-dir", default=None)
    parser.add_argument("--latency", action="store_true", help="only the cross-encoder timing")
    args = parser.parse_args(argv)
    engine = Engine.open(args.index_dir)
    latency_report(engine)
    if not args.latency:
        finetune_report(engine)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
