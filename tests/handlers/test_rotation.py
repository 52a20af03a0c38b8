"""Rotating the client secret costs no failed request: when Kick refuses the client credentials, the
proxy reads the secret again past every cache and, if it changed, asks Kick once more; never a loop."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from local.kick_emulator import EmulatorServer
from tests.support.emulated_kick import CountingKick, kick_behind_proxy
from tests.support.events import json_event
from tests.support.logs import CapturedOutput
from tests.support.proxy import CLIENT_ID, Invocation, Proxy
from tests.support.token_requests import EXCHANGE, REFRESH

ROTATED_SECRET = "rotated-client-secret-Qx7"
REQUESTS_AFTER_ROTATION = 6


@dataclass
class Rotation:
    proxy: Proxy
    kick: CountingKick
    emulator: EmulatorServer

    def sign_in(self) -> Invocation:
        """A fresh code from the emulator, exchanged through the proxy."""
        return self.proxy.exchange(json_event(EXCHANGE, self.kick.signed_in()))

    def refresh(self, refresh_token: str) -> Invocation:
        return self.proxy.refresh(json_event(REFRESH, {"refresh_token": refresh_token}))

    def rotate_at_kick(self, new_secret: str) -> None:
        self.kick.rotate_client_secret(new_secret)

    def put_secret(self, client_secret: str) -> None:
        self.proxy.moto.put_secret(self.proxy.secret_id, {"client_id": CLIENT_ID, "client_secret": client_secret})


@pytest.fixture
def rotation(proxy: Proxy) -> Iterator[Rotation]:
    kick = CountingKick()
    with kick_behind_proxy(proxy, kick) as emulator:
        yield Rotation(proxy, kick, emulator)


def test_rotating_the_secret_under_a_warm_container_fails_no_request(rotation: Rotation) -> None:
    warm = rotation.sign_in()
    assert warm.status == 200  # the old secret is now cached in the container
    refresh_token = warm.json["refresh_token"]

    rotation.rotate_at_kick(ROTATED_SECRET)
    rotation.put_secret(ROTATED_SECRET)
    calls_before = rotation.kick.token_requests
    right_after = rotation.sign_in()
    calls_for_first = rotation.kick.token_requests - calls_before

    answers, calls_per_request = [], []
    for index in range(REQUESTS_AFTER_ROTATION):
        calls_before = rotation.kick.token_requests
        if index % 2:
            answer = rotation.refresh(refresh_token)
            refresh_token = answer.json.get("refresh_token", refresh_token)
        else:
            answer = rotation.sign_in()
        calls_per_request.append(rotation.kick.token_requests - calls_before)
        answers.append(answer)

    assert right_after.status == 200, right_after.body  # a code exchanged right after rotation is not lost
    assert calls_for_first == 2  # refused with the old secret, then accepted with the new one
    assert [answer.status for answer in answers] == [200] * REQUESTS_AFTER_ROTATION
    assert calls_per_request == [1] * REQUESTS_AFTER_ROTATION  # the new secret is cached from then on


def test_a_refused_secret_that_did_not_change_is_a_server_error_at_once_without_a_loop(
    rotation: Rotation, output: CapturedOutput
) -> None:
    assert rotation.sign_in().status == 200
    rotation.rotate_at_kick(ROTATED_SECRET)  # the operator has not put the new value yet

    started = time.monotonic()
    refused = rotation.sign_in()
    seconds = time.monotonic() - started
    calls_before = rotation.kick.token_requests
    again = rotation.sign_in()

    assert (refused.status, refused.json["error"]) == (500, "server_error")
    assert seconds < 1.0, seconds
    assert (again.status, rotation.kick.token_requests - calls_before) == (500, 1)
    errors = [line["message"] for line in output.json_lines() if line["level"] == "ERROR"]
    assert errors == ["Kick refused the proxy's client credentials"] * 2
    assert ROTATED_SECRET not in output.everything()


def test_a_changed_secret_that_kick_also_refuses_is_asked_once_more_only(rotation: Rotation) -> None:
    assert rotation.sign_in().status == 200
    rotation.rotate_at_kick(ROTATED_SECRET)
    rotation.put_secret("yet-another-wrong-secret")
    calls_before = rotation.kick.token_requests

    refused = rotation.sign_in()

    assert (refused.status, refused.json["error"]) == (500, "server_error")
    assert rotation.kick.token_requests - calls_before == 2


def test_the_retry_after_a_refusal_stays_within_the_deadline(rotation: Rotation) -> None:
    """Kick refuses slowly, after most of the deadline: the second call gets only what is left."""
    rotation.proxy.set_env("UPSTREAM_TIMEOUT_SECONDS", "1")
    assert rotation.sign_in().status == 200
    rotation.rotate_at_kick(ROTATED_SECRET)
    rotation.put_secret(ROTATED_SECRET)
    rotation.emulator.faults.set(_latency(900, times=2))

    started = time.monotonic()
    answer = rotation.sign_in()
    seconds = time.monotonic() - started

    assert answer.status in (200, 504)
    assert seconds < 1 + 2, seconds


def _latency(milliseconds: int, times: int) -> Any:
    from local.faults import Faults

    return Faults(latency_ms=milliseconds, times=times)


def test_the_token_endpoint_rides_a_rotation_the_same_way(rotation: Rotation) -> None:
    warm = rotation.sign_in()
    assert warm.status == 200  # the old secret is now cached in the container

    rotation.rotate_at_kick(ROTATED_SECRET)
    rotation.put_secret(ROTATED_SECRET)
    calls_before = rotation.kick.token_requests
    fields = {"grant_type": "refresh_token", "refresh_token": warm.json["refresh_token"], "client_id": CLIENT_ID}
    answer = rotation.proxy.token(json_event("/v1/kick/token", fields))

    assert answer.status == 200, answer.body
    assert rotation.kick.token_requests - calls_before == 2  # refused with the old secret, then the new one
