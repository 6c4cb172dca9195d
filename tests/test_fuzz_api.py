"""Property-based fuzzing of the JSON API with schemathesis, driven by the OpenAPI document the app
itself serves at /api/openapi.json (loaded through the WSGI app, so it is exactly what clients see).

Every operation, positive and negative examples (schemathesis' generation modes), bounded to
TDS_FUZZ_EXAMPLES examples per operation (default 40) so the run stays well under two minutes.
Checks on every response:

- not_a_server_error — no 5xx, ever;
- status_code_conformance — only statuses the document declares;
- content_type_conformance — JSON where the document says JSON;
- response_schema_conformance — the body matches the declared schema (errors included).
"""
from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from search_app.openapi import PATHS  # noqa: E402

MAX_EXAMPLES = int(os.environ.get("TDS_FUZZ_EXAMPLES") or 40)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


OPERATIONS = [(method.upper(), path) for path, item in PATHS.items() for method in item]


@pytest.fixture(scope="session")
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
@pytest.mark.parametrize("method,path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_api_fuzz(api_schema, method, path, mode):
    """One hypothesis run per operation and generation mode (schemathesis' pytest loader does not
    work with this pytest, so the strategies are driven directly)."""
    operation = api_schema[path][method]
    if mode is GenerationMode.NEGATIVE and not PATHS[path][method.lower()]["parameters"]:
        pytest.skip("no parameters: nothing to make invalid")

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), print_blob=True)
    def run(case):
        case.call_and_validate(checks=CHECKS)

    run()


def test_every_operation_is_fuzzed(app):
    """The operations fuzzed above (taken from openapi.PATHS at import) are exactly those served."""
    document = app.test_client().get("/api/openapi.json").get_json()
    declared = {(m.upper(), p) for p, item in document["paths"].items() for m in item}
    assert declared and set(OPERATIONS) == declared
