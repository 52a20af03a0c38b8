"""The authorize URL and the loopback listener that receives Kick's redirect."""

from __future__ import annotations

import errno
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from desktop_client.failures import Failure

PAGE = b"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Signed in</title></head>
<body><p>%s You can close this tab.</p></body></html>"""


def authorize_url(base: str, client_id: str, redirect_uri: str, scope: str, challenge: str, state: str) -> str:
    """Kick's authorize URL, parameters in the documented order.

    Kick's NextJS front end rewrites the first `127.0.0.1` in the URL to `localhost`, which breaks a
    127.0.0.1 redirect URI; Kick's documented workaround is a decoy parameter placed before it.
    """
    params = [("response_type", "code"), ("client_id", client_id)]
    if urlsplit(redirect_uri).hostname == "127.0.0.1":
        params.append(("redirect", "127.0.0.1"))
    params += [
        ("redirect_uri", redirect_uri),
        ("scope", scope),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
        ("state", state),
    ]
    return f"{base}?{urlencode(params)}"


@dataclass(frozen=True)
class Callback:
    code: str | None
    state: str | None
    error: str | None


class CallbackListener:
    """Listens on the redirect URI's loopback port until Kick's redirect arrives."""

    def __init__(self, redirect_uri: str) -> None:
        self.path, port = loopback_address(redirect_uri)
        self._received = threading.Event()
        self.callback: Callback | None = None
        try:
            self._server = HTTPServer(("127.0.0.1", port), _handler_for(self))
        except OSError as failed:
            raise Failure(_listen_failure(redirect_uri, port, failed)) from None
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> CallbackListener:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def receive(self, callback: Callback) -> None:
        self.callback = callback
        self._received.set()

    def wait(self, timeout: float) -> Callback | None:
        self._received.wait(timeout)
        return self.callback


def loopback_address(redirect_uri: str) -> tuple[str, int]:
    """The path and port to listen on for a loopback redirect URI (RFC 8252 section 7.3)."""
    parts = urlsplit(redirect_uri)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost") or not port:
        raise Failure(
            f"the redirect URI {redirect_uri!r} is not http://127.0.0.1:PORT/PATH (PORT 1-65535): the client"
            " receives Kick's redirect on a loopback port; set --redirect-uri or KICK_REDIRECT_URI to one,"
            " allowlisted in the proxy's ALLOWED_REDIRECT_URIS"
        )
    return parts.path or "/", port


def _listen_failure(redirect_uri: str, port: int, failed: OSError) -> str:
    if failed.errno == errno.EADDRINUSE:
        cause = f"port {port} of the redirect URI {redirect_uri} is in use by another program"
    elif failed.errno == errno.EACCES:
        cause = f"this user may not listen on port {port} of the redirect URI {redirect_uri}"
    else:
        cause = f"cannot listen on port {port} of the redirect URI {redirect_uri} ({failed.strerror})"
    return (
        f"{cause}: stop that program, or choose another port with --redirect-uri http://127.0.0.1:PORT/callback"
        " (allowlisted in the proxy's ALLOWED_REDIRECT_URIS; make dev allowlists 53682)"
    )


def _handler_for(listener: CallbackListener) -> type[BaseHTTPRequestHandler]:
    class CallbackHandler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path != listener.path:
                self._page(404, b"Not the sign-in callback.")
                return
            query = parse_qs(url.query)
            listener.receive(
                Callback(
                    code=_first(query, "code"),
                    state=_first(query, "state"),
                    error=_first(query, "error"),
                )
            )
            self._page(200, b"Sign-in received; return to the app.")

        def _page(self, status: int, message: bytes) -> None:
            body = PAGE % message
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # the query carries the authorization code

    return CallbackHandler


def _first(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None
