"""Record ids and sealing for the replay window: nothing a table reader can link to a request or read.

- The record id is HMAC-SHA256 over the request, keyed with the proxy's client secret: only the proxy
  can compute it, so the key column neither contains nor confirms a guessed token or code. The client
  secret is the natural key because it is already in hand for every request (no extra secret or KMS
  call) and nobody outside the proxy and Kick holds it; rotating it merely empties the window.
- The stored answer is AES-256-GCM sealed under a key HKDF-SHA256 derives from the request itself
  (refresh token; code, verifier and redirect URI), salted with the client secret: without the refresh
  token, or the verifier, the ciphertext is useless even to whoever holds the code and the table.
  The nonce is random and the record id is the associated data, so a sealed answer cannot be moved to
  another record.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.grants import Grant

FORMAT = "v1"
NONCE_BYTES = 12
KEY_BYTES = 32
_ID_LABEL = b"kick-oauth-proxy replay record id v1\x00"
_SALT_LABEL = b"kick-oauth-proxy replay key salt v1\x00"
_KEY_LABEL = b"kick-oauth-proxy replay answer key v1\x00"


class UnreadableRecord(Exception):
    """A sealed answer that is malformed or does not open under this request's key."""


@dataclass(frozen=True)
class ReplayKeys:
    record_id: str
    answer_key: bytes = field(repr=False)


def replay_keys(grant: Grant, client_secret: str) -> ReplayKeys:
    request = _request_bytes(grant)
    secret = client_secret.encode("utf-8")
    record_id = hmac.new(secret, _ID_LABEL + request, hashlib.sha256).hexdigest()
    salt = hmac.new(secret, _SALT_LABEL, hashlib.sha256).digest()
    answer_key = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt, info=_KEY_LABEL).derive(request)
    return ReplayKeys(record_id=record_id, answer_key=answer_key)


def seal(keys: ReplayKeys, answer: str) -> str:
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(keys.answer_key).encrypt(nonce, answer.encode("utf-8"), keys.record_id.encode("ascii"))
    return f"{FORMAT}.{base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"


def unseal(keys: ReplayKeys, sealed: str) -> str:
    version, _, payload = sealed.partition(".")
    if version != FORMAT:
        raise UnreadableRecord("unknown sealed format")
    try:
        raw = base64.urlsafe_b64decode(payload.encode("ascii"))
        nonce, ciphertext = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
        plain = AESGCM(keys.answer_key).decrypt(nonce, ciphertext, keys.record_id.encode("ascii"))
        return plain.decode("utf-8")
    except (InvalidTag, binascii.Error, ValueError):
        raise UnreadableRecord("the sealed answer does not open under this request's key") from None


def _request_bytes(grant: Grant) -> bytes:
    """The grant type and every field Kick would receive, length-prefixed so no two requests collide."""
    parts = [grant.grant_type]
    for name, value in grant.form_fields():
        parts += [name, value]
    encoded = [part.encode("utf-8") for part in parts]
    return b"".join(len(part).to_bytes(4, "big") + part for part in encoded)
