"""The proxy's calls, as a desktop app makes them: no client secret anywhere.

The one place that knows the proxy's endpoint paths: the RFC 6749 token endpoint (code exchange and
refresh alike) and RFC 7009 revocation. Bodies are form-encoded as both RFCs say, and the client id
travels in the body as a public client's does (RFC 6749 section 2.3.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

TIMEOUT_SECONDS = 15  # the proxy's own upstream deadline is 10 s
TOKEN_PATH = "/v1/kick/token"  # noqa: S105 (a path)
REVOKE_PATH = "/v1/kick/revoke"
# The proxy's errors that mean "this request or configuration is wrong", not "Kick refused the grant".
REQUEST_ERRORS = ("invalid_request", "unsupported_grant_type", "unsupported_token_type")


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
        return self.status == 400 and self.error not in REQUEST_ERRORS

    @property
    def retry_later(self) -> bool:
        """No answer, throttled, or the proxy or Kick failed: the same request may succeed later."""
        return self.status in (0, 429) or self.status >= 500


class ProxyApi:
    def __init__(self, base_url: str, client_id: str, session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self._session = session or requests.Session()

    def exchange(self, code: str, code_verifier: str, redirect_uri: str) -> dict[str, Any]:
        return self._token(
            {
                "grant_type": "authorization_code",
                "code": code,
                "code_verifier": code_verifier,
                "redirect_uri": redirect_uri,
            }
        )

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        return self._token({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def revoke(self, token: str, token_type_hint: str) -> None:
        """Returns when the token is revoked or was unknown: any 200, whose body RFC 7009 says to ignore."""
        url, response = self._post(REVOKE_PATH, {"token": token, "token_type_hint": token_type_hint})
        if response.status_code != 200:
            raise _refused(url, response)

    def _token(self, form: dict[str, str]) -> dict[str, Any]:
        url, response = self._post(TOKEN_PATH, form)
        if response.status_code != 200:
            raise _refused(url, response)
        document = _json_object(response)
        if document is None:
            raise ProxyRefused(200, "unexpected_answer", f"{url} did not answer with a JSON object")
        return document

    def _post(self, path: str, form: dict[str, str]) -> tuple[str, requests.Response]:
        url = self.base_url + path
        body = {**form, "client_id": self.client_id}
        try:
            response = self._session.post(url, data=body, timeout=TIMEOUT_SECONDS, allow_redirects=False)
        except requests.Timeout:
            raise ProxyRefused(0, "unreachable", f"{url} did not answer within {TIMEOUT_SECONDS} s") from None
        except requests.RequestException:
            raise ProxyRefused(0, "unreachable", f"nothing answers at {url}") from None
        if response.is_redirect:
            # Following it would re-send the code or token to wherever the redirect points.
            raise ProxyRefused(
                response.status_code,
                "redirected",
                f"{url} redirects to {response.headers.get('Location')}; tokens are not sent after a redirect:"
                " use the proxy's final URL",
            )
        return url, response


def _refused(url: str, response: requests.Response) -> ProxyRefused:
    document = _json_object(response)
    if document is None:
        return ProxyRefused(response.status_code, "unexpected_answer", f"{url} did not answer with a JSON object")
    return ProxyRefused(
        response.status_code,
        str(document.get("error") or "unknown_error"),
        str(document.get("error_description") or document.get("message") or ""),
        response.headers.get("Retry-After"),
    )


def _json_object(response: requests.Response) -> dict[str, Any] | None:
    try:
        document = response.json()
    except ValueError:
        return None
    return document if isinstance(document, dict) else None
