"""Shared pytest setup. App fixtures live in tests/app_fixtures.py."""
import os

# scripts/test.sh exports ES_URL for tests/test_elasticsearch.py; the engine and the indexer would
# also pick it up, so keep it away from the rest of the suite (which tests the embedded default).
if os.environ.get("ES_URL"):
    os.environ["TDS_TEST_ES_URL"] = os.environ.pop("ES_URL")

from app_fixtures import *  # noqa: E402,F401,F403  (app_index_dir, app, client, live_server)
