"""A query loop on a background thread, for tests that break or rebuild something underneath it."""
from __future__ import annotations

import contextlib
import threading


@contextlib.contextmanager
def under_load(ask, join_seconds: float = 60):
    """Calls `ask(i)` for i = 0, 1, … on a thread until the block ends; yields (errors, done), the
    failures (any exception) and the answered calls so far."""
    errors, done = [], []
    stop = threading.Event()

    def loop():
        i = 0
        while not stop.is_set():
            try:
                ask(i)
                done.append(i)
            except Exception as exc:  # noqa: BLE001 — every failure counts
                errors.append(f"call {i}: {type(exc).__name__}: {exc}")
            i += 1

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield errors, done
    finally:
        stop.set()
        thread.join(join_seconds)
