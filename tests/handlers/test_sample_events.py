"""The shared sample events in events/ (also used with `sam local invoke -e`) get the answers they show."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.assertions import assert_error, assert_no_store_headers
from tests.support.events import EVENTS_DIR, sample_event
from tests.support.kick_stub import token_answer
from tests.support.proxy import Proxy

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
}


@pytest.mark.parametrize("name", SAMPLES)
def test_a_sample_event_gets_its_documented_answer(proxy: Proxy, name: str) -> None:
    proxy.kick.answer(token_answer("sample-access", "sample-refresh"))
    event = sample_event(name)

    answer = proxy.exchange(event) if "exchange" in name else proxy.refresh(event)

    status, error = EXPECTED[name]
    if error is None:
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


def test_the_samples_cover_both_endpoints() -> None:
    assert any(name.startswith("exchange") for name in SAMPLES)
    assert any(name.startswith("refresh") for name in SAMPLES)
