"""Schemathesis fuzzes every operation of the app's OpenAPI schema, signed in as a member.

Each operation gets a bounded number of generated requests (valid and invalid bodies, paths
and queries). No answer may be a 5xx, and every answer must conform to the schema: a
documented status, the documented content type, and a body matching the documented model.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from lingxi.api import create_app
from lingxi.config import Settings
from lingxi.data import Database
from tests.helpers import seed, sign_in

# 25 generated requests per operation keep the run under 2 minutes on 2 cores; a deeper hunt:
# LINGXI_TEST_FUZZ_EXAMPLES=200 LINGXI_TEST_FUZZ_LOG=/tmp/fuzz.log pytest -m "" tests/api/test_fuzz.py
MAX_EXAMPLES = int(os.environ.get("LINGXI_TEST_FUZZ_EXAMPLES", "25"))
FUZZ_LOG = os.environ.get("LINGXI_TEST_FUZZ_LOG")
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# An endless Server-Sent Events stream (until the client leaves): nothing to fuzz to the end.
SKIPPED = {"/api/home/stream"}


@pytest.fixture
def fuzz_app(sqlite_db: Database, settings: Settings) -> Iterator[tuple[object, dict[str, str]]]:
    """The app over a seeded SQLite database, and bearer headers of the household owner."""
    seed(sqlite_db)
    relaxed = Settings.model_validate({**settings.model_dump(), "rate_limit": {"enabled": False}})
    app = create_app(relaxed, database=sqlite_db)
    with TestClient(app) as c:
        headers = sign_in(c, "alice@example.org")
        yield app, headers


def _operation_labels() -> list[str]:
    """The schema's operations, read from an app that is never started (no database I/O)."""
    app = create_app(Settings(environment="test", db={"url": "sqlite:///unused.db"}))  # type: ignore[arg-type]
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    labels = [result.ok().label for result in schema.get_all_operations()]
    return [label for label in labels if label.split(" ", 1)[1] not in SKIPPED]


@pytest.mark.slow
@pytest.mark.parametrize("label", _operation_labels())
def test_no_server_error_and_schema_conformance(
    label: str, fuzz_app: tuple[object, dict[str, str]]
) -> None:
    """Generated requests (valid and invalid) never get a 5xx, and answers conform to the schema."""
    app, headers = fuzz_app
    operation = schemathesis.openapi.from_asgi("/openapi.json", app).find_operation_by_label(label)
    assert operation is not None
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @given(case=cases)
    @hypothesis_settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: schemathesis.Case) -> None:
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        if FUZZ_LOG:
            with open(FUZZ_LOG, "a") as log:
                log.write(f"{label}\t{response.status_code}\n")

    run()
