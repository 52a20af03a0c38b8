"""One cold start: a fresh interpreter imports a handler and answers one event (read from stdin).

Run as a script (`python benchmarks/cold_child.py ours|floor`) so nothing but the handler is imported
on top of what both sides share: sys, time, json. Prints one `BENCH_RESULT {...}` line with
time.monotonic() stamps (CLOCK_MONOTONIC, comparable across processes) taken when the script starts,
after the import, and when the response is ready, then exits without interpreter teardown.
"""

import time

STARTED = time.monotonic()

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

MARKER = "BENCH_RESULT "


class LambdaContext:
    function_name = "kick-oauth-proxy-exchange"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:kick-oauth-proxy-exchange"
    memory_limit_in_mb = 256
    aws_request_id = "0f6b4a52-bench-cold-start"
    log_group_name = "/aws/lambda/kick-oauth-proxy-exchange"
    log_stream_name = "2026/11/22/[$LATEST]bench"

    def get_remaining_time_in_millis(self) -> int:
        return 15000


def main() -> None:
    side = sys.argv[1]
    event = json.loads(sys.stdin.read())
    before_import = time.monotonic()
    if side == "ours":
        from handlers.exchange import lambda_handler

        if "importtime" in sys._xoptions:
            # -X importtime's tree is per interpreter, not per thread: the modules the warm-up imports in
            # the background would corrupt the main thread's figures (negative self times). The same
            # modules, imported here first, are measured alone.
            import proxy.adapters.dynamodb  # noqa: F401
    elif side == "floor":
        from benchmarks.floor_handler import lambda_handler
    else:
        raise SystemExit(f"unknown side {side!r}")
    imported = time.monotonic()
    response = lambda_handler(event, LambdaContext())
    ready = time.monotonic()
    result = {
        "side": side,
        "status": response["statusCode"],
        "started": STARTED,
        "before_import": before_import,
        "imported": imported,
        "ready": ready,
    }
    sys.stdout.write(MARKER + json.dumps(result) + "\n")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
