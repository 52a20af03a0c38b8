"""A cold request's background steps (proxy/warmup.py): Kick's preconnect and the replay window's preparation.

Each failure of a step leaves the request exactly as it is without the step: same status, same answer,
within the deadline, and no background thread alive once the handler has returned.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from proxy.adapters.kick import KickClient
from proxy.replay_window import ReplayWindow
from proxy.warmup import Warmup
from tests.proxy.replay.conftest import scan
from tests.support.assertions import assert_error
from tests.support.aws import MotoServer
from tests.support.proxy import Invocation, Proxy
from tests.support.sockets import SilentServer, closed_port
from tests.support.token_requests import exchange_event, timed

# A background step's exception must never reach threading's excepthook (nor its traceback the logs).
pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")

WARMUP_THREADS = ("kick-preconnect", "replay-connect", "replay-load")
DEADLINE = 1.0
# The contract: no invocation runs longer than the deadline plus 2 s.
CONTRACT_LIMIT = DEADLINE + 2.0


def warmup_threads() -> list[str]:
    return [thread.name for thread in threading.enumerate() if thread.name in WARMUP_THREADS and thread.is_alive()]


@pytest.fixture
def windowed(proxy: Proxy, moto_server: MotoServer, replay_table: str) -> Proxy:
    """The proxy with the replay window on, as template.yaml deploys it by default."""
    proxy.set_env("AWS_ENDPOINT_URL_DYNAMODB", moto_server.endpoint)
    proxy.set_env("REPLAY_TABLE_NAME", replay_table)
    proxy.new_container()
    return proxy


def completed_records(moto: MotoServer, table: str) -> list[str]:
    return [item["status"]["S"] for item in scan(moto, table)]


@pytest.fixture(params=["with warm-up", "without warm-up"])
def warmup(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Runs a test twice: as deployed, and with the warm-up switched off (what "the plain way" does)."""
    enabled: bool = request.param == "with warm-up"
    if not enabled:
        monkeypatch.setattr(Warmup, "start", lambda self, settings, budget: None)
    return enabled


def cold_exchange(proxy: Proxy, code: str = "auth-code-1") -> tuple[Invocation, float]:
    answer, seconds = timed(lambda: proxy.exchange(exchange_event(code)))
    assert warmup_threads() == []  # checked at once: the handler has returned, nothing of it may still run
    return answer, seconds


def recorded_threads(monkeypatch: pytest.MonkeyPatch, cls: type, name: str) -> list[str]:
    """Names of the threads `cls.name` runs on, from now on."""
    seen: list[str] = []
    original: Callable[..., Any] = getattr(cls, name)

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(threading.current_thread().name)
        return original(*args, **kwargs)

    monkeypatch.setattr(cls, name, spy)
    return seen


def test_a_cold_request_opens_kicks_connection_and_prepares_the_window_in_the_background(
    windowed: Proxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    preconnects = recorded_threads(monkeypatch, KickClient, "_connected")
    connects = recorded_threads(monkeypatch, ReplayWindow, "connect")
    loads = recorded_threads(monkeypatch, ReplayWindow, "load")

    answer, _ = cold_exchange(windowed)

    assert answer.status == 200, answer.body
    assert preconnects == ["kick-preconnect"]
    assert connects == ["replay-connect"]
    assert loads == ["replay-load"]
    assert windowed.kick.connections == 1  # the POST went over the preconnected connection
    assert len(windowed.kick.received) == 1


def test_a_warm_request_starts_nothing_in_the_background(windowed: Proxy, monkeypatch: pytest.MonkeyPatch) -> None:
    cold_exchange(windowed, "auth-code-1")
    preconnects = recorded_threads(monkeypatch, KickClient, "_connected")
    connects = recorded_threads(monkeypatch, ReplayWindow, "connect")
    loads = recorded_threads(monkeypatch, ReplayWindow, "load")

    answer, _ = cold_exchange(windowed, "auth-code-2")

    assert answer.status == 200, answer.body
    assert preconnects == []
    assert connects == loads == []
    assert windowed.kick.connections == 1


def test_the_windows_preparation_raising_leaves_the_request_as_without_it(
    windowed: Proxy, moto_server: MotoServer, replay_table: str, monkeypatch: pytest.MonkeyPatch, warmup: bool
) -> None:
    clients = recorded_threads(monkeypatch, ReplayWindow, "_dynamodb_client")

    def broken(self: ReplayWindow, *args: object) -> None:
        raise RuntimeError("the background step failed")

    monkeypatch.setattr(ReplayWindow, "connect", broken)
    monkeypatch.setattr(ReplayWindow, "load", broken)

    answer, _ = cold_exchange(windowed)

    assert answer.status == 200, answer.body
    assert answer.json["access_token"] == "stub-access"
    assert clients == ["MainThread"]  # the request made its client itself, the plain way
    assert len(windowed.kick.received) == 1
    assert completed_records(moto_server, replay_table) == ["COMPLETED"]


def test_a_dynamodb_that_never_answers_the_warm_up_keeps_the_request_within_the_deadline(
    windowed: Proxy, warmup: bool
) -> None:
    windowed.set_env("UPSTREAM_TIMEOUT_SECONDS", str(DEADLINE))
    with SilentServer() as dynamodb:
        windowed.set_env("AWS_ENDPOINT_URL_DYNAMODB", dynamodb.url)
        windowed.new_container()

        answer, seconds = cold_exchange(windowed)

        # Fail-open, as without the warm-up: Kick answers, the window is reported unavailable.
        assert answer.status == 200, answer.body
        assert len(windowed.kick.received) == 1
        assert seconds < CONTRACT_LIMIT, seconds
        assert dynamodb.accepted == (2 if warmup else 1)  # the warm-up's read, then the first write's own


def test_a_refused_preconnect_leaves_the_request_as_without_it(proxy: Proxy, warmup: bool) -> None:
    proxy.set_env("KICK_TOKEN_URL", f"http://127.0.0.1:{closed_port()}/oauth/token")

    answer, seconds = cold_exchange(proxy)

    assert_error(answer, 502, "upstream_unavailable")
    assert seconds < CONTRACT_LIMIT, seconds


def test_a_preconnect_stuck_in_its_tls_handshake_ends_at_the_deadline(proxy: Proxy, warmup: bool) -> None:
    proxy.set_env("UPSTREAM_TIMEOUT_SECONDS", str(DEADLINE))
    with SilentServer() as kick:  # accepts TCP, never answers the TLS ClientHello
        proxy.set_env("KICK_TOKEN_URL", f"https://127.0.0.1:{kick.port}/oauth/token")

        answer, seconds = cold_exchange(proxy)

        assert_error(answer, 504, "upstream_timeout")
        assert DEADLINE - 0.1 <= seconds < DEADLINE + 0.5, seconds
        assert kick.accepted == 1  # the POST waited for the preconnect rather than open a second connection


def test_a_secret_failure_ends_a_pending_preconnect_before_answering(proxy: Proxy, warmup: bool) -> None:
    proxy.set_env("KICK_SECRET_ID", "kick-oauth-proxy/no-such-secret")
    with SilentServer() as kick:
        proxy.set_env("KICK_TOKEN_URL", f"https://127.0.0.1:{kick.port}/oauth/token")

        answer, seconds = cold_exchange(proxy)

        assert_error(answer, 500, "server_error")
        assert seconds < 1.0, seconds  # not the 10 s the preconnect had
        if warmup:  # the race happened: the preconnect had reached Kick before the secret failed
            deadline = time.monotonic() + 1
            while kick.accepted == 0 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert kick.accepted == 1


def test_the_warm_up_writes_nothing_and_the_window_keeps_the_answer(
    windowed: Proxy, moto_server: MotoServer, replay_table: str
) -> None:
    answer, _ = cold_exchange(windowed)
    again, _ = cold_exchange(windowed)  # the same request again: answered from the window

    assert answer.status == again.status == 200, answer.body
    assert again.body == answer.body
    assert len(windowed.kick.received) == 1
    assert completed_records(moto_server, replay_table) == ["COMPLETED"]


def test_every_aws_client_of_a_container_comes_from_one_session(
    windowed: Proxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.aws import count_botocore_sessions

    sessions = count_botocore_sessions(monkeypatch)
    windowed.new_container(fresh_aws_session=True)

    answer, _ = cold_exchange(windowed)
    cold_exchange(windowed, "auth-code-2")

    assert answer.status == 200, answer.body
    assert len(sessions) == 1


def test_a_warm_up_that_cannot_start_leaves_the_request_as_without_it(
    proxy: Proxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    def cannot_start(self: KickClient, *args: object) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(KickClient, "preconnect", cannot_start)

    answer, _ = cold_exchange(proxy)

    assert answer.status == 200, answer.body
    assert proxy.kick.connections == 1


@pytest.mark.usefixtures("collector_state")
def test_a_containers_first_request_runs_with_the_collector_paused_and_freezes_what_it_made(
    proxy: Proxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    from proxy import pipeline

    gc.enable()
    collecting: list[bool] = []
    handle = pipeline._handle

    def spy(*args: Any) -> Any:
        collecting.append(gc.isenabled())
        return handle(*args)

    monkeypatch.setattr(pipeline, "_handle", spy)
    frozen_before = gc.get_freeze_count()

    first, _ = cold_exchange(proxy, "auth-code-1")
    frozen_after_first = gc.get_freeze_count()
    second, _ = cold_exchange(proxy, "auth-code-2")

    assert first.status == second.status == 200
    assert collecting == [False, True]
    assert gc.isenabled()
    assert frozen_after_first > frozen_before
