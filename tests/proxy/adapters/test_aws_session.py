"""The container's botocore session: one per container, and a data loader that looks up one service at a time."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import UnknownServiceError
from botocore.loaders import Loader

from proxy.adapters.aws_session import AwsSession, ServiceLoader, new_session
from tests.support.aws import DUMMY_AWS_ENV, count_botocore_sessions


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in DUMMY_AWS_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_DATA_PATH", raising=False)


@pytest.fixture
def listed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every directory os.listdir lists from now on."""
    seen: list[str] = []
    listdir = os.listdir

    def recording(path: Any = ".") -> list[str]:
        seen.append(os.fspath(path))
        return listdir(path)

    monkeypatch.setattr(os, "listdir", recording)
    return seen


def test_a_containers_clients_are_made_without_listing_every_service_of_the_sdk(listed: list[str]) -> None:
    session = AwsSession()
    secrets = session.client("secretsmanager", region_name="us-east-1")
    dynamodb = session.client("dynamodb", region_name="us-east-1")

    assert (secrets.meta.service_model.service_name, dynamodb.meta.service_model.service_name) == (
        "secretsmanager",
        "dynamodb",
    )
    assert Loader.BUILTIN_DATA_PATH not in listed  # botocore's own loader lists it, and each of its hundreds of dirs
    assert {Path(path).name for path in listed} <= {"secretsmanager", "dynamodb"}


def test_botocores_loader_lists_the_sdk_for_the_same_client(listed: list[str]) -> None:
    """The test above can fail: without ServiceLoader the SDK's data directory is listed."""
    import botocore.session

    botocore.session.get_session().create_client("secretsmanager", region_name="us-east-1")

    assert Loader.BUILTIN_DATA_PATH in listed


@pytest.mark.parametrize("data", ["endpoints", "sdk-default-configuration", "secretsmanager/2017-10-17/service-2"])
def test_the_sdks_data_loads_as_botocore_loads_it_in_plain_dicts(data: str) -> None:
    ours = new_session().get_component("data_loader").load_data(data)
    botocores = Loader().load_data(data)

    assert ours == botocores
    assert json.dumps(ours) == json.dumps(botocores)  # the same order, everywhere
    assert type(ours) is dict


def test_an_unknown_service_is_refused_as_botocore_refuses_it() -> None:
    with pytest.raises(UnknownServiceError) as refused:
        AwsSession().client("secrets-manager", region_name="us-east-1")

    assert "secretsmanager" in str(refused.value)  # the full list, built only for the message


@pytest.mark.parametrize(
    "name", ["", ".", "..", "../dynamodb", "dynamodb/../dynamodb", "dynamodb/2012-08-10", "no-such-service"]
)
def test_only_a_service_directory_of_the_search_path_is_a_service(name: str) -> None:
    assert name not in new_session().get_component("data_loader").list_available_services("service-2")


def test_the_search_path_is_botocores_own_aws_data_path_included(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    model = tmp_path / "made-up-service" / "2026-01-01" / "service-2.json"
    model.parent.mkdir(parents=True)
    model.write_text("{}")

    loader = new_session().get_component("data_loader")

    assert isinstance(loader, ServiceLoader)
    assert loader.search_paths == [str(tmp_path), Loader.CUSTOMER_DATA_PATH, Loader.BUILTIN_DATA_PATH]
    assert "made-up-service" in loader.list_available_services("service-2")
    assert "made-up-service" not in loader.list_available_services("paginators-1")


def test_one_session_per_container_whichever_thread_asks_first(monkeypatch: pytest.MonkeyPatch) -> None:
    made = count_botocore_sessions(monkeypatch)
    session = AwsSession()
    threads = [
        threading.Thread(target=session.client, args=(service,), kwargs={"region_name": "us-east-1"})
        for service in ("secretsmanager", "dynamodb", "secretsmanager")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(made) == 1
    assert session.created
