"""core.revocation: RFC 7009 requests, Kick's documented revocation request, and Kick's answers classified."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import (
    INVALID_REQUEST,
    SERVER_ERROR,
    UNSUPPORTED_TOKEN_TYPE,
    UPSTREAM_BLOCKED,
    UPSTREAM_UNAVAILABLE,
    ProxyError,
)
from core.request_body import DUPLICATE
from core.revocation import (
    REVOKED,
    REVOKED_BODY,
    TOKEN_UNKNOWN,
    Revocation,
    classify_revocation,
    parse_revocation,
    upstream_revocation_url,
)

KICK_REVOKE_URL = "https://id.kick.com/oauth/revoke"
TOKEN = "rEvoke-Me+/=&token"
PROPERTIES = settings(max_examples=200, deadline=None)
JSON = {"Content-Type": "application/json"}


def refused(fields: dict[str, object]) -> ProxyError:
    with pytest.raises(ProxyError) as caught:
        parse_revocation(fields)
    return caught.value


# --- the client's request ---------------------------------------------------------------------------


def test_a_token_alone_is_a_revocation_without_a_hint() -> None:
    assert parse_revocation({"token": TOKEN}) == Revocation(TOKEN, None)


@pytest.mark.parametrize("hint", ["access_token", "refresh_token"])
def test_the_two_rfc_7009_hints_are_kept(hint: str) -> None:
    assert parse_revocation({"token": TOKEN, "token_type_hint": hint}) == Revocation(TOKEN, hint)


def test_an_empty_hint_is_no_hint() -> None:
    assert parse_revocation({"token": TOKEN, "token_type_hint": ""}).token_type_hint is None


@pytest.mark.parametrize("hint", ["id_token", "Access_Token", "refresh_token ", "urn:x", "token", 1, ["access_token"]])
def test_any_other_hint_is_unsupported_token_type_without_echoing_it(hint: object) -> None:
    error = refused({"token": TOKEN, "token_type_hint": hint})
    assert (error.status, error.error) == (400, UNSUPPORTED_TOKEN_TYPE)
    assert error.description == "token_type_hint must be access_token or refresh_token when sent"


def test_a_hint_sent_twice_is_invalid_request() -> None:
    assert refused({"token": TOKEN, "token_type_hint": DUPLICATE}).error == INVALID_REQUEST


@pytest.mark.parametrize(
    ("fields", "description"),
    [
        ({}, "token is required"),
        ({"token": ""}, "token must not be empty"),
        ({"token": DUPLICATE}, "token must be sent only once"),
        ({"token": 12}, "token must be a string"),
    ],
)
def test_a_missing_or_malformed_token_is_invalid_request(fields: dict[str, object], description: str) -> None:
    error = refused(fields)
    assert (error.status, error.error, error.description) == (400, INVALID_REQUEST, description)


def test_a_revocation_never_shows_its_token() -> None:
    assert TOKEN not in repr(parse_revocation({"token": TOKEN, "token_type_hint": "refresh_token"}))


# --- Kick's request ---------------------------------------------------------------------------------


def test_kicks_request_carries_the_token_and_kicks_own_hint_name_in_the_query() -> None:
    url = upstream_revocation_url(KICK_REVOKE_URL, Revocation(TOKEN, "refresh_token"))
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "id.kick.com", "/oauth/revoke")
    assert parse_qsl(parts.query, keep_blank_values=True) == [("token", TOKEN), ("token_hint_type", "refresh_token")]


def test_without_a_hint_only_the_token_is_sent() -> None:
    url = upstream_revocation_url(KICK_REVOKE_URL, Revocation(TOKEN))
    assert parse_qsl(urlsplit(url).query) == [("token", TOKEN)]


def test_a_query_already_in_the_configured_url_is_kept() -> None:
    url = upstream_revocation_url("http://127.0.0.1:3001/oauth/revoke?tenant=a", Revocation("t"))
    assert urlsplit(url).query == "tenant=a&token=t"


@PROPERTIES
@given(
    token=st.text(min_size=1, max_size=80).filter(lambda text: "\x00" not in text),
    hint=st.sampled_from([None, "access_token", "refresh_token"]),
)
def test_any_token_reaches_kick_exactly_and_cannot_add_parameters(token: str, hint: str | None) -> None:
    try:
        token.encode("utf-8")
    except UnicodeEncodeError:
        return
    url = upstream_revocation_url(KICK_REVOKE_URL, Revocation(token, hint))
    pairs = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    assert pairs[0] == ("token", token)
    assert pairs[1:] == ([("token_hint_type", hint)] if hint else [])
    assert url.startswith(KICK_REVOKE_URL + "?token=")
    assert "#" not in url


# --- Kick's answer ----------------------------------------------------------------------------------


def classified(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> tuple[str, ProxyError | None]:
    result = classify_revocation(status, headers or {}, body, 0.0, 12.34)
    assert result.upstream_status == status
    assert result.upstream_latency_ms == 12.3
    if result.error is None:
        assert result.body == REVOKED_BODY
        assert json.loads(REVOKED_BODY) == {}
    else:
        assert result.body is None
    return result.outcome, result.error


@pytest.mark.parametrize(
    ("body", "headers"),
    [(b"OK", {"Content-Type": "text/plain; charset=utf-8"}), (b"", {}), (b"{}", JSON), (b"OK", {})],
)
def test_kicks_2xx_is_revoked(body: bytes, headers: dict[str, str]) -> None:
    assert classified(200, body, headers) == (REVOKED, None)
    assert classified(204, body, headers) == (REVOKED, None)


@pytest.mark.parametrize(
    ("status", "document"),
    [
        (400, {"error": "Invalid request"}),
        (400, {"error": "invalid_token"}),
        (400, {"error": "invalid_request", "error_description": "token not found"}),
        (401, {"message": "Unauthorized", "data": {}}),
    ],
)
def test_kick_not_knowing_the_token_answers_200_as_rfc_7009_says(status: int, document: dict[str, object]) -> None:
    assert classified(status, json.dumps(document).encode(), JSON) == (TOKEN_UNKNOWN, None)


def test_kick_refusing_the_token_type_is_unsupported_token_type() -> None:
    _, error = classified(400, b'{"error": "unsupported_token_type"}', JSON)
    assert error is not None
    assert (error.status, error.error) == (400, UNSUPPORTED_TOKEN_TYPE)


def test_kick_asking_for_client_credentials_is_the_operators_problem() -> None:
    _, error = classified(401, b'{"error": "invalid_client", "error_description": "canary"}', JSON)
    assert error is not None
    assert (error.status, error.error) == (500, SERVER_ERROR)
    assert "canary" not in error.description


@pytest.mark.parametrize("status", [500, 502, 503, 504, 520, 599])
def test_kick_failing_is_502_with_retry_after(status: int) -> None:
    _, error = classified(status, b'{"error": "Internal server error"}', {**JSON, "Retry-After": "30"})
    assert error is not None
    assert (error.status, error.error, error.retry_after) == (502, UPSTREAM_UNAVAILABLE, 30)


def test_kick_rate_limiting_is_502_with_its_retry_after() -> None:
    _, error = classified(429, b"", {"Retry-After": "7"})
    assert error is not None
    assert (error.status, error.retry_after) == (502, 7)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_502_and_never_followed(status: int) -> None:
    _, error = classified(status, b"", {"Location": "https://elsewhere.example/"})
    assert error is not None
    assert error.status == 502
    assert error.retry_after is not None


@pytest.mark.parametrize("status", [200, 400, 403, 404])
def test_an_html_page_is_502_even_with_a_success_status(status: int) -> None:
    page = b"<!DOCTYPE html><html><title>Attention Required! | Cloudflare</title></html>"
    for headers in ({"Content-Type": "text/html; charset=UTF-8"}, {}):
        _, error = classified(status, page, headers)
        assert error is not None
        assert (error.status, error.error) == (502, UPSTREAM_UNAVAILABLE)
        assert error.retry_after is not None


@pytest.mark.parametrize(
    ("status", "body"), [(404, b'{"error": "Not found"}'), (405, b""), (418, b"teapot"), (400, b"Bad Request")]
)
def test_other_client_errors_are_502(status: int, body: bytes) -> None:
    _, error = classified(status, body)
    assert error is not None
    assert error.status == 502


@PROPERTIES
@given(
    status=st.integers(min_value=100, max_value=599),
    body=st.binary(max_size=200) | st.text(max_size=80).map(lambda text: text.encode("utf-8", "surrogatepass")),
    headers=st.dictionaries(st.sampled_from(["Content-Type", "Retry-After", "content-type"]), st.text(max_size=30)),
)
def test_every_answer_is_revoked_unknown_or_a_contract_error(status: int, body: bytes, headers: dict[str, str]) -> None:
    result = classify_revocation(status, headers, body, 0.0, 1.0)
    if result.error is None:
        assert result.outcome in {REVOKED, TOKEN_UNKNOWN}
        assert result.body == REVOKED_BODY
    else:
        assert (result.error.status, result.error.error) in {
            (400, UNSUPPORTED_TOKEN_TYPE),
            (500, SERVER_ERROR),
            (502, UPSTREAM_UNAVAILABLE),
        }
        assert result.error.status != 502 or result.error.retry_after is not None


def test_kicks_bot_protection_page_is_upstream_blocked_as_on_the_token_endpoint() -> None:
    page = b"<!DOCTYPE html><html><title>Just a moment...</title></html>"
    _, error = classified(403, page, {"Content-Type": "text/html", "cf-mitigated": "challenge"})
    assert error is not None
    assert (error.status, error.error, error.outcome) == (502, UPSTREAM_UNAVAILABLE, UPSTREAM_BLOCKED)


def test_an_outage_404_is_502_with_retry_after_as_on_the_token_endpoint() -> None:
    _, error = classified(404, b"<html>404</html>", {"Content-Type": "text/html", "Retry-After": "9"})
    assert error is not None
    assert (error.status, error.retry_after) == (502, 9)
