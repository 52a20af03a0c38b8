"""Secrets Manager: the Kick client credentials, read with botocore and kept per container."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

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
    """One per container. The client is created on the first read, never at import, so nothing
    AWS-bound lands in a SnapStart snapshot.

    One cache, this reader's, counted from the start of the read. Not Powertools Parameters: its cache
    would be a second lifetime starting after the read (able to hand back the old secret after this
    one expired), so it would only ever be asked with force_fetch, and its import brings boto3 into
    every cold start (docs/performance.md); what is left of it is one GetSecretValue and a json.loads.

    Those botocore timeouts bound each socket operation, not the read: a Secrets Manager that drips its
    answer would hold the request for minutes, so the request waits at most SECRET_READ_SECONDS and the
    read goes on in its own thread. Single flight: a request that finds a read in flight joins it
    instead of starting another, so a dripping Secrets Manager costs one thread and one socket, not one
    per request. A warm call returns the cached credentials without any thread. `clock` (monotonic
    seconds) times the cache, so a test can make a read take minutes without waiting for them.
    """

    def __init__(self, aws: Any, clock: Callable[[], float] = time.monotonic) -> None:
        """`aws`: the container's adapters.aws_session.AwsSession (anything with its `client()`)."""
        self._aws = aws
        self._clock = clock
        self._client: Any = None
        self._lock = threading.Lock()
        self._fresh: dict[str, tuple[float, ClientCredentials]] = {}
        self._in_flight: dict[str, _Read] = {}

    @property
    def client_created(self) -> bool:
        return self._client is not None

    def prepare(self) -> None:
        """Create the client now (a cold request does, before starting its background warm-up)."""
        self._secrets_client()

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
            self._secrets_client()
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
        except Exception as exc:  # botocore's, whatever they are: the type is safe to log, the message may not be
            read.failure = f"reading the secret failed ({type(exc).__name__})"
        with self._lock:
            if read.credentials is not None:  # a failure is never cached; a late success is, for the next request
                self._fresh[secret_id] = (read.started + CACHE_SECONDS, read.credentials)
            del self._in_flight[secret_id]
        read.done.set()

    def _get(self, secret_id: str) -> ClientCredentials:
        answer = self._secrets_client().get_secret_value(SecretId=secret_id)
        try:
            value = json.loads(answer["SecretString"])
        except (KeyError, TypeError, ValueError):
            value = None
        client_id = value.get("client_id") if isinstance(value, dict) else None
        client_secret = value.get("client_secret") if isinstance(value, dict) else None
        if not isinstance(client_id, str) or not client_id or not isinstance(client_secret, str) or not client_secret:
            raise CredentialsUnavailable("the secret is not JSON with non-empty client_id and client_secret")
        return ClientCredentials(client_id=client_id, client_secret=client_secret)

    def _secrets_client(self) -> Any:
        if self._client is None:
            self._client = self._aws.client("secretsmanager", config=BOTO_CONFIG)
        return self._client
