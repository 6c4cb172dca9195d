"""Elasticsearch as the whole engine: a build's records, filter columns and vectors read from a
cluster, so an app server needs no local build — only the query model and ES_URL.

`indexer/es_index.py` writes the build (records as `_source`, tokens, filter keywords, the
embedding as a quantized-HNSW `dense_vector`, and a one-document `<index>-build` index with
meta.json, the dictionary and the township ranges). `open_build` reads it back as the same parts
the embedded build gives the engine, behind the same contracts:

- `records.ClusterRecords` — the record store (`many`, `[pos]`, `positions_of`, `tokens`);
- `columns.ClusterColumns` — filters (a query clause instead of a mask), facets (aggregations)
  and the township ranges;
- `vectors.ClusterVectors` — kNN with filters; township cosines for the owner answer.

The engine reads the concrete index the alias named when it opened, never the alias, so a
rebuild cannot mix two builds under one engine; search/holder.py opens the new build when the
alias moves. The writer keeps the previous index until the next build for the same reason.
"""
from search.elastic.cluster import Cluster, ClusterBuild, open_build

__all__ = ["Cluster", "ClusterBuild", "open_build"]
