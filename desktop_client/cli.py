"""`python -m desktop_client`: sign in with Kick through the proxy, keep the tokens, refresh them."""

from __future__ import annotations

import argparse
import hmac
import os
import sys
import time
import webbrowser
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import requests

from desktop_client.authorize import CallbackListener, authorize_url
from desktop_client.pkce import code_challenge, code_verifier, new_state
from desktop_client.proxy_api import ProxyApi, ProxyRefused
from desktop_client.token_store import TokenStore, open_store
from desktop_client.tokens import StoredTokens

DEFAULT_PROXY_URL = "http://127.0.0.1:3000"
DEFAULT_AUTHORIZE_URL = "http://127.0.0.1:3001/oauth/authorize"
DEFAULT_REDIRECT_URI = "http://127.0.0.1:53682/callback"

EXIT_FAILED = 1
EXIT_SIGN_IN_AGAIN = 2
EXIT_RETRY_LATER = 3


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(prog="python -m desktop_client", description=__doc__)
    env = os.environ.get
    cli.add_argument("--proxy-url", default=env("KICK_PROXY_URL", DEFAULT_PROXY_URL))
    cli.add_argument("--authorize-url", default=env("KICK_AUTHORIZE_URL", DEFAULT_AUTHORIZE_URL))
    cli.add_argument("--client-id", default=env("KICK_CLIENT_ID", "local-dev-client"))
    cli.add_argument("--redirect-uri", default=env("KICK_REDIRECT_URI", DEFAULT_REDIRECT_URI))
    cli.add_argument("--scope", default="user:read")
    cli.add_argument("--store", choices=("auto", "keyring", "file"), default="auto")
    cli.add_argument("--token-file", type=Path, help="keep tokens in this file (also KICK_DESKTOP_TOKEN_FILE)")
    commands = cli.add_subparsers(dest="command", required=True)
    login = commands.add_parser("login", help="sign in: authorize in the browser, exchange the code via the proxy")
    login.add_argument("--no-browser", action="store_true", help="print the authorize URL instead of opening it")
    login.add_argument(
        "--follow-redirect",
        action="store_true",
        help="no browser: follow the authorize redirect yourself (the emulator auto-approves; for tests)",
    )
    login.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the redirect")
    refresh = commands.add_parser("refresh", help="refresh the tokens when less than 10 minutes remain")
    refresh.add_argument("--force", action="store_true", help="refresh whatever the time left")
    commands.add_parser("show", help="show the stored tokens, masked")
    commands.add_parser("logout", help="forget the stored tokens")
    return cli


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    store = open_store(args.store, f"{args.client_id}@{args.proxy_url}", args.token_file)
    proxy = ProxyApi(args.proxy_url)
    if args.command == "login":
        return login(args, store, proxy)
    if args.command == "refresh":
        return refresh(store, proxy, force=args.force)
    if args.command == "show":
        tokens = store.load()
        print(tokens.describe(time.time()) if tokens else "not signed in")
        return 0 if tokens else EXIT_FAILED
    store.clear()
    print(f"signed out; cleared {store.description}")
    return 0


def login(args: argparse.Namespace, store: TokenStore, proxy: ProxyApi) -> int:
    verifier, state = code_verifier(), new_state()
    url = authorize_url(
        args.authorize_url, args.client_id, args.redirect_uri, args.scope, code_challenge(verifier), state
    )
    with CallbackListener(args.redirect_uri) as listener:
        if args.follow_redirect:
            if not follow_authorize_redirect(url):
                return EXIT_FAILED
        elif args.no_browser or not webbrowser.open(url):
            print(f"Open this URL in your browser to sign in:\n{url}", flush=True)
        else:
            print(f"Opened the browser; if nothing happened, open:\n{url}", flush=True)
        callback = listener.wait(args.timeout)

    if callback is None:
        print("no sign-in redirect arrived in time", file=sys.stderr)
        return EXIT_FAILED
    if callback.state is None or not hmac.compare_digest(callback.state, state):
        print("the redirect's state does not match: refusing it (possible CSRF)", file=sys.stderr)
        return EXIT_FAILED
    if callback.error or not callback.code:
        print(f"Kick did not authorize: {callback.error or 'no code'}", file=sys.stderr)
        return EXIT_FAILED
    try:
        body = proxy.exchange(callback.code, verifier, args.redirect_uri)
    except ProxyRefused as refused:
        return report(refused)
    tokens = StoredTokens.from_response(body, time.time())
    store.save(tokens)
    print(f"signed in; tokens stored in {store.description}\n  {tokens.describe(time.time())}")
    return 0


def follow_authorize_redirect(url: str) -> bool:
    """What the browser would do: load the authorize page and follow its redirect to the loopback listener."""
    answer = requests.get(url, allow_redirects=False, timeout=10)
    location = answer.headers.get("Location")
    if answer.status_code != 302 or not location:
        print(f"authorize refused: {answer.status_code} {answer.text[:200]}", file=sys.stderr)
        return False
    requests.get(location, timeout=10)
    return True


def refresh(store: TokenStore, proxy: ProxyApi, force: bool) -> int:
    tokens = store.load()
    now = time.time()
    if tokens is None or not tokens.refresh_token:
        print("not signed in (or no refresh token): run login", file=sys.stderr)
        return EXIT_FAILED
    if not force and not tokens.needs_refresh(now):
        print(f"no refresh needed (more than 10 minutes left)\n  {tokens.describe(now)}")
        return 0
    try:
        body = proxy.refresh(tokens.refresh_token)
    except ProxyRefused as refused:
        if refused.sign_in_again:
            store.clear()
        return report(refused)
    fresh = StoredTokens.from_response(body, time.time())
    if fresh.refresh_token is None:  # keep the old one if Kick did not rotate it
        fresh = replace(fresh, refresh_token=tokens.refresh_token)
    store.save(fresh)
    print(f"refreshed; tokens stored in {store.description}\n  {fresh.describe(time.time())}")
    return 0


def report(refused: ProxyRefused) -> int:
    print(f"the proxy refused: {refused}", file=sys.stderr)
    if refused.sign_in_again:
        print("sign in again (python -m desktop_client login)", file=sys.stderr)
        return EXIT_SIGN_IN_AGAIN
    return EXIT_RETRY_LATER if refused.status in (0, 500, 502, 504) else EXIT_FAILED
