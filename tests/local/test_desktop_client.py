"""The reference desktop client's pieces: PKCE, the authorize URL, the loopback listener, token storage."""

from __future__ import annotations

import json
import os
import socket
import stat
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from desktop_client.authorize import CallbackListener, authorize_url
from desktop_client.failures import Failure
from desktop_client.pkce import code_challenge, code_verifier, new_state
from desktop_client.proxy_api import ProxyApi, ProxyRefused
from desktop_client.token_store import FileTokenStore, KeyringTokenStore, account, open_store
from desktop_client.tokens import StoredTokens, mask
from tests.support.kick_stub import KickStub, html_answer, json_answer, token_answer

PROXY_URL = "http://127.0.0.1:3000"
ACCOUNT = f"local-dev-client@{PROXY_URL}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def tokens(expires_at: float = 10_000.0) -> StoredTokens:
    return StoredTokens("access-token-1", "refresh-token-1", "Bearer", "user:read", expires_at, PROXY_URL)


def test_pkce_follows_rfc_7636() -> None:
    verifier = code_verifier()
    assert 43 <= len(verifier) <= 128
    assert (
        code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )
    assert new_state() != new_state()


def test_a_127_0_0_1_redirect_gets_the_decoy_parameter_first() -> None:
    url = authorize_url(
        "https://id.kick.com/oauth/authorize", "cid", "http://127.0.0.1:53682/callback", "user:read", "ch", "st"
    )
    names = [name for name, _ in parse_qsl(urlsplit(url).query)]
    assert names.index("redirect") < names.index("redirect_uri")
    assert "redirect=127.0.0.1&" in url
    assert dict(parse_qsl(urlsplit(url).query))["redirect_uri"] == "http://127.0.0.1:53682/callback"
    assert dict(parse_qsl(urlsplit(url).query))["code_challenge_method"] == "S256"


def test_a_localhost_redirect_needs_no_decoy() -> None:
    url = authorize_url(
        "https://id.kick.com/oauth/authorize", "cid", "http://localhost:1420/auth/callback", "s", "c", "t"
    )
    assert "redirect=" not in url.replace("redirect_uri=", "")


def test_the_listener_hands_over_code_and_state() -> None:
    redirect_uri = f"http://127.0.0.1:{free_port()}/callback"
    with CallbackListener(redirect_uri) as listener:
        assert requests.get(redirect_uri.replace("/callback", "/favicon.ico"), timeout=5).status_code == 404
        assert requests.get(f"{redirect_uri}?code=c1&state=s1", timeout=5).status_code == 200
        callback = listener.wait(1)
    assert callback is not None
    assert (callback.code, callback.state, callback.error) == ("c1", "s1", None)


def test_the_listener_accepts_loopback_http_only() -> None:
    with pytest.raises(Failure, match="redirect URI"):
        CallbackListener("battles-record://oauth/callback")


def test_tokens_need_refreshing_with_less_than_ten_minutes_left() -> None:
    assert tokens(expires_at=1000 + 599).needs_refresh(now=1000)
    assert not tokens(expires_at=1000 + 600).needs_refresh(now=1000)


def test_tokens_are_shown_masked() -> None:
    shown = tokens().describe(now=0)
    assert "acce…" in shown
    assert "access-token-1" not in shown
    assert "refresh-token-1" not in shown
    assert mask(None) == "-"


def test_the_file_store_is_private_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "tokens.json"
    store = FileTokenStore(path, ACCOUNT)
    assert store.load() is None
    path.parent.mkdir()
    path.write_text("{}")
    os.chmod(path, 0o644)
    store.save(tokens())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store.load() == tokens()
    assert json.loads(path.read_text())["accounts"][ACCOUNT]["refresh_token"] == "refresh-token-1"
    store.clear()
    assert not path.exists()
    assert list(path.parent.iterdir()) == []


def test_a_token_file_forces_the_file_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KICK_DESKTOP_TOKEN_FILE", str(tmp_path / "t.json"))
    store = open_store("auto", "acct")
    assert isinstance(store, FileTokenStore)
    assert store.path == tmp_path / "t.json"


class MemoryKeyring:
    """The three calls the client makes on the `keyring` module."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], str] = {}

    def get_keyring(self) -> object:
        return self

    def get_password(self, service: str, account: str) -> str | None:
        return self.values.get((service, account))

    def set_password(self, service: str, account: str, value: str) -> None:
        self.values[(service, account)] = value

    def delete_password(self, service: str, account: str) -> None:
        del self.values[(service, account)]


def test_the_file_store_keeps_each_proxy_and_client_id_apart(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    FileTokenStore(path, ACCOUNT).save(tokens())
    other = tokens(expires_at=5.0)
    FileTokenStore(path, account("local-dev-client", "http://127.0.0.1:3100/")).save(other)

    assert FileTokenStore(path, account("local-dev-client", "http://127.0.0.1:3100")).load() == other
    assert FileTokenStore(path, account("another-client", PROXY_URL)).load() is None
    FileTokenStore(path, ACCOUNT).clear()
    assert FileTokenStore(path, ACCOUNT).load() is None
    assert FileTokenStore(path, account("local-dev-client", "http://127.0.0.1:3100")).load() == other


def test_the_keyring_store_keeps_each_proxy_and_client_id_apart() -> None:
    keyring = MemoryKeyring()
    KeyringTokenStore(keyring, ACCOUNT).save(tokens())

    assert KeyringTokenStore(keyring, account("local-dev-client", "http://127.0.0.1:3100")).load() is None
    assert KeyringTokenStore(keyring, account("another-client", PROXY_URL)).load() is None
    assert KeyringTokenStore(keyring, account("local-dev-client", PROXY_URL + "/")).load() == tokens()


def test_the_keyring_store_round_trips() -> None:
    keyring = MemoryKeyring()
    store = KeyringTokenStore(keyring, ACCOUNT)
    store.save(tokens())
    assert store.load() == tokens()
    store.clear()
    store.clear()
    assert store.load() is None


def test_the_keyring_is_used_when_usable(monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop_client import token_store

    monkeypatch.delenv("KICK_DESKTOP_TOKEN_FILE", raising=False)
    monkeypatch.setattr(token_store, "usable_keyring", MemoryKeyring)
    assert isinstance(open_store("auto", "acct"), KeyringTokenStore)
    monkeypatch.setattr(token_store, "usable_keyring", lambda: None)
    assert isinstance(open_store("auto", "acct"), FileTokenStore)
    with pytest.raises(Failure, match="keyring"):
        open_store("keyring", "acct")


@pytest.mark.parametrize(
    ("status", "error", "sign_in_again"),
    [
        (400, "invalid_grant", True),
        (400, "invalid_scope", True),
        (400, "invalid_request", False),
        (400, "unsupported_grant_type", False),
        (400, "unsupported_token_type", False),
        (401, "invalid_client", False),
        (502, "upstream_unavailable", False),
    ],
)
def test_which_refusals_mean_sign_in_again(status: int, error: str, sign_in_again: bool) -> None:
    assert ProxyRefused(status, error, "").sign_in_again is sign_in_again


@pytest.fixture
def proxy(kick: KickStub) -> KickStub:
    """A loopback server standing in for the proxy, answering what each test queues."""
    return kick


def test_the_code_exchange_goes_to_the_one_token_endpoint_form_encoded_as_a_public_client(proxy: KickStub) -> None:
    proxy.answer(token_answer("a1", "r1"))
    api = ProxyApi(f"http://127.0.0.1:{proxy.port}/", "local-dev-client")

    body = api.exchange("code-1", "v" * 43, "http://127.0.0.1:53682/callback")

    assert body["access_token"] == "a1"
    (request,) = proxy.received
    assert request.path == "/v1/kick/token"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "Authorization" not in request.headers
    assert request.form_pairs == [
        ("grant_type", "authorization_code"),
        ("code", "code-1"),
        ("code_verifier", "v" * 43),
        ("redirect_uri", "http://127.0.0.1:53682/callback"),
        ("client_id", "local-dev-client"),
    ]


def test_a_token_answer_that_is_not_a_json_object_is_refused(proxy: KickStub) -> None:
    proxy.answer(html_answer(200, "<html>hello</html>"))
    with pytest.raises(ProxyRefused) as refused:
        ProxyApi(f"http://127.0.0.1:{proxy.port}", "c").refresh("r")
    assert (refused.value.status, refused.value.error) == (200, "unexpected_answer")


def test_a_refused_revocation_carries_the_proxys_error_and_retry_after(proxy: KickStub) -> None:
    proxy.answer(json_answer(502, {"error": "upstream_unavailable", "error_description": "d"}, {"Retry-After": "7"}))
    with pytest.raises(ProxyRefused) as refused:
        ProxyApi(f"http://127.0.0.1:{proxy.port}", "c").revoke("t", "access_token")
    assert refused.value == ProxyRefused(502, "upstream_unavailable", "d", "7")
    assert proxy.received[0].path == "/v1/kick/revoke"


def test_every_client_command_make_dev_prints_names_the_account_the_tokens_are_kept_under(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Tokens are keyed by proxy URL and client id: a command without either would find none."""
    from local.dev import banner

    monkeypatch.setenv("KICK_TOKEN_URL", "https://id.kick.com/oauth/token")
    printed = banner("http://127.0.0.1:3100", None, "my-kick-client", None)

    commands = [line.split() for line in printed.splitlines() if "-m desktop_client" in line]
    assert sorted(word for command in commands for word in command if word in ("login", "refresh", "logout")) == [
        "login",
        "logout",
        "refresh",
    ]
    for command in commands:
        assert command[command.index("--proxy-url") + 1] == "http://127.0.0.1:3100"
        assert command[command.index("--client-id") + 1] == "my-kick-client"
