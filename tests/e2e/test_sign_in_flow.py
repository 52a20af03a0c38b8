"""The reference desktop client and raw HTTP through the local API to the Kick emulator."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import pytest
import requests

from desktop_client.cli import EXIT_OK, EXIT_RETRY_LATER, EXIT_SIGN_IN_AGAIN, main
from desktop_client.token_store import account
from tests.e2e.conftest import APP_REDIRECT_URI, CLIENT_ID, DEV_REDIRECT_URI, ORIGIN, LocalStack

NO_STORE = {"Content-Type": "application/json", "Cache-Control": "no-store", "Pragma": "no-cache"}


def run_client(stack: LocalStack, token_file: Path, *command: str) -> int:
    return main(
        [
            "--proxy-url",
            stack.api_url,
            "--authorize-url",
            stack.authorize_url,
            "--client-id",
            CLIENT_ID,
            "--redirect-uri",
            stack.loopback_redirect_uri,
            "--token-file",
            str(token_file),
            *command,
        ]
    )


def stored(stack: LocalStack, token_file: Path) -> dict[str, object]:
    document: dict[str, object] = json.loads(token_file.read_text())["accounts"][account(CLIENT_ID, stack.api_url)]
    return document


def store(stack: LocalStack, token_file: Path, tokens: dict[str, object]) -> None:
    token_file.write_text(json.dumps({"accounts": {account(CLIENT_ID, stack.api_url): tokens}}))


def introspect(stack: LocalStack, access_token: object) -> requests.Response:
    return requests.post(
        f"{stack.emulator.base_url}/oauth/token/introspect",
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=5,
    )


def assert_no_store(answer: requests.Response) -> None:
    for name, value in NO_STORE.items():
        assert answer.headers[name] == value


def test_client_signs_in_refreshes_and_the_rotated_token_is_refused(
    stack: LocalStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token_file = tmp_path / "config" / "tokens.json"

    assert run_client(stack, token_file, "login", "--follow-redirect", "--timeout", "5") == 0
    first = stored(stack, token_file)
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert introspect(stack, first["access_token"]).json()["data"]["active"] is True
    out = capsys.readouterr().out
    assert "signed in" in out
    assert f"{str(first['access_token'])[:4]}…" in out
    assert str(first["access_token"]) not in out
    assert str(first["refresh_token"]) not in out

    # The emulator's tokens live 5 minutes: less than the client's 10-minute margin.
    assert run_client(stack, token_file, "refresh") == 0
    second = stored(stack, token_file)
    assert "refreshed" in capsys.readouterr().out
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]

    reused = stack.refresh(str(first["refresh_token"]))
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    assert_no_store(reused)

    # A client still holding the rotated token is told to sign in again and forgets it.
    store(stack, token_file, first)
    assert run_client(stack, token_file, "refresh") == EXIT_SIGN_IN_AGAIN
    assert "invalid_grant" in capsys.readouterr().err
    assert not token_file.exists()


def test_client_signs_in_refreshes_logs_out_and_the_revoked_token_is_refused(
    stack: LocalStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token_file = tmp_path / "tokens.json"
    assert run_client(stack, token_file, "login", "--follow-redirect", "--timeout", "5") == EXIT_OK
    assert run_client(stack, token_file, "refresh", "--force") == EXIT_OK
    signed_in = stored(stack, token_file)
    assert introspect(stack, signed_in["access_token"]).json()["data"]["active"] is True
    capsys.readouterr()

    assert run_client(stack, token_file, "logout") == EXIT_OK
    assert "signed out: tokens revoked through" in capsys.readouterr().out
    assert not token_file.exists()
    assert introspect(stack, signed_in["access_token"]).json()["data"]["active"] is False
    # So a logout retried after a lost answer succeeds: a revoked token is revoked again with a 200 (RFC 7009).
    again = requests.post(
        stack.revoke_url, data={"token": signed_in["refresh_token"], "token_type_hint": "refresh_token"}, timeout=15
    )
    assert (again.status_code, again.json()) == (200, {})

    # A copy of the revoked tokens (a backup, another install) is refused by Kick and forgotten.
    store(stack, token_file, signed_in)
    assert run_client(stack, token_file, "refresh", "--force") == EXIT_SIGN_IN_AGAIN
    assert "invalid_grant" in capsys.readouterr().err
    assert not token_file.exists()


def test_logout_while_kick_is_down_keeps_the_tokens_until_a_retry_revokes_them(
    clean_faults: LocalStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack, token_file = clean_faults, tmp_path / "tokens.json"
    assert run_client(stack, token_file, "login", "--follow-redirect", "--timeout", "5") == EXIT_OK
    signed_in = stored(stack, token_file)
    capsys.readouterr()

    stack.set_faults(status=503, retry_after="7", times=1)
    assert run_client(stack, token_file, "logout") == EXIT_RETRY_LATER
    error = capsys.readouterr().err
    assert "not signed out: the refresh token was not revoked: the proxy answered 502 upstream_unavailable" in error
    assert "Retry after 7 s" in error
    assert stored(stack, token_file) == signed_in
    assert introspect(stack, signed_in["access_token"]).json()["data"]["active"] is True

    assert run_client(stack, token_file, "logout") == EXIT_OK
    assert not token_file.exists()
    assert introspect(stack, signed_in["access_token"]).json()["data"]["active"] is False


def test_client_does_not_refresh_tokens_with_time_left(stack: LocalStack, tmp_path: Path) -> None:
    token_file = tmp_path / "tokens.json"
    store(
        stack,
        token_file,
        {
            "access_token": "still-good",
            "refresh_token": "unused",
            "token_type": "Bearer",
            "scope": "user:read",
            "expires_at": time.time() + 3600,
            "proxy_url": stack.api_url,
        },
    )
    assert run_client(stack, token_file, "refresh") == 0
    assert stored(stack, token_file)["access_token"] == "still-good"


def test_a_reused_code_is_invalid_grant(stack: LocalStack) -> None:
    code, verifier = stack.authorize()
    body = {"code": code, "code_verifier": verifier, "redirect_uri": DEV_REDIRECT_URI}

    first = stack.exchange(body)
    assert first.status_code == 200, first.text
    assert set(first.json()) == {"access_token", "token_type", "refresh_token", "expires_in", "scope"}
    assert first.json()["scope"] == "user:read chat:write"
    assert_no_store(first)

    again = stack.exchange(body)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_a_foreign_redirect_uri_never_reaches_kick(stack: LocalStack) -> None:
    code, verifier = stack.authorize()

    foreign = stack.exchange({"code": code, "code_verifier": verifier, "redirect_uri": "https://evil.example/cb"})
    assert foreign.status_code == 400
    assert foreign.json()["error"] == "invalid_request"
    assert_no_store(foreign)
    # Kick never saw the code (it would have burnt it): it still works with the right redirect URI.
    assert stack.exchange({"code": code, "code_verifier": verifier, "redirect_uri": DEV_REDIRECT_URI}).ok


def test_a_redirect_uri_other_than_the_authorized_one_is_invalid_grant(stack: LocalStack) -> None:
    code, verifier = stack.authorize(DEV_REDIRECT_URI)
    answer = stack.exchange({"code": code, "code_verifier": verifier, "redirect_uri": APP_REDIRECT_URI})
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_a_wrong_verifier_is_invalid_grant(stack: LocalStack) -> None:
    code, _ = stack.authorize()
    answer = stack.exchange({"code": code, "code_verifier": "x" * 43, "redirect_uri": DEV_REDIRECT_URI})
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_form_bodies_work_and_unknown_fields_are_not_forwarded(stack: LocalStack) -> None:
    code, verifier = stack.authorize()
    answer = requests.post(
        f"{stack.api_url}/v1/kick/exchange",
        data={"code": code, "code_verifier": verifier, "redirect_uri": DEV_REDIRECT_URI, "client_secret": "mine"},
        timeout=15,
    )
    assert answer.status_code == 200, answer.text


def test_kick_refusing_the_proxys_secret_is_server_error(stack: LocalStack) -> None:
    from local.kick_emulator import start_emulator
    from local.kick_oauth import ClientApp, KickOAuthServer

    other = start_emulator(
        KickOAuthServer(ClientApp(CLIENT_ID, "another-secret", frozenset({DEV_REDIRECT_URI}))), quiet=True
    )
    try:
        with pytest.MonkeyPatch.context() as monkeypatch:
            monkeypatch.setenv("KICK_TOKEN_URL", f"{other.base_url}/oauth/token")
            answer = stack.refresh("any-refresh-token")
    finally:
        other.stop()
    assert answer.status_code == 500
    assert answer.json()["error"] == "server_error"


@pytest.mark.parametrize(
    ("faults", "status", "error"),
    [
        ({"status": 503, "retry_after": "7"}, 502, "upstream_unavailable"),
        ({"html": True}, 502, "upstream_unavailable"),
        ({"status": 429}, 502, "upstream_unavailable"),
    ],
)
def test_kick_failures_are_retryable_errors(
    clean_faults: LocalStack, faults: dict[str, object], status: int, error: str
) -> None:
    clean_faults.set_faults(**faults, times=1)
    answer = clean_faults.refresh("any-refresh-token")
    assert answer.status_code == status
    assert answer.json()["error"] == error
    assert answer.headers["Retry-After"] == str(faults.get("retry_after", 5))
    assert_no_store(answer)


@pytest.mark.parametrize("faults", [{"drip_ms": 200}, {"latency_ms": 3000}])
def test_a_slow_kick_is_cut_off_at_the_deadline(clean_faults: LocalStack, faults: dict[str, object]) -> None:
    clean_faults.monkeypatch.setenv("UPSTREAM_TIMEOUT_SECONDS", "0.5")
    clean_faults.set_faults(**faults, times=1)
    try:
        started = time.monotonic()
        answer = clean_faults.refresh("any-refresh-token")
        elapsed = time.monotonic() - started
    finally:
        clean_faults.monkeypatch.delenv("UPSTREAM_TIMEOUT_SECONDS")
    assert answer.status_code == 504
    assert answer.json()["error"] == "upstream_timeout"
    assert elapsed < 2.0


def test_cors_only_for_allowed_origins(stack: LocalStack) -> None:
    allowed = requests.post(f"{stack.api_url}/v1/kick/refresh", json={}, headers={"Origin": ORIGIN}, timeout=5)
    assert allowed.headers["Access-Control-Allow-Origin"] == ORIGIN
    other = requests.post(
        f"{stack.api_url}/v1/kick/refresh", json={}, headers={"Origin": "https://evil.example"}, timeout=5
    )
    assert "Access-Control-Allow-Origin" not in other.headers
    assert (allowed.status_code, other.status_code) == (400, 400)  # {} lacks refresh_token


def test_bodies_that_are_not_utf8_arrive_base64_encoded(stack: LocalStack) -> None:
    answer = requests.post(
        f"{stack.api_url}/v1/kick/refresh",
        data=b"refresh_token=\xff\xfe",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=5,
    )
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_request", "error_description": "the request body is not valid UTF-8"}
