"""The replay window against the Kick emulator, under strict refresh-token rotation (the old token dies on
use) and under Kick's "reusable/flexible" refresh tokens (changelog 25/11/2025): the window's promises
hold either way, and the app that always stores the newest refresh token works either way."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from local.kick_emulator import EmulatorServer
from local.kick_oauth import REFRESH_TOKEN_MODES
from tests.proxy.replay.conftest import new_container
from tests.support.emulated_kick import CountingKick, kick_behind_proxy
from tests.support.events import json_event
from tests.support.proxy import Invocation, Proxy


@dataclass
class Emulated:
    proxy: Proxy
    kick: CountingKick
    server: EmulatorServer

    def exchange(self) -> tuple[Invocation, dict[str, str]]:
        fields = self.kick.signed_in()
        return self.proxy.exchange(json_event("/v1/kick/exchange", fields)), fields

    def exchange_again(self, fields: dict[str, str]) -> Invocation:
        return self.proxy.exchange(json_event("/v1/kick/exchange", fields))

    def refresh(self, refresh_token: str) -> Invocation:
        return self.proxy.refresh(json_event("/v1/kick/refresh", {"refresh_token": refresh_token}))


@pytest.fixture(params=REFRESH_TOKEN_MODES)
def emulated(request: pytest.FixtureRequest, proxy: Proxy) -> Iterator[Emulated]:
    kick = CountingKick(request.param)
    with kick_behind_proxy(proxy, kick) as server:
        yield Emulated(proxy, kick, server)


def test_a_retried_exchange_gets_the_identical_answer_from_another_container(emulated: Emulated) -> None:
    first, fields = emulated.exchange()
    new_container(emulated.proxy)
    retry = emulated.exchange_again(fields)

    assert first.status == 200
    assert retry.body == first.body
    assert emulated.kick.token_requests == 1


def test_a_retried_refresh_gets_the_identical_answer_and_the_newest_token_works(emulated: Emulated) -> None:
    signed_in, _ = emulated.exchange()
    refresh_token = signed_in.json["refresh_token"]

    refreshed = emulated.refresh(refresh_token)
    new_container(emulated.proxy)
    retried = emulated.refresh(refresh_token)
    newest = emulated.refresh(refreshed.json["refresh_token"])

    assert refreshed.status == 200
    assert retried.body == refreshed.body  # the window answered: Kick saw one refresh of that token
    assert newest.status == 200
    assert newest.json["refresh_token"] != refreshed.json["refresh_token"]
    assert emulated.kick.token_requests == 3


def test_concurrent_duplicate_refreshes_in_three_containers_make_one_call_to_kick(emulated: Emulated) -> None:
    from tests.proxy.replay.test_replay_window import in_processes

    signed_in, _ = emulated.exchange()
    refresh_token = signed_in.json["refresh_token"]
    emulated.server.faults.set(_latency(500, times=1))

    answers = in_processes(3, "refresh", json_event("/v1/kick/refresh", {"refresh_token": refresh_token}))

    assert sorted(str(answer.replay) for answer in answers) == ["kick", "window", "window"], answers
    assert [answer.status for answer in answers] == [200, 200, 200]
    assert len({answer.body for answer in answers}) == 1
    assert emulated.kick.token_requests == 2  # the exchange and one refresh


def test_after_the_window_a_used_refresh_token_is_kicks_call(emulated: Emulated) -> None:
    """Past the window the proxy asks Kick, which decides: strict rotation refuses, reusable tokens work."""
    emulated.proxy.set_env("REPLAY_WINDOW_SECONDS", "1")
    signed_in, _ = emulated.exchange()
    refresh_token = signed_in.json["refresh_token"]
    assert emulated.refresh(refresh_token).status == 200

    time.sleep(2.05)  # Powertools keeps expiry in whole seconds: a 1 s window ends within 2 s
    reused = emulated.refresh(refresh_token)

    if emulated.kick.refresh_tokens == "rotating":
        assert (reused.status, reused.json["error"]) == (400, "invalid_grant")
    else:
        assert reused.status == 200
    assert emulated.kick.token_requests == 3


def _latency(milliseconds: int, times: int) -> Any:
    from local.faults import Faults

    return Faults(latency_ms=milliseconds, times=times)
