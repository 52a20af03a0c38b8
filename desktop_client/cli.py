"""`python -m desktop_client`: sign in with Kick through the proxy, keep the tokens, refresh them, sign out."""

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
from typing import NoReturn
from urllib.parse import urlsplit

import requests

from desktop_client.authorize import CallbackListener, authorize_url, loopback_address
from desktop_client.failures import EXIT_FAILED, EXIT_OK, EXIT_RETRY_LATER, EXIT_SIGN_IN_AGAIN, Failure
from desktop_client.pkce import code_challenge, code_verifier, new_state
from desktop_client.proxy_api import ProxyApi, ProxyRefused
from desktop_client.token_store import TOKEN_FILE_ENV, TokenStore, account, default_token_file, open_store
from desktop_client.tokens import StoredTokens

DEFAULT_PROXY_URL = "http://127.0.0.1:3000"
DEFAULT_AUTHORIZE_URL = "http://127.0.0.1:3001/oauth/authorize"
DEFAULT_REDIRECT_URI = "http://127.0.0.1:53682/callback"
DEFAULT_CLIENT_ID = "local-dev-client"
LOGIN = "python -m desktop_client login"
LOGOUT = "python -m desktop_client logout"

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_RETRY_LATER", "EXIT_SIGN_IN_AGAIN", "main", "parser"]

EPILOG = f"""\
global options go before or after the command.

environment (an option given on the command line wins):
  KICK_PROXY_URL           --proxy-url      (default {DEFAULT_PROXY_URL}: make dev's LOCAL_API_PORT)
  KICK_AUTHORIZE_URL       --authorize-url  (default {DEFAULT_AUTHORIZE_URL}: make dev's KICK_EMULATOR_PORT)
  KICK_CLIENT_ID           --client-id      (default {DEFAULT_CLIENT_ID}, the emulator's client id)
  KICK_REDIRECT_URI        --redirect-uri   (default {DEFAULT_REDIRECT_URI})
  {TOKEN_FILE_ENV}  --token-file     (default: the OS keyring, else {default_token_file()})
  XDG_CONFIG_HOME          where the default token file lives (APPDATA on Windows)

exit codes:
  0  ok
  1  failed: the message says what to fix
  2  sign in again: Kick refused the code or refresh token (the stored tokens are forgotten), or none are stored
  3  retry later: the proxy did not answer, was throttled (429), or it or Kick failed (5xx)

logout revokes the refresh token, then the access token, through the proxy (RFC 7009), and forgets
them only once both are revoked or unknown to Kick. When revocation fails it keeps them and exits 3
(retry later) or 1; --forget-anyway then forgets them without revoking (they stay valid at Kick until
they expire). Nothing stored is already signed out: 0.
"""


class _Parser(argparse.ArgumentParser):
    """Usage mistakes are one line and exit 1: exit code 2 means "sign in again" here."""

    def error(self, message: str) -> NoReturn:
        raise Failure(f"{message} (see python -m desktop_client --help)")


def _global_options(cli: argparse.ArgumentParser, top_level: bool) -> None:
    # Repeated on every command with SUPPRESS defaults, so they may follow it without overriding the top level's.
    def default(value: object) -> object:
        return value if top_level else argparse.SUPPRESS

    env = os.environ.get
    group = cli.add_argument_group("global options")
    group.add_argument(
        "--proxy-url", default=default(env("KICK_PROXY_URL", DEFAULT_PROXY_URL)), help="the proxy's base URL"
    )
    group.add_argument(
        "--authorize-url",
        default=default(env("KICK_AUTHORIZE_URL", DEFAULT_AUTHORIZE_URL)),
        help="Kick's authorize endpoint (the emulator's with make dev)",
    )
    group.add_argument("--client-id", default=default(env("KICK_CLIENT_ID", DEFAULT_CLIENT_ID)))
    group.add_argument(
        "--redirect-uri",
        default=default(env("KICK_REDIRECT_URI", DEFAULT_REDIRECT_URI)),
        help="a loopback http URI the proxy allowlists",
    )
    group.add_argument("--scope", default=default("user:read"))
    group.add_argument("--store", choices=("auto", "keyring", "file"), default=default("auto"))
    group.add_argument("--token-file", type=Path, default=default(None), help="keep tokens in this file")


def parser() -> argparse.ArgumentParser:
    cli = _Parser(
        prog="python -m desktop_client",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _global_options(cli, top_level=True)
    commands = cli.add_subparsers(dest="command", required=True, metavar="{login,refresh,show,logout}")
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
    show = commands.add_parser("show", help="show the stored tokens, masked")
    logout = commands.add_parser("logout", help="revoke the stored tokens at Kick through the proxy, then forget them")
    logout.add_argument(
        "--forget-anyway",
        action="store_true",
        help="forget the tokens even when they cannot be revoked (they stay valid at Kick until they expire)",
    )
    for command in (login, refresh, show, logout):
        _global_options(command, top_level=False)
    return cli


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return run(parser().parse_args(argv))
    except Failure as failure:
        fail(failure.message)
        return failure.exit_code
    except KeyboardInterrupt:
        fail("cancelled")
        return EXIT_FAILED
    except Exception as unexpected:  # a bug: its type only, since messages can quote what was sent
        fail(f"unexpected {type(unexpected).__name__}: please report it")
        return EXIT_FAILED


def fail(message: str) -> None:
    print(f"error: {' '.join(message.split())}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    proxy_url = checked_url("--proxy-url", "KICK_PROXY_URL", args.proxy_url)
    store = open_store(args.store, account(args.client_id, proxy_url), args.token_file)
    proxy = ProxyApi(proxy_url, args.client_id)
    if args.command == "login":
        return login(args, store, proxy)
    if args.command == "refresh":
        return refresh(store, proxy, force=args.force)
    if args.command == "logout":
        return logout(store, proxy, forget_anyway=args.forget_anyway)
    tokens = store.load()
    if tokens is None:
        raise Failure(f"{not_signed_in(proxy)}: run {LOGIN}", EXIT_SIGN_IN_AGAIN)
    print(tokens.describe(time.time()))
    return EXIT_OK


def not_signed_in(proxy: ProxyApi) -> str:
    return f"not signed in at {proxy.base_url} (client id {proxy.client_id})"


def issued_elsewhere(tokens: StoredTokens, proxy: ProxyApi) -> str | None:
    """Why the stored tokens must not go to this proxy, if they must not: they go back only to their issuer."""
    if tokens.proxy_url == proxy.base_url:
        return None
    return (
        f"the stored tokens were issued through {tokens.proxy_url or 'an unknown proxy'}, not {proxy.base_url};"
        " they are sent nowhere else"
    )


def checked_url(option: str, variable: str, value: str) -> str:
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 (raises for a port out of range or not a number)
    except ValueError:
        valid = False
    else:
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
    if not valid:
        raise Failure(f"{option} (or {variable}) {value!r} is not an http(s) URL with a host and a valid port")
    return value.rstrip("/")


def login(args: argparse.Namespace, store: TokenStore, proxy: ProxyApi) -> int:
    authorize_base = checked_url("--authorize-url", "KICK_AUTHORIZE_URL", args.authorize_url)
    loopback_address(args.redirect_uri)
    verifier, state = code_verifier(), new_state()
    url = authorize_url(authorize_base, args.client_id, args.redirect_uri, args.scope, code_challenge(verifier), state)
    with CallbackListener(args.redirect_uri) as listener:
        if args.follow_redirect:
            follow_authorize_redirect(url, authorize_base, args.redirect_uri)
        elif args.no_browser or not webbrowser.open(url):
            print(f"Open this URL in your browser to sign in:\n{url}", flush=True)
        else:
            print(f"Opened the browser; if nothing happened, open:\n{url}", flush=True)
        callback = listener.wait(args.timeout)

    if callback is None:
        raise Failure(f"no sign-in redirect arrived within {args.timeout:g} s: run {LOGIN} again")
    if callback.state is None or not hmac.compare_digest(callback.state, state):
        raise Failure(f"the redirect's state does not match: refusing it (possible CSRF); run {LOGIN} again")
    if callback.error or not callback.code:
        raise Failure(f"Kick did not authorize ({callback.error or 'no code'}): run {LOGIN} again")
    try:
        body = proxy.exchange(callback.code, verifier, args.redirect_uri)
    except ProxyRefused as refused:
        raise refusal(refused, proxy) from None
    tokens = StoredTokens.from_response(body, time.time(), proxy.base_url)
    store.save(tokens)
    print(f"signed in; tokens stored in {store.description}\n  {tokens.describe(time.time())}")
    return EXIT_OK


def follow_authorize_redirect(url: str, authorize_base: str, redirect_uri: str) -> None:
    """What the browser would do: load the authorize page and follow its redirect to the loopback listener."""
    try:
        answer = requests.get(url, allow_redirects=False, timeout=10)
    except requests.RequestException:
        raise Failure(
            f"nothing answers at {authorize_base}: start make dev (the Kick emulator), or set --authorize-url"
            " or KICK_AUTHORIZE_URL to the emulator's (its port is KICK_EMULATOR_PORT)"
        ) from None
    location = answer.headers.get("Location")
    if answer.status_code != 302 or not location:
        raise Failure(
            f"the authorize endpoint refused ({answer.status_code} {answer.text[:200]}): is {redirect_uri} one of"
            f" its redirect URIs (make dev: ALLOWED_REDIRECT_URIS) and the client id its own?"
        )
    try:
        requests.get(location, timeout=10)
    except requests.RequestException:
        raise Failure(f"the authorize endpoint redirected to {location}, which did not answer") from None


def refresh(store: TokenStore, proxy: ProxyApi, force: bool) -> int:
    tokens = store.load()
    now = time.time()
    if tokens is None or not tokens.refresh_token:
        raise Failure(f"{not_signed_in(proxy)}, or no refresh token: run {LOGIN}", EXIT_SIGN_IN_AGAIN)
    elsewhere = issued_elsewhere(tokens, proxy)
    if elsewhere:
        raise Failure(f"{elsewhere}: run {LOGIN}", EXIT_SIGN_IN_AGAIN)
    if not force and not tokens.needs_refresh(now):
        print(f"no refresh needed (more than 10 minutes left)\n  {tokens.describe(now)}")
        return EXIT_OK
    try:
        body = proxy.refresh(tokens.refresh_token)
    except ProxyRefused as refused:
        if refused.sign_in_again:
            store.clear()
        raise refusal(refused, proxy) from None
    fresh = StoredTokens.from_response(body, time.time(), proxy.base_url)
    if fresh.refresh_token is None:  # keep the old one if Kick did not rotate it
        fresh = replace(fresh, refresh_token=tokens.refresh_token)
    store.save(fresh)
    print(f"refreshed; tokens stored in {store.description}\n  {fresh.describe(time.time())}")
    return EXIT_OK


def logout(store: TokenStore, proxy: ProxyApi, forget_anyway: bool) -> int:
    """Revoke, then forget: tokens are forgotten only once Kick no longer honours them, or when told to anyway."""
    tokens = store.load()
    if tokens is None:
        print(f"{not_signed_in(proxy)}: nothing to revoke or forget")
        return EXIT_OK
    try:
        revoke(tokens, proxy)
    except Failure as failure:
        if not forget_anyway:
            raise Failure(
                f"not signed out: {failure.message}. The tokens stay in {store.description} until they are"
                f" revoked; {LOGOUT} --forget-anyway forgets them without revoking",
                failure.exit_code,
            ) from None
        store.clear()
        print(
            f"forgot the tokens without revoking them ({failure.message}); they stay valid at Kick until they"
            f" expire; cleared {store.description}"
        )
        return EXIT_OK
    store.clear()
    print(f"signed out: tokens revoked through {proxy.base_url}; cleared {store.description}")
    return EXIT_OK


def revoke(tokens: StoredTokens, proxy: ProxyApi) -> None:
    """The refresh token first, the long-lived one; then the access token, which RFC 7009 section 2.1 only
    recommends that revoking the refresh token ends too."""
    elsewhere = issued_elsewhere(tokens, proxy)
    if elsewhere:
        raise Failure(elsewhere)
    revoked: list[str] = []
    for token, hint in ((tokens.refresh_token, "refresh_token"), (tokens.access_token, "access_token")):
        if not token:
            continue
        try:
            proxy.revoke(token, hint)
        except ProxyRefused as refused:
            failure = refusal(refused, proxy, grant=False)
            name = hint.replace("_", " ")
            what = f"the {revoked[0]} was revoked, the {name} was not" if revoked else f"the {name} was not revoked"
            raise Failure(f"{what}: {failure.message}", failure.exit_code) from None
        revoked.append(hint.replace("_", " "))


def refusal(refused: ProxyRefused, proxy: ProxyApi, grant: bool = True) -> Failure:
    """The proxy's answer as one line with what to do, and its exit code (a revocation, not a grant, never says
    "sign in again": RFC 7009 answers 200 for a token Kick does not know)."""
    if refused.status == 0:
        return Failure(
            f"{refused.description}: start the proxy (make dev), or set --proxy-url or KICK_PROXY_URL to a"
            " running one (make dev's port is LOCAL_API_PORT); then retry",
            EXIT_RETRY_LATER,
        )
    if grant and refused.sign_in_again:
        return Failure(f"the proxy answered {refused}. Sign in again: {LOGIN}", EXIT_SIGN_IN_AGAIN)
    if refused.retry_later:
        when = f"after {refused.retry_after} s" if refused.retry_after else "later"
        return Failure(f"the proxy answered {refused}. Retry {when}", EXIT_RETRY_LATER)
    if refused.error == "invalid_client":
        return Failure(
            f"the proxy answered {refused}. Set --client-id or KICK_CLIENT_ID to the Kick client id the proxy at"
            f" {proxy.base_url} is deployed with"
        )
    if refused.status in (403, 404) or refused.error in ("unexpected_answer", "redirected"):
        return Failure(
            f"the proxy answered {refused}. Is {proxy.base_url} the proxy's base URL (deployed: with the stage,"
            " e.g. https://ID.execute-api.REGION.amazonaws.com/prod)?"
        )
    return Failure(f"the proxy answered {refused}. Fix the request or the proxy's configuration")
