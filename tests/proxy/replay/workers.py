"""Run in spawned processes: one Lambda container each, importing the handlers from scratch."""

from __future__ import annotations

import os
import uuid
from types import SimpleNamespace
from typing import Any


def invoke_when_released(env: dict[str, str], function: str, event: dict[str, Any], barrier: Any, results: Any) -> None:
    """Import the handler (cold start), wait until every process is ready, invoke, report the answer."""
    os.environ.update(env)
    if function == "exchange":
        from handlers.exchange import lambda_handler
    else:
        from handlers.refresh import lambda_handler
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
    response = lambda_handler(event, context)
    results.put((os.getpid(), response["statusCode"], response["body"]))
