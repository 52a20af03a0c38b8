"""Loopback sockets for the failure modes a real HTTP server cannot easily play.

- `closed_port()`: a port on 127.0.0.1 nobody listens on (connection refused).
- `SilentServer`: accepts TCP connections and never answers (a hanging Secrets Manager or Kick).
- `DripServer`: reads a request, then answers one byte at a time, each read well inside any
  per-read timeout, so only a total deadline can stop the client.
- `CannedServer`: answers every request on every connection with the same bytes (kept alive), for
  an AWS endpoint that answers promptly but wrongly (5xx, throttling, garbage).
- `TcpForwarder`: relays a port to another loopback endpoint, so a "dead" endpoint can come back
  on the same port without the client being rebuilt.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType
from typing import Self


def closed_port() -> int:
    """A free loopback port: bound once to learn it, then closed, so connecting to it is refused."""
    [port] = closed_ports(1)
    return port


def closed_ports(count: int) -> list[int]:
    """`count` different free loopback ports: bound together, so the kernel cannot hand one out twice as it
    may for two closed_port() calls in a row."""
    probes = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [int(probe.getsockname()[1]) for probe in probes]
    finally:
        for probe in probes:
            probe.close()


class _Listener:
    def __init__(self, port: int = 0) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", port))
        self._listener.listen(16)
        self._stopped = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept_forever, daemon=True)
        self.accepted = 0

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self._thread.join(timeout=2)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _accept_forever(self) -> None:
        while not self._stopped.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.accepted += 1
            self._track(connection)
            self.serve(connection)

    def serve(self, connection: socket.socket) -> None:
        raise NotImplementedError


class SilentServer(_Listener):
    """Accepts every connection, reads nothing, answers nothing, until stopped."""

    def serve(self, connection: socket.socket) -> None:
        return


class DripServer(_Listener):
    """Reads each request's head (unless told not to wait for one), then drips `answer` one byte
    every `seconds_per_byte`."""

    def __init__(self, answer: bytes, seconds_per_byte: float, after_request_head: bool = True) -> None:
        super().__init__()
        self._answer = answer
        self._seconds_per_byte = seconds_per_byte
        self._after_request_head = after_request_head

    def serve(self, connection: socket.socket) -> None:
        threading.Thread(target=self._drip, args=(connection,), daemon=True).start()

    def _drip(self, connection: socket.socket) -> None:
        with contextlib.suppress(OSError):
            received = b"" if self._after_request_head else b"\r\n\r\n"
            while b"\r\n\r\n" not in received:
                chunk = connection.recv(65536)
                if not chunk:
                    return
                received += chunk
            for index in range(len(self._answer)):
                if self._stopped.wait(self._seconds_per_byte):
                    return
                connection.sendall(self._answer[index : index + 1])


class CannedServer(_Listener):
    """Answers every request, on kept-alive connections too, with `answer` (a complete HTTP response)."""

    def __init__(self, answer: bytes) -> None:
        super().__init__()
        self._answer = answer

    def serve(self, connection: socket.socket) -> None:
        threading.Thread(target=self._answer_each_request, args=(connection,), daemon=True).start()

    def _answer_each_request(self, connection: socket.socket) -> None:
        pending = b""
        with contextlib.suppress(OSError):
            while True:
                while b"\r\n\r\n" not in pending:
                    chunk = connection.recv(65536)
                    if not chunk:
                        return
                    pending += chunk
                head, _, pending = pending.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                while len(pending) < length:
                    chunk = connection.recv(65536)
                    if not chunk:
                        return
                    pending += chunk
                pending = pending[length:]
                connection.sendall(self._answer)


def http_response(status: int, body: bytes, content_type: str = "application/json") -> bytes:
    """A complete HTTP/1.1 response, byte for byte."""
    head = f"HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


class TcpForwarder(_Listener):
    """Relays every connection on `port` to `target_port` on 127.0.0.1, byte for byte."""

    def __init__(self, target_port: int, port: int = 0) -> None:
        super().__init__(port)
        self._target_port = target_port

    def serve(self, connection: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self._target_port), timeout=5)
        except OSError:
            connection.close()
            return
        upstream.settimeout(None)
        self._track(upstream)
        for source, sink in ((connection, upstream), (upstream, connection)):
            threading.Thread(target=_pump, args=(source, sink), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)
