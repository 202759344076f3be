"""Schemathesis over the service's own OpenAPI schema, through the real default model:
whatever a client sends to any operation, the answer is never a 5xx.

Kept bounded (a few examples per operation, a short deadline) so the file runs in seconds;
raise SEQGPT_FUZZ_EXAMPLES for a longer hunt.
"""

from __future__ import annotations

import os

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from test_serve import default_model  # noqa: E402

from seqgpt.serve.app import create_app  # noqa: E402
from seqgpt.serve.settings import Settings  # noqa: E402

EXAMPLES = int(os.environ.get("SEQGPT_FUZZ_EXAMPLES", "8"))

# Small limits so generated lists and strings hit them often; the model stays real.
app = create_app(Settings(max_text_chars=200, max_texts=4, max_labels=6, max_label_chars=40,
                          max_body_bytes=4000), model=default_model())
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_request_gets_a_server_error(case: schemathesis.Case) -> None:
    response = case.call()
    case.validate_response(response, checks=[not_a_server_error])
    assert response.status_code < 500, response.text
