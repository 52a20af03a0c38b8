"""KickClient.preconnect: Kick's connection opened ahead of the POST, sending nothing, bounded and cancellable."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

import pytest

from proxy.adapters import kick as kick_adapter
from proxy.adapters.kick import KickClient
from tests.support.kick_stub import KickStub
from tests.support.sockets import SilentServer

FORM = "grant_type=authorization_code&code=c&client_id=id&client_secret=s"


def preconnect_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "kick-preconnect"]


def eventually(condition: Callable[[], bool], seconds: float = 2.0) -> bool:
    until = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > until:
            return False
        time.sleep(0.005)
    return True


def test_the_preconnect_opens_the_connection_the_post_then_uses_and_sends_nothing(kick: KickStub) -> None:
    client = KickClient()

    client.preconnect(kick.url, 5.0)

    assert eventually(lambda: kick.connections == 1)
    time.sleep(0.05)
    assert kick.received == []  # connected, nothing sent
    answer = client.post_form(kick.url, FORM, 5.0)
    assert answer.status == 200
    assert kick.connections == 1
    assert len(kick.received) == 1
    assert preconnect_threads() == []


def test_a_post_to_another_url_never_uses_the_preconnected_connection(kick: KickStub, second_kick: KickStub) -> None:
    client = KickClient()
    client.preconnect(second_kick.url, 5.0)
    assert eventually(lambda: second_kick.connections == 1)

    answer = client.post_form(kick.url, FORM, 5.0)

    assert answer.status == 200
    assert len(kick.received) == 1
    assert second_kick.received == []  # the form (and its secret) went only where it was posted


def test_a_preconnected_connection_idle_past_max_idle_is_not_used(
    kick: KickStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kick_adapter, "MAX_IDLE_SECONDS", 0.05)
    client = KickClient()
    client.preconnect(kick.url, 5.0)
    assert eventually(lambda: kick.connections == 1)
    time.sleep(0.1)

    answer = client.post_form(kick.url, FORM, 5.0)

    assert answer.status == 200
    assert kick.connections == 2  # the stale one was dropped, as any idle connection is


def test_the_deadline_watchdog_shuts_a_preconnect_stuck_in_its_tls_handshake() -> None:
    client = KickClient()
    with SilentServer() as silent:
        started = time.monotonic()
        client.preconnect(f"https://127.0.0.1:{silent.port}/oauth/token", 0.3)
        assert eventually(lambda: silent.accepted == 1)
        assert preconnect_threads()  # stuck in the handshake

        assert eventually(lambda: preconnect_threads() == [], seconds=1.0)
        assert time.monotonic() - started < 0.6


def test_cancel_ends_a_pending_preconnect_at_once() -> None:
    client = KickClient()
    with SilentServer() as silent:
        client.preconnect(f"https://127.0.0.1:{silent.port}/oauth/token", 10.0)
        assert eventually(lambda: silent.accepted == 1)
        time.sleep(0.1)  # well into the TLS handshake, where TLS has taken the socket's descriptor over

        started = time.monotonic()
        client.cancel_preconnect()

        assert time.monotonic() - started < 0.5
        assert preconnect_threads() == []
        assert not client.preconnect_pending


def test_cancel_aborts_a_preconnect_still_in_its_tcp_connect() -> None:
    # A listener whose accept queue is full drops further SYNs: a connect() to it hangs, as to a
    # black-holed address.
    with socket.create_server(("127.0.0.1", 0), backlog=0) as full:
        port = full.getsockname()[1]
        fillers = []
        for _ in range(4):  # enough to fill the queue whatever the kernel's rounding of the backlog
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        time.sleep(0.05)
        client = KickClient()
        try:
            client.preconnect(f"http://127.0.0.1:{port}/oauth/token", 10.0)
            time.sleep(0.2)
            assert preconnect_threads()  # still connecting

            started = time.monotonic()
            client.cancel_preconnect()

            assert time.monotonic() - started < 0.5
            assert preconnect_threads() == []
        finally:
            for filler in fillers:
                filler.close()
