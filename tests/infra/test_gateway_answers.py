"""The answers API Gateway and WAF write themselves follow the contract: JSON error body in the proxy's
shape, Cache-Control: no-store, Pragma: no-cache, Retry-After when the client should retry, and a wrong
method reaches the function (which answers 405) instead of API Gateway's own 403."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.cfn_yaml import load_template

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def _blocking_rules(template: dict[str, Any]) -> list[dict[str, Any]]:
    rules = template["Resources"]["WebAcl"]["Properties"]["Rules"]
    return [rule for rule in rules if "Block" in rule.get("Action", {})]


def test_the_waf_rate_limit_answers_429_temporarily_unavailable_in_the_contracts_shape(
    template: dict[str, Any],
) -> None:
    acl = template["Resources"]["WebAcl"]["Properties"]
    [rate_limit] = [rule for rule in _blocking_rules(template) if "RateBasedStatement" in rule["Statement"]]
    response = rate_limit["Action"]["Block"]["CustomResponse"]

    assert response["ResponseCode"] == 429
    body = acl["CustomResponseBodies"][response["CustomResponseBodyKey"]]
    assert body["ContentType"] == "APPLICATION_JSON"  # WAF sends Content-Type: application/json
    document = json.loads(body["Content"])
    assert set(document) == {"error", "error_description"}
    assert document["error"] == "temporarily_unavailable"
    headers = {header["Name"]: header["Value"] for header in response["ResponseHeaders"]}
    assert {name: headers.get(name) for name in NO_STORE} == NO_STORE
    assert headers["Retry-After"].isdigit()
    assert int(headers["Retry-After"]) >= 1


def test_every_waf_block_of_its_own_rules_carries_the_contracts_headers(template: dict[str, Any]) -> None:
    for rule in _blocking_rules(template):
        response = rule["Action"]["Block"]["CustomResponse"]
        headers = {header["Name"]: header["Value"] for header in response["ResponseHeaders"]}
        assert {name: headers.get(name) for name in NO_STORE} == NO_STORE, rule["Name"]


def test_requests_the_managed_rules_block_get_api_gateways_waf_answer_in_the_proxy_shape(
    template: dict[str, Any],
) -> None:
    """A managed rule group's block has no custom response; API Gateway then answers WAF_FILTERED."""
    response = template["Resources"]["ProxyApi"]["Properties"]["GatewayResponses"]["WAF_FILTERED"]
    assert response["StatusCode"] == "403"
    headers = {name: value.strip("'") for name, value in response["ResponseParameters"]["Headers"].items()}
    assert {name: headers.get(name) for name in NO_STORE} == NO_STORE
    document = json.loads(response["ResponseTemplates"]["application/json"])
    assert document["error"] == "invalid_request"
    assert document["error_description"]


@pytest.mark.parametrize("response_type", ["DEFAULT_4XX", "DEFAULT_5XX", "THROTTLED", "WAF_FILTERED"])
def test_api_gateways_own_answers_carry_pragma_no_cache(template: dict[str, Any], response_type: str) -> None:
    response = template["Resources"]["ProxyApi"]["Properties"]["GatewayResponses"][response_type]
    assert response["ResponseParameters"]["Headers"]["Pragma"] == "'no-cache'"


def test_every_route_sends_every_method_to_its_function_which_answers_405(template: dict[str, Any]) -> None:
    """API Gateway answers a method without a route with its own 403; an ANY route hands it to the handler."""
    functions = {
        name: resource
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    for name, function in functions.items():
        events = function["Properties"]["Events"].values()
        paths = {event["Properties"]["Path"] for event in events}
        for path in paths:
            methods = {event["Properties"]["Method"] for event in events if event["Properties"]["Path"] == path}
            assert "ANY" in methods, (name, path)
            assert "POST" in methods, (name, path)


def test_kick_blocking_the_proxy_has_its_own_alarm(template: dict[str, Any]) -> None:
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    alarms = [
        resource["Properties"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
        and resource["Properties"].get("MetricName") == "upstream_blocked"
    ]
    [alarm] = alarms
    assert alarm["Namespace"] == variables["POWERTOOLS_METRICS_NAMESPACE"]
    assert alarm["Dimensions"] == [{"Name": "service", "Value": variables["POWERTOOLS_SERVICE_NAME"]}]
    assert alarm["Threshold"] == 1
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
