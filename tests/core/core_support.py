"""Small builders shared by the unit tests of the pure core."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from core.errors import ProxyError
from core.grants import ClientCredentials
from core.request_body import ApiRequest, Fields, api_request, parse_fields
from tests.support.events import rest_event
from tests.support.proxy import DEV_REDIRECT_URI, REDIRECT_URI, VERIFIER

EXCHANGE_PATH = "/v1/kick/exchange"
REFRESH_PATH = "/v1/kick/refresh"
JSON_TYPE = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"

ALLOWLIST = frozenset({REDIRECT_URI, DEV_REDIRECT_URI})
CREDENTIALS = ClientCredentials(client_id="proxy-client-id", client_secret="proxy-client-secret")
T = TypeVar("T")

CODE = "c0de-Canary-7f3a"
REFRESH_TOKEN = "refresh-Canary-91bd"


def exchange_fields(**overrides: object) -> dict[str, object]:
    """A valid exchange body; an override of None removes the field."""
    fields: dict[str, object] = {"code": CODE, "code_verifier": VERIFIER, "redirect_uri": REDIRECT_URI}
    fields.update(overrides)
    return {name: value for name, value in fields.items() if value is not None}


def request_for(
    body: str | bytes | None,
    content_type: str | None = JSON_TYPE,
    base64_encoded: bool = False,
    path: str = EXCHANGE_PATH,
) -> ApiRequest:
    """The ApiRequest a real REST proxy event with this body and Content-Type turns into."""
    headers = {} if content_type is None else {"Content-Type": content_type}
    return api_request(rest_event(path, body, headers, base64_encoded=base64_encoded))


def json_request(document: Any, content_type: str = JSON_TYPE) -> ApiRequest:
    return request_for(json.dumps(document), content_type)


def fields_of(body: str | bytes | None, content_type: str | None = JSON_TYPE, base64_encoded: bool = False) -> Fields:
    return parse_fields(request_for(body, content_type, base64_encoded))


def refusal(action: Any, *args: Any) -> ProxyError:
    """Run action(*args), which must answer with a ProxyError, and return that error."""
    with pytest.raises(ProxyError) as caught:
        action(*args)
    return caught.value


def assert_not_echoed(error: ProxyError, *values: str) -> None:
    """An error description is shown to clients and logged: it must never carry a request value."""
    for value in values:
        if value.strip():
            assert value not in error.description
            assert value not in str(error)


def attempt(action: Callable[..., T], *args: Any) -> T | ProxyError:
    """Run action(*args) and return its result, or the ProxyError it answered with."""
    try:
        return action(*args)
    except ProxyError as error:
        return error
