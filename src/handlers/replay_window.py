"""The retry-safe replay window around the Kick call (docs/replay-window.md), failing open.

Off (REPLAY_TABLE_NAME unset), this is one `if` and nothing heavy is imported. On, the same request
within REPLAY_WINDOW_SECONDS gets the first answer again, from any container, without calling Kick.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from core.errors import upstream_timeout
from core.grants import ClientCredentials, Grant
from core.settings import Settings
from handlers.failure_log import code_locations

if TYPE_CHECKING:
    from handlers.replay_store import ReplayStore

ReplaySource = Literal["off", "kick", "window", "unavailable"]
# Calls Kick, keeping this many seconds of the request's budget for the store's write afterwards.
KickCall = Callable[[float], str]


class StillInProgress(Exception):
    """The first caller had not answered by the time this duplicate had to give up waiting."""


class LostWhileWaiting(Exception):
    """DynamoDB failed while this duplicate waited: calling Kick now would spend the token twice."""


@dataclass(frozen=True)
class Reply:
    body: str
    source: ReplaySource


class _Attempt:
    """call_kick as the store runs it, remembering whether Kick was called and how it went."""

    def __init__(self, call_kick: KickCall, reserve_seconds: float) -> None:
        self._call_kick = call_kick
        self._reserve_seconds = reserve_seconds
        self.body: str | None = None
        self.error: BaseException | None = None

    def __call__(self) -> str:
        try:
            self.body = self._call_kick(self._reserve_seconds)
        except BaseException as error:
            self.error = error
            raise
        return self.body


class ReplayWindow:
    def __init__(self, logger: Logger, metrics: Metrics) -> None:
        self._logger = logger
        self._metrics = metrics
        self._store: ReplayStore | None = None
        self._store_settings: tuple[str, int] | None = None

    def answer(
        self,
        settings: Settings,
        grant: Grant,
        credentials: ClientCredentials,
        call_kick: KickCall,
        finish_by: float,
    ) -> Reply:
        """Kick's token body for this grant, from the window when it holds one; `finish_by` is monotonic."""
        if not settings.replay_table_name:
            return Reply(call_kick(0.0), "off")

        # Powertools Idempotency customised (replay_store): its handler, an HMAC-keyed layer, a sealing serializer.
        attempt: _Attempt | None = None
        try:
            from core.replay_crypto import replay_keys
            from handlers.replay_store import CALL_SECONDS

            store = self._store_for(settings.replay_table_name, settings.replay_window_seconds)
            attempt = _Attempt(call_kick, CALL_SECONDS)
            body = store.answer(replay_keys(grant, credentials.client_secret), attempt, finish_by)
        except StillInProgress:
            raise upstream_timeout() from None
        except Exception as problem:
            if attempt is not None and attempt.error is not None:
                if problem is not attempt.error:
                    self._unavailable("removing the in-progress record failed", problem)
                raise attempt.error from None
            if attempt is not None and attempt.body is not None:
                self._unavailable("keeping the answer failed", problem)
                return Reply(attempt.body, "unavailable")
            self._unavailable("the window could not be consulted", problem)
            if isinstance(problem, LostWhileWaiting):
                raise upstream_timeout() from None
            return Reply(call_kick(0.0), "unavailable")

        if attempt.body is not None:
            return Reply(body, "kick")
        self._metrics.add_metric(name="replay_hit", unit=MetricUnit.Count, value=1)
        return Reply(body, "window")

    def _store_for(self, table_name: str, window_seconds: int) -> ReplayStore:
        if self._store is None or self._store_settings != (table_name, window_seconds):
            from handlers.replay_store import ReplayStore

            self._store = ReplayStore(table_name, window_seconds)
            self._store_settings = (table_name, window_seconds)
        return self._store

    def _unavailable(self, what: str, problem: BaseException) -> None:
        cause = problem.__cause__ or problem
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
