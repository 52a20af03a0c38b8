"""DynamoDB: the replay window's table, through Powertools Idempotency with keyed record ids and sealed answers.

Imported only when REPLAY_TABLE_NAME is set: Powertools Idempotency, boto3's DynamoDB client and
`cryptography` stay out of the default cold start.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, TypeVar, cast

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig
from aws_lambda_powertools.utilities.idempotency.base import IdempotencyHandler
from aws_lambda_powertools.utilities.idempotency.exceptions import BaseError as IdempotencyError
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from aws_lambda_powertools.utilities.idempotency.serialization.base import BaseIdempotencySerializer
from aws_lambda_powertools.utilities.typing import LambdaContext

from core.replay_crypto import ReplayKeys, UnreadableRecord, seal, unseal

FIRST_POLL_SECONDS = 0.05
MAX_POLL_SECONDS = 0.4
# An in-progress record outlives its owner's deadline by this much, so a slow final write is not
# mistaken for a crashed owner (whose record a duplicate may then take over).
IN_PROGRESS_MARGIN_SECONDS = 1.0


class StillInProgress(Exception):
    """The first caller had not answered by the time this duplicate had to give up waiting."""


class LostWhileWaiting(Exception):
    """DynamoDB failed while this duplicate waited: calling Kick now would spend the token twice."""


class StoreTimeout(Exception):
    """A DynamoDB call did not finish within its share of the request's budget (it may still land later)."""


class StoreBusy(Exception):
    """The container's previous DynamoDB call, abandoned at its deadline, has still not finished."""


T = TypeVar("T")


class _Job:
    __slots__ = ("call", "done", "error", "result")

    def __init__(self, call: Callable[[], Any]) -> None:
        self.call = call
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None


class _BoundedCalls:
    """Runs each DynamoDB call on one container-lived daemon thread; the request waits until the call's deadline.

    botocore's timeouts bound each socket operation, not the call, so a DynamoDB that drips its answer
    would hold the request for minutes. The Kick adapter shuts its socket down at the deadline, but
    reaching botocore's sockets means its connection internals, and the Lambda runtime, not this
    package, picks the botocore version; a worker needs only public behaviour. One thread, not one per
    call (a thread start costs more than a warm invocation's own work) and never more: a call abandoned
    at its deadline keeps the worker until botocore gives up, and meanwhile the next call fails at once
    (StoreBusy: the request is served without the window) instead of starting another thread.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._busy = False

    def run(self, call: Callable[[], T], until: float) -> T:
        """call()'s result or exception, or StoreTimeout at `until` (monotonic)."""
        job = _Job(call)
        with self._lock:
            if self._busy:
                raise StoreBusy("an abandoned DynamoDB call still holds the worker")
            self._busy = True
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="replay-store", daemon=True)
                self._thread.start()
        self._jobs.put(job)
        if not job.done.wait(max(0.0, until - time.monotonic())):
            raise StoreTimeout("DynamoDB did not answer within the call's deadline")
        if job.error is not None:
            raise job.error
        return cast("T", job.result)

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                job.result = job.call()
            except BaseException as error:  # handed to the waiting request, never to threading's excepthook
                job.error = error
            finally:
                with self._lock:
                    self._busy = False
                job.done.set()


class _KeyedDynamoDBPersistence(DynamoDBPersistenceLayer):
    """Powertools' table layout (id, expiration, status, data), with the caller's HMAC as the id.

    Every table call goes through `_calls`, each bounded by `call_seconds` and by `finish_by`, the
    current request's: one request at a time per container, as Lambda runs them (threads sharing one
    container would find the worker busy and be served without the window).
    """

    finish_by = math.inf

    def __init__(self, *args: Any, call_seconds: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._calls = _BoundedCalls()
        self._call_seconds = call_seconds

    def _bounded(self, call: Callable[[], T]) -> T:
        return self._calls.run(call, min(self.finish_by, time.monotonic() + self._call_seconds))

    def _get_record(self, idempotency_key: str) -> DataRecord:
        return self._bounded(lambda: super(_KeyedDynamoDBPersistence, self)._get_record(idempotency_key))

    def _update_record(self, data_record: DataRecord) -> None:
        self._bounded(lambda: super(_KeyedDynamoDBPersistence, self)._update_record(data_record))

    def _delete_record(self, data_record: DataRecord) -> None:
        self._bounded(lambda: super(_KeyedDynamoDBPersistence, self)._delete_record(data_record))

    def _get_hashed_idempotency_key(self, data: dict[str, Any]) -> str | None:
        # Powertools would md5 the payload (and prefix the function name): unkeyed, so guessable.
        return str(data["id"])

    def _put_record(self, data_record: DataRecord) -> None:
        # A window shorter than the deadline must not let a duplicate take over a live call.
        if data_record.in_progress_expiry_timestamp is not None and data_record.expiry_timestamp is not None:
            owner_done = math.ceil(data_record.in_progress_expiry_timestamp / 1000)
            data_record.expiry_timestamp = max(data_record.expiry_timestamp, owner_done)
        self._bounded(lambda: super(_KeyedDynamoDBPersistence, self)._put_record(data_record))


class _SealingSerializer(BaseIdempotencySerializer):
    """What Powertools stores in `data`: the answer sealed under this request's key, never plaintext."""

    def __init__(self, keys: ReplayKeys) -> None:
        self._keys = keys

    def to_dict(self, data: Any) -> dict[str, str]:
        return {"sealed": seal(self._keys, str(data))}

    def from_dict(self, data: dict[str, Any]) -> str:
        sealed = data.get("sealed")
        if not isinstance(sealed, str):
            raise UnreadableRecord("the record holds no sealed answer")
        return unseal(self._keys, sealed)


def _remaining(finish_by: float) -> LambdaContext:
    """Powertools sets the in-progress expiry from the context's remaining time: here the request's own."""
    until = finish_by + IN_PROGRESS_MARGIN_SECONDS
    return cast(
        "LambdaContext",
        SimpleNamespace(get_remaining_time_in_millis=lambda: max(0, int((until - time.monotonic()) * 1000))),
    )


def _invoke(call_kick: Callable[[], str]) -> str:
    """What IdempotencyHandler runs (it wants a plain function, for a name this layer ignores)."""
    return call_kick()


class ReplayStore:
    """One per container: a DynamoDB client and Powertools persistence layer for one table and window."""

    def __init__(self, table_name: str, window_seconds: int, client: Any, call_seconds: float) -> None:
        """`client`: adapters.dynamodb_connection's table_client(); each call is bounded by `call_seconds`."""
        self._call_seconds = call_seconds
        self._persistence = _KeyedDynamoDBPersistence(
            table_name=table_name, boto3_client=client, call_seconds=call_seconds
        )
        self._window_seconds = window_seconds

    def answer(self, keys: ReplayKeys, call_kick: Callable[[], str], finish_by: float) -> str:
        """The stored answer for this request, or call_kick's, stored when it returns.

        Duplicates of a call in progress poll until it completes (its answer), fails (they take over
        and call Kick), or `finish_by` nears (StillInProgress). Exceptions from call_kick propagate
        after the in-progress record is removed; store failures raise whatever Powertools raised.
        """
        self._persistence.finish_by = finish_by
        handler = IdempotencyHandler(
            function=_invoke,
            function_payload={"id": keys.record_id},
            config=IdempotencyConfig(expires_after_seconds=self._window_seconds, lambda_context=_remaining(finish_by)),
            persistence_store=self._persistence,
            output_serializer=_SealingSerializer(keys),
            function_args=(call_kick,),
            function_kwargs={},
        )
        delay, waited = FIRST_POLL_SECONDS, False
        while True:
            try:
                body = handler.handle()
            except IdempotencyAlreadyInProgressError:
                # Room for the next put and, should it make us the owner, the final write or delete.
                if time.monotonic() + delay + 2 * self._call_seconds > finish_by:
                    raise StillInProgress from None
                time.sleep(delay)
                delay, waited = min(delay * 2, MAX_POLL_SECONDS), True
                continue
            except IdempotencyError as failure:  # the store's own failures, not Kick's answer
                if waited:
                    raise LostWhileWaiting(type(failure).__name__) from failure
                raise
            if not isinstance(body, str):
                raise UnreadableRecord("the record holds no answer")
            return body
