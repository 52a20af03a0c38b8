"""Warm invocations in one process: after a first (cold) call per side, time each call of each side.

Run as `python benchmarks/warm_child.py --calls N --block B --side window_on=URL --side floor=URL ...`;
the event comes on stdin and each call gets a fresh authorization code (the replay window must never
answer from its table). Sides alternate in blocks of B calls, the order reversed each round, so that
drift on a busy machine hits all alike. window_on and window_off are the same handler (one container):
window_on sets REPLAY_TABLE_NAME (from BENCH_REPLAY_TABLE_NAME) for its calls. Prints one
`BENCH_RESULT {...}` line with per-call seconds per side.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from benchmarks.cold_child import MARKER, LambdaContext

Handler = Callable[[Any, Any], dict[str, Any]]


def load(side: str) -> Handler:
    if side in ("window_on", "window_off", "ours"):
        from handlers.exchange import lambda_handler

        return lambda_handler
    if side == "floor":
        from benchmarks.floor_handler import lambda_handler as floor

        return floor
    raise SystemExit(f"unknown side {side!r}")


_codes = itertools.count()


def call(handler: Handler, side: str, event: dict[str, Any], url: str, context: LambdaContext) -> float:
    os.environ["KICK_TOKEN_URL"] = url
    if side == "window_on":
        os.environ["REPLAY_TABLE_NAME"] = os.environ["BENCH_REPLAY_TABLE_NAME"]
    else:
        os.environ.pop("REPLAY_TABLE_NAME", None)
    fields = json.loads(event["body"])
    fields["code"] = f"{fields['code']}-warm-{next(_codes)}"
    event = {**event, "body": json.dumps(fields)}
    started = time.perf_counter()
    response = handler(event, context)
    elapsed = time.perf_counter() - started
    if response["statusCode"] != 200:
        raise SystemExit(f"warm call failed with {response['statusCode']}: {response['body']}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, required=True, help="measured calls per side")
    parser.add_argument("--block", type=int, default=20, help="calls per side before switching")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured calls per side after the first")
    parser.add_argument("--side", action="append", required=True, help="NAME=KICK_URL (window_on, window_off, floor)")
    args = parser.parse_args()
    event = json.loads(sys.stdin.read())
    context = LambdaContext()
    sides = dict(item.split("=", 1) for item in args.side)
    handlers = {side: load(side) for side in sides}
    for side, handler in handlers.items():
        for _ in range(1 + args.warmup):
            call(handler, side, event, sides[side], context)
    timings: dict[str, list[float]] = {side: [] for side in sides}
    order = list(sides)
    while any(len(done) < args.calls for done in timings.values()):
        for side in order:
            for _ in range(min(args.block, args.calls - len(timings[side]))):
                timings[side].append(call(handlers[side], side, event, sides[side], context))
        order.reverse()
    sys.stdout.write(MARKER + json.dumps({"timings": timings}) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
