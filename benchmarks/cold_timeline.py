"""The timeline of a window-on cold request: what runs in parallel with what (docs/performance.md).

    python -m benchmarks.cold_timeline [--network latency|loopback] [--runs 7]

Runs `--runs` cold starts of the default deployment (after one unmeasured) on the chosen network of
make bench (benchmarks/harness.py) and prints the steps of the run whose total is the median, per
thread, in milliseconds since the invocation began (imports excluded). Reading aid, not a benchmark:
the timing wrappers are in the measured process.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Any

from benchmarks.harness import LATENCY, LOOPBACK, Bench, ChildFailed, exchange_event
from tests.support.kick_stub import KickStub


def timeline(bench: Bench, network_name: str, runs: int) -> list[list[Any]]:
    network = LATENCY if network_name == "latency" else LOOPBACK
    kick = KickStub().start()
    results: list[dict[str, Any]] = []
    try:
        with bench.endpoints(network, kick) as (endpoints, _):
            for _ in range(runs + 1):
                env = bench.child_env(endpoints, window=True)
                event = json.dumps(exchange_event(bench.next_code()))
                _, result, _ = bench._run(["-m", "benchmarks.timeline_child"], env, event)
                if result["status"] != 200:
                    raise ChildFailed(f"answered {result['status']}")
                results.append(result)
    finally:
        kick.stop()
    measured = sorted(results[1:], key=lambda result: result["events"][-1][0])
    median: list[list[Any]] = measured[len(measured) // 2]["events"]
    return median


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--network", choices=("latency", "loopback"), default="latency")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    bench = Bench.start()
    try:
        events = timeline(bench, args.network, args.runs)
    finally:
        bench.stop()
    print(f"window-on cold request, {args.network}: the median of {args.runs} runs by total ({events[-1][0]:.1f} ms)")
    print("| ms | thread | step |")
    print("|---:|---|---|")
    for at, thread, what in events:
        print(f"| {at:.1f} | {thread} | {what} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
