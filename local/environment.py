"""The environment the proxy's functions see, set up for a local run against moto (Secrets Manager, DynamoDB)."""

from __future__ import annotations

import os
from collections.abc import Iterable, MutableMapping

REGION = "us-east-1"
# The emulator's client id (the contract's); the reference client's default too.
CLIENT_ID = "local-dev-client"
SECRET_ID = "kick-oauth-proxy/local"  # noqa: S105 (a secret's name)
# The two redirect URIs of the contract's example plus the reference desktop client's loopback one.
DEFAULT_REDIRECT_URIS = (
    "battles-record://oauth/callback",
    "http://localhost:1420/auth/callback",
    "http://127.0.0.1:53682/callback",
)
DEFAULT_ORIGINS = ("http://localhost:1420",)
# A developer's own AWS configuration must not steer the local run (a profile, a real endpoint).
UNSET = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN")


REPLAY_TABLE = "kick-oauth-proxy-replay"


def proxy_environment(
    aws_endpoint: str,
    token_url: str,
    secret_id: str = SECRET_ID,
    redirect_uris: Iterable[str] = DEFAULT_REDIRECT_URIS,
    origins: Iterable[str] = DEFAULT_ORIGINS,
    replay_table: str | None = None,
    replay_window_seconds: str = "60",
    revoke_url: str | None = None,
) -> dict[str, str]:
    """What the template's Globals give the functions, pointed at moto; `replay_table` None: the window is off.

    `revoke_url` defaults to the revocation endpoint beside `token_url` (Kick's /oauth/revoke).
    """
    return {
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": aws_endpoint,
        "AWS_ENDPOINT_URL_DYNAMODB": aws_endpoint,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "KICK_SECRET_ID": secret_id,
        "KICK_TOKEN_URL": token_url,
        "KICK_REVOKE_URL": revoke_url or revoke_url_beside(token_url),
        "ALLOWED_REDIRECT_URIS": ",".join(redirect_uris),
        "ALLOWED_ORIGINS": ",".join(origins),
        "POWERTOOLS_SERVICE_NAME": "kick-oauth-proxy",
        "POWERTOOLS_METRICS_NAMESPACE": "KickOAuthProxyLocal",
        "REPLAY_TABLE_NAME": replay_table or "",
        "REPLAY_WINDOW_SECONDS": replay_window_seconds,
    }


def revoke_url_beside(token_url: str) -> str:
    """Kick serves /oauth/revoke beside /oauth/token; the emulator does the same."""
    base, _, _ = token_url.rpartition("/oauth/token")
    return f"{base}/oauth/revoke" if base else token_url.rsplit("/", 1)[0] + "/revoke"


def apply(environment: dict[str, str], target: MutableMapping[str, str] = os.environ) -> None:
    for name in UNSET:
        target.pop(name, None)
    target.update(environment)
