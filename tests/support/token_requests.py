"""Client requests for the two endpoints, as a desktop app would send them through API Gateway."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from tests.support.events import json_event
from tests.support.proxy import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, VERIFIER

EXCHANGE = "/v1/kick/exchange"
REFRESH = "/v1/kick/refresh"

T = TypeVar("T")


def exchange_fields(code: Any = "auth-code-1", **overrides: Any) -> dict[str, Any]:
    return {"code": code, "code_verifier": VERIFIER, "redirect_uri": REDIRECT_URI, **overrides}


def exchange_event(
    code: str = "auth-code-1", headers: dict[str, str] | None = None, **overrides: Any
) -> dict[str, Any]:
    return json_event(EXCHANGE, exchange_fields(code, **overrides), headers)


def refresh_event(
    refresh_token: str = "refresh-token-1", headers: dict[str, str] | None = None, **overrides: Any
) -> dict[str, Any]:
    return json_event(REFRESH, {"refresh_token": refresh_token, **overrides}, headers)


def expected_exchange_form(
    code: str, verifier: str = VERIFIER, client_secret: str = CLIENT_SECRET
) -> list[tuple[str, str]]:
    """Exactly what Kick documents for the authorization_code grant, plus the proxy's own fields."""
    return sorted(
        [
            ("grant_type", "authorization_code"),
            ("client_id", CLIENT_ID),
            ("client_secret", client_secret),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", verifier),
        ]
    )


def expected_refresh_form(refresh_token: str, client_secret: str = CLIENT_SECRET) -> list[tuple[str, str]]:
    return sorted(
        [
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT_ID),
            ("client_secret", client_secret),
            ("refresh_token", refresh_token),
        ]
    )


def timed(call: Callable[[], T]) -> tuple[T, float]:
    """The call's result and how long it took, by the monotonic clock."""
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started
