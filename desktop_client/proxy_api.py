"""The proxy's calls, as a desktop app makes them: no client secret anywhere.

The one place that knows the proxy's endpoint paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

TIMEOUT_SECONDS = 15  # the proxy's own upstream deadline is 10 s
EXCHANGE_PATH = "/v1/kick/exchange"
REFRESH_PATH = "/v1/kick/refresh"


@dataclass(frozen=True)
class ProxyRefused(Exception):
    status: int  # 0: no answer at all
    error: str
    description: str
    retry_after: str | None = None

    def __str__(self) -> str:
        described = f" ({self.description})" if self.description else ""
        return f"{self.status or 'no answer'} {self.error}{described}"

    @property
    def sign_in_again(self) -> bool:
        """Kick refused the code or refresh token (invalid_grant or another RFC 6749 code)."""
        return self.status == 400 and self.error not in ("invalid_request", "unsupported_grant_type")

    @property
    def retry_later(self) -> bool:
        """No answer, throttled, or the proxy or Kick failed: the same request may succeed later."""
        return self.status in (0, 429) or self.status >= 500


class ProxyApi:
    def __init__(self, base_url: str, session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = session or requests.Session()

    def exchange(self, code: str, code_verifier: str, redirect_uri: str) -> dict[str, Any]:
        return self._post(EXCHANGE_PATH, {"code": code, "code_verifier": code_verifier, "redirect_uri": redirect_uri})

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        return self._post(REFRESH_PATH, {"refresh_token": refresh_token})

    def _post(self, path: str, body: dict[str, str]) -> dict[str, Any]:
        url = self.base_url + path
        try:
            response = self._session.post(url, json=body, timeout=TIMEOUT_SECONDS, allow_redirects=False)
        except requests.Timeout:
            raise ProxyRefused(0, "unreachable", f"{url} did not answer within {TIMEOUT_SECONDS} s") from None
        except requests.RequestException:
            raise ProxyRefused(0, "unreachable", f"nothing answers at {url}") from None
        if response.is_redirect:
            # Following it would re-send the code or refresh token to wherever the redirect points.
            raise ProxyRefused(
                response.status_code,
                "redirected",
                f"{url} redirects to {response.headers.get('Location')}; tokens are not sent after a redirect:"
                " use the proxy's final URL",
            )
        try:
            document = response.json()
        except ValueError:
            document = None
        if not isinstance(document, dict):
            raise ProxyRefused(response.status_code, "unexpected_answer", f"{url} did not answer with a JSON object")
        if response.status_code != 200:
            raise ProxyRefused(
                response.status_code,
                str(document.get("error") or "unknown_error"),
                str(document.get("error_description") or document.get("message") or ""),
                response.headers.get("Retry-After"),
            )
        return document
