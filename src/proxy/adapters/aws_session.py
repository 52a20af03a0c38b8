"""One botocore session per container for every AWS client (Secrets Manager, DynamoDB).

A session loads the SDK's data files (partitions, endpoints) and resolves credentials once; every
client made from it after the first is cheaper. It is created on the first client, never at import,
so nothing AWS-bound lands in a SnapStart snapshot.

botocore, not boto3: boto3 adds nothing to a client of these two services, and importing it (with
s3transfer and multiprocessing) costs about 22 ms of every cold start on top of botocore's
(benchmarks/results/runs/2026-12-01/python-c-timings.md).
"""

from __future__ import annotations

import gzip
import json
import os
import threading
from collections.abc import Sequence
from typing import Any, overload

import botocore.session
from botocore.config import Config
from botocore.loaders import JSONFileLoader, Loader, create_loader


class AwsSession:
    """The container's botocore session; `client()` is what every adapter calls."""

    def __init__(self, session: botocore.session.Session | None = None) -> None:
        self._session = session
        # A botocore session is not thread-safe: a cold request's warm-up creates DynamoDB's client while
        # the request itself creates Secrets Manager's.
        self._lock = threading.Lock()

    @property
    def created(self) -> bool:
        return self._session is not None

    def client(self, service_name: str, config: Config | None = None, **options: Any) -> Any:
        with self._lock:
            if self._session is None:
                self._session = new_session()
            return self._session.create_client(service_name, config=config, **options)


def new_session() -> botocore.session.Session:
    """A botocore session whose data loader looks up only the services asked for (ServiceLoader)."""
    session = botocore.session.get_session()
    default_loader = create_loader(session.get_config_variable("data_path"))
    session.register_component("data_loader", ServiceLoader.like(default_loader))
    return session


class ServiceLoader(Loader):  # type: ignore[misc]
    """botocore's data loader, minus two costs of a container's first client (docs/performance.md):

    - "is there such a service?" looks for that service only. botocore checks the name against
      `list_available_services`, which lists every service directory of the SDK (hundreds) and each of
      their API versions: 15 to 29 ms of the first client in four timings (the same file). The full
      list is still built for anything that iterates, indexes or counts it (botocore's
      UnknownServiceError message does).
    - JSON is parsed into plain dicts, not OrderedDicts (`_DictJSONFileLoader`): the same order since
      Python 3.7, in about half the time; the SDK's endpoint data alone is 1.2 MB.
    """

    @classmethod
    def like(cls, loader: Loader) -> ServiceLoader:
        """This loader with `loader`'s search paths (AWS_DATA_PATH, ~/.aws/models, the SDK's own)."""
        return cls(
            extra_search_paths=list(loader.search_paths),
            file_loader=_DictJSONFileLoader(),
            include_default_search_paths=False,
        )

    def list_available_services(self, type_name: str) -> _ServiceNames:
        return _ServiceNames(self, type_name)


class _ServiceNames(Sequence[str]):
    """botocore's list of services for one model type: `in` looks for the one name; the rest builds the list."""

    def __init__(self, loader: ServiceLoader, type_name: str) -> None:
        self._loader = loader
        self._type_name = type_name

    def __contains__(self, service_name: object) -> bool:
        if not isinstance(service_name, str) or service_name in ("", ".", "..") or os.sep in service_name:
            return False
        for search_path in self._loader.search_paths:
            service_path = os.path.join(search_path, service_name)
            if not os.path.isdir(service_path):
                continue
            for api_version in os.listdir(service_path):
                if self._loader.file_loader.exists(os.path.join(service_path, api_version, self._type_name)):
                    return True
        return False

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...

    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    def _all(self) -> list[str]:
        services: list[str] = Loader.list_available_services(self._loader, self._type_name)  # botocore caches it
        return services


class _DictJSONFileLoader(JSONFileLoader):  # type: ignore[misc]
    """botocore's JSON file loader (same files, same order of extensions), parsing into plain dicts."""

    def load_file(self, file_path: str) -> Any:
        for extension, opener in ((".json", open), (".json.gz", gzip.open)):
            full_path = file_path + extension
            if os.path.isfile(full_path):
                with opener(full_path, "rb") as data:
                    return json.loads(data.read().decode("utf-8"))
        return None
