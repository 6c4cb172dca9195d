"""The connection to a cluster and the build it serves (the alias's concrete index)."""
from __future__ import annotations

import base64
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from search.errors import BackendUnavailable, IndexNotReady
from search.keyword.es_client import Credentials, call, connect, hosts

BUILD_SUFFIX = "-build"  # indexer/es_index.py writes <index>-build beside <index>
BUILD_DOC = "build"


class Cluster:
    """A client over every configured node whose calls raise BackendUnavailable, not transport errors."""

    def __init__(self, url: str, credentials: Credentials = Credentials(), timeout: float = 1.0, client=None):
        self.url = ",".join(hosts(url))
        self.credentials = credentials
        self.es = client or connect(self.url, credentials, timeout=timeout)

    def call(self, fn, **kwargs):
        return call(self.url, fn, f"Elasticsearch index {kwargs.get('index')!r} not found at {self.url}", **kwargs)

    def search(self, index: str, **body) -> dict:
        # a shard with no copy answering is an error (retried on another node), never fewer hits
        return self.call(self.es.search, index=index, allow_partial_search_results=False, **body)

    def concrete_index(self, alias: str) -> str | None:
        """The index `alias` points at now (None when there is none)."""
        try:
            found = list(self.call(self.es.indices.get_alias, name=alias))
        except BackendUnavailable as exc:
            if "not found" in str(exc):
                return None
            raise
        return found[0] if len(found) == 1 else None

    def close(self) -> None:
        try:
            self.es.close()
        except Exception:
            pass


@dataclass
class ClusterBuild:
    """One build in the cluster: its index, meta.json, dictionary files and township ranges."""

    cluster: Cluster
    index: str
    meta: dict
    dictionary: dict[str, str]
    townships: list[dict]
    questions: str | None = None  # base64 of the build's questions.npz (search/ann/questions.py)
    other_work: str | None = None  # base64 of the build's other_work.npz (search/ann/examples.py)

    def question_sets(self):
        """The staff questions' vectors, None for a build written without them."""
        from search.ann.questions import QuestionSets
        return self._decoded(self.questions, QuestionSets.from_bytes, "staff questions")

    def work_examples(self):
        """The questions about other authorities' work, None for a build written without them."""
        from search.ann.examples import WorkExamples
        return self._decoded(self.other_work, WorkExamples.from_bytes, "other-work questions")

    def _decoded(self, field: str | None, from_bytes, what: str):
        if not field:
            return None
        try:
            return from_bytes(base64.b64decode(field))
        except (ValueError, OSError, KeyError) as exc:
            raise IndexNotReady(self.index, f"unreadable {what} in {self.index}{BUILD_SUFFIX}: {exc}") from exc

    def dictionary_dir(self) -> Path:
        """The dictionary files in a fresh temporary folder (the caller removes it)."""
        folder = Path(tempfile.mkdtemp(prefix="tds-dict-"))
        for name, text in self.dictionary.items():
            if Path(name).name != name:  # a file name, never a path
                shutil.rmtree(folder, ignore_errors=True)
                raise IndexNotReady(self.index, f"bad dictionary file name {name!r} in {self.index}{BUILD_SUFFIX}")
            (folder / name).write_text(text, encoding="utf-8")
        return folder


def open_build(cluster: Cluster, alias: str) -> ClusterBuild:
    """The build `alias` names now. IndexNotReady when the cluster holds no whole build under it."""
    try:
        index = cluster.concrete_index(alias)
        if index is None:
            raise IndexNotReady(alias, f"no Elasticsearch index behind alias {alias!r} at {cluster.url} — "
                                       f"run `python -m indexer build --es-url {cluster.url}`")
        try:
            doc = cluster.call(cluster.es.get, index=index + BUILD_SUFFIX, id=BUILD_DOC)["_source"]
        except BackendUnavailable as exc:
            if "not found" not in str(exc):
                raise
            raise IndexNotReady(index, f"{index} holds the keyword side only (no {index}{BUILD_SUFFIX}); "
                                       "rebuild with `python -m indexer build --es-url …` to serve from the "
                                       "cluster alone") from None
    except BackendUnavailable as exc:
        raise IndexNotReady(alias, str(exc)) from exc
    return ClusterBuild(cluster, index, doc["meta"], doc["dictionary"], doc["townships"], doc.get("questions"),
                        doc.get("other_work"))
