"""The library internals the adapters extend are still there, with the shapes the adapters rely on.

proxy.adapters.kick subclasses urllib3's connection classes and swaps requests' pool classes (the
total deadline); proxy.adapters.aws_session gives botocore a data loader that answers "is this a
service?" for one name at a time; proxy.adapters.dynamodb reads the record that failed its claim from
the ConditionalCheckFailedException. A new urllib3, requests or botocore that renames or reshapes any
of these fails here, before the deadline, the cold start or the replay window silently degrade.
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


def test_botocore_still_asks_its_loader_whether_a_service_exists_with_in() -> None:
    """adapters.aws_session.ServiceLoader answers `list_available_services` with an object that only
    supports `in` cheaply: botocore must still ask that, and only that, before loading a model."""
    import botocore.loaders
    from botocore.loaders import Loader

    # Both are wrapped by botocore's instance_cache, which keeps no __wrapped__: read the module instead.
    module = inspect.getsource(botocore.loaders)
    load_service_model = module[module.index("    def load_service_model(") :]
    load_service_model = load_service_model[: load_service_model.index("\n    def ", 10)]
    assert "known_services = self.list_available_services(type_name)" in load_service_model
    assert "if service_name not in known_services:" in load_service_model
    assert "    def list_available_services(self, type_name):" in module
    # ServiceLoader's file loader parses into plain dicts: it replaces the public load_file(file_path), which
    # tries file_path + ".json", then + ".json.gz" (as exists() does), and which the loader calls.
    assert _parameters(botocore.loaders.JSONFileLoader.load_file) == ["file_path"]
    assert list(botocore.loaders._JSON_OPEN_METHODS) == [".json", ".json.gz"]
    assert "self.file_loader.load_file(" in module
    assert {"extra_search_paths", "file_loader", "include_default_search_paths"} <= set(_parameters(Loader.__init__))


def test_botocore_sessions_still_make_their_clients_with_a_replacement_data_loader(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import botocore.session
    from botocore.loaders import Loader

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    loaded: list[str] = []

    class Spy(Loader):  # type: ignore[misc]
        def load_service_model(self, service_name: str, type_name: str, api_version: str | None = None) -> Any:
            loaded.append(f"{service_name}/{type_name}")
            return super().load_service_model(service_name, type_name, api_version)

    session = botocore.session.get_session()
    session.register_component("data_loader", Spy())
    session.create_client("secretsmanager")

    assert "secretsmanager/service-2" in loaded


def test_dynamodb_put_item_still_returns_the_record_in_the_way() -> None:
    """The replay store reads the record that failed its claim from the error (one call, not two)."""
    from botocore.loaders import Loader
    from botocore.model import ServiceModel

    model = ServiceModel(Loader().load_service_model("dynamodb", "service-2"))
    put_item = model.operation_model("PutItem")
    assert "ReturnValuesOnConditionCheckFailure" in put_item.input_shape.members
    assert "Item" in model.shape_for("ConditionalCheckFailedException").members
