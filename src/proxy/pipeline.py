"""The request pipeline every function shares: the pure core wired to the adapters, one request at a time.

Token endpoints (exchange, refresh, token): event -> parse and validate (core) -> client credentials
(Secrets Manager) -> replay window (DynamoDB) around the call to Kick -> classify Kick's answer (core)
-> response and one summary line.
Revocation: event -> parse and validate -> the call to Kick's revocation endpoint under the same
deadline, never through the replay window -> classify -> response and one summary line.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from types import SimpleNamespace
from typing import Any, Generic, TypeVar

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from core.budget import Budget
from core.client_auth import NO_CLIENT, check_client, presented_client
from core.errors import SERVER_ERROR, ProxyError, bad_request, server_error, upstream_timeout
from core.grants import (
    GRANT_PARSERS,
    ClientCredentials,
    Grant,
    GrantParser,
    refuse_contradicting_grant_type,
    requested_grant_type,
    upstream_form,
)
from core.kick_answer import ClientRefused, KickResult, classify
from core.request_body import ApiRequest, Fields, api_request, parse_fields
from core.responses import ApiResponse, cors_headers, error_response, json_response, preflight_response
from core.revocation import Revocation, classify_revocation, parse_revocation, upstream_revocation_url
from core.settings import ConfigurationError, Settings, settings_from
from proxy.adapters.aws_session import AwsSession
from proxy.adapters.kick import KickAnswer, KickClient
from proxy.adapters.secrets_manager import ClientCredentialsReader, CredentialsUnavailable
from proxy.cold_start import collector_paused
from proxy.observability import SERVICE, code_locations, logger, metrics
from proxy.replay_window import KickCall, ReplaySource, ReplayWindow
from proxy.warmup import Warmup


@dataclass
class Container:
    """What a Lambda container keeps between invocations: one client per outside system, one AWS session."""

    aws: AwsSession = field(default_factory=AwsSession)
    kick: KickClient = field(default_factory=KickClient)
    credentials: ClientCredentialsReader = field(init=False)
    replay: ReplayWindow = field(init=False)
    warmup: Warmup = field(init=False)
    served: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self.credentials = ClientCredentialsReader(self.aws)
        self.replay = ReplayWindow(logger, metrics, self.aws)
        self.warmup = Warmup(self)


container = Container()


@dataclass(frozen=True)
class Handled:
    """A request's response and what its summary line reports."""

    response: ApiResponse
    outcome: str
    upstream: KickResult | None = None
    replay: ReplaySource | None = None
    # What the body asked for, as the summary line names it (the grant type dispatched, the token type hint).
    asked: Mapping[str, str] = field(default_factory=dict)


# What a request came to upstream, and where the answer came from (None: not through the replay window).
Served = tuple[KickResult, ReplaySource | None]
Request = TypeVar("Request")


@dataclass(frozen=True)
class Route(Generic[Request]):
    """One endpoint's own steps after the shared ones: what the body asks for, then serving it."""

    labels: Mapping[str, str]  # what every summary line of this endpoint names
    read: Callable[[Fields], tuple[Request, Mapping[str, str]]]  # the request, and what the summary line names
    serve: Callable[[Request, Settings, ApiRequest, Fields, float], Served]


Classifier = Callable[[int, Mapping[str, str], bytes, float, float], KickResult]


@dataclass(frozen=True)
class GrantRoute:
    """How a token endpoint learns which grant a request is for, and whether it takes client authentication."""

    dispatch: Callable[[Fields], str]
    parsers: Mapping[str, GrantParser]
    authenticates_client: bool


def handle_request(event: Mapping[str, Any], route: Route[Any]) -> ApiResponse:
    started = time.monotonic()
    first, container.served = not container.served, True
    # A container's first request creates its clients and pools, as long-lived as the imports: the
    # same treatment (docs/performance.md).
    with collector_paused() if first else contextlib.nullcontext():
        try:
            handled = _handle(event, route, started)
        finally:
            container.warmup.finish()  # before the answer: nothing of this request runs after it
    _count_and_log(handled, route.labels, started)
    return handled.response


def _handle(event: Mapping[str, Any], route: Route[Any], started: float) -> Handled:
    cors: dict[str, str] = {}
    asked: Mapping[str, str] = {}
    try:
        settings = settings_from(os.environ)
        request = api_request(event)
        cors = cors_headers(request.header("origin"), settings.allowed_origins)
        if request.method == "OPTIONS":
            return Handled(preflight_response(cors), "preflight")
        if request.method not in ("POST", ""):
            raise bad_request("use POST", status=405)
        fields = parse_fields(request)
        asked_for, asked = route.read(fields)
        result, source = route.serve(asked_for, settings, request, fields, started)
    except ProxyError as error:
        return Handled(error_response(error, cors), error.outcome or error.error, asked=asked)
    except (ConfigurationError, CredentialsUnavailable) as failure:
        logger.error("the proxy is misconfigured or cannot read its secret", extra={"reason": str(failure)})
        return Handled(error_response(server_error(), cors), SERVER_ERROR, asked=asked)
    except Exception as unexpected:  # answer in the contract's shape; log where, never the message
        _log_unexpected(unexpected)
        return Handled(error_response(server_error(), cors), SERVER_ERROR, asked=asked)

    if result.error is not None:
        outcome = result.error.outcome or result.error.error
        return Handled(error_response(result.error, cors), outcome, result, asked=asked)
    return Handled(json_response(200, result.body or "", cors), result.outcome, result, source, asked)


def _serve_grant(
    route: GrantRoute, grant_type: str, settings: Settings, request: ApiRequest, fields: Fields, started: float
) -> Served:
    """Tokens for a grant: through the replay window around the call to Kick's token endpoint."""
    client = presented_client(fields, request.header("authorization")) if route.authenticates_client else NO_CLIENT
    grant = route.parsers[grant_type](fields, settings.allowed_redirect_uris)
    budget = Budget(started, settings.upstream_timeout_seconds)
    container.warmup.start(settings, budget)  # what needs no secret, in the background (proxy/warmup.py)
    credentials = container.credentials.read(settings.secret_id)
    check_client(client, credentials.client_id)
    call_kick = _kick_call(settings, grant, credentials, budget)
    reply = container.replay.answer(settings, grant, credentials, call_kick, budget.finish_by)
    return reply.result, reply.source


def _read_grant_type(route: GrantRoute, fields: Fields) -> tuple[str, Mapping[str, str]]:
    grant_type = route.dispatch(fields)
    return grant_type, {"grant_type": grant_type}


def _read_revocation(fields: Fields) -> tuple[Revocation, Mapping[str, str]]:
    revocation = parse_revocation(fields)
    return revocation, {"token_type_hint": revocation.token_type_hint or "none"}


def _serve_revocation(
    revocation: Revocation, settings: Settings, request: ApiRequest, fields: Fields, started: float
) -> Served:
    """RFC 7009 revocation at Kick's revocation endpoint: once, never retried, never replayed."""
    client = presented_client(fields, request.header("authorization"))
    if client.client_id is not None:  # Kick takes no credentials here: the secret is read only to check the id
        check_client(client, container.credentials.read(settings.secret_id).client_id)
    url = upstream_revocation_url(settings.revoke_url, revocation)
    budget = Budget(started, settings.upstream_timeout_seconds)
    result = _ask_kick(partial(container.kick.post_revocation, url), classify_revocation, budget, 0.0)
    if result.error is not None and result.error.error == SERVER_ERROR:
        logger.error("Kick refused the proxy's revocation request", extra={"reason": result.error.description})
    return result, None


def _count_and_log(handled: Handled, labels: Mapping[str, str], started: float) -> None:
    """Count the outcome and write the request's one summary line."""
    metrics.add_metric(name=handled.outcome, unit=MetricUnit.Count, value=1)
    upstream = handled.upstream
    logger.info(
        "token request finished",
        extra={
            **labels,
            **handled.asked,
            # 0: Kick was not called or gave no answer (Powertools drops None-valued keys).
            "upstream_status": upstream.upstream_status if upstream else 0,
            "upstream_latency_ms": upstream.upstream_latency_ms if upstream else None,
            "replay": handled.replay,
            "outcome": handled.outcome,
            "status": handled.response["statusCode"],
            "latency_ms": round((time.monotonic() - started) * 1000, 1),
        },
    )


def _kick_call(settings: Settings, grant: Grant, credentials: ClientCredentials, budget: Budget) -> KickCall:
    """What Kick's answer to the grant comes to, keeping `reserve` seconds of the budget for what follows.

    When Kick refuses the client credentials, the secret is read again past every cache and, if it
    changed (a rotation), Kick is asked once more: it authenticates the client before it looks at the
    grant, so the refused attempt spent no code or refresh token. Once, within the same budget.
    """

    def ask(form: str, reserve: float) -> KickResult:
        send = partial(container.kick.post_form, settings.token_url, form)
        return _ask_kick(send, classify, budget, reserve)

    def call(reserve: float) -> KickResult:
        result = ask(upstream_form(grant, credentials), reserve)
        if isinstance(result.error, ClientRefused):
            renewed = _renewed_credentials(settings, credentials, budget, reserve)
            if renewed is not None:
                result = ask(upstream_form(grant, renewed), reserve)
        if result.error is not None and result.error.error == SERVER_ERROR:
            logger.error("Kick refused the proxy's client credentials", extra={"reason": result.error.description})
        return result

    return call


def _ask_kick(
    send: Callable[[float], KickAnswer], classify_answer: Classifier, budget: Budget, reserve: float
) -> KickResult:
    """One call to Kick within what the budget leaves (`send` gets its allowance), its answer classified."""
    allowance = budget.upstream_allowance(time.monotonic(), reserve)
    if allowance <= 0:
        return KickResult.failed(upstream_timeout())
    try:
        answer = send(allowance)
    except ProxyError as unanswered:
        return KickResult.failed(unanswered)
    metrics.add_metric(name="upstream_latency", unit=MetricUnit.Milliseconds, value=answer.latency_ms)
    try:
        return classify_answer(answer.status, answer.headers, answer.body, time.time(), answer.latency_ms)
    except Exception as unexpected:  # Kick did answer: the summary line still says how
        _log_unexpected(unexpected)
        return KickResult(None, server_error(), answer.status, round(answer.latency_ms, 1))


def _renewed_credentials(
    settings: Settings, refused: ClientCredentials, budget: Budget, reserve: float
) -> ClientCredentials | None:
    """The secret's current value if it is not the one Kick refused; None when unchanged or unreadable."""
    try:
        renewed = container.credentials.read_again(
            settings.secret_id, refused, budget.finish_by - reserve - time.monotonic()
        )
    except CredentialsUnavailable as failure:
        logger.warning("reading the secret again failed", extra={"reason": str(failure)})
        return None
    if renewed is not None:
        logger.info("the client secret changed since it was cached; asking Kick again with the new one")
    return renewed


def _log_unexpected(unexpected: Exception) -> None:
    logger.error(
        "unexpected failure",
        extra={"exception_type": type(unexpected).__name__, "frames": code_locations(unexpected)},
    )


LambdaHandler = Callable[[Any, Any], ApiResponse]


def lambda_handler_for(grant_type: str, parse_grant: GrantParser) -> LambdaHandler:
    """/v1/kick/exchange and /v1/kick/refresh: one grant each, no client authentication."""

    def dispatch(fields: Fields) -> str:
        refuse_contradicting_grant_type(fields, grant_type)
        return grant_type

    endpoint = "exchange" if grant_type == "authorization_code" else "refresh"
    return _lambda_handler(_grant_route(dispatch, {grant_type: parse_grant}, False, endpoint, grant_type=grant_type))


def token_lambda_handler() -> LambdaHandler:
    """/v1/kick/token (RFC 6749 section 3.2): the grant the request names, public-client authentication."""
    return _lambda_handler(_grant_route(requested_grant_type, GRANT_PARSERS, True, "token"))


def revoke_lambda_handler() -> LambdaHandler:
    """/v1/kick/revoke (RFC 7009)."""
    return _lambda_handler(Route({"endpoint": "revoke"}, _read_revocation, _serve_revocation))


def _grant_route(
    dispatch: Callable[[Fields], str],
    parsers: Mapping[str, GrantParser],
    authenticates_client: bool,
    endpoint: str,
    **labels: str,
) -> Route[str]:
    grant_route = GrantRoute(dispatch, parsers, authenticates_client)
    return Route(
        {"endpoint": endpoint, **labels}, partial(_read_grant_type, grant_route), partial(_serve_grant, grant_route)
    )


def _lambda_handler(route: Route[Any]) -> LambdaHandler:
    @logger.inject_lambda_context(
        correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False, clear_state=True
    )
    @metrics.log_metrics(capture_cold_start_metric=True)
    def instrumented(event: Any, context: Any) -> ApiResponse:
        return handle_request(event if isinstance(event, Mapping) else {}, route)

    def lambda_handler(event: Any, context: Any) -> ApiResponse:
        response: ApiResponse = instrumented(event, _complete_context(context))
        return response

    return lambda_handler


# What Powertools reads from the context; test harnesses and local runners often pass less, or None.
_CONTEXT_DEFAULTS = {
    "function_name": SERVICE,
    "function_version": "$LATEST",
    "invoked_function_arn": f"arn:aws:lambda:local:000000000000:function:{SERVICE}",
    "memory_limit_in_mb": 128,
    "aws_request_id": "local",
    "log_group_name": "local",
    "log_stream_name": "local",
}


def _complete_context(context: Any) -> Any:
    if all(hasattr(context, name) for name in _CONTEXT_DEFAULTS):
        return context
    return SimpleNamespace(**{name: getattr(context, name, value) for name, value in _CONTEXT_DEFAULTS.items()})
