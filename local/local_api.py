"""The proxy's own Lambda handlers behind a local HTTP server, called in-process the way API Gateway calls them.

Which path and method reach which handler, and what API Gateway answers itself (no such route, a
body over its limit, a failed function), come from template.yaml (local/template.py).
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from local.api_gateway import HttpAnswer, http_answer, lambda_context, rest_event
from local.http_base import KeepAliveHandler, LoopbackServer, RequestTooLarge
from local.template import (
    FUNCTION_FAILED,
    MISSING_AUTHENTICATION_TOKEN,
    REQUEST_TOO_LARGE,
    Refusal,
    Route,
    api_routes,
    gateway_response,
    load_template,
)

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]

# Lambda runs the function with CodeUri (src/) as its import root.
CODE_URI = Path(__file__).resolve().parent.parent / "src"


class LocalApiServer(LoopbackServer):
    def __init__(
        self, address: tuple[str, int], quiet: bool = False, template: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(address, LocalApiHandler, quiet=quiet)
        self.template = template if template is not None else load_template()
        self.routes: dict[str, Route] = api_routes(self.template)
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
        for route in self.routes.values():
            self._handlers[route.module] = importlib.import_module(route.module).lambda_handler

    def refusal(self, refusal: Refusal, message: str | None = None) -> HttpAnswer:
        if message is not None:
            refusal = Refusal(refusal.response_type, refusal.status, message)
        return gateway_response(self.template, refusal)

    def invoke(self, path: str, event: dict[str, Any]) -> HttpAnswer:
        route = self.routes[path]
        if route.module not in self._handlers:
            self.load_handlers()
        with self.invoke_lock:
            try:
                result = self._handlers[route.module](event, lambda_context(route.function_name))
                return http_answer(result)
            except Exception:  # the function raised or returned no proxy result
                return self.refusal(FUNCTION_FAILED)


def start_local_api(port: int = 0, quiet: bool = False) -> LocalApiServer:
    server = LocalApiServer(("127.0.0.1", port), quiet=quiet)
    server.load_handlers()
    server.start("local-api")
    return server


class LocalApiHandler(KeepAliveHandler):
    server: LocalApiServer

    def _proxy(self) -> None:
        path = urlsplit(self.path).path
        route = self.server.routes.get(path)
        try:
            body = self.read_body()
        except RequestTooLarge as exc:
            answer = self.server.refusal(REQUEST_TOO_LARGE, str(exc))
        else:
            if route is None or not route.accepts(self.command):
                answer = self.server.refusal(MISSING_AUTHENTICATION_TOKEN)
            else:
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
        self.send_answer(answer.status, answer.headers, answer.body)

    def __getattr__(self, name: str) -> Any:
        # http.server looks up do_<METHOD>: every method (QUERY, TRACE, ...) is routed as API Gateway would.
        if name.startswith("do_"):
            return self._proxy
        raise AttributeError(name)
