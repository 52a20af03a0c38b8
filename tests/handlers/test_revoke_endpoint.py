"""POST /v1/kick/revoke through lambda_handler: RFC 7009 for public clients, forwarded as Kick documents it."""

from __future__ import annotations

import base64
import time
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.support.assertions import assert_error, assert_no_store_headers, assert_retry_after
from tests.support.events import json_event, rest_event
from tests.support.kick_stub import Answer, KickStub, html_answer, json_answer, revoked_answer
from tests.support.logs import CapturedOutput
from tests.support.proxy import ALLOWED_ORIGIN, CLIENT_ID, CLIENT_SECRET, Proxy
from tests.support.sockets import DripServer, closed_port, http_response

REVOKE = "/v1/kick/revoke"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
TOKEN = "refresh+token/with=odd&chars"


def revoke_form(fields: dict[str, str], headers: dict[str, str] | None = None) -> dict[str, Any]:
    return rest_event(REVOKE, urlencode(fields), {**FORM, **(headers or {})})


def basic(client_id: str, password: str = "") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{password}".encode()).decode()}


def test_a_revocation_reaches_kick_as_kick_documents_it(proxy: Proxy) -> None:
    proxy.kick.answer(revoked_answer())

    answer = proxy.revoke(revoke_form({"token": TOKEN, "token_type_hint": "refresh_token", "client_id": CLIENT_ID}))

    assert answer.status == 200, answer.body
    assert_no_store_headers(answer)
    assert answer.json == {}
    [received] = proxy.kick.received
    assert received.path.startswith("/oauth/revoke?")
    assert received.query_pairs == [("token", TOKEN), ("token_hint_type", "refresh_token")]
    assert received.body == b""
    assert received.headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_kick_takes_no_credentials_there_so_the_proxys_secret_never_goes_there(proxy: Proxy) -> None:
    proxy.kick.answer(revoked_answer())

    proxy.revoke(revoke_form({"token": TOKEN, "client_secret": "app-secret"}, basic(CLIENT_ID, "app-secret")))

    [received] = proxy.kick.received
    everything = f"{received.path} {received.headers} {received.body!r}"
    assert CLIENT_SECRET not in everything
    assert "app-secret" not in everything
    assert "Authorization" not in received.headers
    assert received.query_pairs == [("token", TOKEN)]


def test_json_bodies_are_accepted_as_on_the_other_endpoints(proxy: Proxy) -> None:
    proxy.kick.answer(revoked_answer())

    answer = proxy.revoke(json_event(REVOKE, {"token": TOKEN, "token_type_hint": "access_token"}))

    assert answer.status == 200
    assert proxy.kick.received[0].query_pairs == [("token", TOKEN), ("token_hint_type", "access_token")]


@pytest.mark.parametrize(
    "kick_answer",
    [json_answer(400, {"error": "Invalid request"}), json_answer(401, {"data": {}, "message": "Unauthorized"})],
    ids=["invalid-request", "unauthorized"],
)
def test_revoking_a_token_kick_does_not_know_answers_200(proxy: Proxy, kick_answer: Answer) -> None:
    proxy.kick.answer(kick_answer)

    answer = proxy.revoke(revoke_form({"token": "never-issued"}))

    assert answer.status == 200, answer.body
    assert answer.json == {}


def test_a_hint_outside_the_two_is_unsupported_token_type(proxy: Proxy) -> None:
    answer = proxy.revoke(revoke_form({"token": TOKEN, "token_type_hint": "id_token"}))

    assert_error(answer, 400, "unsupported_token_type")
    assert proxy.kick.received == []


def test_a_missing_token_is_invalid_request(proxy: Proxy) -> None:
    assert_error(proxy.revoke(revoke_form({"token_type_hint": "access_token"})), 400, "invalid_request")
    assert proxy.kick.received == []


@pytest.mark.parametrize("by_basic", [False, True], ids=["form", "basic"])
def test_a_foreign_client_id_is_invalid_client(proxy: Proxy, by_basic: bool) -> None:
    fields = {"token": TOKEN} if by_basic else {"token": TOKEN, "client_id": "someone-elses-client"}

    answer = proxy.revoke(revoke_form(fields, basic("someone-elses-client") if by_basic else {}))

    assert_error(answer, 401, "invalid_client")
    assert ("WWW-Authenticate" in answer.headers) == by_basic
    assert proxy.kick.received == []


def test_basic_with_the_deployments_id_and_an_empty_password_is_accepted(proxy: Proxy) -> None:
    proxy.kick.answer(revoked_answer())

    assert proxy.revoke(revoke_form({"token": TOKEN}, basic(CLIENT_ID))).status == 200


def test_without_a_client_id_the_secret_is_not_even_read(proxy: Proxy) -> None:
    proxy.kick.answer(revoked_answer())
    proxy.set_env("KICK_SECRET_ID", "no-such-secret")
    proxy.new_container()

    assert proxy.revoke(revoke_form({"token": TOKEN})).status == 200
    assert_error(proxy.revoke(revoke_form({"token": TOKEN, "client_id": CLIENT_ID})), 500, "server_error")
    assert len(proxy.kick.received) == 1


@pytest.mark.parametrize(
    "kick_answer",
    [
        json_answer(500, {"error": "Internal server error"}, {"Retry-After": "12"}),
        json_answer(503, {}, {"Retry-After": "12"}),
        html_answer(403),
        html_answer(200),
        json_answer(429, {}, {"Retry-After": "12"}),
    ],
    ids=["500", "503", "cloudflare-403", "html-200", "429"],
)
def test_kick_failing_is_502_with_retry_after_and_is_not_retried(proxy: Proxy, kick_answer: Answer) -> None:
    proxy.kick.answer(kick_answer)

    answer = proxy.revoke(revoke_form({"token": TOKEN}))

    assert_error(answer, 502, "upstream_unavailable")
    assert_retry_after(answer)
    assert len(proxy.kick.received) == 1


def test_kick_unreachable_is_502(proxy: Proxy) -> None:
    proxy.set_env("KICK_REVOKE_URL", f"http://127.0.0.1:{closed_port()}/oauth/revoke")

    answer = proxy.revoke(revoke_form({"token": TOKEN}))

    assert_error(answer, 502, "upstream_unavailable")
    assert_retry_after(answer)


def test_a_redirect_is_never_followed(proxy: Proxy, second_kick: KickStub) -> None:
    proxy.kick.answer(Answer(status=307, headers={"Location": second_kick.revoke_url}))

    assert_error(proxy.revoke(revoke_form({"token": TOKEN})), 502, "upstream_unavailable")
    assert second_kick.received == []


def test_the_total_deadline_cuts_off_a_kick_that_drips(proxy: Proxy) -> None:
    proxy.set_env("UPSTREAM_TIMEOUT_SECONDS", "1")
    with DripServer(http_response(200, b"OK" * 50, "text/plain"), 0.1) as dripping:
        proxy.set_env("KICK_REVOKE_URL", f"{dripping.url}/oauth/revoke")
        started = time.monotonic()
        answer = proxy.revoke(revoke_form({"token": TOKEN}))
        elapsed = time.monotonic() - started

    assert_error(answer, 504, "upstream_timeout")
    assert_retry_after(answer)
    assert 0.9 < elapsed < 2.0


def test_revocation_never_goes_through_the_replay_window(proxy: Proxy, output: CapturedOutput) -> None:
    proxy.kick.answer(revoked_answer())
    proxy.set_env("REPLAY_TABLE_NAME", "a-table-that-is-unreachable")
    proxy.set_env("AWS_ENDPOINT_URL_DYNAMODB", f"http://127.0.0.1:{closed_port()}")

    first = proxy.revoke(revoke_form({"token": TOKEN}))
    second = proxy.revoke(revoke_form({"token": TOKEN}))

    assert (first.status, second.status) == (200, 200)
    assert len(proxy.kick.received) == 2
    lines = output.json_lines()
    assert [line for line in lines if line["level"] == "WARNING"] == []
    assert all("replay" not in line for line in lines if line["message"] == "token request finished")


def test_the_preflight_allows_authorization(proxy: Proxy) -> None:
    event = rest_event(REVOKE, None, {"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "POST"}, "OPTIONS")

    answer = proxy.revoke(event)

    assert answer.status == 204
    assert "authorization" in answer.headers["Access-Control-Allow-Headers"].lower()


def test_a_method_other_than_post_is_405(proxy: Proxy) -> None:
    assert_error(proxy.revoke(revoke_form({"token": TOKEN}) | {"httpMethod": "GET"}), 405, "invalid_request")


def test_one_summary_line_says_what_kick_made_of_the_token(proxy: Proxy, output: CapturedOutput) -> None:
    proxy.kick.answer(revoked_answer(), json_answer(400, {"error": "Invalid request"}), json_answer(500, {}))

    for hint in ("refresh_token", None, "access_token"):
        proxy.revoke(revoke_form({"token": TOKEN, **({"token_type_hint": hint} if hint else {})}))

    lines = output.finished_lines()
    assert [
        (line["endpoint"], line["token_type_hint"], line["outcome"], line["status"], line["upstream_status"])
        for line in lines
    ] == [
        ("revoke", "refresh_token", "revoked", 200, 200),
        ("revoke", "none", "token_unknown", 200, 400),
        ("revoke", "access_token", "upstream_unavailable", 502, 500),
    ]
    assert all("grant_type" not in line for line in lines)
