"""Run in spawned processes: one Lambda container each, importing the handlers from scratch."""

from __future__ import annotations

import io
import json
import os
import sys
import time
import uuid
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any


@dataclass(frozen=True)
class ProcessAnswer:
    """One process's answer, where its summary line says it came from, and when it was asked and answered."""

    pid: int
    status: int
    body: str
    replay: str | None  # None: the summary line names no source (error answers do not)
    started: float
    finished: float
    replay_failures: tuple[str, ...] = ()  # why the window was unavailable, from its warning lines


def invoke_when_released(env: dict[str, str], function: str, event: dict[str, Any], barrier: Any, results: Any) -> None:
    """Import the handler (cold start), wait until every process is ready, invoke, report the answer."""
    os.environ.update(env)
    # Powertools' log handler writes to the sys.stdout it finds at import: keep this process's lines.
    sys.stdout = output = io.StringIO()
    if function == "exchange":
        from handlers.exchange import lambda_handler
    else:
        from handlers.refresh import lambda_handler
    _give_moto_time()
    context = SimpleNamespace(
        function_name=f"kick-oauth-proxy-{function}",
        function_version="$LATEST",
        invoked_function_arn=f"arn:aws:lambda:us-east-1:123456789012:function:kick-oauth-proxy-{function}",
        memory_limit_in_mb=256,
        aws_request_id=str(uuid.uuid4()),
        log_group_name=f"/aws/lambda/kick-oauth-proxy-{function}",
        log_stream_name=f"2026/11/22/[$LATEST]{os.getpid()}",
    )
    barrier.wait(timeout=30)
    started = time.time()
    response = lambda_handler(event, context)
    finished = time.time()
    lines = [json.loads(text) for text in output.getvalue().splitlines() if text.startswith("{")]
    [summary] = [line for line in lines if line.get("message") == "token request finished"]
    failures = tuple(
        f"{line['replay_failure']}: {line['exception_type']} ({line['cause']})"
        for line in lines
        if "replay_failure" in line
    )
    results.put(
        ProcessAnswer(
            os.getpid(), response["statusCode"], response["body"], summary.get("replay"), started, finished, failures
        )
    )


def _give_moto_time() -> None:
    """moto answers from the test process, which on a loaded 2-core machine can take longer than the 0.5 s
    DynamoDB read timeout: the duplicate then fails open and asks Kick itself, a second call these tests
    would blame on the window. They are about coordination across containers; the store's own timeouts
    are tested in test_store_failures.py."""
    from botocore.config import Config

    from proxy.adapters import dynamodb_connection

    dynamodb_connection.BOTO_CONFIG = dynamodb_connection.BOTO_CONFIG.merge(
        Config(connect_timeout=1.25, read_timeout=1.25)
    )
    dynamodb_connection.CALL_SECONDS = 2.5  # a duplicate still waits about 6 s of the 11.5 s budget
