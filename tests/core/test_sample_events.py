"""events/*.json (for `sam local invoke -e`) and env.json (for `--env-vars`) say what they mean."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.client_auth import presented_client
from core.errors import INVALID_REQUEST, UNSUPPORTED_GRANT_TYPE, UNSUPPORTED_TOKEN_TYPE, ProxyError
from core.grants import (
    GRANT_PARSERS,
    Grant,
    parse_authorization_code,
    parse_refresh_token,
    refuse_contradicting_grant_type,
    requested_grant_type,
)
from core.request_body import api_request, parse_fields
from core.revocation import Revocation, parse_revocation
from core.settings import settings_from
from tests.support.contract import FUNCTION_ROUTES, KICK_VARIABLES
from tests.support.events import EVENTS_DIR, sample_event

ENV_FILE = EVENTS_DIR.parent / "env.json"
SAMPLES = sorted(path.stem for path in EVENTS_DIR.glob("*.json"))

# What the core makes of each sample: None parses (to a grant or a revocation), else the refusal's
# status, error and what its description starts with.
EXPECTED: dict[str, tuple[int, str, str] | None] = {
    "exchange": None,
    "exchange-form": None,
    "exchange-base64": None,
    "exchange-bad-verifier": (400, INVALID_REQUEST, "code_verifier must be 43 to 128 characters"),
    "exchange-foreign-redirect": (400, INVALID_REQUEST, "redirect_uri is not one of"),
    "exchange-missing-code": (400, INVALID_REQUEST, "code is required"),
    "exchange-contradicting-grant-type": (
        400,
        UNSUPPORTED_GRANT_TYPE,
        "this endpoint serves grant_type authorization_code",
    ),
    "refresh": None,
    "refresh-form": None,
    "refresh-missing-token": (400, INVALID_REQUEST, "refresh_token is required"),
    "refresh-wrong-content-type": (415, INVALID_REQUEST, "Content-Type must be"),
    "token-exchange": None,
    "token-refresh": None,
    # The client id is checked against the deployment's secret, beyond the core: see tests/handlers.
    "token-refresh-foreign-client": None,
    "token-unsupported-grant-refresh": (400, UNSUPPORTED_GRANT_TYPE, "the proxy serves grant_type"),
    "revoke-refresh-token": None,
    "revoke-refresh-token-bad-hint": (400, UNSUPPORTED_TOKEN_TYPE, "token_type_hint must be"),
}
ENV_VARIABLES = KICK_VARIABLES | {"POWERTOOLS_SERVICE_NAME", "LOG_LEVEL"}


def endpoint_of(name: str) -> str:
    """The route a sample is for: its name's first word when that names an endpoint, else exchange or refresh."""
    first = name.split("-", 1)[0]
    if first in ("token", "revoke"):
        return first
    return "exchange" if "exchange" in name else "refresh"


def core_reading(name: str) -> Grant | Revocation:
    """What the core makes of a sample, in the order the pipeline asks."""
    request = api_request(sample_event(name))
    fields = parse_fields(request)
    endpoint = endpoint_of(name)
    if endpoint == "revoke":
        presented_client(fields, request.header("authorization"))
        return parse_revocation(fields)
    if endpoint == "token":
        presented_client(fields, request.header("authorization"))
        return GRANT_PARSERS[requested_grant_type(fields)](fields, allowed_redirect_uris())
    grant_type = "authorization_code" if endpoint == "exchange" else "refresh_token"
    refuse_contradicting_grant_type(fields, grant_type)
    parse = parse_authorization_code if endpoint == "exchange" else parse_refresh_token
    return parse(fields, allowed_redirect_uris())


def allowed_redirect_uris() -> frozenset[str]:
    env = json.loads(ENV_FILE.read_text())["ExchangeFunction"]
    return settings_from(env).allowed_redirect_uris


def test_every_expected_sample_exists_and_every_sample_has_an_expectation() -> None:
    assert set(SAMPLES) == set(EXPECTED)


@pytest.mark.parametrize("name", SAMPLES)
def test_a_sample_file_name_says_exchange_or_refresh_but_not_both(name: str) -> None:
    assert ("exchange" in name) != ("refresh" in name)


@pytest.mark.parametrize("name", SAMPLES)
def test_a_sample_is_a_complete_rest_proxy_event_for_its_route(name: str) -> None:
    event = sample_event(name)
    path = f"/v1/kick/{endpoint_of(name)}"
    assert (event["resource"], event["path"], event["httpMethod"]) == (path, path, "POST")
    assert isinstance(event["isBase64Encoded"], bool)
    assert isinstance(event["body"], str)
    assert event["multiValueHeaders"] == {header: [value] for header, value in event["headers"].items()}
    assert "queryStringParameters" in event
    context = event["requestContext"]
    assert context["requestId"]
    assert context["stage"]
    assert context["identity"]["sourceIp"]
    assert context["resourcePath"] == path


@pytest.mark.parametrize("name", SAMPLES)
def test_a_sample_parses_to_its_expected_outcome(name: str) -> None:
    expected = EXPECTED[name]
    if expected is None:
        reading = core_reading(name)
        if isinstance(reading, Revocation):
            assert endpoint_of(name) == "revoke"
        else:
            assert reading.grant_type == ("authorization_code" if "exchange" in name else "refresh_token")
        return
    with pytest.raises(ProxyError) as caught:
        core_reading(name)
    status, error, description = expected
    assert (caught.value.status, caught.value.error) == (status, error)
    assert caught.value.description.startswith(description)


def test_the_json_form_and_base64_exchange_samples_carry_the_same_fields() -> None:
    fields = [
        parse_fields(api_request(sample_event(name))) for name in ("exchange", "exchange-form", "exchange-base64")
    ]
    assert fields[0] == fields[1] == fields[2]
    assert sample_event("exchange-base64")["isBase64Encoded"] is True


def test_the_json_and_form_refresh_samples_carry_the_same_fields() -> None:
    assert parse_fields(api_request(sample_event("refresh"))) == parse_fields(api_request(sample_event("refresh-form")))


def test_env_json_configures_every_function_completely() -> None:
    env = json.loads(ENV_FILE.read_text())
    assert set(env) == set(FUNCTION_ROUTES)
    for variables in env.values():
        assert set(variables) >= ENV_VARIABLES
        assert all(isinstance(value, str) for value in variables.values())
        settings = settings_from(variables)
        assert settings.token_url == "http://host.docker.internal:3001/oauth/token"
        assert settings.revoke_url == "http://host.docker.internal:3001/oauth/revoke"
        assert "battles-record://oauth/callback" in settings.allowed_redirect_uris


def test_env_json_sits_at_the_repository_root() -> None:
    assert Path(__file__).resolve().parents[2] / "env.json" == ENV_FILE
