"""Record ids and sealed answers (the pure half of the replay window)."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from core.grants import AuthorizationCodeGrant, RefreshTokenGrant
from core.replay_crypto import NONCE_BYTES, ReplayKeys, UnreadableRecord, replay_keys, seal, unseal

SECRET = "proxy-client-secret"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
ANSWER = '{"access_token": "a", "refresh_token": "r"}'


def exchange(code: str = "code-1", verifier: str = VERIFIER, redirect_uri: str = "app://cb") -> AuthorizationCodeGrant:
    return AuthorizationCodeGrant(code=code, code_verifier=verifier, redirect_uri=redirect_uri)


def length_prefixed(*parts: str) -> bytes:
    return b"".join(len(part.encode()).to_bytes(4, "big") + part.encode() for part in parts)


def test_the_record_id_is_the_documented_hmac_of_the_request_under_the_client_secret() -> None:
    """docs/replay-window.md: HMAC-SHA256(client secret, grant type and Kick's fields, length-prefixed), in hex."""
    label = b"kick-oauth-proxy replay record id v1\x00"
    refresh = length_prefixed("refresh_token", "refresh_token", "r-1")
    code = length_prefixed(
        "authorization_code", "code", "code-1", "redirect_uri", "app://cb", "code_verifier", VERIFIER
    )

    assert (
        replay_keys(RefreshTokenGrant("r-1"), SECRET).record_id
        == hmac.new(SECRET.encode(), label + refresh, hashlib.sha256).hexdigest()
    )
    assert (
        replay_keys(exchange(), SECRET).record_id == hmac.new(SECRET.encode(), label + code, hashlib.sha256).hexdigest()
    )


def test_a_new_container_derives_the_same_answer_key_for_the_same_request() -> None:
    """The key is derived, never random: another container must open what this one sealed."""
    sealed = seal(replay_keys(RefreshTokenGrant("r-1"), SECRET), ANSWER)
    assert unseal(replay_keys(RefreshTokenGrant("r-1"), SECRET), sealed) == ANSWER


@pytest.mark.parametrize(
    "other",
    [
        exchange(code="code-2"),
        exchange(verifier=VERIFIER[:-1] + "Y"),
        exchange(redirect_uri="app://other"),
    ],
)
def test_every_part_of_an_exchange_changes_both_the_id_and_the_key(other: AuthorizationCodeGrant) -> None:
    mine, theirs = replay_keys(exchange(), SECRET), replay_keys(other, SECRET)
    assert mine.record_id != theirs.record_id
    assert mine.answer_key != theirs.answer_key


def test_the_id_is_keyed_with_the_client_secret_and_grants_never_collide() -> None:
    assert (
        replay_keys(RefreshTokenGrant("r-1"), SECRET).record_id != replay_keys(RefreshTokenGrant("r-1"), "x").record_id
    )
    # Length prefixes: moving characters between fields gives another request.
    assert replay_keys(exchange("ab", redirect_uri="c"), SECRET) != replay_keys(
        exchange("a", redirect_uri="bc"), SECRET
    )


def test_the_id_is_a_hex_digest_and_the_keys_repr_hides_the_key() -> None:
    keys = replay_keys(RefreshTokenGrant("r-1"), SECRET)
    assert len(keys.record_id) == 64
    int(keys.record_id, 16)
    assert len(keys.answer_key) == 32
    assert keys.answer_key.hex() not in repr(keys)


def test_sealing_round_trips_with_a_fresh_nonce_each_time() -> None:
    keys = replay_keys(exchange(), SECRET)
    first, second = seal(keys, ANSWER), seal(keys, ANSWER)
    assert first != second
    assert unseal(keys, first) == unseal(keys, second) == ANSWER
    assert first.startswith("v1.")
    assert len(base64.urlsafe_b64decode(first[3:])) == NONCE_BYTES + len(ANSWER) + 16


def test_another_verifier_cannot_open_the_answer() -> None:
    sealed = seal(replay_keys(exchange(), SECRET), ANSWER)
    with pytest.raises(UnreadableRecord):
        unseal(replay_keys(exchange(verifier=VERIFIER[:-1] + "Y"), SECRET), sealed)


def test_an_answer_moved_to_another_record_does_not_open() -> None:
    keys = replay_keys(RefreshTokenGrant("r-1"), SECRET)
    moved = ReplayKeys(record_id="0" * 64, answer_key=keys.answer_key)
    with pytest.raises(UnreadableRecord):
        unseal(moved, seal(keys, ANSWER))


@pytest.mark.parametrize("sealed", ["", "v2.AAAA", "v1.", "v1.!!!!", "v1." + "A" * 40, "v1.é"])
def test_malformed_or_tampered_answers_are_unreadable(sealed: str) -> None:
    with pytest.raises(UnreadableRecord):
        unseal(replay_keys(RefreshTokenGrant("r-1"), SECRET), sealed)


def test_a_flipped_bit_is_unreadable() -> None:
    keys = replay_keys(RefreshTokenGrant("r-1"), SECRET)
    raw = bytearray(base64.urlsafe_b64decode(seal(keys, ANSWER)[3:]))
    raw[-1] ^= 1
    with pytest.raises(UnreadableRecord):
        unseal(keys, "v1." + base64.urlsafe_b64encode(bytes(raw)).decode())
