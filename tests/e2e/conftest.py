"""The whole local stack in-process: moto's Secrets Manager, the Kick emulator and the local API, all on port 0."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from desktop_client.pkce import code_challenge, code_verifier
from local.environment import UNSET, proxy_environment
from local.kick_emulator import EmulatorServer, start_emulator
from local.kick_oauth import ClientApp, KickOAuthServer
from local.local_api import LocalApiServer, start_local_api
from local.local_aws import LocalAws

CLIENT_ID = "local-dev-client"
CLIENT_SECRET = "e2e-dev-secret-Qm4"
DEV_REDIRECT_URI = "http://localhost:1420/auth/callback"
APP_REDIRECT_URI = "battles-record://oauth/callback"
ORIGIN = "http://localhost:1420"
# Short enough that the client's "refresh when less than 10 minutes remain" applies at once.
ACCESS_TOKEN_TTL = 300


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LocalStack:
    api: LocalApiServer
    emulator: EmulatorServer
    secrets: LocalAws
    loopback_redirect_uri: str
    monkeypatch: pytest.MonkeyPatch
    api_url: str = field(init=False)
    authorize_url: str = field(init=False)
    token_url: str = field(init=False)
    revoke_url: str = field(init=False)
    introspect_url: str = field(init=False)

    def __post_init__(self) -> None:
        self.api_url = self.api.base_url
        self.authorize_url = f"{self.emulator.base_url}/oauth/authorize"
        # The proxy's one RFC 6749 token endpoint.
        self.token_url = f"{self.api_url}/v1/kick/token"
        self.revoke_url = f"{self.api_url}/v1/kick/revoke"
        # A protected resource of sorts: Kick's introspection takes the access token as a Bearer.
        self.introspect_url = f"{self.emulator.base_url}/oauth/token/introspect"

    def authorize(self, redirect_uri: str = DEV_REDIRECT_URI) -> tuple[str, str]:
        """Approve a sign-in at the emulator: (code, verifier)."""
        verifier = code_verifier()
        answer = requests.get(
            self.authorize_url,
            params={
                "response_type": "code",
                "client_id": CLIENT_ID,
                "redirect_uri": redirect_uri,
                "scope": "user:read chat:write",
                "state": "e2e-state",
                "code_challenge": code_challenge(verifier),
                "code_challenge_method": "S256",
            },
            allow_redirects=False,
            timeout=5,
        )
        assert answer.status_code == 302, answer.text
        query = parse_qs(urlsplit(answer.headers["Location"]).query)
        assert query["state"] == ["e2e-state"]
        return query["code"][0], verifier

    def exchange(self, body: dict[str, str]) -> requests.Response:
        return requests.post(f"{self.api_url}/v1/kick/exchange", json=body, timeout=15)

    def refresh(self, refresh_token: str) -> requests.Response:
        return requests.post(f"{self.api_url}/v1/kick/refresh", data={"refresh_token": refresh_token}, timeout=15)

    def set_faults(self, **faults: object) -> None:
        answer = requests.post(f"{self.emulator.base_url}/_emulator/faults", json=faults, timeout=5)
        assert answer.status_code == 200, answer.text


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    from proxy import pipeline

    loopback_redirect_uri = f"http://127.0.0.1:{free_port()}/callback"
    redirect_uris = (APP_REDIRECT_URI, DEV_REDIRECT_URI, loopback_redirect_uri)
    with pytest.MonkeyPatch.context() as monkeypatch:
        secrets = LocalAws()
        endpoint = secrets.start()
        oauth = KickOAuthServer(
            ClientApp(CLIENT_ID, CLIENT_SECRET, frozenset(redirect_uris)),
            access_token_ttl_seconds=ACCESS_TOKEN_TTL,
        )
        emulator = start_emulator(oauth, quiet=True)
        secret_id = f"kick-oauth-proxy/e2e-{uuid.uuid4()}"
        secrets.put_credentials(secret_id, CLIENT_ID, CLIENT_SECRET)
        for name in (*UNSET, "REPLAY_TABLE_NAME", "UPSTREAM_TIMEOUT_SECONDS"):
            monkeypatch.delenv(name, raising=False)
        environment = proxy_environment(
            endpoint, f"{emulator.base_url}/oauth/token", secret_id, redirect_uris, origins=(ORIGIN,)
        )
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        # A fresh container: other suites may have left a provider bound to another moto endpoint.
        monkeypatch.setattr(pipeline, "container", pipeline.Container())
        api = start_local_api(quiet=True)
        try:
            yield LocalStack(api, emulator, secrets, loopback_redirect_uri, monkeypatch)
        finally:
            api.stop()
            emulator.stop()
            secrets.stop()


@pytest.fixture
def clean_faults(stack: LocalStack) -> Iterator[LocalStack]:
    yield stack
    requests.delete(f"{stack.emulator.base_url}/_emulator/faults", timeout=5)
