"""The emulator's OAuth logic as Kick's reference document describes it, with a fake clock."""

from __future__ import annotations

import pytest

from desktop_client.pkce import code_challenge
from local.kick_oauth import INVALID_CLIENT, INVALID_REQUEST, ClientApp, KickOAuthServer, KickRefusal, s256

SECRET = "dev-secret"
REDIRECT = "http://localhost:1420/auth/callback"
OTHER_REDIRECT = "battles-record://oauth/callback"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def kick(clock: Clock) -> KickOAuthServer:
    app = ClientApp("local-dev-client", SECRET, frozenset({REDIRECT, OTHER_REDIRECT}))
    return KickOAuthServer(app, clock=clock, code_ttl_seconds=60, access_token_ttl_seconds=14400)


def authorize_params(**overrides: str | None) -> dict[str, list[str]]:
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": "local-dev-client",
        "redirect_uri": REDIRECT,
        "scope": "user:read chat:write",
        "state": "st",
        "code_challenge": s256(VERIFIER),
        "code_challenge_method": "S256",
        **overrides,
    }
    return {name: [value] for name, value in params.items() if value is not None}


def form(**fields: str) -> dict[str, list[str]]:
    return {
        name: [value] for name, value in {"client_id": "local-dev-client", "client_secret": SECRET, **fields}.items()
    }


def code_from(location: str) -> str:
    from urllib.parse import parse_qs, urlsplit

    return parse_qs(urlsplit(location).query)["code"][0]


def redeem(
    kick: KickOAuthServer, code: str, verifier: str = VERIFIER, redirect_uri: str = REDIRECT
) -> dict[str, object]:
    return kick.token(
        form(grant_type="authorization_code", code=code, code_verifier=verifier, redirect_uri=redirect_uri)
    )


def refused(action: object) -> KickRefusal:
    with pytest.raises(KickRefusal) as caught:
        action()  # type: ignore[operator]
    return caught.value


def test_s256_matches_rfc_7636_appendix_b() -> None:
    assert s256(VERIFIER) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert code_challenge(VERIFIER) == s256(VERIFIER)


def test_authorize_redirects_with_code_and_state(kick: KickOAuthServer) -> None:
    location = kick.authorize(authorize_params())
    assert location.startswith(f"{REDIRECT}?code=")
    assert location.endswith("&state=st")


@pytest.mark.parametrize(
    "overrides",
    [
        {"response_type": "token"},
        {"response_type": None},
        {"client_id": "someone-else"},
        {"redirect_uri": "http://localhost:1420/auth/callback/"},
        {"redirect_uri": None},
        {"code_challenge_method": "plain"},
        {"code_challenge_method": None},
        {"code_challenge": "too-short"},
        {"code_challenge": None},
        {"state": None},
        {"state": ""},
        {"scope": None},
        {"scope": "user:read  chat:write"},
    ],
)
def test_authorize_refuses_bad_requests_with_kicks_shape(
    kick: KickOAuthServer, overrides: dict[str, str | None]
) -> None:
    refusal = refused(lambda: kick.authorize(authorize_params(**overrides)))
    assert (refusal.status, refusal.body) == (400, INVALID_REQUEST)


def test_authorize_refuses_repeated_parameters(kick: KickOAuthServer) -> None:
    params = authorize_params()
    params["redirect_uri"] = [REDIRECT, OTHER_REDIRECT]
    assert refused(lambda: kick.authorize(params)).status == 400


def test_a_code_is_redeemed_once_for_user_tokens(kick: KickOAuthServer) -> None:
    code = code_from(kick.authorize(authorize_params()))
    tokens = redeem(kick, code)
    assert set(tokens) == {"access_token", "token_type", "refresh_token", "expires_in", "scope"}
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 14400
    assert tokens["scope"] == "user:read chat:write"
    assert refused(lambda: redeem(kick, code)).body == INVALID_REQUEST


def test_a_failed_redemption_burns_the_code(kick: KickOAuthServer) -> None:
    code = code_from(kick.authorize(authorize_params()))
    refused(lambda: redeem(kick, code, verifier="x" * 43))
    refused(lambda: redeem(kick, code))


@pytest.mark.parametrize(
    ("verifier", "redirect_uri"),
    [("x" * 43, REDIRECT), (VERIFIER + "!", REDIRECT), (VERIFIER, OTHER_REDIRECT)],
)
def test_the_code_is_bound_to_its_challenge_and_redirect_uri(
    kick: KickOAuthServer, verifier: str, redirect_uri: str
) -> None:
    code = code_from(kick.authorize(authorize_params()))
    assert refused(lambda: redeem(kick, code, verifier, redirect_uri)).status == 400


def test_codes_are_short_lived(kick: KickOAuthServer, clock: Clock) -> None:
    code = code_from(kick.authorize(authorize_params()))
    clock.now += 60
    assert refused(lambda: redeem(kick, code)).status == 400


@pytest.mark.parametrize(
    "credentials", [{"client_secret": "wrong"}, {"client_id": "someone-else"}, {"client_secret": ""}]
)
def test_wrong_client_credentials_are_invalid_client(kick: KickOAuthServer, credentials: dict[str, str]) -> None:
    fields = {**form(grant_type="client_credentials"), **{k: [v] for k, v in credentials.items()}}
    refusal = refused(lambda: kick.token(fields))
    assert (refusal.status, refusal.body) == (401, INVALID_CLIENT)


@pytest.mark.parametrize("grant_type", ["password", "implicit", ""])
def test_unsupported_grants_are_invalid_request(kick: KickOAuthServer, grant_type: str) -> None:
    assert refused(lambda: kick.token(form(grant_type=grant_type))).body == INVALID_REQUEST


def test_refresh_tokens_rotate(kick: KickOAuthServer) -> None:
    first = redeem(kick, code_from(kick.authorize(authorize_params())))
    second = kick.token(form(grant_type="refresh_token", refresh_token=str(first["refresh_token"])))
    assert second["refresh_token"] != first["refresh_token"]
    assert second["scope"] == first["scope"]
    reuse = form(grant_type="refresh_token", refresh_token=str(first["refresh_token"]))
    assert refused(lambda: kick.token(reuse)).body == INVALID_REQUEST
    assert kick.token(form(grant_type="refresh_token", refresh_token=str(second["refresh_token"])))


def test_client_credentials_give_an_app_token_without_refresh_token_or_scope(kick: KickOAuthServer) -> None:
    tokens = kick.token(form(grant_type="client_credentials"))
    assert set(tokens) == {"access_token", "token_type", "expires_in"}
    data = kick.introspect(f"Bearer {tokens['access_token']}")["data"]
    assert (data["token_type"], data["scope"], data["active"]) == ("app", "", True)


def test_introspection_reports_user_tokens(kick: KickOAuthServer, clock: Clock) -> None:
    tokens = redeem(kick, code_from(kick.authorize(authorize_params())))
    answer = kick.introspect(f"Bearer {tokens['access_token']}")
    assert answer == {
        "data": {
            "active": True,
            "client_id": "local-dev-client",
            "token_type": "user",
            "scope": "user:read chat:write",
            "exp": int(clock.now) + 14400,
        },
        "message": "OK",
    }
    clock.now += 14400
    assert kick.introspect(f"Bearer {tokens['access_token']}")["data"]["active"] is False


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer unknown", "Basic abc"])
def test_introspection_without_a_known_bearer_is_401(kick: KickOAuthServer, authorization: str | None) -> None:
    assert refused(lambda: kick.introspect(authorization)).status == 401


def test_revoking_a_refresh_token_kills_it_and_its_access_token(kick: KickOAuthServer) -> None:
    tokens = redeem(kick, code_from(kick.authorize(authorize_params())))
    kick.revoke({"token": [str(tokens["refresh_token"])], "token_hint_type": ["refresh_token"]})
    assert kick.introspect(f"Bearer {tokens['access_token']}")["data"]["active"] is False
    reuse = form(grant_type="refresh_token", refresh_token=str(tokens["refresh_token"]))
    assert refused(lambda: kick.token(reuse)).status == 400


def test_revoking_a_refresh_token_ends_every_access_token_of_its_sign_in_and_no_other(
    kick: KickOAuthServer,
) -> None:
    first = redeem(kick, code_from(kick.authorize(authorize_params())))
    second = kick.token(form(grant_type="refresh_token", refresh_token=str(first["refresh_token"])))
    other_sign_in = redeem(kick, code_from(kick.authorize(authorize_params())))

    kick.revoke({"token": [str(second["refresh_token"])]})

    for ended in (first, second):
        assert kick.introspect(f"Bearer {ended['access_token']}")["data"]["active"] is False
    assert kick.introspect(f"Bearer {other_sign_in['access_token']}")["data"]["active"] is True
    assert kick.token(form(grant_type="refresh_token", refresh_token=str(other_sign_in["refresh_token"])))


def test_revoking_an_access_token_leaves_the_refresh_token(kick: KickOAuthServer) -> None:
    tokens = redeem(kick, code_from(kick.authorize(authorize_params())))
    kick.revoke({"token": [str(tokens["access_token"])]})
    assert kick.introspect(f"Bearer {tokens['access_token']}")["data"]["active"] is False
    assert kick.token(form(grant_type="refresh_token", refresh_token=str(tokens["refresh_token"])))


def test_revoke_requires_a_token_and_a_known_hint(kick: KickOAuthServer) -> None:
    assert refused(lambda: kick.revoke({})).body == INVALID_REQUEST
    assert refused(lambda: kick.revoke({"token": ["t"], "token_hint_type": ["id_token"]})).status == 400
    kick.revoke({"token": ["never-issued"]})  # RFC 7009: not an error


@pytest.mark.parametrize("wrong", [{"client_secret": "wrong"}, {"client_id": "someone-else"}])
def test_refused_client_credentials_spend_neither_the_code_nor_the_refresh_token(
    kick: KickOAuthServer, wrong: dict[str, str]
) -> None:
    """Kick authenticates the client before it looks at the grant (RFC 6749 3.2.1): the proxy may ask again."""
    code = code_from(kick.authorize(authorize_params()))
    grant = {"grant_type": "authorization_code", "code": code, "code_verifier": VERIFIER, "redirect_uri": REDIRECT}
    assert refused(lambda: kick.token({**form(**grant), **{k: [v] for k, v in wrong.items()}})).status == 401
    tokens = kick.token(form(**grant))

    refresh = {"grant_type": "refresh_token", "refresh_token": str(tokens["refresh_token"])}
    assert refused(lambda: kick.token({**form(**refresh), **{k: [v] for k, v in wrong.items()}})).status == 401
    assert kick.token(form(**refresh))["access_token"]


def test_a_rotated_client_secret_replaces_the_old_one(kick: KickOAuthServer) -> None:
    kick.rotate_client_secret("new-secret")

    assert refused(lambda: kick.token(form(grant_type="client_credentials"))).status == 401
    assert kick.token({**form(grant_type="client_credentials"), "client_secret": ["new-secret"]})["access_token"]


def test_reusable_refresh_tokens_keep_working_after_use(clock: Clock) -> None:
    """Kick's changelog of 25/11/2025: refresh tokens became "reusable/flexible"."""
    app = ClientApp("local-dev-client", SECRET, frozenset({REDIRECT}))
    kick = KickOAuthServer(app, clock=clock, refresh_tokens="reusable")
    first = redeem(kick, code_from(kick.authorize(authorize_params())))
    old = form(grant_type="refresh_token", refresh_token=str(first["refresh_token"]))

    second = kick.token(old)
    again = kick.token(old)

    assert second["refresh_token"] != first["refresh_token"]
    assert again["access_token"] != second["access_token"]
    assert kick.token(form(grant_type="refresh_token", refresh_token=str(second["refresh_token"])))


def test_an_unknown_refresh_token_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="refresh_tokens"):
        KickOAuthServer(ClientApp("c", SECRET, frozenset()), refresh_tokens="sometimes")
