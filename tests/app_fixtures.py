"""Fixtures for the Flask app tests: a real index built once per session from data/raw, the app
on it, a test client, the app served by waitress on a loopback port, and a headless browser.

Set TDS_TEST_INDEX_DIR to reuse an index you have already built (faster local iteration); by
default the index is built into a temporary directory with `indexer.build.main`.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

__all__ = ["app_index_dir", "app", "client", "live_server", "browser"]

REPO = Path(__file__).resolve().parent.parent
SHOTS = REPO / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("TDS_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("TDS_CHROMEDRIVER", "/usr/bin/chromedriver")
CHROME_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1280,1000", "--lang=zh-CN",
]
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


@contextmanager
def served(app):
    """The app served by waitress (as in production) on 127.0.0.1 and a free port, in a thread:
    its base URL. Closing the server stops the thread's loop."""
    from waitress.server import create_server

    from search_app.serve import MAX_HEADER_BYTES
    server = create_server(app, host="127.0.0.1", port=0, threads=4, max_request_header_size=MAX_HEADER_BYTES)
    closing = threading.Event()

    def run():
        try:
            server.run()
        except (OSError, ValueError):
            # the socket closed under select() ends the loop so (EBADF), not as an error
            if not closing.is_set():
                raise

    thread = threading.Thread(target=run, name="waitress-test", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        closing.set()
        server.close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(app):
    with served(app) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    """Debian's headless chromium through Selenium and /usr/bin/chromedriver (nothing downloaded).
    Skips when either is missing, except with CI=true, where it fails instead."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:
        message = f"browser tests need {', '.join(missing)} (apt-get install chromium chromium-driver)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not fetch anything
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="tds-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROME_FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)
