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

# Long enough to spare Secrets Manager; a rotated secret does not wait for it (read_again).
CACHE_SECONDS = 300

# One attempt, 1 s to connect and 1 s per read: a hanging Secrets Manager fails the request in
# about a second instead of holding it past the upstream deadline plus 2 s.
BOTO_CONFIG = Config(connect_timeout=1, read_timeout=1, retries={"total_max_attempts": 1, "mode": "standard"})


class CredentialsUnavailable(Exception):
    """The secret could not be read or is not the documented JSON; the message is safe to log."""


class _Read:
    """One GetSecretValue in flight, which any request may wait on."""

    def __init__(self, started: float) -> None:
        self.started = started
        self.done = threading.Event()
        self.credentials: ClientCredentials | None = None
        self.failure = ""


class ClientCredentialsReader:
    """One per container. The SecretsProvider is created on the first read, never at import, so nothing
    AWS-bound lands in a SnapStart snapshot.

    One cache, this reader's, counted from the start of the read: Powertools is always asked with
    force_fetch, because its own cache would be a second lifetime starting after the read, able to
    hand back the old secret after this one expired and so keep it for another CACHE_SECONDS.

    Those botocore timeouts bound each socket operation, not the read: a Secrets Manager that drips its
    answer would hold the request for minutes, so the request waits at most SECRET_READ_SECONDS and the
    read goes on in its own thread. Single flight: a request that finds a read in flight joins it
    instead of starting another, so a dripping Secrets Manager costs one thread and one socket, not one
    per request. A warm call returns the cached credentials without any thread. `clock` (monotonic
    seconds) times the cache, so a test can make a read take minutes without waiting for them.
    """

    def __init__(self, boto3_session: Any | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._boto3_session = boto3_session
        self._clock = clock
        self._provider: SecretsProvider | None = None
        self._lock = threading.Lock()
        self._fresh: dict[str, tuple[float, ClientCredentials]] = {}
        self._in_flight: dict[str, _Read] = {}

    @property
    def provider_created(self) -> bool:
        return self._provider is not None

    def prepare(self) -> None:
        """Create the client now (a cold request does, before starting its background warm-up)."""
        self._secrets_provider()

    def read(self, secret_id: str) -> ClientCredentials:
        fresh = self._fresh.get(secret_id)
        if fresh is not None and self._clock() < fresh[0]:
            return fresh[1]
        return self._fetch(secret_id, SECRET_READ_SECONDS)

    def read_again(self, secret_id: str, refused: ClientCredentials, seconds: float) -> ClientCredentials | None:
        """The secret read past every cache, within `seconds`: the new credentials, or None if they are still
        `refused`. A read already in flight is joined; it is a fresh read too."""
        credentials = self._fetch(secret_id, min(seconds, SECRET_READ_SECONDS))
        return None if credentials == refused else credentials

    def _fetch(self, secret_id: str, seconds: float) -> ClientCredentials:
        with self._lock:
            self._secrets_provider()
            read = self._in_flight.get(secret_id)
            if read is None:
                read = self._in_flight[secret_id] = _Read(self._clock())
                threading.Thread(target=self._run, args=(secret_id, read), name="secret-read", daemon=True).start()
        if not read.done.wait(max(0.0, seconds)):
            raise CredentialsUnavailable("reading the secret failed (TimeoutError)")
        if read.credentials is None:
            raise CredentialsUnavailable(read.failure)
        return read.credentials

    def _run(self, secret_id: str, read: _Read) -> None:
        try:
            read.credentials = self._get(secret_id)
        except CredentialsUnavailable as failure:
            read.failure = str(failure)
        except Exception as exc:  # Powertools wraps botocore and transform failures alike
            read.failure = f"reading the secret failed ({type(exc).__name__})"
        with self._lock:
            if read.credentials is not None:  # a failure is never cached; a late success is, for the next request
                self._fresh[secret_id] = (read.started + CACHE_SECONDS, read.credentials)
            del self._in_flight[secret_id]
        read.done.set()

    def _get(self, secret_id: str) -> ClientCredentials:
        value = self._secrets_provider().get(secret_id, force_fetch=True, transform="json")
        client_id = value.get("client_id") if isinstance(value, dict) else None
        client_secret = value.get("client_secret") if isinstance(value, dict) else None
        if not isinstance(client_id, str) or not client_id or not isinstance(client_secret, str) or not client_secret:
            raise CredentialsUnavailable("the secret is not JSON with non-empty client_id and client_secret")
        return ClientCredentials(client_id=client_id, client_secret=client_secret)

    def _secrets_provider(self) -> SecretsProvider:
        if self._provider is None:
            self._provider = SecretsProvider(boto_config=BOTO_CONFIG, boto3_session=self._boto3_session)
        return self._provider
