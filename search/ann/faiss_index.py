"""The semantic index: FAISS over normalized embeddings (inner product = cosine).

Ids are record positions; records are stored township by township, so one township's records
are a contiguous id range and per-township searches use `IDSelectorRange`.

Index kinds (`make_index`):
- "flat"  — IndexFlatIP, exact. The default up to `ann_threshold` records (SearchConfig, env
            TDS_ANN_THRESHOLD, default 200,000): at 2,000 records a query costs ~0.1 ms.
- "ivfpq" — IndexIVFPQ, 64-byte codes (512 dims → 64 sub-quantizers × 8 bits), nlist ≈ 4·√n;
            10M records ≈ 0.7 GB. Searched with `nprobe` lists. Its codes cannot tell near-copies
            apart (the same duty in many townships), so its exact recall@10 stays low.
- "ivf-sq8" — the same inverted lists holding each vector 8-bit scalar-quantized (one byte a
            dimension): the lists a query probes are scored almost exactly, so near-copies keep
            their order. 1M ≈ 0.5 GB; exact recall@10 ≈ 0.97 at nprobe 16 (bench/peers.py, where an
            IVF-PQ index re-ranked by SQ8 vectors was measured too: slower and less exact). The
            default above `ann_threshold`.
- "hnsw"  — IndexHNSWFlat (M=32): faster and more exact than IVF-PQ, but keeps full vectors.
The benchmark can force any kind: `build_index(vectors, kind="hnsw")`.
"""
from __future__ import annotations

import math
from pathlib import Path

import faiss
import numpy as np

KINDS = ("flat", "ivfpq", "ivf-sq8", "hnsw")
INDEX_NAME = "vectors.faiss"


def choose_kind(n: int, ann_threshold: int, ann_kind: str = "ivfpq") -> str:
    return "flat" if n <= ann_threshold else ann_kind


def build_index(vectors: np.ndarray, kind: str = "flat", *, pq_bytes: int = 64, nlist: int | None = None,
                hnsw_m: int = 32, train_size: int = 200_000, seed: int = 1234) -> faiss.Index:
    """An index holding `vectors` with ids 0..n-1 (vectors must already be L2-normalized)."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = vectors.shape
    if kind == "flat":
        index = faiss.IndexFlatIP(dim)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
    elif kind in ("ivfpq", "ivf-sq8"):
        nlist = nlist or max(16, min(65536, int(4 * math.sqrt(max(n, 1)))))
        nlist = min(nlist, max(1, n // 39))
        quantizer = faiss.IndexFlatIP(dim)
        if kind == "ivfpq":
            m = pq_bytes if dim % pq_bytes == 0 else _divisor_near(dim, pq_bytes)
            index = faiss.IndexIVFPQ(quantizer, dim, nlist, m, 8, faiss.METRIC_INNER_PRODUCT)
        else:
            index = faiss.IndexIVFScalarQuantizer(quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit,
                                                  faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(seed)
        index.train(vectors if n <= train_size else vectors[rng.choice(n, train_size, replace=False)])
    else:
        raise ValueError(f"unknown index kind {kind!r} (one of {', '.join(KINDS)})")
    if n:
        index.add(vectors)
    if kind in ("ivfpq", "ivf-sq8"):
        index.make_direct_map()
    return index


def _divisor_near(dim: int, target: int) -> int:
    return min((d for d in range(1, dim + 1) if dim % d == 0), key=lambda d: abs(d - target))


def kind_of(index: faiss.Index) -> str:
    if isinstance(index, faiss.IndexIVFScalarQuantizer):
        return "ivf-sq8"
    if isinstance(index, faiss.IndexFlat):
        return "flat"
    if isinstance(index, faiss.IndexHNSW):
        return "hnsw"
    if isinstance(index, faiss.IndexIVF):
        return "ivfpq"
    return type(index).__name__


def save(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


class SemanticIndex:
    """Read side. Thread-safe: FAISS searches are read-only; search parameters are per call."""

    def __init__(self, index: faiss.Index, nprobe: int = 16, ef_search: int = 96):
        self._owner = index  # downcast_index returns a non-owning wrapper: keep the owning one alive
        self.index = faiss.downcast_index(index)
        self.kind = kind_of(self.index)
        self.dim = self.index.d
        self.count = self.index.ntotal
        self.nprobe = nprobe
        self.ef_search = ef_search
        self._flat: np.ndarray | None = None
        if self.kind == "flat":
            # The stored vectors as one numpy array: exact scores for any subset by one matmul.
            self._flat = faiss.vector_to_array(self.index.codes).view(np.float32).reshape(self.count, self.dim)
        elif self.kind in ("ivfpq", "ivf-sq8"):
            faiss.extract_index_ivf(self.index).make_direct_map()

    @classmethod
    def load(cls, path: Path, **kwargs) -> "SemanticIndex":
        return cls(faiss.read_index(str(path)), **kwargs)

    def _params(self, selector=None, k: int = 10):
        if self.kind in ("ivfpq", "ivf-sq8"):
            return faiss.SearchParametersIVF(sel=selector, nprobe=self.nprobe)
        if self.kind == "hnsw":
            return faiss.SearchParametersHNSW(sel=selector, efSearch=max(self.ef_search, k))
        return faiss.SearchParameters(sel=selector) if selector is not None else None

    def search(self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (positions, cosines), best first; `allowed` an optional boolean mask over positions."""
        k = min(k, self.count)
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if self._flat is not None:
            scores = self._flat @ vector
            if allowed is not None:
                scores = np.where(allowed, scores, -np.inf)
                k = min(k, int(allowed.sum()))
                if k == 0:
                    return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
            top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
            top = top[np.lexsort((top, -scores[top]))]
            return top.astype(np.int64), scores[top].astype(np.float32)
        selector = None
        if allowed is not None:
            bits = np.packbits(allowed.astype(np.uint8), bitorder="little")
            selector = faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bits))
        params = self._params(selector, k)
        scores, ids = self.index.search(vector.reshape(1, -1).astype(np.float32), k, params=params)
        keep = ids[0] >= 0
        return ids[0][keep].astype(np.int64), scores[0][keep]

    def search_range(self, vector: np.ndarray, k: int, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k among positions [start, end) — one township's records."""
        if end <= start:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if self._flat is not None:
            scores = self._flat[start:end] @ vector
            k = min(k, end - start)
            top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
            top = top[np.lexsort((top, -scores[top]))]
            return (top + start).astype(np.int64), scores[top].astype(np.float32)
        params = self._params(faiss.IDSelectorRange(start, end), k)
        scores, ids = self.index.search(vector.reshape(1, -1).astype(np.float32), k, params=params)
        keep = ids[0] >= 0
        return ids[0][keep].astype(np.int64), scores[0][keep]

    def vectors(self, start: int, end: int) -> np.ndarray:
        """Stored vectors for positions [start, end) (decoded approximations for the compressed kinds)."""
        if self._flat is not None:
            return self._flat[start:end]
        return self._reconstructed(np.arange(start, end, dtype=np.int64))

    def _reconstructed(self, ids: np.ndarray) -> np.ndarray:
        # one direct-map lookup a vector: IndexIVF.reconstruct_n scans every list's ids instead
        # (a 220-record township at 1M records: 3.1 ms against 0.6 ms)
        if not len(ids):
            return np.zeros((0, self.dim), dtype=np.float32)
        return self.index.reconstruct_batch(ids)

    def vector(self, pos: int) -> np.ndarray:
        return self.vectors(pos, pos + 1)[0]

    def vectors_at(self, positions: np.ndarray) -> np.ndarray:
        """Stored vectors of the given positions, in their order."""
        ids = np.asarray(positions, dtype=np.int64)
        return self._flat[ids] if self._flat is not None else self._reconstructed(ids)

    def cosines_among(self, vector: np.ndarray, positions: np.ndarray, allowed: np.ndarray | None = None,
                      limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The first `limit` of `positions` that the mask `allowed` admits, in their order, with cosines."""
        positions = np.asarray(positions, dtype=np.int64)
        if allowed is not None:
            positions = positions[np.asarray(allowed, dtype=bool)[positions]]
        positions = positions[:limit]
        return positions, (self.vectors_at(positions) @ vector).astype(np.float32)

    def range_cosines(self, vector: np.ndarray, ranges: list[tuple[int, int]]) -> list[np.ndarray]:
        """Every record's cosine to `vector` in each [start, end) range."""
        if self._flat is not None or not ranges:
            return [self.vectors(start, end) @ vector for start, end in ranges]
        ids = np.concatenate([np.arange(start, end, dtype=np.int64) for start, end in ranges])
        scores = self._reconstructed(ids) @ vector  # one call for every range
        return np.split(scores, np.cumsum([end - start for start, end in ranges])[:-1])


def open_index(build_dir: Path, config) -> SemanticIndex:
    return SemanticIndex.load(Path(build_dir) / INDEX_NAME, nprobe=config.nprobe, ef_search=config.hnsw_ef_search)


def write_index(vectors: np.ndarray, build_dir: Path, config, kind: str = "auto") -> dict:
    """Build and save the index for `vectors`; `kind` "auto" picks flat up to config.ann_threshold."""
    chosen = choose_kind(len(vectors), config.ann_threshold, config.ann_kind) if kind == "auto" else kind
    index = build_index(vectors, chosen)
    save(index, Path(build_dir) / INDEX_NAME)
    return {"kind": chosen, "dim": int(vectors.shape[1]), "ntotal": int(index.ntotal)}
