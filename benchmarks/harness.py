"""Shared by `make bench` and its smoke test: loopback servers, latency stand-ins, child processes, statistics.

Kick (tests.support.kick_stub), Secrets Manager and DynamoDB (one moto server) and the latency stand-ins
(benchmarks/latency_proxy.py) run in this process; every measured handler runs in a child interpreter
(benchmarks/cold_child.py, benchmarks/warm_child.py) so the servers' threads never share a GIL with the
code being timed.

Three sides: the proxy as deployed by default (`window_on`: REPLAY_TABLE_NAME set, a table shaped as
template.yaml declares it), the proxy with the replay window off (`window_off`), and the floor
(benchmarks/floor_handler.py, unchanged whatever the proxy's configuration).

Bytecode: the children run with PYTHONDONTWRITEBYTECODE unset and PYTHONPYCACHEPREFIX pointing at
benchmarks/results/pycache.tmp (git-ignored), and each side gets unmeasured warm-up runs first. So
every module of every side, src/ included, is loaded from .pyc, as from a built Lambda package, and
neither src/ nor site-packages is written to.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.latency_proxy import Latency, LatencyProxy
from tests.support.aws import DUMMY_AWS_ENV, MotoServer, create_replay_table
from tests.support.events import json_event
from tests.support.kick_stub import KickStub
from tests.support.proxy import CLIENT_ID, CLIENT_SECRET, DEV_REDIRECT_URI, REDIRECT_URI, VERIFIER

REPO = Path(__file__).resolve().parents[1]
BENCH_DIR = REPO / "benchmarks"
RECORD_DIR = BENCH_DIR / "results"
# Every run writes here (git-ignored); only `make bench-record` writes the committed RECORD_DIR/latest.*.
RUNS_DIR = RECORD_DIR / "runs.tmp"
PYCACHE_PREFIX = RECORD_DIR / "pycache.tmp"
SECRET_ID = "kick-oauth-proxy/bench"
SIDES = ("window_on", "window_off", "floor")
OURS = ("window_on", "window_off")
MARKER = "BENCH_RESULT "
CHILD_TIMEOUT_SECONDS = 120

# Variables of the caller that must not leak into a child: they would change what is measured.
_SCRUBBED_PREFIXES = ("AWS_", "POWERTOOLS_", "KICK_", "PYTHON", "REPLAY_")
_SCRUBBED = {"ALLOWED_REDIRECT_URIS", "ALLOWED_ORIGINS", "UPSTREAM_TIMEOUT_SECONDS", "LOG_LEVEL"}


class ChildFailed(RuntimeError):
    pass


NO_LATENCY = Latency()


@dataclass(frozen=True)
class Network:
    """What each dependency's connections and requests cost; all zero: plain loopback, no stand-in."""

    name: str
    kick: Latency = NO_LATENCY
    secrets_manager: Latency = NO_LATENCY
    dynamodb: Latency = NO_LATENCY

    @property
    def loopback(self) -> bool:
        return not any(
            latency.handshake_ms or latency.request_ms for latency in (self.kick, self.secrets_manager, self.dynamodb)
        )


LOOPBACK = Network("loopback")
# The figures: Kick across the internet (TLS), Secrets Manager and DynamoDB in the region.
LATENCY = Network("latency", kick=Latency(60, 120), secrets_manager=Latency(15, 25), dynamodb=Latency(15, 8))


@dataclass(frozen=True)
class Endpoints:
    """Where a child finds Kick, Secrets Manager and DynamoDB (directly or through a stand-in)."""

    kick_url: str
    secrets_manager: str
    dynamodb: str


def exchange_event(code: str) -> dict[str, Any]:
    fields = {"code": code, "code_verifier": VERIFIER, "redirect_uri": REDIRECT_URI}
    return json_event("/v1/kick/exchange", fields)


@dataclass
class Bench:
    """The servers every child talks to, and which source tree is "ours"."""

    moto: MotoServer
    secret_id: str = SECRET_ID
    table_name: str = ""
    ours_src: Path = REPO / "src"
    python: str = sys.executable
    _codes: Iterator[int] = field(default_factory=itertools.count)

    @classmethod
    def start(cls, ours_src: Path | None = None, moto: MotoServer | None = None, suffix: str = "") -> Bench:
        bench = cls(
            moto=moto or MotoServer().start(),
            secret_id=SECRET_ID + suffix,
            ours_src=(ours_src or REPO / "src").resolve(),
        )
        bench.moto.put_secret(bench.secret_id, {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
        bench.table_name = create_replay_table(bench.moto)  # as template.yaml declares it
        return bench

    def stop(self) -> None:
        self.moto.stop()

    @contextlib.contextmanager
    def endpoints(self, network: Network, kick: KickStub) -> Iterator[tuple[Endpoints, dict[str, LatencyProxy]]]:
        """The endpoints of `network`: direct on loopback, else through one stand-in per dependency."""
        if network.loopback:
            yield Endpoints(kick.url, self.moto.endpoint, self.moto.endpoint), {}
            return
        moto = self.moto.endpoint
        proxies = {
            "kick": LatencyProxy.for_url(kick.url, network.kick).start(),
            "secrets_manager": LatencyProxy.for_url(moto, network.secrets_manager, keep_alive=True).start(),
            "dynamodb": LatencyProxy.for_url(moto, network.dynamodb, keep_alive=True).start(),
        }
        try:
            yield (
                Endpoints(
                    kick_url=proxies["kick"].url_for(kick.url),
                    secrets_manager=proxies["secrets_manager"].url_for(self.moto.endpoint),
                    dynamodb=proxies["dynamodb"].url_for(self.moto.endpoint),
                ),
                proxies,
            )
        finally:
            for proxy in proxies.values():
                proxy.stop()

    def next_code(self) -> str:
        """A fresh authorization code: the window must never answer a measured call from its table."""
        return f"bench-code-{os.getpid()}-{next(self._codes)}"

    def child_env(self, endpoints: Endpoints, window: bool) -> dict[str, str]:
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(_SCRUBBED_PREFIXES) and name not in _SCRUBBED
        }
        env.update(DUMMY_AWS_ENV)
        env.update(
            AWS_ENDPOINT_URL_SECRETS_MANAGER=endpoints.secrets_manager,
            AWS_ENDPOINT_URL_DYNAMODB=endpoints.dynamodb,
            AWS_LAMBDA_FUNCTION_NAME="kick-oauth-proxy-exchange",
            KICK_SECRET_ID=self.secret_id,
            KICK_TOKEN_URL=endpoints.kick_url,
            ALLOWED_REDIRECT_URIS=f"{REDIRECT_URI},{DEV_REDIRECT_URI}",
            UPSTREAM_TIMEOUT_SECONDS="10",
            PYTHONPATH=f"{self.ours_src}{os.pathsep}{REPO}",
            PYTHONPYCACHEPREFIX=str(PYCACHE_PREFIX),
        )
        if window:
            env["REPLAY_TABLE_NAME"] = self.table_name
        return env

    def _run(self, argv: list[str], env: dict[str, str], stdin: str) -> tuple[float, dict[str, Any], str]:
        """Spawn a child; return the monotonic time just before the spawn, its result and its stderr.

        The child's stdout and stderr go to files, not pipes: a pipe would wake this process for every
        log line ours writes, and those wake-ups would contend for the GIL with the Kick stub and moto
        threads serving the child, charging ours for the harness. (On Lambda, logs go to another process.)
        """
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            spawned = time.monotonic()
            process = subprocess.Popen(
                [self.python, *argv], stdin=subprocess.PIPE, stdout=out, stderr=err, env=env, cwd=REPO
            )
            assert process.stdin is not None
            process.stdin.write(stdin.encode())
            process.stdin.close()
            returncode = process.wait(timeout=CHILD_TIMEOUT_SECONDS)
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read().decode(), err.read().decode()
        lines = [line for line in stdout.splitlines() if line.startswith(MARKER)]
        if returncode != 0 or not lines:
            raise ChildFailed(f"{argv} exited {returncode}: {stderr[-2000:]}")
        return spawned, json.loads(lines[-1][len(MARKER) :]), stderr

    def cold(self, side: str, endpoints: Endpoints, importtime: bool = False) -> dict[str, Any]:
        """Fresh interpreter to first response, with its phases, in milliseconds (and -X importtime's output)."""
        argv = [*(["-X", "importtime"] if importtime else []), str(BENCH_DIR / "cold_child.py"), _handler(side)]
        env = self.child_env(endpoints, window=side == "window_on")
        spawned, result, stderr = self._run(argv, env, json.dumps(exchange_event(self.next_code())))
        if result["status"] != 200:
            raise ChildFailed(f"cold {side} answered {result['status']}")
        return {
            "total": (result["ready"] - spawned) * 1000,
            "interpreter": (result["started"] - spawned) * 1000,
            "import": (result["imported"] - result["before_import"]) * 1000,
            "first_call": (result["ready"] - result["imported"]) * 1000,
            "stderr": stderr,
        }

    def importtime(self, side: str, endpoints: Endpoints) -> str:
        """`python -X importtime` of a cold start up to the first response (its stderr)."""
        return str(self.cold(side, endpoints, importtime=True)["stderr"])

    def warm(
        self, sides: dict[str, str], endpoints: Endpoints, calls: int, block: int = 20, warmup: int = 5
    ) -> dict[str, list[float]]:
        """Per-call milliseconds for each side (name -> Kick URL), after a first call and `warmup` more per side.

        Every side runs in one process, so window_on and window_off share one container (and must
        share one Kick URL: a second would evict the first's kept-alive connection).
        """
        argv = [str(BENCH_DIR / "warm_child.py"), f"--calls={calls}", f"--block={block}", f"--warmup={warmup}"]
        argv += [f"--side={side}={url}" for side, url in sides.items()]
        env = self.child_env(endpoints, window=False)
        env["BENCH_REPLAY_TABLE_NAME"] = self.table_name
        _, result, _ = self._run(argv, env, json.dumps(exchange_event(self.next_code())))
        return {side: [seconds * 1000 for seconds in values] for side, values in result["timings"].items()}


def _handler(side: str) -> str:
    return "ours" if side in OURS else side


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
