"""Public-client authentication as OAuth libraries send it to a token or revocation endpoint.

RFC 6749 section 2.3.1: the client id in the body, or HTTP Basic with the form-encoded client id and
password; a public client may also send nothing (section 3.2.1). The proxy holds Kick's only client
secret, so a password or `client_secret` an app presents is read as nothing and never forwarded; what
a presented client id is checked against is the deployment's Kick client id, so an app pointed at the
wrong deployment learns it at once.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from urllib.parse import unquote_plus

from core.errors import ProxyError, invalid_client
from core.grants import required_string
from core.request_body import Fields

BASIC_CHALLENGE = 'Basic realm="kick-oauth-proxy", charset="UTF-8"'
WRONG_CLIENT = "the client id is not this deployment's Kick client id"


@dataclass(frozen=True)
class PresentedClient:
    """The client id an app presented (None: none), and whether it came by HTTP Basic."""

    client_id: str | None
    by_basic: bool = False


NO_CLIENT = PresentedClient(None)


def presented_client(fields: Fields, authorization: str | None) -> PresentedClient:
    basic_id = _basic_client_id(authorization)
    body_id = required_string(fields, "client_id") if fields.get("client_id") not in (None, "") else None
    if basic_id is not None and body_id is not None and basic_id != body_id:
        raise invalid_client("the Authorization header and the body name different client ids", BASIC_CHALLENGE)
    if basic_id is not None:
        return PresentedClient(basic_id, by_basic=True)
    return PresentedClient(body_id)


def check_client(presented: PresentedClient, deployment_client_id: str) -> None:
    """401 invalid_client (RFC 6749 section 5.2) for a client id other than the deployment's."""
    if presented.client_id is not None and presented.client_id != deployment_client_id:
        raise invalid_client(WRONG_CLIENT, BASIC_CHALLENGE if presented.by_basic else None)


def _basic_client_id(authorization: str | None) -> str | None:
    """The user-id of HTTP Basic credentials (RFC 7617); None for no header or another scheme."""
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        user_id, colon, _password = decoded.partition(":")
        client_id = unquote_plus(user_id, errors="strict")
    except (binascii.Error, ValueError):  # UnicodeDecodeError included
        raise _unreadable() from None
    if not colon:
        raise _unreadable()
    if not client_id:
        raise invalid_client("the HTTP Basic credentials name no client id", BASIC_CHALLENGE)
    return client_id


def _unreadable() -> ProxyError:
    return invalid_client("the HTTP Basic credentials are not base64 of client-id:password", BASIC_CHALLENGE)
