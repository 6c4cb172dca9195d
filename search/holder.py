"""The engine a server uses, swapped when a build re-points `current`."""
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

    `get()` returns the engine; at most every `check_interval` seconds it reads the `current`
    symlink, and when it changed a background thread opens the new build and swaps it in. Until
    then (and if the new build fails to open) the old engine keeps answering, so no request fails
    while a rebuild runs. With no engine yet, `get()` opens one or raises IndexNotReady.
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
        try:
            return os.readlink(self.root / "current")
        except OSError:
            return None

    def get(self) -> Engine:
        engine = self._engine
        if engine is None:
            with self._lock:
                if self._engine is None:
                    target = self._read_target()
                    self._engine = Engine.open(self.root, self.model, self.config)
                    self._target = target
                    self._checked = time.monotonic()
                return self._engine
        now = time.monotonic()
        if now - self._checked >= self.check_interval:
            self._checked = now
            target = self._read_target()
            if target and target != self._target and target != self._failed_target:
                self._start_reload(target)
        return engine

    def _start_reload(self, target: str) -> None:
        with self._lock:
            if self._reloading is not None and self._reloading.is_alive():
                return
            self._reloading = threading.Thread(target=self._reload, args=(target,), name="engine-reload", daemon=True)
            self._reloading.start()

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
