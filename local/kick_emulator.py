"""The Kick emulator over HTTP: id.kick.com's four OAuth endpoints, plus an admin endpoint for faults."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from local.faults import Faults, FaultSwitch, InvalidFaults, faults_from
from local.http_base import KeepAliveHandler, LoopbackServer, RequestTooLarge
from local.kick_oauth import INVALID_CLIENT, INVALID_REQUEST, KickOAuthServer, KickRefusal

FAULTS_PATH = "/_emulator/faults"
FORM = "application/x-www-form-urlencoded"
JSON_HEADERS = [("Content-Type", "application/json"), ("Cache-Control", "no-store"), ("Pragma", "no-cache")]
CLOUDFLARE_PAGE = b"""<!DOCTYPE html>
<html lang="en"><head><title>Attention Required! | Cloudflare</title></head>
<body><h1>Sorry, you have been blocked</h1><p>Cloudflare Ray ID: 0000000000000000 (Kick emulator)</p></body></html>
"""
CHALLENGE_PAGE = b"""<!DOCTYPE html>
<html lang="en-US"><head><title>Just a moment...</title></head>
<body><noscript>Enable JavaScript and cookies to continue</noscript></body></html>
"""
HTML = ("Content-Type", "text/html; charset=UTF-8")
CLOUDFLARE = [HTML, ("Server", "cloudflare"), ("CF-RAY", "0000000000000000-EMU")]
# The `answer` fault: the shapes Kick's issue tracker (KickEngineering/KickDevDocs) shows, as Kick sends them.
KICK_ANSWERS: dict[str, tuple[int, list[tuple[str, str]], bytes]] = {
    "invalid_grant": (
        400,
        JSON_HEADERS,
        json.dumps(
            {
                "error": "invalid_grant",
                "error_description": "The provided authorization grant is invalid, expired, revoked, does not "
                "match the redirection URI used in the authorization request, or was issued to another client.",
            }
        ).encode(),
    ),
    "invalid_client": (401, JSON_HEADERS, json.dumps(INVALID_CLIENT).encode()),  # #280
    "empty_400": (400, [], b""),  # #156
    "blocked_403": (403, CLOUDFLARE, CLOUDFLARE_PAGE),  # #148
    "challenge_403": (403, [*CLOUDFLARE, ("cf-mitigated", "challenge")], CHALLENGE_PAGE),  # #148
    "outage_404": (404, [HTML], b"<html><body>This id.kick.com page can't be found</body></html>"),  # #421
    "no_access_token": (200, JSON_HEADERS, json.dumps({"token_type": "Bearer", "expires_in": 14400}).encode()),
}


class EmulatorServer(LoopbackServer):
    def __init__(
        self,
        address: tuple[str, int],
        oauth: KickOAuthServer,
        faults: Faults | None = None,
        nextjs_bug: bool = True,
        quiet: bool = False,
    ) -> None:
        super().__init__(address, KickEmulatorHandler, quiet=quiet)
        self.oauth = oauth
        self.faults = FaultSwitch(faults)
        self.nextjs_bug = nextjs_bug

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def start_emulator(
    oauth: KickOAuthServer,
    port: int = 0,
    faults: Faults | None = None,
    nextjs_bug: bool = True,
    quiet: bool = False,
) -> EmulatorServer:
    server = EmulatorServer(("127.0.0.1", port), oauth, faults, nextjs_bug, quiet)
    server.start("kick-emulator")
    return server


def nextjs_rewrite(query: str) -> str:
    """Kick's NextJS front end rewrites the first `127.0.0.1` in the URL to `localhost` (vercel/next.js#79182)."""
    return query.replace("127.0.0.1", "localhost", 1)


class KickEmulatorHandler(KeepAliveHandler):
    server: EmulatorServer

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/oauth/authorize":
            query = nextjs_rewrite(url.query) if self.server.nextjs_bug else url.query
            try:
                location = self.server.oauth.authorize(parse_qs(query, keep_blank_values=True))
            except KickRefusal as refusal:
                self._json(refusal.status, refusal.body)
                return
            self.send_answer(302, [("Location", location), ("Cache-Control", "no-store")], b"")
        elif url.path == FAULTS_PATH:
            self._json(200, self.server.faults.current().as_json())
        else:
            self._not_found()

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        try:
            body = self.read_body()
        except RequestTooLarge:
            self._json(400, INVALID_REQUEST)
            return
        if url.path == "/oauth/token":
            self._token(body)
        elif url.path == "/oauth/revoke":
            self._with_faults(lambda: self._revoke_answer(url.query))
        elif url.path == "/oauth/token/introspect":
            self._answer_refusals(lambda: self._json(200, self.server.oauth.introspect(self.headers["Authorization"])))
        elif url.path == FAULTS_PATH:
            self._set_faults(body)
        else:
            self._not_found()

    def do_DELETE(self) -> None:
        if urlsplit(self.path).path == FAULTS_PATH:
            self.server.faults.set(Faults())
            self._json(200, Faults().as_json())
        else:
            self._not_found()

    def _revoke_answer(self, query: str) -> tuple[int, list[tuple[str, str]], bytes]:
        """Kick's documented revocation: the token (and hint) in the query string, `OK` on success."""
        try:
            self.server.oauth.revoke(parse_qs(query, keep_blank_values=True))
        except KickRefusal as refusal:
            return refusal.status, JSON_HEADERS, json.dumps(refusal.body).encode()
        return 200, [("Content-Type", "text/plain; charset=utf-8")], b"OK"

    def _token(self, body: bytes) -> None:
        def answer() -> tuple[int, list[tuple[str, str]], bytes]:
            status, payload = self._token_answer(body)
            return status, JSON_HEADERS, json.dumps(payload).encode()

        self._with_faults(answer)

    def _with_faults(self, answer: Callable[[], tuple[int, list[tuple[str, str]], bytes]]) -> None:
        faults = self.server.faults.take()
        if faults.latency_ms and self.server.stopping.wait(faults.latency_ms / 1000):
            return
        if faults.answer:
            status, headers, canned = KICK_ANSWERS[faults.answer]
            retry = [("Retry-After", faults.retry_after)] if faults.retry_after else []
            self._send(status, [*headers, *retry], canned, faults.drip_ms)
            return
        if faults.status or faults.html:
            self._fault_answer(faults)
            return
        status, headers, body = answer()
        self._send(status, headers, body, faults.drip_ms)

    def _token_answer(self, body: bytes) -> tuple[int, dict[str, Any]]:
        media_type = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        try:
            if media_type != FORM:
                raise KickRefusal()
            try:
                form = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
            except (UnicodeDecodeError, ValueError):
                raise KickRefusal() from None
            return 200, self.server.oauth.token(form)
        except KickRefusal as refusal:
            return refusal.status, refusal.body

    def _fault_answer(self, faults: Faults) -> None:
        headers = [("Retry-After", faults.retry_after)] if faults.retry_after else []
        if faults.html:
            headers.append(("Content-Type", "text/html; charset=UTF-8"))
            self._send(faults.status or 403, headers, CLOUDFLARE_PAGE, faults.drip_ms)
        else:
            body = json.dumps({"error": "Internal server error"}).encode()
            self._send(faults.status or 500, [*headers, ("Content-Type", "application/json")], body, faults.drip_ms)

    def _set_faults(self, body: bytes) -> None:
        try:
            values = json.loads(body or b"{}")
            if not isinstance(values, dict):
                raise InvalidFaults("send a JSON object")
            faults = faults_from(values)
        except ValueError as exc:
            self._json(400, {"error": str(exc)})
            return
        self.server.faults.set(faults)
        self._json(200, faults.as_json())

    def _answer_refusals(self, answer: Callable[[], None]) -> None:
        try:
            answer()
        except KickRefusal as refusal:
            self._json(refusal.status, refusal.body)

    def _not_found(self) -> None:
        self._json(404, {"error": "Not found"})

    def _json(self, status: int, payload: Mapping[str, Any]) -> None:
        self.send_answer(status, JSON_HEADERS, json.dumps(payload).encode())

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes, drip_ms: int) -> None:
        if not drip_ms:
            self.send_answer(status, headers, body)
            return
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            for index in range(len(body)):
                self.wfile.write(body[index : index + 1])
                self.wfile.flush()
                if self.server.stopping.wait(drip_ms / 1000):
                    break
        except OSError:  # the client gave up mid-drip, as the proxy does at its deadline
            pass
        self.close_connection = True
