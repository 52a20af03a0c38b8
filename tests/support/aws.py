"""moto in server mode on loopback, reached through the standard AWS endpoint variables."""

from __future__ import annotations

import functools
import json
import threading
import uuid
from collections.abc import Callable
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

DUMMY_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


class MotoServer:
    def __init__(self) -> None:
        _make_dynamodb_item_calls_atomic()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)

    def start(self) -> MotoServer:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    @property
    def endpoint(self) -> str:
        host, port = self._server.get_host_and_port()
        return f"http://{host}:{port}"

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint, **_credentials())

    def put_secret(self, secret_id: str, value: dict[str, str] | str) -> str:
        """Create or overwrite a secret; returns its ARN."""
        client = self.client("secretsmanager")
        secret_string = value if isinstance(value, str) else json.dumps(value)
        try:
            return str(client.create_secret(Name=secret_id, SecretString=secret_string)["ARN"])
        except client.exceptions.ResourceExistsException:
            return str(client.put_secret_value(SecretId=secret_id, SecretString=secret_string)["ARN"])


_DYNAMODB_ITEMS = threading.RLock()
_DYNAMODB_ITEM_METHODS = ("put_item", "update_item", "delete_item", "transact_write_items", "get_item")


def _make_dynamodb_item_calls_atomic() -> None:
    """DynamoDB checks a condition and writes atomically; moto checks, then writes, on whichever server thread
    the request landed, so two concurrent conditional puts could both succeed (seen under load: two replay
    window owners, two calls to Kick). One lock across moto's item calls, reads included, restores DynamoDB's
    guarantee."""
    from moto.dynamodb.models import DynamoDBBackend

    for name in _DYNAMODB_ITEM_METHODS:
        method = getattr(DynamoDBBackend, name)
        if not getattr(method, "atomic", False):
            setattr(DynamoDBBackend, name, _atomic(method))


def _atomic(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def under_lock(*args: Any, **kwargs: Any) -> Any:
        with _DYNAMODB_ITEMS:
            return method(*args, **kwargs)

    under_lock.atomic = True  # type: ignore[attr-defined]
    return under_lock


def _credentials() -> dict[str, str]:
    return {
        "region_name": DUMMY_AWS_ENV["AWS_DEFAULT_REGION"],
        "aws_access_key_id": DUMMY_AWS_ENV["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": DUMMY_AWS_ENV["AWS_SECRET_ACCESS_KEY"],
    }


def create_replay_table(moto: MotoServer) -> str:
    """What template.yaml declares: partition key `id` (S), TTL on `expiration`, on-demand."""
    name = f"kick-oauth-proxy-replay-{uuid.uuid4().hex[:8]}"
    client = moto.client("dynamodb")
    client.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiration"})
    return name


def count_botocore_sessions(monkeypatch: Any) -> list[object]:
    """Every botocore session created from now on (a container should make one)."""
    import botocore.session

    made: list[object] = []
    original = botocore.session.Session.__init__

    def counting(self: Any, *args: Any, **kwargs: Any) -> None:
        made.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(botocore.session.Session, "__init__", counting)
    return made
