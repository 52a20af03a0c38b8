"""API Gateway REST proxy events (payload 1.0): the shared samples in events/ and a builder."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any

EVENTS_DIR = Path(__file__).resolve().parents[2] / "events"


def sample_event(name: str) -> dict[str, Any]:
    """One of the sample events shared with `sam local invoke -e events/<name>.json`."""
    document: dict[str, Any] = json.loads((EVENTS_DIR / f"{name}.json").read_text())
    return document


def rest_event(
    path: str,
    body: str | bytes | None,
    headers: dict[str, str] | None = None,
    method: str = "POST",
    base64_encoded: bool = False,
) -> dict[str, Any]:
    """A REST proxy event as API Gateway sends it to a Lambda proxy integration."""
    if isinstance(body, bytes):
        text: str | None = base64.b64encode(body).decode("ascii")
        base64_encoded = True
    elif body is not None and base64_encoded:
        text = base64.b64encode(body.encode("utf-8")).decode("ascii")
    else:
        text = body
    all_headers = {"Host": "abc123.execute-api.us-east-1.amazonaws.com", "User-Agent": "battles-record/1.0"}
    all_headers.update(headers or {})
    request_id = str(uuid.uuid4())
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {name: [value] for name, value in all_headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": method,
            "path": f"/prod{path}",
            "stage": "prod",
            "requestId": request_id,
            "extendedRequestId": request_id,
            "requestTimeEpoch": 1795375290889,
            "protocol": "HTTP/1.1",
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "battles-record/1.0"},
        },
        "body": text,
        "isBase64Encoded": base64_encoded,
    }


def json_event(path: str, fields: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    return rest_event(path, json.dumps(fields), {"Content-Type": "application/json", **(headers or {})})
