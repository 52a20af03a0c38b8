"""make bench: cold start and warm invocation time of the exchange handler against the floor.

The floor (benchmarks/floor_handler.py) is a minimal hand-written handler using only boto3 and
requests. Both run in the same session against the same loopback Kick stub and moto Secrets Manager:

- cold: a fresh interpreter per run (benchmarks/cold_child.py). Measured from time.monotonic() in
  this process just before the spawn to time.monotonic() in the child when the first response is
  ready (CLOCK_MONOTONIC is system-wide): interpreter start, imports and the first call, without the
  child's teardown. Runs alternate ours/floor, floor/ours, ... to cancel drift.
- warm: one process (benchmarks/warm_child.py), per-call time after a first call and a few warm-up
  calls per side, sides alternating in blocks.
- connections: a fresh Kick stub, one process, a first call plus 100 warm calls of ours.
- imports: `python -X importtime` of both cold starts; what ours imports that the floor does not.

Targets (issue 2): cold median <= 1.10x the floor's, warm median <= 1.3x, exactly one upstream TCP
connection for 100 warm calls. Exits 1 when one is missed unless --no-fail.
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.harness import RESULTS_DIR, SIDES, Bench, summary
from benchmarks.importtime_breakdown import breakdown
from tests.support.kick_stub import KickStub

COLD_TARGET = 1.10
WARM_TARGET = 1.30
CONNECTIONS_TARGET = 1
WARMUP_COLD_RUNS = 2


def machine() -> dict[str, Any]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "load_average_at_start": [round(value, 2) for value in load] if load else None,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }


def measure_cold(bench: Bench, runs: int) -> dict[str, Any]:
    kick = KickStub().start()
    try:
        for _ in range(WARMUP_COLD_RUNS):  # compiles both sides into the pycache prefix, warms the file cache
            for side in SIDES:
                bench.cold(side, kick.url)
        samples: dict[str, list[dict[str, float]]] = {side: [] for side in SIDES}
        for index in range(runs):
            for side in SIDES if index % 2 == 0 else tuple(reversed(SIDES)):
                samples[side].append(bench.cold(side, kick.url))
    finally:
        kick.stop()
    result: dict[str, Any] = {}
    for side, runs_of_side in samples.items():
        result[side] = {phase: summary([run[phase] for run in runs_of_side]) for phase in runs_of_side[0]}
        result[side]["samples_ms"] = [round(run["total"], 2) for run in runs_of_side]
    result["ratio_median"] = result["ours"]["total"]["median"] / result["floor"]["total"]["median"]
    result["ratio_p90"] = result["ours"]["total"]["p90"] / result["floor"]["total"]["p90"]
    return result


def measure_warm(bench: Bench, calls: int, block: int) -> dict[str, Any]:
    stubs = {side: KickStub().start() for side in SIDES}
    try:
        timings = bench.warm({side: stub.url for side, stub in stubs.items()}, calls=calls, block=block)
        connections = {side: stub.connections for side, stub in stubs.items()}
    finally:
        for stub in stubs.values():
            stub.stop()
    result: dict[str, Any] = {side: summary(timings[side]) for side in SIDES}
    result["ratio_median"] = result["ours"]["median"] / result["floor"]["median"]
    result["ratio_p90"] = result["ours"]["p90"] / result["floor"]["p90"]
    result["connections_during_warm_run"] = connections
    result["block"] = block
    return result


def measure_imports(bench: Bench, runs: int) -> dict[str, Any]:
    kick = KickStub().start()
    try:
        outputs = {side: [bench.importtime(side, kick.url) for _ in range(runs)] for side in SIDES}
    finally:
        kick.stop()
    return breakdown(outputs["ours"], outputs["floor"])


def verdicts(results: dict[str, Any]) -> dict[str, bool]:
    return {
        "cold": results["cold"]["ratio_median"] <= COLD_TARGET,
        "warm": results["warm"]["ratio_median"] <= WARM_TARGET,
        "connections": results["connections"]["accepted"] == CONNECTIONS_TARGET,
    }


def _ok(passed: bool) -> str:
    return "yes" if passed else "MISSED"


def table(results: dict[str, Any]) -> list[str]:
    cold, warm, conn, ok = results["cold"], results["warm"], results["connections"], results["verdicts"]
    header = ["", "ours", "floor", "ours/floor", "target", "met"]
    rows = [
        header,
        ["---", "---:", "---:", "---:", "---:", "---"],
        _row("cold start median", cold["ours"]["total"]["median"], cold["floor"]["total"]["median"], "ms"),
        _row("cold start p90", cold["ours"]["total"]["p90"], cold["floor"]["total"]["p90"], "ms"),
        _row("warm call median", warm["ours"]["median"], warm["floor"]["median"], "ms", 3),
        _row("warm call p90", warm["ours"]["p90"], warm["floor"]["p90"], "ms", 3),
    ]
    rows[2] += [f"<= {COLD_TARGET:.2f}x", _ok(ok["cold"])]
    rows[3] += ["", ""]
    rows[4] += [f"<= {WARM_TARGET:.2f}x", _ok(ok["warm"])]
    rows[5] += ["", ""]
    rows.append(
        [
            f"upstream TCP connections, 1 + {conn['warm_calls']} warm calls",
            str(conn["accepted"]),
            "",
            "",
            f"== {CONNECTIONS_TARGET}",
            _ok(ok["connections"]),
        ]
    )
    return ["| " + " | ".join(row) + " |" for row in rows]


def _row(label: str, ours: float, floor: float, unit: str, digits: int = 1) -> list[str]:
    return [label, f"{ours:.{digits}f} {unit}", f"{floor:.{digits}f} {unit}", f"{ours / floor:.4f}x"]


def phases_table(cold: dict[str, Any]) -> list[str]:
    lines = ["| cold start phase (median) | ours | floor | difference |", "|---|---:|---:|---:|"]
    for phase, label in (
        ("interpreter", "spawn to script start"),
        ("import", "import the handler"),
        ("first_call", "first invocation"),
        ("total", "total"),
    ):
        ours, floor = cold["ours"][phase]["median"], cold["floor"][phase]["median"]
        lines.append(f"| {label} | {ours:.1f} ms | {floor:.1f} ms | {ours - floor:+.1f} ms |")
    return lines


def imports_table(imports: dict[str, Any]) -> list[str]:
    lines = [
        f"Import time over a whole cold start (median of {imports['runs_per_side']} `-X importtime` runs per side;"
        f" importtime's own overhead included): ours {imports['ours_total_ms']:.1f} ms,"
        f" floor {imports['floor_total_ms']:.1f} ms; {imports['unique_modules']} modules only ours imports,"
        f" {imports['unique_total_ms']:.1f} ms of self time.",
        "",
        "| module unique to ours | attributable (cumulative, unique only) | self | imported by |",
        "|---|---:|---:|---|",
    ]
    for row in imports["top_unique"]:
        module, parent = row["module"], row["imported_by"]
        lines.append(f"| `{module}` | {row['attributable_ms']:.2f} ms | {row['self_ms']:.2f} ms | `{parent}` |")
    lines += ["", "| top-level package (unique modules only) | self time |", "|---|---:|"]
    lines += [f"| `{package}` | {ms:.2f} ms |" for package, ms in imports["by_package"].items()]
    return lines


def markdown(results: dict[str, Any]) -> str:
    info = results["machine"]
    cold, warm = results["cold"], results["warm"]
    lines = [
        "# make bench: latest results",
        "",
        f"{info['date']} · Python {info['python']} ({info['implementation']}) · {info['platform']} ·"
        f" {info['cpu_count']} CPUs · load average at start {info['load_average_at_start']}",
        "",
        f"Cold: {cold['ours']['total']['n']} fresh interpreters per side, interleaved, spawn to first response"
        f" (ratio of medians; p90 ratio {cold['ratio_p90']:.3f}x). Warm: {warm['ours']['n']} calls per side in one"
        f" process, blocks of {warm['block']}, after a first call and 5 warm-up calls (p90 ratio"
        f" {warm['ratio_p90']:.3f}x). All modules of both sides loaded from bytecode. Bench time"
        f" {results['seconds']:.0f} s.",
        "",
        *table(results),
        "",
        *phases_table(cold),
        "",
        f"Connections during the warm run: {warm['connections_during_warm_run']}"
        f" (each side has its own stub; 1 + 5 + {warm['ours']['n']} calls per side).",
        "",
        "## Where ours' extra cold-start import time goes",
        "",
        *imports_table(results["imports"]),
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cold-runs", type=int, default=20, help="cold starts per side (default 20)")
    parser.add_argument("--warm-calls", type=int, default=200, help="measured warm calls per side (default 200)")
    parser.add_argument("--block", type=int, default=5, help="warm calls per side before switching (default 5)")
    parser.add_argument("--connection-calls", type=int, default=100, help="warm calls for the connection count")
    parser.add_argument("--import-runs", type=int, default=3, help="-X importtime runs per side (default 3)")
    parser.add_argument("--ours-src", type=Path, default=None, help="another source tree to measure as ours")
    parser.add_argument("--out-dir", type=Path, default=RESULTS_DIR, help="where latest.json/.md go")
    parser.add_argument("--no-fail", action="store_true", help="report only; exit 0 even if a target is missed")
    args = parser.parse_args(argv)

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    started = time.monotonic()
    results: dict[str, Any] = {"machine": machine()}
    bench = Bench.start(ours_src=args.ours_src)
    try:
        results["ours_src"] = str(bench.ours_src)
        print(f"cold: {args.cold_runs} runs per side ...", flush=True)
        results["cold"] = measure_cold(bench, args.cold_runs)
        print(f"warm: {args.warm_calls} calls per side ...", flush=True)
        results["warm"] = measure_warm(bench, args.warm_calls, args.block)
        accepted = bench.connections_for_warm_calls(args.connection_calls)
        results["connections"] = {"warm_calls": args.connection_calls, "accepted": accepted}
        print("imports ...", flush=True)
        results["imports"] = measure_imports(bench, args.import_runs)
    finally:
        bench.stop()
    results["seconds"] = time.monotonic() - started
    results["targets"] = {"cold_ratio": COLD_TARGET, "warm_ratio": WARM_TARGET, "connections": CONNECTIONS_TARGET}
    results["verdicts"] = verdicts(results)

    report = markdown(results)
    print()
    print(report)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out_dir / "latest.md").write_text(report)
    missed = [name for name, passed in results["verdicts"].items() if not passed]
    if missed:
        print(f"targets missed: {', '.join(missed)}", file=sys.stderr)
        return 0 if args.no_fail else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
