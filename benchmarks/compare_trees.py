"""Paired cold starts of two source trees and the floor: does a change to src/ pay for itself?

    python -m benchmarks.compare_trees BEFORE_SRC AFTER_SRC [--side window_on] [--runs 12]

Each round runs a cold start of BEFORE, AFTER and the floor (rotating order) on loopback and then
behind the latency stand-ins of make bench (benchmarks/harness.py); prints the medians over rounds
of AFTER/BEFORE and of each against the floor. docs/performance.md quotes it for what was rejected.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
from pathlib import Path

from benchmarks.harness import LATENCY, LOOPBACK, OURS, Bench
from tests.support.kick_stub import KickStub


def compare(bench: Bench, trees: dict[str, Path], side: str, runs: int) -> list[str]:
    lines = []
    for network in (LOOPBACK, LATENCY):
        kick = KickStub().start()
        rounds: list[dict[str, float]] = []
        try:
            with bench.endpoints(network, kick) as (endpoints, _):
                names = ["before", "after", "floor"]
                for index in range(runs + 1):  # the first round is unmeasured: it fills the pycache
                    times = {}
                    for name in names[index % 3 :] + names[: index % 3]:
                        if name != "floor":
                            bench.ours_src = trees[name]
                        times[name] = bench.cold(side if name != "floor" else "floor", endpoints)["total"]
                    if index:
                        rounds.append(times)
        finally:
            kick.stop()

        medians = {name: statistics.median(times[name] for times in rounds) for name in ("before", "after", "floor")}
        lines.append(
            f"{network.name}, {side}, {runs} rounds: after/before {_paired(rounds, 'after', 'before'):.3f}x,"
            f" before/floor {_paired(rounds, 'before', 'floor'):.3f}x,"
            f" after/floor {_paired(rounds, 'after', 'floor'):.3f}x"
            f" (medians: before {medians['before']:.1f} ms, after {medians['after']:.1f} ms,"
            f" floor {medians['floor']:.1f} ms)"
        )
    return lines


def _paired(rounds: list[dict[str, float]], numerator: str, denominator: str) -> float:
    return statistics.median(times[numerator] / times[denominator] for times in rounds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--side", choices=OURS, default="window_on")
    parser.add_argument("--runs", type=int, default=12)
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    bench = Bench.start()
    try:
        trees = {"before": args.before.resolve(), "after": args.after.resolve()}
        for line in compare(bench, trees, args.side, args.runs):
            print(line, flush=True)
    finally:
        bench.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
