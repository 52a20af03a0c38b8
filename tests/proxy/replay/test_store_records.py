"""What the replay store makes of the records it finds in its way (adapters/dynamodb.py), against moto.

A claim that meets a record reads it from the ConditionalCheckFailedException (ALL_OLD), or with a
consistent GetItem when DynamoDB did not return it; a record that no longer counts is claimed again.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.proxy.replay.conftest import scan
from tests.proxy.replay.test_replay_window import (
    ACCESS_1,
    REFRESH_TOKEN,
    ROTATED_1,
    _ClientWith,
    _replace_store_client,
    refresh,
)
from tests.support.kick_stub import token_answer
from tests.support.logs import CapturedOutput
from tests.support.proxy import CLIENT_SECRET, Proxy

KEPT = json.dumps({"access_token": "kept-access", "refresh_token": "kept-refresh", "token_type": "Bearer"})


def _record_id() -> str:
    from core.grants import RefreshTokenGrant
    from core.replay_crypto import replay_keys

    return replay_keys(RefreshTokenGrant(refresh_token=REFRESH_TOKEN), CLIENT_SECRET).record_id


def _sealed(answer: str) -> str:
    from core.grants import RefreshTokenGrant
    from core.replay_crypto import replay_keys, seal

    return seal(replay_keys(RefreshTokenGrant(refresh_token=REFRESH_TOKEN), CLIENT_SECRET), answer)


def _plant(proxy: Proxy, table: str, **attributes: dict[str, str]) -> None:
    proxy.moto.client("dynamodb").put_item(TableName=table, Item={"id": {"S": _record_id()}, **attributes})


def _completed(expires_in: float = 60, data: str | None = None) -> dict[str, dict[str, str]]:
    return {
        "status": {"S": "COMPLETED"},
        "expiration": {"N": str(int(time.time() + expires_in))},
        "data": {"S": data if data is not None else json.dumps({"sealed": _sealed(KEPT)})},
    }


def _warnings(output: CapturedOutput) -> list[str]:
    return [line["replay_failure"] for line in output.json_lines() if line["level"] == "WARNING"]


def test_a_kept_answer_is_served_without_kick(proxy: Proxy, replay_table: str) -> None:
    _plant(proxy, replay_table, **_completed())

    answer = refresh(proxy)

    assert (answer.status, answer.body) == (200, KEPT)
    assert proxy.kick.received == []


def test_an_expired_answer_is_claimed_again_and_kick_asked(proxy: Proxy, replay_table: str) -> None:
    """DynamoDB's TTL deletes within days: until then the proxy's own check of `expiration` decides."""
    _plant(proxy, replay_table, **_completed(expires_in=-5))
    proxy.kick.answer(token_answer(ACCESS_1, ROTATED_1))

    answer = refresh(proxy)

    assert answer.status == 200
    assert answer.json["access_token"] == ACCESS_1
    assert len(proxy.kick.received) == 1
    [record] = scan(proxy.moto, replay_table)
    assert record["status"]["S"] == "COMPLETED"
    assert int(record["expiration"]["N"]) > time.time() + 50


@pytest.mark.parametrize(
    "data", ["not json", json.dumps(["a list"]), json.dumps({"sealed": 7}), json.dumps({"other": "x"})]
)
def test_a_kept_answer_that_does_not_open_is_bypassed_never_served(
    proxy: Proxy, replay_table: str, output: CapturedOutput, data: str
) -> None:
    _plant(proxy, replay_table, **_completed(data=data))
    proxy.kick.answer(token_answer(ACCESS_1, ROTATED_1))

    answer = refresh(proxy)

    assert answer.status == 200
    assert answer.json["access_token"] == ACCESS_1
    assert len(proxy.kick.received) == 1
    assert _warnings(output) == ["the window could not be consulted"]


def test_a_record_not_in_the_tables_layout_is_a_store_failure_served_around(
    proxy: Proxy, replay_table: str, output: CapturedOutput
) -> None:
    _plant(proxy, replay_table, status={"S": "COMPLETED"})  # no expiration

    answer = refresh(proxy)

    assert answer.status == 200
    assert len(proxy.kick.received) == 1
    assert _warnings(output) == ["the window could not be consulted"]


def _conflict_without_the_record(operation: str) -> ClientError:
    return ClientError({"Error": {"Code": "ConditionalCheckFailedException", "Message": "failed"}}, operation)


def test_a_conflict_without_the_record_reads_it_consistently(proxy: Proxy, replay_table: str) -> None:
    """Before ReturnValuesOnConditionCheckFailure (or from a DynamoDB-compatible store without it)."""
    _plant(proxy, replay_table, **_completed())
    reads: list[dict[str, Any]] = []

    def without_the_record(working: Any) -> _ClientWith:
        def put_item(**call: Any) -> Any:
            try:
                return working.put_item(**call)
            except ClientError as error:
                raise _conflict_without_the_record("PutItem") from error

        def get_item(**call: Any) -> Any:
            reads.append(call)
            return working.get_item(**call)

        return _ClientWith(working, put_item=put_item, get_item=get_item)

    _replace_store_client(proxy, replay_table, without_the_record)

    answer = refresh(proxy)

    assert (answer.status, answer.body) == (200, KEPT)
    assert proxy.kick.received == []
    assert [(call["Key"]["id"]["S"], call["ConsistentRead"]) for call in reads] == [(_record_id(), True)]


def test_a_record_gone_between_the_conflict_and_the_read_is_claimed_again(proxy: Proxy, replay_table: str) -> None:
    proxy.kick.answer(token_answer(ACCESS_1, ROTATED_1))
    puts: list[str] = []

    def gone_once(working: Any) -> _ClientWith:
        def put_item(**call: Any) -> Any:
            puts.append(call["Item"]["status"]["S"])
            if len(puts) == 1:
                raise _conflict_without_the_record("PutItem")
            return working.put_item(**call)

        return _ClientWith(working, put_item=put_item)

    _replace_store_client(proxy, replay_table, gone_once)

    answer = refresh(proxy)

    assert answer.status == 200
    assert len(proxy.kick.received) == 1
    assert puts == ["INPROGRESS", "INPROGRESS", "COMPLETED"]


def test_a_record_that_keeps_changing_under_every_claim_is_a_store_failure(
    proxy: Proxy, replay_table: str, output: CapturedOutput
) -> None:
    from proxy.adapters.dynamodb import CLAIM_ATTEMPTS

    proxy.kick.answer(token_answer(ACCESS_1, ROTATED_1))
    claims: list[int] = []

    def always_gone(working: Any) -> _ClientWith:
        def put_item(**call: Any) -> Any:
            claims.append(1)
            raise _conflict_without_the_record("PutItem")

        return _ClientWith(working, put_item=put_item)

    _replace_store_client(proxy, replay_table, always_gone)

    answer = refresh(proxy)

    assert answer.status == 200
    assert len(claims) == CLAIM_ATTEMPTS == 3
    assert len(proxy.kick.received) == 1
    assert _warnings(output) == ["the window could not be consulted"]


def test_an_expired_record_returned_by_a_failed_claim_is_claimed_again(proxy: Proxy, replay_table: str) -> None:
    """DynamoDB checked the condition against a record that expired by the time the claim reads it."""
    proxy.kick.answer(token_answer(ACCESS_1, ROTATED_1))
    expired = {"id": {"S": _record_id()}, **_completed(expires_in=-1)}
    puts: list[str] = []

    def expired_in_the_way_once(working: Any) -> _ClientWith:
        def put_item(**call: Any) -> Any:
            puts.append(call["Item"]["status"]["S"])
            if len(puts) == 1:
                refused = _conflict_without_the_record("PutItem")
                refused.response["Item"] = expired
                raise refused
            return working.put_item(**call)

        return _ClientWith(working, put_item=put_item)

    _replace_store_client(proxy, replay_table, expired_in_the_way_once)

    answer = refresh(proxy)

    assert answer.status == 200
    assert answer.json["access_token"] == ACCESS_1  # not the expired record's answer
    assert len(proxy.kick.received) == 1
    assert puts == ["INPROGRESS", "INPROGRESS", "COMPLETED"]
