"""The proxy's configuration, read from a plain mapping (the handlers pass os.environ)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_TOKEN_URL = "https://id.kick.com/oauth/token"  # noqa: S105 (a URL, not a password)
DEFAULT_REVOKE_URL = "https://id.kick.com/oauth/revoke"
DEFAULT_UPSTREAM_TIMEOUT_SECONDS = 10.0
DEFAULT_REPLAY_WINDOW_SECONDS = 60


class ConfigurationError(Exception):
    """A setting is missing or unusable: the operator's problem, answered as server_error.

    Its message names the setting, never its value, so it is safe to log.
    """


@dataclass(frozen=True)
class Settings:
    secret_id: str
    token_url: str
    revoke_url: str
    allowed_redirect_uris: frozenset[str]
    allowed_origins: frozenset[str]
    upstream_timeout_seconds: float
    replay_table_name: str | None
    replay_window_seconds: int


def settings_from(env: Mapping[str, str]) -> Settings:
    secret_id = env.get("KICK_SECRET_ID", "").strip()
    if not secret_id:
        raise ConfigurationError("KICK_SECRET_ID is not set")
    return Settings(
        secret_id=secret_id,
        token_url=_http_url(env, "KICK_TOKEN_URL", DEFAULT_TOKEN_URL),
        revoke_url=_http_url(env, "KICK_REVOKE_URL", DEFAULT_REVOKE_URL),
        allowed_redirect_uris=comma_separated(env.get("ALLOWED_REDIRECT_URIS", "")),
        allowed_origins=comma_separated(env.get("ALLOWED_ORIGINS", "")),
        upstream_timeout_seconds=_positive_number(env, "UPSTREAM_TIMEOUT_SECONDS", DEFAULT_UPSTREAM_TIMEOUT_SECONDS),
        replay_table_name=env.get("REPLAY_TABLE_NAME", "").strip() or None,
        replay_window_seconds=math.ceil(_positive_number(env, "REPLAY_WINDOW_SECONDS", DEFAULT_REPLAY_WINDOW_SECONDS)),
    )


def comma_separated(value: str) -> frozenset[str]:
    """Entries are trimmed of the spaces around commas; the entries themselves are compared exactly."""
    return frozenset(entry.strip() for entry in value.split(",") if entry.strip())


def _http_url(env: Mapping[str, str], name: str, default: str) -> str:
    url = env.get(name, "").strip() or default
    try:
        parts = urlsplit(url)
        usable = parts.scheme in ("https", "http") and bool(parts.hostname)
    except ValueError:
        usable = False
    if not usable:
        raise ConfigurationError(f"{name} is not an http(s) URL")
    return url


def _positive_number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"{name} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise ConfigurationError(f"{name} must be a positive number")
    return value
