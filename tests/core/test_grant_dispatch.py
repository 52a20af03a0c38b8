"""core.grants dispatch: /v1/kick/token by grant_type (RFC 6749 5.2), /exchange and /refresh by their path."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import INVALID_REQUEST, UNSUPPORTED_GRANT_TYPE, ProxyError
from core.grants import GRANT_PARSERS, TOKEN_PATH, refuse_contradicting_grant_type, requested_grant_type
from core.request_body import DUPLICATE
from tests.core.core_support import attempt

SERVED = ("authorization_code", "refresh_token")
OTHER_GRANTS = [
    "client_credentials",
    "password",
    "implicit",
    "urn:ietf:params:oauth:grant-type:device_code",
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
    "urn:ietf:params:oauth:grant-type:token-exchange",
    "Authorization_Code",
    "refresh_token ",
]


def has_lone_surrogate(text: str) -> bool:
    """Stated by code point, not by trying an encoding as the code under test does."""
    return any(0xD800 <= ord(character) <= 0xDFFF for character in text)


def refused(call: Callable[[], object]) -> ProxyError:
    with pytest.raises(ProxyError) as caught:
        call()
    return caught.value


def test_the_token_endpoint_serves_exactly_the_two_user_grants() -> None:
    assert tuple(GRANT_PARSERS) == SERVED
    for grant_type in SERVED:
        assert requested_grant_type({"grant_type": grant_type}) == grant_type


@pytest.mark.parametrize("fields", [{}, {"grant_type": None}, {"grant_type": ""}])
def test_a_missing_grant_type_is_invalid_request(fields: dict[str, object]) -> None:
    error = refused(lambda: requested_grant_type(fields))
    assert (error.status, error.error) == (400, INVALID_REQUEST)
    assert "grant_type" in error.description


@pytest.mark.parametrize("value", [DUPLICATE, 1, ["authorization_code"], {"a": 1}, True])
def test_a_grant_type_sent_twice_or_not_as_text_is_invalid_request(value: object) -> None:
    error = refused(lambda: requested_grant_type({"grant_type": value}))
    assert (error.status, error.error) == (400, INVALID_REQUEST)


@pytest.mark.parametrize("grant_type", OTHER_GRANTS)
def test_any_other_grant_is_unsupported_grant_type_without_echoing_it(grant_type: str) -> None:
    error = refused(lambda: requested_grant_type({"grant_type": grant_type}))
    assert (error.status, error.error) == (400, UNSUPPORTED_GRANT_TYPE)
    assert grant_type.strip() not in error.description.replace("authorization_code and refresh_token", "")


@pytest.mark.parametrize("served", SERVED)
@pytest.mark.parametrize(
    "fields", [{}, {"grant_type": None}, {"grant_type": ""}, {"grant_type": DUPLICATE}, {"grant_type": 7}]
)
def test_the_old_paths_still_ignore_an_absent_empty_or_unreadable_grant_type(
    served: str, fields: dict[str, object]
) -> None:
    refuse_contradicting_grant_type(fields, served)


@pytest.mark.parametrize("served", SERVED)
def test_the_old_paths_accept_their_own_grant_type(served: str) -> None:
    refuse_contradicting_grant_type({"grant_type": served}, served)


@pytest.mark.parametrize(
    ("served", "sent"), [("authorization_code", "refresh_token"), ("refresh_token", "authorization_code")]
)
def test_a_grant_type_contradicting_the_path_is_unsupported_grant_type_naming_the_token_endpoint(
    served: str, sent: str
) -> None:
    error = refused(lambda: refuse_contradicting_grant_type({"grant_type": sent}, served))
    assert (error.status, error.error) == (400, UNSUPPORTED_GRANT_TYPE)
    assert TOKEN_PATH == "/v1/kick/token"
    assert TOKEN_PATH in error.description
    assert "is required" not in error.description


@settings(max_examples=200, deadline=None)
@given(grant_type=st.text(max_size=60))
def test_every_grant_type_is_served_or_refused_with_a_fixed_description(grant_type: str) -> None:
    outcome = attempt(requested_grant_type, {"grant_type": grant_type})
    if not isinstance(outcome, ProxyError):
        assert outcome in SERVED
    elif outcome.error == INVALID_REQUEST:  # empty, or a JSON-escaped lone surrogate
        assert outcome.status == 400
        assert grant_type == "" or has_lone_surrogate(grant_type)
    else:
        assert (outcome.status, outcome.error) == (400, UNSUPPORTED_GRANT_TYPE)
        assert outcome.description == "the proxy serves grant_type authorization_code and refresh_token only"
