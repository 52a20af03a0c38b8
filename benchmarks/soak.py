"""Soak: many warm invocations in one process, with Kick failures interleaved; nothing may grow.

`make soak` runs 10,000 warm invocations with the replay window off and 3,000 with it on (DynamoDB in
moto's server). Each phase runs in a child interpreter, one simulated Lambda container, so that the
Kick stub's and moto's threads, sockets and memory stay in this (parent) process and out of what is
measured. The child samples its resident memory, open file descriptors and OS threads (after a
garbage collection) at call 100 (the end of warm-up), 1,000, 5,000 and at the end. The run fails if
descriptors or threads at any later sample exceed the warm-up sample, or if resident memory grows by
more than 5 MB after warm-up. Results: benchmarks/results/soak/latest.json and latest.md (git-ignored).

Kick's answers cycle through tokens, a 503, a Cloudflare 403 page, an invalid_grant 400, a 401
invalid_client and a token answer that closes the connection; with the window on, every fifth
refresh repeats the previous one, which the window answers.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO / "benchmarks" / "results" / "soak"
RSS_GROWTH_LIMIT_BYTES = 5 * 1024 * 1024
CHECKPOINTS = (100, 1_000, 5_000)
CHILD_TIMEOUT_SECONDS = 1_800


def sample(calls: int) -> dict[str, int]:
    """This process now: resident bytes, open descriptors, OS threads."""
    gc.collect()
    status = Path("/proc/self/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {
        "calls": calls,
        "rss_bytes": int(fields["VmRSS"].split()[0]) * 1024,
        "fds": len(os.listdir("/proc/self/fd")),
        "threads": int(fields["Threads"]),
        "python_threads": threading.active_count(),
    }


def child(calls: int, window: bool, checkpoints: list[int], output: Path) -> None:
    """One container: `calls` warm refreshes through the real handler, sampled at the checkpoints."""
    from types import SimpleNamespace

    from handlers.refresh import lambda_handler

    context = SimpleNamespace(
        function_name="kick-oauth-proxy-refresh",
        function_version="$LATEST",
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:kick-oauth-proxy-refresh",
        memory_limit_in_mb=256,
        aws_request_id="soak",
        log_group_name="soak",
        log_stream_name="soak",
    )
    samples: list[dict[str, int]] = []
    statuses: dict[str, int] = {}
    token = ""
    started = time.monotonic()
    for call in range(1, calls + 1):
        if not (window and call % 5 == 0):  # with the window on, every fifth call repeats the previous one
            token = f"soak-refresh-{uuid.uuid4().hex}"
        body = json.dumps({"refresh_token": token})
        event = {
            "resource": "/v1/kick/refresh",
            "path": "/v1/kick/refresh",
            "httpMethod": "POST",
            "headers": {"Content-Type": "application/json"},
            "requestContext": {"requestId": f"soak-{call}", "httpMethod": "POST"},
            "body": body,
            "isBase64Encoded": False,
        }
        status = lambda_handler(event, context)["statusCode"]
        statuses[str(status)] = statuses.get(str(status), 0) + 1
        if call in checkpoints or call == calls:
            samples.append(sample(call))
    output.write_text(
        json.dumps({"samples": samples, "statuses": statuses, "seconds": round(time.monotonic() - started, 1)})
    )


def cycling_kick() -> Any:
    """The Kick stub, answering a repeating mix of tokens and failures."""
    from tests.support.kick_stub import Answer, KickStub, html_answer, json_answer, token_answer

    cycle = [
        token_answer(),
        json_answer(503, {"error": "unavailable"}, {"Retry-After": "3"}),
        token_answer(),
        html_answer(403),
        token_answer(),
        json_answer(400, {"error": "invalid_grant", "error_description": "grant is invalid"}),
        token_answer(),
        json_answer(401, {"error": "invalid_client", "error_description": "Client authentication failed"}),
        Answer(200, token_answer().body, {"Content-Type": "application/json"}, close_connection=True),
    ]

    class CyclingKick(KickStub):
        def __init__(self) -> None:
            super().__init__()
            self._served = 0

        def _next_answer(self) -> Answer:
            with self._lock:
                answer = cycle[self._served % len(cycle)]
                self._served += 1
                return answer

    return CyclingKick()


def run_phase(name: str, calls: int, window: bool, checkpoints: list[int]) -> dict[str, Any]:
    from tests.support.aws import DUMMY_AWS_ENV, MotoServer, create_replay_table
    from tests.support.proxy import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's access log: one line per call otherwise
    moto, kick = MotoServer().start(), cycling_kick().start()
    try:
        secret_id = f"kick-oauth-proxy/soak-{uuid.uuid4().hex[:8]}"
        moto.put_secret(secret_id, {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("AWS_", "POWERTOOLS_", "KICK_", "REPLAY_"))
        }
        env.update(DUMMY_AWS_ENV)
        env.update(
            AWS_ENDPOINT_URL_SECRETS_MANAGER=moto.endpoint,
            AWS_ENDPOINT_URL_DYNAMODB=moto.endpoint,
            KICK_SECRET_ID=secret_id,
            KICK_TOKEN_URL=kick.url,
            ALLOWED_REDIRECT_URIS=REDIRECT_URI,
            UPSTREAM_TIMEOUT_SECONDS="2",
            PYTHONPATH=f"{REPO / 'src'}{os.pathsep}{REPO}",
        )
        if window:
            env["REPLAY_TABLE_NAME"] = create_replay_table(moto)
        with tempfile.TemporaryDirectory() as scratch:
            output = Path(scratch) / "result.json"
            argv = [sys.executable, "-m", "benchmarks.soak", "--child", f"--calls={calls}", f"--output={output}"]
            argv += [f"--checkpoint={checkpoint}" for checkpoint in checkpoints]
            argv += ["--window"] if window else []
            # The handler's log lines go to a file, as Lambda's go to another process, not to a pipe.
            with open(Path(scratch) / "stdout", "wb") as out, open(Path(scratch) / "stderr", "wb") as err:
                returncode = subprocess.run(
                    argv, stdout=out, stderr=err, env=env, cwd=REPO, timeout=CHILD_TIMEOUT_SECONDS, check=False
                ).returncode
            if returncode != 0:
                raise SystemExit(f"{name}: child exited {returncode}: {(Path(scratch) / 'stderr').read_text()[-2000:]}")
            result: dict[str, Any] = json.loads(output.read_text())
    finally:
        kick.stop()
        moto.stop()
    result.update(name=name, calls=calls, window=window, kick_connections=kick.connections)
    result["failures"] = verdict(result["samples"])
    return result


def verdict(samples: list[dict[str, int]]) -> list[str]:
    """What grew after warm-up (the first sample); empty when nothing did."""
    warm, failures = samples[0], []
    for later in samples[1:]:
        for key in ("fds", "threads"):
            if later[key] > warm[key]:
                failures.append(f"{key} grew from {warm[key]} to {later[key]} by call {later['calls']}")
        growth = later["rss_bytes"] - warm["rss_bytes"]
        if growth > RSS_GROWTH_LIMIT_BYTES:
            failures.append(f"RSS grew by {growth / 2**20:.1f} MB by call {later['calls']}")
    return failures


def markdown(results: list[dict[str, Any]], machine: dict[str, Any]) -> str:
    lines = [
        f"# Soak run, {machine['date']}",
        "",
        f"Python {machine['python']} on {machine['platform']}, {machine['cpu_count']} CPUs; `make soak`.",
        "",
        "| phase | call | RSS (MB) | open fds | OS threads |",
        "|---|---:|---:|---:|---:|",
    ]
    for result in results:
        for point in result["samples"]:
            lines.append(
                f"| {result['name']} | {point['calls']:,} | {point['rss_bytes'] / 2**20:.1f} | {point['fds']} "
                f"| {point['threads']} |"
            )
    lines.append("")
    for result in results:
        statuses = ", ".join(f"{status}: {count}" for status, count in sorted(result["statuses"].items()))
        verdict_text = "; ".join(result["failures"]) or "no growth after warm-up"
        lines.append(
            f"- {result['name']}: {result['calls']:,} calls in {result['seconds']} s ({statuses}); "
            f"{result['kick_connections']} connections to Kick; {verdict_text}"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--calls", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--checkpoint", type=int, action="append", default=[], help=argparse.SUPPRESS)
    parser.add_argument("--window", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--calls-off", type=int, default=10_000, help="warm calls with the replay window off")
    parser.add_argument("--calls-on", type=int, default=3_000, help="warm calls with the replay window on")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help="where latest.json/.md go")
    args = parser.parse_args(argv)
    if args.child:
        child(args.calls, args.window, args.checkpoint, args.output)
        return 0

    results = [
        run_phase("window off", args.calls_off, False, [c for c in CHECKPOINTS if c < args.calls_off]),
        run_phase("window on", args.calls_on, True, [c for c in CHECKPOINTS if c < args.calls_on]),
    ]
    machine = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
    }
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "latest.json").write_text(json.dumps({"machine": machine, "phases": results}, indent=2) + "\n")
    report = markdown(results, machine)
    (args.results / "latest.md").write_text(report)
    print(report)
    return 1 if any(result["failures"] for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
