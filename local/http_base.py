"""What the local HTTP servers share: a keep-alive request handler and a loopback threading server."""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# API Gateway refuses payloads over 10 MB; nothing local needs more.
MAX_REQUEST_BYTES = 10 * 1024 * 1024
QUERY_VALUE = re.compile(r"([?&][^=&\s]+)=[^&\s]*")


class RequestTooLarge(Exception):
    pass


class LoopbackServer(ThreadingHTTPServer):
    """A threading server whose slow answers (latency, drip) end promptly when it stops."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], quiet: bool = False) -> None:
        super().__init__(address, handler)
        self.stopping = threading.Event()
        self.quiet = quiet

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def start(self, name: str) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()


class KeepAliveHandler(BaseHTTPRequestHandler):
    # Without TCP_NODELAY, delayed ACK adds ~40 ms to every keep-alive response.
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"
    server: LoopbackServer

    def read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding"):
            # http.server cannot read chunked bodies; the unread bytes would corrupt the next request.
            self.close_connection = True
            raise RequestTooLarge("chunked bodies are not supported; send Content-Length")
        length_header = self.headers.get("Content-Length") or "0"
        try:
            length = int(length_header)
        except ValueError:
            self.close_connection = True
            raise RequestTooLarge("Content-Length is not a number") from None
        if length < 0 or length > MAX_REQUEST_BYTES:
            self.close_connection = True
            raise RequestTooLarge("Request Too Long")  # API Gateway's words
        return self.rfile.read(length) if length else b""

    def send_answer(self, status: int, headers: Iterable[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        if not self.server.quiet:
            # Request lines can carry tokens in their query (revoke takes `token=` there): mask values.
            line = QUERY_VALUE.sub(r"\1=…", format % args)
            sys.stderr.write(f"[{type(self).__name__}] {line}\n")
