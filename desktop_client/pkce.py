"""PKCE (RFC 7636, S256) and the CSRF state, as Kick's documentation generates them."""

from __future__ import annotations

import base64
import hashlib
import secrets


def code_verifier() -> str:
    """43 characters of base64url: 32 random bytes."""
    return secrets.token_urlsafe(32)


def code_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_state() -> str:
    return secrets.token_hex(16)
