"""The library internals the adapters extend are still there, with the shapes the adapters rely on.

proxy.adapters.kick subclasses urllib3's connection classes and swaps requests' pool classes (the
total deadline); proxy.adapters.dynamodb overrides Powertools Idempotency's persistence methods and
drives its IdempotencyHandler directly. A new urllib3 or Powertools that renames or reshapes any of
these fails here, before the deadline or the replay window silently stop working.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest


def _parameters(function: Any) -> list[str]:
    return [name for name in inspect.signature(function).parameters if name != "self"]


def test_urllib3_connections_still_have_what_the_deadline_watches() -> None:
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    for connection_class in (HTTPConnection, HTTPSConnection):
        assert callable(connection_class.request)
        assert callable(connection_class.getresponse)
        assert connection_class("127.0.0.1", 9).sock is None  # set on connect, read by the watchdog
    assert issubclass(HTTPConnectionPool.ConnectionCls, HTTPConnection)
    assert issubclass(HTTPSConnectionPool.ConnectionCls, HTTPSConnection)


def test_requests_still_builds_its_pools_from_pool_classes_by_scheme() -> None:
    from requests.adapters import HTTPAdapter

    from proxy.adapters.kick import _DeadlineAdapter, _WatchedHTTPPool, _WatchedHTTPSPool

    assert "init_poolmanager" in vars(HTTPAdapter)
    adapter = _DeadlineAdapter()
    assert adapter.poolmanager.pool_classes_by_scheme == {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}
    pool = adapter.poolmanager.connection_from_url("http://127.0.0.1:9/")
    assert isinstance(pool, _WatchedHTTPPool)
    assert pool.ConnectionCls.__name__ == "WatchedConnection"


@pytest.mark.parametrize(
    ("method", "parameters"),
    [
        ("_get_hashed_idempotency_key", ["data"]),
        ("_put_record", ["data_record"]),
        ("_get_record", ["idempotency_key"]),
        ("_update_record", ["data_record"]),
        ("_delete_record", ["data_record"]),
    ],
)
def test_powertools_persistence_still_has_the_methods_the_replay_store_overrides(
    method: str, parameters: list[str]
) -> None:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
    from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer

    assert _parameters(getattr(DynamoDBPersistenceLayer, method)) == parameters
    # Reached through the base layer's public methods, which is where Powertools calls them from.
    calls = inspect.getsource(BasePersistenceLayer)
    assert f"self.{method}(" in calls


def test_powertools_persistence_keeps_its_client_and_record_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
    from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord

    assert "boto3_client" in _parameters(DynamoDBPersistenceLayer.__init__)
    record = DataRecord(idempotency_key="k", status="INPROGRESS", expiry_timestamp=1, in_progress_expiry_timestamp=2)
    assert (record.expiry_timestamp, record.in_progress_expiry_timestamp) == (1, 2)

    from proxy.adapters.dynamodb_connection import table_client

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    layer = DynamoDBPersistenceLayer(table_name="t", boto3_client=table_client(endpoint_url="http://127.0.0.1:9"))
    assert layer.client is not None  # tests and the store's checks read and replace it


def test_powertools_idempotency_handler_still_takes_what_the_replay_store_passes() -> None:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
    from aws_lambda_powertools.utilities.idempotency.base import IdempotencyHandler
    from aws_lambda_powertools.utilities.idempotency.exceptions import BaseError, IdempotencyAlreadyInProgressError
    from aws_lambda_powertools.utilities.idempotency.serialization.base import BaseIdempotencySerializer

    assert set(_parameters(IdempotencyHandler.__init__)) >= {
        "function",
        "function_payload",
        "config",
        "persistence_store",
        "output_serializer",
        "function_args",
        "function_kwargs",
    }
    handle = inspect.signature(IdempotencyHandler.handle).parameters
    assert all(parameter.default is not inspect.Parameter.empty for parameter in list(handle.values())[1:])
    assert {"expires_after_seconds", "lambda_context"} <= set(_parameters(IdempotencyConfig.__init__))
    assert issubclass(IdempotencyAlreadyInProgressError, BaseError)
    assert {"to_dict", "from_dict"} <= BaseIdempotencySerializer.__abstractmethods__
