"""The shared sample events in events/ (also used with `sam local invoke -e`) get the answers they show."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.assertions import assert_error, assert_no_store_headers
from tests.support.events import EVENTS_DIR, sample_event
from tests.support.kick_stub import revoked_answer, token_answer
from tests.support.proxy import Invocation, Proxy

SAMPLES = sorted(
    path.stem for path in Path(EVENTS_DIR).glob("*.json") if "exchange" in path.stem or "refresh" in path.stem
)

# What each sample must answer: a new sample needs its line here.
EXPECTED: dict[str, tuple[int, str | None]] = {
    "exchange": (200, None),
    "exchange-base64": (200, None),
    "exchange-form": (200, None),
    "exchange-bad-verifier": (400, "invalid_request"),
    "exchange-foreign-redirect": (400, "invalid_request"),
    "exchange-missing-code": (400, "invalid_request"),
    "refresh": (200, None),
    "refresh-form": (200, None),
    "refresh-missing-token": (400, "invalid_request"),
    "refresh-wrong-content-type": (415, "invalid_request"),
    "exchange-contradicting-grant-type": (400, "unsupported_grant_type"),
    "token-exchange": (200, None),
    "token-refresh": (200, None),
    "token-refresh-foreign-client": (401, "invalid_client"),
    "token-unsupported-grant-refresh": (400, "unsupported_grant_type"),
    "revoke-refresh-token": (200, None),
    "revoke-refresh-token-bad-hint": (400, "unsupported_token_type"),
}


def invoke(proxy: Proxy, event: dict[str, Any]) -> Invocation:
    """The function the template routes the sample's path to."""
    endpoints = {
        "/v1/kick/exchange": proxy.exchange,
        "/v1/kick/refresh": proxy.refresh,
        "/v1/kick/token": proxy.token,
        "/v1/kick/revoke": proxy.revoke,
    }
    return endpoints[event["resource"]](event)


@pytest.mark.parametrize("name", SAMPLES)
def test_a_sample_event_gets_its_documented_answer(proxy: Proxy, name: str) -> None:
    event = sample_event(name)
    revocation = event["resource"] == "/v1/kick/revoke"
    proxy.kick.answer(revoked_answer() if revocation else token_answer("sample-access", "sample-refresh"))

    answer = invoke(proxy, event)

    status, error = EXPECTED[name]
    if error is None and revocation:
        assert (answer.status, answer.json) == (status, {}) == (200, {}), answer.body
        assert_no_store_headers(answer)
        [received] = proxy.kick.received
        assert received.path.startswith("/oauth/revoke?token=")
    elif error is None:
        assert answer.status == status == 200, answer.body
        assert_no_store_headers(answer)
        assert answer.json["access_token"] == "sample-access"
        [received] = proxy.kick.received
        assert received.form["grant_type"] == ("authorization_code" if "exchange" in name else "refresh_token")
    else:
        assert_error(answer, status, error)
        assert proxy.kick.received == []


def test_every_sample_has_its_expected_answer() -> None:
    assert set(SAMPLES) == set(EXPECTED)


def test_the_samples_cover_every_endpoint() -> None:
    for endpoint in ("exchange", "refresh", "token", "revoke"):
        assert any(name.startswith(endpoint) for name in SAMPLES)
