"""Validate a client's fields for one grant and build exactly the form Kick documents for it."""

from __future__ import annotations

import re
from collections.abc import Callable, Set
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlencode

from core.errors import UNSUPPORTED_GRANT_TYPE, ProxyError, bad_request
from core.request_body import Duplicate, Fields

# RFC 7636 section 4.1: code_verifier = 43*128unreserved
CODE_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    client_secret: str = field(repr=False)


class Grant(Protocol):
    @property
    def grant_type(self) -> str: ...

    def form_fields(self) -> list[tuple[str, str]]: ...


@dataclass(frozen=True)
class AuthorizationCodeGrant:
    code: str = field(repr=False)
    code_verifier: str = field(repr=False)
    redirect_uri: str
    grant_type: str = field(default="authorization_code", init=False)

    def form_fields(self) -> list[tuple[str, str]]:
        return [
            ("code", self.code),
            ("redirect_uri", self.redirect_uri),
            ("code_verifier", self.code_verifier),
        ]


@dataclass(frozen=True)
class RefreshTokenGrant:
    refresh_token: str = field(repr=False)
    grant_type: str = field(default="refresh_token", init=False)

    def form_fields(self) -> list[tuple[str, str]]:
        return [("refresh_token", self.refresh_token)]


GrantParser = Callable[[Fields, Set[str]], Grant]


def parse_authorization_code(fields: Fields, allowed_redirect_uris: Set[str]) -> AuthorizationCodeGrant:
    code = required_string(fields, "code")
    code_verifier = required_string(fields, "code_verifier")
    redirect_uri = required_string(fields, "redirect_uri")
    if not CODE_VERIFIER.fullmatch(code_verifier):
        raise bad_request("code_verifier must be 43 to 128 characters of A-Z, a-z, 0-9, '-', '.', '_', '~'")
    if redirect_uri not in allowed_redirect_uris:
        raise bad_request("redirect_uri is not one of the proxy's allowed redirect URIs")
    return AuthorizationCodeGrant(code=code, code_verifier=code_verifier, redirect_uri=redirect_uri)


def parse_refresh_token(fields: Fields, allowed_redirect_uris: Set[str]) -> RefreshTokenGrant:
    return RefreshTokenGrant(refresh_token=required_string(fields, "refresh_token"))


# The grants the proxy serves, by their RFC 6749 grant_type.
GRANT_PARSERS: dict[str, GrantParser] = {
    "authorization_code": parse_authorization_code,
    "refresh_token": parse_refresh_token,
}
TOKEN_PATH = "/v1/kick/token"  # noqa: S105 (a path)


def requested_grant_type(fields: Fields) -> str:
    """/v1/kick/token: the grant the client asks for (RFC 6749 sections 4.1.3, 6), one the proxy serves."""
    grant_type = required_string(fields, "grant_type")
    if grant_type not in GRANT_PARSERS:
        raise ProxyError(
            400,
            UNSUPPORTED_GRANT_TYPE,
            f"the proxy serves grant_type {' and '.join(GRANT_PARSERS)} only",
        )
    return grant_type


def refuse_contradicting_grant_type(fields: Fields, served: str) -> None:
    """/v1/kick/exchange and /refresh ignore grant_type, unless it names another grant than the path's."""
    grant_type = fields.get("grant_type")
    if isinstance(grant_type, str) and grant_type and grant_type != served:
        raise ProxyError(
            400,
            UNSUPPORTED_GRANT_TYPE,
            f"this endpoint serves grant_type {served} only; {TOKEN_PATH} serves {' and '.join(GRANT_PARSERS)}",
        )


def upstream_form(grant: Grant, credentials: ClientCredentials) -> str:
    """The form-encoded body for Kick: the grant's documented fields plus the proxy's own."""
    return urlencode(
        [
            ("grant_type", grant.grant_type),
            ("client_id", credentials.client_id),
            ("client_secret", credentials.client_secret),
            *grant.form_fields(),
        ]
    )


def required_string(fields: Fields, name: str) -> str:
    value = fields.get(name)
    if value is None:
        raise bad_request(f"{name} is required")
    if isinstance(value, Duplicate):
        raise bad_request(f"{name} must be sent only once")
    if not isinstance(value, str):
        raise bad_request(f"{name} must be a string")
    if not value:
        raise bad_request(f"{name} must not be empty")
    if not value.isascii() and not _encodable(value):
        raise bad_request(f"{name} must be valid Unicode text")
    return value


def _encodable(value: str) -> bool:
    """False for JSON's escaped lone surrogates, which no form encoding can carry."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
