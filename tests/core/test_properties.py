"""Hypothesis properties of the pure core: hostile input only ever meets the contract's own errors."""

from __future__ import annotations

import base64
import json
import re
import string
from typing import Any
from urllib.parse import parse_qsl, urlencode

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from core import grants
from core.errors import INVALID_REQUEST, MAX_RETRY_AFTER_SECONDS, ProxyError
from core.kick_answer import retry_after, token_body
from core.request_body import api_request, parse_fields
from core.settings import comma_separated
from tests.core.core_support import ALLOWLIST, CODE, CREDENTIALS, attempt, exchange_fields
from tests.support.proxy import DEV_REDIRECT_URI, REDIRECT_URI, VERIFIER

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
QUICK = settings(FAST, max_examples=120)
UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
FIELD_NAMES = ["code", "code_verifier", "redirect_uri", "refresh_token", "grant_type", "client_secret", "scope"]

# --- strategies ------------------------------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=8,
)
field_values = st.one_of(
    st.text(max_size=40),
    st.sampled_from([VERIFIER, REDIRECT_URI, DEV_REDIRECT_URI, CODE, VERIFIER + "\n", REDIRECT_URI + "/"]),
    json_values,
)
json_objects = st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=10), field_values, max_size=6)
content_types = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-8",
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=latin-1",
            "application/vnd.api+json",
            "text/plain",
            "multipart/form-data; boundary=x",
            "",
            ";",
            "+json",
        ]
    ),
    st.text(max_size=30),
)


@st.composite
def json_texts(draw: st.DrawFn) -> str:
    """JSON the way a client might send it: valid, with duplicate names, or broken somewhere."""
    kind = draw(st.sampled_from(["valid", "valid", "duplicated", "truncated", "spliced", "brace-prefixed"]))
    if kind == "duplicated":
        pairs = draw(st.lists(st.tuples(st.sampled_from(FIELD_NAMES), field_values), max_size=6))
        return "{" + ",".join(f"{json.dumps(k)}:{json.dumps(v)}" for k, v in pairs) + "}"
    if kind == "brace-prefixed":
        return "{" + draw(st.text(max_size=40))
    text = json.dumps(draw(st.one_of(json_objects, json_objects, json_values)), ensure_ascii=draw(st.booleans()))
    if kind == "valid":
        return text
    index = draw(st.integers(1, len(text)))
    if kind == "truncated":
        return text[:index]
    return text[:index] + draw(st.text(min_size=1, max_size=3)) + text[index:]


@st.composite
def form_texts(draw: st.DrawFn) -> str:
    pairs = draw(
        st.lists(st.tuples(st.sampled_from(FIELD_NAMES) | st.text(max_size=8), st.text()), min_size=1, max_size=8)
    )
    if draw(st.booleans()):
        return urlencode(pairs)
    return "&".join(f"{k}={v}" for k, v in pairs)  # raw: stray %, &, = and non-ASCII as they come


@st.composite
def bodies(draw: st.DrawFn) -> tuple[str | None, bool]:
    """A body as API Gateway would hand it over, with its isBase64Encoded flag."""
    kind = draw(st.sampled_from(["json", "json", "form", "text", "binary", "base64-text", "none"]))
    if kind == "binary":
        return base64.b64encode(draw(st.binary())).decode(), True
    if kind == "base64-text":
        return draw(st.text(alphabet=string.ascii_letters + string.digits + "+/=\n -_!", max_size=60)), True
    if kind == "none":
        return None, draw(st.booleans())
    text = draw(json_texts() if kind == "json" else form_texts() if kind == "form" else st.text(min_size=1))
    if draw(st.integers(0, 3)) == 0:
        return base64.b64encode(text.encode("utf-8")).decode(), True
    return text, False


def with_content_type(content_type: str | None, extra: dict[str, str]) -> dict[str, str]:
    return {**extra, **({} if content_type is None else {"Content-Type": content_type})}


headers_strategy = st.one_of(
    st.builds(with_content_type, content_types, st.dictionaries(st.sampled_from(["Origin", "X-Other"]), st.text())),
    st.builds(with_content_type, content_types, st.just({})),
    st.builds(with_content_type, content_types, st.dictionaries(st.just("content-type"), st.text(max_size=20))),
    st.none(),
    st.just([]),
    st.dictionaries(st.text(max_size=10), st.none() | st.text(max_size=10) | st.integers(), max_size=3),
)


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    body, is_base64 = draw(bodies())
    odd = draw(st.integers(0, 7)) == 0  # now and then, a field API Gateway would not send like that
    return {
        "httpMethod": draw(st.sampled_from(["POST", "post", None, "GET", ""])),
        "headers": draw(headers_strategy),
        "body": draw(st.sampled_from([None, 12, b"{}"])) if odd else body,
        "isBase64Encoded": draw(st.sampled_from([not is_base64, None, "true", 1])) if odd else is_base64,
    }


# --- parsing never raises anything but ProxyError --------------------------------------------------


def parse_both_grants(event: dict[str, Any]) -> None:
    """Run the whole pure request path; anything but a ProxyError escaping is a bug."""
    fields = attempt(parse_fields, api_request(event))
    if isinstance(fields, ProxyError):
        assert fields.error == INVALID_REQUEST
        assert fields.status in (400, 413, 415)
        return
    assert isinstance(fields, dict)
    parsers: tuple[grants.GrantParser, ...] = (grants.parse_authorization_code, grants.parse_refresh_token)
    for parser in parsers:
        grant = attempt(parser, fields, ALLOWLIST)
        if isinstance(grant, ProxyError):
            assert (grant.status, grant.error) == (400, INVALID_REQUEST)
        else:
            # Whatever a parser accepts can be sent to Kick.
            grants.upstream_form(grant, CREDENTIALS).encode("ascii")


@FAST
@given(events())
def test_parsing_any_event_raises_nothing_but_proxy_error(event: dict[str, Any]) -> None:
    parse_both_grants(event)


@FAST
@given(st.binary(max_size=200), content_types)
def test_parsing_any_bytes_raises_nothing_but_proxy_error(raw: bytes, content_type: str | None) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    parse_both_grants({"headers": headers, "body": base64.b64encode(raw).decode(), "isBase64Encoded": True})
    parse_both_grants({"headers": headers, "body": raw.decode("latin-1"), "isBase64Encoded": False})


@FAST
@given(st.text(), content_types)
def test_parsing_any_text_raises_nothing_but_proxy_error(text: str, content_type: str | None) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    parse_both_grants({"headers": headers, "body": text, "isBase64Encoded": False})
    parse_both_grants({"headers": headers, "body": text, "isBase64Encoded": True})


@QUICK
@given(json_objects)
def test_a_json_object_and_the_same_form_parse_to_the_same_string_fields(document: dict[str, Any]) -> None:
    strings = {name: value for name, value in document.items() if isinstance(value, str)}
    as_json = parse_fields(api_request({"headers": {"Content-Type": "application/json"}, "body": json.dumps(strings)}))
    assume(strings)  # no fields at all is an empty form body
    as_form = parse_fields(
        api_request({"headers": {"Content-Type": "application/x-www-form-urlencoded"}, "body": urlencode(strings)})
    )
    assert as_json == as_form == strings


# --- the redirect allowlist ------------------------------------------------------------------------

LOOKALIKES = {
    "a": "\u0430",
    "c": "\u0441",
    "e": "\u0435",
    "o": "\u043e",
    "p": "\u0440",
    "l": "\u217c",
    "/": "\u2215",
    ":": "\u2236",
    ".": "\u2024",
    "-": "\u2010",
    "k": "\u212a",
    "s": "\u017f",
    "1": "\uff11",
}
WHITESPACE = [" ", "\t", "\n", "\r", "\u00a0", "\u200b", "\u2028", "\ufeff"]

uri_chars = st.characters(codec="utf-8", exclude_characters=",")
redirect_uris = st.one_of(
    st.sampled_from([REDIRECT_URI, DEV_REDIRECT_URI, "https://app.example/cb?x=1", "myapp:/cb"]),
    st.builds(
        lambda scheme, host, port, path: f"{scheme}://{host}{port}/{path}",
        st.sampled_from(["http", "https", "battles-record", "com.example.app", "x-app"]),
        st.sampled_from(["localhost", "127.0.0.1", "app.example", "[::1]", "oauth"]),
        st.sampled_from(["", ":1420", ":8080", ":0"]),
        st.text(alphabet=string.ascii_letters + string.digits + "-._~/%?=&", max_size=20),
    ),
    st.text(alphabet=uri_chars, min_size=1, max_size=30).map(str.strip).filter(bool),
)


@st.composite
def mutations(draw: st.DrawFn, uri: str) -> str:
    """A string one small edit away from `uri`."""
    index = draw(st.integers(0, len(uri) - 1))
    char = uri[index]
    kind = draw(
        st.sampled_from(["case", "append", "prepend", "remove", "percent", "lookalike", "whitespace", "insert"])
    )
    if kind == "case" and char.swapcase() != char:
        return uri[:index] + char.swapcase() + uri[index + 1 :]
    if kind == "remove":
        return uri[:index] + uri[index + 1 :]
    if kind == "percent":
        return uri[:index] + "".join(f"%{byte:02X}" for byte in char.encode()) + uri[index + 1 :]
    if kind == "lookalike" and char in LOOKALIKES:
        return uri[:index] + LOOKALIKES[char] + uri[index + 1 :]
    if kind == "whitespace":
        space = draw(st.sampled_from(WHITESPACE))
        return draw(st.sampled_from([space + uri, uri + space, uri[:index] + space + uri[index:]]))
    if kind == "prepend":
        return draw(st.text(min_size=1, max_size=3)) + uri
    if kind == "insert":
        return uri[:index] + draw(st.text(min_size=1, max_size=2)) + uri[index:]
    return uri + draw(
        st.sampled_from(["/", "?", "#", "%", "x", "/x", "?next=/", ".", draw(st.text(min_size=1, max_size=3))])
    )


def accepts(redirect_uri: str, allowlist: frozenset[str]) -> bool:
    grant = attempt(grants.parse_authorization_code, exchange_fields(redirect_uri=redirect_uri), allowlist)
    if isinstance(grant, ProxyError):
        assert (grant.status, grant.error) == (400, INVALID_REQUEST)
        assert grant.description in {
            "redirect_uri is not one of the proxy's allowed redirect URIs",
            "redirect_uri must not be empty",
        }
        return False
    assert grant.redirect_uri == redirect_uri
    return True


@QUICK
@given(st.lists(redirect_uris, min_size=1, max_size=4, unique=True), st.data())
def test_the_allowlist_accepts_exactly_the_configured_strings(uris: list[str], data: st.DataObject) -> None:
    allowlist = comma_separated(",".join(uris))
    assert allowlist == set(uris)
    for uri in uris:
        assert accepts(uri, allowlist)
    for _ in range(3):
        mutated = data.draw(mutations(data.draw(st.sampled_from(uris))))
        assert accepts(mutated, allowlist) == (mutated in uris)


@FAST
@given(redirect_uris, st.text(max_size=40))
def test_the_allowlist_refuses_every_string_not_configured(uri: str, candidate: str) -> None:
    assert accepts(candidate, frozenset({uri})) == (candidate == uri)


@QUICK
@given(st.lists(redirect_uris, max_size=4))
def test_an_allowlist_survives_a_round_trip_through_its_environment_variable(uris: list[str]) -> None:
    assert comma_separated(" , ".join(uris)) == frozenset(uris)


# --- the verifier ----------------------------------------------------------------------------------


def reference_verifier(value: str) -> bool:
    """RFC 7636 section 4.1, written out: code-verifier = 43*128unreserved."""
    return 43 <= len(value) <= 128 and all(char in UNRESERVED for char in value)


near_verifiers = st.builds(
    lambda body, extra: body + extra,
    st.text(alphabet=sorted(UNRESERVED), min_size=38, max_size=132),
    st.text(max_size=2) | st.just(""),
)


# Characters that look like, or case-fold to, unreserved ones, and the usual suspects.
VERIFIER_IMPOSTORS = ["\n", " ", "+", "/", "=", "\u0663", "\uff11", "\u212a", "\u017f", "\u0131", "\u0130", "\u2010"]


@st.composite
def tampered_verifiers(draw: st.DrawFn) -> str:
    """A valid-looking verifier with one character that only looks or folds like an allowed one."""
    body = draw(st.text(alphabet=sorted(UNRESERVED), min_size=42, max_size=128))
    index = draw(st.integers(0, len(body)))
    return body[:index] + draw(st.sampled_from(VERIFIER_IMPOSTORS)) + body[index:]


@FAST
@given(st.one_of(st.text(), near_verifiers, tampered_verifiers()))
@example(VERIFIER)
@example(VERIFIER + "\n")
@example("a" * 42)
@example("a" * 129)
def test_the_verifier_check_agrees_with_rfc_7636(value: str) -> None:
    expected = reference_verifier(value)
    assert bool(grants.CODE_VERIFIER.fullmatch(value)) == expected
    grant = attempt(grants.parse_authorization_code, exchange_fields(code_verifier=value), ALLOWLIST)
    if isinstance(grant, ProxyError):
        assert not expected
        assert "code_verifier" in grant.description
    else:
        assert expected
        assert grant.code_verifier == value


# --- the form sent to Kick -------------------------------------------------------------------------

form_values = st.text(alphabet=st.characters(codec="utf-8"), min_size=1)


@FAST
@given(form_values, form_values, form_values, form_values, form_values)
def test_the_exchange_form_round_trips_any_values(
    code: str, verifier: str, redirect_uri: str, client_id: str, client_secret: str
) -> None:
    grant = grants.AuthorizationCodeGrant(code=code, code_verifier=verifier, redirect_uri=redirect_uri)
    form = grants.upstream_form(grant, grants.ClientCredentials(client_id, client_secret))
    assert form.isascii()
    assert parse_qsl(form, keep_blank_values=True, strict_parsing=True) == [
        ("grant_type", "authorization_code"),
        ("client_id", client_id),
        ("client_secret", client_secret),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("code_verifier", verifier),
    ]


@FAST
@given(form_values, form_values, form_values)
def test_the_refresh_form_round_trips_any_values(refresh_token: str, client_id: str, client_secret: str) -> None:
    form = grants.upstream_form(
        grants.RefreshTokenGrant(refresh_token=refresh_token), grants.ClientCredentials(client_id, client_secret)
    )
    assert parse_qsl(form, keep_blank_values=True, strict_parsing=True) == [
        ("grant_type", "refresh_token"),
        ("client_id", client_id),
        ("client_secret", client_secret),
        ("refresh_token", refresh_token),
    ]


@FAST
@given(st.dictionaries(st.text(max_size=12), st.text(max_size=12), max_size=8), form_values)
def test_no_client_field_but_the_grants_own_reaches_kick(extra: dict[str, str], refresh_token: str) -> None:
    grant = grants.parse_refresh_token({**extra, "refresh_token": refresh_token}, ALLOWLIST)
    names = [name for name, _ in parse_qsl(grants.upstream_form(grant, CREDENTIALS), keep_blank_values=True)]
    assert names == ["grant_type", "client_id", "client_secret", "refresh_token"]


# --- Kick's answers --------------------------------------------------------------------------------


def has_unhashable_error(body: bytes) -> bool:
    """Known bug, see test_kick_answer.py::test_a_non_string_error_member_is_classified_not_crashed_on."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return False
    return isinstance(document, dict) and isinstance(document.get("error"), list | dict)


kick_bodies = st.one_of(
    st.binary(max_size=100),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.dictionaries(
        st.sampled_from(["access_token", "error", "error_description", "token_type"]), json_values, max_size=4
    ).map(lambda value: json.dumps(value).encode()),
)
retry_after_values = st.one_of(
    st.text(max_size=40),
    st.integers(-(10**6), 10**12).map(str),
    st.sampled_from(
        ["Wed, 21 Oct 2015 07:28:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "Mon, 01 Jan 0001 00:00:00 +0000"]
    ),
)


@FAST
@given(st.integers(100, 599), kick_bodies, st.none() | retry_after_values)
def test_any_kick_answer_is_tokens_or_a_contract_error(status: int, body: bytes, retry: str | None) -> None:
    assume(not has_unhashable_error(body))
    headers = {} if retry is None else {"Retry-After": retry}
    answer = attempt(token_body, status, headers, body, 1_795_375_290.0)
    if isinstance(answer, ProxyError):
        assert (answer.status, answer.error) in {
            (400, "invalid_request"),
            (400, "invalid_grant"),
            (400, "unauthorized_client"),
            (400, "unsupported_grant_type"),
            (400, "invalid_scope"),
            (500, "server_error"),
            (502, "upstream_unavailable"),
        }
        if answer.status == 502:
            assert answer.retry_after is not None
            assert 1 <= answer.retry_after <= MAX_RETRY_AFTER_SECONDS
    else:
        assert 200 <= status < 300
        assert answer.encode() == body


@FAST
@given(retry_after_values, st.floats(0, 4e9))
def test_retry_after_is_always_between_1_and_3600(value: str, now: float) -> None:
    assert 1 <= retry_after({"Retry-After": value}, now) <= MAX_RETRY_AFTER_SECONDS


def test_the_reference_verifier_definition_is_itself_right() -> None:
    assert re.fullmatch(r"[A-Za-z0-9._~-]+", "".join(sorted(UNRESERVED)))
    assert len(UNRESERVED) == 66
