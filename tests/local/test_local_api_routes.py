"""The local API answers as the deployed API does: routes and API Gateway's own refusals come from template.yaml."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from local.local_api import LocalApiServer
from local.template import api_routes, load_template

NO_STORE = {"Content-Type": "application/json", "Cache-Control": "no-store", "Pragma": "no-cache"}
# API Gateway's MISSING_AUTHENTICATION_TOKEN (403) through the template's DEFAULT_4XX.
NOT_FOUND_TEMPLATE = '{"error":"not_found","type":"$context.error.responseType"}'
NO_ROUTE = {"error": "invalid_request", "error_description": "Missing Authentication Token"}


def serve(template: dict[str, Any]) -> LocalApiServer:
    server = LocalApiServer(("127.0.0.1", 0), quiet=True, template=template)
    server.start("local-api-test")
    return server


@pytest.fixture
def deployed() -> Iterator[LocalApiServer]:
    """The local API with template.yaml as it is; the refusals below never reach a handler."""
    server = serve(load_template())
    yield server
    server.stop()


def template_with(**changes: Any) -> dict[str, Any]:
    template = copy.deepcopy(load_template())
    api = next(r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Api")
    for name, response in changes.get("gateway_responses", {}).items():
        api["Properties"]["GatewayResponses"][name] = response
    for name, function in changes.get("functions", {}).items():
        template["Resources"][name] = function
    return template


def test_the_routes_are_the_template_s_api_events() -> None:
    template = load_template()
    expected = {
        event["Properties"]["Path"]: resource["Properties"]["Handler"].rsplit(".", 1)[0]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Serverless::Function"
        for event in resource["Properties"].get("Events", {}).values()
        if event["Type"] == "Api"
    }
    routes = api_routes(template)
    assert {path: route.module for path, route in routes.items()} == expected
    assert {"/v1/kick/exchange", "/v1/kick/refresh"} <= set(routes)
    assert routes["/v1/kick/exchange"].accepts("POST")
    assert routes["/v1/kick/exchange"].accepts("options")


def assert_no_route(answer: requests.Response) -> None:
    assert answer.status_code == 403
    assert answer.json() == NO_ROUTE
    for name, value in NO_STORE.items():
        assert answer.headers[name] == value


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/v1/kick/userinfo"), ("POST", "/"), ("GET", "/prod/v1/kick/exchange"), ("PUT", "/v1/kick")],
)
def test_paths_the_template_does_not_route_get_its_gateway_response(
    deployed: LocalApiServer, method: str, path: str
) -> None:
    gateway_4xx = next(r for r in load_template()["Resources"].values() if r["Type"] == "AWS::Serverless::Api")[
        "Properties"
    ]["GatewayResponses"]["DEFAULT_4XX"]
    assert '"error":"invalid_request"' in gateway_4xx["ResponseTemplates"]["application/json"]

    assert_no_route(requests.request(method, f"{deployed.base_url}{path}", json={}, timeout=5))


def test_the_template_sends_every_method_on_its_paths_to_the_functions() -> None:
    """Its `ANY` events: a wrong method reaches the handler, which answers 405 (tests/e2e)."""
    for route in api_routes(load_template()).values():
        for method in ("GET", "PUT", "DELETE", "PATCH", "HEAD", "TRACE"):
            assert route.accepts(method)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_a_method_a_template_does_not_route_gets_the_gateway_response(method: str) -> None:
    """The template without its `ANY` events, as API Gateway would serve it: no function is called."""
    template = copy.deepcopy(load_template())
    for resource in template["Resources"].values():
        events = resource.get("Properties", {}).get("Events") or {}
        for name in [name for name, event in events.items() if event["Properties"].get("Method") == "ANY"]:
            del events[name]
    server = serve(template)
    try:
        assert_no_route(requests.request(method, f"{server.base_url}/v1/kick/exchange", json={}, timeout=5))
    finally:
        server.stop()


def test_a_body_over_api_gateway_s_limit_gets_the_request_too_large_response(deployed: LocalApiServer) -> None:
    with requests.Session() as session:
        request = requests.Request("POST", f"{deployed.base_url}/v1/kick/exchange", data=b"x").prepare()
        request.headers["Content-Length"] = str(11 * 1024 * 1024)
        answer = session.send(request, timeout=5)

    assert answer.status_code == 413
    assert answer.json() == {"error": "invalid_request", "error_description": "Request Too Long"}
    assert answer.headers["Cache-Control"] == "no-store"


def test_a_specific_gateway_response_in_the_template_wins_over_default_4xx() -> None:
    server = serve(
        template_with(
            gateway_responses={
                "MISSING_AUTHENTICATION_TOKEN": {
                    "StatusCode": "404",
                    "ResponseParameters": {"Headers": {"Cache-Control": "'no-store'", "X-Route": "'none'"}},
                    "ResponseTemplates": {"application/json": NOT_FOUND_TEMPLATE},
                }
            }
        )
    )
    try:
        answer = requests.get(f"{server.base_url}/v1/kick/userinfo", timeout=5)
    finally:
        server.stop()

    assert answer.status_code == 404
    assert answer.json() == {"error": "not_found", "type": "MISSING_AUTHENTICATION_TOKEN"}
    assert answer.headers["X-Route"] == "none"


def test_a_method_the_template_routes_reaches_the_function_and_a_failed_function_gets_default_5xx() -> None:
    """An `ANY` route (what a template answering 405 from the function would declare) passes every method on."""
    failing = {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "Handler": "tests.local.failing_handler.lambda_handler",
            "Events": {"Any": {"Type": "Api", "Properties": {"Path": "/v1/kick/broken", "Method": "any"}}},
        },
    }
    server = serve(template_with(functions={"BrokenFunction": failing}))
    try:
        answers = [requests.request(m, f"{server.base_url}/v1/kick/broken", timeout=5) for m in ("GET", "DELETE")]
    finally:
        server.stop()

    for answer in answers:
        assert answer.status_code == 502
        assert answer.json() == {"error": "server_error", "error_description": "the proxy failed; retry later"}
        assert answer.headers["Pragma"] == "no-cache"
    assert "the function failed" not in json.dumps([a.text for a in answers])
