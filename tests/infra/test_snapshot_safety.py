"""SnapStart (EnableSnapStart) snapshots memory after init: nothing secret or connected may be in it.

The handlers create the Secrets Manager provider and open connections lazily, on the first request.
This test imports every handlers module in a fresh interpreter and checks that stays true.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from tests.infra.cfn_yaml import ROOT

# Only ever loopback, on the discard port: were anything to connect, it would go nowhere.
NOWHERE = "http://127.0.0.1:9"


@pytest.fixture(scope="module")
def after_import() -> dict[str, Any]:
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "KICK_", "REPLAY_", "ALLOWED_"))
    }
    env.update(
        PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_ENDPOINT_URL_SECRETS_MANAGER=NOWHERE,
        AWS_ENDPOINT_URL_DYNAMODB=NOWHERE,
        AWS_LAMBDA_INITIALIZATION_TYPE="snap-start",
        KICK_SECRET_ID="arn:aws:secretsmanager:us-east-1:123456789012:secret:kick-AbCdEf",
        KICK_TOKEN_URL=f"{NOWHERE}/oauth/token",
        ALLOWED_REDIRECT_URIS="http://localhost:1420/auth/callback",
        REPLAY_TABLE_NAME="replay",
    )
    completed = subprocess.run(
        [sys.executable, "-m", "tests.infra.snapshot_probe"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    report: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return report


def test_both_entry_points_were_imported(after_import: dict[str, Any]) -> None:
    assert {"handlers.exchange", "handlers.refresh"} <= set(after_import["imported"])


def test_importing_the_handlers_opens_no_socket(after_import: dict[str, Any]) -> None:
    assert after_import["socket_attempts"] == []
    assert after_import["pooled_connections"]
    assert set(after_import["pooled_connections"].values()) == {0}


def test_importing_the_handlers_fetches_no_secret(after_import: dict[str, Any]) -> None:
    assert after_import["secrets_client_created"] is False
    assert "secretsmanager" not in after_import["boto_clients"]


def test_importing_the_handlers_creates_no_aws_session_or_client(after_import: dict[str, Any]) -> None:
    assert after_import["aws_session_created"] is False
    assert after_import["boto_clients"] == []
