"""Shape API Gateway proxy responses: RFC 6749 section 5.1 headers on every one, CORS by exact origin."""

from __future__ import annotations

import json
from collections.abc import Mapping, Set
from typing import Any

from core.errors import ProxyError

NO_STORE_HEADERS = {
    "Content-Type": "application/json",
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Content-Type-Options": "nosniff",
}

ALLOWED_METHODS = "POST, OPTIONS"

CORS_PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Methods": ALLOWED_METHODS,
    # What OAuth client libraries send: a form or JSON body, and HTTP Basic client authentication.
    "Access-Control-Allow-Headers": "Content-Type, Authorization",
    "Access-Control-Max-Age": "600",
}

ApiResponse = dict[str, Any]


def cors_headers(origin: str | None, allowed_origins: Set[str]) -> dict[str, str]:
    if not allowed_origins:
        return {}
    headers = {"Vary": "Origin"}
    if origin is not None and origin in allowed_origins:
        headers["Access-Control-Allow-Origin"] = origin
    return headers


def json_response(status: int, body: str, headers: Mapping[str, str] | None = None) -> ApiResponse:
    return {
        "statusCode": status,
        "headers": {**NO_STORE_HEADERS, **(headers or {})},
        "body": body,
        "isBase64Encoded": False,
    }


def error_response(error: ProxyError, headers: Mapping[str, str] | None = None) -> ApiResponse:
    extra = dict(headers or {})
    if error.retry_after is not None:
        extra["Retry-After"] = str(error.retry_after)
    if error.challenge is not None:
        extra["WWW-Authenticate"] = error.challenge
    if error.status == 405:
        extra["Allow"] = ALLOWED_METHODS
    body = json.dumps({"error": error.error, "error_description": error.description})
    return json_response(error.status, body, extra)


def preflight_response(cors: Mapping[str, str]) -> ApiResponse:
    if "Access-Control-Allow-Origin" not in cors:
        return json_response(204, "", cors)
    return json_response(204, "", {**cors, **CORS_PREFLIGHT_HEADERS})
