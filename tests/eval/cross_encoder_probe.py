"""Does a cross-encoder's score help the owner answer? (issue 11; tests/eval/HISTORY.md, session 20)

    python tests/eval/cross_encoder_probe.py --out /tmp/ce   # train (about 15 min on 2 cores), then probe (about 10)
    python tests/eval/cross_encoder_probe.py --out /tmp/ce --probe-only   # an already trained model

Training reads no judged question: m3e-small's four layers with a scoring head
(transformers' sequence classification, one logit, binary cross-entropy), one epoch, seeded, on
the staff questions of data/dict/asked.tsv — each (question, its item's name) a positive, and two
negatives: the nearest other name of a township holding the item (indexer/adapt.py
`with_hard_negatives`, by the published model's cosine) and a random name of another task.

The probe reads the tune half through the held-out view (calibrate_owner.py `held_out_view`), adds
the cross-encoder's logit for (question, candidate name) as one more item feature, and prints the
cross-validated figures with and without it: item AUC, township AUC, the refitted verdict's
status figures, item right when listed, and among townships sharing a word with the task the share
truly not listed below low P(listed).
"""
from __future__ import annotations

import argparse
import copy
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import calibrate_owner as C  # noqa: E402
from staff_set import load_staff  # noqa: E402

SEED, BATCH, LR, MAX_LENGTH = 13, 32, 3e-5, 96


def training_rows(seed: int = SEED) -> list[tuple[str, str, float]]:
    """(question, name, label) from asked.tsv: the item's name 1, a hard and a random negative 0."""
    from indexer import adapt
    from indexer.build import ASKED_FILE
    from indexer.parse import parse_corpus
    from models.embedding import Embedder
    from models.fields import embedding_text, read_asked

    rng = random.Random(f"cross-encoder:{seed}")
    duties = parse_corpus(ROOT / "data" / "raw")
    embedder = Embedder("m3e-small")
    groups = adapt.name_groups(duties, embedder.encode, 0.9)
    pairs = adapt.asked_pairs(duties, read_asked(ASKED_FILE))
    names = sorted({embedding_text(d) for d in duties})
    rows = []
    for question, positive, negative in adapt.with_hard_negatives(pairs, duties, embedder.encode, groups):
        rows += [(question, positive, 1.0), (question, negative, 0.0)]
        other = rng.choice(names)
        if other != positive and groups.get(other) != groups.get(positive):
            rows.append((question, other, 0.0))
    rng.shuffle(rows)
    return rows


def train(out: Path, seed: int = SEED) -> None:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from models.embedding import resolve_model

    torch.set_num_threads(2)
    torch.manual_seed(seed)
    rows = training_rows(seed)
    path = resolve_model("m3e-small")[1]
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.01)
    steps = len(rows) // BATCH
    warmup = max(1, steps // 10)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup))))
    loss_of = torch.nn.BCEWithLogitsLoss()
    model.train()
    started = time.perf_counter()
    for step in range(steps):
        batch = rows[step * BATCH:(step + 1) * BATCH]
        encoded = tokenizer([r[0] for r in batch], [r[1] for r in batch], truncation=True,
                            max_length=MAX_LENGTH, padding=True, return_tensors="pt")
        loss = loss_of(model(**encoded).logits.squeeze(-1), torch.tensor([r[2] for r in batch]))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        if step % 100 == 0:
            print(f"step {step}/{steps} loss {float(loss.detach()):.4f} ({time.perf_counter() - started:.0f} s)", flush=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    print(f"trained on {len(rows)} rows in {time.perf_counter() - started:.0f} s: {out}")


def candidate_texts(engine, questions) -> list[tuple[str, str]]:
    """(question, candidate name) in calibrate_owner.collect's row order."""
    texts = []
    for q in questions:
        towns = list(q["owners"])
        rows = {r["township"]: r for r in engine.owner(q["query"], townships=towns, size=len(towns), explain=True)["results"]}
        for town in q["owners"]:
            texts += [(q["query"], engine.records[c["pos"]]["name"]) for c in rows[town]["candidates"]]
    return texts


def scores(model_dir: Path, texts: list[tuple[str, str]]) -> np.ndarray:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    out = []
    with torch.inference_mode():
        for i in range(0, len(texts), 128):
            batch = texts[i:i + 128]
            encoded = tokenizer([t[0] for t in batch], [t[1] for t in batch], truncation=True,
                                max_length=MAX_LENGTH, padding=True, return_tensors="pt")
            out += model(**encoded).logits.squeeze(-1).tolist()
    return np.array(out)


def figures(tune, older) -> dict:
    from sklearn.metrics import roc_auc_score

    from search.config import SearchConfig

    p = C.cross_validated(tune, older)
    best, list_ok = C.township_view(tune, p)
    leader_p, clear = C.leader_view(tune, best, SearchConfig().owner_leader_floor)
    listed = np.array(tune.listed)
    v = C.Verdicts(C.scaled_cross_validated(best, leader_p, clear, listed, tune.pair_question), list_ok, listed,
                   np.array(tune.ruled_out, bool), np.array(tune.no_words, bool), np.array(tune.top_cosine),
                   np.array(tune.nothing_close, bool))
    outcome = C.outcome(v, *C.choose_cuts(v))
    owner_of, y = np.array(tune.pair), np.array(tune.y)
    right = [bool(y[w[np.argmax(p[w])]]) for k, w in ((k, np.flatnonzero(owner_of == k)) for k in range(len(listed)))
             if listed[k] and len(w)]
    sharing = ~(v.ruled | v.no_words | v.nothing_close)
    low = {cut: (int((sharing & (v.best_p < cut)).sum()), float((~listed[sharing & (v.best_p < cut)]).mean()))
           for cut in (0.05, 0.1)}
    return {"item_auc": roc_auc_score(y, p), "township_auc": roc_auc_score(listed, v.best_p),
            "item_right": float(np.mean(right)), "low": low, **outcome}


def probe(model_dir: Path) -> None:
    from sklearn.metrics import roc_auc_score

    from search.engine import Engine

    with tempfile.TemporaryDirectory(prefix="tds-ce-") as tmp:
        engine = Engine.open(C.held_out_view(None, Path(tmp)))
        try:
            tune_q, older_q = load_staff("tune"), C.older_as_staff(engine)
            tune, older = C.collect(engine, tune_q), C.collect(engine, older_q)
            texts_tune, texts_older = candidate_texts(engine, tune_q), candidate_texts(engine, older_q)
        finally:
            engine.close()
    assert len(texts_tune) == len(tune.X) and len(texts_older) == len(older.X)
    score_tune, score_older = scores(model_dir, texts_tune), scores(model_dir, texts_older)
    print(f"cross-encoder alone, item AUC on the tune half: {roc_auc_score(tune.y, score_tune):.3f}")
    with_ce_tune, with_ce_older = copy.copy(tune), copy.copy(older)
    with_ce_tune.X = [x + [s] for x, s in zip(tune.X, score_tune)]
    with_ce_older.X = [x + [s] for x, s in zip(older.X, score_older)]
    for label, t, o in (("without", tune, older), ("with the cross-encoder", with_ce_tune, with_ce_older)):
        f = figures(t, o)
        low = "; ".join(f"P < {c}: {n} pairs, {share:.3f} not listed" for c, (n, share) in f["low"].items())
        print(f"{label}: item AUC {f['item_auc']:.3f}, township AUC {f['township_auc']:.3f}, status "
              f"{f['accuracy']:.3f}, 清单之外 {f['out_precision']:.3f} / {f['out_recall']:.3f}, 有此事项 precision "
              f"{f['listed_precision']:.3f}, 可能相关 {f['possible']:.3f}, item right when listed {f['item_right']:.3f}; "
              f"sharing a word: {low}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True, help="the cross-encoder's folder")
    parser.add_argument("--probe-only", action="store_true", help="use the model already in --out")
    args = parser.parse_args(argv)
    if not args.probe_only:
        train(Path(args.out))
    probe(Path(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
