"""core.kick_answer: how each answer of Kick's token endpoint maps onto the contract's error table."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from core.errors import (
    DEFAULT_RETRY_AFTER_SECONDS,
    INVALID_GRANT,
    MAX_RETRY_AFTER_SECONDS,
    SERVER_ERROR,
    UPSTREAM_BLOCKED,
    UPSTREAM_UNAVAILABLE,
    ProxyError,
)
from core.kick_answer import CLIENT_ERROR_CODES, ClientRefused, retry_after, token_body
from tests.core.core_support import refusal

NOW = 1_795_375_290.0
TOKENS = {
    "access_token": "access-Canary-1",
    "token_type": "Bearer",
    "refresh_token": "refresh-Canary-2",
    "expires_in": 14400,
    "scope": "user:read channel:read",
}
TOKEN_BYTES = json.dumps(TOKENS).encode()
JSON_HEADERS = {"Content-Type": "application/json"}
HTML_HEADERS = {"Content-Type": "text/html; charset=UTF-8"}
CLOUDFLARE_PAGE = (
    b"<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head>"
    b"<body><h1>Sorry, you have been blocked</h1><span>Cloudflare Ray ID: 8a1b2c3d4e5f</span></body></html>"
)
RFC_6749_CLIENT_CODES = [
    "invalid_request",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
]


def http_date(seconds_from_now: float) -> str:
    return format_datetime(datetime.fromtimestamp(NOW + seconds_from_now, tz=UTC), usegmt=True)


def classify(status: int, body: bytes, headers: dict[str, str] | None = None) -> ProxyError:
    return refusal(token_body, status, JSON_HEADERS if headers is None else headers, body, NOW)


def assert_unavailable(error: ProxyError, retry: int = DEFAULT_RETRY_AFTER_SECONDS) -> None:
    assert (error.status, error.error, error.retry_after) == (502, UPSTREAM_UNAVAILABLE, retry)


def assert_no_kick_text(error: ProxyError, body: bytes) -> None:
    """Nothing Kick said (tokens, descriptions, pages) is repeated to the client."""
    for canary in (b"Canary", b"Cloudflare", b"Ray ID", b"kick-said"):
        if canary in body:
            assert canary.decode() not in error.description


# --- success ---------------------------------------------------------------------------------------


def test_a_200_with_tokens_is_passed_through_unchanged() -> None:
    assert token_body(200, JSON_HEADERS, TOKEN_BYTES, NOW) == TOKEN_BYTES.decode()


@pytest.mark.parametrize(
    "body",
    [
        b'{ "access_token" :"a",\n  "expires_in":14400 , "scope":"x", "extra":{"nested":[1,2.50,null]} }',
        b'{"expires_in":1,"access_token":"\\u00e9\\/x","token_type":"Bearer"}',
        '{"access_token":"é-🎮","id_token":"x"}'.encode(),
        b'\n\t{"access_token":"a"}\n',
    ],
)
def test_a_200_with_tokens_keeps_kicks_exact_bytes_formatting_and_extra_fields(body: bytes) -> None:
    assert token_body(200, JSON_HEADERS, body, NOW).encode() == body


def test_a_200_with_tokens_is_accepted_whatever_content_type_kick_declares() -> None:
    assert token_body(200, {"Content-Type": "text/plain"}, TOKEN_BYTES, NOW) == TOKEN_BYTES.decode()
    assert token_body(200, {}, TOKEN_BYTES, NOW) == TOKEN_BYTES.decode()


# --- 2xx without tokens ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "document",
    [
        {"token_type": "Bearer", "expires_in": 14400},
        {"access_token": ""},
        {"access_token": None},
        {"access_token": 12345},
        {"access_token": ["Canary"]},
        {"error": "invalid_grant"},
        {},
    ],
)
def test_a_200_without_a_usable_access_token_is_upstream_unavailable(document: object) -> None:
    error = classify(200, json.dumps(document).encode())
    assert_unavailable(error)
    assert "access token" in error.description


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (b"<html><body>Kick is down for maintenance, kick-said</body></html>", HTML_HEADERS),
        (CLOUDFLARE_PAGE, HTML_HEADERS),
        (b"OK", {"Content-Type": "text/plain"}),
        (b"", {}),
        (b"null", JSON_HEADERS),
        (b"[" + TOKEN_BYTES + b"]", JSON_HEADERS),
        (b'"access_token"', JSON_HEADERS),
        (TOKEN_BYTES[:-1], JSON_HEADERS),
        (b'{"access_token": "\xff\xfe"}', JSON_HEADERS),
        (b"\xef\xbb\xbf" + TOKEN_BYTES, JSON_HEADERS),
        (b"[" * 100_000, JSON_HEADERS),
    ],
)
def test_a_200_that_is_not_a_json_object_is_upstream_unavailable(body: bytes, headers: dict[str, str]) -> None:
    error = classify(200, body, headers)
    assert_unavailable(error)
    assert_no_kick_text(error, body)


def test_a_201_with_tokens_is_still_success() -> None:
    assert token_body(201, JSON_HEADERS, TOKEN_BYTES, NOW) == TOKEN_BYTES.decode()


# --- redirects, rate limits, server errors --------------------------------------------------------


@pytest.mark.parametrize("status", [300, 301, 302, 303, 304, 307, 308])
def test_a_redirect_is_upstream_unavailable_even_with_a_token_body(status: int) -> None:
    error = classify(status, TOKEN_BYTES, {"Location": "https://evil.example/steal", **JSON_HEADERS})
    assert_unavailable(error)
    assert "evil.example" not in error.description


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30", 30),
        ("1", 1),
        ("3600", 3600),
        (" 42 ", 42),
        ("0", 1),
        ("3601", MAX_RETRY_AFTER_SECONDS),
        ("86400", MAX_RETRY_AFTER_SECONDS),
        ("99999999999999999999999", MAX_RETRY_AFTER_SECONDS),
    ],
)
def test_a_429_is_upstream_unavailable_with_retry_after_seconds_clamped_to_1_to_3600(value: str, expected: int) -> None:
    assert_unavailable(classify(429, b'{"message":"Too Many Attempts."}', {"Retry-After": value}), expected)


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (120, 120),
        (7200, MAX_RETRY_AFTER_SECONDS),
        (0, 1),
        (-600, 1),
    ],
)
def test_a_429_with_an_http_date_retry_after_counts_seconds_from_now(offset: int, expected: int) -> None:
    error = classify(429, b"", {"Retry-After": http_date(offset)})
    assert error.retry_after is not None
    assert abs(error.retry_after - expected) <= 1
    assert 1 <= error.retry_after <= MAX_RETRY_AFTER_SECONDS


@pytest.mark.parametrize(
    "value",
    [
        "",
        "soon",
        "-5",
        "1.5",
        "+30",
        "1e3",
        "\u0663\u0660",  # Arabic-Indic "30": isdigit() but not ASCII
        "\u00b2",  # superscript two: isdigit() but not a decimal
        "Mon, 32 Foo 2026 25:61:61 GMT",
        "Mon, 01 Jan 99999 00:00:00 GMT",
        "Thu, 01 Jan 2026 00:00:00 +9999",
    ],
)
def test_a_429_with_an_unreadable_retry_after_gets_the_default(value: str) -> None:
    assert_unavailable(classify(429, b"", {"Retry-After": value}))


def test_a_429_without_retry_after_gets_the_default() -> None:
    assert_unavailable(classify(429, b"", {}))


def test_retry_after_is_found_whatever_the_header_case() -> None:
    assert retry_after({"retry-after": "77"}, NOW) == 77
    assert retry_after({"RETRY-AFTER": "78"}, NOW) == 78


@pytest.mark.parametrize("status", [500, 502, 503, 504, 520, 599])
@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (b"<html>Internal Server Error</html>", HTML_HEADERS),
        (b'{"error":"server_error","error_description":"kick-said"}', JSON_HEADERS),
        (TOKEN_BYTES, JSON_HEADERS),
        (b"", {}),
    ],
)
def test_a_5xx_is_upstream_unavailable(status: int, body: bytes, headers: dict[str, str]) -> None:
    error = classify(status, body, headers)
    assert_unavailable(error)
    assert_no_kick_text(error, body)


def test_a_5xx_honours_retry_after() -> None:
    assert_unavailable(classify(503, b"", {"Retry-After": "120"}), 120)
    assert_unavailable(classify(503, b"", {"Retry-After": "100000"}), MAX_RETRY_AFTER_SECONDS)


def test_a_cloudflare_403_page_is_upstream_unavailable() -> None:
    error = classify(403, CLOUDFLARE_PAGE, HTML_HEADERS)
    assert_unavailable(error)
    assert_no_kick_text(error, CLOUDFLARE_PAGE)


@pytest.mark.parametrize("status", [403, 404, 405, 409, 418, 422])
def test_other_4xx_json_without_an_rfc_code_is_upstream_unavailable(status: int) -> None:
    assert_unavailable(classify(status, b'{"error":"Not Found","message":"kick-said"}'))


def test_a_404_json_is_upstream_unavailable() -> None:
    assert_unavailable(classify(404, b'{"message":"Not Found"}'))


def test_a_404_html_is_upstream_unavailable() -> None:
    assert_unavailable(classify(404, b"<html>404</html>", HTML_HEADERS))


# --- Kick refusing the grant -----------------------------------------------------------------------


def test_kicks_nonstandard_invalid_request_400_is_reported_as_invalid_grant() -> None:
    error = classify(400, b'{"error": "Invalid request"}')
    assert (error.status, error.error, error.retry_after) == (400, INVALID_GRANT, None)
    assert "sign in again" in error.description


@pytest.mark.parametrize("body", [b"{}", b'{"error": "something_new"}', b'{"message": "kick-said"}', b'{"error": 7}'])
def test_any_other_400_json_is_reported_as_invalid_grant(body: bytes) -> None:
    error = classify(400, body)
    assert (error.status, error.error) == (400, INVALID_GRANT)
    assert_no_kick_text(error, body)


@pytest.mark.parametrize("code", RFC_6749_CLIENT_CODES)
def test_each_rfc_6749_client_error_code_passes_through_as_400(code: str) -> None:
    body = json.dumps({"error": code, "error_description": "kick-said Canary details"}).encode()
    error = classify(400, body)
    assert (error.status, error.error, error.retry_after) == (400, code, None)
    assert_no_kick_text(error, body)


def test_the_pass_through_codes_are_exactly_rfc_6749_less_invalid_client() -> None:
    assert set(RFC_6749_CLIENT_CODES) == CLIENT_ERROR_CODES


@pytest.mark.parametrize("code", RFC_6749_CLIENT_CODES)
def test_an_rfc_code_on_another_4xx_status_is_still_reported_as_400(code: str) -> None:
    assert classify(403, json.dumps({"error": code}).encode()).status == 400


def test_an_400_html_page_is_upstream_unavailable() -> None:
    assert_unavailable(classify(400, b"<html>Bad Request</html>", HTML_HEADERS))


# --- Kick refusing the proxy's own credentials -----------------------------------------------------


@pytest.mark.parametrize("status", [400, 401, 403])
def test_invalid_client_is_the_proxys_fault_answered_as_500(status: int) -> None:
    body = b'{"error":"invalid_client","error_description":"kick-said Canary"}'
    error = classify(status, body)
    assert (error.status, error.error, error.retry_after) == (500, SERVER_ERROR, None)
    assert_no_kick_text(error, body)


@pytest.mark.parametrize(
    "body",
    [b'{"error":"invalid_grant"}', b'{"error":"Invalid request"}', b"{}", b'{"message":"Unauthorized"}'],
)
def test_any_401_json_is_the_proxys_fault_answered_as_500(body: bytes) -> None:
    error = classify(401, body)
    assert (error.status, error.error, error.retry_after) == (500, SERVER_ERROR, None)


@pytest.mark.parametrize(
    ("body", "headers"), [(b"", {}), (b"Unauthorized", {"Content-Type": "text/plain"}), (b"<html/>", HTML_HEADERS)]
)
def test_a_401_without_json_is_the_proxys_fault_answered_as_500(body: bytes, headers: dict[str, str]) -> None:
    error = classify(401, body, headers)
    assert (error.status, error.error) == (500, SERVER_ERROR)


# --- every refusal -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, b"{}"),
        (302, b""),
        (400, b'{"error":"Invalid request"}'),
        (401, b'{"error":"invalid_client"}'),
        (429, b""),
        (503, b""),
    ],
)
def test_retry_after_is_set_exactly_when_the_client_should_retry(status: int, body: bytes) -> None:
    error = classify(status, body)
    if error.status == 502:
        assert error.retry_after is not None
        assert 1 <= error.retry_after <= MAX_RETRY_AFTER_SECONDS
    else:
        assert error.retry_after is None


# --- bugs ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("error_value", [["invalid_grant"], {"code": "invalid_grant"}])
def test_a_non_string_error_member_is_classified_not_crashed_on(error_value: object) -> None:
    error = classify(400, json.dumps({"error": error_value}).encode())
    assert (error.status, error.error) == (400, INVALID_GRANT)
    assert_unavailable(classify(403, json.dumps({"error": error_value}).encode()))


def test_an_absurdly_long_retry_after_is_clamped_not_crashed_on() -> None:
    assert_unavailable(classify(429, b"", {"Retry-After": "9" * 5000}), MAX_RETRY_AFTER_SECONDS)


# --- Kick's answer shapes seen in its issue tracker (KickEngineering/KickDevDocs) ----------------


def test_an_rfc_invalid_grant_with_a_description_is_invalid_grant_without_kicks_words() -> None:
    body = b'{"error":"invalid_grant","error_description":"kick-said The provided authorization grant is invalid"}'
    error = classify(400, body)
    assert (error.status, error.error, error.outcome) == (400, INVALID_GRANT, None)
    assert_no_kick_text(error, body)


def test_invalid_client_client_authentication_failed_is_a_client_refusal() -> None:
    """#280: {"error":"invalid_client","error_description":"Client authentication failed"}."""
    error = classify(401, b'{"error":"invalid_client","error_description":"Client authentication failed"}')
    assert isinstance(error, ClientRefused)
    assert (error.status, error.error) == (500, SERVER_ERROR)


@pytest.mark.parametrize("headers", [{}, JSON_HEADERS, {"Content-Length": "0"}])
def test_an_empty_400_is_kick_failing_not_a_refused_grant(headers: dict[str, str]) -> None:
    """#156: Kick answered 400 with an empty body to valid requests for days; signing in again would not help."""
    error = classify(400, b"", headers)
    assert_unavailable(error)
    assert error.outcome is None
    assert "empty" in error.description


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        pytest.param(CLOUDFLARE_PAGE, HTML_HEADERS, id="block-page"),
        pytest.param(
            b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>challenge</body></html>",
            {**HTML_HEADERS, "cf-mitigated": "challenge", "Server": "cloudflare"},
            id="challenge",
        ),
        pytest.param(b"", {}, id="empty"),
        pytest.param(b'{"message":"Forbidden"}', JSON_HEADERS, id="json-without-rfc-code"),
    ],
)
def test_a_403_is_kicks_bot_protection_blocking_the_proxy(body: bytes, headers: dict[str, str]) -> None:
    """#148: Cloudflare answers datacenter addresses (Lambda's among them) with a block or challenge page."""
    error = classify(403, body, headers)
    assert_unavailable(error)
    assert error.outcome == UPSTREAM_BLOCKED
    assert_no_kick_text(error, body)


def test_a_403_block_passes_kicks_retry_after_on() -> None:
    error = classify(403, CLOUDFLARE_PAGE, {**HTML_HEADERS, "Retry-After": "60"})
    assert (error.outcome, error.retry_after) == (UPSTREAM_BLOCKED, 60)


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (b'{"error":"Not found"}', JSON_HEADERS),
        (b"<html>This id.kick.com page can't be found</html>", HTML_HEADERS),
        (b"", {}),
        (b'{"error":"invalid_grant"}', JSON_HEADERS),
    ],
)
def test_a_404_is_kicks_outage_whatever_its_body(body: bytes, headers: dict[str, str]) -> None:
    """#421: id.kick.com answered 404 on every OAuth path for days."""
    error = classify(404, body, headers)
    assert_unavailable(error)
    assert error.outcome is None
    assert "404" in error.description


@pytest.mark.parametrize("document", [{"token_type": "Bearer", "expires_in": 14400}, {"error": "invalid_grant"}])
def test_a_200_without_an_access_token_is_kick_failing(document: dict[str, object]) -> None:
    assert_unavailable(classify(200, json.dumps(document).encode()))
