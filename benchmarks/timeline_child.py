"""One window-on cold start with its steps timed: which thread did what, when (benchmarks/cold_timeline.py).

Wraps the pipeline's steps and botocore's API calls to record (milliseconds since the invocation
began, thread, event), then runs the handler once on the event from stdin and prints the events as
one `BENCH_RESULT {...}` line. The wrappers cost microseconds per step; the figures are for reading
the overlap, make bench measures the time.
"""

from __future__ import annotations

import functools
import json
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from benchmarks.cold_child import MARKER, LambdaContext

events: list[tuple[float, str, str]] = []
invoked = 0.0


def _mark(what: str) -> None:
    events.append((round((time.monotonic() - invoked) * 1000, 1), threading.current_thread().name, what))


def _timed(label: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        _mark(f"{label} starts")
        try:
            return function(*args, **kwargs)
        finally:
            _mark(f"{label} ends")

    return timed


def main() -> None:
    global invoked
    event = json.loads(sys.stdin.read())
    import botocore.client

    from handlers.exchange import lambda_handler
    from proxy.adapters import aws_session, kick, secrets_manager
    from proxy.replay_window import ReplayWindow

    steps: list[tuple[Any, str, str]] = [
        (secrets_manager.ClientCredentialsReader, "prepare", "Secrets Manager client"),
        (secrets_manager.ClientCredentialsReader, "read", "read the secret"),
        (kick._Preconnect, "_run", "Kick preconnect"),
        (kick.KickClient, "post_form", "POST to Kick"),
        (aws_session.AwsSession, "client", "make an AWS client"),
        (ReplayWindow, "load", "import the window's modules"),
        (ReplayWindow, "connect", "DynamoDB client and warm-up"),
        (ReplayWindow, "_await_warm_up", "wait for the warm-up"),
    ]
    for owner, name, label in steps:
        setattr(owner, name, _timed(label, getattr(owner, name)))
    api_call = botocore.client.BaseClient._make_api_call

    def timed_api_call(self: Any, operation: str, params: Any) -> Any:
        return _timed(f"{self.meta.service_model.service_name} {operation}", api_call)(self, operation, params)

    botocore.client.BaseClient._make_api_call = timed_api_call

    invoked = time.monotonic()
    response = lambda_handler(event, LambdaContext())
    _mark("answer ready")
    sys.stdout.write(MARKER + json.dumps({"status": response["statusCode"], "events": events}) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
