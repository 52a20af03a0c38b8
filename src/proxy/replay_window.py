"""The retry-safe replay window around the Kick call (docs/replay-window.md), failing open.

Off (REPLAY_TABLE_NAME unset), this is one `if` and nothing heavy is imported. On, the same request
within REPLAY_WINDOW_SECONDS gets the first answer again, from any container, without calling Kick.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from core.errors import upstream_timeout
from core.grants import ClientCredentials, Grant
from core.kick_answer import KickResult
from core.settings import Settings
from proxy.observability import code_locations

if TYPE_CHECKING:
    from proxy.adapters.aws_session import AwsSession
    from proxy.adapters.dynamodb import ReplayStore

ReplaySource = Literal["off", "kick", "window", "unavailable"]
# Calls Kick, keeping this many seconds of the request's budget for the store's write afterwards.
KickCall = Callable[[float], KickResult]


@dataclass(frozen=True)
class Reply:
    """What the request came to, and where the answer came from."""

    source: ReplaySource
    result: KickResult


class _NotKept(Exception):
    """Raised to the store for an answer that is not tokens: the store then removes the in-progress record."""


class _Attempt:
    """call_kick as the store runs it, keeping what Kick's call came to."""

    def __init__(self, call_kick: KickCall, reserve_seconds: float) -> None:
        self._call_kick = call_kick
        self._reserve_seconds = reserve_seconds
        self.result: KickResult | None = None
        self.error: BaseException | None = None

    def __call__(self) -> str:
        try:
            self.result = self._call_kick(self._reserve_seconds)
        except BaseException as error:
            self.error = error
            raise
        if self.result.body is None:
            raise _NotKept
        return self.result.body


class ReplayWindow:
    def __init__(self, logger: Logger, metrics: Metrics, aws: AwsSession) -> None:
        self._logger = logger
        self._metrics = metrics
        self._aws = aws
        self._client: Any = None
        self._store: ReplayStore | None = None
        self._store_settings: tuple[str, int] | None = None
        # Held while the client (or the store) is made: answer() waits for a cold request's
        # connect() rather than make a second client. Held by connect() while it warms the connection
        # up: answer() waits for that only as long as the read may take, then goes on the plain way.
        self._client_lock = threading.Lock()
        self._store_lock = threading.Lock()
        self._warming = threading.Lock()

    @property
    def connected(self) -> bool:
        return self._client is not None

    def connect(self, settings: Settings, while_connecting: Callable[[], None] = lambda: None) -> None:
        """Make the DynamoDB client and open its connection ahead of answer() (a cold request's warm-up).

        Run in the background while the secret is read (proxy.warmup), which starts the window's imports
        (`while_connecting`) once the client is made. Best effort: a failure here is answer()'s to meet
        again, and report, the plain way.
        """
        if not settings.replay_table_name:
            return
        from proxy.adapters.dynamodb_connection import warm_up

        with self._warming:
            client = self._dynamodb_client()
            while_connecting()
            warm_up(client, settings.replay_table_name)

    def load(self) -> None:
        """Import the window's modules (`cryptography` among them) ahead of answer(), in the background, while
        connect() waits on DynamoDB."""
        import proxy.adapters.dynamodb  # noqa: F401

    def _await_warm_up(self, bound: float) -> None:
        """Let a warm-up read under way finish (within `bound`) so the first write reuses its connection."""
        if self._warming.acquire(timeout=max(0.0, bound)):
            self._warming.release()

    def _dynamodb_client(self) -> Any:
        with self._client_lock:
            if self._client is None:
                from proxy.adapters.dynamodb_connection import table_client

                self._client = table_client(self._aws)
            return self._client

    def answer(
        self,
        settings: Settings,
        grant: Grant,
        credentials: ClientCredentials,
        call_kick: KickCall,
        finish_by: float,
    ) -> Reply:
        """What this grant comes to, from the window when it holds the answer; `finish_by` is monotonic."""
        if not settings.replay_table_name:
            return Reply("off", call_kick(0.0))

        # The table's calls (adapters.dynamodb), with HMAC-keyed record ids and sealed answers (core.replay_crypto).
        from core.replay_crypto import replay_keys
        from proxy.adapters import dynamodb
        from proxy.adapters.dynamodb_connection import CALL_SECONDS

        attempt: _Attempt | None = None
        try:
            store = self._store_for(settings.replay_table_name, settings.replay_window_seconds)
            self._await_warm_up(min(CALL_SECONDS, finish_by - time.monotonic()))
            attempt = _Attempt(call_kick, CALL_SECONDS)
            body = store.answer(replay_keys(grant, credentials.client_secret), attempt, finish_by)
        except dynamodb.StillInProgress:
            return Reply("window", KickResult.failed(upstream_timeout()))
        except Exception as problem:
            return self._without_store(problem, attempt, call_kick)
        if attempt.result is not None:
            return Reply("kick", attempt.result)
        self._metrics.add_metric(name="replay_hit", unit=MetricUnit.Count, value=1)
        return Reply("window", KickResult(body=body, error=None))

    def _without_store(self, problem: Exception, attempt: _Attempt | None, call_kick: KickCall) -> Reply:
        """The window failed somewhere: answer what Kick said, or ask Kick when that is still safe."""
        if attempt is not None and attempt.error is not None:
            if problem is not attempt.error:
                self._unavailable("removing the in-progress record failed", problem)
            raise attempt.error from None
        if attempt is not None and attempt.result is not None:
            if attempt.result.body is None:
                if not isinstance(problem, _NotKept):
                    self._unavailable("removing the in-progress record failed", problem)
                return Reply("kick", attempt.result)
            self._unavailable("keeping the answer failed", problem)
            return Reply("unavailable", attempt.result)
        self._unavailable("the window could not be consulted", problem)
        from proxy.adapters.dynamodb import LostWhileWaiting

        if isinstance(problem, LostWhileWaiting):
            return Reply("unavailable", KickResult.failed(upstream_timeout()))
        return Reply("unavailable", call_kick(0.0))

    def _store_for(self, table_name: str, window_seconds: int) -> ReplayStore:
        with self._store_lock:
            if self._store is None or self._store_settings != (table_name, window_seconds):
                from proxy.adapters.dynamodb import ReplayStore
                from proxy.adapters.dynamodb_connection import CALL_SECONDS

                self._store = ReplayStore(table_name, window_seconds, self._dynamodb_client(), CALL_SECONDS)
                self._store_settings = (table_name, window_seconds)
            return self._store

    def _unavailable(self, what: str, problem: BaseException) -> None:
        cause, seen = problem, {id(problem)}
        while cause.__cause__ is not None and id(cause.__cause__) not in seen:  # the root: botocore's error
            cause = cause.__cause__
            seen.add(id(cause))
        self._logger.warning(
            "replay window unavailable; serving without it",
            extra={
                "replay_failure": what,
                "exception_type": type(problem).__name__,
                "cause": type(cause).__name__,
                "frames": code_locations(problem)[-3:],
            },
        )
        self._metrics.add_metric(name="replay_unavailable", unit=MetricUnit.Count, value=1)
