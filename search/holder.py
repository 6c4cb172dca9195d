"""The engine a server uses, swapped when a build re-points `current` (or, serving from the
cluster, moves the Elasticsearch alias)."""
from __future__ import annotations

import logging
import os
import threading
import time

from search.config import SearchConfig, index_root
from search.engine import Engine

log = logging.getLogger(__name__)


class EngineHolder:
    """The engine a server uses, swapped when a build re-points `current`.

    `get()` returns the engine; at most every `check_interval` seconds a background thread reads
    the `current` symlink (or the index behind the alias), and when it changed opens the new build
    and swaps it in. Until then (and if the new build fails to open) the old engine keeps
    answering, so no request fails while a rebuild runs, and no request waits on the check (a hung
    cluster node cannot hold one). With no engine yet, `get()` opens one or raises IndexNotReady.
    """

    def __init__(self, index_dir=None, model: str | None = None, config: SearchConfig | None = None,
                 check_interval: float = 1.0):
        self.root = index_root(index_dir)
        self.model = model
        self.config = config
        self.check_interval = check_interval
        self._engine: Engine | None = None
        self._target: str | None = None
        self._failed_target: str | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        self._reloading: threading.Thread | None = None

    def _read_target(self) -> str | None:
        config = self.config or SearchConfig.from_env()
        if config.serves_from_cluster(self.root):
            return self._alias_target(config)
        try:
            return os.readlink(self.root / "current")
        except OSError:
            return None

    def _alias_target(self, config: SearchConfig) -> str | None:
        from search.elastic import Cluster
        from search.keyword.es import DEFAULT_ALIAS
        from search.keyword.es_client import Credentials

        cluster = Cluster(config.es_url, Credentials.from_config(config), timeout=config.es_timeout)
        try:
            return cluster.concrete_index(config.es_index or DEFAULT_ALIAS)
        except Exception:  # unreachable: keep serving what is open
            return None
        finally:
            cluster.close()

    def get(self) -> Engine:
        engine = self._engine
        if engine is None:
            with self._lock:
                if self._engine is None:
                    target = self._read_target()
                    self._engine = Engine.open(self.root, self.model, self.config)
                    # serving from the cluster: the index it opened, whatever the alias says by now
                    self._target = target if self._engine.local_vectors else self._engine.build_dir.name
                    self._checked = time.monotonic()
                return self._engine
        now = time.monotonic()
        if now - self._checked >= self.check_interval:
            self._checked = now
            self._start_check()
        return engine

    def _start_check(self) -> None:
        with self._lock:
            if self._reloading is not None and self._reloading.is_alive():
                return
            self._reloading = threading.Thread(target=self._check, name="engine-reload", daemon=True)
            self._reloading.start()

    def _check(self) -> None:
        target = self._read_target()
        if target and target != self._target and target != self._failed_target:
            self._reload(target)

    def _reload(self, target: str) -> None:
        try:
            engine = Engine.open(self.root, self.model, self.config)
        except Exception as exc:
            log.error("keeping the current index; the new one failed to open: %s", exc)
            self._failed_target = target
            return
        self._engine, self._target, self._failed_target = engine, target, None
        log.info("now serving %s", engine.build_dir)

    def reload(self, wait: bool = True) -> Engine | None:
        """Check `current` now (tests, admin); with wait=True return once any reload finished."""
        self._checked = 0.0
        if self._engine is None:
            return self.get()
        self.get()
        thread = self._reloading
        if wait and thread is not None:
            thread.join()
        return self._engine

    @property
    def engine(self) -> Engine | None:
        return self._engine
