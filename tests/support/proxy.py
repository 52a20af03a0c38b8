"""Run the real handlers against a KickStub and moto, as a fresh Lambda container would."""

from __future__ import annotations

import functools
import json
import uuid
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest

from tests.support.aws import DUMMY_AWS_ENV, MotoServer
from tests.support.kick_stub import KickStub

CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret-Zx81"
REDIRECT_URI = "battles-record://oauth/callback"
DEV_REDIRECT_URI = "http://localhost:1420/auth/callback"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
ALLOWED_ORIGIN = "http://localhost:1420"


def lambda_context(function_name: str = "kick-oauth-proxy-exchange") -> SimpleNamespace:
    return SimpleNamespace(
        function_name=function_name,
        function_version="$LATEST",
        invoked_function_arn=f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}",
        memory_limit_in_mb=256,
        aws_request_id=str(uuid.uuid4()),
        log_group_name=f"/aws/lambda/{function_name}",
        log_stream_name="2026/11/22/[$LATEST]0123456789abcdef",
        get_remaining_time_in_millis=lambda: 15000,
    )


@dataclass
class Invocation:
    status: int
    headers: dict[str, str]
    body: str

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Proxy:
    kick: KickStub
    moto: MotoServer
    secret_id: str
    monkeypatch: pytest.MonkeyPatch

    def exchange(self, event: dict[str, Any]) -> Invocation:
        from handlers.exchange import lambda_handler

        return _invocation(lambda_handler(event, lambda_context("kick-oauth-proxy-exchange")))

    def refresh(self, event: dict[str, Any]) -> Invocation:
        from handlers.refresh import lambda_handler

        return _invocation(lambda_handler(event, lambda_context("kick-oauth-proxy-refresh")))

    def token(self, event: dict[str, Any]) -> Invocation:
        from handlers.token import lambda_handler

        return _invocation(lambda_handler(event, lambda_context("kick-oauth-proxy-token")))

    def revoke(self, event: dict[str, Any]) -> Invocation:
        from handlers.revoke import lambda_handler

        return _invocation(lambda_handler(event, lambda_context("kick-oauth-proxy-revoke")))

    def set_env(self, name: str, value: str) -> None:
        self.monkeypatch.setenv(name, value)

    def new_container(self, *, fresh_aws_session: bool = False) -> None:
        """Forget per-container state: the cached secret, the kept-alive connection, the DynamoDB client.

        The container builds its AWS clients again on first use, from the current environment
        (endpoint variables included). By default they come from one botocore session shared by the
        test process, which only spares the ~0.1-0.2 s of botocore session
        set-up per test; `fresh_aws_session=True` makes it exactly what a new process would do.
        """
        from proxy import pipeline
        from proxy.adapters.aws_session import AwsSession

        session = None if fresh_aws_session else _shared_aws_session()
        container = pipeline.Container(aws=AwsSession(session))
        self.monkeypatch.setattr(pipeline, "container", container)


@functools.cache
def _shared_aws_session() -> Any:
    from proxy.adapters.aws_session import new_session

    return new_session()


def start_proxy(monkeypatch: pytest.MonkeyPatch, moto: MotoServer, kick: KickStub) -> Proxy:
    secret_id = f"kick-oauth-proxy/{uuid.uuid4()}"
    moto.put_secret(secret_id, {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    for name, value in DUMMY_AWS_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", moto.endpoint)
    monkeypatch.setenv("KICK_SECRET_ID", secret_id)
    monkeypatch.setenv("KICK_TOKEN_URL", kick.url)
    monkeypatch.setenv("KICK_REVOKE_URL", kick.revoke_url)
    monkeypatch.setenv("ALLOWED_REDIRECT_URIS", f"{REDIRECT_URI},{DEV_REDIRECT_URI}")
    monkeypatch.setenv("ALLOWED_ORIGINS", ALLOWED_ORIGIN)
    monkeypatch.setenv("UPSTREAM_TIMEOUT_SECONDS", "10")
    monkeypatch.delenv("REPLAY_TABLE_NAME", raising=False)
    proxy = Proxy(kick=kick, moto=moto, secret_id=secret_id, monkeypatch=monkeypatch)
    proxy.new_container()
    return proxy


def _invocation(response: dict[str, Any]) -> Invocation:
    assert set(response) >= {"statusCode", "headers", "body"}
    return Invocation(status=response["statusCode"], headers=response["headers"], body=response["body"])
