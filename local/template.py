"""What the local stack reads from template.yaml, so that it answers as the deployed API does.

The routes (each function's `Api` events), API Gateway's own refusals (the API's GatewayResponses)
and the replay table's layout all come from the template; nothing here repeats them.
CloudFormation's short-form tags load as their long form: `!Ref X` -> {"Ref": "X"},
`!GetAtt A.B` -> {"Fn::GetAtt": ["A", "B"]}, any other `!Name v` -> {"Fn::Name": v}.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from local.api_gateway import HttpAnswer

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


@dataclass(frozen=True)
class Refusal:
    """One of API Gateway's own answers: its gateway response type, default status and message."""

    response_type: str
    status: int
    message: str


# The refusals the local API can meet, with API Gateway's defaults
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html):
# no resource, or no method on it; a body over API Gateway's 10 MB; a function that failed (502).
MISSING_AUTHENTICATION_TOKEN = Refusal("MISSING_AUTHENTICATION_TOKEN", 403, "Missing Authentication Token")
REQUEST_TOO_LARGE = Refusal("REQUEST_TOO_LARGE", 413, "Request Too Long")
FUNCTION_FAILED = Refusal("DEFAULT_5XX", 502, "Internal server error")


class _CfnLoader(yaml.SafeLoader):
    pass


def _construct_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        resource, _, attribute = value.partition(".")
        return {"Fn::GetAtt": [resource, attribute]}
    return {f"Fn::{tag_suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_cfn_yaml(path: Path) -> dict[str, Any]:
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506 (a SafeLoader subclass)
    if not isinstance(document, dict):
        raise TypeError(f"{path} is not a mapping")
    return document


@cache
def load_template() -> dict[str, Any]:
    return load_cfn_yaml(TEMPLATE)


@dataclass(frozen=True)
class Route:
    """A function behind one path: its handler module and the methods API Gateway sends to it."""

    module: str
    function_name: str
    methods: frozenset[str]  # upper case; "ANY" stands for every method

    def accepts(self, method: str) -> bool:
        return "ANY" in self.methods or method.upper() in self.methods


def api_routes(template: Mapping[str, Any]) -> dict[str, Route]:
    """path -> Route, from every function's `Api` events (the template's `Handler: module.lambda_handler`)."""
    routes: dict[str, Route] = {}
    for name, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        properties = resource["Properties"]
        module = properties["Handler"].rsplit(".", 1)[0]
        for event in (properties.get("Events") or {}).values():
            if event.get("Type") != "Api":
                continue
            path, method = event["Properties"]["Path"], event["Properties"]["Method"].upper()
            known = routes.get(path)
            if known is not None and known.module != module:
                raise ValueError(f"{path} is routed to both {known.module} and {module}")
            methods = (known.methods if known else frozenset()) | {method}
            routes[path] = Route(module, f"kick-oauth-proxy-{name.removesuffix('Function').lower()}", methods)
    return routes


def gateway_response(template: Mapping[str, Any], refusal: Refusal) -> HttpAnswer:
    """API Gateway's answer for one of its own refusals: the response type's entry, else DEFAULT_4XX/5XX."""
    response_type, default_status, message = refusal.response_type, refusal.status, refusal.message
    responses = _api_properties(template).get("GatewayResponses") or {}
    fallback = "DEFAULT_4XX" if default_status < 500 else "DEFAULT_5XX"
    response = responses.get(response_type) or responses.get(fallback)
    if response is None:  # API Gateway's own default
        return HttpAnswer(default_status, [("Content-Type", "application/json")], _message_body(message))
    status = int(response.get("StatusCode") or default_status)
    headers = [("Content-Type", "application/json")]
    for name, value in ((response.get("ResponseParameters") or {}).get("Headers") or {}).items():
        headers.append((name, str(value).strip("'")))  # static header values are quoted: "'no-store'"
    template_text = (response.get("ResponseTemplates") or {}).get("application/json")
    body = _render(template_text, response_type, message).encode() if template_text else _message_body(message)
    return HttpAnswer(status, headers, body)


def replay_table_layout(template: Mapping[str, Any]) -> dict[str, Any]:
    """The ReplayTable's CreateTable arguments and its TTL attribute, as the template declares them."""
    properties = template["Resources"]["ReplayTable"]["Properties"]
    return {
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "KeySchema": properties["KeySchema"],
        "BillingMode": properties["BillingMode"],
        "TimeToLiveSpecification": {
            "AttributeName": properties["TimeToLiveSpecification"]["AttributeName"],
            "Enabled": properties["TimeToLiveSpecification"]["Enabled"],
        },
    }


def parameter_default(template: Mapping[str, Any], name: str) -> str:
    return str(template["Parameters"][name]["Default"])


def _api_properties(template: Mapping[str, Any]) -> dict[str, Any]:
    apis = [r for r in template["Resources"].values() if r.get("Type") == "AWS::Serverless::Api"]
    if len(apis) != 1:
        raise ValueError(f"the template has {len(apis)} AWS::Serverless::Api resources; the local API serves one")
    properties: dict[str, Any] = apis[0]["Properties"]
    return properties


def _render(template_text: str, response_type: str, message: str) -> str:
    # The $context variables gateway response templates may use; messageString is the JSON-quoted message.
    return (
        template_text.replace("$context.error.messageString", json.dumps(message))
        .replace("$context.error.message", message)
        .replace("$context.error.responseType", response_type)
    )


def _message_body(message: str) -> bytes:
    return json.dumps({"message": message}).encode()
