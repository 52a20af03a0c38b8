"""The bench's code path with tiny numbers, so `make test` keeps it working; `make bench` measures.

No ratio is asserted: those are figures (benchmarks/README.md), not timed tests."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from benchmarks.cold_warm import main, readme_table
from benchmarks.harness import RECORD_DIR, REPO
from benchmarks.importtime_breakdown import breakdown
from benchmarks.latency_proxy import Latency, LatencyProxy
from tests.support.kick_stub import KickStub
from tests.support.sockets import _Listener


def test_the_bench_runs_and_writes_only_where_it_is_told(tmp_path: Path) -> None:
    record = RECORD_DIR / "latest.md"
    recorded = record.read_text() if record.exists() else None

    exit_code = main(
        [
            "--cold-runs=1",
            "--cold-warmup-runs=0",
            "--warm-calls=3",
            "--warm-latency-calls=2",
            "--block=2",
            "--connection-calls=3",
            "--import-runs=1",
            "--no-fail",
            f"--out-dir={tmp_path}",
        ]
    )

    assert exit_code == 0
    results = json.loads((tmp_path / "latest.json").read_text())
    assert set(results["cold"]) == set(results["warm"]) == {"loopback", "latency"}
    assert results["cold"]["latency"]["window_on"]["ratio_paired_median"] > 0
    # one window-on container: one connection per dependency over its first and warm calls
    assert results["connections"]["accepted"] == {"kick": 1, "secrets_manager": 1, "dynamodb": 1}
    assert "| window on (default) |" in (tmp_path / "latest.md").read_text()
    assert (record.read_text() if record.exists() else None) == recorded  # only `make bench-record` writes it


def test_the_package_bench_times_a_built_function_with_and_without_bytecode(tmp_path: Path) -> None:
    from benchmarks.package_bytecode import main as package_main
    from tests.tooling.test_bytecode import RUNTIME_PYTHON

    if RUNTIME_PYTHON is None:
        pytest.skip("no python3.13 (the Lambda runtime) here")
    function = tmp_path / "ExchangeFunction"
    (function / "handlers").mkdir(parents=True)
    (function / "handlers" / "__init__.py").write_text("")
    (function / "handlers" / "exchange.py").write_text("import json\nlambda_handler = json.dumps\n")

    arguments = [f"--function-dir={function}", f"--runtime-python={RUNTIME_PYTHON}", "--runs=1"]
    exit_code = package_main([*arguments, f"--sdk={tmp_path}", f"--out-dir={tmp_path / 'out'}"])

    assert exit_code == 0
    result = json.loads((tmp_path / "out" / "package-bytecode.json").read_text())
    assert {name: len(values) for name, values in result["import_ms"].items()} == {
        "as sam builds it": 1,
        "with make bytecode": 1,
    }
    assert result["pyc_files"] == {"as sam builds it": 0, "with make bytecode": 2}
    assert list(function.rglob("*.pyc")) == []  # the built function itself is left as it was


def test_the_readme_and_the_performance_doc_quote_the_committed_record() -> None:
    record = json.loads((RECORD_DIR / "latest.json").read_text())
    readme = (REPO / "README.md").read_text()
    performance = (REPO / "docs" / "performance.md").read_text()

    for line in readme_table(record):
        assert line in readme
        assert line in performance
    assert record["machine"]["date"] in readme
    assert record["machine"]["date"] in performance
    powertools_ms = record["imports"]["by_package"]["aws_lambda_powertools"]
    claim = f"Powertools' Logger and Metrics add {powertools_ms:.0f} ms of import time"
    assert claim in " ".join(readme.split())  # as written, across line breaks


def test_the_latency_stand_in_charges_the_handshake_from_the_accept_and_each_request(kick: KickStub) -> None:
    proxy = LatencyProxy.for_url(kick.url, Latency(handshake_ms=100, request_ms=50)).start()
    try:
        session = requests.Session()
        url = proxy.url_for(kick.url)
        first, first_seconds = _timed_post(session, url)
        second, second_seconds = _timed_post(session, url)
        preconnected = socket.create_connection(("127.0.0.1", proxy.port))
        time.sleep(0.15)  # the handshake completes while the client does something else
        third_seconds = _timed_raw_post(preconnected, url)
    finally:
        proxy.stop()

    assert first.status_code == second.status_code == 200
    assert 0.15 <= first_seconds < 0.3, first_seconds  # handshake + request
    assert 0.05 <= second_seconds < 0.1, second_seconds  # kept alive: the request only
    assert 0.05 <= third_seconds < 0.1, third_seconds  # preconnected: the request only
    assert proxy.connections == 2
    assert kick.connections == 2


class _LingeringServer(_Listener):
    """Answers each connection's request, then keeps the connection open `linger` seconds before closing
    it, as werkzeug (moto's server) does for about 10 ms; with `length=False` its answer has no
    Content-Length and ends at that close."""

    def __init__(self, linger: float, *, length: bool) -> None:
        super().__init__()
        self._linger = linger
        self._length = length

    def serve(self, connection: socket.socket) -> None:
        threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        with connection, contextlib.suppress(OSError):
            received = b""
            while b"\r\n\r\n" not in received:
                received += connection.recv(65536)
            length = b"Content-Length: 5\r\n" if self._length else b""
            connection.sendall(b"HTTP/1.1 200 OK\r\n" + length + b"Connection: close\r\n\r\nhello")
            time.sleep(self._linger)


@pytest.mark.parametrize(("length", "at_least", "under"), [(True, 0.0, 0.5), (False, 1.0, 1.5)])
def test_the_aws_stand_in_relays_an_answer_at_its_length_not_at_the_servers_close(
    length: bool, at_least: float, under: float
) -> None:
    server = _LingeringServer(linger=1.0, length=length).start()
    proxy = LatencyProxy.for_url(server.url, Latency(), keep_alive=True).start()
    try:
        session = requests.Session()
        started = time.monotonic()
        answer = session.post(proxy.url_for(server.url), data="x")
        seconds = time.monotonic() - started
    finally:
        proxy.stop()
        server.stop()

    assert (answer.status_code, answer.text) == (200, "hello")
    assert at_least <= seconds < under, seconds
    assert "close" not in answer.headers.get("Connection", "")  # kept alive for the client, as AWS does


def _timed_post(session: requests.Session, url: str) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = session.post(url, data="x")
    return response, time.monotonic() - started


def _timed_raw_post(sock: socket.socket, url: str) -> float:
    path = urlsplit(url).path
    started = time.monotonic()
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: kick\r\nContent-Length: 0\r\n\r\n".encode())
    assert sock.recv(65536).startswith(b"HTTP/1.1 200")
    seconds = time.monotonic() - started
    sock.close()
    return seconds


IMPORTTIME_OURS = """import time: self [us] | cumulative | imported package
import time:       100 |        100 |     json
import time:       300 |        300 |       typing_extensions
import time:       200 |        500 |     powertools
import time:        50 |        650 |   handlers.token_endpoint
import time:        10 |        660 | handlers.exchange
"""
IMPORTTIME_FLOOR = """import time:       120 |        120 |   json
import time:        10 |        130 | benchmarks.floor_handler
"""


def test_import_breakdown_charges_ours_only_for_what_the_floor_does_not_import() -> None:
    result = breakdown([IMPORTTIME_OURS], [IMPORTTIME_FLOOR])

    assert result["unique_total_ms"] == 0.56
    top = {row["module"]: row for row in result["top_unique"]}
    assert top["handlers.exchange"]["attributable_ms"] == 0.56  # json (0.1 ms) is not charged
    assert top["powertools"]["attributable_ms"] == 0.5
    assert top["typing_extensions"]["imported_by"] == "powertools"
    assert "json" not in top


def test_import_breakdown_refuses_a_tree_that_two_threads_imported_into_at_once() -> None:
    concurrent = IMPORTTIME_OURS.replace("import time:       200 |", "import time:      -150 |")

    with pytest.raises(ValueError, match="two threads at once"):
        breakdown([concurrent], [IMPORTTIME_FLOOR])
