"""core.request_body: what the proxy accepts as a request body, and how it refuses the rest."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest

from core.errors import INVALID_REQUEST
from core.grants import parse_authorization_code
from core.request_body import DUPLICATE, MAX_BODY_BYTES, api_request, parse_fields
from tests.core.core_support import (
    ALLOWLIST,
    CODE,
    EXCHANGE_PATH,
    FORM_TYPE,
    JSON_TYPE,
    assert_not_echoed,
    exchange_fields,
    fields_of,
    refusal,
    request_for,
)
from tests.support.events import rest_event
from tests.support.proxy import REDIRECT_URI, VERIFIER

EXCHANGE = exchange_fields()
EXCHANGE_JSON = json.dumps(EXCHANGE)
EXCHANGE_FORM = urlencode(EXCHANGE)


def padded_json(size: int) -> str:
    """A JSON exchange body of exactly `size` UTF-8 bytes (padding in an ignored field)."""
    skeleton = json.dumps({**EXCHANGE, "padding": ""})
    body = json.dumps({**EXCHANGE, "padding": "x" * (size - len(skeleton))})
    assert len(body.encode()) == size
    return body


# --- media types ---------------------------------------------------------------------------------


def test_a_json_object_body_gives_its_fields() -> None:
    assert fields_of(EXCHANGE_JSON) == EXCHANGE


def test_a_form_body_gives_its_fields() -> None:
    assert fields_of(EXCHANGE_FORM, FORM_TYPE) == EXCHANGE


JSON_MEDIA_TYPES = [
    "application/json; charset=utf-8",
    "application/json;charset=UTF-8",
    'application/json ; charset="utf-8"',
    "Application/JSON",
    "  application/json  ",
    # RFC 6839 structured syntax suffix: read as JSON too.
    "application/vnd.kick+json",
    "application/merge-patch+json",
    "application/problem+json; charset=utf-8",
]
FORM_MEDIA_TYPES = [
    "application/x-www-form-urlencoded; charset=utf-8",
    "application/x-www-form-urlencoded;charset=UTF-8",
    "APPLICATION/X-WWW-FORM-URLENCODED",
]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        *((EXCHANGE_JSON, json_type) for json_type in JSON_MEDIA_TYPES),
        *((EXCHANGE_FORM, form) for form in FORM_MEDIA_TYPES),
    ],
)
def test_json_and_form_media_types_match_case_insensitively_with_any_parameters(body: str, content_type: str) -> None:
    assert fields_of(body, content_type) == EXCHANGE


@pytest.mark.parametrize("header_name", ["content-type", "CONTENT-TYPE", "Content-type"])
def test_the_content_type_header_name_is_case_insensitive(header_name: str) -> None:
    event = rest_event(EXCHANGE_PATH, EXCHANGE_FORM, {header_name: FORM_TYPE})
    assert parse_fields(api_request(event)) == EXCHANGE


@pytest.mark.parametrize("body", [EXCHANGE_JSON, "  \n\t" + EXCHANGE_JSON])
def test_without_content_type_a_json_object_is_read_as_json(body: str) -> None:
    assert fields_of(body, content_type=None) == EXCHANGE


def test_without_content_type_anything_else_is_read_as_a_form() -> None:
    assert fields_of(EXCHANGE_FORM, content_type=None) == EXCHANGE


def test_without_content_type_a_broken_json_object_is_refused_as_json() -> None:
    error = refusal(fields_of, '{"code": ', None)
    assert (error.status, error.error) == (400, INVALID_REQUEST)
    assert "JSON" in error.description


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/html; charset=utf-8",
        "multipart/form-data; boundary=xyz",
        "application/xml",
        "application/jsonp",
        "application/json5",
        "application/octet-stream",
        "json",
        "application/jso",
        "text/canary-type-4711",
        " ",
    ],
)
def test_other_content_types_are_refused_with_415(content_type: str) -> None:
    error = refusal(fields_of, EXCHANGE_JSON, content_type)
    assert (error.status, error.error) == (415, INVALID_REQUEST)
    assert_not_echoed(error, "canary-type-4711")


# --- base64 (API Gateway binary media types) -------------------------------------------------------


def test_a_base64_encoded_json_body_is_decoded() -> None:
    assert fields_of(EXCHANGE_JSON, JSON_TYPE, base64_encoded=True) == EXCHANGE


def test_a_base64_encoded_form_body_is_decoded() -> None:
    assert fields_of(EXCHANGE_FORM, FORM_TYPE, base64_encoded=True) == EXCHANGE


def test_a_base64_encoded_body_without_content_type_is_sniffed_after_decoding() -> None:
    assert fields_of(EXCHANGE_JSON, None, base64_encoded=True) == EXCHANGE


@pytest.mark.parametrize(
    "body",
    [
        "not base64 at all!!",
        "=eyJjb2RlIjoiYSJ9",  # padding first
        "eyJjb2RlIjoiYSJ9\n",  # trailing newline
        "eyJjb2RlIjoiYSJ",  # truncated
        "eyJj b2RlIjoiYSJ9",  # embedded space
        "ëyJjb2RlIjoiYSJ9",  # non-ASCII
    ],
)
def test_invalid_base64_is_refused_with_400(body: str) -> None:
    event = rest_event(EXCHANGE_PATH, body, {"Content-Type": JSON_TYPE})
    event["isBase64Encoded"] = True
    error = refusal(parse_fields, api_request(event))
    assert (error.status, error.error) == (400, INVALID_REQUEST)
    assert "base64" in error.description
    assert_not_echoed(error, body)


@pytest.mark.parametrize("flag", [None, "true", 1, "True"])
def test_only_a_literal_true_marks_a_body_as_base64(flag: Any) -> None:
    event = rest_event(EXCHANGE_PATH, EXCHANGE_JSON, {"Content-Type": JSON_TYPE})
    event["isBase64Encoded"] = flag
    assert parse_fields(api_request(event)) == EXCHANGE


# --- empty and oversized bodies --------------------------------------------------------------------


@pytest.mark.parametrize("body", [None, "", "   ", "\r\n\t "])
@pytest.mark.parametrize("content_type", [JSON_TYPE, FORM_TYPE, None])
def test_an_empty_body_is_refused_with_400(body: str | None, content_type: str | None) -> None:
    error = refusal(fields_of, body, content_type)
    assert (error.status, error.error) == (400, INVALID_REQUEST)
    assert "empty" in error.description


def test_an_empty_base64_body_is_refused_with_400() -> None:
    error = refusal(fields_of, b"", JSON_TYPE, True)
    assert (error.status, error.error) == (400, INVALID_REQUEST)


def test_a_body_of_exactly_the_limit_is_accepted() -> None:
    assert fields_of(padded_json(MAX_BODY_BYTES))["code"] == CODE


def test_a_body_one_byte_over_the_limit_is_refused_with_413() -> None:
    error = refusal(fields_of, padded_json(MAX_BODY_BYTES + 1))
    assert (error.status, error.error) == (413, INVALID_REQUEST)


def test_the_limit_counts_utf8_bytes_not_characters() -> None:
    body = json.dumps({**EXCHANGE, "padding": "é" * (MAX_BODY_BYTES // 2)}, ensure_ascii=False)
    assert len(body) < MAX_BODY_BYTES < len(body.encode())
    error = refusal(fields_of, body)
    assert error.status == 413


def test_a_base64_body_decoding_to_exactly_the_limit_is_accepted() -> None:
    assert fields_of(padded_json(MAX_BODY_BYTES), JSON_TYPE, True)["code"] == CODE


def test_a_base64_body_decoding_to_one_byte_over_the_limit_is_refused_with_413() -> None:
    error = refusal(fields_of, padded_json(MAX_BODY_BYTES + 1), JSON_TYPE, True)
    assert (error.status, error.error) == (413, INVALID_REQUEST)


def test_a_huge_base64_body_is_refused_with_413_before_decoding() -> None:
    event = rest_event(EXCHANGE_PATH, "!" * (10 * MAX_BODY_BYTES), {"Content-Type": JSON_TYPE})
    event["isBase64Encoded"] = True
    assert refusal(parse_fields, api_request(event)).status == 413


def test_a_huge_plain_body_is_refused_with_413() -> None:
    assert refusal(fields_of, "a=" + "b" * (1024 * 1024), FORM_TYPE).status == 413


def test_the_limit_can_be_chosen_by_the_caller() -> None:
    request = request_for(EXCHANGE_JSON)
    assert parse_fields(request, max_bytes=len(EXCHANGE_JSON)) == EXCHANGE
    assert refusal(parse_fields, request, len(EXCHANGE_JSON) - 1).status == 413


# --- encodings and syntax --------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [b'{"code": "\xff\xfe"}', b"code=\xc3\x28", b"\xed\xa0\x80=x"])
def test_a_body_that_is_not_utf8_is_refused_with_400(raw: bytes) -> None:
    error = refusal(fields_of, raw, None, True)
    assert (error.status, error.error) == (400, INVALID_REQUEST)
    assert "UTF-8" in error.description


def test_a_plain_body_with_a_lone_surrogate_is_refused_with_400() -> None:
    error = refusal(fields_of, '{"code": "\ud800"}')
    assert (error.status, error.error) == (400, INVALID_REQUEST)


@pytest.mark.parametrize("body", ["code=%ff", "code=%C3%28", "%ED%A0%80=x"])
def test_a_form_whose_percent_escapes_are_not_utf8_is_refused_with_400(body: str) -> None:
    error = refusal(fields_of, body, FORM_TYPE)
    assert (error.status, error.error) == (400, INVALID_REQUEST)


@pytest.mark.parametrize(
    "body",
    ['{"code": ', "{'code': 'single quotes'}", '{"code": "a",}', '{"code": "canary-55"'],
)
def test_malformed_json_is_refused_with_400(body: str) -> None:
    error = refusal(fields_of, body)
    assert (error.status, error.error) == (400, INVALID_REQUEST)
    assert_not_echoed(error, "canary-55")


@pytest.mark.parametrize("content_type", [JSON_TYPE, None])
def test_a_byte_order_mark_before_the_body_is_ignored(content_type: str | None) -> None:
    assert fields_of(("\ufeff" + EXCHANGE_JSON).encode("utf-8"), content_type) == EXCHANGE


@pytest.mark.parametrize("body", ["[" * 5000 + "]" * 5000, '{"a":' * 2000 + "1" + "}" * 2000])
def test_deeply_nested_json_is_refused_with_400_not_a_crash(body: str) -> None:
    # Python 3.11 and 3.12 stop at their recursion limit ("not valid JSON"); 3.13 parses the object
    # and the exchange then finds no code. Either way: a 400, never a crash.
    error = refusal(lambda: parse_authorization_code(fields_of(body), ALLOWLIST))
    assert (error.status, error.error) == (400, INVALID_REQUEST)


def test_an_integer_too_long_to_convert_is_refused_with_400() -> None:
    error = refusal(fields_of, '{"code": ' + "9" * 5000 + "}")
    assert (error.status, error.error) == (400, INVALID_REQUEST)


@pytest.mark.parametrize("document", [[], [EXCHANGE], "code", 42, 4.2, None, True, False])
def test_json_that_is_not_an_object_is_refused_with_400(document: Any) -> None:
    error = refusal(fields_of, json.dumps(document))
    assert (error.status, error.error) == (400, INVALID_REQUEST)
    assert "object" in error.description


@pytest.mark.parametrize("content_type", [JSON_TYPE, FORM_TYPE])
def test_non_ascii_values_survive_decoding(content_type: str) -> None:
    fields = {"code": "kód-コード-🎮", "note": "naïve"}
    body = json.dumps(fields) if content_type == JSON_TYPE else urlencode(fields)
    assert fields_of(body, content_type) == fields


def test_json_values_keep_their_json_types_for_validation_to_judge() -> None:
    document = {"code": 7, "code_verifier": None, "redirect_uri": ["x"], "extra": {"a": True}}
    assert fields_of(json.dumps(document)) == document


def test_form_values_are_percent_and_plus_decoded() -> None:
    assert fields_of("code=a+b%2Bc%26d%3De%25f", FORM_TYPE) == {"code": "a b+c&d=e%f"}


def test_form_fields_without_a_value_are_kept_as_empty_strings() -> None:
    assert fields_of("code=&redirect_uri", FORM_TYPE) == {"code": "", "redirect_uri": ""}


def test_a_form_with_many_unknown_fields_is_read_like_the_same_json() -> None:
    unknown = {f"f{index}": "x" for index in range(1000)}
    assert fields_of(urlencode({**EXCHANGE, **unknown}), FORM_TYPE) == fields_of(json.dumps({**EXCHANGE, **unknown}))


# --- duplicates and unknown fields -----------------------------------------------------------------


def test_a_json_field_sent_twice_is_marked_duplicate() -> None:
    body = '{"code": "first", "code": "second", "redirect_uri": "r"}'
    assert fields_of(body) == {"code": DUPLICATE, "redirect_uri": "r"}


def test_a_json_field_sent_three_times_stays_duplicate() -> None:
    assert fields_of('{"code": "a", "code": "b", "code": "a"}') == {"code": DUPLICATE}


def test_a_form_field_sent_twice_is_marked_duplicate() -> None:
    assert fields_of("code=first&code=second&redirect_uri=r", FORM_TYPE) == {"code": DUPLICATE, "redirect_uri": "r"}


def test_a_form_field_sent_twice_with_the_same_value_is_still_duplicate() -> None:
    assert fields_of("code=same&code=same", FORM_TYPE) == {"code": DUPLICATE}


def test_field_names_are_case_sensitive() -> None:
    assert fields_of('{"code": "a", "Code": "b"}') == {"code": "a", "Code": "b"}


def test_unknown_fields_are_returned_for_the_grant_to_ignore() -> None:
    body = json.dumps({**EXCHANGE, "client_secret": "mine", "scope": "everything"})
    assert fields_of(body) == {**EXCHANGE, "client_secret": "mine", "scope": "everything"}


def test_the_duplicate_marker_never_shows_its_value() -> None:
    assert repr(DUPLICATE) == "<duplicate>"


# --- reading the event -----------------------------------------------------------------------------


def test_api_request_reads_method_headers_body_and_base64_flag() -> None:
    event = rest_event(EXCHANGE_PATH, EXCHANGE_JSON, {"Content-Type": JSON_TYPE}, method="post")
    request = api_request(event)
    assert request.method == "POST"
    assert request.header("content-type") == JSON_TYPE
    assert request.body == EXCHANGE_JSON
    assert request.is_base64_encoded is False


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"httpMethod": None, "headers": None, "body": None, "isBase64Encoded": None},
        {"httpMethod": "POST", "headers": ["Content-Type"], "body": 12, "isBase64Encoded": "yes"},
        {"httpMethod": "POST", "headers": {"Content-Type": None, "Origin": None}, "body": b"code=x"},
    ],
)
def test_api_request_tolerates_api_gateway_nulls_and_odd_shapes(event: dict[str, Any]) -> None:
    request = api_request(event)
    assert request.body is None
    assert request.is_base64_encoded is False
    assert request.header("content-type") is None
    assert refusal(parse_fields, request).status == 400


def test_api_request_stringifies_header_values() -> None:
    request = api_request({"headers": {"X-Count": 3}})
    assert request.header("x-count") == "3"


def test_the_exchange_fixture_is_a_real_exchange() -> None:
    assert EXCHANGE == {"code": CODE, "code_verifier": VERIFIER, "redirect_uri": REDIRECT_URI}


def test_headers_missing_from_headers_are_taken_from_multi_value_headers() -> None:
    event = rest_event(EXCHANGE_PATH, EXCHANGE_JSON, {"Content-Type": JSON_TYPE, "Origin": "http://localhost:1420"})
    event["headers"] = None
    request = api_request(event)
    assert request.header("origin") == "http://localhost:1420"
    assert parse_fields(request) == EXCHANGE


def test_headers_win_over_multi_value_headers_and_the_last_repeated_value_counts() -> None:
    event = rest_event(EXCHANGE_PATH, EXCHANGE_JSON, {"Content-Type": JSON_TYPE})
    event["multiValueHeaders"] = {"Content-Type": ["text/plain"], "Origin": ["https://a.example", "https://b.example"]}
    request = api_request(event)
    assert request.header("content-type") == JSON_TYPE
    assert request.header("origin") == "https://b.example"
