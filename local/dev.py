"""`make dev`: moto's Secrets Manager, the Kick emulator (unless real Kick credentials are set) and the local API.

Stops everything on Ctrl-C (SIGINT) or SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import secrets
import signal
import sys
import threading
from collections.abc import Sequence

from desktop_client.cli import DEFAULT_AUTHORIZE_URL, DEFAULT_PROXY_URL
from local.environment import DEFAULT_REDIRECT_URIS, SECRET_ID, apply, proxy_environment
from local.faults import faults_from_env
from local.kick_emulator import start_emulator
from local.kick_oauth import ClientApp, KickOAuthServer
from local.local_api import start_local_api
from local.secrets_store import LocalSecretsManager

CLIENT_ID = "local-dev-client"
KICK_TOKEN_URL = "https://id.kick.com/oauth/token"  # noqa: S105 (a URL)
KICK_REVOKE_URL = "https://id.kick.com/oauth/revoke"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__)
    parser.add_argument("--api-port", type=int, default=int(os.environ.get("LOCAL_API_PORT", "3000")))
    parser.add_argument("--emulator-port", type=int, default=int(os.environ.get("KICK_EMULATOR_PORT", "3001")))
    parser.add_argument("--quiet", action="store_true", help="no access log lines")
    args = parser.parse_args(argv)

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())

    real_id, real_secret = os.environ.get("KICK_CLIENT_ID", ""), os.environ.get("KICK_CLIENT_SECRET", "")
    # The secret reaches the handlers only through Secrets Manager, as in Lambda.
    os.environ.pop("KICK_CLIENT_SECRET", None)
    redirect_uris = _list(os.environ.get("ALLOWED_REDIRECT_URIS")) or list(DEFAULT_REDIRECT_URIS)

    try:
        with contextlib.ExitStack() as running:
            secrets_manager = LocalSecretsManager()
            endpoint = secrets_manager.start()
            running.callback(secrets_manager.stop)

            if real_id and real_secret:
                client_id, client_secret = real_id, real_secret
                token_url = os.environ.get("KICK_TOKEN_URL") or KICK_TOKEN_URL
                revoke_url = os.environ.get("KICK_REVOKE_URL") or KICK_REVOKE_URL
                emulator_url = None
            else:
                client_id = CLIENT_ID
                client_secret = os.environ.get("KICK_EMULATOR_CLIENT_SECRET") or secrets.token_urlsafe(24)
                app = ClientApp(client_id, client_secret, frozenset(redirect_uris))
                oauth = KickOAuthServer(
                    app,
                    access_token_ttl_seconds=_ttl(),
                    refresh_tokens=os.environ.get("KICK_EMULATOR_REFRESH_TOKENS") or "rotating",
                )
                emulator = start_emulator(
                    oauth,
                    port=args.emulator_port,
                    faults=faults_from_env(os.environ),
                    nextjs_bug=os.environ.get("KICK_EMULATOR_NEXTJS_BUG", "1") != "0",
                    quiet=args.quiet,
                )
                running.callback(emulator.stop)
                emulator_url = emulator.base_url
                token_url = f"{emulator_url}/oauth/token"
                revoke_url = f"{emulator_url}/oauth/revoke"

            secrets_manager.put_credentials(SECRET_ID, client_id, client_secret)
            apply(
                proxy_environment(
                    endpoint,
                    token_url,
                    redirect_uris=redirect_uris,
                    origins=_list(os.environ.get("ALLOWED_ORIGINS", "http://localhost:1420")),
                    revoke_url=revoke_url,
                )
            )
            api = start_local_api(port=args.api_port, quiet=args.quiet)
            running.callback(api.stop)

            print(banner(api.base_url, emulator_url, client_id, client_secret if emulator_url else None), flush=True)
            stop.wait()
            print("\nstopping ...", flush=True)
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        print(
            f"a port is busy ({args.api_port} or {args.emulator_port}): stop what uses it, or choose others"
            " with LOCAL_API_PORT and KICK_EMULATOR_PORT",
            file=sys.stderr,
        )
        return 1
    print("stopped", flush=True)
    return 0


def banner(api_url: str, emulator_url: str | None, client_id: str, dev_secret: str | None) -> str:
    kick = (
        f"Kick emulator  {emulator_url}  (client id {client_id}, dev secret {dev_secret})"
        if emulator_url
        else f"Kick           {os.environ['KICK_TOKEN_URL']}  (real Kick, client id {client_id})"
    )
    authorize = f"{emulator_url}/oauth/authorize" if emulator_url else "https://id.kick.com/oauth/authorize"
    options = "" if api_url == DEFAULT_PROXY_URL else f" --proxy-url {api_url}"
    login = f"{options} --authorize-url {authorize} --client-id {client_id}"
    if authorize == DEFAULT_AUTHORIZE_URL and client_id == CLIENT_ID:
        login = options
    follow = " --follow-redirect" if emulator_url else ""
    return f"""
kick-oauth-proxy local development
  Proxy API      {api_url}
    token URL      {api_url}/v1/kick/token   (RFC 6749: code exchange and refresh)
    revocation URL {api_url}/v1/kick/revoke  (RFC 7009)
    also           /v1/kick/exchange and /v1/kick/refresh
  {kick}
  Secrets        moto Secrets Manager (secret {SECRET_ID})

Try the whole sign-in flow with the reference desktop client:
  .venv/bin/python -m desktop_client{login} login{follow}
  .venv/bin/python -m desktop_client{options} refresh --force

Or by hand: see docs/local-development.md ("A PKCE flow with curl").
Ctrl-C stops everything.
"""


def _list(value: str | None) -> list[str]:
    return [entry.strip() for entry in (value or "").split(",") if entry.strip()]


def _ttl() -> int:
    raw = os.environ.get("KICK_EMULATOR_TOKEN_TTL", "")
    return int(raw) if raw.strip() else 14400


if __name__ == "__main__":
    sys.exit(main())
