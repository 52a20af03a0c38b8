"""The request pipeline every function shares: the pure core wired to the adapters, one request at a time.

event -> parse and validate (core) -> client credentials (Secrets Manager) -> replay window
(DynamoDB) around the call to Kick -> classify Kick's answer (core) -> response and one summary line
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from core.budget import Budget
from core.errors import SERVER_ERROR, ProxyError, bad_request, server_error, upstream_timeout
from core.grants import ClientCredentials, Grant, GrantParser, upstream_form
from core.kick_answer import KickResult, classify
from core.request_body import api_request, parse_fields
from core.responses import ApiResponse, cors_headers, error_response, json_response, preflight_response
from core.settings import ConfigurationError, Settings, settings_from
from proxy.adapters.aws_session import AwsSession
from proxy.adapters.kick import KickClient
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
        self.credentials = ClientCredentialsReader(boto3_session=self.aws)
        self.replay = ReplayWindow(logger, metrics, self.aws)
        self.warmup = Warmup(self.kick, self.credentials, self.replay)


container = Container()


@dataclass(frozen=True)
class Handled:
    """A request's response and what its summary line reports."""

    response: ApiResponse
    outcome: str
    upstream: KickResult | None = None
    replay: ReplaySource | None = None


def handle_token_request(event: Mapping[str, Any], grant_type: str, parse_grant: GrantParser) -> ApiResponse:
    started = time.monotonic()
    first, container.served = not container.served, True
    # A container's first request creates its clients and pools, as long-lived as the imports: the
    # same treatment (docs/performance.md).
    with collector_paused() if first else contextlib.nullcontext():
        try:
            handled = _handle(event, parse_grant, started)
        finally:
            container.warmup.finish()  # before the answer: nothing of this request runs after it
    _count_and_log(handled, grant_type, started)
    return handled.response


def _handle(event: Mapping[str, Any], parse_grant: GrantParser, started: float) -> Handled:
    cors: dict[str, str] = {}
    try:
        settings = settings_from(os.environ)
        request = api_request(event)
        cors = cors_headers(request.header("origin"), settings.allowed_origins)
        if request.method == "OPTIONS":
            return Handled(preflight_response(cors), "preflight")
        if request.method not in ("POST", ""):
            raise bad_request("use POST", status=405)
        grant = parse_grant(parse_fields(request), settings.allowed_redirect_uris)
        container.warmup.start(settings, Budget(started, settings.upstream_timeout_seconds))
        credentials = container.credentials.read(settings.secret_id)
        budget = Budget(started, settings.upstream_timeout_seconds)
        call_kick = _kick_call(settings, grant, credentials, budget)
        reply = container.replay.answer(settings, grant, credentials, call_kick, budget.finish_by)
    except ProxyError as error:
        return Handled(error_response(error, cors), error.error)
    except (ConfigurationError, CredentialsUnavailable) as failure:
        logger.error("the proxy is misconfigured or cannot read its secret", extra={"reason": str(failure)})
        return Handled(error_response(server_error(), cors), SERVER_ERROR)
    except Exception as unexpected:  # answer in the contract's shape; log where, never the message
        _log_unexpected(unexpected)
        return Handled(error_response(server_error(), cors), SERVER_ERROR)

    result = reply.result
    if result.error is not None:
        return Handled(error_response(result.error, cors), result.error.error, result)
    return Handled(json_response(200, result.body or "", cors), "success", result, reply.source)


def _count_and_log(handled: Handled, grant_type: str, started: float) -> None:
    """Count the outcome and write the request's one summary line."""
    metrics.add_metric(name=handled.outcome, unit=MetricUnit.Count, value=1)
    upstream = handled.upstream
    logger.info(
        "token request finished",
        extra={
            "grant_type": grant_type,
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
    """What Kick's answer to the grant comes to, keeping `reserve` seconds of the budget for what follows."""
    form = upstream_form(grant, credentials)

    def call(reserve: float) -> KickResult:
        allowance = budget.upstream_allowance(time.monotonic(), reserve)
        if allowance <= 0:
            return KickResult.failed(upstream_timeout())
        try:
            answer = container.kick.post_form(settings.token_url, form, allowance)
        except ProxyError as unanswered:
            return KickResult.failed(unanswered)
        metrics.add_metric(name="upstream_latency", unit=MetricUnit.Milliseconds, value=answer.latency_ms)
        try:
            result = classify(answer.status, answer.headers, answer.body, time.time(), answer.latency_ms)
        except Exception as unexpected:  # Kick did answer: the summary line still says how
            _log_unexpected(unexpected)
            return KickResult(None, server_error(), answer.status, round(answer.latency_ms, 1))
        if result.error is not None and result.error.error == SERVER_ERROR:
            logger.error("Kick refused the proxy's client credentials", extra={"reason": result.error.description})
        return result

    return call


def _log_unexpected(unexpected: Exception) -> None:
    logger.error(
        "unexpected failure",
        extra={"exception_type": type(unexpected).__name__, "frames": code_locations(unexpected)},
    )


LambdaHandler = Callable[[Any, Any], ApiResponse]


def lambda_handler_for(grant_type: str, parse_grant: GrantParser) -> LambdaHandler:
    @logger.inject_lambda_context(
        correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False, clear_state=True
    )
    @metrics.log_metrics(capture_cold_start_metric=True)
    def instrumented(event: Any, context: Any) -> ApiResponse:
        return handle_token_request(event if isinstance(event, Mapping) else {}, grant_type, parse_grant)

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
