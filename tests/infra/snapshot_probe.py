"""Imports every handlers module in a fresh interpreter, as Lambda's init phase (and a SnapStart
snapshot) would, while refusing any socket use, and reports what the import left behind as JSON.
Run by test_snapshot_safety.py as `python -m tests.infra.snapshot_probe`.
"""

from __future__ import annotations

import gc
import importlib
import json
import pkgutil
import socket
from collections.abc import Callable
from typing import Any

attempts: list[str] = []


def _refused(name: str) -> Callable[..., Any]:
    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        attempts.append(name)
        raise OSError(f"{name} during import")

    return refuse


def main() -> None:
    setattr(socket.socket, "connect", _refused("socket.connect"))  # noqa: B010 (assigning a method)
    setattr(socket.socket, "connect_ex", _refused("socket.connect_ex"))  # noqa: B010
    socket.create_connection = _refused("socket.create_connection")
    socket.getaddrinfo = _refused("socket.getaddrinfo")

    import handlers
    import proxy

    imported = [
        module.name
        for package in (handlers, proxy)
        for module in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}.")
    ]
    for name in imported:
        importlib.import_module(name)

    import botocore.client
    from requests.adapters import HTTPAdapter

    from proxy.pipeline import container

    adapters = {prefix: a for prefix, a in container.kick._session.adapters.items() if isinstance(a, HTTPAdapter)}
    print(
        json.dumps(
            {
                "imported": imported,
                "socket_attempts": attempts,
                "secrets_client_created": container.credentials.client_created,
                "aws_session_created": container.aws.created,
                "pooled_connections": {prefix: len(adapter.poolmanager.pools) for prefix, adapter in adapters.items()},
                "boto_clients": sorted(
                    obj.meta.service_model.service_name
                    for obj in gc.get_objects()
                    if isinstance(obj, botocore.client.BaseClient)
                ),
            }
        )
    )


if __name__ == "__main__":
    main()
