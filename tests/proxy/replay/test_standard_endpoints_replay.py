"""/v1/kick/token shares the replay window with /exchange and /refresh; /v1/kick/revoke never uses it."""

from __future__ import annotations

from urllib.parse import urlencode

from tests.proxy.replay.conftest import new_container, scan
from tests.support.events import json_event, rest_event
from tests.support.kick_stub import revoked_answer, token_answer
from tests.support.proxy import CLIENT_ID, REDIRECT_URI, VERIFIER, Proxy

TOKEN = "/v1/kick/token"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
REFRESH_TOKEN = "kick-refresh-token-for-the-token-endpoint-77"
CODE = "kick-auth-code-for-the-token-endpoint-3e9a"


def token_refresh(proxy: Proxy, **extra: str) -> str:
    fields = {"grant_type": "refresh_token", "refresh_token": REFRESH_TOKEN, **extra}
    answer = proxy.token(rest_event(TOKEN, urlencode(fields), FORM))
    assert answer.status == 200, answer.body
    return answer.body


def test_a_token_endpoint_refresh_retried_on_another_container_gets_the_same_answer_without_kick(
    proxy: Proxy, replay_table: str
) -> None:
    proxy.kick.answer(token_answer("access-1", "rotated-1"), token_answer("access-2", "rotated-2"))

    first = token_refresh(proxy)
    new_container(proxy)
    retry = token_refresh(proxy, client_id=CLIENT_ID, scope="user:read")

    assert retry == first
    assert len(proxy.kick.received) == 1
    assert len(scan(proxy.moto, replay_table)) == 1


def test_the_same_grant_on_the_old_path_is_the_same_request_to_the_window(proxy: Proxy) -> None:
    proxy.kick.answer(token_answer("access-1", "rotated-1"), token_answer("access-2", "rotated-2"))

    code_fields = {"code": CODE, "code_verifier": VERIFIER, "redirect_uri": REDIRECT_URI}
    first = proxy.token(json_event(TOKEN, {"grant_type": "authorization_code", **code_fields}))
    new_container(proxy)
    retry = proxy.exchange(json_event("/v1/kick/exchange", code_fields))

    assert (first.status, retry.status) == (200, 200)
    assert retry.body == first.body
    assert len(proxy.kick.received) == 1


def test_revocations_are_never_kept_or_replayed(proxy: Proxy, replay_table: str) -> None:
    proxy.kick.answer(revoked_answer())
    event = rest_event("/v1/kick/revoke", urlencode({"token": REFRESH_TOKEN}), FORM)

    assert proxy.revoke(event).status == 200
    new_container(proxy)
    assert proxy.revoke(event).status == 200

    assert len(proxy.kick.received) == 2
    assert scan(proxy.moto, replay_table) == []
