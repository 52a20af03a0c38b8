"""Both grants succeed, and Kick receives exactly the form it documents, whatever the client sent."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest

from tests.support.assertions import assert_no_store_headers
from tests.support.events import json_event, rest_event
from tests.support.kick_stub import token_answer
from tests.support.proxy import DEV_REDIRECT_URI, REDIRECT_URI, Invocation, Proxy
from tests.support.token_requests import (
    EXCHANGE,
    REFRESH,
    exchange_event,
    exchange_fields,
    expected_exchange_form,
    expected_refresh_form,
    refresh_event,
)

AWKWARD = "a&b=c+d e%25/?#;x==\u00e9"


def test_exchange_returns_kicks_token_json_exactly_as_kick_sent_it(proxy: Proxy) -> None:
    proxy.kick.answer(token_answer("kick-access-1", "kick-refresh-1"))

    answer = proxy.exchange(exchange_event("code-1"))

    assert answer.status == 200
    assert_no_store_headers(answer)
    assert answer.body == proxy.kick.answers[0].body.decode()
    assert answer.json["access_token"] == "kick-access-1"
    assert answer.json["refresh_token"] == "kick-refresh-1"


def test_exchange_sends_kick_exactly_the_documented_form(proxy: Proxy) -> None:
    answer = proxy.exchange(exchange_event("code-1"))

    assert answer.status == 200
    [received] = proxy.kick.received
    assert received.path == "/oauth/token"
    assert received.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert sorted(received.form_pairs) == expected_exchange_form("code-1")


def test_exchange_accepts_every_allowlisted_redirect_uri(proxy: Proxy) -> None:
    answer = proxy.exchange(exchange_event(redirect_uri=DEV_REDIRECT_URI))

    assert answer.status == 200
    assert proxy.kick.received[-1].form["redirect_uri"] == DEV_REDIRECT_URI


def test_refresh_returns_kicks_rotated_tokens(proxy: Proxy) -> None:
    proxy.kick.answer(token_answer("kick-access-2", "kick-refresh-2"))

    answer = proxy.refresh(refresh_event("refresh-1"))

    assert answer.status == 200
    assert_no_store_headers(answer)
    assert answer.json["refresh_token"] == "kick-refresh-2"
    [received] = proxy.kick.received
    assert sorted(received.form_pairs) == expected_refresh_form("refresh-1")


# What a client may add on its own; none of it reaches Kick. (A grant_type other than the path's own is
# refused: tests/handlers/test_token_endpoint.py.)
SMUGGLED = {
    "client_id": "attacker-client",
    "client_secret": "attacker-secret",
    "scope": "channel:write admin",
    "state": "xyz",
    "unknown_field": "ignored",
}


def _exchange_with(proxy: Proxy, extra: dict[str, str]) -> tuple[Invocation, list[tuple[str, str]]]:
    fields = {**exchange_fields("code-1"), "grant_type": "authorization_code", "refresh_token": "smuggled", **extra}
    return proxy.exchange(json_event(EXCHANGE, fields)), expected_exchange_form("code-1")


def _refresh_with(proxy: Proxy, extra: dict[str, str]) -> tuple[Invocation, list[tuple[str, str]]]:
    fields = {
        "grant_type": "refresh_token",
        "refresh_token": "refresh-1",
        "code": "smuggled-code",
        "redirect_uri": "https://evil.example/cb",
        **extra,
    }
    return proxy.refresh(json_event(REFRESH, fields)), expected_refresh_form("refresh-1")


@pytest.mark.parametrize("send", [_exchange_with, _refresh_with], ids=["exchange", "refresh"])
def test_client_chosen_grant_type_credentials_scope_and_unknown_fields_are_never_forwarded(
    proxy: Proxy, send: Callable[[Proxy, dict[str, str]], tuple[Invocation, list[tuple[str, str]]]]
) -> None:
    answer, expected_form = send(proxy, SMUGGLED)

    assert answer.status == 200
    assert sorted(proxy.kick.received[-1].form_pairs) == expected_form


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        pytest.param(
            "application/x-www-form-urlencoded",
            urlencode([*exchange_fields("code-1").items(), ("state", "a"), ("state", "b")]),
            id="form",
        ),
        pytest.param(
            "application/json", json.dumps(exchange_fields("code-1"))[:-1] + ', "state": "a", "state": "b"}', id="json"
        ),
    ],
)
def test_an_unknown_field_sent_twice_is_ignored_like_any_other(proxy: Proxy, content_type: str, body: str) -> None:
    answer = proxy.exchange(rest_event(EXCHANGE, body, {"Content-Type": content_type}))

    assert answer.status == 200
    assert sorted(proxy.kick.received[-1].form_pairs) == expected_exchange_form("code-1")


def test_values_with_ampersand_equals_and_plus_reach_kick_unchanged(proxy: Proxy) -> None:
    assert proxy.exchange(exchange_event(AWKWARD)).status == 200
    assert proxy.refresh(refresh_event(AWKWARD)).status == 200

    exchange, refresh = proxy.kick.received
    assert sorted(exchange.form_pairs) == expected_exchange_form(AWKWARD)
    assert sorted(refresh.form_pairs) == expected_refresh_form(AWKWARD)
    for received in (exchange, refresh):
        assert b"a&b" not in received.body
        assert b"c+d" not in received.body  # a literal '+' would read as a space


def test_a_client_secret_with_form_metacharacters_is_encoded_too(proxy: Proxy) -> None:
    secret = "s3cr&t=+/ x"
    proxy.moto.put_secret(proxy.secret_id, {"client_id": "test-client-id", "client_secret": secret})

    answer = proxy.refresh(refresh_event("refresh-1"))

    assert answer.status == 200
    assert sorted(proxy.kick.received[-1].form_pairs) == expected_refresh_form("refresh-1", client_secret=secret)


@pytest.mark.parametrize(
    ("content_type", "encode"),
    [
        pytest.param("application/json", json.dumps, id="json"),
        pytest.param("application/json; charset=utf-8", json.dumps, id="json-with-charset"),
        pytest.param("application/vnd.api+json", json.dumps, id="structured-plus-json"),
        pytest.param("application/x-www-form-urlencoded", urlencode, id="form"),
        pytest.param("application/x-www-form-urlencoded; charset=UTF-8", urlencode, id="form-with-charset"),
    ],
)
@pytest.mark.parametrize("base64_encoded", [False, True], ids=["plain", "base64"])
def test_exchange_accepts_json_and_form_bodies_plain_or_base64(
    proxy: Proxy, content_type: str, encode: object, base64_encoded: bool
) -> None:
    fields = exchange_fields(AWKWARD)
    body = encode(fields)  # type: ignore[operator]
    event = rest_event(EXCHANGE, body, {"Content-Type": content_type}, base64_encoded=base64_encoded)

    answer = proxy.exchange(event)

    assert answer.status == 200, answer.body
    assert sorted(proxy.kick.received[-1].form_pairs) == expected_exchange_form(AWKWARD)


@pytest.mark.parametrize("base64_encoded", [False, True], ids=["plain", "base64"])
def test_refresh_accepts_a_form_body_plain_or_base64(proxy: Proxy, base64_encoded: bool) -> None:
    body = urlencode({"refresh_token": AWKWARD})
    event = rest_event(
        REFRESH, body, {"content-type": "application/x-www-form-urlencoded"}, base64_encoded=base64_encoded
    )

    answer = proxy.refresh(event)

    assert answer.status == 200
    assert sorted(proxy.kick.received[-1].form_pairs) == expected_refresh_form(AWKWARD)


def test_a_binary_body_api_gateway_base64_encoded_is_decoded(proxy: Proxy) -> None:
    raw = json.dumps(exchange_fields("code-\u00e9")).encode("utf-8")
    event = rest_event(EXCHANGE, raw, {"Content-Type": "application/json"})
    assert event["isBase64Encoded"] is True
    assert event["body"] == base64.b64encode(raw).decode()

    answer = proxy.exchange(event)

    assert answer.status == 200
    assert proxy.kick.received[-1].form["code"] == "code-\u00e9"


def test_a_json_object_without_content_type_is_read_as_json(proxy: Proxy) -> None:
    event = rest_event(EXCHANGE, json.dumps(exchange_fields("code-1")), headers={})

    answer = proxy.exchange(event)

    assert answer.status == 200
    assert sorted(proxy.kick.received[-1].form_pairs) == expected_exchange_form("code-1")


def test_the_handler_answers_without_a_lambda_context(proxy: Proxy) -> None:
    from handlers.exchange import lambda_handler as exchange
    from handlers.refresh import lambda_handler as refresh

    exchanged = exchange(exchange_event("code-1"), None)
    refreshed = refresh(refresh_event("refresh-1"), None)

    assert exchanged["statusCode"] == 200
    assert refreshed["statusCode"] == 200
    assert exchanged["headers"]["Cache-Control"] == "no-store"
    assert len(proxy.kick.received) == 2


@pytest.mark.parametrize(
    "context",
    [
        SimpleNamespace(aws_request_id="only-a-request-id"),
        SimpleNamespace(function_name="kick-oauth-proxy", get_remaining_time_in_millis=lambda: 15000),
        {"aws_request_id": "a-dict"},
    ],
)
def test_the_handler_answers_with_a_partial_lambda_context(proxy: Proxy, context: object) -> None:
    from handlers.exchange import lambda_handler as exchange

    answered = exchange(exchange_event("code-1"), context)

    assert answered["statusCode"] == 200


def test_redirect_uri_is_form_encoded_and_reaches_kick_byte_for_byte(proxy: Proxy) -> None:
    answer = proxy.exchange(exchange_event(redirect_uri=REDIRECT_URI))

    assert answer.status == 200
    assert f"redirect_uri={REDIRECT_URI}".encode() not in proxy.kick.received[-1].body  # it is encoded...
    assert proxy.kick.received[-1].form["redirect_uri"] == REDIRECT_URI  # ...and decodes to the same bytes
