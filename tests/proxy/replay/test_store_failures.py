"""The replay window under every way DynamoDB can fail: each request still ends within the deadline + 2 s,
and a store that fails, hangs or answers what DynamoDB never sends is logged, counted and served around."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.proxy.replay.conftest import new_container
from tests.support.events import json_event
from tests.support.kick_stub import json_answer, token_answer
from tests.support.logs import CapturedOutput
from tests.support.proxy import REDIRECT_URI, VERIFIER, Invocation, Proxy
from tests.support.sockets import CannedServer, DripServer, SilentServer, closed_port, http_response

DEADLINE = 2.0
# The contract: no invocation runs longer than the deadline plus 2 s, whatever DynamoDB does.
LIMIT = DEADLINE + 2
AMZ_JSON = "application/x-amz-json-1.0"
# Each byte well inside botocore's 0.5 s read timeout: only a total bound stops it (95 s for this answer).
DRIP_SECONDS_PER_BYTE = 0.25
DRIPPED_ANSWER = http_response(200, json.dumps({"ConsumedCapacity": {"TableName": "x" * 300}}).encode(), AMZ_JSON)


def _error(status: int, kind: str) -> bytes:
    document = {"__type": f"com.amazonaws.dynamodb.v20120810#{kind}", "message": "stand-in"}
    return http_response(status, json.dumps(document).encode(), AMZ_JSON)


@contextmanager
def _endpoint(kind: str) -> Iterator[str]:
    """A DynamoDB endpoint that fails in the named way."""
    if kind == "refused":
        yield f"http://127.0.0.1:{closed_port()}"
        return
    servers: dict[str, Callable[[], Any]] = {
        "drip": lambda: DripServer(DRIPPED_ANSWER, DRIP_SECONDS_PER_BYTE),
        "blackhole": SilentServer,
        "5xx": lambda: CannedServer(_error(500, "InternalServerError")),
        "throttled": lambda: CannedServer(_error(400, "ThrottlingException")),
        "provisioned-throughput": lambda: CannedServer(_error(400, "ProvisionedThroughputExceededException")),
        "200-html": lambda: CannedServer(http_response(200, b"<html><body>gateway</body></html>", "text/html")),
        "200-empty": lambda: CannedServer(http_response(200, b"", AMZ_JSON)),
        "200-array": lambda: CannedServer(http_response(200, b"[]", AMZ_JSON)),
        "200-string": lambda: CannedServer(http_response(200, b'"ok"', AMZ_JSON)),
        "200-truncated": lambda: CannedServer(http_response(200, b'{"Attributes": {', AMZ_JSON)),
    }
    with servers[kind]() as server:
        yield server.url


def exchange(proxy: Proxy) -> Invocation:
    fields = {"code": "code-under-store-failure", "code_verifier": VERIFIER, "redirect_uri": REDIRECT_URI}
    return proxy.exchange(json_event("/v1/kick/exchange", fields))


def refresh(proxy: Proxy, refresh_token: str = "refresh-under-store-failure") -> Invocation:
    return proxy.refresh(json_event("/v1/kick/refresh", {"refresh_token": refresh_token}))


def timed(call: Callable[[], Invocation]) -> tuple[Invocation, float]:
    started = time.monotonic()
    answer = call()
    return answer, time.monotonic() - started


def _assert_served_around_the_store(output: CapturedOutput, what: str) -> None:
    text = output.collect()
    warnings = [line for line in output.json_lines(text) if line["level"] == "WARNING"]
    assert [line["replay_failure"] for line in warnings] == [what]
    assert [line["replay"] for line in output.finished_lines(text)] == ["unavailable"]
    assert '"replay_unavailable"' in text


@pytest.mark.parametrize(
    "kind",
    [
        "drip",
        "blackhole",
        "refused",
        "5xx",
        "throttled",
        "provisioned-throughput",
        "200-html",
        "200-empty",
        "200-array",
        "200-string",
        "200-truncated",
    ],
)
def test_a_failing_dynamodb_is_served_around_within_the_deadline_plus_two_seconds(
    proxy: Proxy, output: CapturedOutput, kind: str
) -> None:
    proxy.set_env("UPSTREAM_TIMEOUT_SECONDS", str(DEADLINE))
    with _endpoint(kind) as url:
        proxy.set_env("AWS_ENDPOINT_URL_DYNAMODB", url)
        new_container(proxy)

        answer, seconds = timed(lambda: exchange(proxy))

    assert answer.status == 200, answer.body
    assert len(proxy.kick.received) == 1
    assert seconds < LIMIT, seconds
    _assert_served_around_the_store(output, "the window could not be consulted")


class _Routed:
    """The table's client, except that the named operations go to a failing endpoint."""

    def __init__(self, working: Any, failing: Any, operations: set[str], after: int = 0) -> None:
        self._working, self._failing, self._operations = working, failing, operations
        self._after = after  # calls of those operations that still work first
        self.failed_calls = 0

    def __getattr__(self, name: str) -> Any:
        if name not in self._operations:
            return getattr(self._working, name)

        def call(**kwargs: Any) -> Any:
            if self._after > 0:
                self._after -= 1
                return getattr(self._working, name)(**kwargs)
            self.failed_calls += 1
            return getattr(self._failing, name)(**kwargs)

        return call


def _route(proxy: Proxy, replay_table: str, url: str, operations: set[str], after: int = 0) -> _Routed:
    from proxy import pipeline
    from proxy.adapters import dynamodb_connection

    store = pipeline.container.replay._store_for(replay_table, 60)
    failing = dynamodb_connection.table_client(endpoint_url=url)
    routed = _Routed(store._client, failing, operations, after)
    proxy.monkeypatch.setattr(store, "_client", routed)
    return routed


@pytest.mark.parametrize("kind", ["drip", "blackhole", "5xx", "200-html", "200-array"])
def test_keeping_kicks_answer_fails_and_the_answer_is_still_served_in_time(
    proxy: Proxy, replay_table: str, output: CapturedOutput, kind: str
) -> None:
    proxy.set_env("UPSTREAM_TIMEOUT_SECONDS", str(DEADLINE))
    with _endpoint(kind) as url:
        routed = _route(proxy, replay_table, url, {"put_item"}, after=1)  # the claim works, keeping fails

        answer, seconds = timed(lambda: refresh(proxy))

    assert answer.status == 200
    assert answer.json["access_token"] == "stub-access"
    assert routed.failed_calls == 1
    assert seconds < LIMIT, seconds
    _assert_served_around_the_store(output, "keeping the answer failed")


@pytest.mark.parametrize("kind", ["drip", "blackhole", "200-html"])
def test_removing_the_record_of_a_refused_grant_fails_and_kicks_refusal_is_still_served_in_time(
    proxy: Proxy, replay_table: str, output: CapturedOutput, kind: str
) -> None:
    proxy.set_env("UPSTREAM_TIMEOUT_SECONDS", str(DEADLINE))
    proxy.kick.answer(json_answer(400, {"error": "invalid_grant"}))
    with _endpoint(kind) as url:
        routed = _route(proxy, replay_table, url, {"delete_item"})

        answer, seconds = timed(lambda: refresh(proxy))

    assert (answer.status, answer.json["error"]) == (400, "invalid_grant")
    assert routed.failed_calls == 1
    assert seconds < LIMIT, seconds
    text = output.collect()
    warnings = [line for line in output.json_lines(text) if line["level"] == "WARNING"]
    assert [line["replay_failure"] for line in warnings] == ["removing the in-progress record failed"]
    assert '"replay_unavailable"' in text


@pytest.mark.parametrize("kind", ["drip", "blackhole", "200-html"])
def test_a_duplicate_whose_polling_meets_a_failing_store_never_calls_kick_and_ends_in_time(
    proxy: Proxy, replay_table: str, output: CapturedOutput, kind: str
) -> None:
    """Another container holds the in-progress record; this duplicate's next poll meets the failure."""
    from tests.proxy.replay.test_replay_window import REFRESH_TOKEN, _in_progress_elsewhere

    proxy.set_env("UPSTREAM_TIMEOUT_SECONDS", str(DEADLINE))
    _in_progress_elsewhere(proxy, replay_table)
    with _endpoint(kind) as url:
        routed = _route(proxy, replay_table, url, {"put_item", "get_item"}, after=1)

        answer, seconds = timed(lambda: proxy.refresh(json_event("/v1/kick/refresh", {"refresh_token": REFRESH_TOKEN})))

    assert answer.status == 504
    assert proxy.kick.received == []
    assert routed.failed_calls >= 1
    assert seconds < LIMIT, seconds
    warnings = [line for line in output.json_lines() if line["level"] == "WARNING"]
    assert [line["exception_type"] for line in warnings] == ["LostWhileWaiting"]
    # The root cause, under the store's StoreFailure: what DynamoDB did.
    root = {"drip": "StoreTimeout", "blackhole": "ReadTimeoutError", "200-html": "UnexpectedAnswer"}[kind]
    assert [line["cause"] for line in warnings] == [root]


def test_a_store_that_recovers_is_used_again_on_the_next_request(proxy: Proxy, replay_table: str) -> None:
    """An abandoned call does not leave the container's store unusable once DynamoDB answers again."""
    proxy.set_env("UPSTREAM_TIMEOUT_SECONDS", str(DEADLINE))
    proxy.kick.answer(token_answer("access-1", "rotated-1"), token_answer("access-2", "rotated-2"))
    with _endpoint("drip") as url:
        routed = _route(proxy, replay_table, url, {"put_item"}, after=1)  # the claim works, keeping fails
        first, seconds = timed(lambda: refresh(proxy))
    routed._operations = set()
    time.sleep(0.6)  # the abandoned call's socket read times out (0.5 s) once the drip stops

    # Another grant: the first one's in-progress record stays until its owner's deadline has passed.
    second = refresh(proxy, "another-refresh-token")
    replayed = refresh(proxy, "another-refresh-token")

    assert first.status == 200
    assert seconds < LIMIT
    assert second.json["access_token"] == "access-2"
    assert replayed.body == second.body
    assert len(proxy.kick.received) == 2
