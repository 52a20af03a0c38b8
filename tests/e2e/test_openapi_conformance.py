"""docs/openapi.yaml against the local API (handlers, moto, Kick emulator): no 5xx, no schema violation.

Bounded: a fixed number of derandomized examples per operation, positive and negative, so the run
takes a few seconds and fails the same way every time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, settings

from tests.e2e.conftest import LocalStack

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"

CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {
            # Bodies the schema refuses are refused with 400, or 413/415 for size and media type; 401 is a
            # foreign client id or unreadable Basic credentials on /token and /revoke.
            "negative_data_rejection": {"expected-statuses": [400, 401, 413, 415]},
            # A schema-valid body carries a code or refresh token Kick never issued (or a redirect URI
            # outside the allowlist, which is configuration, not schema): 400 is the right answer.
            "positive_data_acceptance": {"enabled": False},
        }
    }
)
schema = schemathesis.openapi.from_path(OPENAPI, config=CONFIG)


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_local_api_conforms_to_the_openapi_document(case: schemathesis.Case[Any], stack: LocalStack) -> None:
    case.call_and_validate(base_url=stack.api_url, timeout=15)


def test_the_handlers_405_names_the_allowed_methods(stack: LocalStack) -> None:
    answer = requests.get(f"{stack.api_url}/v1/kick/exchange", timeout=5)
    assert answer.status_code == 405
    assert answer.headers.get("Allow") == "POST, OPTIONS"
