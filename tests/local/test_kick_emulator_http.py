"""The emulator over HTTP: Kick's status codes, shapes and parameter placement, and the fault switches."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from local.faults import Faults
from local.kick_emulator import EmulatorServer, nextjs_rewrite, start_emulator
from local.kick_oauth import ClientApp, KickOAuthServer, s256

SECRET = "dev-secret"
LOOPBACK = "http://127.0.0.1:53682/callback"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    app = ClientApp("local-dev-client", SECRET, frozenset({LOOPBACK, "http://localhost:1420/auth/callback"}))
    server = start_emulator(KickOAuthServer(app), quiet=True)
    yield server
    server.stop()


def authorize_url(emulator: EmulatorServer, decoy: bool = True) -> str:
    decoy_param = "redirect=127.0.0.1&" if decoy else ""
    return (
        f"{emulator.base_url}/oauth/authorize?response_type=code&client_id=local-dev-client&{decoy_param}"
        f"redirect_uri=http%3A%2F%2F127.0.0.1%3A53682%2Fcallback&scope=user%3Aread&state=abc"
        f"&code_challenge={s256(VERIFIER)}&code_challenge_method=S256"
    )


def token(emulator: EmulatorServer, **fields: str) -> requests.Response:
    form = {"client_id": "local-dev-client", "client_secret": SECRET, **fields}
    return requests.post(f"{emulator.base_url}/oauth/token", data=form, timeout=5)


def user_tokens(emulator: EmulatorServer) -> dict[str, str]:
    location = requests.get(authorize_url(emulator), allow_redirects=False, timeout=5).headers["Location"]
    code = parse_qs(urlsplit(location).query)["code"][0]
    answer = token(emulator, grant_type="authorization_code", code=code, code_verifier=VERIFIER, redirect_uri=LOOPBACK)
    assert answer.status_code == 200
    tokens: dict[str, str] = answer.json()
    return tokens


def test_authorize_auto_approves_with_a_302(emulator: EmulatorServer) -> None:
    answer = requests.get(authorize_url(emulator), allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == LOOPBACK
    assert parse_qs(location.query)["state"] == ["abc"]


def test_the_nextjs_bug_breaks_a_127_0_0_1_redirect_without_the_decoy(emulator: EmulatorServer) -> None:
    answer = requests.get(authorize_url(emulator, decoy=False), allow_redirects=False, timeout=5)
    assert answer.status_code == 400
    assert answer.json() == {"error": "Invalid request"}
    assert nextjs_rewrite("a=127.0.0.1&b=127.0.0.1") == "a=localhost&b=127.0.0.1"


def test_the_token_endpoint_takes_forms_only(emulator: EmulatorServer) -> None:
    answer = requests.post(
        f"{emulator.base_url}/oauth/token",
        json={"grant_type": "client_credentials", "client_id": "local-dev-client", "client_secret": SECRET},
        timeout=5,
    )
    assert answer.status_code == 400
    assert answer.json() == {"error": "Invalid request"}
    assert token(emulator, grant_type="client_credentials").status_code == 200


def test_a_wrong_secret_is_401_invalid_client(emulator: EmulatorServer) -> None:
    answer = token(emulator, grant_type="client_credentials", client_secret="wrong")
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"
    assert answer.headers["Cache-Control"] == "no-store"


def test_revoke_takes_query_parameters_and_answers_ok(emulator: EmulatorServer) -> None:
    tokens = user_tokens(emulator)
    answer = requests.post(
        f"{emulator.base_url}/oauth/revoke",
        params={"token": tokens["access_token"], "token_hint_type": "access_token"},
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=5,
    )
    assert (answer.status_code, answer.text) == (200, "OK")
    in_body = requests.post(f"{emulator.base_url}/oauth/revoke", data={"token": tokens["refresh_token"]}, timeout=5)
    assert in_body.status_code == 400
    assert in_body.json() == {"error": "Invalid request"}


def test_faults_apply_to_revocation_too(emulator: EmulatorServer) -> None:
    tokens = user_tokens(emulator)
    emulator.faults.set(Faults(status=503, retry_after="7", times=1))
    revoke = f"{emulator.base_url}/oauth/revoke"

    failed = requests.post(revoke, params={"token": tokens["refresh_token"]}, timeout=5)
    revoked = requests.post(revoke, params={"token": tokens["refresh_token"]}, timeout=5)

    assert (failed.status_code, failed.headers["Retry-After"]) == (503, "7")
    assert (revoked.status_code, revoked.text) == (200, "OK")


def test_introspect_takes_a_bearer(emulator: EmulatorServer) -> None:
    tokens = user_tokens(emulator)
    answer = requests.post(
        f"{emulator.base_url}/oauth/token/introspect",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=5,
    )
    assert answer.status_code == 200
    assert answer.json()["message"] == "OK"
    assert answer.json()["data"]["active"] is True
    assert requests.post(f"{emulator.base_url}/oauth/token/introspect", timeout=5).status_code == 401


def test_unknown_paths_are_404(emulator: EmulatorServer) -> None:
    assert requests.get(f"{emulator.base_url}/oauth/userinfo", timeout=5).status_code == 404


def test_keep_alive_answers_are_fast(emulator: EmulatorServer) -> None:
    with requests.Session() as session:
        token(emulator, grant_type="client_credentials")
        started = time.monotonic()
        for _ in range(10):
            answer = session.post(
                f"{emulator.base_url}/oauth/token",
                data={"grant_type": "client_credentials", "client_id": "local-dev-client", "client_secret": SECRET},
                timeout=5,
            )
            assert answer.status_code == 200
    assert (time.monotonic() - started) / 10 < 0.03  # no ~40 ms delayed-ACK stall per answer


def test_faults_are_set_read_and_cleared_over_http(emulator: EmulatorServer) -> None:
    faults_url = f"{emulator.base_url}/_emulator/faults"
    answer = requests.post(faults_url, json={"status": 503, "retry_after": 9, "times": 2}, timeout=5)
    assert answer.status_code == 200
    assert requests.get(faults_url, timeout=5).json()["status"] == 503

    for _ in range(2):
        failed = token(emulator, grant_type="client_credentials")
        assert failed.status_code == 503
        assert failed.headers["Retry-After"] == "9"
    assert token(emulator, grant_type="client_credentials").status_code == 200
    assert requests.get(faults_url, timeout=5).json() == Faults().as_json()

    assert requests.post(faults_url, json={"status": 200}, timeout=5).status_code == 400
    assert requests.post(faults_url, json={"colour": "red"}, timeout=5).status_code == 400
    requests.post(faults_url, json={"html": True}, timeout=5)
    assert requests.delete(faults_url, timeout=5).status_code == 200
    assert token(emulator, grant_type="client_credentials").status_code == 200


def test_the_html_fault_is_a_cloudflare_page(emulator: EmulatorServer) -> None:
    emulator.faults.set(Faults(html=True))
    answer = token(emulator, grant_type="client_credentials")
    assert answer.status_code == 403
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "Cloudflare" in answer.text


def test_the_drip_fault_sends_the_body_byte_by_byte(emulator: EmulatorServer) -> None:
    emulator.faults.set(Faults(drip_ms=20, status=500))
    started = time.monotonic()
    answer = token(emulator, grant_type="client_credentials")
    assert answer.status_code == 500
    assert len(answer.content) * 0.02 <= time.monotonic() - started + 0.05


def test_the_latency_fault_delays_the_answer(emulator: EmulatorServer) -> None:
    emulator.faults.set(Faults(latency_ms=200, times=1))
    started = time.monotonic()
    assert token(emulator, grant_type="client_credentials").status_code == 200
    assert time.monotonic() - started >= 0.2


def test_stopping_ends_a_drip_at_once() -> None:
    app = ClientApp("local-dev-client", SECRET, frozenset({LOOPBACK}))
    server = start_emulator(KickOAuthServer(app), faults=Faults(drip_ms=10_000), quiet=True)
    with requests.post(
        f"{server.base_url}/oauth/token", data={"grant_type": "client_credentials"}, stream=True, timeout=5
    ) as answer:
        assert answer.status_code == 401
        started = time.monotonic()
        server.stop()
    assert time.monotonic() - started < 1.0
