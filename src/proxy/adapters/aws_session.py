"""One boto3 session per container for every AWS client (Secrets Manager, DynamoDB).

A session loads the SDK's data files (partitions, endpoints) and resolves credentials once; every
client made from it after the first is cheaper. It is created on the first client, never at import,
so nothing AWS-bound lands in a SnapStart snapshot.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config


class AwsSession:
    """Duck-types the `client()` of boto3's Session, which is what Powertools' providers call."""

    def __init__(self, session: boto3.session.Session | None = None) -> None:
        self._session = session
        # A boto3 session is not thread-safe: a cold request's warm-up creates DynamoDB's client while
        # the request itself creates Secrets Manager's.
        self._lock = threading.Lock()

    @property
    def created(self) -> bool:
        return self._session is not None

    def client(self, service_name: str, config: Config | None = None, **options: Any) -> Any:
        with self._lock:
            if self._session is None:
                self._session = boto3.session.Session()
            return self._session.client(service_name, config=config, **options)
