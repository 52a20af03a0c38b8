"""The tokens the client keeps, which proxy issued them, when they need refreshing, and how they are shown."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

# The proxy's notes: refresh when less than 10 minutes remain.
REFRESH_MARGIN_SECONDS = 600


@dataclass(frozen=True)
class StoredTokens:
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    token_type: str
    scope: str
    expires_at: float
    # The proxy that issued them: a refresh token goes back to that proxy only (None: unknown, never sent).
    proxy_url: str | None = None

    @classmethod
    def from_response(cls, body: Mapping[str, Any], now: float, proxy_url: str) -> StoredTokens:
        refresh_token = body.get("refresh_token")
        return cls(
            access_token=str(body["access_token"]),
            refresh_token=str(refresh_token) if refresh_token else None,
            token_type=str(body.get("token_type") or "Bearer"),
            scope=str(body.get("scope") or ""),
            expires_at=now + float(body.get("expires_in") or 0),
            proxy_url=proxy_url,
        )

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> StoredTokens:
        proxy_url = document.get("proxy_url")
        return cls(
            access_token=str(document["access_token"]),
            refresh_token=document.get("refresh_token"),
            token_type=str(document.get("token_type", "Bearer")),
            scope=str(document.get("scope", "")),
            expires_at=float(document["expires_at"]),
            proxy_url=str(proxy_url) if proxy_url else None,
        )

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def remaining_seconds(self, now: float) -> float:
        return self.expires_at - now

    def needs_refresh(self, now: float) -> bool:
        return self.remaining_seconds(now) < REFRESH_MARGIN_SECONDS

    def describe(self, now: float) -> str:
        minutes = max(0, int(self.remaining_seconds(now) // 60))
        return (
            f"access_token {mask(self.access_token)}  refresh_token {mask(self.refresh_token)}  "
            f"expires in {minutes} min  scope {self.scope or '-'}"
        )


def mask(token: str | None) -> str:
    if not token:
        return "-"
    return f"{token[:4]}…"
