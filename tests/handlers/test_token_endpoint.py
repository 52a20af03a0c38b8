"""POST /v1/kick/token through lambda_handler: RFC 6749 section 3.2 for public clients, raw conformance."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote_plus, urlencode

import pytest

from tests.support.assertions import assert_error, assert_no_store_headers
from tests.support.events import json_event, rest_event
from tests.support.kick_stub import Answer, json_answer, token_answer
from tests.support.logs import CapturedOutput
from tests.support.proxy import ALLOWED_ORIGIN, CLIENT_ID, REDIRECT_URI, VERIFIER, Proxy
from tests.support.token_requests import (
    EXCHANGE,
    REFRESH,
    exchange_event,
    expected_exchange_form,
    expected_refresh_form,
    refresh_event,
)

TOKEN = "/v1/kick/token"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def basic(client_id: str, password: str = "") -> dict[str, str]:
    pair = f"{quote_plus(client_id)}:{quote_plus(password)}".encode()
    return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}


def token_form(fields: dict[str, str], headers: dict[str, str] | None = None) -> dict[str, Any]:
    return rest_event(TOKEN, urlencode(fields), {**FORM, **(headers or {})})


def code_fields(code: str = "code-1", **extra: str) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": VERIFIER,
        "redirect_uri": REDIRECT_URI,
        **extra,
    }


def refresh_fields(refresh_token: str = "refresh-1", **extra: str) -> dict[str, str]:
    return {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra}


# --- the two grants, as libraries send them ---------------------------------------------------------


def test_a_code_exchange_with_the_client_id_in_the_body(proxy: Proxy) -> None:
    proxy.kick.answer(token_answer("access-1", "refresh-1"))

    answer = proxy.token(token_form(code_fields(client_id=CLIENT_ID)))

    assert answer.status == 200, answer.body
    assert_no_store_headers(answer)
    assert answer.json["access_token"] == "access-1"
    [received] = proxy.kick.received
    assert sorted(received.form_pairs) == expected_exchange_form("code-1")


def test_a_refresh_by_http_basic_with_an_empty_password(proxy: Proxy) -> None:
    proxy.kick.answer(token_answer("access-2", "refresh-2"))

    answer = proxy.token(token_form(refresh_fields(scope="user:read chat:write"), basic(CLIENT_ID)))

    assert answer.status == 200, answer.body
    assert answer.json["refresh_token"] == "refresh-2"
    assert sorted(proxy.kick.received[-1].form_pairs) == expected_refresh_form("refresh-1")


def test_a_public_client_may_send_no_client_authentication_at_all(proxy: Proxy) -> None:
    assert proxy.token(token_form(refresh_fields())).status == 200
    assert proxy.token(token_form(code_fields())).status == 200
    assert len(proxy.kick.received) == 2


def test_the_json_body_the_other_endpoints_take_works_too(proxy: Proxy) -> None:
    answer = proxy.token(json_event(TOKEN, code_fields(client_id=CLIENT_ID)))

    assert answer.status == 200, answer.body
    assert sorted(proxy.kick.received[-1].form_pairs) == expected_exchange_form("code-1")


def test_a_secret_the_app_presents_is_never_forwarded_only_the_proxys_own(proxy: Proxy) -> None:
    fields = refresh_fields(client_id=CLIENT_ID, client_secret="app-shipped-secret")

    answer = proxy.token(token_form(fields, basic(CLIENT_ID, "app-shipped-secret")))

    assert answer.status == 200, answer.body
    [received] = proxy.kick.received
    assert sorted(received.form_pairs) == expected_refresh_form("refresh-1")
    assert b"app-shipped-secret" not in received.body
    assert "app-shipped-secret" not in json.dumps(received.headers)


def test_the_exchange_is_validated_exactly_as_on_the_exchange_endpoint(proxy: Proxy) -> None:
    foreign = proxy.token(token_form(code_fields(redirect_uri=REDIRECT_URI + "/")))
    short = proxy.token(token_form(code_fields(code_verifier="too-short")))
    missing = proxy.token(token_form({"grant_type": "refresh_token"}))

    assert "redirect_uri" in assert_error(foreign, 400, "invalid_request")["error_description"]
    assert "code_verifier" in assert_error(short, 400, "invalid_request")["error_description"]
    assert "refresh_token" in assert_error(missing, 400, "invalid_request")["error_description"]
    assert proxy.kick.received == []


def test_kicks_refusal_is_passed_on_as_on_the_other_endpoints(proxy: Proxy) -> None:
    proxy.kick.answer(json_answer(400, {"error": "Invalid request"}))

    assert_error(proxy.token(token_form(refresh_fields())), 400, "invalid_grant")


def test_the_deadline_holds_on_the_token_endpoint(proxy: Proxy) -> None:
    proxy.set_env("UPSTREAM_TIMEOUT_SECONDS", "0.5")
    proxy.kick.answer(Answer(status=200, body=b"{}", delay_seconds=2))

    answer = proxy.token(token_form(refresh_fields()))

    assert_error(answer, 504, "upstream_timeout")
    assert answer.headers["Retry-After"].isdigit()


# --- RFC 6749 section 5.2 errors --------------------------------------------------------------------


def test_a_missing_grant_type_is_invalid_request(proxy: Proxy) -> None:
    answer = proxy.token(token_form({"refresh_token": "refresh-1"}))

    assert "grant_type" in assert_error(answer, 400, "invalid_request")["error_description"]
    assert proxy.kick.received == []


@pytest.mark.parametrize(
    "grant_type",
    ["client_credentials", "password", "urn:ietf:params:oauth:grant-type:device_code", "implicit", "REFRESH_TOKEN"],
)
def test_any_other_grant_type_is_unsupported_grant_type(proxy: Proxy, grant_type: str) -> None:
    answer = proxy.token(token_form({"grant_type": grant_type, "refresh_token": "r", "username": "u"}))

    assert_error(answer, 400, "unsupported_grant_type")
    assert proxy.kick.received == []


@pytest.mark.parametrize("by_basic", [False, True], ids=["form", "basic"])
def test_a_foreign_client_id_is_invalid_client(proxy: Proxy, by_basic: bool) -> None:
    fields = refresh_fields() if by_basic else refresh_fields(client_id="someone-elses-client")
    headers = basic("someone-elses-client") if by_basic else {}

    answer = proxy.token(token_form(fields, headers))

    document = assert_error(answer, 401, "invalid_client")
    assert "someone-elses-client" not in document["error_description"]
    if by_basic:
        assert answer.headers["WWW-Authenticate"].startswith("Basic ")
    else:
        assert "WWW-Authenticate" not in answer.headers
    assert proxy.kick.received == []


def test_the_deployments_client_id_is_read_from_its_secret(proxy: Proxy) -> None:
    proxy.moto.put_secret(proxy.secret_id, {"client_id": "rotated-client", "client_secret": "s"})
    proxy.new_container()

    assert proxy.token(token_form(refresh_fields(client_id="rotated-client"))).status == 200
    assert_error(proxy.token(token_form(refresh_fields(client_id=CLIENT_ID))), 401, "invalid_client")


def test_unreadable_basic_credentials_are_invalid_client(proxy: Proxy) -> None:
    answer = proxy.token(token_form(refresh_fields(), {"Authorization": "Basic not*base64"}))

    assert_error(answer, 401, "invalid_client")
    assert answer.headers["WWW-Authenticate"].startswith("Basic ")


# --- the old paths ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "event"),
    [
        (EXCHANGE, exchange_event("code-1", grant_type="refresh_token")),
        (REFRESH, refresh_event("refresh-1", grant_type="authorization_code")),
        (REFRESH, refresh_event("refresh-1", grant_type="client_credentials")),
    ],
    ids=["refresh-sent-to-exchange", "exchange-sent-to-refresh", "client-credentials-sent-to-refresh"],
)
def test_a_grant_type_contradicting_the_old_path_names_the_token_endpoint(
    proxy: Proxy, path: str, event: dict[str, Any]
) -> None:
    answer = proxy.exchange(event) if path == EXCHANGE else proxy.refresh(event)

    document = assert_error(answer, 400, "unsupported_grant_type")
    assert TOKEN in document["error_description"]
    assert proxy.kick.received == []


def test_the_old_paths_keep_accepting_their_own_grant_type_and_none(proxy: Proxy) -> None:
    assert proxy.exchange(exchange_event("code-1", grant_type="authorization_code")).status == 200
    assert proxy.refresh(refresh_event("refresh-1", grant_type="refresh_token")).status == 200
    assert proxy.refresh(refresh_event("refresh-2")).status == 200


# --- the shared surface -----------------------------------------------------------------------------


def test_the_preflight_allows_content_type_and_authorization(proxy: Proxy) -> None:
    event = rest_event(
        TOKEN,
        None,
        {
            "Origin": ALLOWED_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
        method="OPTIONS",
    )

    answer = proxy.token(event)

    assert answer.status == 204
    assert answer.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    allowed = {name.strip().lower() for name in answer.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"content-type", "authorization"} <= allowed
    assert proxy.kick.received == []


def test_a_method_other_than_post_is_405(proxy: Proxy) -> None:
    answer = proxy.token(rest_event(TOKEN, urlencode(refresh_fields()), FORM, method="GET"))

    assert_error(answer, 405, "invalid_request")
    assert answer.headers["Allow"] == "POST, OPTIONS"


def test_the_summary_line_names_the_grant_actually_dispatched(proxy: Proxy, output: CapturedOutput) -> None:
    proxy.token(token_form(refresh_fields()))
    proxy.token(token_form(code_fields()))
    proxy.token(token_form({"grant_type": "password"}))

    lines = output.finished_lines()
    assert [(line["endpoint"], line.get("grant_type"), line["outcome"]) for line in lines] == [
        ("token", "refresh_token", "success"),
        ("token", "authorization_code", "success"),
        ("token", None, "unsupported_grant_type"),
    ]
