"""Fixtures for the Flask app tests: a real index built once per session from data/raw, the app
on it, a test client, and the app served by waitress on a loopback port for the browser tests.

Set TDS_TEST_INDEX_DIR to reuse an index you have already built (faster local iteration); by
default the index is built into a temporary directory with `indexer.build.main`.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

__all__ = ["app_index_dir", "app", "client", "live_server"]

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def app_index_dir(tmp_path_factory) -> Path:
    reuse = os.environ.get("TDS_TEST_INDEX_DIR")
    if reuse:
        return Path(reuse)
    from indexer import build

    index_dir = tmp_path_factory.mktemp("app-index")
    rc = build.main(["--index-dir", str(index_dir)])
    assert not rc, f"building the index into {index_dir} failed with exit code {rc}"
    return index_dir


@pytest.fixture(scope="session")
def app(app_index_dir):
    from search_app import create_app

    app = create_app({"TESTING": True, "INDEX_DIR": str(app_index_dir)})
    app.extensions["tds.holder"].get()  # load once, up front
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def live_server(app):
    """The app served by waitress (as in production) on 127.0.0.1 and a free port."""
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, name="waitress-test", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
