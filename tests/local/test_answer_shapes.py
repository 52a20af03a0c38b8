"""The emulator's `answer` fault plays each answer shape Kick's issue tracker shows, and the proxy,
pointed at it, answers each one as README's error table says (log outcome included)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from local.faults import ANSWER_SHAPES, Faults, InvalidFaults, faults_from, faults_from_env
from local.kick_emulator import EmulatorServer, start_emulator
from local.kick_oauth import ClientApp, KickOAuthServer
from tests.support.logs import CapturedOutput
from tests.support.proxy import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, Proxy
from tests.support.token_requests import exchange_event

# shape: (Kick's status, the proxy's status, the proxy's error, the summary line's outcome)
EXPECTED = {
    "invalid_grant": (400, 400, "invalid_grant", "invalid_grant"),
    "invalid_client": (401, 500, "server_error", "server_error"),
    "empty_400": (400, 502, "upstream_unavailable", "upstream_unavailable"),
    "blocked_403": (403, 502, "upstream_unavailable", "upstream_blocked"),
    "challenge_403": (403, 502, "upstream_unavailable", "upstream_blocked"),
    "outage_404": (404, 502, "upstream_unavailable", "upstream_unavailable"),
    "no_access_token": (200, 502, "upstream_unavailable", "upstream_unavailable"),
}


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    server = start_emulator(KickOAuthServer(ClientApp(CLIENT_ID, CLIENT_SECRET, frozenset({REDIRECT_URI}))), quiet=True)
    yield server
    server.stop()


def test_every_shape_has_an_expectation() -> None:
    assert set(EXPECTED) == ANSWER_SHAPES


@pytest.mark.parametrize("shape", sorted(ANSWER_SHAPES))
def test_the_emulator_plays_the_shape_and_the_proxy_answers_it_as_documented(
    proxy: Proxy, output: CapturedOutput, emulator: EmulatorServer, shape: str
) -> None:
    kick_status, status, error, outcome = EXPECTED[shape]
    emulator.faults.set(Faults(answer=shape))
    direct = requests.post(f"{emulator.base_url}/oauth/token", data={"grant_type": "client_credentials"}, timeout=5)
    proxy.set_env("KICK_TOKEN_URL", f"{emulator.base_url}/oauth/token")

    answer = proxy.exchange(exchange_event())

    assert direct.status_code == kick_status
    assert (answer.status, answer.json["error"]) == (status, error)
    assert answer.headers["Cache-Control"] == "no-store"
    if status == 502:
        assert answer.headers["Retry-After"].isdigit()
    [finished] = output.finished_lines()
    assert (finished["outcome"], finished["upstream_status"]) == (outcome, kick_status)


def test_the_answer_fault_is_set_from_the_environment_and_checked() -> None:
    assert faults_from_env({"KICK_EMULATOR_ANSWER": "blocked_403"}) == Faults(answer="blocked_403")
    assert Faults(answer="outage_404").active
    with pytest.raises(InvalidFaults):
        faults_from({"answer": "teapot"})
