"""core.responses: RFC 6749 section 5.1 headers on every answer, CORS only for exact allowed origins."""

from __future__ import annotations

import json

import pytest

from core.errors import (
    ProxyError,
    bad_request,
    invalid_client,
    server_error,
    upstream_timeout,
    upstream_unavailable,
)
from core.responses import (
    ApiResponse,
    cors_headers,
    error_response,
    json_response,
    preflight_response,
)
from tests.support.proxy import ALLOWED_ORIGIN

ALLOWED = frozenset({ALLOWED_ORIGIN, "https://app.battles-record.example"})
TOKENS = '{"access_token":"a","token_type":"Bearer"}'
ERRORS = [
    bad_request("code is required"),
    bad_request("too large", status=413),
    bad_request("wrong type", status=415),
    ProxyError(400, "invalid_grant", "sign in again"),
    upstream_unavailable("retry later", 30),
    upstream_timeout(),
    server_error(),
]


def all_responses() -> list[ApiResponse]:
    cors = cors_headers(ALLOWED_ORIGIN, ALLOWED)
    return [
        json_response(200, TOKENS),
        json_response(200, TOKENS, cors),
        *(error_response(error) for error in ERRORS),
        *(error_response(error, cors) for error in ERRORS),
        preflight_response(cors),
        preflight_response(cors_headers("https://evil.example", ALLOWED)),
        preflight_response({}),
    ]


def cors_only(headers: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name.lower().startswith("access-control-")}


@pytest.mark.parametrize("response", all_responses())
def test_every_response_is_json_and_never_cached(response: ApiResponse) -> None:
    headers = response["headers"]
    assert headers["Content-Type"] == "application/json"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Pragma"] == "no-cache"
    assert response["isBase64Encoded"] is False
    assert isinstance(response["body"], str)


def test_a_success_carries_the_body_unchanged() -> None:
    response = json_response(200, TOKENS)
    assert (response["statusCode"], response["body"]) == (200, TOKENS)


@pytest.mark.parametrize("error", ERRORS)
def test_an_error_answers_its_status_with_error_and_description_only(error: ProxyError) -> None:
    response = error_response(error)
    assert response["statusCode"] == error.status
    assert json.loads(response["body"]) == {"error": error.error, "error_description": error.description}


@pytest.mark.parametrize("error", ERRORS)
def test_retry_after_is_a_header_exactly_when_the_error_has_one(error: ProxyError) -> None:
    headers = error_response(error)["headers"]
    if error.retry_after is None:
        assert "Retry-After" not in headers
    else:
        assert headers["Retry-After"] == str(error.retry_after)


def test_upstream_errors_tell_the_client_when_to_retry() -> None:
    assert error_response(upstream_unavailable("x", 30))["headers"]["Retry-After"] == "30"
    assert error_response(upstream_timeout())["headers"]["Retry-After"].isdigit()


def test_an_error_description_is_json_escaped() -> None:
    body = error_response(bad_request('quote " and \\ and \n'))["body"]
    assert json.loads(body)["error_description"] == 'quote " and \\ and \n'


def test_an_allowed_origin_gets_exactly_its_own_origin_back_and_vary() -> None:
    assert cors_headers(ALLOWED_ORIGIN, ALLOWED) == {"Access-Control-Allow-Origin": ALLOWED_ORIGIN, "Vary": "Origin"}


@pytest.mark.parametrize(
    "origin",
    [
        None,
        "",
        "null",
        "*",
        "https://evil.example",
        ALLOWED_ORIGIN + "/",
        ALLOWED_ORIGIN.upper(),
        "http://LOCALHOST:1420",
        "http://localhost:1421",
        "http://localhost",
        "https://localhost:1420",
        ALLOWED_ORIGIN + ".evil.example",
        "http://evil.example/" + ALLOWED_ORIGIN,
        " " + ALLOWED_ORIGIN,
        ALLOWED_ORIGIN + " ",
        f"{ALLOWED_ORIGIN}, https://evil.example",
    ],
)
def test_any_other_origin_gets_no_cors_headers_but_vary(origin: str | None) -> None:
    assert cors_headers(origin, ALLOWED) == {"Vary": "Origin"}


@pytest.mark.parametrize("origin", [None, ALLOWED_ORIGIN, "https://evil.example"])
def test_without_allowed_origins_there_are_no_cors_headers_at_all(origin: str | None) -> None:
    assert cors_headers(origin, frozenset()) == {}


def test_cors_headers_ride_on_successes_and_errors() -> None:
    cors = cors_headers(ALLOWED_ORIGIN, ALLOWED)
    for response in (json_response(200, TOKENS, cors), error_response(server_error(), cors)):
        assert response["headers"]["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
        assert response["headers"]["Vary"] == "Origin"


def test_cors_headers_do_not_displace_the_no_store_headers() -> None:
    headers = error_response(upstream_timeout(), cors_headers(ALLOWED_ORIGIN, ALLOWED))["headers"]
    assert headers["Cache-Control"] == "no-store"
    assert headers["Retry-After"].isdigit()


def test_a_401_to_a_basic_client_carries_its_challenge_and_others_carry_none() -> None:
    challenged = error_response(invalid_client("wrong client", 'Basic realm="x"'))
    assert (challenged["statusCode"], challenged["headers"]["WWW-Authenticate"]) == (401, 'Basic realm="x"')
    assert json.loads(challenged["body"]) == {"error": "invalid_client", "error_description": "wrong client"}
    assert "WWW-Authenticate" not in error_response(invalid_client("wrong client"))["headers"]
    assert "WWW-Authenticate" not in error_response(bad_request("no"))["headers"]


def test_a_preflight_allows_the_headers_oauth_libraries_send() -> None:
    headers = preflight_response(cors_headers(ALLOWED_ORIGIN, ALLOWED))["headers"]
    allowed = {name.strip().lower() for name in headers["Access-Control-Allow-Headers"].split(",")}
    assert allowed == {"content-type", "authorization"}


def test_a_preflight_from_an_allowed_origin_allows_post_with_a_content_type() -> None:
    response = preflight_response(cors_headers(ALLOWED_ORIGIN, ALLOWED))
    assert (response["statusCode"], response["body"]) == (204, "")
    headers = response["headers"]
    assert headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "POST" in headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in headers["Access-Control-Allow-Headers"]
    assert int(headers["Access-Control-Max-Age"]) > 0
    assert headers["Vary"] == "Origin"


@pytest.mark.parametrize("origin", ["https://evil.example", None])
def test_a_preflight_from_any_other_origin_gets_no_cors_headers(origin: str | None) -> None:
    response = preflight_response(cors_headers(origin, ALLOWED))
    assert response["statusCode"] == 204
    assert cors_only(response["headers"]) == {}


def test_a_preflight_without_allowed_origins_gets_no_cors_headers() -> None:
    assert cors_only(preflight_response(cors_headers(ALLOWED_ORIGIN, frozenset()))["headers"]) == {}


def test_responses_do_not_share_header_dicts() -> None:
    first = json_response(200, TOKENS)
    first["headers"]["X-Mutated"] = "yes"
    assert "X-Mutated" not in json_response(200, TOKENS)["headers"]
