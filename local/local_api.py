"""The proxy's own Lambda handlers behind a local HTTP server, called in-process the way API Gateway calls them."""

from __future__ import annotations

import importlib
import json
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from local.api_gateway import HttpAnswer, http_answer, lambda_context, rest_event
from local.http_base import KeepAliveHandler, LoopbackServer, RequestTooLarge

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]

# path -> (module holding lambda_handler, function name); the template's routes.
ROUTES = {
    "/v1/kick/exchange": ("handlers.exchange", "kick-oauth-proxy-exchange"),
    "/v1/kick/refresh": ("handlers.refresh", "kick-oauth-proxy-refresh"),
    "/v1/kick/token": ("handlers.token", "kick-oauth-proxy-token"),
    "/v1/kick/revoke": ("handlers.revoke", "kick-oauth-proxy-revoke"),
}
# Lambda runs the function with CodeUri (src/) as its import root.
CODE_URI = Path(__file__).resolve().parent.parent / "src"
NO_STORE = [("Content-Type", "application/json"), ("Cache-Control", "no-store"), ("Pragma", "no-cache")]


def error_answer(status: int, error: str, description: str) -> HttpAnswer:
    body = json.dumps({"error": error, "error_description": description}).encode()
    return HttpAnswer(status, list(NO_STORE), body)


class LocalApiServer(LoopbackServer):
    def __init__(self, address: tuple[str, int], quiet: bool = False) -> None:
        super().__init__(address, LocalApiHandler, quiet=quiet)
        # Lambda hands a container one event at a time, and the handlers' module state (the Kick
        # session, Powertools' logger and metrics) is written for exactly that.
        self.invoke_lock = threading.Lock()
        self._handlers: dict[str, LambdaHandler] = {}

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def load_handlers(self) -> None:
        """Import the handlers; the proxy's environment must be in place before this runs."""
        if str(CODE_URI) not in sys.path:
            sys.path.insert(0, str(CODE_URI))
        for path, (module, _) in ROUTES.items():
            self._handlers[path] = importlib.import_module(module).lambda_handler

    def invoke(self, path: str, event: dict[str, Any]) -> HttpAnswer:
        if path not in self._handlers:
            self.load_handlers()
        with self.invoke_lock:
            try:
                result = self._handlers[path](event, lambda_context(ROUTES[path][1]))
            except Exception:  # what API Gateway answers when the function itself fails
                return HttpAnswer(502, list(NO_STORE), b'{"message": "Internal server error"}')
        return http_answer(result)


def start_local_api(port: int = 0, quiet: bool = False) -> LocalApiServer:
    server = LocalApiServer(("127.0.0.1", port), quiet=quiet)
    server.load_handlers()
    server.start("local-api")
    return server


class LocalApiHandler(KeepAliveHandler):
    server: LocalApiServer

    def _proxy(self) -> None:
        path = urlsplit(self.path).path
        try:
            body = self.read_body()
        except RequestTooLarge as exc:
            answer = error_answer(413, "invalid_request", str(exc))
        else:
            if path in ROUTES:
                event = rest_event(
                    method=self.command,
                    target=self.path,
                    resource=path,
                    headers=self.headers.items(),
                    body=body,
                    source_ip=self.client_address[0],
                    host=self.headers.get("Host") or f"127.0.0.1:{self.server.port}",
                )
                answer = self.server.invoke(path, event)
            else:
                answer = error_answer(404, "not_found", f"no such route: use POST {', '.join(ROUTES)}")
        self.send_answer(answer.status, answer.headers, answer.body)

    def __getattr__(self, name: str) -> Any:
        # http.server looks up do_<METHOD>; every method (QUERY, TRACE, ...) goes to the function.
        if name.startswith("do_"):
            return self._proxy
        raise AttributeError(name)
