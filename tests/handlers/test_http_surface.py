"""The HTTP surface around the grants: response headers, CORS, methods, configuration, odd events,
and client mistakes that must be refused before anything reaches Kick."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.assertions import assert_error, assert_no_store_headers
from tests.support.events import rest_event
from tests.support.kick_stub import json_answer
from tests.support.logs import CapturedOutput
from tests.support.proxy import ALLOWED_ORIGIN, REDIRECT_URI, VERIFIER, Proxy
from tests.support.token_requests import EXCHANGE, REFRESH, exchange_event, exchange_fields, refresh_event

# --- CORS -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("header_name", ["Origin", "origin"])
def test_the_allowed_origin_gets_access_control_allow_origin(proxy: Proxy, header_name: str) -> None:
    answer = proxy.exchange(exchange_event(headers={header_name: ALLOWED_ORIGIN}))

    assert answer.status == 200
    assert answer.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "Origin" in answer.headers.get("Vary", "")


def test_the_allowed_origin_can_read_errors_too(proxy: Proxy) -> None:
    proxy.kick.answer(json_answer(400, {"error": "Invalid request"}))

    answer = proxy.refresh(refresh_event(headers={"Origin": ALLOWED_ORIGIN}))

    assert_error(answer, 400, "invalid_grant")
    assert answer.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        f"{ALLOWED_ORIGIN}/",
        ALLOWED_ORIGIN.upper(),
        f"{ALLOWED_ORIGIN}0",
        ALLOWED_ORIGIN.replace("http://", "https://"),
        f"{ALLOWED_ORIGIN}.evil.example",
        "null",
        "*",
        "",
    ],
)
def test_any_other_origin_gets_no_cors_headers(proxy: Proxy, origin: str) -> None:
    answer = proxy.exchange(exchange_event(headers={"Origin": origin}))

    assert answer.status == 200
    assert "Access-Control-Allow-Origin" not in answer.headers


def test_no_origin_gets_no_cors_headers(proxy: Proxy) -> None:
    answer = proxy.exchange(exchange_event())

    assert answer.status == 200
    assert "Access-Control-Allow-Origin" not in answer.headers


def test_an_empty_allowed_origins_list_means_no_cors_headers_at_all(proxy: Proxy) -> None:
    proxy.set_env("ALLOWED_ORIGINS", "")

    answer = proxy.exchange(exchange_event(headers={"Origin": ALLOWED_ORIGIN}))

    assert answer.status == 200
    assert not [name for name in answer.headers if name.lower().startswith("access-control-")]


@pytest.mark.parametrize("path", [EXCHANGE, REFRESH, "/v1/kick/token", "/v1/kick/revoke"])
def test_a_preflight_from_the_allowed_origin_is_answered_without_calling_kick(proxy: Proxy, path: str) -> None:
    event = rest_event(
        path,
        None,
        {
            "Origin": ALLOWED_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        method="OPTIONS",
    )
    endpoint = {EXCHANGE: proxy.exchange, REFRESH: proxy.refresh, "/v1/kick/token": proxy.token}

    answer = endpoint.get(path, proxy.revoke)(event)

    assert answer.status == 204
    assert answer.body == ""
    assert_no_store_headers(answer)
    assert answer.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert answer.headers["Access-Control-Allow-Methods"] == "POST, OPTIONS"
    # What OAuth client libraries send: a body, and HTTP Basic client authentication.
    assert answer.headers["Access-Control-Allow-Headers"] == "Content-Type, Authorization"
    assert answer.headers["Access-Control-Max-Age"] == "600"
    assert proxy.kick.received == []


def test_a_preflight_from_another_origin_gets_no_cors_headers(proxy: Proxy) -> None:
    event = rest_event(EXCHANGE, None, {"Origin": "https://evil.example"}, method="OPTIONS")

    answer = proxy.exchange(event)

    assert answer.status == 204
    assert not [name for name in answer.headers if name.lower().startswith("access-control-")]
    assert_no_store_headers(answer)
    assert proxy.kick.received == []


# --- methods, configuration, odd events -------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "HEAD"])
def test_methods_other_than_post_are_405(proxy: Proxy, method: str) -> None:
    event = rest_event(EXCHANGE, json.dumps(exchange_fields()), {"Content-Type": "application/json"}, method=method)

    answer = proxy.exchange(event)

    assert_error(answer, 405, "invalid_request")
    assert answer.headers["Allow"] == "POST, OPTIONS"
    assert proxy.kick.received == []


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("KICK_SECRET_ID", None),
        ("KICK_SECRET_ID", "  "),
        ("UPSTREAM_TIMEOUT_SECONDS", "ten"),
        ("UPSTREAM_TIMEOUT_SECONDS", "0"),
        ("UPSTREAM_TIMEOUT_SECONDS", "-1"),
        ("UPSTREAM_TIMEOUT_SECONDS", "nan"),
        ("UPSTREAM_TIMEOUT_SECONDS", "inf"),
        ("KICK_TOKEN_URL", "ftp://id.kick.com/oauth/token"),
        ("KICK_TOKEN_URL", "id.kick.com/oauth/token"),
    ],
)
def test_a_misconfigured_function_answers_server_error_and_logs_it(
    proxy: Proxy, output: CapturedOutput, name: str, value: str | None
) -> None:
    if value is None:
        proxy.monkeypatch.delenv(name)
    else:
        proxy.set_env(name, value)

    exchanged = proxy.exchange(exchange_event())
    refreshed = proxy.refresh(refresh_event())

    assert_error(exchanged, 500, "server_error")
    assert_error(refreshed, 500, "server_error")
    assert proxy.kick.received == []
    errors = [line for line in output.json_lines() if line["level"] == "ERROR"]
    assert len(errors) == 2
    assert all(name in line["reason"] for line in errors)
    # The variable's name is logged, never its value (values too short to tell apart from other digits aside).
    if value is not None and len(value.strip()) >= 3:
        assert all(value not in json.dumps(line) for line in errors)


def test_no_allowlisted_redirect_uris_refuses_every_exchange(proxy: Proxy) -> None:
    proxy.set_env("ALLOWED_REDIRECT_URIS", "")

    assert_error(proxy.exchange(exchange_event()), 400, "invalid_request")
    assert proxy.refresh(refresh_event()).status == 200


def _with(**changes: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def change(event: dict[str, Any]) -> dict[str, Any]:
        return {**event, **changes}

    return change


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(_with(headers=None, multiValueHeaders=None, body=None), id="null-headers-and-body"),
        pytest.param(_with(body=None), id="null-body"),
        pytest.param(_with(body=""), id="empty-body"),
        pytest.param(_with(body=None, isBase64Encoded=True), id="null-base64-body"),
        pytest.param(_with(requestContext=None, body=None), id="null-request-context"),
    ],
)
def test_an_event_with_null_parts_is_answered_invalid_request(
    proxy: Proxy, change: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    answer = proxy.exchange(change(exchange_event()))

    assert_error(answer, 400, "invalid_request")
    assert proxy.kick.received == []


@pytest.mark.parametrize("headers", [None, {"Content-Type": None}], ids=["null-headers", "null-header-value"])
def test_null_headers_with_a_json_body_still_succeed(proxy: Proxy, headers: dict[str, None] | None) -> None:
    event = {**exchange_event(), "headers": headers, "multiValueHeaders": None}

    answer = proxy.exchange(event)

    assert answer.status == 200


@pytest.mark.parametrize("event", [{}, None, [], "not an event"], ids=["empty", "none", "list", "string"])
def test_an_event_that_is_not_an_api_gateway_event_is_answered_in_the_contracts_shape(proxy: Proxy, event: Any) -> None:
    from handlers.exchange import lambda_handler

    response = lambda_handler(event, None)

    # No method and no body: the pipeline gets as far as the body, which is empty.
    assert response["statusCode"] == 400
    assert response["headers"]["Cache-Control"] == "no-store"
    assert json.loads(response["body"])["error"] == "invalid_request"
    assert proxy.kick.received == []


# --- client mistakes never reach Kick ---------------------------------------------------------------

INVALID_EXCHANGES: list[Any] = [
    pytest.param({"code_verifier": VERIFIER, "redirect_uri": REDIRECT_URI}, id="missing-code"),
    pytest.param(exchange_fields(""), id="empty-code"),
    pytest.param(exchange_fields(123), id="numeric-code"),
    pytest.param(exchange_fields(["a", "b"]), id="list-code"),
    pytest.param(exchange_fields(code_verifier=VERIFIER[:42]), id="verifier-42-chars"),
    pytest.param(exchange_fields(code_verifier="a" * 129), id="verifier-129-chars"),
    pytest.param(exchange_fields(code_verifier=VERIFIER[:-1] + "+"), id="verifier-plus"),
    pytest.param(exchange_fields(code_verifier=VERIFIER[:-1] + "="), id="verifier-padding"),
    pytest.param(exchange_fields(code_verifier=VERIFIER + "\n"), id="verifier-newline"),
    pytest.param(exchange_fields(redirect_uri=REDIRECT_URI + "/"), id="redirect-trailing-slash"),
    pytest.param(exchange_fields(redirect_uri=REDIRECT_URI.upper()), id="redirect-case"),
    pytest.param(exchange_fields(redirect_uri=REDIRECT_URI.replace("://", "%3A//")), id="redirect-encoded"),
    pytest.param(exchange_fields(redirect_uri=REDIRECT_URI + "?x=1"), id="redirect-query"),
    pytest.param(exchange_fields(redirect_uri=" " + REDIRECT_URI), id="redirect-space"),
    pytest.param(exchange_fields(redirect_uri="https://evil.example/callback"), id="redirect-foreign"),
]


@pytest.mark.parametrize("fields", INVALID_EXCHANGES)
def test_an_invalid_exchange_is_invalid_request_and_never_reaches_kick(proxy: Proxy, fields: dict[str, Any]) -> None:
    answer = proxy.exchange(rest_event(EXCHANGE, json.dumps(fields), {"Content-Type": "application/json"}))

    assert_error(answer, 400, "invalid_request")
    assert proxy.kick.received == []


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        pytest.param("{not json", {"Content-Type": "application/json"}, 400, id="broken-json"),
        pytest.param('["refresh_token"]', {"Content-Type": "application/json"}, 400, id="json-array"),
        pytest.param(
            '{"refresh_token": "a", "refresh_token": "b"}', {"Content-Type": "application/json"}, 400, id="dup"
        ),
        pytest.param("refresh_token=a&refresh_token=b", {}, 400, id="duplicate-form-field"),
        pytest.param("refresh_token=x", {"Content-Type": "text/plain"}, 415, id="text-plain"),
        pytest.param("refresh_token=x", {"Content-Type": "multipart/form-data; boundary=x"}, 415, id="multipart"),
        pytest.param(json.dumps({"refresh_token": "x" * 20000}), {"Content-Type": "application/json"}, 413, id="big"),
        pytest.param("[" * 100000, {"Content-Type": "application/json"}, 413, id="deep-json"),
        pytest.param('{"refresh_token": null}', {"Content-Type": "application/json"}, 400, id="null-token"),
        pytest.param('{"refresh_token": {"$ne": ""}}', {"Content-Type": "application/json"}, 400, id="object-token"),
    ],
)
def test_an_invalid_refresh_body_is_refused_and_never_reaches_kick(
    proxy: Proxy, body: str, headers: dict[str, str], status: int
) -> None:
    answer = proxy.refresh(rest_event(REFRESH, body, headers))

    assert_error(answer, status, "invalid_request")
    assert proxy.kick.received == []


def test_a_body_that_is_not_valid_base64_is_invalid_request(proxy: Proxy) -> None:
    event = {**refresh_event(), "isBase64Encoded": True, "body": "not base64!!"}

    assert_error(proxy.refresh(event), 400, "invalid_request")
    assert proxy.kick.received == []


def test_a_base64_body_that_decodes_to_invalid_utf8_is_invalid_request(proxy: Proxy) -> None:
    event = {**refresh_event(), "isBase64Encoded": True, "body": base64.b64encode(b"refresh_token=\xff\xfe").decode()}
    event["headers"] = {"Content-Type": "application/x-www-form-urlencoded"}

    assert_error(proxy.refresh(event), 400, "invalid_request")
    assert proxy.kick.received == []


def test_an_oversized_base64_body_is_413(proxy: Proxy) -> None:
    raw = json.dumps({"refresh_token": "x" * 20000}).encode()
    event = rest_event(REFRESH, raw, {"Content-Type": "application/json"})

    assert_error(proxy.refresh(event), 413, "invalid_request")
