"""`python -m local` (what `make dev` runs) as a new user meets it: start, sign in with the client, Ctrl-C."""

from __future__ import annotations

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

import pytest

from tests.e2e.conftest import free_port

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

    def rest_of_output(self) -> str:
        lines: list[str] = []
        while line := self.output.get(timeout=5):
            lines.append(line)
        return "".join(lines)

    def _find(self, pattern: str) -> str:
        match = re.search(pattern, self.banner)
        assert match, self.banner
        return match.group(1)


@pytest.fixture
def dev_runner() -> Iterator[tuple[DevRunner, str]]:
    redirect_uri = f"http://127.0.0.1:{free_port()}/callback"
    # A new user's shell: none of the settings other tests may have left in this process's environment.
    ours = ("AWS_", "KICK_", "ALLOWED_", "POWERTOOLS_", "UPSTREAM_", "REPLAY_", "LOCAL_API_")
    env = {name: value for name, value in os.environ.items() if not name.startswith(ours)}
    env.update(ALLOWED_REDIRECT_URIS=redirect_uri, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "local", "--api-port", "0", "--emulator-port", "0", "--quiet"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield DevRunner(process), redirect_uri
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=5)
        assert process.stdout is not None
        process.stdout.close()


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
    assert f"{runner.api_url}/v1/kick/token " in runner.banner
    assert f"{runner.api_url}/v1/kick/revoke " in runner.banner

    login = client(runner, redirect_uri, tmp_path / "tokens.json", "login", "--follow-redirect", "--timeout", "10")
    assert login.returncode == 0, login.stderr
    assert "signed in" in login.stdout
    refreshed = client(runner, redirect_uri, tmp_path / "tokens.json", "refresh", "--force")
    assert refreshed.returncode == 0, refreshed.stderr

    runner.process.send_signal(signal.SIGINT)
    assert runner.process.wait(timeout=5) == 0
    assert "stopped" in runner.rest_of_output()


def test_make_dev_says_which_port_is_busy_instead_of_a_traceback() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        finished = subprocess.run(  # noqa: S603 (our own interpreter and module)
            [sys.executable, "-m", "local", "--api-port", str(port), "--emulator-port", "0", "--quiet"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    assert finished.returncode == 1
    assert f"a port is busy ({port}" in finished.stderr
    assert "Traceback" not in finished.stderr


def test_make_dev_stops_on_sigterm_too(dev_runner: tuple[DevRunner, str]) -> None:
    runner, _redirect_uri = dev_runner
    assert "local-dev-client" in runner.banner

    runner.process.send_signal(signal.SIGTERM)

    assert runner.process.wait(timeout=5) == 0
    assert "stopped" in runner.rest_of_output()
