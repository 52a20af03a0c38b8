"""`python -m local.fresh_event`: sign in on make dev's Kick emulator and write an exchange event that succeeds.

The shipped events/exchange*.json carry a fixed code no Kick ever issued, so they can only be
answered 400 invalid_grant. This one carries a code the running emulator just issued (valid for
60 s, single use) and its PKCE verifier, in events/exchange.json's API Gateway event, for
`sam local invoke ExchangeFunction -e <file>`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

from desktop_client.authorize import authorize_url
from desktop_client.pkce import code_challenge, code_verifier, new_state
from local.environment import CLIENT_ID

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "events" / "exchange.json"
# Ignored by git: a fresh event is a one-off, never a sample.
DEFAULT_OUT = ROOT / "events" / "fresh" / "exchange.json"
# Allowlisted by make dev and by env.json.
DEFAULT_REDIRECT_URI = "battles-record://oauth/callback"


class Unavailable(Exception):
    pass


def fresh_exchange_event(emulator_url: str, redirect_uri: str = DEFAULT_REDIRECT_URI) -> dict[str, object]:
    """events/exchange.json with a code the emulator at `emulator_url` has just issued for `redirect_uri`."""
    verifier = code_verifier()
    url = authorize_url(
        f"{emulator_url}/oauth/authorize", CLIENT_ID, redirect_uri, "user:read", code_challenge(verifier), new_state()
    )
    try:
        answer = requests.get(url, allow_redirects=False, timeout=10)
    except requests.RequestException:
        raise Unavailable(
            f"nothing answers at {emulator_url}: start make dev first (or pass --emulator-url, KICK_EMULATOR_PORT)"
        ) from None
    code = parse_qs(urlsplit(answer.headers.get("Location", "")).query).get("code")
    if answer.status_code != 302 or not code:
        raise Unavailable(
            f"the emulator refused to sign in ({answer.status_code}): is {redirect_uri} in make dev's"
            " ALLOWED_REDIRECT_URIS?"
        )
    event: dict[str, object] = json.loads(SAMPLE.read_text(encoding="utf-8"))
    event["body"] = json.dumps({"code": code[0], "code_verifier": verifier, "redirect_uri": redirect_uri})
    event["isBase64Encoded"] = False
    return event


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.fresh_event", description=__doc__)
    default_emulator = f"http://127.0.0.1:{os.environ.get('KICK_EMULATOR_PORT', '').strip() or '3001'}"
    parser.add_argument("--emulator-url", default=default_emulator, help="make dev's emulator (%(default)s)")
    parser.add_argument("--redirect-uri", default=DEFAULT_REDIRECT_URI, help="(default %(default)s)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the event (%(default)s)")
    args = parser.parse_args(argv)
    try:
        event = fresh_exchange_event(args.emulator_url.rstrip("/"), args.redirect_uri)
    except Unavailable as failure:
        print(f"python -m local.fresh_event: {failure}", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(event, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}: a code issued just now (valid 60 s, single use). Invoke it with")
    print(f"  .venv/tools/sam/bin/sam local invoke ExchangeFunction -e {args.out} --env-vars env.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
