from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from tests.support.aws import MotoServer, create_replay_table
from tests.support.kick_stub import KickStub
from tests.support.logs import CapturedOutput, captured_output
from tests.support.proxy import Proxy, start_proxy


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer().start()
    yield server
    server.stop()


@pytest.fixture
def kick() -> Iterator[KickStub]:
    with KickStub() as stub:
        yield stub


@pytest.fixture
def second_kick() -> Iterator[KickStub]:
    """Another loopback server, e.g. the target of a redirect that must never be followed."""
    with KickStub() as stub:
        yield stub


@pytest.fixture
def collector_state() -> Iterator[None]:
    """Restores the cyclic collector (enabled or not, nothing frozen) after a test that pauses or freezes it."""
    was_enabled = gc.isenabled()
    yield
    gc.unfreeze()
    if was_enabled:
        gc.enable()


@pytest.fixture
def replay_table(moto_server: MotoServer) -> Iterator[str]:
    """A replay table in moto, as template.yaml declares it; deleted after the test."""
    name = create_replay_table(moto_server)
    yield name
    moto_server.client("dynamodb").delete_table(TableName=name)


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch, moto_server: MotoServer, kick: KickStub) -> Proxy:
    """The handlers in a fresh container, configured for the Kick stub and moto."""
    return start_proxy(monkeypatch, moto_server, kick)


@pytest.fixture
def output(proxy: Proxy, capfd: pytest.CaptureFixture[str]) -> Iterator[CapturedOutput]:
    """Everything the proxy writes or logs during the test (fd 1/2 and every record at DEBUG)."""
    with captured_output(capfd) as captured:
        yield captured
