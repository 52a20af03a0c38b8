"""Turn an API Gateway REST proxy event (payload 1.0) into the client's fields."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from core.errors import bad_request
from core.http_headers import header

MAX_BODY_BYTES = 16 * 1024

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


class Duplicate:
    """Stands for a field the client sent more than once, so validation can refuse it by name."""

    def __repr__(self) -> str:
        return "<duplicate>"


DUPLICATE = Duplicate()

Fields = dict[str, object]


@dataclass(frozen=True)
class ApiRequest:
    method: str
    headers: Mapping[str, str]
    body: str | None
    is_base64_encoded: bool

    def header(self, name: str) -> str | None:
        return header(self.headers, name)


def api_request(event: Mapping[str, Any]) -> ApiRequest:
    """Read the parts of a REST proxy event the proxy uses, tolerating API Gateway's nulls."""
    body = event.get("body")
    return ApiRequest(
        method=str(event.get("httpMethod") or "").upper(),
        headers=_headers(event),
        body=body if isinstance(body, str) else None,
        is_base64_encoded=event.get("isBase64Encoded") is True,
    )


def _headers(event: Mapping[str, Any]) -> dict[str, str]:
    """`headers`, completed from `multiValueHeaders` (last value) for any name it lacks."""
    merged: dict[str, str] = {}
    multi = event.get("multiValueHeaders")
    if isinstance(multi, Mapping):
        for name, values in multi.items():
            if isinstance(values, list) and values and values[-1] is not None:
                merged[str(name)] = str(values[-1])
    single = event.get("headers")
    if isinstance(single, Mapping):
        merged.update({str(name): str(value) for name, value in single.items() if value is not None})
    return merged


def parse_fields(request: ApiRequest, max_bytes: int = MAX_BODY_BYTES) -> Fields:
    """Decode the body as JSON or form fields; only core.errors.ProxyError escapes from here."""
    raw = _body_bytes(request, max_bytes)
    if not raw.strip():
        raise bad_request("the request body is empty")
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")  # RFC 8259 section 8.1: a parser may ignore a BOM
    except UnicodeDecodeError:
        raise bad_request("the request body is not valid UTF-8") from None

    media_type = _media_type(request.header("content-type"), text)
    if media_type == JSON or media_type.endswith("+json"):
        return _json_fields(text)
    if media_type == FORM:
        return _form_fields(text)
    raise bad_request(f"Content-Type must be {JSON} or {FORM}", status=415)


def _body_bytes(request: ApiRequest, max_bytes: int) -> bytes:
    body = request.body or ""
    if request.is_base64_encoded:
        if len(body) > (max_bytes * 4) // 3 + 4:
            raise bad_request(f"the request body is larger than {max_bytes} bytes", status=413)
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise bad_request("the request body is not valid base64") from None
    else:
        if len(body) > max_bytes:
            raise bad_request(f"the request body is larger than {max_bytes} bytes", status=413)
        raw = body.encode("utf-8", errors="surrogatepass")
    if len(raw) > max_bytes:
        raise bad_request(f"the request body is larger than {max_bytes} bytes", status=413)
    return raw


def _media_type(content_type: str | None, text: str) -> str:
    if content_type:
        return content_type.split(";", 1)[0].strip().lower()
    # No Content-Type at all: a JSON object is unmistakable, anything else is read as a form.
    return JSON if text.lstrip().startswith("{") else FORM


def _keep_duplicates(pairs: list[tuple[str, object]]) -> Fields:
    fields: Fields = {}
    for key, value in pairs:
        fields[key] = DUPLICATE if key in fields else value
    return fields


def _json_fields(text: str) -> Fields:
    try:
        document = json.loads(text, object_pairs_hook=_keep_duplicates)
    except (ValueError, RecursionError):
        raise bad_request("the request body is not valid JSON") from None
    if not isinstance(document, dict):
        raise bad_request("the request body must be a JSON object")
    return document


def _form_fields(text: str) -> Fields:
    try:
        # No max_num_fields: unknown fields are ignored, not refused, and MAX_BODY_BYTES bounds the work.
        pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except (ValueError, UnicodeDecodeError):
        raise bad_request("the request body is not a valid form") from None
    return _keep_duplicates([(key, value) for key, value in pairs])
