"""`python -m local` (what `make dev` runs) as a new user meets it: start, sign in with the client, Ctrl-C."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from desktop_client.authorize import authorize_url
from desktop_client.pkce import code_challenge, code_verifier
from tests.e2e.conftest import free_port
from tests.support.processes import run_module

ROOT = Path(__file__).resolve().parents[2]


class DevRunner:
    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.output: queue.Queue[str] = queue.Queue()
        # A thread, not select(): readline may buffer several lines that select() then never reports.
        threading.Thread(target=self._pump, daemon=True).start()
        self.banner = self._read_banner(timeout=30)  # generous: the imports are slow on a loaded CI box
        self.api_url = self._find(r"Proxy API\s+(http://127\.0\.0\.1:\d+)")
        self.emulator_url = self._find(r"Kick emulator\s+(http://127\.0\.0\.1:\d+)")

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.put(line)
        self.output.put("")

    def _read_banner(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        lines: list[str] = []
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                line = self.output.get(timeout=remaining)
            except queue.Empty:
                break
            if not line:
                break
            lines.append(line)
            if "Ctrl-C stops everything" in line:
                return "".join(lines)
        pytest.fail(f"no banner (exit code {self.process.poll()}): {''.join(lines)}")

    def lines_so_far(self, settle_seconds: float = 0.5) -> list[str]:
        """The lines printed since the banner (or the last call), once nothing new came for `settle_seconds`."""
        lines: list[str] = []
        while True:
            try:
                line = self.output.get(timeout=settle_seconds)
            except queue.Empty:
                return lines
            if not line:
                return lines
            lines.append(line.rstrip("\n"))

    def rest_of_output(self) -> str:
        lines: list[str] = []
        while line := self.output.get(timeout=5):
            lines.append(line)
        return "".join(lines)

    def _find(self, pattern: str) -> str:
        match = re.search(pattern, self.banner)
        assert match, self.banner
        return match.group(1)


def start_dev(redirect_uri: str, *arguments: str, **variables: str) -> subprocess.Popen[str]:
    # A new user's shell: none of the settings other tests may have left in this process's environment.
    ours = ("AWS_", "KICK_", "ALLOWED_", "POWERTOOLS_", "UPSTREAM_", "REPLAY_", "LOCAL_")
    env = {name: value for name, value in os.environ.items() if not name.startswith(ours)}
    env.update(ALLOWED_REDIRECT_URIS=redirect_uri, PYTHONUNBUFFERED="1", **variables)
    return subprocess.Popen(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", "local", "--api-port", "0", "--emulator-port", "0", *arguments],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@contextlib.contextmanager
def running(process: subprocess.Popen[str]) -> Iterator[DevRunner]:
    try:
        yield DevRunner(process)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=5)
        assert process.stdout is not None
        process.stdout.close()


@pytest.fixture
def dev_runner() -> Iterator[tuple[DevRunner, str]]:
    redirect_uri = f"http://127.0.0.1:{free_port()}/callback"
    with running(start_dev(redirect_uri)) as runner:
        yield runner, redirect_uri


def client(runner: DevRunner, redirect_uri: str, token_file: Path, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (our own interpreter and module)
        [
            sys.executable,
            "-m",
            "desktop_client",
            "--proxy-url",
            runner.api_url,
            "--authorize-url",
            f"{runner.emulator_url}/oauth/authorize",
            "--redirect-uri",
            redirect_uri,
            "--token-file",
            str(token_file),
            *command,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_make_dev_serves_a_whole_sign_in_and_stops_on_ctrl_c(dev_runner: tuple[DevRunner, str], tmp_path: Path) -> None:
    runner, redirect_uri = dev_runner
    assert "local-dev-client" in runner.banner
    # The banner's commands follow the ports in use.
    assert f"desktop_client --proxy-url {runner.api_url} --authorize-url {runner.emulator_url}/oauth/authorize" in (
        runner.banner
    )
    assert f"curl -s -X POST {runner.emulator_url}/_emulator/faults -d" in runner.banner
    assert f"{runner.api_url}/v1/kick/token " in runner.banner
    assert f"{runner.api_url}/v1/kick/revoke " in runner.banner

    login = client(runner, redirect_uri, tmp_path / "tokens.json", "login", "--follow-redirect", "--timeout", "10")
    assert login.returncode == 0, login.stderr
    assert "signed in" in login.stdout
    refreshed = client(runner, redirect_uri, tmp_path / "tokens.json", "refresh", "--force")
    assert refreshed.returncode == 0, refreshed.stderr
    logged_out = client(runner, redirect_uri, tmp_path / "tokens.json", "logout")
    assert logged_out.returncode == 0, logged_out.stderr
    assert "signed out: tokens revoked through" in logged_out.stdout
    assert f"desktop_client --proxy-url {runner.api_url} logout   # revokes" in runner.banner

    runner.process.send_signal(signal.SIGINT)
    assert runner.process.wait(timeout=5) == 0
    assert "stopped" in runner.rest_of_output()


@pytest.mark.parametrize(("variable", "busy_option", "free_option"), [
    ("LOCAL_API_PORT", "--api-port", "--emulator-port"),
    ("KICK_EMULATOR_PORT", "--emulator-port", "--api-port"),
])  # fmt: skip
def test_make_dev_says_which_port_is_busy_instead_of_a_traceback(
    variable: str, busy_option: str, free_option: str
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        finished = run_module("local", busy_option, str(port), free_option, "0", drop=("LOCAL_", "KICK_"))

    assert finished.returncode == 1
    assert finished.stderr == (
        f"port {port} ({variable}) is in use by another program: stop it, or choose another port,"
        f" e.g. make dev {variable}={port + 100}\n"
    )
    assert "Traceback" not in finished.stderr


def test_make_dev_stops_on_sigterm_too(dev_runner: tuple[DevRunner, str]) -> None:
    runner, _redirect_uri = dev_runner
    assert "local-dev-client" in runner.banner

    runner.process.send_signal(signal.SIGTERM)

    assert runner.process.wait(timeout=5) == 0
    assert "stopped" in runner.rest_of_output()


def exchange_twice(runner: DevRunner, redirect_uri: str) -> tuple[requests.Response, requests.Response]:
    """Sign in at the emulator, then send the very same exchange twice (a client retrying a lost answer)."""
    verifier = code_verifier()
    url = authorize_url(
        f"{runner.emulator_url}/oauth/authorize", "local-dev-client", redirect_uri, "user:read",
        code_challenge(verifier), "s",
    )  # fmt: skip
    authorized = requests.get(url, allow_redirects=False, timeout=5)
    code = parse_qs(urlsplit(authorized.headers["Location"]).query)["code"][0]
    body = {"code": code, "code_verifier": verifier, "redirect_uri": redirect_uri}
    first = requests.post(f"{runner.api_url}/v1/kick/exchange", json=body, timeout=15)
    second = requests.post(f"{runner.api_url}/v1/kick/exchange", json=body, timeout=15)
    return first, second


def summaries(lines: list[str]) -> list[dict[str, object]]:
    documents = [json.loads(line) for line in lines]
    return [document for document in documents if document.get("message") == "token request finished"]


def test_make_dev_runs_the_replay_window_like_the_default_deployment(dev_runner: tuple[DevRunner, str]) -> None:
    runner, redirect_uri = dev_runner
    assert "Replay window  on, 60 s (table kick-oauth-proxy-replay in moto's DynamoDB" in runner.banner

    first, second = exchange_twice(runner, redirect_uri)

    assert first.status_code == 200, first.text
    assert second.status_code == 200, second.text
    assert second.json() == first.json()
    assert [line["replay"] for line in summaries(runner.lines_so_far())] == ["kick", "window"]


def test_each_request_prints_its_summary_line_and_its_metrics_line_and_nothing_else(
    dev_runner: tuple[DevRunner, str],
) -> None:
    """What the README promises for the make dev terminal: what the functions write to CloudWatch Logs."""
    runner, redirect_uri = dev_runner
    assert "Each request to the proxy prints its JSON summary line and its metrics line below." in runner.banner

    exchange_twice(runner, redirect_uri)
    requests.post(f"{runner.api_url}/v1/kick/refresh", json={"refresh_token": "unknown"}, timeout=15)
    lines = runner.lines_so_far()

    documents = [json.loads(line) for line in lines]  # every line is JSON
    assert [document["outcome"] for document in summaries(lines)] == ["success", "success", "invalid_grant"]
    metrics = [document for document in documents if "_aws" in document]
    cold_start = [document for document in metrics if "ColdStart" in document]
    assert len(cold_start) == 1  # the first request after start-up only
    assert len(metrics) - len(cold_start) == 3
    assert len(documents) == 3 + 3 + 1


def test_the_replay_window_switch_turns_it_off(tmp_path: Path) -> None:
    redirect_uri = f"http://127.0.0.1:{free_port()}/callback"
    with running(start_dev(redirect_uri, LOCAL_REPLAY_WINDOW="0")) as runner:
        assert "Replay window  off" in runner.banner

        first, second = exchange_twice(runner, redirect_uri)

        assert first.status_code == 200
        assert (second.status_code, second.json()["error"]) == (400, "invalid_grant")
        assert [line.get("replay") for line in summaries(runner.lines_so_far())] == ["off", None]


@pytest.mark.parametrize(
    ("arguments", "variables", "named"),
    [
        ([], {"LOCAL_API_PORT": "three-thousand"}, "LOCAL_API_PORT must be a port number"),
        ([], {"KICK_EMULATOR_PORT": "70000"}, "KICK_EMULATOR_PORT must be a port number"),
        (["--api-port", "-1"], {}, "--api-port must be a port number"),
        ([], {"LOCAL_REPLAY_WINDOW": "maybe"}, "LOCAL_REPLAY_WINDOW must be 1 or 0"),
    ],
)
def test_make_dev_names_a_bad_setting_in_one_line(arguments: list[str], variables: dict[str, str], named: str) -> None:
    finished = run_module("local", *arguments, drop=("LOCAL_", "KICK_"), variables=variables)

    assert finished.returncode == 1
    assert finished.stderr.count("\n") == 1
    assert named in finished.stderr
