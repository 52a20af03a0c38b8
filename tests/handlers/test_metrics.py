"""The metrics README.md names: CloudWatch EMF in namespace KickOAuthProxy with dimension service, one
count per outcome, upstream_latency in milliseconds, and ColdStart on a container's first invocation."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.support.events import rest_event
from tests.support.kick_stub import json_answer, revoked_answer, token_answer
from tests.support.logs import CapturedOutput
from tests.support.proxy import Proxy
from tests.support.token_requests import refresh_event


def metric_documents(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith('{"_aws"')]


def metrics_of(document: dict[str, Any], dimensions: list[str] | None = None) -> dict[str, str]:
    """Metric name -> unit, as the document declares them."""
    [directive] = document["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "KickOAuthProxy"
    assert directive["Dimensions"] == [dimensions or ["service"]]
    return {metric["Name"]: metric["Unit"] for metric in directive["Metrics"]}


def test_each_outcome_is_counted_and_kicks_latency_measured(proxy: Proxy, output: CapturedOutput) -> None:
    proxy.kick.answer(token_answer(), json_answer(400, {"error": "invalid_grant"}))

    assert proxy.refresh(refresh_event("refresh-1")).status == 200
    assert proxy.refresh(refresh_event("refresh-2")).status == 400
    assert proxy.refresh({**refresh_event(), "body": "{"}).status == 400

    documents = [document for document in metric_documents(output.collect()) if "ColdStart" not in document]
    assert [metrics_of(document) for document in documents] == [
        {"upstream_latency": "Milliseconds", "success": "Count"},
        {"upstream_latency": "Milliseconds", "invalid_grant": "Count"},
        {"invalid_request": "Count"},
    ]
    assert all(document["service"] == "kick-oauth-proxy" for document in documents)
    assert [
        document.get("success") or document.get("invalid_grant") or document["invalid_request"]
        for document in documents
    ] == [[1.0]] * 3
    assert all(latency >= 0 for document in documents[:2] for latency in document["upstream_latency"])


def test_cold_start_is_counted_once_per_container(
    proxy: Proxy, output: CapturedOutput, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aws_lambda_powertools.metrics.provider import cold_start

    monkeypatch.setattr(cold_start, "is_cold_start", True)  # this process has served other tests' requests

    assert proxy.refresh(refresh_event("refresh-1")).status == 200
    assert proxy.refresh(refresh_event("refresh-2")).status == 200

    cold = [document for document in metric_documents(output.collect()) if "ColdStart" in document]
    # Powertools adds the function's name to ColdStart's dimensions.
    assert [metrics_of(document, ["function_name", "service"]) for document in cold] == [{"ColdStart": "Count"}]
    assert cold[0]["ColdStart"] == [1.0]


def test_the_standard_endpoints_count_their_own_outcomes(proxy: Proxy, output: CapturedOutput) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    proxy.kick.answer(revoked_answer(), json_answer(400, {"error": "Invalid request"}))

    def post(path: str, **fields: str) -> None:
        event = rest_event(path, urlencode(fields), form)
        (proxy.revoke if path.endswith("revoke") else proxy.token)(event)

    post("/v1/kick/revoke", token="t-1")
    post("/v1/kick/revoke", token="t-2")
    post("/v1/kick/revoke", token="t-3", token_type_hint="id_token")
    post("/v1/kick/token", grant_type="password")
    post("/v1/kick/token", grant_type="refresh_token", refresh_token="r", client_id="another-app")

    documents = [document for document in metric_documents(output.collect()) if "ColdStart" not in document]
    counted = [name for document in documents for name, unit in metrics_of(document).items() if unit == "Count"]
    assert counted == ["revoked", "token_unknown", "unsupported_token_type", "unsupported_grant_type", "invalid_client"]
