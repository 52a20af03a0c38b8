"""What API Gateway (REST API, Lambda proxy integration, payload 1.0) does around a handler, for one request."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

STAGE = "local"
ACCOUNT_ID = "000000000000"
REGION = "us-east-1"


@dataclass(frozen=True)
class LambdaContext:
    """The attributes of Lambda's context object the handlers (through Powertools) read."""

    function_name: str
    aws_request_id: str
    memory_limit_in_mb: int = 256
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def lambda_context(function_name: str) -> LambdaContext:
    return LambdaContext(
        function_name=function_name,
        aws_request_id=str(uuid.uuid4()),
        log_group_name=f"/aws/lambda/{function_name}",
    )


def rest_event(
    method: str,
    target: str,
    resource: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    source_ip: str,
    host: str,
) -> dict[str, Any]:
    """The proxy event API Gateway would hand the function for this request."""
    url = urlsplit(target)
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in headers:
        single[name] = value  # API Gateway keeps the last of repeated headers here
        multi.setdefault(name, []).append(value)
    query_single: dict[str, str] = {}
    query_multi: dict[str, list[str]] = {}
    for name, value in parse_qsl(url.query, keep_blank_values=True):
        query_single[name] = value
        query_multi.setdefault(name, []).append(value)

    text, is_base64 = _body_text(body)
    now = time.time()
    request_id = str(uuid.uuid4())
    return {
        "resource": resource,
        "path": url.path,
        "httpMethod": method,
        "headers": single or None,
        "multiValueHeaders": multi or None,
        "queryStringParameters": query_single or None,
        "multiValueQueryStringParameters": query_multi or None,
        "pathParameters": None,
        "stageVariables": None,
        "body": text,
        "isBase64Encoded": is_base64,
        "requestContext": {
            "resourceId": "local",
            "resourcePath": resource,
            "httpMethod": method,
            "extendedRequestId": request_id,
            "requestTime": datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(now * 1000),
            "path": f"/{STAGE}{url.path}",
            "accountId": ACCOUNT_ID,
            "protocol": "HTTP/1.1",
            "stage": STAGE,
            "domainPrefix": host.split(":", 1)[0],
            "domainName": host,
            "requestId": request_id,
            "apiId": "local",
            "identity": {
                "sourceIp": source_ip,
                "userAgent": _header(single, "user-agent"),
                "accountId": None,
                "caller": None,
                "user": None,
                "userArn": None,
                "accessKey": None,
                "cognitoIdentityPoolId": None,
                "cognitoIdentityId": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
            },
        },
    }


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def http_answer(result: Mapping[str, Any]) -> HttpAnswer:
    """Turn the function's proxy result into the HTTP response API Gateway would send."""
    headers = [(str(k), str(v)) for k, v in (result.get("headers") or {}).items()]
    singles = {name.lower() for name, _ in headers}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        if str(name).lower() not in singles:
            headers.extend((str(name), str(value)) for value in values)
    body = result.get("body") or ""
    raw = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode("utf-8")
    return HttpAnswer(status=int(result["statusCode"]), headers=headers, body=raw)


def _body_text(body: bytes) -> tuple[str | None, bool]:
    if not body:
        return None, False
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), True


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name), None)
