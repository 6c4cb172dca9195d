"""Search settings: where the index is, and every tunable of ranking, in one place.

Each field can be set from the environment (`TDS_<FIELD NAME IN CAPITALS>`, e.g.
TDS_RRF_K=40, TDS_FIELD_WEIGHTS=name:10,category:3,duties:2,departments:1) or passed to
`SearchConfig(...)` / `Engine.open(config=...)` by the evaluation and benchmark scripts.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# What a build folder holds (indexer/build.py writes it into meta.json; Engine.open checks it).
# 1: records + FTS5 in duties.sqlite. 2: records + tokens in duties.sqlite, BM25 postings in bm25/.
INDEX_FORMAT = 2


def index_root(index_dir: str | os.PathLike | None = None) -> Path:
    """The index root: the argument, else TDS_INDEX_DIR, else <repo>/var/index."""
    return Path(index_dir or os.environ.get("TDS_INDEX_DIR") or REPO / "var" / "index")


def index_format(index_dir: str | os.PathLike | None = None) -> int | None:
    """The format of the index `current` points to; None when there is none or it is unreadable."""
    try:
        meta = json.loads((index_root(index_dir) / "current" / "meta.json").read_text(encoding="utf-8"))
        return int(meta.get("format"))
    except (OSError, ValueError, TypeError):
        return None


@dataclass(frozen=True)
class SearchConfig:
    # Keyword side: BM25 weight per FTS column (see models/fields.py for what each holds).
    field_weights: dict = field(default_factory=lambda: {
        "name": 6.0, "category": 1.0, "duties": 0.75, "departments": 1.5})
    # Candidates taken from each side before fusion (hybrid), and for semantic-only totals.
    depth: int = 100
    # Reciprocal rank fusion: score = w_kw / (k + rank_kw) + w_sem / (k + rank_sem).
    rrf_k: float = 20.0
    weight_keyword: float = 1.0
    weight_semantic: float = 0.5
    # Fusion method: "rrf" (ranks only) or "blend" (normalized scores, then the same weights).
    fusion: str = "blend"
    # Synonym terms appended to the query text that is embedded (0 = the query alone).
    semantic_expansions: int = 5
    # Semantic candidates below this cosine are not matches (they count for nothing, not in `total`).
    semantic_floor: float = 0.65
    # Owner: best match below this score means "not on this township's lists" (see Engine.owner).
    # Calibrated with ranking.calibrate_threshold (balanced accuracy) on the 758 (query, township,
    # listed?) pairs tests/eval/evaluate.py derives from queries.jsonl: 0.849 for m3e-small int8
    # (the default). The threshold belongs to the model: recalibrate when the model changes.
    owner_threshold: float = 0.849
    # Owner score = cosine + this × share of the query's words the item's text covers.
    owner_coverage_weight: float = 0.15
    # How query words are weighted in that share: "length" (longer words count more, single characters half) or "idf" (rare words count more; measured worse: calibrated accuracy 0.869 against 0.886).
    owner_word_weight: str = "length"
    # With "length": a word found in more than this share of all records counts this much less.
    owner_common_share: float = 1.0
    owner_common_factor: float = 0.25
    # Compare: mutual best matches at or above this cosine are the same duty (read off the pairs of
    # 渡口镇/嘎木乡 and 克孜勒苏乡/策勒乡: above 0.83 nearly all are the same duty, below 0.80 few are).
    compare_threshold: float = 0.83
    # Similar: neighbours below this cosine are dropped; the "more like this" keyword side
    # (the record's `similar_terms` most distinctive tokens) weighs this much against the names' cosine.
    similar_floor: float = 0.0
    similar_weight_keyword: float = 1.0
    similar_terms: int = 15
    # FAISS: exact search up to this many records, then an ANN index (kind below).
    ann_threshold: int = 200_000
    ann_kind: str = "ivfpq"      # "ivfpq" | "hnsw" — used above ann_threshold
    nprobe: int = 32
    hnsw_ef_search: int = 96
    # Limits.
    max_query_chars: int = 200
    max_size: int = 100
    max_page: int = 1000
    owner_page_size: int = 50
    facet_size: int = 50
    sqlite_connections: int = 4
    # Records kept decoded in memory (most recently used); the rest are read from the store.
    record_cache: int = 50_000

    @classmethod
    def from_env(cls, environ=None, **overrides) -> "SearchConfig":
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = environ.get(f"TDS_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            if f.name == "field_weights":
                values[f.name] = {k.strip(): float(v) for k, v in
                                  (item.split(":", 1) for item in raw.split(",") if ":" in item)}
            elif f.type in ("int", int):
                values[f.name] = int(raw.replace("_", ""))
            elif f.type in ("float", float):
                values[f.name] = float(raw)
            else:
                values[f.name] = raw
        values.update(overrides)
        return cls(**values)

    def with_(self, **changes) -> "SearchConfig":
        return replace(self, **changes)
