"""make bench: cold start and warm invocation time of the exchange handler, window on and off, against the floor.

The floor (benchmarks/floor_handler.py) is a minimal hand-written handler using only boto3 and
requests: it reads the secret, then posts to Kick, in sequence. Three sides run in one session against
the same Kick stub and moto server (Secrets Manager, and DynamoDB for the window), see harness.py:

- cold, on two networks: plain loopback, and behind latency stand-ins (latency_proxy.py; Kick 60 ms
  handshake + 120 ms per request, Secrets Manager 15 + 25 ms, DynamoDB 15 + 8 ms by default, the same
  for every side). A fresh interpreter per run (cold_child.py), measured from time.monotonic() in this
  process just before the spawn to time.monotonic() in the child when the first response is ready.
  Each round runs every side once, in a rotating order; ratios are per round (paired) and their median
  is the headline figure.
- warm: one process (warm_child.py), per-call time after a first call and a few warm-up calls per side,
  sides alternating in blocks, on loopback and (fewer calls) behind the same latency stand-ins.
- connections: a fresh window-on process, 1 + N warm calls, every dependency behind a counting
  stand-in with no latency: how many TCP connections each one accepted.
- imports: `python -X importtime` of a window-on cold start; what it imports that the floor does not.

Every run is written under benchmarks/results/runs.tmp/ (git-ignored; the path is printed); only
`--record` (make bench-record) rewrites the committed benchmarks/results/latest.md and latest.json.
Exits 1 when a target is missed unless --no-fail.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import logging
import os
import platform
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks.harness import LATENCY, LOOPBACK, OURS, RECORD_DIR, RUNS_DIR, SIDES, Bench, Network, summary
from benchmarks.importtime_breakdown import breakdown
from benchmarks.latency_proxy import Latency, LatencyProxy
from tests.support.kick_stub import KickStub

# The goals (issue 11): the default deployment (window on) against the floor.
COLD_TARGETS = {"loopback": 1.00, "latency": 0.80}
WARM_TARGET = 1.30
CONNECTIONS_TARGET = 1
LABELS = {"window_on": "window on (default)", "window_off": "window off", "floor": "floor"}


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


def round_order(index: int) -> tuple[str, ...]:
    """Every side once per round; over six rounds each side runs first, second and last, after each other."""
    rotated = SIDES[index % 3 :] + SIDES[: index % 3]
    return rotated if (index // 3) % 2 == 0 else tuple(reversed(rotated))


def measure_cold(bench: Bench, network: Network, runs: int, warmup_runs: int) -> dict[str, Any]:
    kick = KickStub().start()
    try:
        with bench.endpoints(network, kick) as (endpoints, _):
            for _ in range(warmup_runs):  # compiles every side into the pycache prefix, warms the file cache
                for side in SIDES:
                    bench.cold(side, endpoints)
            rounds = [{side: bench.cold(side, endpoints) for side in round_order(index)} for index in range(runs)]
    finally:
        kick.stop()
    result: dict[str, Any] = {"network": _network_description(network), "runs": runs}
    for side in SIDES:
        phases = ("total", "interpreter", "import", "first_call")
        result[side] = {phase: summary([run[side][phase] for run in rounds]) for phase in phases}
        result[side]["samples_ms"] = [round(run[side]["total"], 2) for run in rounds]
    for side in OURS:
        paired = [run[side]["total"] / run["floor"]["total"] for run in rounds]
        result[side]["paired_ratios"] = [round(ratio, 4) for ratio in paired]
        result[side]["ratio_paired_median"] = statistics.median(paired)
        result[side]["ratio_of_medians"] = result[side]["total"]["median"] / result["floor"]["total"]["median"]
    return result


def measure_warm(bench: Bench, network: Network, calls: int, block: int) -> dict[str, Any]:
    stubs = {"ours": KickStub().start(), "floor": KickStub().start()}
    try:
        with (
            bench.endpoints(network, stubs["ours"]) as (endpoints, _),
            _kick_behind(network, stubs["floor"]) as floor_kick_url,
        ):
            urls = {side: floor_kick_url if side == "floor" else endpoints.kick_url for side in SIDES}
            timings = bench.warm(urls, endpoints, calls=calls, block=block)
        connections = {name: stub.connections for name, stub in stubs.items()}
    finally:
        for stub in stubs.values():
            stub.stop()
    result: dict[str, Any] = {side: summary(timings[side]) for side in SIDES}
    for side in OURS:
        result[side]["ratio_median"] = result[side]["median"] / result["floor"]["median"]
        result[side]["ratio_p90"] = result[side]["p90"] / result["floor"]["p90"]
    result["kick_connections_during_warm_run"] = connections
    result["block"] = block
    return result


@contextlib.contextmanager
def _kick_behind(network: Network, kick: KickStub) -> Iterator[str]:
    """`kick`'s URL, behind its own stand-in with `network`'s Kick latency unless on loopback."""
    if network.loopback:
        yield kick.url
        return
    proxy = LatencyProxy.for_url(kick.url, network.kick).start()
    try:
        yield proxy.url_for(kick.url)
    finally:
        proxy.stop()


def measure_connections(bench: Bench, calls: int) -> dict[str, int]:
    """TCP connections each dependency accepts from one window-on container: a first call plus `calls` warm ones."""
    kick = KickStub().start()
    counting = Network("counting", kick=Latency(0, 0.001))  # not loopback: every dependency behind a stand-in
    try:
        with bench.endpoints(counting, kick) as (endpoints, proxies):
            bench.warm({"window_on": endpoints.kick_url}, endpoints, calls=calls, block=calls, warmup=0)
            return {name: proxy.connections for name, proxy in proxies.items()}
    finally:
        kick.stop()


COMPARED = ("window_on", "floor")


def measure_imports(bench: Bench, runs: int) -> dict[str, Any]:
    kick = KickStub().start()
    try:
        with bench.endpoints(LOOPBACK, kick) as (endpoints, _):
            outputs = {side: [bench.importtime(side, endpoints) for _ in range(runs)] for side in COMPARED}
    finally:
        kick.stop()
    return breakdown(outputs["window_on"], outputs["floor"])


def _network_description(network: Network) -> dict[str, str]:
    if network.loopback:
        return {"all": "loopback, no stand-in"}
    return {
        "kick": str(network.kick),
        "secrets_manager": str(network.secrets_manager),
        "dynamodb": str(network.dynamodb),
    }


def verdicts(results: dict[str, Any]) -> dict[str, bool]:
    found = {
        f"cold {network} window_on": results["cold"][network]["window_on"]["ratio_paired_median"] <= target
        for network, target in COLD_TARGETS.items()
    }
    found |= {
        f"cold {network} window_off": results["cold"][network]["window_off"]["ratio_paired_median"] <= target
        for network, target in COLD_TARGETS.items()
    }
    found |= {
        f"warm {network} window_on": results["warm"][network]["window_on"]["ratio_median"] <= WARM_TARGET
        for network in results["warm"]
    }
    found["connections"] = all(count == CONNECTIONS_TARGET for count in results["connections"]["accepted"].values())
    return found


def _ok(passed: bool) -> str:
    return "yes" if passed else "MISSED"


def cold_table(results: dict[str, Any], network: str) -> list[str]:
    cold = results["cold"][network]
    target = COLD_TARGETS[network]
    lines = [
        "| cold start, " + network + " | median | p90 | median of paired ratios | ratio of medians | target | met |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for side in SIDES:
        total = cold[side]["total"]
        if side == "floor":
            lines.append(f"| {LABELS[side]} | {total['median']:.1f} ms | {total['p90']:.1f} ms | 1 | 1 | | |")
            continue
        met = _ok(results["verdicts"][f"cold {network} {side}"])
        lines.append(
            f"| {LABELS[side]} | {total['median']:.1f} ms | {total['p90']:.1f} ms"
            f" | **{cold[side]['ratio_paired_median']:.3f}x** | {cold[side]['ratio_of_medians']:.3f}x"
            f" | <= {target:.2f}x | {met} |"
        )
    return lines


def phases_table(cold: dict[str, Any]) -> list[str]:
    lines = [
        "| cold start phase (median) | " + " | ".join(LABELS[side] for side in SIDES) + " |",
        "|---|" + "---:|" * len(SIDES),
    ]
    for phase, label in (
        ("interpreter", "spawn to script start"),
        ("import", "import the handler"),
        ("first_call", "first invocation"),
        ("total", "total"),
    ):
        lines.append(f"| {label} | " + " | ".join(f"{cold[side][phase]['median']:.1f} ms" for side in SIDES) + " |")
    return lines


def warm_table(results: dict[str, Any], network: str) -> list[str]:
    warm = results["warm"][network]
    lines = [
        f"| warm call, {network} | median | p90 | ratio of medians | target | met |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for side in SIDES:
        row = warm[side]
        if side == "floor":
            lines.append(f"| {LABELS[side]} | {row['median']:.3f} ms | {row['p90']:.3f} ms | 1 | | |")
            continue
        target, met = ("", "")
        if side == "window_on":
            target, met = f"<= {WARM_TARGET:.2f}x", _ok(results["verdicts"][f"warm {network} window_on"])
        lines.append(
            f"| {LABELS[side]} | {row['median']:.3f} ms | {row['p90']:.3f} ms | **{row['ratio_median']:.3f}x**"
            f" | {target} | {met} |"
        )
    return lines


def imports_table(imports: dict[str, Any]) -> list[str]:
    lines = [
        f"Import time over a whole window-on cold start (median of {imports['runs_per_side']} `-X importtime` runs"
        f" per side; importtime's own overhead included): ours {imports['ours_total_ms']:.1f} ms,"
        f" floor {imports['floor_total_ms']:.1f} ms; {imports['unique_modules']} modules only ours imports,"
        f" {imports['unique_total_ms']:.1f} ms of self time (imported on the main thread or in the background).",
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
    info, warm, conn = results["machine"], results["warm"]["loopback"], results["connections"]
    latency = results["cold"]["latency"]["network"]
    lines = [
        "# make bench: results",
        "",
        f"{info['date']} · Python {info['python']} ({info['implementation']}) · {info['platform']} ·"
        f" {info['cpu_count']} CPUs · load average at start {info['load_average_at_start']} ·"
        f" `{results['command']}` · {results['seconds']:.0f} s",
        "",
        f"Cold: {results['cold']['loopback']['runs']} rounds per network, each a fresh interpreter per side in a"
        " rotating order, spawn to first response; the headline is the median over rounds of ours/floor in the same"
        f" round. Latency stand-ins: Kick {latency['kick']}, Secrets Manager {latency['secrets_manager']},"
        f" DynamoDB {latency['dynamodb']} (every side alike). Warm: {warm['floor']['n']} calls per side in one"
        f" process on loopback ({results['warm']['latency']['floor']['n']} behind the stand-ins), blocks of"
        f" {warm['block']}, after a first call and 5 warm-up calls. Every module of every side loaded from bytecode."
        " The floor never uses DynamoDB.",
        "",
        *cold_table(results, "loopback"),
        "",
        *cold_table(results, "latency"),
        "",
        *warm_table(results, "loopback"),
        "",
        *warm_table(results, "latency"),
        "",
        f"Upstream TCP connections of one window-on container over 1 + {conn['warm_calls']} calls:"
        f" {', '.join(f'{name} {count}' for name, count in conn['accepted'].items())}"
        f" (target {CONNECTIONS_TARGET} each: {_ok(results['verdicts']['connections'])}).",
        "",
        "## Cold start phases, loopback",
        "",
        *phases_table(results["cold"]["loopback"]),
        "",
        "## Cold start phases, behind latency",
        "",
        *phases_table(results["cold"]["latency"]),
        "",
        "## What the window-on cold start imports that the floor does not",
        "",
        *imports_table(results["imports"]),
        "",
    ]
    return "\n".join(lines)


def readme_table(results: dict[str, Any]) -> list[str]:
    """The README's Performance table, from a record (tests/bench checks the README against latest.json)."""
    cold, warm, accepted = results["cold"], results["warm"], results["connections"]["accepted"]

    def cold_cell(network: str, side: str) -> str:
        median = cold[network][side]["total"]["median"]
        if side == "floor":
            return f"{median:.0f} ms"
        return f"{median:.0f} ms ({cold[network][side]['ratio_paired_median']:.2f}x)"

    def warm_cell(network: str, side: str) -> str:
        median = warm[network][side]["median"]
        ratio = warm[network][side].get("ratio_median")
        return f"{median:.2f} ms" if side == "floor" else f"{median:.2f} ms ({ratio:.2f}x)"

    names = {"kick": "Kick", "secrets_manager": "Secrets Manager", "dynamodb": "DynamoDB"}
    return [
        "| median (ours/floor) | window on (default) | window off | floor | goal, window on |",
        "|---|---:|---:|---:|---:|",
        *(
            f"| cold start, {label} | {' | '.join(cold_cell(network, side) for side in SIDES)}"
            f" | <= {COLD_TARGETS[network]:.2f}x |"
            for network, label in (("loopback", "loopback"), ("latency", "behind latency"))
        ),
        *(
            f"| warm call, {label} | {' | '.join(warm_cell(network, side) for side in SIDES)} | <= {WARM_TARGET:.2f}x |"
            for network, label in (("loopback", "loopback"), ("latency", "behind latency"))
        ),
        f"| upstream TCP connections, 1 + {results['connections']['warm_calls']} calls |"
        f" {', '.join(f'{names[name]} {count}' for name, count in accepted.items())} | | | 1 each |",
    ]


def _latency(text: str) -> Latency:
    handshake, request = (float(part) for part in text.split(","))
    return Latency(handshake, request)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--cold-runs", type=int, default=20, help="cold rounds per network (default 20)")
    parser.add_argument("--cold-warmup-runs", type=int, default=2, help="unmeasured cold rounds first (default 2)")
    parser.add_argument("--warm-calls", type=int, default=200, help="measured warm calls per side (default 200)")
    parser.add_argument("--warm-latency-calls", type=int, default=40, help="ditto, behind latency (default 40)")
    parser.add_argument("--block", type=int, default=5, help="warm calls per side before switching (default 5)")
    parser.add_argument("--connection-calls", type=int, default=100, help="warm calls for the connection count")
    parser.add_argument("--import-runs", type=int, default=3, help="-X importtime runs per side (default 3)")
    parser.add_argument("--kick-latency", type=_latency, default=LATENCY.kick, help="HANDSHAKE_MS,REQUEST_MS")
    parser.add_argument("--secrets-latency", type=_latency, default=LATENCY.secrets_manager, help="ditto")
    parser.add_argument("--dynamodb-latency", type=_latency, default=LATENCY.dynamodb, help="ditto")
    parser.add_argument("--ours-src", type=Path, default=None, help="another source tree to measure as ours")
    parser.add_argument("--out-dir", type=Path, default=RUNS_DIR, help="where this run's .json/.md go")
    parser.add_argument("--record", action="store_true", help="also rewrite benchmarks/results/latest.* (committed)")
    parser.add_argument("--no-fail", action="store_true", help="report only; exit 0 even if a target is missed")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    latency = Network(
        "latency", kick=args.kick_latency, secrets_manager=args.secrets_latency, dynamodb=args.dynamodb_latency
    )
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    started = time.monotonic()
    results: dict[str, Any] = {
        "machine": machine(),
        "command": "python -m benchmarks.cold_warm " + " ".join(sys.argv[1:] if argv is None else argv),
    }
    bench = Bench.start(ours_src=args.ours_src)
    try:
        results["ours_src"] = str(bench.ours_src)
        results["cold"] = {}
        for network in (LOOPBACK, latency):
            print(f"cold, {network.name}: {args.cold_runs} rounds of {len(SIDES)} sides ...", flush=True)
            results["cold"][network.name] = measure_cold(bench, network, args.cold_runs, args.cold_warmup_runs)
        results["warm"] = {}
        for network, calls in ((LOOPBACK, args.warm_calls), (latency, args.warm_latency_calls)):
            print(f"warm, {network.name}: {calls} calls per side ...", flush=True)
            results["warm"][network.name] = measure_warm(bench, network, calls, args.block)
        print("connections ...", flush=True)
        accepted = measure_connections(bench, args.connection_calls)
        results["connections"] = {"warm_calls": args.connection_calls, "accepted": accepted}
        print("imports ...", flush=True)
        results["imports"] = measure_imports(bench, args.import_runs)
    finally:
        bench.stop()
    results["seconds"] = time.monotonic() - started
    results["targets"] = {"cold_ratio": COLD_TARGETS, "warm_ratio": WARM_TARGET, "connections": CONNECTIONS_TARGET}
    results["verdicts"] = verdicts(results)

    report = markdown(results)
    print()
    print(report)
    stamp = results["machine"]["date"].replace(":", "").replace("+0000", "Z")
    out_dirs = [args.out_dir] + ([RECORD_DIR] if args.record else [])
    for out_dir in out_dirs:
        out_dir.mkdir(parents=True, exist_ok=True)
        names = ("latest",) if out_dir == RECORD_DIR else (f"bench-{stamp}", "latest")
        for name in names:
            (out_dir / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n")
            (out_dir / f"{name}.md").write_text(report)
        print(f"results written to {out_dir}/{names[0]}.md and .json", flush=True)
    missed = [name for name, passed in results["verdicts"].items() if not passed]
    if missed:
        print(f"targets missed: {', '.join(missed)}", file=sys.stderr)
        return 0 if args.no_fail else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
