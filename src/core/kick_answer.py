"""Classify what Kick's token endpoint answered: tokens to pass on, or the contract's error."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from core.errors import (
    DEFAULT_RETRY_AFTER_SECONDS,
    INVALID_GRANT,
    MAX_RETRY_AFTER_SECONDS,
    SERVER_ERROR,
    ProxyError,
    upstream_blocked,
    upstream_unavailable,
)
from core.http_headers import header

MAX_UPSTREAM_BODY_BYTES = 64 * 1024

# RFC 6749 section 5.2, less invalid_client: that one is the proxy's own fault, not the user's.
CLIENT_ERROR_CODES = frozenset(
    {"invalid_request", "invalid_grant", "unauthorized_client", "unsupported_grant_type", "invalid_scope"}
)


@dataclass(frozen=True)
class ClientRefused(ProxyError):
    """Kick refused the proxy's client credentials (401 or `invalid_client`): server_error, unless a
    rotated secret gets a better answer (Kick authenticates the client before it looks at the grant)."""


def client_refused() -> ClientRefused:
    return ClientRefused(500, SERVER_ERROR, "Kick refused the proxy's client credentials; operators have been alerted")


@dataclass(frozen=True)
class KickResult:
    """What a request came to upstream: Kick's token body or the contract's error, and how Kick answered.

    `upstream_status` is 0 when Kick was not called or gave no answer (timeout, unreachable, or the
    answer came from the replay window).
    """

    body: str | None
    error: ProxyError | None
    upstream_status: int = 0
    upstream_latency_ms: float | None = None
    # What the summary line and metrics call an answer that is not an error.
    outcome: str = "success"

    @classmethod
    def failed(cls, error: ProxyError) -> KickResult:
        return cls(body=None, error=error)


def classify(status: int, headers: Mapping[str, str], body: bytes, now: float, latency_ms: float) -> KickResult:
    """token_body's verdict as a value, with the answer's status and latency."""
    try:
        tokens, error = token_body(status, headers, body, now), None
    except ProxyError as refusal:
        tokens, error = None, refusal
    return KickResult(body=tokens, error=error, upstream_status=status, upstream_latency_ms=round(latency_ms, 1))


def token_body(status: int, headers: Mapping[str, str], body: bytes, now: float) -> str:
    """Kick's token JSON exactly as sent, or raise the ProxyError the contract maps the answer to.

    Each shape Kick is known to answer (its issue tracker, KickEngineering/KickDevDocs) is decided on
    purpose here; README's error table lists them.
    """
    refuse_unavailable(status, headers, now, "token")

    if status == 401:
        raise client_refused()

    document = json_object(body)
    refuse_blocked(status, headers, document, now)
    if status == 400 and not body.strip():
        # #156: Kick answered valid requests with an empty 400 for days: not a verdict on the grant.
        raise upstream_unavailable("Kick answered 400 with an empty body; retry later")
    if document is None:
        raise upstream_unavailable("Kick answered with something other than JSON; retry later")

    if 200 <= status < 300:
        access_token = document.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise upstream_unavailable("Kick's answer carried no access token; retry later")
        return body.decode("utf-8")

    error = document.get("error")
    if error == "invalid_client":
        raise client_refused()
    if isinstance(error, str) and error in CLIENT_ERROR_CODES:
        raise grant_error(error)
    if status == 400:
        # Kick's non-standard {"error": "Invalid request"}: it refused the code, verifier or token.
        raise grant_error(INVALID_GRANT)
    raise upstream_unavailable("Kick answered with an unexpected error; retry later")


def refuse_unavailable(status: int, headers: Mapping[str, str], now: float, endpoint: str) -> None:
    """Kick redirecting, rate limiting, failing or gone: 502 upstream_unavailable, passing on its Retry-After."""
    if 300 <= status < 400:
        raise upstream_unavailable("Kick answered with a redirect, which the proxy never follows")
    if status == 429:
        raise upstream_unavailable("Kick is rate limiting the proxy; retry later", retry_after(headers, now))
    if status >= 500:
        raise upstream_unavailable(f"Kick's {endpoint} endpoint is failing; retry later", retry_after(headers, now))
    if status == 404:
        # #421: every OAuth path answered 404 for days during an outage, whatever the request.
        raise upstream_unavailable(f"Kick's {endpoint} endpoint answered 404; retry later", retry_after(headers, now))


def refuse_blocked(status: int, headers: Mapping[str, str], document: Mapping[str, object] | None, now: float) -> None:
    """A 403 that is not an RFC 6749 error: Kick's bot protection refused the proxy's address (502, upstream_blocked).

    #148: Cloudflare answers datacenter addresses, Lambda's among them, with a block or challenge page.
    """
    if status == 403 and (document is None or not names_an_rfc_error(document)):
        raise upstream_blocked(retry_after(headers, now))


def names_an_rfc_error(document: Mapping[str, object]) -> bool:
    error = document.get("error")
    return error == "invalid_client" or (isinstance(error, str) and error in CLIENT_ERROR_CODES)


GRANT_ERROR_DESCRIPTIONS = {
    INVALID_GRANT: "Kick refused the authorization code, code verifier or refresh token; sign in again",
    "invalid_request": "Kick refused the request as malformed",
    "invalid_scope": "Kick refused the requested scope",
    "unauthorized_client": "Kick does not allow this client to use this grant",
    "unsupported_grant_type": "Kick does not support this grant",
}


def grant_error(error: str) -> ProxyError:
    return ProxyError(400, error, GRANT_ERROR_DESCRIPTIONS[error])


def json_object(body: bytes) -> dict[str, object] | None:
    try:
        document = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):
        return None
    return document if isinstance(document, dict) else None


def retry_after(headers: Mapping[str, str], now: float) -> int:
    """Kick's Retry-After (seconds or HTTP-date) bounded to [1, 3600]; a default when absent or unreadable."""
    value = (header(headers, "retry-after") or "").strip()
    if value.isascii() and value.isdigit():
        seconds = int(value) if len(value) <= 9 else MAX_RETRY_AFTER_SECONDS
    else:
        try:
            seconds = int(parsedate_to_datetime(value).timestamp() - now)
        except (TypeError, ValueError, IndexError, OverflowError):
            return DEFAULT_RETRY_AFTER_SECONDS
    return max(1, min(seconds, MAX_RETRY_AFTER_SECONDS))
