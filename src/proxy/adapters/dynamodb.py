"""DynamoDB: the replay window's table (docs/replay-window.md): claim a request, keep its sealed answer.

Imported only when REPLAY_TABLE_NAME is set (on a cold request, in the background while the secret is
read: proxy.warmup). The table keeps Powertools Idempotency's layout (`id`, `expiration`,
`in_progress_expiration`, `status`, `data` holding `{"sealed": ...}`) and its conditions, so records
written by earlier versions of the proxy, which used it, read the same during a deployment.
Not Powertools Idempotency itself: it imports boto3 (with s3transfer and multiprocessing) into the
default deployment's cold start, where the window's background imports took 44 ms instead of 14 and
a fast network leaves no wait to hide them in (docs/performance.md); and the window needed five of
its private methods overridden, a stand-in Lambda context and its handler driven in a polling loop.
What is left is four DynamoDB calls: claim, read, keep, remove.
"""

from __future__ import annotations

import json
import math
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from botocore.exceptions import ClientError

from core.replay_crypto import ReplayKeys, UnreadableRecord, seal, unseal

IN_PROGRESS = "INPROGRESS"
COMPLETED = "COMPLETED"
# A claim meets a record that lapsed, or vanished, between DynamoDB's check and our read: try again,
# this many times in all, as Powertools did.
CLAIM_ATTEMPTS = 3
FIRST_POLL_SECONDS = 0.05
MAX_POLL_SECONDS = 0.4
# An in-progress record outlives its owner's deadline by this much, so a slow final write is not
# mistaken for a crashed owner (whose record a duplicate may then take over).
IN_PROGRESS_MARGIN_SECONDS = 1.0


class StillInProgress(Exception):
    """The first caller had not answered by the time this duplicate had to give up waiting."""


class LostWhileWaiting(Exception):
    """DynamoDB failed while this duplicate waited: calling Kick now would spend the token twice."""


class StoreFailure(Exception):
    """A table call failed (its cause is botocore's error, a timeout, or an answer DynamoDB never sends)."""


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


@dataclass(frozen=True)
class _Found:
    """A live record someone else holds: in progress (sealed is None), or its kept answer."""

    sealed: str | None


class _Conflict(Exception):
    """The claim's condition failed; `item` is the record that stood in its way, when DynamoDB returned it."""

    def __init__(self, item: dict[str, Any] | None) -> None:
        super().__init__("the record exists")
        self.item = item


class ReplayStore:
    """One per container: the replay table's client, every call bounded and run on one worker thread.

    Wall-clock times (`time.time()`) go into the table, which every container shares: `expiration` in
    epoch seconds (also the table's TTL attribute), `in_progress_expiration` in epoch milliseconds.
    """

    def __init__(self, table_name: str, window_seconds: int, client: Any, call_seconds: float) -> None:
        """`client`: adapters.dynamodb_connection's table_client(); each call is bounded by `call_seconds`."""
        self._table_name = table_name
        self._window_seconds = window_seconds
        self._client = client
        self._call_seconds = call_seconds
        self._calls = _BoundedCalls()

    def answer(self, keys: ReplayKeys, call_kick: Callable[[], str], finish_by: float) -> str:
        """The stored answer for this request, or call_kick's, stored when it returns; `finish_by` is monotonic.

        Duplicates of a call in progress poll until it completes (its answer), fails (they take over
        and call Kick), or `finish_by` nears (StillInProgress). An exception from call_kick propagates,
        unchanged, once the in-progress record is removed; a table call that fails raises StoreFailure
        (LostWhileWaiting once this request has waited for another's answer).
        """
        delay, waited = FIRST_POLL_SECONDS, False
        while True:
            try:
                found = self._claim(keys.record_id, finish_by)
            except StoreFailure as failure:
                if waited:
                    raise LostWhileWaiting(type(failure.__cause__ or failure).__name__) from failure
                raise
            if found is None:
                return self._answer_as_owner(keys, call_kick, finish_by)
            if found.sealed is not None:
                return unseal(keys, found.sealed)
            # Room for the next claim and, should it make us the owner, the final write or delete.
            if time.monotonic() + delay + 2 * self._call_seconds > finish_by:
                raise StillInProgress
            time.sleep(delay)
            delay, waited = min(delay * 2, MAX_POLL_SECONDS), True

    def _answer_as_owner(self, keys: ReplayKeys, call_kick: Callable[[], str], finish_by: float) -> str:
        try:
            body = call_kick()
        except Exception:
            key = _key(keys.record_id)
            self._call(lambda: self._client.delete_item(TableName=self._table_name, Key=key), finish_by)
            raise
        # A put, not Powertools' UpdateItem: the same record, and the claim has already made PutItem's
        # first call (botocore's per-operation set-up) on this container.
        kept = {
            **_key(keys.record_id),
            "status": {"S": COMPLETED},
            "expiration": {"N": str(int(time.time()) + self._window_seconds)},
            "data": {"S": json.dumps({"sealed": seal(keys, body)})},
        }
        self._call(lambda: self._client.put_item(TableName=self._table_name, Item=kept), finish_by)
        return body

    def _claim(self, record_id: str, finish_by: float) -> _Found | None:
        """Write this request's in-progress record (None: it is ours), or return the live one in its way."""
        for _ in range(CLAIM_ATTEMPTS):
            try:
                self._put_in_progress(record_id, finish_by)
            except _Conflict as conflict:
                item = conflict.item if conflict.item is not None else self._read(record_id, finish_by)
            else:
                return None
            if item is not None and (found := _live(item)) is not None:
                return found
        raise StoreFailure("the record changed under every claim")

    def _put_in_progress(self, record_id: str, finish_by: float) -> None:
        now = time.time()
        # The owner's record outlives its deadline by a margin, so a slow final write is not mistaken
        # for a crashed owner; and a window shorter than the deadline must not let a duplicate take over.
        owner_left = max(0.0, finish_by + IN_PROGRESS_MARGIN_SECONDS - time.monotonic())
        owner_done_ms = int((now + owner_left) * 1000)
        expiration = max(int(now) + self._window_seconds, math.ceil(owner_done_ms / 1000))
        self._call(
            lambda: self._client.put_item(
                TableName=self._table_name,
                Item={
                    **_key(record_id),
                    "expiration": {"N": str(expiration)},
                    "status": {"S": IN_PROGRESS},
                    "in_progress_expiration": {"N": str(owner_done_ms)},
                },
                ConditionExpression=(
                    "attribute_not_exists(#id) OR #expiry < :now OR"
                    " (#status = :in_progress AND attribute_exists(#in_progress_expiry)"
                    " AND #in_progress_expiry < :now_in_millis)"
                ),
                ExpressionAttributeNames={
                    "#id": "id",
                    "#expiry": "expiration",
                    "#in_progress_expiry": "in_progress_expiration",
                    "#status": "status",
                },
                ExpressionAttributeValues={
                    ":now": {"N": str(int(now))},
                    ":now_in_millis": {"N": str(int(now * 1000))},
                    ":in_progress": {"S": IN_PROGRESS},
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            ),
            finish_by,
        )

    def _read(self, record_id: str, finish_by: float) -> dict[str, Any] | None:
        answer = self._call(
            lambda: self._client.get_item(TableName=self._table_name, Key=_key(record_id), ConsistentRead=True),
            finish_by,
        )
        item = answer.get("Item")
        return item if isinstance(item, dict) else None

    def _call(self, call: Callable[[], T], finish_by: float) -> T:
        try:
            return self._calls.run(call, min(finish_by, time.monotonic() + self._call_seconds))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                item = error.response.get("Item")
                raise _Conflict(item if isinstance(item, dict) else None) from None
            raise StoreFailure(f"DynamoDB refused the call ({type(error).__name__})") from error
        except Exception as error:
            raise StoreFailure(f"the DynamoDB call failed ({type(error).__name__})") from error


def _key(record_id: str) -> dict[str, dict[str, str]]:
    return {"id": {"S": record_id}}


def _live(item: dict[str, Any]) -> _Found | None:
    """What a record found in the way means now: None if it no longer counts (expired, or an owner gone)."""
    try:
        now = time.time()
        if int(now) > int(item["expiration"]["N"]):
            return None
        if item["status"]["S"] == IN_PROGRESS:
            lapses = item.get("in_progress_expiration")
            return None if lapses is not None and int(lapses["N"]) < int(now * 1000) else _Found(sealed=None)
        data = item.get("data", {}).get("S")
    except (KeyError, TypeError, ValueError, AttributeError) as malformed:
        raise StoreFailure("the record is not in the replay table's layout") from malformed
    try:
        kept = json.loads(data) if isinstance(data, str) else None
    except ValueError:
        kept = None
    sealed = kept.get("sealed") if isinstance(kept, dict) else None
    if not isinstance(sealed, str):
        raise UnreadableRecord("the record holds no sealed answer")
    return _Found(sealed=sealed)
