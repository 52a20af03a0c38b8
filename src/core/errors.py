"""The proxy's error vocabulary: one exception type carrying the contract's error table."""

from __future__ import annotations

from dataclasses import dataclass

INVALID_REQUEST = "invalid_request"
INVALID_GRANT = "invalid_grant"
UPSTREAM_UNAVAILABLE = "upstream_unavailable"
UPSTREAM_TIMEOUT = "upstream_timeout"
# Not an error code clients see (they get upstream_unavailable): the outcome operators see in the log
# line and metrics when Kick's bot protection refuses the proxy's address, which needs their action.
UPSTREAM_BLOCKED = "upstream_blocked"
SERVER_ERROR = "server_error"
INVALID_CLIENT = "invalid_client"
UNSUPPORTED_GRANT_TYPE = "unsupported_grant_type"
UNSUPPORTED_TOKEN_TYPE = "unsupported_token_type"  # noqa: S105 (RFC 7009's error code, not a token)

DEFAULT_RETRY_AFTER_SECONDS = 5
MAX_RETRY_AFTER_SECONDS = 3600


@dataclass(frozen=True)
class ProxyError(Exception):
    """An answer the proxy gives instead of tokens.

    `description` is shown to clients and logged, so it must never contain a value taken
    from a request or from Kick's answer.
    """

    status: int
    error: str
    description: str
    retry_after: int | None = None
    # What the log line and metrics call it, when that is finer than `error` (UPSTREAM_BLOCKED).
    outcome: str | None = None
    # RFC 6749 section 5.2: the WWW-Authenticate challenge of a 401 to a client that authenticated with it.
    challenge: str | None = None

    def __str__(self) -> str:
        return f"{self.status} {self.error}: {self.description}"


def bad_request(description: str, status: int = 400) -> ProxyError:
    return ProxyError(status, INVALID_REQUEST, description)


def invalid_client(description: str, challenge: str | None = None) -> ProxyError:
    return ProxyError(401, INVALID_CLIENT, description, challenge=challenge)


def upstream_unavailable(description: str, retry_after: int = DEFAULT_RETRY_AFTER_SECONDS) -> ProxyError:
    return ProxyError(502, UPSTREAM_UNAVAILABLE, description, retry_after)


def upstream_blocked(retry_after: int = DEFAULT_RETRY_AFTER_SECONDS) -> ProxyError:
    return ProxyError(
        502,
        UPSTREAM_UNAVAILABLE,
        "Kick refused the proxy's connection; retry later",
        retry_after,
        outcome=UPSTREAM_BLOCKED,
    )


def upstream_timeout() -> ProxyError:
    return ProxyError(
        504,
        UPSTREAM_TIMEOUT,
        "Kick did not answer within the proxy's deadline; retry later",
        DEFAULT_RETRY_AFTER_SECONDS,
    )


def server_error(description: str = "the proxy could not complete the request; retry later") -> ProxyError:
    return ProxyError(500, SERVER_ERROR, description)
