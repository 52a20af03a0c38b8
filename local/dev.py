"""`make dev`: moto (Secrets Manager and the replay table), the Kick emulator (unless real Kick credentials are set)
and the local API, with the default deployment's settings (the replay window on).

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
from collections.abc import Iterator, Sequence

from desktop_client.cli import DEFAULT_AUTHORIZE_URL, DEFAULT_PROXY_URL
from local.environment import CLIENT_ID, DEFAULT_REDIRECT_URIS, REPLAY_TABLE, SECRET_ID, apply, proxy_environment
from local.faults import faults_from_env
from local.kick_emulator import start_emulator
from local.kick_oauth import ClientApp, KickOAuthServer
from local.local_api import start_local_api
from local.local_aws import LocalAws
from local.template import load_template, parameter_default, replay_table_layout

KICK_TOKEN_URL = "https://id.kick.com/oauth/token"  # noqa: S105 (a URL)
KICK_REVOKE_URL = "https://id.kick.com/oauth/revoke"


class UsageError(Exception):
    pass


class PortBusy(Exception):
    def __init__(self, port: int, variable: str) -> None:
        super().__init__(
            f"port {port} ({variable}) is in use by another program: stop it, or choose another port,"
            f" e.g. make dev {variable}={port + 100}"
        )


@contextlib.contextmanager
def listening(port: int, variable: str) -> Iterator[None]:
    """Turns "address in use" while binding `port` into PortBusy, naming the variable that sets it."""
    try:
        yield
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise PortBusy(port, variable) from None
        raise


def port_setting(option_value: str | None, option: str, variable: str, default: str) -> int:
    """The option's port if given, else the variable's, else the default; a bad value names where it came from."""
    if option_value is not None:
        return port(option, option_value)
    return port(variable, _env(variable, default))


def port(name: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if not 0 <= number <= 65535:
        raise UsageError(f"{name} must be a port number from 0 to 65535 (0: any free port), not {value!r}")
    return number


def switched_on(name: str, default: str) -> bool:
    value = os.environ.get(name, default).strip().lower()
    if value not in ("0", "1", "on", "off", "true", "false"):
        raise UsageError(f"{name} must be 1 or 0 (on or off), not {value!r}")
    return value in ("1", "on", "true")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__)
    parser.add_argument("--api-port", help="the proxy's port (default: LOCAL_API_PORT, else 3000)")
    parser.add_argument("--emulator-port", help="the Kick emulator's port (default: KICK_EMULATOR_PORT, else 3001)")
    parser.add_argument(
        "--no-replay-window", action="store_true", help="run without the replay window (also LOCAL_REPLAY_WINDOW=0)"
    )
    parser.add_argument(
        "--access-log",
        action="store_true",
        help="also one access line per HTTP request to the local API and the emulator (also LOCAL_ACCESS_LOG=1)",
    )
    args = parser.parse_args(argv)
    try:
        api_port = port_setting(args.api_port, "--api-port", "LOCAL_API_PORT", "3000")
        emulator_port = port_setting(args.emulator_port, "--emulator-port", "KICK_EMULATOR_PORT", "3001")
        replay_window = switched_on("LOCAL_REPLAY_WINDOW", "1") and not args.no_replay_window
        quiet = not (args.access_log or switched_on("LOCAL_ACCESS_LOG", "0"))
    except UsageError as mistake:
        print(f"python -m local: {mistake}", file=sys.stderr)
        return 1
    return serve(api_port, emulator_port, replay_window=replay_window, quiet=quiet)


def serve(api_port: int, emulator_port: int, replay_window: bool, quiet: bool) -> int:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())

    real_id, real_secret = os.environ.get("KICK_CLIENT_ID", ""), os.environ.get("KICK_CLIENT_SECRET", "")
    # The secret reaches the handlers only through Secrets Manager, as in Lambda.
    os.environ.pop("KICK_CLIENT_SECRET", None)
    redirect_uris = _list(os.environ.get("ALLOWED_REDIRECT_URIS")) or list(DEFAULT_REDIRECT_URIS)

    try:
        with contextlib.ExitStack() as running:
            aws = LocalAws()
            endpoint = aws.start()
            running.callback(aws.stop)
            template = load_template()
            replay_seconds = _env("REPLAY_WINDOW_SECONDS", parameter_default(template, "ReplayWindowSeconds"))
            if replay_window:
                aws.create_table(REPLAY_TABLE, replay_table_layout(template))

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
                with listening(emulator_port, "KICK_EMULATOR_PORT"):
                    emulator = start_emulator(
                        oauth,
                        port=emulator_port,
                        faults=faults_from_env(os.environ),
                        nextjs_bug=os.environ.get("KICK_EMULATOR_NEXTJS_BUG", "1") != "0",
                        quiet=quiet,
                    )
                running.callback(emulator.stop)
                emulator_url = emulator.base_url
                token_url = f"{emulator_url}/oauth/token"
                revoke_url = f"{emulator_url}/oauth/revoke"

            aws.put_credentials(SECRET_ID, client_id, client_secret)
            apply(
                proxy_environment(
                    endpoint,
                    token_url,
                    redirect_uris=redirect_uris,
                    origins=_list(os.environ.get("ALLOWED_ORIGINS", "http://localhost:1420")),
                    replay_table=REPLAY_TABLE if replay_window else None,
                    replay_window_seconds=replay_seconds,
                    revoke_url=revoke_url,
                )
            )
            with listening(api_port, "LOCAL_API_PORT"):
                api = start_local_api(port=api_port, quiet=quiet)
            running.callback(api.stop)

            dev_secret = client_secret if emulator_url else None
            replay = f"{replay_seconds} s" if replay_window else None
            print(banner(api.base_url, emulator_url, client_id, dev_secret, replay, quiet), flush=True)
            stop.wait()
            print("\nstopping ...", flush=True)
    except PortBusy as busy:
        print(busy, file=sys.stderr)
        return 1
    print("stopped", flush=True)
    return 0


def banner(
    api_url: str,
    emulator_url: str | None,
    client_id: str,
    dev_secret: str | None,
    replay: str | None = None,
    quiet: bool = True,
) -> str:
    kick = (
        f"Kick emulator  {emulator_url}  (client id {client_id}, dev secret {dev_secret})"
        if emulator_url
        else f"Kick           {os.environ['KICK_TOKEN_URL']}  (real Kick, client id {client_id})"
    )
    authorize = f"{emulator_url}/oauth/authorize" if emulator_url else "https://id.kick.com/oauth/authorize"
    # The client keeps tokens per proxy URL and client id: every command names both unless they are the defaults.
    options = "" if api_url == DEFAULT_PROXY_URL else f" --proxy-url {api_url}"
    if client_id != CLIENT_ID:
        options += f" --client-id {client_id}"
    login = options if authorize == DEFAULT_AUTHORIZE_URL else f"{options} --authorize-url {authorize}"
    follow = " --follow-redirect" if emulator_url else ""
    window = (
        f"on, {replay} (table {REPLAY_TABLE} in moto's DynamoDB; LOCAL_REPLAY_WINDOW=0 make dev turns it off)"
        if replay
        else "off (LOCAL_REPLAY_WINDOW=0 or --no-replay-window; the deployed default is on)"
    )
    faults = (
        f"""
Kick's faults (docs/local-development.md, "Fault switches"):
  curl -s -X POST {emulator_url}/_emulator/faults -d '{{"status": 503, "retry_after": 30, "times": 1}}'
  curl -s -X DELETE {emulator_url}/_emulator/faults
"""
        if emulator_url
        else ""
    )
    printed = "its JSON summary line and its metrics line" + ("" if quiet else ", and one access line per HTTP request")
    return f"""
kick-oauth-proxy local development
  Proxy API      {api_url}
    token URL      {api_url}/v1/kick/token   (RFC 6749: code exchange and refresh)
    revocation URL {api_url}/v1/kick/revoke  (RFC 7009)
    also           /v1/kick/exchange and /v1/kick/refresh
  {kick}
  Secrets        moto Secrets Manager (secret {SECRET_ID})
  Replay window  {window}

Try the whole sign-in flow with the reference desktop client:
  .venv/bin/python -m desktop_client{login} login{follow}
  .venv/bin/python -m desktop_client{options} refresh --force
  .venv/bin/python -m desktop_client{options} logout   # revokes the tokens, then forgets them
{faults}
Or by hand: see docs/local-development.md ("A PKCE flow with curl").
Each request to the proxy prints {printed} below.
Ctrl-C stops everything."""


def _env(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


def _list(value: str | None) -> list[str]:
    return [entry.strip() for entry in (value or "").split(",") if entry.strip()]


def _ttl() -> int:
    raw = os.environ.get("KICK_EMULATOR_TOKEN_TTL", "")
    return int(raw) if raw.strip() else 14400


if __name__ == "__main__":
    sys.exit(main())
