"""DynamoDB's client for the replay table and its connection warm-up, apart from adapters.dynamodb.

Only botocore: a cold request makes the table's client and opens its connection with this while
another thread imports the window's heavier modules (its store, `cryptography`) and a
third reads the secret (docs/performance.md).
"""

from __future__ import annotations

import json
from typing import Any

import botocore.session
from botocore.config import Config

# One attempt: a put that timed out may still have landed, and a retry would then find our own
# in-progress record and wait for itself. botocore's timeouts bound each socket operation; CALL_SECONDS
# bounds each whole call (adapters.dynamodb's _BoundedCalls), within the request's budget.
CONNECT_TIMEOUT_SECONDS = 0.5
READ_TIMEOUT_SECONDS = 0.5
CALL_SECONDS = CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS
BOTO_CONFIG = Config(
    connect_timeout=CONNECT_TIMEOUT_SECONDS,
    read_timeout=READ_TIMEOUT_SECONDS,
    retries={"total_max_attempts": 1, "mode": "standard"},
)
# Read by warm_up(): no record has this id (theirs are 64 hex digits), so the read finds nothing.
WARM_UP_RECORD_ID = "connection-warm-up"


class UnexpectedAnswer(Exception):
    """DynamoDB answered 200 with something it never sends (not a JSON object): a failure, not a success."""


def _refuse_unexpected_answers(http_response: Any, **_: Any) -> None:
    """botocore reads a 200 whose body is not JSON as an empty result: for the store, a put that landed."""
    if http_response.status_code != 200:
        return
    try:
        document = json.loads(http_response.content)
    except (ValueError, UnicodeDecodeError):
        document = None
    if not isinstance(document, dict):
        raise UnexpectedAnswer("DynamoDB answered 200 with something other than a JSON object")


def table_client(session: Any = None, endpoint_url: str | None = None) -> Any:
    """A DynamoDB client for the replay table: one attempt, short timeouts, unexpected answers refused.

    `session`: the container's (adapters.aws_session.AwsSession); a new botocore session when None.
    """
    if session is None:
        client = botocore.session.get_session().create_client("dynamodb", config=BOTO_CONFIG, endpoint_url=endpoint_url)
    else:
        client = session.client("dynamodb", config=BOTO_CONFIG, endpoint_url=endpoint_url)
    client.meta.events.register("after-call.dynamodb", _refuse_unexpected_answers)
    return client


def warm_up(client: Any, table_name: str) -> None:
    """Open the client's connection, and run botocore's first-request set-up, with a read of no record.

    The window's first write cannot go earlier: its record id is keyed with the secret being read.
    Bounded by BOTO_CONFIG (one attempt). IAM: dynamodb:GetItem, which the window has.
    """
    client.get_item(TableName=table_name, Key={"id": {"S": WARM_UP_RECORD_ID}})
