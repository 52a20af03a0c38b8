"""Real OAuth client libraries, unmodified, against the local stack through ONE token URL.

Each library signs in (the emulator's authorize endpoint, followed without a browser), exchanges
the code, refreshes, refreshes on its own when the access token has expired, revokes, and then gets
invalid_grant for the revoked refresh token: the configurations README.md shows for client authors.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session as AuthlibSession
from oauthlib.oauth2 import InvalidGrantError
from requests_oauthlib import OAuth2Session as RequestsOAuthlibSession

from tests.e2e.conftest import CLIENT_ID, DEV_REDIRECT_URI, LocalStack

SCOPE = "user:read chat:write"


def approve(authorization_url: str) -> str:
    """What the browser does after the user approves at Kick: the redirect URL carrying code and state."""
    answer = requests.get(authorization_url, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    return str(answer.headers["Location"])


def active(stack: LocalStack, access_token: str) -> bool:
    answer = requests.post(stack.introspect_url, headers={"Authorization": f"Bearer {access_token}"}, timeout=5)
    return answer.status_code == 200 and answer.json()["data"]["active"] is True


# --- authlib ----------------------------------------------------------------------------------------


def authlib_session(stack: LocalStack, auth_method: str, **options: Any) -> AuthlibSession:
    """The README's configuration: a public client, PKCE S256, one token URL and the revocation URL."""
    return AuthlibSession(
        client_id=CLIENT_ID,
        client_secret="" if auth_method == "client_secret_basic" else None,
        token_endpoint_auth_method=auth_method,
        scope=SCOPE,
        redirect_uri=options.pop("redirect_uri", DEV_REDIRECT_URI),
        code_challenge_method="S256",
        token_endpoint=stack.token_url,
        **options,
    )


def authlib_sign_in(stack: LocalStack, session: AuthlibSession, authorize_url: str | None = None) -> dict[str, Any]:
    verifier = "v" * 20 + "ErIfIeR-0123456789._~abcdefghijk"
    url, _state = session.create_authorization_url(authorize_url or stack.authorize_url, code_verifier=verifier)
    token = session.fetch_token(stack.token_url, authorization_response=approve(url), code_verifier=verifier)
    return dict(token)


@pytest.mark.parametrize("auth_method", ["none", "client_secret_basic"], ids=["client-id-in-body", "basic"])
def test_authlib_signs_in_refreshes_revokes_through_one_token_url(stack: LocalStack, auth_method: str) -> None:
    saved: list[dict[str, Any]] = []
    session = authlib_session(stack, auth_method, update_token=lambda token, **_: saved.append(dict(token)))

    signed_in = authlib_sign_in(stack, session)
    assert active(stack, signed_in["access_token"])

    refreshed = dict(session.refresh_token(stack.token_url))
    assert refreshed["refresh_token"] != signed_in["refresh_token"]
    assert active(stack, refreshed["access_token"])
    assert len(saved) == 1  # authlib hands every refresh to update_token

    # Expired: authlib refreshes on its own before the next request and hands the app the new tokens.
    session.token["expires_at"] = int(time.time()) - 1
    answer = session.post(stack.introspect_url)
    assert answer.status_code == 200
    assert answer.json()["data"]["active"] is True
    assert len(saved) == 2
    auto = saved[-1]
    assert auto["refresh_token"] != refreshed["refresh_token"]

    revoked = session.revoke_token(stack.revoke_url, token=auto["refresh_token"], token_type_hint="refresh_token")
    assert revoked.status_code == 200
    assert not active(stack, auto["access_token"])  # Kick ends the access tokens issued with it

    with pytest.raises(OAuthError) as refused:
        session.refresh_token(stack.token_url, refresh_token=auto["refresh_token"])
    assert refused.value.error == "invalid_grant"


def test_authlib_revoking_an_unknown_token_succeeds(stack: LocalStack) -> None:
    session = authlib_session(stack, "none")
    assert session.revoke_token(stack.revoke_url, token="never-issued", token_type_hint="access_token").ok


def test_authlib_learns_at_once_that_it_is_pointed_at_another_deployment(stack: LocalStack) -> None:
    session = AuthlibSession(
        client_id="another-app", client_secret="", token_endpoint_auth_method="client_secret_basic"
    )
    with pytest.raises(OAuthError) as refused:
        session.refresh_token(stack.token_url, refresh_token="whatever")
    assert refused.value.error == "invalid_client"


def test_authlib_keeps_the_nextjs_decoy_before_a_127_0_0_1_redirect_uri(stack: LocalStack) -> None:
    session = authlib_session(stack, "none", redirect_uri=stack.loopback_redirect_uri)

    token = authlib_sign_in(stack, session, authorize_url=f"{stack.authorize_url}?redirect=127.0.0.1")

    assert active(stack, token["access_token"])


def test_without_the_decoy_kicks_nextjs_rewrite_breaks_a_127_0_0_1_redirect_uri(stack: LocalStack) -> None:
    session = authlib_session(stack, "none", redirect_uri=stack.loopback_redirect_uri)
    url, _ = session.create_authorization_url(stack.authorize_url, code_verifier="v" * 43)

    answer = requests.get(url, allow_redirects=False, timeout=5)

    assert answer.status_code == 400
    assert answer.json() == {"error": "Invalid request"}


# --- requests-oauthlib ------------------------------------------------------------------------------


@pytest.fixture
def insecure_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """oauthlib refuses http:// unless told; the local stack is plain HTTP on loopback."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.mark.usefixtures("insecure_loopback")
@pytest.mark.parametrize("include_client_id", [True, False], ids=["client-id-in-body", "basic"])
def test_requests_oauthlib_signs_in_refreshes_revokes_through_one_token_url(
    stack: LocalStack, include_client_id: bool
) -> None:
    saved: list[dict[str, Any]] = []
    session = RequestsOAuthlibSession(
        CLIENT_ID,
        redirect_uri=DEV_REDIRECT_URI,
        scope=SCOPE.split(),
        pkce="S256",
        auto_refresh_url=stack.token_url,
        token_updater=lambda token: saved.append(dict(token)),
    )
    url, _state = session.authorization_url(stack.authorize_url)
    signed_in = dict(
        session.fetch_token(stack.token_url, authorization_response=approve(url), include_client_id=include_client_id)
    )
    assert active(stack, signed_in["access_token"])

    refreshed = dict(session.refresh_token(stack.token_url))
    assert refreshed["refresh_token"] != signed_in["refresh_token"]

    # Expired: the session refreshes on its own and passes the new tokens to token_updater.
    session.token = {**session.token, "expires_at": time.time() - 1, "expires_in": -1}
    answer = session.post(stack.introspect_url)
    assert answer.status_code == 200
    assert answer.json()["data"]["active"] is True
    [auto] = saved
    assert auto["refresh_token"] != refreshed["refresh_token"]

    # requests-oauthlib has no revocation call: a plain RFC 7009 POST with HTTP Basic.
    revoked = requests.post(
        stack.revoke_url,
        data={"token": auto["refresh_token"], "token_type_hint": "refresh_token"},
        auth=(CLIENT_ID, ""),
        timeout=15,
    )
    assert revoked.status_code == 200
    assert not active(stack, auto["access_token"])

    with pytest.raises(InvalidGrantError):
        session.refresh_token(stack.token_url, refresh_token=auto["refresh_token"])


# --- what the libraries see of the proxy's errors ---------------------------------------------------


def test_an_unsupported_grant_is_reported_in_rfc_6749_shape(stack: LocalStack) -> None:
    answer = requests.post(
        stack.token_url,
        data=urlencode({"grant_type": "client_credentials", "client_id": CLIENT_ID}),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=15,
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "unsupported_grant_type"
