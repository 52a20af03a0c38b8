"""A real loopback HTTP server standing in for Kick's token endpoint, scripted per test.

Tests queue answers; the stub records every request it receives and every TCP connection it
accepts, so tests can assert what reached "Kick" and how connections were reused.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_seconds: float = 0.0
    drip_seconds_per_byte: float = 0.0
    close_connection: bool = False


@dataclass(frozen=True)
class Received:
    path: str  # with the query string, as sent
    headers: dict[str, str]
    body: bytes
    # When the request was read (time.time(), comparable across processes).
    at: float = field(default_factory=time.time)

    @property
    def query_pairs(self) -> list[tuple[str, str]]:
        return parse_qsl(urlsplit(self.path).query, keep_blank_values=True)

    @property
    def form(self) -> dict[str, str]:
        return dict(self.form_pairs)

    @property
    def form_pairs(self) -> list[tuple[str, str]]:
        """The form as sent, in order and with any repeated names kept."""
        return parse_qsl(self.body.decode("utf-8"), keep_blank_values=True)


def json_answer(
    status: int, document: object, headers: dict[str, str] | None = None, delay_seconds: float = 0.0
) -> Answer:
    return Answer(
        status=status,
        body=json.dumps(document).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
        delay_seconds=delay_seconds,
    )


def token_answer(access_token: str = "stub-access", refresh_token: str = "stub-refresh") -> Answer:
    return json_answer(
        200,
        {
            "access_token": access_token,
            "token_type": "Bearer",
            "refresh_token": refresh_token,
            "expires_in": 14400,
            "scope": "user:read channel:read",
        },
    )


def revoked_answer() -> Answer:
    """Kick's documented answer to a revocation: 200 and the text OK."""
    return Answer(status=200, body=b"OK", headers={"Content-Type": "text/plain; charset=utf-8"})


def html_answer(status: int, html: str = "<html><body>Attention Required! | Cloudflare</body></html>") -> Answer:
    return Answer(status=status, body=html.encode(), headers={"Content-Type": "text/html; charset=UTF-8"})


class KickStub:
    """Serve queued answers (the last one repeats) on 127.0.0.1 at a free port."""

    def __init__(self) -> None:
        self.answers: list[Answer] = [token_answer()]
        self.received: list[Received] = []
        self.connections = 0
        self._open_sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        # A short poll interval: stop() waits for the serve loop to notice, once per test.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self.port = int(self._server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}/oauth/token"
        self.revoke_url = f"http://127.0.0.1:{self.port}/oauth/revoke"

    def answer(self, *answers: Answer) -> None:
        with self._lock:
            self.answers = list(answers)

    def start(self) -> KickStub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> KickStub:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def close_idle_connections(self) -> None:
        """Close every kept-alive connection from the server side, as a peer's idle timeout would."""
        with self._lock:
            sockets = list(self._open_sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _next_answer(self) -> Answer:
        with self._lock:
            return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def setup(self) -> None:
                super().setup()
                with stub._lock:
                    stub.connections += 1
                    stub._open_sockets.add(self.connection)

            def finish(self) -> None:
                with stub._lock:
                    stub._open_sockets.discard(self.connection)
                super().finish()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with stub._lock:
                    stub.received.append(Received(self.path, dict(self.headers.items()), body))
                self._send(stub._next_answer())

            def do_GET(self) -> None:
                with stub._lock:
                    stub.received.append(Received(self.path, dict(self.headers.items()), b""))
                self._send(stub._next_answer())

            def _send(self, answer: Answer) -> None:
                if answer.delay_seconds:
                    time.sleep(answer.delay_seconds)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                if answer.close_connection:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                try:
                    if answer.drip_seconds_per_byte:
                        for index in range(len(answer.body)):
                            self.wfile.write(answer.body[index : index + 1])
                            self.wfile.flush()
                            time.sleep(answer.drip_seconds_per_byte)
                    else:
                        self.wfile.write(answer.body)
                except OSError:
                    self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:
                return

        return Handler
