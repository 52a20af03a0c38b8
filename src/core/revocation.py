"""RFC 7009 token revocation: the client's request, Kick's revocation request, and what Kick's answer comes to.

Kick documents revocation as `POST /oauth/revoke?token=...&token_hint_type=...` with no client
credentials, so the token travels in the query string and the proxy's secret never goes there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit, urlunsplit

from core.errors import (
    UNSUPPORTED_TOKEN_TYPE,
    ProxyError,
    bad_request,
    server_error,
    upstream_unavailable,
)
from core.grants import required_string
from core.http_headers import header
from core.kick_answer import KickResult, json_object, refuse_blocked, refuse_unavailable
from core.request_body import Duplicate, Fields

TOKEN_TYPE_HINTS = ("access_token", "refresh_token")
REVOKED = "revoked"
# RFC 7009 section 2.2: a token the server does not know is answered like a revoked one.
TOKEN_UNKNOWN = "token_unknown"  # noqa: S105 (an outcome's name)
# RFC 7009 section 2.2: the client ignores the body; the contract's Content-Type is JSON.
REVOKED_BODY = "{}"


@dataclass(frozen=True)
class Revocation:
    token: str = field(repr=False)
    token_type_hint: str | None = None


def parse_revocation(fields: Fields) -> Revocation:
    token = required_string(fields, "token")
    hint = fields.get("token_type_hint")
    if hint is None or hint == "":
        return Revocation(token)
    if isinstance(hint, Duplicate):
        raise bad_request("token_type_hint must be sent only once")
    if hint not in TOKEN_TYPE_HINTS:
        raise ProxyError(
            400, UNSUPPORTED_TOKEN_TYPE, f"token_type_hint must be {' or '.join(TOKEN_TYPE_HINTS)} when sent"
        )
    assert isinstance(hint, str)  # narrowed by the membership test above
    return Revocation(token, hint)


def upstream_revocation_url(revoke_url: str, revocation: Revocation) -> str:
    """Kick's revocation request: the token and Kick's own name for the hint, `token_hint_type`, in the query."""
    parameters = [("token", revocation.token)]
    if revocation.token_type_hint is not None:
        parameters.append(("token_hint_type", revocation.token_type_hint))
    parts = urlsplit(revoke_url)
    query = "&".join(part for part in (parts.query, urlencode(parameters)) if part)
    return urlunsplit(parts._replace(query=query))


def classify_revocation(
    status: int, headers: Mapping[str, str], body: bytes, now: float, latency_ms: float
) -> KickResult:
    """What Kick's answer to a revocation comes to, as a value."""
    latency = round(latency_ms, 1)
    try:
        outcome = revocation_outcome(status, headers, body, now)
    except ProxyError as refusal:
        return KickResult(body=None, error=refusal, upstream_status=status, upstream_latency_ms=latency)
    return KickResult(REVOKED_BODY, None, upstream_status=status, upstream_latency_ms=latency, outcome=outcome)


def revocation_outcome(status: int, headers: Mapping[str, str], body: bytes, now: float) -> str:
    """REVOKED or TOKEN_UNKNOWN, or raise the ProxyError the contract maps the answer to."""
    refuse_unavailable(status, headers, now, "revocation")
    document = json_object(body)
    refuse_blocked(status, headers, document, now)
    if _is_html(headers, body):
        raise upstream_unavailable("Kick answered with a web page instead of a revocation; retry later")
    if 200 <= status < 300:
        return REVOKED
    if status in (400, 401) and document is not None:
        error = document.get("error")
        if error == "invalid_client":
            raise server_error("Kick refused the proxy's revocation request; operators have been alerted")
        if error == UNSUPPORTED_TOKEN_TYPE:
            raise ProxyError(400, UNSUPPORTED_TOKEN_TYPE, "Kick does not revoke this type of token")
        # Kick's {"error": "Invalid request"} for a token it does not hold: not an error (RFC 7009 section 2.2).
        return TOKEN_UNKNOWN
    raise upstream_unavailable("Kick answered the revocation with an unexpected error; retry later")


def _is_html(headers: Mapping[str, str], body: bytes) -> bool:
    media_type = (header(headers, "content-type") or "").split(";", 1)[0].strip().lower()
    return media_type in ("text/html", "application/xhtml+xml") or body.lstrip()[:1] == b"<"
