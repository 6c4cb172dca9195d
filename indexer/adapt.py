"""`python -m indexer adapt`: adapt the embedding model to the duty lists, from pairs the corpus gives.

    python -m indexer adapt                      # writes var/models/m3e-small-adapted/
    python -m indexer adapt --out DIR --seed 7 --epochs 1
    python -m indexer adapt --asked --no-duty-sentences --seeds 7,13 --out DIR   # two seeds, averaged
    python -m indexer adapt --asked --no-duty-sentences --hard-negatives --out DIR   # with hard negatives

Records are embedded by their name (models/fields.py `embedding_text`), and staff describe a
task in their own words. The lists say, for about 1,100 of their ~2,000 items, what is actually
done (department duties, township duties, how a recovered power is handled); those sentences are
the closest thing the corpus has to "the task in other words". Training pairs:

- (duty sentence, item name): every duty text of an item, split into its sentences and numbered
  sub-items, paired with that item's name; identical pairs from several townships kept once;
- (name, name) paraphrases: names of different townships that are mutual nearest neighbours at
  cosine >= 0.9 under the base model (the same task worded twice), optional (`--paraphrases`);
- (question, item name): the everyday questions of data/dict/asked.tsv, written for the items and
  kept apart from the judged sets (tests/test_asked.py), optional (`--asked`; session 19 measured
  it: the evaluation history, session 19).

Loss: MultipleNegativesRankingLoss (sentence-transformers) with in-batch negatives. A batch never
holds two pairs whose names are the same task — the same text, or names that the base model puts
at cosine >= 0.9 (the same item recurs across townships in slightly different words) — so no
in-batch negative is a disguised positive.

Nothing here reads tests/eval: the pairs come from data/raw and data/dict only (tests/test_adapt.py checks).
The model is written with sentence-transformers' layout (modules.json, mean pooling) and the base
model's max_seq_length, plus `training.json` (seed, pairs, settings, base fingerprint, timings).
Only the model side (torch, sentence-transformers) is imported, when training runs; importing this
module costs no torch, flask or search_app.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "var" / "models" / "m3e-small-adapted"
DEFAULT_RAW = REPO / "data" / "raw"
BASE_MODEL = "m3e-small"


@dataclass
class Settings:
    seed: int = 13
    epochs: int = 1
    batch_size: int = 32
    lr: float = 3e-5
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    max_seq_length: int = 64
    scale: float = 20.0
    max_per_name: int = 8          # sentence pairs kept per distinct name (the rest are near-repeats)
    min_chars: int = 6             # shorter pieces ("负责", "履职保障") say nothing
    max_names_per_sentence: int = 2
    same_task_cosine: float = 0.9  # names this close under the base model never share a batch
    paraphrases: bool = False      # add (name, name) pairs across townships
    asked: bool = False            # add (question, item name) pairs from data/dict/asked.tsv
    duty_sentences: bool = True    # the (duty sentence, item name) pairs
    hard_negatives: bool = False   # each pair also holds its township's nearest other name (with_hard_negatives)
    threads: int = 2


# ----- pairs (pure: corpus records in, text pairs out)

_MARK = r"(?:[（(](?:\d{1,2}|[一二三四五六七八九十]{1,3})[）)]|\d{1,2}\s*[.．、](?!\d)|[一二三四五六七八九十]{1,3}\s*[、.．])"
_SPLIT = re.compile(r"[；;。\n]+|\s+(?=" + _MARK + ")")
_LEAD = re.compile(r"^\s*(?:" + _MARK + r"\s*)+")
_LABEL = re.compile(r"^(?:履职保障|主要任务是?|工作要求|办理流程|职责)[:：]\s*")
_DEPT_HEAD = re.compile(r"^[\u4e00-\u9fff]{2,20}(?:局|委员会|委|办公室|办|中心|站|所|队|院|部)[:：]\s*")
_NOISE = re.compile(r"[★☆]")


def sentences(text: str, min_chars: int = 6) -> list[str]:
    """A duty text as its sentences / numbered sub-items, numbering and labels stripped."""
    out = []
    for piece in _SPLIT.split(text or ""):
        piece = _NOISE.sub("", piece).strip(" \t，,、:：")
        for pattern in (_LEAD, _LABEL, _DEPT_HEAD, _LEAD):
            piece = pattern.sub("", piece).strip(" \t，,、")
        if len(piece) >= min_chars and not piece.endswith(("：", ":")):
            out.append(piece)
    return out


def duty_pairs(duties, settings: Settings | None = None) -> list[tuple[str, str]]:
    """(duty sentence, item name) pairs, deduplicated, in a fixed order; at most `max_per_name`
    sentences per distinct name, chosen by the seed."""
    from models.fields import embedding_text
    settings = settings or Settings()
    by_name: dict[str, dict[str, None]] = {}
    for duty in duties:
        name = embedding_text(duty)
        for text in duty.duty_texts():
            for sentence in sentences(text, settings.min_chars):
                if sentence != name:
                    by_name.setdefault(name, {})[sentence] = None
    names_of: dict[str, int] = {}
    for anchors in by_name.values():
        for anchor in anchors:
            names_of[anchor] = names_of.get(anchor, 0) + 1
    rng = random.Random(f"pairs:{settings.seed}")
    pairs = []
    for name in sorted(by_name):
        # a sentence under many names is boilerplate ("提供业务指导", a column heading): no signal
        anchors = sorted(a for a in by_name[name] if names_of[a] <= settings.max_names_per_sentence)
        if len(anchors) > settings.max_per_name:
            anchors = sorted(rng.sample(anchors, settings.max_per_name))
        pairs += [(anchor, name) for anchor in anchors]
    return pairs


def asked_pairs(duties, asked: dict[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    """(question, item name) for every question of asked.tsv whose name the corpus holds, in a
    fixed order; the name as embedded (models/fields.py `embedding_text`)."""
    from models.fields import embedding_text, name_key
    embedded = {}
    for duty in duties:
        embedded.setdefault(name_key(duty.name), embedding_text(duty))
    return sorted({(question, embedded[key]) for key, questions in asked.items() if key in embedded
                   for question in questions if question != embedded[key]})


def with_hard_negatives(pairs, duties, vectors_of, groups: dict[str, int]) -> list[tuple[str, str, str]]:
    """(text, item name, the name closest to the text among the other items of a township holding
    that item): the item a question does not mean but sits nearest to it, which the owner answer
    must tell apart (a sick cow: 动物疫病防控, not 野生动物保护). Names of the positive's group
    (the same task worded otherwise, `name_groups`) and names the same text was written for are
    never negatives; a pair with no other name left is dropped."""
    import numpy as np
    from models.fields import embedding_text
    names_of_town: dict[str, set[str]] = {}
    for duty in duties:
        names_of_town.setdefault(duty.township, set()).add(embedding_text(duty))
    first_town = {}
    for town in sorted(names_of_town):
        for name in names_of_town[town]:
            first_town.setdefault(name, town)
    names = sorted(first_town)
    name_vectors = dict(zip(names, vectors_of(names)))
    texts = sorted({text for text, _ in pairs})
    text_vectors = dict(zip(texts, vectors_of(texts)))
    meant: dict[str, set[str]] = {}
    for text, name in pairs:
        meant.setdefault(text, set()).add(name)
    group = {n: groups.get(n, ("alone", n)) for n in names}
    out = []
    for text, positive in pairs:
        others = [n for n in sorted(names_of_town[first_town[positive]])
                  if n not in meant[text] and group[n] != group[positive]]
        if others:
            sims = np.array([name_vectors[n] for n in others]) @ text_vectors[text]
            out.append((text, positive, others[int(np.argmax(sims))]))
    return out


def name_groups(duties, vectors_of, threshold: float) -> dict[str, int]:
    """Each distinct name → a group id; names at cosine >= threshold (single link) share one."""
    import numpy as np
    from models.fields import embedding_text
    names = sorted({embedding_text(d) for d in duties})
    vectors = vectors_of(names)
    sims = vectors @ vectors.T
    parent = list(range(len(names)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in zip(*np.nonzero(np.triu(sims >= threshold, k=1))):
        parent[find(int(i))] = find(int(j))
    return {name: find(i) for i, name in enumerate(names)}


def paraphrase_pairs(duties, vectors_of, threshold: float = 0.9) -> list[tuple[str, str]]:
    """(name, name) of different townships, mutual nearest neighbours across townships at >= threshold."""
    import numpy as np
    from models.fields import embedding_text
    entries = sorted({(d.township, embedding_text(d)) for d in duties})
    names = [n for _, n in entries]
    towns = np.array([t for t, _ in entries])
    vectors = vectors_of(names)
    sims = vectors @ vectors.T
    sims[towns[:, None] == towns[None, :]] = -1.0      # other townships only
    same_text = np.array(names, dtype=object)
    sims[same_text[:, None] == same_text[None, :]] = -1.0  # identical names teach nothing
    best = sims.argmax(1)
    pairs = set()
    for i, j in enumerate(best):
        if best[j] == i and sims[i, j] >= threshold:
            pairs.add(tuple(sorted((names[i], names[j]))))
    return sorted(pairs)


def batches(pairs: list[tuple[str, str]], batch_size: int, rng: random.Random,
            group_of=None) -> list[list[tuple[str, str]]]:
    """Shuffled batches in which no text and no name group appears twice (greedy; a pair that does
    not fit waits for the next batch). Every pair is used once; the last short batch is dropped."""
    group_of = group_of or {}
    pending = list(pairs)
    rng.shuffle(pending)
    out = []
    while len(pending) >= batch_size:
        batch, keys, rest = [], set(), []
        for pair in pending:
            pair_keys = {("t", t) for t in pair}
            pair_keys |= {("g", group_of[t]) for t in pair if t in group_of}
            if len(batch) < batch_size and not (pair_keys & keys):
                batch.append(pair)
                keys |= pair_keys
            else:
                rest.append(pair)
        if len(batch) < batch_size:
            break  # what is left cannot fill a batch without a repeat
        out.append(batch)
        pending = rest
    return out


# ----- training

def _seed_everything(seed: int) -> None:
    import numpy as np
    import torch
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def train(out: Path, settings: Settings, raw: Path = DEFAULT_RAW, log=print) -> dict:
    started = time.perf_counter()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    from indexer.build import file_sha256
    from indexer.parse import parse_corpus
    from models.embedding import DEFAULT_QUANTIZE, _fingerprint, resolve_model

    torch.set_num_threads(settings.threads)
    _seed_everything(settings.seed)
    base_name, base_path = resolve_model(BASE_MODEL)
    duties = parse_corpus(raw)
    model = SentenceTransformer(base_path, device="cpu")
    inference_length = model.max_seq_length

    def vectors_of(texts):
        model.eval()
        with torch.inference_mode():
            return np.asarray(model.encode(texts, batch_size=64, normalize_embeddings=True,
                                           convert_to_numpy=True, show_progress_bar=False), dtype=np.float32)

    pairs = duty_pairs(duties, settings) if settings.duty_sentences else []
    counts = {"sentence_pairs": len(pairs)}
    if settings.asked:
        from indexer.build import ASKED_FILE
        from models.fields import read_asked
        extra = asked_pairs(duties, read_asked(ASKED_FILE))
        counts["asked_pairs"] = len(extra)
        pairs += extra
    if settings.paraphrases:
        extra = paraphrase_pairs(duties, vectors_of, settings.same_task_cosine)
        counts["paraphrase_pairs"] = len(extra)
        pairs += extra
    groups = name_groups(duties, vectors_of, settings.same_task_cosine) if settings.same_task_cosine < 1 else {}
    counts["name_groups"] = len(set(groups.values()))
    if settings.hard_negatives:
        pairs = with_hard_negatives(pairs, duties, vectors_of, groups)
        counts["triplets"] = len(pairs)
    prepared = time.perf_counter()

    model.max_seq_length = settings.max_seq_length
    loss_fn = MultipleNegativesRankingLoss(model, scale=settings.scale)
    rng = random.Random(f"batches:{settings.seed}")
    plan = [batches(pairs, settings.batch_size, rng, groups) for _ in range(settings.epochs)]
    total = sum(len(p) for p in plan)
    no_decay = ("bias", "LayerNorm.weight", "LayerNorm.bias")
    params = list(model.named_parameters())
    optimizer = torch.optim.AdamW(
        [{"params": [p for n, p in params if not any(k in n for k in no_decay)], "weight_decay": settings.weight_decay},
         {"params": [p for n, p in params if any(k in n for k in no_decay)], "weight_decay": 0.0}],
        lr=settings.lr)
    warmup = max(1, int(total * settings.warmup_ratio))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(1, total - warmup))))
    model.train()
    step, losses = 0, []
    for epoch, epoch_batches in enumerate(plan, 1):
        for batch in epoch_batches:
            features = [model.preprocess([row[k] for row in batch]) for k in range(len(batch[0]))]
            loss = loss_fn(features, torch.zeros(len(batch)))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            losses.append(float(loss.detach()))
            step += 1
            if step % 25 == 0 or step == total:
                log(f"epoch {epoch} step {step}/{total} loss {sum(losses[-25:]) / len(losses[-25:]):.4f}")
    trained = time.perf_counter()

    model.eval()
    model.max_seq_length = inference_length  # names are embedded as the base model would
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.save(str(out), create_model_card=False)
    info = {
        "base_model": base_name,
        "base_fingerprint": _fingerprint(base_path, DEFAULT_QUANTIZE),
        "fingerprint": _fingerprint(str(out), DEFAULT_QUANTIZE),  # what an index built with it records
        "weights_sha256": file_sha256(out / "model.safetensors"),
        "settings": asdict(settings),
        "pairs": len(pairs),
        "counts": counts,
        "steps": total,
        "loss_first_25": round(sum(losses[:25]) / max(1, len(losses[:25])), 4),
        "loss_last_25": round(sum(losses[-25:]) / max(1, len(losses[-25:])), 4),
        "timings_s": {"prepare": round(prepared - started, 1), "train": round(trained - prepared, 1),
                      "total": round(time.perf_counter() - started, 1)},
        "versions": {"torch": torch.__version__, "sentence_transformers": _version("sentence_transformers")},
        "corpus_records": len(duties),
    }
    (out / "training.json").write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return info


def average_models(folders: list[Path], out: Path) -> dict:
    """The mean of the weights of models fine-tuned from the same base (a "model soup"), written to
    `out` with the first folder's configuration: averaging seeds keeps what they share and evens out
    what one seed's batches happened to teach (the evaluation history, session 19)."""
    import shutil

    from safetensors.torch import load_file, save_file

    from indexer.build import file_sha256
    from models.embedding import DEFAULT_QUANTIZE, _fingerprint

    weights = [load_file(str(Path(f) / "model.safetensors")) for f in folders]
    if any(w.keys() != weights[0].keys() for w in weights):
        raise ValueError("models to average must share one architecture")
    out = Path(out)
    if any(out.resolve() in (Path(f).resolve(), *Path(f).resolve().parents) for f in folders):
        raise ValueError(f"{out} holds a model to average: write the mean elsewhere")
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(folders[0], out, ignore=shutil.ignore_patterns("model.safetensors", "training.json"))
    mean = {k: sum(w[k].float() for w in weights).div(len(weights)).to(weights[0][k].dtype) for k in weights[0]}
    save_file(mean, str(out / "model.safetensors"), metadata={"format": "pt"})
    return {"averaged": [str(f) for f in folders], "fingerprint": _fingerprint(str(out), DEFAULT_QUANTIZE),
            "weights_sha256": file_sha256(out / "model.safetensors")}


def train_seeds(out: Path, settings: Settings, seeds: list[int], raw: Path = DEFAULT_RAW, log=print) -> dict:
    """One model per seed in `out`.seeds/seed-N, then their mean in `out` (`average_models`)."""
    from dataclasses import replace
    out = Path(out)
    folders = [out.with_name(f"{out.name}.seeds") / f"seed-{seed}" for seed in seeds]
    runs = {seed: train(folder, replace(settings, seed=seed), raw, log) for seed, folder in zip(seeds, folders)}
    info = average_models(folders, out)
    info |= {"seeds": seeds, "runs": {str(k): {x: v[x] for x in ("pairs", "steps", "timings_s", "fingerprint")}
                                      for k, v in runs.items()}, "settings": asdict(settings)}
    (out / "training.json").write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return info


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _version(module: str) -> str:
    try:
        return __import__(module).__version__
    except Exception:  # pragma: no cover
        return "?"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m indexer adapt",
                                     description="Adapt the embedding model to the duty lists (pairs from data/raw only).")
    defaults = Settings()
    parser.add_argument("--out", default=str(DEFAULT_OUT), help=f"model folder (default {DEFAULT_OUT.relative_to(REPO)})")
    parser.add_argument("--raw", default=str(DEFAULT_RAW), help="source documents (default data/raw)")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--lr", type=float, default=defaults.lr)
    parser.add_argument("--max-per-name", type=int, default=defaults.max_per_name)
    parser.add_argument("--paraphrases", action=argparse.BooleanOptionalAction, default=defaults.paraphrases,
                        help="also train on (name, name) paraphrases across townships")
    parser.add_argument("--asked", action=argparse.BooleanOptionalAction, default=defaults.asked,
                        help="also train on (question, item name) pairs from data/dict/asked.tsv")
    parser.add_argument("--duty-sentences", action=argparse.BooleanOptionalAction, default=defaults.duty_sentences,
                        help="train on (duty sentence, item name) pairs")
    parser.add_argument("--hard-negatives", action=argparse.BooleanOptionalAction, default=defaults.hard_negatives,
                        help="give each pair a hard negative: the nearest other item name of a township holding its item")
    parser.add_argument("--threads", type=int, default=defaults.threads)
    parser.add_argument("--seeds", default=None,
                        help="comma-separated seeds: train one model each (in OUT.seeds/seed-N) and write their mean to OUT")
    args = parser.parse_args(argv)
    settings = Settings(seed=args.seed, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                        max_per_name=args.max_per_name, paraphrases=args.paraphrases, threads=args.threads,
                        asked=args.asked, duty_sentences=args.duty_sentences, hard_negatives=args.hard_negatives)
    if args.seeds:
        seeds = [int(x) for x in args.seeds.split(",") if x.strip()]
        info = train_seeds(Path(args.out), settings, seeds, Path(args.raw), _log)
        print(json.dumps({k: info[k] for k in ("seeds", "fingerprint", "weights_sha256")}, ensure_ascii=False))
    else:
        info = train(Path(args.out), settings, Path(args.raw), log=_log)
        print(json.dumps({k: info[k] for k in ("pairs", "counts", "steps", "timings_s", "fingerprint", "weights_sha256")},
                         ensure_ascii=False))
    print(f"model: {args.out}  (use it: TDS_MODEL={args.out} python -m indexer build)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
