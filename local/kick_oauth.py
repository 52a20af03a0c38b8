"""Kick's OAuth 2.1 server as the reference document describes it, without HTTP.

Authorization codes are single-use, short-lived and bound to client_id, redirect_uri and the PKCE
S256 challenge; each refresh gives a new refresh token, and the old one dies on use (strict rotation,
the default) or stays usable (`refresh_tokens="reusable"`, Kick's "reusable/flexible" refresh tokens
of its 25/11/2025 changelog); client credentials give app tokens without refresh_token or scope.
Refusals carry Kick's own shapes (see KickRefusal).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

INVALID_REQUEST: dict[str, Any] = {"error": "Invalid request"}
# Kick does not document its answer to wrong client credentials; this is RFC 6749 section 5.2's.
INVALID_CLIENT: dict[str, Any] = {
    "error": "invalid_client",
    "error_description": "Client authentication failed",
}
UNAUTHORIZED: dict[str, Any] = {"data": {}, "message": "Unauthorized"}

DEFAULT_CODE_TTL_SECONDS = 60.0
REFRESH_TOKEN_MODES = ("rotating", "reusable")
DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 14400
CODE_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
S256_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")
SCOPE_TOKEN = re.compile(r"[a-z][a-z0-9_:.\-]*")

Params = Mapping[str, Sequence[str]]


class KickRefusal(Exception):
    """An answer Kick gives instead of what was asked: status and JSON body."""

    def __init__(self, status: int = 400, body: Mapping[str, Any] = INVALID_REQUEST) -> None:
        super().__init__(status)
        self.status = status
        self.body = dict(body)


@dataclass(frozen=True)
class ClientApp:
    """The app registered in Kick's developer settings."""

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uris: frozenset[str]


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    code_challenge: str
    scope: str
    expires_at: float
    used: bool = False


@dataclass
class _AccessToken:
    client_id: str
    token_type: str  # "user" or "app", as introspection reports it
    scope: str
    expires_at: float
    revoked: bool = False
    grant_id: str = ""  # the sign-in it comes from: one code redemption and every refresh after it


@dataclass
class _RefreshToken:
    client_id: str
    scope: str
    access_token: str
    grant_id: str
    active: bool = True


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def single(params: Params, name: str) -> str | None:
    """The parameter's one value; a repeated parameter is refused like a malformed request."""
    values = params.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise KickRefusal()
    return values[0]


def required(params: Params, name: str) -> str:
    value = single(params, name)
    if not value:
        raise KickRefusal()
    return value


class KickOAuthServer:
    def __init__(
        self,
        app: ClientApp,
        clock: Callable[[], float] = time.time,
        code_ttl_seconds: float = DEFAULT_CODE_TTL_SECONDS,
        access_token_ttl_seconds: int = DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
        refresh_tokens: str = "rotating",
    ) -> None:
        if refresh_tokens not in REFRESH_TOKEN_MODES:
            raise ValueError(f"refresh_tokens must be one of {', '.join(REFRESH_TOKEN_MODES)}")
        self.app = app
        self.refresh_tokens = refresh_tokens
        self._clock = clock
        self._code_ttl = code_ttl_seconds
        self._access_ttl = access_token_ttl_seconds
        self._lock = threading.Lock()
        self._codes: dict[str, _Code] = {}
        self._access: dict[str, _AccessToken] = {}
        self._refresh: dict[str, _RefreshToken] = {}

    def rotate_client_secret(self, client_secret: str) -> None:
        """What regenerating the secret in Kick's developer settings does: the old one stops working at once."""
        with self._lock:
            self.app = replace(self.app, client_secret=client_secret)

    def authorize(self, params: Params) -> str:
        """Validate an authorization request and auto-approve it: the URL to redirect the browser to."""
        if required(params, "response_type") != "code":
            raise KickRefusal()
        if required(params, "client_id") != self.app.client_id:
            raise KickRefusal()
        redirect_uri = required(params, "redirect_uri")
        if redirect_uri not in self.app.redirect_uris:
            raise KickRefusal()
        state = required(params, "state")
        scope = required(params, "scope")
        if not all(SCOPE_TOKEN.fullmatch(token) for token in scope.split(" ")):
            raise KickRefusal()
        code_challenge = required(params, "code_challenge")
        if required(params, "code_challenge_method") != "S256" or not S256_CHALLENGE.fullmatch(code_challenge):
            raise KickRefusal()

        code = secrets.token_urlsafe(32)
        with self._lock:
            self._codes[code] = _Code(
                client_id=self.app.client_id,
                redirect_uri=redirect_uri,
                code_challenge=code_challenge,
                scope=scope,
                expires_at=self._clock() + self._code_ttl,
            )
        separator = "&" if "?" in redirect_uri else "?"
        return f"{redirect_uri}{separator}{urlencode({'code': code, 'state': state})}"

    def token(self, form: Params) -> dict[str, Any]:
        # The client is authenticated before the grant is looked at (RFC 6749 3.2.1), so a refused
        # client spends no code or refresh token and the proxy may ask again with a rotated secret.
        grant_type = required(form, "grant_type")
        if grant_type not in ("authorization_code", "refresh_token", "client_credentials"):
            raise KickRefusal()
        self._authenticate(form)
        with self._lock:
            if grant_type == "authorization_code":
                return self._redeem_code(form)
            if grant_type == "refresh_token":
                return self._rotate(form)
            return self._app_token()

    def revoke(self, params: Params) -> None:
        """Revoke an access or refresh token; a token the server does not know is not an error (RFC 7009).

        Revoking a refresh token also ends every access token of the same sign-in, as Kick's
        documentation asks and RFC 7009 section 2.1 recommends.
        """
        token = required(params, "token")
        if single(params, "token_hint_type") not in (None, "access_token", "refresh_token"):
            raise KickRefusal()
        with self._lock:
            refresh = self._refresh.get(token)
            if refresh is not None:
                refresh.active = False
                for issued in self._access.values():
                    if issued.grant_id == refresh.grant_id:
                        issued.revoked = True
            access = self._access.get(token)
            if access is not None:
                access.revoked = True

    def introspect(self, authorization: str | None) -> dict[str, Any]:
        scheme, _, token = (authorization or "").strip().partition(" ")
        token = token.strip()
        with self._lock:
            access = self._access.get(token) if scheme.lower() == "bearer" and token else None
            if access is None:
                raise KickRefusal(401, UNAUTHORIZED)
            active = not access.revoked and self._clock() < access.expires_at
            data = {
                "active": active,
                "client_id": access.client_id,
                "token_type": access.token_type,
                "scope": access.scope,
                "exp": int(access.expires_at),
            }
        return {"data": data, "message": "OK"}

    def _authenticate(self, form: Params) -> None:
        client_id = single(form, "client_id") or ""
        client_secret = single(form, "client_secret") or ""
        known_id = hmac.compare_digest(client_id.encode(), self.app.client_id.encode())
        known_secret = hmac.compare_digest(client_secret.encode(), self.app.client_secret.encode())
        if not (known_id and known_secret):
            raise KickRefusal(401, INVALID_CLIENT)

    def _redeem_code(self, form: Params) -> dict[str, Any]:
        code = required(form, "code")
        redirect_uri = required(form, "redirect_uri")
        verifier = required(form, "code_verifier")
        record = self._codes.get(code)
        if record is None or record.used:
            raise KickRefusal()
        record.used = True  # any attempt burns the code, so a wrong verifier cannot be retried
        if (
            self._clock() >= record.expires_at
            or record.client_id != self.app.client_id
            or record.redirect_uri != redirect_uri
            or not CODE_VERIFIER.fullmatch(verifier)
            or not hmac.compare_digest(s256(verifier), record.code_challenge)
        ):
            raise KickRefusal()
        return self._user_tokens(record.scope, grant_id=secrets.token_hex(8))

    def _rotate(self, form: Params) -> dict[str, Any]:
        record = self._refresh.get(required(form, "refresh_token"))
        if record is None or not record.active or record.client_id != self.app.client_id:
            raise KickRefusal()
        if self.refresh_tokens == "rotating":
            record.active = False
        return self._user_tokens(record.scope, record.grant_id)

    def _user_tokens(self, scope: str, grant_id: str) -> dict[str, Any]:
        access_token, refresh_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self._access[access_token] = _AccessToken(
            client_id=self.app.client_id,
            token_type="user",  # noqa: S106 (a token kind)
            scope=scope,
            expires_at=self._clock() + self._access_ttl,
            grant_id=grant_id,
        )
        self._refresh[refresh_token] = _RefreshToken(self.app.client_id, scope, access_token, grant_id)
        return {
            "access_token": access_token,
            "token_type": "Bearer",
            "refresh_token": refresh_token,
            "expires_in": self._access_ttl,
            "scope": scope,
        }

    def _app_token(self) -> dict[str, Any]:
        access_token = secrets.token_urlsafe(32)
        self._access[access_token] = _AccessToken(
            client_id=self.app.client_id,
            token_type="app",  # noqa: S106 (a token kind)
            scope="",
            expires_at=self._clock() + self._access_ttl,
        )
        return {"access_token": access_token, "token_type": "Bearer", "expires_in": self._access_ttl}
