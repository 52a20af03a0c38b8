"""The Kick emulator's OAuth logic as a stand-in for Kick in handler tests: it counts token requests and
hands out codes the way a user's sign-in would."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

from desktop_client.pkce import code_challenge, code_verifier
from local.kick_emulator import EmulatorServer, start_emulator
from local.kick_oauth import ClientApp, KickOAuthServer, Params
from tests.support.proxy import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, Proxy


class CountingKick(KickOAuthServer):
    """The emulator's OAuth server for the test client, counting token requests (refused ones included)."""

    def __init__(self, refresh_tokens: str = "rotating") -> None:
        super().__init__(ClientApp(CLIENT_ID, CLIENT_SECRET, frozenset({REDIRECT_URI})), refresh_tokens=refresh_tokens)
        self.token_requests = 0
        self._count_lock = threading.Lock()

    def token(self, form: Params) -> dict[str, Any]:
        with self._count_lock:
            self.token_requests += 1
        return super().token(form)

    def signed_in(self) -> dict[str, str]:
        """An exchange's fields for a fresh code, as the app holds them after the user approved."""
        verifier = code_verifier()
        location = self.authorize(
            {
                "response_type": ["code"],
                "client_id": [CLIENT_ID],
                "redirect_uri": [REDIRECT_URI],
                "scope": ["user:read"],
                "state": ["s"],
                "code_challenge": [code_challenge(verifier)],
                "code_challenge_method": ["S256"],
            }
        )
        code = parse_qs(urlsplit(location).query)["code"][0]
        return {"code": code, "code_verifier": verifier, "redirect_uri": REDIRECT_URI}


@contextmanager
def kick_behind_proxy(proxy: Proxy, kick: KickOAuthServer) -> Iterator[EmulatorServer]:
    """Serve `kick` through the emulator on a free loopback port, with the proxy's token URL pointing at it."""
    server = start_emulator(kick, quiet=True)
    proxy.set_env("KICK_TOKEN_URL", f"{server.base_url}/oauth/token")
    try:
        yield server
    finally:
        server.stop()
