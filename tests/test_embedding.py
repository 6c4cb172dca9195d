"""The query path of the embedding model: one TorchScript graph, the same floats as the module."""
from __future__ import annotations

import numpy as np

from models.embedding import get_embedder

TEXTS = ["养的牛得了病谁管", "家里老人刚满80岁，高龄补贴去哪申请", "a", "😀 ＡＢＣ", "反诈宣传进村入户",
         "县" * 700]  # the last is cut at the model's 512 tokens


def test_the_traced_query_model_gives_the_eager_modules_vectors_exactly():
    embedder = get_embedder()
    assert embedder._query_model is not None  # the packaged model traces
    traced = np.stack([embedder._encode_one(t) for t in TEXTS])
    graph, embedder._query_model = embedder._query_model, None
    try:
        eager = np.stack([embedder._encode_one(t) for t in TEXTS])
    finally:
        embedder._query_model = graph
    assert traced.shape == (len(TEXTS), embedder.dim)
    assert np.array_equal(traced, eager)
    assert np.allclose(np.linalg.norm(traced, axis=1), 1.0, atol=1e-5)


def test_query_vectors_are_cached_read_only_and_stable():
    embedder = get_embedder()
    first = embedder.encode_query("村里垃圾没人拉")
    assert not first.flags.writeable
    assert embedder.encode_query("村里垃圾没人拉") is first
    assert np.array_equal(embedder._encode_one("村里垃圾没人拉"), first)
