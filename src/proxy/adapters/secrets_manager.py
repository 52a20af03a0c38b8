"""Secrets Manager: the Kick client credentials, read through Powertools Parameters and kept per container."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.parameters import SecretsProvider
from botocore.config import Config

from core.budget import SECRET_READ_SECONDS
from core.grants import ClientCredentials

# Long enough to spare Secrets Manager, short enough that a rotated secret is picked up soon.
CACHE_SECONDS = 300

# One attempt, 1 s to connect and 1 s per read: a hanging Secrets Manager fails the request in
# about a second instead of holding it past the upstream deadline plus 2 s.
BOTO_CONFIG = Config(connect_timeout=1, read_timeout=1, retries={"total_max_attempts": 1, "mode": "standard"})


class CredentialsUnavailable(Exception):
    """The secret could not be read or is not the documented JSON; the message is safe to log."""


class ClientCredentialsReader:
    """One per container. The SecretsProvider is created on the first read, never at import, so nothing
    AWS-bound lands in a SnapStart snapshot.

    Those botocore timeouts bound each socket operation, not the read: a Secrets Manager that drips its
    answer a byte at a time would hold the request for minutes, so the whole read gets SECRET_READ_SECONDS.
    """

    def __init__(self, boto3_session: Any | None = None) -> None:
        self._boto3_session = boto3_session
        self._provider: SecretsProvider | None = None
        # Credentials already read and validated, with when they go stale: a warm call returns them
        # without the bounded read's worker thread, which would cost more than the rest of the invocation.
        self._fresh: dict[str, tuple[float, ClientCredentials]] = {}

    @property
    def provider_created(self) -> bool:
        return self._provider is not None

    def prepare(self) -> None:
        """Create the client now (a cold request does, before starting its background warm-up)."""
        self._secrets_provider()

    def read(self, secret_id: str) -> ClientCredentials:
        read_started = time.monotonic()
        fresh = self._fresh.get(secret_id)
        if fresh is not None and read_started < fresh[0]:
            return fresh[1]
        try:
            provider = self._secrets_provider()
            value = _within(
                SECRET_READ_SECONDS, lambda: provider.get(secret_id, max_age=CACHE_SECONDS, transform="json")
            )
        except Exception as exc:  # Powertools wraps botocore and transform failures alike
            raise CredentialsUnavailable(f"reading the secret failed ({type(exc).__name__})") from None

        client_id = value.get("client_id") if isinstance(value, dict) else None
        client_secret = value.get("client_secret") if isinstance(value, dict) else None
        if not isinstance(client_id, str) or not client_id or not isinstance(client_secret, str) or not client_secret:
            provider.clear_cache()  # type: ignore[no-untyped-call]
            raise CredentialsUnavailable("the secret is not JSON with non-empty client_id and client_secret")
        credentials = ClientCredentials(client_id=client_id, client_secret=client_secret)
        self._fresh[secret_id] = (read_started + CACHE_SECONDS, credentials)
        return credentials

    def _secrets_provider(self) -> SecretsProvider:
        if self._provider is None:
            self._provider = SecretsProvider(boto_config=BOTO_CONFIG, boto3_session=self._boto3_session)
        return self._provider


def _within(seconds: float, read: Callable[[], Any]) -> Any:
    """`read()`'s result, or TimeoutError after `seconds`; a late read finishes (and caches) on its own."""
    outcome: list[tuple[bool, Any]] = []

    def run() -> None:
        try:
            outcome.append((True, read()))
        except Exception as exc:  # handed to the caller, never to threading's excepthook
            outcome.append((False, exc))

    worker = threading.Thread(target=run, name="secret-read", daemon=True)
    worker.start()
    worker.join(seconds)
    if not outcome:
        raise TimeoutError("reading the secret took too long")
    succeeded, result = outcome[0]
    if not succeeded:
        raise result
    return result
