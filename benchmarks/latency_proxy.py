"""A loopback TCP proxy that stands in for the network between a Lambda function and a service.

Each accepted connection costs `handshake_ms` (TCP, plus TLS for an HTTPS service) counted from the
moment it is accepted, and each request on it costs `request_ms` (the round trip and the service's
own time). A request is the client's next burst of bytes after the service has answered: the proxy
holds it until the handshake has elapsed, then for `request_ms`, and then forwards it.

Because the handshake is counted from the accept, a client that connects early (a preconnect) pays
only what is left of it when its request comes, exactly as with a real handshake that completed in the
background. The client's connect() itself returns at once on loopback: the handshake's cost shows in
the first answer's arrival instead, which is the same total wait for a handler that sends right away.
No TLS: the stand-in delays bytes, it does not encrypt them.

The proxy also counts the connections it accepted: a warm container should open one per service.

moto's server (werkzeug) closes the connection after every answer, which real AWS endpoints do not:
with `keep_alive=True` the stand-in speaks just enough HTTP/1.1 to keep the client's connection open,
opening a fresh loopback connection to the server for each request and dropping its `Connection: close`.
It relays the answer once its Content-Length has arrived: werkzeug closes about 10 ms after answering,
and waiting for that close (as this stand-in did until 2026-12-01) charged every AWS call 10 ms that
no AWS endpoint charges.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tests.support.sockets import _Listener

CHUNK = 64 * 1024


@dataclass(frozen=True)
class Latency:
    handshake_ms: float = 0.0
    request_ms: float = 0.0

    def __str__(self) -> str:
        return f"{self.handshake_ms:g} ms handshake + {self.request_ms:g} ms per request"


class LatencyProxy(_Listener):
    """Listens on 127.0.0.1 at a free port and relays every connection to `upstream` (host, port)."""

    def __init__(self, upstream: tuple[str, int], latency: Latency, keep_alive: bool = False) -> None:
        super().__init__()
        self.upstream = upstream
        self.latency = latency
        self.keep_alive = keep_alive

    @classmethod
    def for_url(cls, url: str, latency: Latency, keep_alive: bool = False) -> LatencyProxy:
        parts = urlsplit(url)
        return cls((parts.hostname or "127.0.0.1", parts.port or 80), latency, keep_alive)

    @property
    def connections(self) -> int:
        return self.accepted

    def url_for(self, url: str) -> str:
        """`url` with its host and port replaced by this proxy's."""
        parts = urlsplit(url)
        return urlunsplit((parts.scheme, f"127.0.0.1:{self.port}", parts.path, parts.query, parts.fragment))

    def start(self) -> LatencyProxy:
        super().start()
        return self

    def serve(self, connection: socket.socket) -> None:
        accepted_at = time.monotonic()
        serve = self._serve_keep_alive if self.keep_alive else self._serve
        threading.Thread(target=serve, args=(connection, accepted_at), daemon=True).start()

    def _delay(self, handshake_done: float) -> None:
        wait = max(0.0, handshake_done - time.monotonic()) + self.latency.request_ms / 1000
        if wait > 0:
            time.sleep(wait)

    def _serve_keep_alive(self, client: socket.socket, accepted_at: float) -> None:
        """One HTTP/1.1 request after another on the client's connection, each to the server on a new one."""
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        handshake_done = accepted_at + self.latency.handshake_ms / 1000
        try:
            with client.makefile("rb") as requests:
                while request := _read_message(requests):
                    self._delay(handshake_done)
                    with socket.create_connection(self.upstream) as upstream, upstream.makefile("rb") as answers:
                        upstream.sendall(request)
                        answer = _read_message(answers, to_close_without_length=True)
                    client.sendall(_kept_alive(answer))
        except OSError:
            pass
        finally:
            client.close()

    def _serve(self, client: socket.socket, accepted_at: float) -> None:
        try:
            upstream = socket.create_connection(self.upstream)
        except OSError:
            client.close()
            return
        for sock in (client, upstream):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._track(upstream)
        turn = _Turn()
        answers = threading.Thread(target=self._relay, args=(upstream, client, turn, None), daemon=True)
        answers.start()
        self._relay(client, upstream, turn, accepted_at + self.latency.handshake_ms / 1000)
        answers.join()
        client.close()
        upstream.close()

    def _relay(self, source: socket.socket, target: socket.socket, turn: _Turn, handshake_done: float | None) -> None:
        """Copy bytes until `source` closes; delay each request (handshake_done is None: the answers' side)."""
        requests_side = handshake_done is not None
        try:
            while True:
                chunk = source.recv(CHUNK)
                if not chunk:
                    break
                if requests_side and turn.take_request():
                    assert handshake_done is not None
                    self._delay(handshake_done)
                elif not requests_side:
                    turn.answered()
                target.sendall(chunk)
        except OSError:
            pass
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)


class _Turn:
    """Whose turn it is on one connection: the client's next bytes start a new request after an answer."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._expect_request = True

    def take_request(self) -> bool:
        with self._lock:
            new = self._expect_request
            self._expect_request = False
            return new

    def answered(self) -> None:
        with self._lock:
            self._expect_request = True


def _read_message(stream: Any, *, to_close_without_length: bool = False) -> bytes:
    """One HTTP/1.1 message: a request from the client, or the server's answer, read to its Content-Length
    rather than to the close, which werkzeug makes about 10 ms after answering and an AWS endpoint not at
    all. Without a Content-Length, a request has no body and an answer (to_close_without_length) ends at
    the close. b"" when the peer closed the connection first."""
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        line = stream.readline(CHUNK)
        if not line:
            return b""
        head += line
    length = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length is None:
        rest: bytes = stream.read() if to_close_without_length else b""
        return head + rest
    body: bytes = stream.read(length)
    return head + body


def _kept_alive(answer: bytes) -> bytes:
    """The server's answer without its `Connection: close`, delimited by a Content-Length (read to the close)."""
    head, separator, body = answer.partition(b"\r\n\r\n")
    lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"connection:")]
    if not any(line.lower().startswith(b"content-length:") for line in lines):
        lines.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(lines) + separator + body
