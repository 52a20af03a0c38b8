"""Not one code, verifier, token, secret, request body or upstream body in any output, at any level.

Every sensitive value is a distinctive canary. Each scenario (success, every error class, timeouts,
Secrets Manager failures, invalid bodies, an unexpected exception whose message carries a canary)
runs with LOG_LEVEL=DEBUG and POWERTOOLS_LOGGER_LOG_EVENT=true, while fds 1 and 2 and every log
record of every logger at DEBUG are captured. Any canary anywhere fails the scenario, and so does
a canary in a response except the tokens Kick legitimately issued to this client.

Each scenario also writes exactly one INFO "token request finished" line, carrying the outcome,
status, grant type, upstream status and latency, and the API Gateway request id as correlation id.
"""

from __future__ import annotations

import base64
import json
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.support.assertions import assert_no_store_headers
from tests.support.events import rest_event
from tests.support.kick_stub import Answer, KickStub, html_answer, json_answer
from tests.support.logs import CapturedOutput, captured_output
from tests.support.proxy import ALLOWED_ORIGIN, CLIENT_ID, REDIRECT_URI, Invocation, Proxy
from tests.support.sockets import DripServer, SilentServer, closed_port, http_response
from tests.support.token_requests import EXCHANGE, REFRESH

DEADLINE = "1"


class Canary:
    CODE = "cnryCODE7f3a91d2"
    VERIFIER = "cnryVERIFIER-4b8e._~" + "Qx7Lm2Np9Rt4Vw6Yz8Ab3Cd5"  # 44 characters of the RFC 7636 alphabet
    REFRESH_IN = "cnryREFRESHIN52c1e9"
    CLIENT_SECRET = "cnryCLIENTSECRET88d0f4"
    ACCESS_OUT = "cnryACCESSOUT1b7e3c"
    REFRESH_OUT = "cnryREFRESHOUT4e2d6a"
    UNKNOWN_FIELD = "cnryUNKNOWNFIELD93aa05"
    KICK_DESCRIPTION = "cnryKICKDESCRIPTION0c4f77"
    HTML_PAGE = "cnryHTMLPAGE6d1e2b"
    EXCEPTION = "cnryEXCEPTION2a8b9c"
    REVOKED_TOKEN = "cnryREVOKEDTOKEN7c3f10"
    APP_SECRET = "cnryAPPSECRET5e91b7"
    FOREIGN_CLIENT = "cnryFOREIGNCLIENT0d6a4c"

    @classmethod
    def all(cls) -> dict[str, str]:
        return {name: value for name, value in vars(cls).items() if name.isupper()}


ISSUED_TO_CLIENT = {Canary.ACCESS_OUT, Canary.REFRESH_OUT}

assert 43 <= len(Canary.VERIFIER) <= 128


def issued_tokens() -> Answer:
    return json_answer(
        200,
        {
            "access_token": Canary.ACCESS_OUT,
            "token_type": "Bearer",
            "refresh_token": Canary.REFRESH_OUT,
            "expires_in": 14400,
            "scope": "user:read",
        },
    )


def exchange_fields(**overrides: str) -> dict[str, str]:
    return {
        "code": Canary.CODE,
        "code_verifier": Canary.VERIFIER,
        "redirect_uri": REDIRECT_URI,
        "client_secret": Canary.UNKNOWN_FIELD,
        "note": Canary.UNKNOWN_FIELD,
        **overrides,
    }


def refresh_fields(**overrides: str) -> dict[str, str]:
    return {"refresh_token": Canary.REFRESH_IN, "debug": Canary.UNKNOWN_FIELD, **overrides}


JSON = {"Content-Type": "application/json", "Origin": ALLOWED_ORIGIN}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def exchange_json(**overrides: str) -> dict[str, Any]:
    return rest_event(EXCHANGE, json.dumps(exchange_fields(**overrides)), JSON)


def refresh_json(**overrides: str) -> dict[str, Any]:
    return rest_event(REFRESH, json.dumps(refresh_fields(**overrides)), JSON)


@dataclass
class Run:
    proxy: Proxy
    monkeypatch: pytest.MonkeyPatch
    second_kick: KickStub
    cleanups: list[Callable[[], None]] = field(default_factory=list)


def noop(run: Run) -> None:
    return


@dataclass(frozen=True)
class Scenario:
    name: str
    grant: str  # the endpoint: "exchange", "refresh", "token" or "revoke"
    event: Callable[[], dict[str, Any]]
    status: int
    arrange: Callable[[Run], None] = noop
    kick_called: bool = True
    # Strings that must never be output in this scenario besides the canaries (e.g. Kick's raw body).
    upstream_body: bytes = b""
    # /v1/kick/token: the grant the summary line names (None: none was dispatched).
    dispatched: str | None = None


def before_kick(
    name: str, grant: str, event: Callable[[], dict[str, Any]], status: int, arrange: Callable[[Run], None] = noop
) -> Scenario:
    """A scenario the proxy answers without calling Kick."""
    return Scenario(name, grant, event, status, arrange, kick_called=False)


def kick_answers(answer: Answer) -> Callable[[Run], None]:
    def arrange(run: Run) -> None:
        run.proxy.kick.answer(answer)

    return arrange


def kick_says(status: int, document: object, headers: dict[str, str] | None = None) -> Callable[[Run], None]:
    return kick_answers(json_answer(status, document, headers))


def kick_describes(status: int, error: str, headers: dict[str, str] | None = None) -> Callable[[Run], None]:
    """Kick's error with an error_description that quotes the code (which must not reach any output)."""
    return kick_says(status, {"error": error, **KICK_DESCRIBED}, headers)


def both(*arrangements: Callable[[Run], None]) -> Callable[[Run], None]:
    def arrange(run: Run) -> None:
        for arrangement in arrangements:
            arrangement(run)

    return arrange


def with_env(**variables: str) -> Callable[[Run], None]:
    def arrange(run: Run) -> None:
        for name, value in variables.items():
            run.monkeypatch.setenv(name, value)

    return arrange


def secret_string(value: str) -> Callable[[Run], None]:
    def arrange(run: Run) -> None:
        run.proxy.moto.put_secret(run.proxy.secret_id, value)

    return arrange


def kick_refuses_connections(run: Run) -> None:
    run.monkeypatch.setenv("KICK_TOKEN_URL", f"http://127.0.0.1:{closed_port()}/oauth/token")


def secrets_manager_refuses_connections(run: Run) -> None:
    run.monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", f"http://127.0.0.1:{closed_port()}")
    run.proxy.new_container(fresh_aws_session=True)


def secrets_manager_hangs(run: Run) -> None:
    silent = SilentServer().start()
    run.cleanups.append(silent.stop)
    run.monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", silent.url)
    run.monkeypatch.setenv("UPSTREAM_TIMEOUT_SECONDS", DEADLINE)
    run.proxy.new_container(fresh_aws_session=True)


def secrets_manager_drips(run: Run) -> None:
    secret = json.dumps({"client_id": CLIENT_ID, "client_secret": Canary.CLIENT_SECRET})
    body = json.dumps({"Name": run.proxy.secret_id, "SecretString": secret, "VersionId": "v1"}).encode()
    dripping = DripServer(http_response(200, body, "application/x-amz-json-1.1"), 0.05).start()
    run.cleanups.append(dripping.stop)
    run.monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", dripping.url)
    run.monkeypatch.setenv("UPSTREAM_TIMEOUT_SECONDS", DEADLINE)
    run.proxy.new_container(fresh_aws_session=True)


def redirect_to_second_kick(run: Run) -> None:
    run.proxy.kick.answer(
        Answer(status=307, headers={"Location": f"{run.second_kick.url}?leak={Canary.KICK_DESCRIPTION}"})
    )


def core_raises(run: Run) -> None:
    """An unexpected bug deep in the request path, with sensitive values in its message and cause."""
    from core import kick_answer

    def token_body(status: int, headers: object, body: bytes, now: float) -> str:
        try:
            raise KeyError(f"{Canary.ACCESS_OUT} {body.decode()}")
        except KeyError as cause:
            raise RuntimeError(f"{Canary.EXCEPTION} while reading {body!r} for {Canary.CODE}") from cause

    run.monkeypatch.setattr(kick_answer, "token_body", token_body)
    run.proxy.kick.answer(issued_tokens())


def secret_read_raises(run: Run) -> None:
    from botocore.client import BaseClient

    make_api_call = BaseClient._make_api_call

    def raising(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        if operation_name == "GetSecretValue":
            raise RuntimeError(f"{Canary.EXCEPTION} secret {Canary.CLIENT_SECRET} for {api_params['SecretId']}")
        return make_api_call(self, operation_name, api_params)

    run.monkeypatch.setattr(BaseClient, "_make_api_call", raising)


def form_raises(run: Run) -> None:
    from proxy import pipeline

    def upstream_form(grant: object, credentials: Any) -> str:
        raise ValueError(f"{Canary.EXCEPTION} {credentials.client_secret} {grant!r} {vars(grant)}")

    run.monkeypatch.setattr(pipeline, "upstream_form", upstream_form)


ISSUED = issued_tokens()
KICK_DESCRIBED = {"error_description": f"the code {Canary.CODE} failed: {Canary.KICK_DESCRIPTION}"}
HTML_PAGE = f"<html><body><h1>Error</h1><p>{Canary.HTML_PAGE} {Canary.CODE}</p></body></html>"
CLOUDFLARE = Answer(
    status=403,
    body=f"<html><title>Attention Required! | Cloudflare</title><p>{Canary.HTML_PAGE}</p></html>".encode(),
    headers={"Content-Type": "text/html", "Server": "cloudflare", "CF-RAY": "8c1f2a3b4d"},
)
NON_JSON = Answer(
    status=200,
    body=f"access_token={Canary.ACCESS_OUT}&refresh_token={Canary.REFRESH_OUT}".encode(),
    headers={"Content-Type": "text/plain"},
)
DRIPPING = Answer(status=200, body=ISSUED.body, headers=ISSUED.headers, drip_seconds_per_byte=0.2)
SLOW = Answer(status=200, body=ISSUED.body, headers=ISSUED.headers, delay_seconds=2)


# --- /v1/kick/token and /v1/kick/revoke -------------------------------------------------------------

TOKEN_PATH = "/v1/kick/token"
REVOKE_PATH = "/v1/kick/revoke"


def basic_auth(client_id: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{password}".encode()).decode()}


def token_code_form() -> dict[str, Any]:
    fields = {"grant_type": "authorization_code", "client_id": CLIENT_ID, **exchange_fields()}
    fields["client_secret"] = Canary.APP_SECRET
    return rest_event(TOKEN_PATH, urlencode(fields), FORM)


def token_refresh_basic(client_id: str = CLIENT_ID) -> dict[str, Any]:
    fields = {"grant_type": "refresh_token", "scope": Canary.UNKNOWN_FIELD, **refresh_fields()}
    return rest_event(TOKEN_PATH, urlencode(fields), {**FORM, **basic_auth(client_id, Canary.APP_SECRET)})


def token_fields_event(**fields: str) -> Callable[[], dict[str, Any]]:
    return lambda: rest_event(TOKEN_PATH, urlencode(fields), FORM)


def revoke_event(**overrides: str) -> dict[str, Any]:
    fields = {"token": Canary.REVOKED_TOKEN, "token_type_hint": "refresh_token", "note": Canary.UNKNOWN_FIELD}
    return rest_event(REVOKE_PATH, urlencode({**fields, **overrides}), {**FORM, "Origin": ALLOWED_ORIGIN})


def revoke_url_at(url: str) -> Callable[[Run], None]:
    def arrange(run: Run) -> None:
        run.monkeypatch.setenv("KICK_REVOKE_URL", url)

    return arrange


def kick_revoke_refuses_connections(run: Run) -> None:
    """requests' ConnectionError quotes the URL, and with it the token in the query."""
    revoke_url_at(f"http://127.0.0.1:{closed_port()}/oauth/revoke")(run)


def kick_revoke_sends_unparsable_headers(run: Run) -> None:
    """urllib3 logs a WARNING quoting the request URL, the token in its query, for a header it cannot parse."""
    raw = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nbroken header\r\n\r\nOK"
    server = DripServer(raw, 0.0001).start()
    run.cleanups.append(server.stop)
    revoke_url_at(f"{server.url}/oauth/revoke")(run)


def kick_revoke_drips(run: Run) -> None:
    server = DripServer(http_response(200, b"OK" * 20, "text/plain"), 0.2).start()
    run.cleanups.append(server.stop)
    run.monkeypatch.setenv("UPSTREAM_TIMEOUT_SECONDS", DEADLINE)
    revoke_url_at(f"{server.url}/oauth/revoke")(run)


def revocation_classifier_raises(run: Run) -> None:
    from proxy import pipeline

    def classify_revocation(status: int, headers: object, body: bytes, now: float, latency: float) -> object:
        raise RuntimeError(f"{Canary.EXCEPTION} revoking {Canary.REVOKED_TOKEN} got {body!r}")

    run.monkeypatch.setattr(pipeline, "classify_revocation", classify_revocation)
    run.proxy.kick.answer(Answer(status=200, body=b"OK"))


def redirect_revocation_to_second_kick(run: Run) -> None:
    run.proxy.kick.answer(
        Answer(status=307, headers={"Location": f"{run.second_kick.revoke_url}?token={Canary.REVOKED_TOKEN}"})
    )


KICK_REVOKED = Answer(status=200, body=b"OK", headers={"Content-Type": "text/plain; charset=utf-8"})

SCENARIOS = [
    Scenario("exchange-json-success", "exchange", exchange_json, 200, kick_answers(ISSUED), upstream_body=ISSUED.body),
    Scenario(
        "exchange-form-success",
        "exchange",
        lambda: rest_event(EXCHANGE, urlencode(exchange_fields()), FORM),
        200,
        kick_answers(ISSUED),
        upstream_body=ISSUED.body,
    ),
    Scenario(
        "exchange-base64-success",
        "exchange",
        lambda: rest_event(EXCHANGE, json.dumps(exchange_fields()).encode(), JSON),
        200,
        kick_answers(ISSUED),
        upstream_body=ISSUED.body,
    ),
    Scenario("refresh-json-success", "refresh", refresh_json, 200, kick_answers(ISSUED), upstream_body=ISSUED.body),
    Scenario(
        "refresh-form-base64-success",
        "refresh",
        lambda: rest_event(REFRESH, urlencode(refresh_fields()), FORM, base64_encoded=True),
        200,
        kick_answers(ISSUED),
        upstream_body=ISSUED.body,
    ),
    Scenario("kick-invalid-request", "exchange", exchange_json, 400, kick_says(400, {"error": "Invalid request"})),
    Scenario("kick-invalid-grant-described", "refresh", refresh_json, 400, kick_describes(400, "invalid_grant")),
    Scenario("kick-invalid-client-described", "exchange", exchange_json, 500, kick_describes(401, "invalid_client")),
    Scenario("kick-html-500", "exchange", exchange_json, 502, kick_answers(html_answer(500, HTML_PAGE))),
    Scenario("kick-cloudflare-403", "refresh", refresh_json, 502, kick_answers(CLOUDFLARE)),
    Scenario("kick-non-json-200", "exchange", exchange_json, 502, kick_answers(NON_JSON), upstream_body=NON_JSON.body),
    Scenario(
        "kick-200-without-access-token",
        "refresh",
        refresh_json,
        502,
        kick_says(200, {"refresh_token": Canary.REFRESH_OUT, "note": Canary.ACCESS_OUT}),
    ),
    Scenario("kick-redirect", "exchange", exchange_json, 502, redirect_to_second_kick),
    Scenario("kick-429", "refresh", refresh_json, 502, kick_describes(429, "slow down", {"Retry-After": "3600"})),
    Scenario("kick-unexpected-4xx", "refresh", refresh_json, 502, kick_says(418, {"error": Canary.KICK_DESCRIPTION})),
    Scenario(
        "kick-drips-past-deadline",
        "exchange",
        exchange_json,
        504,
        both(with_env(UPSTREAM_TIMEOUT_SECONDS=DEADLINE), kick_answers(DRIPPING)),
    ),
    Scenario(
        "kick-slower-than-deadline",
        "refresh",
        refresh_json,
        504,
        both(with_env(UPSTREAM_TIMEOUT_SECONDS=DEADLINE), kick_answers(SLOW)),
    ),
    before_kick("kick-refuses-connections", "exchange", exchange_json, 502, kick_refuses_connections),
    before_kick(
        "secret-missing",
        "refresh",
        refresh_json,
        500,
        with_env(KICK_SECRET_ID=f"missing/{Canary.UNKNOWN_FIELD}"),
    ),
    before_kick(
        "secret-not-json",
        "exchange",
        exchange_json,
        500,
        secret_string(f"client_id={CLIENT_ID}&client_secret={Canary.CLIENT_SECRET}"),
    ),
    before_kick(
        "secret-without-client-secret",
        "refresh",
        refresh_json,
        500,
        secret_string(json.dumps({"client_id": CLIENT_ID, "clientSecret": Canary.CLIENT_SECRET})),
    ),
    before_kick(
        "secret-not-an-object",
        "refresh",
        refresh_json,
        500,
        secret_string(json.dumps([CLIENT_ID, Canary.CLIENT_SECRET])),
    ),
    before_kick(
        "secrets-manager-refuses-connections",
        "exchange",
        exchange_json,
        500,
        secrets_manager_refuses_connections,
    ),
    before_kick("secrets-manager-hangs", "refresh", refresh_json, 500, secrets_manager_hangs),
    before_kick("secrets-manager-drips", "exchange", exchange_json, 500, secrets_manager_drips),
    before_kick(
        "invalid-json-body",
        "exchange",
        lambda: rest_event(EXCHANGE, json.dumps(exchange_fields())[:-1], JSON),
        400,
    ),
    before_kick(
        "invalid-verifier",
        "exchange",
        lambda: exchange_json(code_verifier=Canary.VERIFIER + "+" + Canary.CODE),
        400,
    ),
    before_kick(
        "redirect-uri-not-allowlisted",
        "exchange",
        lambda: exchange_json(redirect_uri=f"https://evil.example/cb?c={Canary.CODE}"),
        400,
    ),
    before_kick(
        "duplicate-field",
        "refresh",
        lambda: rest_event(REFRESH, f"refresh_token={Canary.REFRESH_IN}&refresh_token={Canary.REFRESH_IN}", FORM),
        400,
    ),
    before_kick(
        "wrong-type-field",
        "refresh",
        lambda: rest_event(REFRESH, json.dumps({"refresh_token": [Canary.REFRESH_IN]}), JSON),
        400,
    ),
    before_kick(
        "oversized-body",
        "refresh",
        lambda: rest_event(REFRESH, json.dumps(refresh_fields(pad=Canary.REFRESH_IN * 2000)), JSON),
        413,
    ),
    before_kick(
        "unsupported-content-type",
        "refresh",
        lambda: rest_event(REFRESH, urlencode(refresh_fields()), {"Content-Type": "text/plain"}),
        415,
    ),
    before_kick(
        "invalid-base64-body",
        "refresh",
        lambda: {**refresh_json(), "isBase64Encoded": True, "body": f"*{Canary.REFRESH_IN}*"},
        400,
    ),
    before_kick(
        "invalid-utf8-body",
        "refresh",
        lambda: rest_event(REFRESH, f"refresh_token={Canary.REFRESH_IN}".encode() + b"\xff", FORM),
        400,
    ),
    Scenario("unexpected-exception-reading-kick", "exchange", exchange_json, 500, core_raises),
    before_kick("unexpected-exception-reading-secret", "refresh", refresh_json, 500, secret_read_raises),
    before_kick("unexpected-exception-building-form", "refresh", refresh_json, 500, form_raises),
    before_kick(
        "get-method",
        "refresh",
        lambda: rest_event(REFRESH, json.dumps(refresh_fields()), JSON, method="GET"),
        405,
    ),
    before_kick(
        "preflight",
        "exchange",
        lambda: rest_event(
            EXCHANGE, None, {"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "POST"}, "OPTIONS"
        ),
        204,
    ),
    before_kick(
        "misconfigured-timeout",
        "exchange",
        exchange_json,
        500,
        with_env(UPSTREAM_TIMEOUT_SECONDS=Canary.UNKNOWN_FIELD),
    ),
    Scenario(
        "token-form-code-success",
        "token",
        token_code_form,
        200,
        kick_answers(ISSUED),
        upstream_body=ISSUED.body,
        dispatched="authorization_code",
    ),
    Scenario(
        "token-basic-refresh-success",
        "token",
        token_refresh_basic,
        200,
        kick_answers(ISSUED),
        upstream_body=ISSUED.body,
        dispatched="refresh_token",
    ),
    before_kick(
        "token-unsupported-grant",
        "token",
        token_fields_event(grant_type="password", username=Canary.UNKNOWN_FIELD, password=Canary.APP_SECRET),
        400,
    ),
    before_kick(
        "token-missing-grant-type",
        "token",
        token_fields_event(refresh_token=Canary.REFRESH_IN),
        400,
    ),
    Scenario(
        "token-foreign-client-basic",
        "token",
        lambda: token_refresh_basic(Canary.FOREIGN_CLIENT),
        401,
        kick_called=False,
        dispatched="refresh_token",
    ),
    Scenario(
        "token-kick-html-500",
        "token",
        token_code_form,
        502,
        kick_answers(html_answer(500, HTML_PAGE)),
        dispatched="authorization_code",
    ),
    Scenario(
        "token-kick-drips-past-deadline",
        "token",
        token_refresh_basic,
        504,
        both(with_env(UPSTREAM_TIMEOUT_SECONDS=DEADLINE), kick_answers(DRIPPING)),
        dispatched="refresh_token",
    ),
    Scenario("revoke-success", "revoke", revoke_event, 200, kick_answers(KICK_REVOKED)),
    Scenario("revoke-unknown-token", "revoke", revoke_event, 200, kick_describes(400, "Invalid request")),
    Scenario("revoke-kick-html-500", "revoke", revoke_event, 502, kick_answers(html_answer(500, HTML_PAGE))),
    Scenario("revoke-kick-redirect", "revoke", revoke_event, 502, redirect_revocation_to_second_kick),
    before_kick(
        "revoke-kick-refuses-connections",
        "revoke",
        revoke_event,
        502,
        kick_revoke_refuses_connections,
    ),
    before_kick(
        "revoke-kick-unparsable-headers",
        "revoke",
        revoke_event,
        200,
        kick_revoke_sends_unparsable_headers,
    ),
    before_kick("revoke-kick-drips-past-deadline", "revoke", revoke_event, 504, kick_revoke_drips),
    before_kick(
        "revoke-unsupported-hint",
        "revoke",
        lambda: revoke_event(token_type_hint=Canary.UNKNOWN_FIELD),
        400,
    ),
    before_kick(
        "revoke-foreign-client",
        "revoke",
        lambda: revoke_event(client_id=Canary.FOREIGN_CLIENT, client_secret=Canary.APP_SECRET),
        401,
    ),
    Scenario(
        "revoke-basic-with-a-secret",
        "revoke",
        lambda: {**revoke_event(), "headers": {**FORM, **basic_auth(CLIENT_ID, Canary.APP_SECRET)}},
        200,
        kick_answers(KICK_REVOKED),
    ),
    Scenario("unexpected-exception-classifying-revocation", "revoke", revoke_event, 500, revocation_classifier_raises),
]


# What the summary line reports Kick answered; None where Kick gave no answer or was not asked.
UPSTREAM_STATUS = {
    "exchange-json-success": 200,
    "exchange-form-success": 200,
    "exchange-base64-success": 200,
    "refresh-json-success": 200,
    "refresh-form-base64-success": 200,
    "kick-invalid-request": 400,
    "kick-invalid-grant-described": 400,
    "kick-invalid-client-described": 401,
    "kick-html-500": 500,
    "kick-cloudflare-403": 403,
    "kick-non-json-200": 200,
    "kick-200-without-access-token": 200,
    "kick-redirect": 307,
    "kick-429": 429,
    "kick-unexpected-4xx": 418,
    "unexpected-exception-reading-kick": 200,
    "token-form-code-success": 200,
    "token-basic-refresh-success": 200,
    "token-kick-html-500": 500,
    "revoke-success": 200,
    "revoke-unknown-token": 400,
    "revoke-kick-html-500": 500,
    "revoke-kick-redirect": 307,
    "revoke-kick-unparsable-headers": 200,
    "revoke-basic-with-a-secret": 200,
    "unexpected-exception-classifying-revocation": 200,
}
assert set(UPSTREAM_STATUS) <= {scenario.name for scenario in SCENARIOS}


@pytest.fixture
def debug_proxy(proxy: Proxy, monkeypatch: pytest.MonkeyPatch) -> Iterator[Proxy]:
    """The proxy with the canary client secret, logging at DEBUG and asked to log whole events."""
    from proxy.observability import logger

    proxy.moto.put_secret(proxy.secret_id, {"client_id": CLIENT_ID, "client_secret": Canary.CLIENT_SECRET})
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("POWERTOOLS_LOGGER_LOG_EVENT", "true")
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "DEBUG")
    underlying = logging.getLogger(logger.service)
    previous = underlying.level
    # What a cold start with this environment does: Powertools reads the level when the module loads.
    logger.setLevel(os.environ["LOG_LEVEL"])
    assert underlying.isEnabledFor(logging.DEBUG)
    yield proxy
    underlying.setLevel(previous)


def invoke(proxy: Proxy, grant: str, event: dict[str, Any]) -> Invocation:
    endpoints = {"exchange": proxy.exchange, "refresh": proxy.refresh, "token": proxy.token, "revoke": proxy.revoke}
    return endpoints[grant](event)


def leaks(text: str, allowed: set[str] = frozenset()) -> dict[str, str]:  # type: ignore[assignment]
    return {name: value for name, value in Canary.all().items() if value in text and value not in allowed}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[scenario.name for scenario in SCENARIOS])
def test_no_sensitive_value_reaches_any_output_and_one_summary_line_is_logged(
    debug_proxy: Proxy,
    monkeypatch: pytest.MonkeyPatch,
    second_kick: KickStub,
    capfd: pytest.CaptureFixture[str],
    scenario: Scenario,
) -> None:
    run = Run(debug_proxy, monkeypatch, second_kick)
    event = scenario.event()
    with captured_output(capfd) as output:
        logging.getLogger("hygiene.probe").debug("probe")
        scenario.arrange(run)
        try:
            answer = invoke(debug_proxy, scenario.grant, event)
        finally:
            for cleanup in run.cleanups:
                cleanup()
        everything = output.everything()

    assert answer.status == scenario.status, answer.body
    assert_no_store_headers(answer)
    assert bool(debug_proxy.kick.received) == scenario.kick_called
    assert second_kick.received == []

    # The net was live at DEBUG for any library logger.
    assert any(record.name == "hygiene.probe" for record in output.handler.records)
    # Nothing sensitive in any output, at any level, tracebacks included...
    assert leaks(everything) == {}, f"canaries in the output of {scenario.name}"
    for raw in (event.get("body"), scenario.upstream_body.decode() if scenario.upstream_body else None):
        if raw and len(raw) > 16:
            assert raw not in everything, "a request or upstream body was output"
    assert "Traceback" not in everything

    # ...nor in the response, unless it is the client's own newly issued tokens.
    response = json.dumps({"headers": answer.headers, "body": answer.body})
    allowed = ISSUED_TO_CLIENT if answer.status == 200 else set()
    assert leaks(response, allowed) == {}, f"canaries in the response of {scenario.name}"

    assert_one_summary_line(output, scenario, event, answer)


def assert_one_summary_line(
    output: CapturedOutput, scenario: Scenario, event: dict[str, Any], answer: Invocation
) -> None:
    finished = output.finished_lines("".join(output.stdout))
    assert len(finished) == 1, f"{len(finished)} summary lines for {scenario.name}"
    [line] = finished
    assert line["level"] == "INFO"
    assert line["correlation_id"] == event["requestContext"]["requestId"]
    assert line["status"] == answer.status
    assert line["endpoint"] == scenario.grant
    if scenario.grant == "revoke":
        assert "grant_type" not in line
    elif scenario.grant == "token":
        assert line.get("grant_type") == scenario.dispatched
    else:
        assert line["grant_type"] == ("authorization_code" if scenario.grant == "exchange" else "refresh_token")
    assert isinstance(line["outcome"], str)
    assert line["outcome"]
    if answer.status >= 400:
        # The line tells operators more than the client's code where it matters: Kick blocking the proxy.
        blocked = scenario.name == "kick-cloudflare-403"
        assert line["outcome"] == ("upstream_blocked" if blocked else answer.json["error"])
    assert isinstance(line["latency_ms"], int | float)
    assert line["latency_ms"] >= 0
    # 0 stands for "Kick gave no answer" (Powertools would drop a None-valued key from the line).
    assert line["upstream_status"] == UPSTREAM_STATUS.get(scenario.name, 0)


def test_the_scenarios_cover_every_error_the_contract_names() -> None:
    statuses = {scenario.status for scenario in SCENARIOS}
    assert statuses >= {200, 204, 400, 405, 413, 415, 500, 502, 504}


def test_the_canaries_are_distinct_and_do_not_contain_each_other() -> None:
    values = list(Canary.all().values())
    assert len(set(values)) == len(values)
    for value in values:
        assert [other for other in values if value in other] == [value]
