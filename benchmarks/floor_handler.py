"""The floor: the least a Lambda function can do for POST /v1/kick/exchange with only boto3 and requests.

Same environment as the real handler (KICK_SECRET_ID, KICK_TOKEN_URL, ALLOWED_REDIRECT_URIS), the
secret read with boto3 and kept for the container's life, one module-level requests Session, a JSON
body validated minimally, Kick's body returned as is. No logging, no metrics, no total deadline.
The benchmark measures the real handler against this one.
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
import requests

HEADERS = {"Content-Type": "application/json", "Cache-Control": "no-store", "Pragma": "no-cache"}

_session = requests.Session()
_credentials: dict[str, str] | None = None


def _client_credentials() -> dict[str, str]:
    global _credentials
    if _credentials is None:
        secret = boto3.client("secretsmanager").get_secret_value(SecretId=os.environ["KICK_SECRET_ID"])
        _credentials = json.loads(secret["SecretString"])
    return _credentials


def _answer(status: int, body: str) -> dict[str, Any]:
    return {"statusCode": status, "headers": HEADERS, "body": body}


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    allowed = {uri.strip() for uri in os.environ.get("ALLOWED_REDIRECT_URIS", "").split(",") if uri.strip()}
    try:
        fields = json.loads(event.get("body") or "")
    except ValueError:
        fields = None
    if not isinstance(fields, dict):
        return _answer(400, '{"error": "invalid_request"}')
    code, verifier, redirect_uri = fields.get("code"), fields.get("code_verifier"), fields.get("redirect_uri")
    if not (isinstance(code, str) and code and isinstance(verifier, str) and 43 <= len(verifier) <= 128):
        return _answer(400, '{"error": "invalid_request"}')
    if redirect_uri not in allowed:
        return _answer(400, '{"error": "invalid_request"}')
    credentials = _client_credentials()
    response = _session.post(
        os.environ["KICK_TOKEN_URL"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": redirect_uri,
            "client_id": credentials["client_id"],
            "client_secret": credentials["client_secret"],
        },
        timeout=10,
        allow_redirects=False,
    )
    return _answer(response.status_code, response.text)
