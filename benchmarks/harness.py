"""Shared by `make bench` and its smoke test: loopback servers, child processes, statistics.

Kick (tests.support.kick_stub) and Secrets Manager (moto) run in this process; every measured
handler runs in a child interpreter (benchmarks/cold_child.py, benchmarks/warm_child.py) so the
servers' threads never share a GIL with the code being timed.

Bytecode: the children run with PYTHONDONTWRITEBYTECODE unset and PYTHONPYCACHEPREFIX pointing at
benchmarks/results/pycache.tmp (git-ignored), and each side gets unmeasured warm-up runs first. So
every module of both sides, src/ included, is loaded from .pyc, as from a built Lambda package, and
neither src/ nor site-packages is written to.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.aws import DUMMY_AWS_ENV, MotoServer
from tests.support.events import json_event
from tests.support.kick_stub import KickStub
from tests.support.proxy import CLIENT_ID, CLIENT_SECRET, DEV_REDIRECT_URI, REDIRECT_URI, VERIFIER

REPO = Path(__file__).resolve().parents[1]
BENCH_DIR = REPO / "benchmarks"
RESULTS_DIR = BENCH_DIR / "results"
PYCACHE_PREFIX = RESULTS_DIR / "pycache.tmp"
SECRET_ID = "kick-oauth-proxy/bench"
SIDES = ("ours", "floor")
MARKER = "BENCH_RESULT "
CHILD_TIMEOUT_SECONDS = 120

# Variables of the caller that must not leak into a child: they would change what is measured.
_SCRUBBED_PREFIXES = ("AWS_", "POWERTOOLS_", "KICK_", "PYTHON")
_SCRUBBED = {"ALLOWED_REDIRECT_URIS", "ALLOWED_ORIGINS", "UPSTREAM_TIMEOUT_SECONDS", "REPLAY_TABLE_NAME", "LOG_LEVEL"}


class ChildFailed(RuntimeError):
    pass


def exchange_event() -> dict[str, Any]:
    fields = {"code": "bench-code", "code_verifier": VERIFIER, "redirect_uri": REDIRECT_URI}
    return json_event("/v1/kick/exchange", fields)


@dataclass
class Bench:
    """Where the children find Secrets Manager and which source tree is "ours"."""

    moto: MotoServer
    secret_id: str = SECRET_ID
    ours_src: Path = REPO / "src"
    python: str = sys.executable
    event_json: str = field(default_factory=lambda: json.dumps(exchange_event()))

    @classmethod
    def start(cls, ours_src: Path | None = None) -> Bench:
        moto = MotoServer().start()
        bench = cls(moto=moto, ours_src=(ours_src or REPO / "src").resolve())
        moto.put_secret(bench.secret_id, {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
        return bench

    def stop(self) -> None:
        self.moto.stop()

    def child_env(self, kick_url: str) -> dict[str, str]:
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(_SCRUBBED_PREFIXES) and name not in _SCRUBBED
        }
        env.update(DUMMY_AWS_ENV)
        env.update(
            AWS_ENDPOINT_URL_SECRETS_MANAGER=self.moto.endpoint,
            AWS_LAMBDA_FUNCTION_NAME="kick-oauth-proxy-exchange",
            KICK_SECRET_ID=self.secret_id,
            KICK_TOKEN_URL=kick_url,
            ALLOWED_REDIRECT_URIS=f"{REDIRECT_URI},{DEV_REDIRECT_URI}",
            UPSTREAM_TIMEOUT_SECONDS="10",
            PYTHONPATH=f"{self.ours_src}{os.pathsep}{REPO}",
            PYTHONPYCACHEPREFIX=str(PYCACHE_PREFIX),
        )
        return env

    def _run(self, argv: list[str], kick_url: str) -> tuple[float, dict[str, Any], str]:
        """Spawn a child; return the monotonic time just before the spawn, its result and its stderr.

        The child's stdout and stderr go to files, not pipes: a pipe would wake this process for every
        log line ours writes, and those wake-ups would contend for the GIL with the Kick stub and moto
        threads serving the child, charging ours for the harness. (On Lambda, logs go to another process.)
        """
        env = self.child_env(kick_url)
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            spawned = time.monotonic()
            process = subprocess.Popen(
                [self.python, *argv], stdin=subprocess.PIPE, stdout=out, stderr=err, env=env, cwd=REPO
            )
            assert process.stdin is not None
            process.stdin.write(self.event_json.encode())
            process.stdin.close()
            returncode = process.wait(timeout=CHILD_TIMEOUT_SECONDS)
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read().decode(), err.read().decode()
        lines = [line for line in stdout.splitlines() if line.startswith(MARKER)]
        if returncode != 0 or not lines:
            raise ChildFailed(f"{argv} exited {returncode}: {stderr[-2000:]}")
        return spawned, json.loads(lines[-1][len(MARKER) :]), stderr

    def cold(self, side: str, kick_url: str) -> dict[str, float]:
        """Fresh interpreter to first response, with its phases, in milliseconds."""
        spawned, result, _ = self._run([str(BENCH_DIR / "cold_child.py"), side], kick_url)
        if result["status"] != 200:
            raise ChildFailed(f"cold {side} answered {result['status']}")
        return {
            "total": (result["ready"] - spawned) * 1000,
            "interpreter": (result["started"] - spawned) * 1000,
            "import": (result["imported"] - result["before_import"]) * 1000,
            "first_call": (result["ready"] - result["imported"]) * 1000,
        }

    def importtime(self, side: str, kick_url: str) -> str:
        """`python -X importtime` of a cold start up to the first response (its stderr)."""
        _, _, err = self._run(["-X", "importtime", str(BENCH_DIR / "cold_child.py"), side], kick_url)
        return err

    def warm(self, urls: dict[str, str], calls: int, block: int = 20, warmup: int = 5) -> dict[str, list[float]]:
        """Per-call milliseconds for each side, after one first call and `warmup` more per side."""
        argv = [str(BENCH_DIR / "warm_child.py"), f"--calls={calls}", f"--block={block}", f"--warmup={warmup}"]
        argv += [f"--side={side}={url}" for side, url in urls.items()]
        _, result, _ = self._run(argv, next(iter(urls.values())))
        return {side: [seconds * 1000 for seconds in values] for side, values in result["timings"].items()}

    def connections_for_warm_calls(self, calls: int, side: str = "ours") -> int:
        """TCP connections a fresh Kick stub accepts for one first call plus `calls` warm calls."""
        kick = KickStub().start()
        try:
            self.warm({side: kick.url}, calls=calls, block=calls, warmup=0)
            return kick.connections
        finally:
            kick.stop()


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "median": statistics.median(ordered),
        "p90": ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)],
        "mean": statistics.fmean(ordered),
        "min": ordered[0],
        "max": ordered[-1],
    }
