"""A replay table in moto (Powertools Idempotency's layout, TTL on) and the proxy pointed at it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.aws import MotoServer
from tests.support.kick_stub import KickStub
from tests.support.proxy import Proxy, start_proxy


def new_container(proxy: Proxy) -> None:
    """A fresh container: no cached secret, no kept-alive connection, no DynamoDB client."""
    proxy.new_container()


def scan(moto: MotoServer, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = moto.client("dynamodb").scan(TableName=table, ConsistentRead=True)["Items"]
    return items


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch, moto_server: MotoServer, kick: KickStub, replay_table: str) -> Proxy:
    """The handlers in a fresh container with the replay window on (60 s) against moto."""
    windowed = start_proxy(monkeypatch, moto_server, kick)
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", moto_server.endpoint)
    monkeypatch.setenv("REPLAY_TABLE_NAME", replay_table)
    monkeypatch.setenv("REPLAY_WINDOW_SECONDS", "60")
    new_container(windowed)
    return windowed
