"""DynamoDB's client settings and connection warm-up, apart from adapters.dynamodb and its heavy imports.

Only botocore: a cold request opens the replay table's connection with this while another thread
imports the window's modules (Powertools Idempotency, `cryptography`) and a third reads the secret.
"""

from __future__ import annotations

from typing import Any

from botocore.config import Config

# One attempt: a put that timed out may still have landed, and a retry would then find our own
# in-progress record and wait for itself. Connect plus read bounds every DynamoDB call.
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


def warm_up(client: Any, table_name: str) -> None:
    """Open the client's connection, and run botocore's first-request set-up, with a read of no record.

    The window's first write cannot go earlier: its record id is keyed with the secret being read.
    Bounded by BOTO_CONFIG (one attempt, CALL_SECONDS). IAM: dynamodb:GetItem, which the window has.
    """
    client.get_item(TableName=table_name, Key={"id": {"S": WARM_UP_RECORD_ID}})
