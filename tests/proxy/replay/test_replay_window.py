"""The replay window against moto and the Kick stub: retries, duplicates, expiry, errors, outages, secrecy."""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import multiprocessing
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.proxy.replay.conftest import new_container, scan
from tests.proxy.replay.workers import ProcessAnswer, invoke_when_released
from tests.support.events import json_event
from tests.support.kick_stub import json_answer, token_answer
from tests.support.logs import CapturedOutput
from tests.support.proxy import CLIENT_SECRET, REDIRECT_URI, VERIFIER, Invocation, Proxy
from tests.support.sockets import SilentServer, closed_port

EXCHANGE = "/v1/kick/exchange"
REFRESH = "/v1/kick/refresh"
CODE = "kick-auth-code-5f1c9e2a7b3d4c6e8f0a1b2c"
REFRESH_TOKEN = "kick-refresh-token-ZmFrZS1yZWZyZXNoLXRva2Vu-42"
OTHER_VERIFIER = "Zq9xW2vB7nM4kL1pR8tY3uI6oP0aS5dF-gH_jK.lQ~wE"
ACCESS_1, ROTATED_1 = "kick-access-token-first-9d8c7b6a5f4e3d2c", "kick-rotated-refresh-first-1a2b3c4d5e6f"
ACCESS_2, ROTATED_2 = "kick-access-token-second-0f1e2d3c4b5a6978", "kick-rotated-refresh-second-6f5e4d3c2b1a"


def exchange(proxy: Proxy, code: str = CODE, verifier: str = VERIFIER, redirect_uri: str = REDIRECT_URI) -> Invocation:
    return proxy.exchange(json_event(EXCHANGE, {"code": code, "code_verifier": verifier, "redirect_uri": redirect_uri}))


def refresh(proxy: Proxy, refresh_token: str = REFRESH_TOKEN) -> Invocation:
    return proxy.refresh(json_event(REFRESH, {"refresh_token": refresh_token}))


@pytest.mark.parametrize("send", [exchange, refresh])
def test_a_retry_on_another_container_gets_the_identical_answer_without_kick(
    proxy: Proxy, send: Callable[[Proxy], Invocation]
) -> None:
    proxy.kick.answer(token_answer(ACCESS_1, ROTATED_1), token_answer(ACCESS_2, ROTATED_2))

    first = send(proxy)
    new_container(proxy)
    retry = send(proxy)

    assert first.status == retry.status == 200
    assert retry.body == first.body
    assert (retry.json["access_token"], retry.json["refresh_token"]) == (ACCESS_1, ROTATED_1)
    assert retry.headers["Cache-Control"] == "no-store"
    assert len(proxy.kick.received) == 1


def test_replayed_answers_are_logged_and_counted_as_such(proxy: Proxy, output: CapturedOutput) -> None:
    assert refresh(proxy).status == 200
    new_container(proxy)
    assert refresh(proxy).status == 200
    proxy.monkeypatch.delenv("REPLAY_TABLE_NAME")
    assert refresh(proxy).status == 200

    text = output.collect()
    sources = [line["replay"] for line in output.finished_lines(text)]
    assert sources == ["kick", "window", "off"]
    metric_documents = [json.loads(line) for line in text.splitlines() if line.startswith('{"_aws"')]
    assert [document["replay_hit"] for document in metric_documents if "replay_hit" in document] == [[1.0]]


def in_processes(count: int, function: str, event: dict[str, Any]) -> list[ProcessAnswer]:
    """Invoke the handler once in each of `count` spawned processes, released together."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(count + 1)
    results = context.Queue()
    processes = [
        context.Process(
            target=invoke_when_released, args=(dict(os.environ), function, event, barrier, results), daemon=True
        )
        for _ in range(count)
    ]
    for process in processes:
        process.start()
    try:
        barrier.wait(timeout=30)
        answers = [results.get(timeout=20) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
    assert len({answer.pid for answer in answers}) == count
    return answers


KICK_SECONDS = 1.0


def test_five_concurrent_duplicates_across_processes_make_one_upstream_call(proxy: Proxy) -> None:
    proxy.kick.answer(
        json_answer(
            200,
            {"access_token": ACCESS_1, "token_type": "Bearer", "refresh_token": ROTATED_1, "expires_in": 14400},
            delay_seconds=KICK_SECONDS,
        )
    )

    answers = in_processes(5, "refresh", json_event(REFRESH, {"refresh_token": REFRESH_TOKEN}))

    assert [answer.status for answer in answers] == [200] * 5
    assert len({answer.body for answer in answers}) == 1
    assert json.loads(answers[0].body)["refresh_token"] == ROTATED_1
    [kick_call] = proxy.kick.received
    assert sorted(str(answer.replay) for answer in answers) == ["kick", "window", "window", "window", "window"]
    # The four duplicates were asked while Kick was still answering the first, and answered after it:
    # they waited on the in-progress record.
    kick_answered = kick_call.at + KICK_SECONDS
    for waited in [answer for answer in answers if answer.replay == "window"]:
        assert waited.started < kick_answered < waited.finished


def test_a_duplicate_waiting_on_a_failed_call_takes_over_and_asks_kick(proxy: Proxy) -> None:
    proxy.kick.answer(
        json_answer(400, {"error": "invalid_grant"}, delay_seconds=KICK_SECONDS), token_answer(ACCESS_1, ROTATED_1)
    )
    event = json_event(EXCHANGE, {"code": CODE, "code_verifier": VERIFIER, "redirect_uri": REDIRECT_URI})

    answers = in_processes(2, "exchange", event)

    refused, took_over = sorted(answers, key=lambda answer: answer.status, reverse=True)
    assert (refused.status, took_over.status) == (400, 200)
    assert took_over.replay == "kick"
    first_call, second_call = proxy.kick.received
    # The duplicate was asked while the first call was in flight, and asked Kick only once it had failed.
    assert took_over.started < first_call.at + KICK_SECONDS <= second_call.at


def test_the_window_expires(proxy: Proxy) -> None:
    proxy.set_env("REPLAY_WINDOW_SECONDS", "1")
    proxy.kick.answer(token_answer(ACCESS_1, ROTATED_1), token_answer(ACCESS_2, ROTATED_2))

    first = refresh(proxy)
    within = refresh(proxy)
    # Powertools keeps expiry in whole seconds: a 1 s window ends within 2 s.
    time.sleep(2.05)
    after = refresh(proxy)

    assert (first.status, within.status, after.status) == (200, 200, 200)
    assert within.body == first.body
    assert first.json["access_token"] == ACCESS_1
    assert after.json["access_token"] == ACCESS_2
    assert len(proxy.kick.received) == 2


def test_the_same_code_with_another_verifier_goes_to_kick_and_gets_kicks_answer(proxy: Proxy) -> None:
    proxy.kick.answer(
        token_answer(ACCESS_1, ROTATED_1),
        json_answer(400, {"error": "invalid_grant", "error_description": "code already used"}),
    )

    first = exchange(proxy)
    foreign = exchange(proxy, verifier=OTHER_VERIFIER)

    assert first.status == 200
    assert foreign.status == 400
    assert foreign.json["error"] == "invalid_grant"
    assert ACCESS_1 not in foreign.body
    assert len(proxy.kick.received) == 2
    assert proxy.kick.received[1].form["code_verifier"] == OTHER_VERIFIER


def test_the_same_code_and_verifier_with_another_redirect_uri_goes_to_kick(proxy: Proxy) -> None:
    proxy.kick.answer(token_answer(ACCESS_1, ROTATED_1), token_answer(ACCESS_2, ROTATED_2))

    assert exchange(proxy).status == 200
    other = exchange(proxy, redirect_uri="http://localhost:1420/auth/callback")

    assert other.status == 200
    assert other.json["access_token"] == ACCESS_2
    assert len(proxy.kick.received) == 2


@pytest.mark.parametrize(
    ("kick_status", "document", "status", "error"),
    [
        (400, {"error": "invalid_grant"}, 400, "invalid_grant"),
        (503, {"message": "unavailable"}, 502, "upstream_unavailable"),
    ],
)
def test_upstream_errors_are_not_kept_and_the_retry_goes_to_kick(
    proxy: Proxy, replay_table: str, kick_status: int, document: dict[str, str], status: int, error: str
) -> None:
    proxy.kick.answer(json_answer(kick_status, document), token_answer(ACCESS_1, ROTATED_1))

    failed = refresh(proxy)
    assert failed.status == status
    assert failed.json["error"] == error
    assert scan(proxy.moto, replay_table) == []  # the in-progress record is gone

    retry = refresh(proxy)
    assert retry.status == 200
    assert retry.json["access_token"] == ACCESS_1
    assert len(proxy.kick.received) == 2


def test_dynamodb_down_serves_through_kick_with_a_warning(proxy: Proxy, output: CapturedOutput) -> None:
    proxy.set_env("AWS_ENDPOINT_URL_DYNAMODB", f"http://127.0.0.1:{closed_port()}")
    new_container(proxy)

    started = time.monotonic()
    answer = refresh(proxy)
    elapsed = time.monotonic() - started

    assert answer.status == 200
    assert answer.json["access_token"] == "stub-access"
    assert elapsed < 10
    text = output.collect()
    [warning] = [line for line in output.json_lines(text) if line["level"] == "WARNING"]
    assert warning["message"] == "replay window unavailable; serving without it"
    assert REFRESH_TOKEN not in json.dumps(warning)
    assert [line["replay"] for line in output.finished_lines(text)] == ["unavailable"]
    assert '"replay_unavailable"' in text


def test_dynamodb_throttling_serves_through_kick_with_a_warning(
    proxy: Proxy, replay_table: str, output: CapturedOutput
) -> None:
    from botocore.exceptions import ClientError

    def throttled(**kwargs: Any) -> Any:
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "-"}}, "PutItem")

    _replace_store_client(proxy, replay_table, lambda working: _ClientWith(working, put_item=throttled))

    answer = refresh(proxy)

    assert answer.status == 200
    assert answer.json["access_token"] == "stub-access"
    assert len(proxy.kick.received) == 1
    text = output.collect()
    [warning] = [line for line in output.json_lines(text) if line["level"] == "WARNING"]
    assert warning["replay_failure"] == "the window could not be consulted"
    assert [line["replay"] for line in output.finished_lines(text)] == ["unavailable"]
    assert scan(proxy.moto, replay_table) == []


class _ClientWith:
    """The store's DynamoDB client with some of its methods replaced."""

    def __init__(self, working: Any, **replaced: Callable[..., Any]) -> None:
        self._working, self._replaced = working, replaced

    def __getattr__(self, name: str) -> Any:
        return self._replaced.get(name) or getattr(self._working, name)


T = TypeVar("T")


def _replace_store_client(proxy: Proxy, table: str, replace: Callable[[Any], T]) -> T:
    """Put `replace(the container's DynamoDB client)` in that client's place, for this test."""
    from proxy import pipeline

    store = pipeline.container.replay._store_for(table, 60)
    replacement = replace(store._client)
    proxy.monkeypatch.setattr(store, "_client", replacement)
    return replacement


def test_dynamodb_hanging_still_serves_within_the_deadline_plus_two_seconds(
    proxy: Proxy, output: CapturedOutput
) -> None:
    proxy.set_env("UPSTREAM_TIMEOUT_SECONDS", "2")
    with SilentServer() as silent:
        proxy.set_env("AWS_ENDPOINT_URL_DYNAMODB", silent.url)
        new_container(proxy)

        started = time.monotonic()
        answer = exchange(proxy)
        elapsed = time.monotonic() - started

    assert answer.status == 200
    assert elapsed < 2 + 2
    # the cold request's warm-up read, then its first write: one attempt each, a DynamoDB call is never retried
    assert silent.accepted == 2
    assert any(line["level"] == "WARNING" for line in output.json_lines())


def test_dynamodb_hanging_after_kick_answered_still_serves_within_the_deadline_plus_two_seconds(
    proxy: Proxy, replay_table: str, output: CapturedOutput
) -> None:
    """The in-progress put works; then Kick takes most of the deadline and DynamoDB stops answering."""
    import boto3

    from proxy.adapters import dynamodb_connection

    proxy.set_env("UPSTREAM_TIMEOUT_SECONDS", "2")
    proxy.kick.answer(json_answer(200, {"access_token": ACCESS_1, "refresh_token": ROTATED_1}, delay_seconds=1.7))
    with SilentServer() as silent:
        hanging = boto3.session.Session().client(
            "dynamodb", config=dynamodb_connection.BOTO_CONFIG, endpoint_url=silent.url
        )
        puts: list[str] = []

        def claim_then_hang(working: Any) -> _ClientWith:
            def put_item(**call: Any) -> Any:
                puts.append(call["Item"]["status"]["S"])
                return (working.put_item if len(puts) == 1 else hanging.put_item)(**call)

            return _ClientWith(working, put_item=put_item)

        _replace_store_client(proxy, replay_table, claim_then_hang)

        started = time.monotonic()
        answer = refresh(proxy)
        elapsed = time.monotonic() - started

    assert answer.status == 200
    assert answer.json["access_token"] == ACCESS_1
    assert elapsed < 2 + 2
    warnings = [line for line in output.json_lines() if line["level"] == "WARNING"]
    assert [line["replay_failure"] for line in warnings] == ["keeping the answer failed"]
    assert puts == ["INPROGRESS", "COMPLETED"]


def test_the_table_holds_no_token_code_or_verifier_in_any_encoding(proxy: Proxy, replay_table: str) -> None:
    proxy.kick.answer(token_answer(ACCESS_1, ROTATED_1), token_answer(ACCESS_2, ROTATED_2))
    assert exchange(proxy).status == 200
    assert refresh(proxy).status == 200

    items = scan(proxy.moto, replay_table)
    assert len(items) == 2
    assert {item["status"]["S"] for item in items} == {"COMPLETED"}
    assert all(len(item["id"]["S"]) == 64 for item in items)
    stored = json.dumps(items)
    decoded = b"".join(_decodings(value) for value in _strings(items))
    for secret in (CODE, VERIFIER, REFRESH_TOKEN, ACCESS_1, ROTATED_1, ACCESS_2, ROTATED_2, CLIENT_SECRET):
        for form in _encodings(secret):
            assert form not in stored, f"a {len(secret)}-character secret is in the table"
        assert secret.encode() not in decoded


def test_no_secret_reaches_any_log_line_or_output(proxy: Proxy, output: CapturedOutput) -> None:
    proxy.kick.answer(token_answer(ACCESS_1, ROTATED_1), token_answer(ACCESS_2, ROTATED_2))
    assert exchange(proxy).status == 200
    assert exchange(proxy).status == 200
    assert refresh(proxy).status == 200
    proxy.set_env("AWS_ENDPOINT_URL_DYNAMODB", f"http://127.0.0.1:{closed_port()}")
    new_container(proxy)
    assert refresh(proxy).status == 200

    everything = output.everything()
    assert "replay window unavailable" in everything
    for secret in (CODE, VERIFIER, REFRESH_TOKEN, ACCESS_1, ROTATED_1, ACCESS_2, ROTATED_2, CLIENT_SECRET):
        assert secret not in everything


def test_a_stored_answer_is_useless_without_the_request(proxy: Proxy, replay_table: str) -> None:
    """Swapping a record's id (or tampering with it) never hands its answer to another request."""
    client = proxy.moto.client("dynamodb")
    assert refresh(proxy, "refresh-token-a-" + "x" * 24).status == 200
    [record] = scan(proxy.moto, replay_table)
    proxy.kick.answer(token_answer(ACCESS_2, ROTATED_2))
    assert refresh(proxy, "refresh-token-b-" + "y" * 24).status == 200
    [other] = [item for item in scan(proxy.moto, replay_table) if item["id"] != record["id"]]
    client.put_item(TableName=replay_table, Item={**other, "data": record["data"]})

    answer = refresh(proxy, "refresh-token-b-" + "y" * 24)

    assert answer.status == 200
    assert answer.json["access_token"] == ACCESS_2
    assert len(proxy.kick.received) == 3  # the unreadable record was bypassed, not served


def test_an_in_progress_claim_lapses_the_deadline_plus_two_and_a_half_seconds_after_the_request_started(
    proxy: Proxy, replay_table: str
) -> None:
    """docs/replay-window.md: a dead owner's record stops counting UPSTREAM_TIMEOUT_SECONDS + 2.5 s after its start."""
    proxy.set_env("UPSTREAM_TIMEOUT_SECONDS", "4")
    claims: list[dict[str, Any]] = []

    def recording(working: Any) -> _ClientWith:
        def put_item(**call: Any) -> Any:
            claims.append(call["Item"])
            return working.put_item(**call)

        return _ClientWith(working, put_item=put_item)

    _replace_store_client(proxy, replay_table, recording)

    started = time.time()
    assert refresh(proxy).status == 200

    claim, kept = claims
    assert (claim["status"]["S"], kept["status"]["S"]) == ("INPROGRESS", "COMPLETED")
    lapses = int(claim["in_progress_expiration"]["N"]) / 1000
    assert started + 4 + 2.5 - 0.1 <= lapses <= time.time() + 4 + 2.5


def test_a_crashed_owners_in_progress_record_is_taken_over_after_it_expires(
    proxy: Proxy, replay_table: str, output: CapturedOutput
) -> None:
    _in_progress_elsewhere(proxy, replay_table, owner_gives_up_in=-1)
    [planted] = scan(proxy.moto, replay_table)

    answer = refresh(proxy)

    assert answer.status == 200
    assert len(proxy.kick.received) == 1
    [record] = scan(proxy.moto, replay_table)
    # The same record, once the other container's claim, now holds this request's answer.
    assert (planted["status"]["S"], record["status"]["S"]) == ("INPROGRESS", "COMPLETED")
    assert record["id"] == planted["id"]
    assert [line["replay"] for line in output.finished_lines()] == ["kick"]


def test_an_answer_kept_by_an_earlier_version_is_served_during_a_deployment(proxy: Proxy, replay_table: str) -> None:
    """Until commit 87811b9 the proxy kept answers through Powertools Idempotency: same layout, `data` its JSON dump."""
    from core.grants import RefreshTokenGrant
    from core.replay_crypto import replay_keys, seal

    kept = json.dumps({"access_token": ACCESS_1, "refresh_token": ROTATED_1, "token_type": "Bearer"})
    keys = replay_keys(RefreshTokenGrant(refresh_token=REFRESH_TOKEN), CLIENT_SECRET)
    proxy.moto.client("dynamodb").put_item(
        TableName=replay_table,
        Item={
            "id": {"S": keys.record_id},
            "status": {"S": "COMPLETED"},
            "expiration": {"N": str(int(time.time()) + 60)},
            # Left by the claim, long past: UpdateItem kept it. The claim's condition must still see COMPLETED.
            "in_progress_expiration": {"N": str(int(time.time() * 1000) - 5000)},
            "data": {"S": json.dumps({"sealed": seal(keys, kept)}, sort_keys=True)},
        },
    )

    answer = refresh(proxy)

    assert answer.status == 200
    assert answer.body == kept
    assert proxy.kick.received == []


def _in_progress_elsewhere(proxy: Proxy, table: str, owner_gives_up_in: float = 60) -> None:
    """Another container is calling Kick for REFRESH_TOKEN, and its claim lapses in `owner_gives_up_in` s
    (negative: it already has, as when that container crashed)."""
    from core.grants import RefreshTokenGrant
    from core.replay_crypto import replay_keys

    record_id = replay_keys(RefreshTokenGrant(refresh_token=REFRESH_TOKEN), CLIENT_SECRET).record_id
    now = time.time()
    proxy.moto.client("dynamodb").put_item(
        TableName=table,
        Item={
            "id": {"S": record_id},
            "status": {"S": "INPROGRESS"},
            "expiration": {"N": str(int(now) + 60)},
            "in_progress_expiration": {"N": str(int((now + owner_gives_up_in) * 1000))},
        },
    )


def test_a_duplicate_gives_up_waiting_before_its_deadline_without_calling_kick(proxy: Proxy, replay_table: str) -> None:
    proxy.set_env("UPSTREAM_TIMEOUT_SECONDS", "2")
    _in_progress_elsewhere(proxy, replay_table)
    puts = _count_puts(proxy, replay_table)

    started = time.monotonic()
    answer = refresh(proxy)
    elapsed = time.monotonic() - started

    assert answer.status == 504
    assert answer.json["error"] == "upstream_timeout"
    assert elapsed < 2 + 2
    assert proxy.kick.received == []
    # It found the record in progress and asked again, first after 50 ms, then doubling up to 400 ms.
    gaps = [later - earlier for earlier, later in itertools.pairwise(puts.times)]
    assert len(gaps) >= 4
    for index, gap in enumerate(gaps):
        planned = min(0.05 * 2**index, 0.4)
        assert planned <= gap < planned + 0.35, (index, gaps)


def test_a_duplicate_that_loses_dynamodb_while_waiting_does_not_spend_the_token_again(
    proxy: Proxy, replay_table: str, output: CapturedOutput
) -> None:
    import boto3

    from proxy.adapters import dynamodb_connection

    _in_progress_elsewhere(proxy, replay_table)
    down = boto3.session.Session().client(
        "dynamodb", config=dynamodb_connection.BOTO_CONFIG, endpoint_url=f"http://127.0.0.1:{closed_port()}"
    )
    puts = _count_puts(proxy, replay_table, down_after_first_put=down)

    answer = refresh(proxy)

    assert answer.status == 504
    assert proxy.kick.received == []
    assert puts.count == 2  # the first found the record in progress; the second, after a wait, failed
    [warning] = [line for line in output.json_lines() if line["level"] == "WARNING"]
    assert warning["exception_type"] == "LostWhileWaiting"


class _CountingPuts:
    """The store's DynamoDB client, counting put_item calls; every call after the first put may go to `down`."""

    def __init__(self, working: Any, down: Any | None) -> None:
        self._working, self._down, self.count = working, down, 0
        self.times: list[float] = []

    def _current(self) -> Any:
        return self._working if self.count <= 1 or self._down is None else self._down

    def __getattr__(self, name: str) -> Any:
        return getattr(self._current(), name)

    def put_item(self, **kwargs: Any) -> Any:
        self.count += 1
        self.times.append(time.monotonic())
        return self._current().put_item(**kwargs)


def _count_puts(proxy: Proxy, table: str, down_after_first_put: Any | None = None) -> _CountingPuts:
    return _replace_store_client(proxy, table, lambda working: _CountingPuts(working, down_after_first_put))


def test_off_by_default_and_nothing_heavy_is_imported(proxy: Proxy) -> None:
    """Without REPLAY_TABLE_NAME a request goes straight to Kick, and the window's imports stay unloaded."""
    script = f"""
import json, os, sys
os.environ.pop("REPLAY_TABLE_NAME")
from handlers.refresh import lambda_handler
from tests.support.events import json_event
response = lambda_handler(json_event("{REFRESH}", {{"refresh_token": "{REFRESH_TOKEN}"}}), None)
heavy = ("cryptography", "aws_lambda_powertools.utilities.idempotency", "proxy.adapters.dynamodb", "core.replay_crypto")
print(json.dumps([response["statusCode"], sorted(name for name in sys.modules if name.startswith(heavy))]))
"""
    assert _last_line_of_fresh_interpreter(script) == [200, []]
    assert len(proxy.kick.received) == 1


def test_a_window_on_cold_start_imports_neither_boto3_nor_powertools_beyond_logging_and_metrics(
    proxy: Proxy, replay_table: str
) -> None:
    """The default deployment's cold path: botocore clients only; boto3 (about 22 ms) and the two Powertools
    utilities stay unloaded (docs/performance.md)."""
    script = f"""
import json, sys
from handlers.refresh import lambda_handler
from tests.support.events import json_event
response = lambda_handler(json_event("{REFRESH}", {{"refresh_token": "{REFRESH_TOKEN}"}}), None)
unwanted = ("boto3", "s3transfer", "aws_lambda_powertools.utilities.idempotency",
            "aws_lambda_powertools.utilities.parameters")
print(json.dumps([response["statusCode"], sorted(name for name in sys.modules if name.startswith(unwanted)),
                  "proxy.adapters.dynamodb" in sys.modules]))
"""
    assert _last_line_of_fresh_interpreter(script) == [200, [], True]
    assert len(proxy.kick.received) == 1
    assert [item["status"]["S"] for item in scan(proxy.moto, replay_table)] == ["COMPLETED"]


def _last_line_of_fresh_interpreter(script: str) -> Any:
    """Run `script` in a new interpreter (a cold container), src/ and the repository importable; its last line."""
    root = Path(__file__).resolve().parents[3]
    result = subprocess.run(  # noqa: S603 (our own interpreter and script)
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "src"), str(root)])},
        timeout=60,
    )
    return json.loads(result.stdout.splitlines()[-1])


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


def _decodings(text: str) -> bytes:
    """Every stored string and every base64/hex reading of it (and of its dot- or quote-separated parts)."""
    out = [text.encode()]
    for part in [text, *text.replace('"', ".").split(".")]:
        padded = part + "=" * (-len(part) % 4)
        for decode in (base64.b64decode, base64.urlsafe_b64decode, _from_hex):
            with contextlib.suppress(ValueError):
                out.append(decode(padded if decode is not _from_hex else part))
    return b"\n".join(out)


def _from_hex(text: str) -> bytes:
    return bytes.fromhex(text)


def _encodings(secret: str) -> list[str]:
    """The secret as text, hex and base64 (standard and URL-safe) at every byte alignment."""
    raw = secret.encode()
    forms = [secret, raw.hex(), raw.hex().upper()]
    for shift in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\0" * shift + raw).decode()
            # Drop the characters that also depend on the neighbouring bytes.
            forms.append(encoded[4 if shift else 0 : -4])
    return forms
