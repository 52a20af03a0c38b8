"""The proxy's two calls, as a desktop app makes them: no client secret anywhere."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

TIMEOUT_SECONDS = 15  # the proxy's own upstream deadline is 10 s


@dataclass(frozen=True)
class ProxyRefused(Exception):
    status: int  # 0: no answer at all
    error: str
    description: str
    retry_after: str | None = None

    def __str__(self) -> str:
        retry = f" (retry after {self.retry_after} s)" if self.retry_after else ""
        return f"{self.status or 'no answer'} {self.error}: {self.description}{retry}"

    @property
    def sign_in_again(self) -> bool:
        return self.status == 400 and self.error not in ("invalid_request",)


class ProxyApi:
    def __init__(self, base_url: str, session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = session or requests.Session()

    def exchange(self, code: str, code_verifier: str, redirect_uri: str) -> dict[str, Any]:
        return self._post(
            "/v1/kick/exchange",
            {"code": code, "code_verifier": code_verifier, "redirect_uri": redirect_uri},
        )

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        return self._post("/v1/kick/refresh", {"refresh_token": refresh_token})

    def _post(self, path: str, body: dict[str, str]) -> dict[str, Any]:
        try:
            response = self._session.post(self.base_url + path, json=body, timeout=TIMEOUT_SECONDS)
        except requests.RequestException as exc:
            raise ProxyRefused(0, "unreachable", f"the proxy did not answer ({type(exc).__name__})") from None
        try:
            document = response.json()
        except ValueError:
            document = None
        if not isinstance(document, dict):
            raise ProxyRefused(response.status_code, "unexpected_answer", "the proxy's answer is not a JSON object")
        if response.status_code != 200:
            raise ProxyRefused(
                response.status_code,
                str(document.get("error") or "unknown_error"),
                str(document.get("error_description") or ""),
                response.headers.get("Retry-After"),
            )
        return document
