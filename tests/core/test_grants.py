"""core.grants: field validation for both grants and the exact form the proxy sends to Kick."""

from __future__ import annotations

import json
import string
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import pytest

from core.errors import INVALID_REQUEST, ProxyError
from core.grants import (
    CODE_VERIFIER,
    AuthorizationCodeGrant,
    ClientCredentials,
    GrantParser,
    RefreshTokenGrant,
    parse_authorization_code,
    parse_refresh_token,
    upstream_form,
)
from core.request_body import DUPLICATE, parse_fields
from tests.core.core_support import (
    ALLOWLIST,
    CODE,
    CREDENTIALS,
    FORM_TYPE,
    REFRESH_TOKEN,
    assert_not_echoed,
    attempt,
    exchange_fields,
    fields_of,
    json_request,
    refusal,
)
from tests.support.proxy import DEV_REDIRECT_URI, REDIRECT_URI, VERIFIER

UNRESERVED = string.ascii_letters + string.digits + "-._~"
CLIENT_CHOSEN = {
    "grant_type": "client_credentials",
    "client_id": "attacker-client",
    "client_secret": "attacker-secret",
    "scope": "channel:write moderation:ban",
    "state": "state-canary",
    "redirect_to": "https://evil.example/",
}


def exchange(fields: dict[str, Any], allowlist: frozenset[str] = ALLOWLIST) -> AuthorizationCodeGrant:
    return parse_authorization_code(fields, allowlist)


def refuse_exchange(fields: dict[str, Any], allowlist: frozenset[str] = ALLOWLIST) -> ProxyError:
    error = refusal(parse_authorization_code, fields, allowlist)
    assert (error.status, error.error) == (400, INVALID_REQUEST)
    return error


def refuse_verifier(verifier: str) -> ProxyError:
    error = refuse_exchange(exchange_fields(code_verifier=verifier))
    assert "code_verifier" in error.description
    return error


def refuse_redirect(redirect_uri: str) -> ProxyError:
    error = refuse_exchange(exchange_fields(redirect_uri=redirect_uri))
    assert "redirect_uri" in error.description
    assert_not_echoed(error, redirect_uri)
    return error


def sent_pairs(grant: AuthorizationCodeGrant | RefreshTokenGrant) -> list[tuple[str, str]]:
    return parse_qsl(upstream_form(grant, CREDENTIALS), keep_blank_values=True, strict_parsing=True)


# --- authorization_code ----------------------------------------------------------------------------


def test_a_valid_exchange_becomes_an_authorization_code_grant() -> None:
    grant = exchange(exchange_fields())
    assert grant == AuthorizationCodeGrant(code=CODE, code_verifier=VERIFIER, redirect_uri=REDIRECT_URI)
    assert grant.grant_type == "authorization_code"


def test_every_allowlisted_redirect_uri_is_accepted() -> None:
    assert exchange(exchange_fields(redirect_uri=DEV_REDIRECT_URI)).redirect_uri == DEV_REDIRECT_URI


@pytest.mark.parametrize("missing", ["code", "code_verifier", "redirect_uri"])
def test_a_missing_exchange_field_is_refused_by_name(missing: str) -> None:
    fields = exchange_fields()
    del fields[missing]
    assert refuse_exchange(fields).description == f"{missing} is required"


@pytest.mark.parametrize("name", ["code", "code_verifier", "redirect_uri"])
def test_a_null_exchange_field_counts_as_missing(name: str) -> None:
    assert refuse_exchange({**exchange_fields(), name: None}).description == f"{name} is required"


@pytest.mark.parametrize("name", ["code", "code_verifier", "redirect_uri"])
def test_an_empty_exchange_field_is_refused_by_name(name: str) -> None:
    assert refuse_exchange(exchange_fields(**{name: ""})).description == f"{name} must not be empty"


@pytest.mark.parametrize("name", ["code", "code_verifier", "redirect_uri"])
@pytest.mark.parametrize("value", [4711, 47.11, True, False, ["canary-list"], {"canary": "dict"}])
def test_a_non_string_exchange_field_is_refused_by_name_without_echoing_it(name: str, value: Any) -> None:
    error = refuse_exchange(exchange_fields(**{name: value}))
    assert error.description == f"{name} must be a string"
    assert_not_echoed(error, json.dumps(value), "canary", "4711")


@pytest.mark.parametrize("name", ["code", "code_verifier", "redirect_uri"])
def test_a_duplicate_json_exchange_field_is_refused_by_name(name: str) -> None:
    pairs = [*exchange_fields().items(), (name, "second-canary")]
    body = "{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in pairs) + "}"
    error = refuse_exchange(fields_of(body))
    assert error.description == f"{name} must be sent only once"
    assert_not_echoed(error, "second-canary")


@pytest.mark.parametrize("name", ["code", "code_verifier", "redirect_uri"])
def test_a_duplicate_form_exchange_field_is_refused_by_name(name: str) -> None:
    body = urlencode([*exchange_fields().items(), (name, "second-canary")])
    assert refuse_exchange(fields_of(body, FORM_TYPE)).description == f"{name} must be sent only once"


def test_a_duplicate_unknown_field_is_ignored() -> None:
    fields = {**exchange_fields(), "state": DUPLICATE}
    assert exchange(fields).code == CODE


def test_a_code_is_any_non_empty_string() -> None:
    for code in [" ", "a", "x" * 4096, "with spaces & = + % ü 🎮"]:
        assert exchange(exchange_fields(code=code)).code == code


# --- code_verifier (RFC 7636 section 4.1) ----------------------------------------------------------


@pytest.mark.parametrize("length", [43, 44, 64, 127, 128])
def test_a_verifier_of_43_to_128_unreserved_characters_is_accepted(length: int) -> None:
    verifier = (VERIFIER * 3)[:length]
    assert exchange(exchange_fields(code_verifier=verifier)).code_verifier == verifier


@pytest.mark.parametrize("length", [1, 42, 129, 256])
def test_a_verifier_of_any_other_length_is_refused(length: int) -> None:
    refuse_verifier(("a" * 300)[:length])


def test_every_unreserved_character_is_allowed_in_a_verifier() -> None:
    assert len(UNRESERVED) == 66
    assert exchange(exchange_fields(code_verifier=UNRESERVED)).code_verifier == UNRESERVED


@pytest.mark.parametrize("char", sorted(set(map(chr, range(128))) - set(UNRESERVED)))
def test_every_other_ascii_character_is_refused_in_a_verifier(char: str) -> None:
    refuse_verifier(VERIFIER[:21] + char + VERIFIER[21:])


@pytest.mark.parametrize("suffix", ["\n", "\r\n", " ", "\t", "\x00"])
def test_a_verifier_with_trailing_whitespace_or_newline_is_refused(suffix: str) -> None:
    refuse_verifier(VERIFIER + suffix)


def test_a_verifier_with_a_leading_newline_is_refused() -> None:
    refuse_verifier("\n" + VERIFIER)


@pytest.mark.parametrize(
    "char",
    [
        "\u0663",  # ARABIC-INDIC DIGIT THREE
        "\uff11",  # FULLWIDTH DIGIT ONE
        "\u0967",  # DEVANAGARI DIGIT ONE
        "\u212a",  # KELVIN SIGN, which folds to "k"
        "\u017f",  # LATIN SMALL LETTER LONG S, which folds to "s"
        "\u0430",  # CYRILLIC SMALL LETTER A
        "\u00e9",
        "\u2010",  # HYPHEN
        "\uff5e",  # FULLWIDTH TILDE
    ],
)
def test_non_ascii_digits_letters_and_lookalikes_are_refused_in_a_verifier(char: str) -> None:
    refuse_verifier(VERIFIER[:42] + char)
    refuse_verifier(VERIFIER + char)


def test_a_refused_verifier_is_not_echoed() -> None:
    verifier = "canary+verifier/" + "v" * 40
    assert_not_echoed(refuse_verifier(verifier), verifier, "canary")


def test_the_verifier_pattern_is_a_full_match_only() -> None:
    assert CODE_VERIFIER.fullmatch(VERIFIER)
    assert not CODE_VERIFIER.fullmatch(VERIFIER + "\n")
    assert not CODE_VERIFIER.fullmatch("!" + VERIFIER)


# --- redirect_uri allowlist: byte for byte -------------------------------------------------------


@pytest.mark.parametrize(
    "redirect_uri",
    [
        REDIRECT_URI + "/",  # trailing slash
        REDIRECT_URI[:-1],  # a character short
        REDIRECT_URI.upper(),
        "Battles-record://oauth/callback",
        "battles-record://OAUTH/callback",
        "battles-record://oauth/Callback",
        "battles-record%3A//oauth/callback",  # percent-encoding of ':'
        "battles-record://oauth%2Fcallback",
        "battles-record://oauth/callb%61ck",  # percent-encoding of an unreserved char
        " " + REDIRECT_URI,
        REDIRECT_URI + " ",
        REDIRECT_URI + "\n",
        "\t" + REDIRECT_URI,
        REDIRECT_URI + "\u200b",  # zero width space
        "battles-record://oauth/callback?x=1",  # query suffix
        "battles-record://oauth/callback?",
        "battles-record://oauth/callback#frag",
        "battles-record://oauth/callback/../callback",
        "battles-record://oauth/callback/evil",  # allowed URI as prefix
        "battles-record://oauth",  # prefix of an allowed URI
        "battles-record://",
        "battles-record://oauth/c\u0430llback",  # Cyrillic a
        "battles-record://oauth/callback@evil.example",
        "https://evil.example/callback",
        "http://localhost:1420/auth/callback/",
        "http://LOCALHOST:1420/auth/callback",
        "http://localhost:1420/auth/callback?code=x",
        "http://localhost:1421/auth/callback",
        "http://127.0.0.1:1420/auth/callback",
        "http://localhost:1420/auth//callback",
        "http://localhost:01420/auth/callback",
        "https://localhost:1420/auth/callback",
        "http://localhost:1420/auth/callback#",
    ],
)
def test_a_redirect_uri_that_is_not_exactly_allowlisted_is_refused(redirect_uri: str) -> None:
    refuse_redirect(redirect_uri)


def test_an_empty_allowlist_refuses_every_exchange() -> None:
    error = refuse_exchange(exchange_fields(), allowlist=frozenset())
    assert "redirect_uri" in error.description


def test_a_unicode_normalisation_twin_of_an_allowed_uri_is_refused() -> None:
    composed, decomposed = "app://caf\u00e9/cb", "app://cafe\u0301/cb"
    assert exchange(exchange_fields(redirect_uri=composed), frozenset({composed})).redirect_uri == composed
    refuse_exchange(exchange_fields(redirect_uri=decomposed), frozenset({composed}))


def test_fields_are_checked_in_order_code_then_verifier_then_redirect() -> None:
    fields = {"code_verifier": "short", "redirect_uri": "https://evil.example/"}
    assert refuse_exchange(fields).description == "code is required"
    assert "code_verifier" in refuse_exchange({**fields, "code": CODE}).description


# --- refresh_token ---------------------------------------------------------------------------------


def test_a_valid_refresh_becomes_a_refresh_token_grant() -> None:
    grant = parse_refresh_token({"refresh_token": REFRESH_TOKEN}, ALLOWLIST)
    assert grant == RefreshTokenGrant(refresh_token=REFRESH_TOKEN)
    assert grant.grant_type == "refresh_token"


def test_a_refresh_does_not_need_a_redirect_allowlist() -> None:
    assert parse_refresh_token({"refresh_token": REFRESH_TOKEN}, frozenset()).refresh_token == REFRESH_TOKEN


@pytest.mark.parametrize(
    ("fields", "description"),
    [
        ({}, "refresh_token is required"),
        ({"refresh_token": None}, "refresh_token is required"),
        ({"refresh_token": ""}, "refresh_token must not be empty"),
        ({"refresh_token": 12345}, "refresh_token must be a string"),
        ({"refresh_token": ["canary"]}, "refresh_token must be a string"),
        ({"refresh_token": DUPLICATE}, "refresh_token must be sent only once"),
        ({"refreshToken": REFRESH_TOKEN}, "refresh_token is required"),
        ({"code": CODE}, "refresh_token is required"),
    ],
)
def test_a_bad_refresh_is_refused_by_name(fields: dict[str, Any], description: str) -> None:
    error = refusal(parse_refresh_token, fields, ALLOWLIST)
    assert (error.status, error.error, error.description) == (400, INVALID_REQUEST, description)
    assert_not_echoed(error, REFRESH_TOKEN, CODE, "canary", "12345")


def test_a_duplicate_form_refresh_token_is_refused_by_name() -> None:
    fields = fields_of("refresh_token=a&refresh_token=b", FORM_TYPE)
    assert refusal(parse_refresh_token, fields, ALLOWLIST).description == "refresh_token must be sent only once"


# --- what goes to Kick -----------------------------------------------------------------------------


def test_an_exchange_sends_kick_exactly_the_documented_fields() -> None:
    assert sent_pairs(exchange(exchange_fields())) == [
        ("grant_type", "authorization_code"),
        ("client_id", CREDENTIALS.client_id),
        ("client_secret", CREDENTIALS.client_secret),
        ("code", CODE),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", VERIFIER),
    ]


def test_a_refresh_sends_kick_exactly_the_documented_fields() -> None:
    assert sent_pairs(parse_refresh_token({"refresh_token": REFRESH_TOKEN}, ALLOWLIST)) == [
        ("grant_type", "refresh_token"),
        ("client_id", CREDENTIALS.client_id),
        ("client_secret", CREDENTIALS.client_secret),
        ("refresh_token", REFRESH_TOKEN),
    ]


def test_a_client_cannot_choose_grant_type_client_id_client_secret_or_scope_for_an_exchange() -> None:
    fields = parse_fields(json_request({**CLIENT_CHOSEN, **exchange_fields()}))
    sent = sent_pairs(exchange(fields))
    assert [name for name, _ in sent] == [
        "grant_type",
        "client_id",
        "client_secret",
        "code",
        "redirect_uri",
        "code_verifier",
    ]
    assert dict(sent)["grant_type"] == "authorization_code"
    assert dict(sent)["client_id"] == CREDENTIALS.client_id
    assert dict(sent)["client_secret"] == CREDENTIALS.client_secret
    for value in CLIENT_CHOSEN.values():
        assert value not in upstream_form(exchange(fields), CREDENTIALS)
        assert value not in {v for _, v in sent}


def test_a_client_cannot_choose_grant_type_client_id_client_secret_or_scope_for_a_refresh() -> None:
    body = urlencode({**CLIENT_CHOSEN, "refresh_token": REFRESH_TOKEN, "code": CODE})
    grant = parse_refresh_token(fields_of(body, FORM_TYPE), ALLOWLIST)
    sent = sent_pairs(grant)
    assert [name for name, _ in sent] == ["grant_type", "client_id", "client_secret", "refresh_token"]
    assert dict(sent)["grant_type"] == "refresh_token"
    assert set(dict(sent).values()).isdisjoint({*CLIENT_CHOSEN.values(), CODE})


@pytest.mark.parametrize(
    "value",
    [
        "a&b",
        "a=b",
        "a+b",
        "a b",
        "100%",
        "%2B%26",
        "a&grant_type=client_credentials",
        "&client_secret=x&",
        "ünïcødé-コード-🎮",
        "line\nbreak\r\n",
        "tab\tand\x00nul",
        "~-._",
        "/?#[]@!$'()*,;",
    ],
)
def test_values_with_form_syntax_reach_kick_unchanged(value: str) -> None:
    credentials = ClientCredentials(client_id=f"id {value}", client_secret=f"secret {value}")
    for grant in (
        AuthorizationCodeGrant(code=value, code_verifier=VERIFIER, redirect_uri=value),
        RefreshTokenGrant(refresh_token=value),
    ):
        form = upstream_form(grant, credentials)
        assert form.isascii()
        pairs = parse_qsl(form, keep_blank_values=True, strict_parsing=True)
        assert pairs == [
            ("grant_type", grant.grant_type),
            ("client_id", credentials.client_id),
            ("client_secret", credentials.client_secret),
            *grant.form_fields(),
        ]


def test_a_client_value_cannot_inject_extra_form_fields() -> None:
    grant = RefreshTokenGrant(refresh_token="x&grant_type=password&client_id=evil")
    form = upstream_form(grant, CREDENTIALS)
    assert form.count("&") == 3
    assert form.endswith("refresh_token=" + quote("x&grant_type=password&client_id=evil", safe=""))


def test_grants_and_credentials_never_show_secrets_in_their_repr() -> None:
    grant = AuthorizationCodeGrant(code=CODE, code_verifier=VERIFIER, redirect_uri=REDIRECT_URI)
    assert CODE not in repr(grant)
    assert VERIFIER not in repr(grant)
    assert REFRESH_TOKEN not in repr(RefreshTokenGrant(refresh_token=REFRESH_TOKEN))
    assert CREDENTIALS.client_secret not in repr(CREDENTIALS)


# --- bugs ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["code", "refresh_token"])
def test_a_json_escaped_lone_surrogate_in_a_token_field_is_refused_with_400(field: str) -> None:
    body = json.dumps({**exchange_fields(), field: "abc\ud800def"})
    parser: GrantParser = parse_authorization_code if field == "code" else parse_refresh_token
    grant = attempt(parser, fields_of(body), ALLOWLIST)
    if not isinstance(grant, ProxyError):
        upstream_form(grant, CREDENTIALS)  # what the handler does next with an accepted grant
    assert isinstance(grant, ProxyError)
    assert (grant.status, grant.error) == (400, INVALID_REQUEST)
