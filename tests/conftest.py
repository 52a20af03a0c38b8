from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.aws import MotoServer
from tests.support.kick_stub import KickStub
from tests.support.proxy import Proxy, start_proxy


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer().start()
    yield server
    server.stop()


@pytest.fixture
def kick() -> Iterator[KickStub]:
    stub = KickStub().start()
    yield stub
    stub.stop()


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch, moto_server: MotoServer, kick: KickStub) -> Proxy:
    """The handlers in a fresh container, configured for the Kick stub and moto."""
    return start_proxy(monkeypatch, moto_server, kick)
