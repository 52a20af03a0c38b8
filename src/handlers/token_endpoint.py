"""The request path both functions share: wiring around the pure core, one screen long."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from types import SimpleNamespace
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from core.errors import SERVER_ERROR, ProxyError, bad_request, server_error, upstream_timeout
from core.grants import ClientCredentials, Grant, GrantParser, upstream_form
from core.kick_answer import token_body
from core.request_body import api_request, parse_fields
from core.responses import ApiResponse, cors_headers, error_response, json_response, preflight_response
from core.settings import ConfigurationError, Settings, settings_from
from handlers.client_credentials import CredentialsUnavailable, client_credentials
from handlers.failure_log import code_locations
from handlers.kick_http import KickClient
from handlers.replay_window import KickCall, ReplayWindow

SERVICE = "kick-oauth-proxy"
# Secrets Manager may use part of this on top of the upstream deadline; the contract allows 2 s.
SECRET_ALLOWANCE_SECONDS = 1.5

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME") or SERVICE)
metrics = Metrics(
    namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "KickOAuthProxy",
    service=os.environ.get("POWERTOOLS_SERVICE_NAME") or SERVICE,
)
kick = KickClient()
replay = ReplayWindow(logger, metrics)

# botocore logs whole request and response bodies at DEBUG, the secret among them; LOG_LEVEL=DEBUG
# is for our own lines only.
for _library in ("botocore", "boto3", "urllib3", "s3transfer"):
    logging.getLogger(_library).setLevel(logging.INFO)


def handle_token_request(event: Mapping[str, Any], grant_type: str, parse_grant: GrantParser) -> ApiResponse:
    started = time.monotonic()
    # upstream_status 0: Kick was not called or gave no answer (Powertools drops None-valued keys).
    summary: dict[str, Any] = {"grant_type": grant_type, "upstream_status": 0, "upstream_latency_ms": None}
    cors: dict[str, str] = {}
    try:
        settings = settings_from(os.environ)
        request = api_request(event)
        cors = cors_headers(request.header("origin"), settings.allowed_origins)
        if request.method == "OPTIONS":
            return _finished(preflight_response(cors), "preflight", summary, started)
        if request.method not in ("POST", ""):
            raise bad_request("use POST", status=405)
        grant = parse_grant(parse_fields(request), settings.allowed_redirect_uris)
        credentials = client_credentials(settings.secret_id)
        call_kick = _kick_call(settings, grant, credentials, started, summary)
        finish_by = started + settings.upstream_timeout_seconds + SECRET_ALLOWANCE_SECONDS
        reply = replay.answer(settings, grant, credentials, call_kick, finish_by)
        summary["replay"] = reply.source
        response = json_response(200, reply.body, cors)
        outcome = "success"
    except ProxyError as error:
        response, outcome = error_response(error, cors), error.error
        if error.error == SERVER_ERROR:
            logger.error("Kick refused the proxy's client credentials", extra={"reason": error.description})
    except (ConfigurationError, CredentialsUnavailable) as failure:
        logger.error("the proxy is misconfigured or cannot read its secret", extra={"reason": str(failure)})
        response, outcome = error_response(server_error(), cors), SERVER_ERROR
    except Exception as unexpected:  # answer in the contract's shape; log where, never the message
        logger.error(
            "unexpected failure",
            extra={"exception_type": type(unexpected).__name__, "frames": code_locations(unexpected)},
        )
        response, outcome = error_response(server_error(), cors), SERVER_ERROR
    return _finished(response, outcome, summary, started)


def _finished(response: ApiResponse, outcome: str, summary: dict[str, Any], started: float) -> ApiResponse:
    """Count the outcome and write the request's one summary line."""
    metrics.add_metric(name=outcome, unit=MetricUnit.Count, value=1)
    logger.info(
        "token request finished",
        extra={
            **summary,
            "outcome": outcome,
            "status": response["statusCode"],
            "latency_ms": round((time.monotonic() - started) * 1000, 1),
        },
    )
    return response


def _kick_call(
    settings: Settings, grant: Grant, credentials: ClientCredentials, started: float, summary: dict[str, Any]
) -> KickCall:
    """Kick's token body for the grant (or the ProxyError its answer maps to), keeping `reserve` seconds."""

    def call(reserve: float) -> str:
        budget = _budget(started, settings, reserve)
        answer = kick.post_form(settings.token_url, upstream_form(grant, credentials), budget)
        summary.update(upstream_status=answer.status, upstream_latency_ms=round(answer.latency_ms, 1))
        metrics.add_metric(name="upstream_latency", unit=MetricUnit.Milliseconds, value=answer.latency_ms)
        return token_body(answer.status, answer.headers, answer.body, time.time())

    return call


def _budget(started: float, settings: Settings, reserve: float = 0.0) -> float:
    deadline = settings.upstream_timeout_seconds
    remaining = deadline + SECRET_ALLOWANCE_SECONDS - reserve - (time.monotonic() - started)
    if remaining <= 0:
        raise upstream_timeout()
    return min(deadline, remaining)


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
