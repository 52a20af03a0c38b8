"""template.yaml's security properties, read from the template itself (no AWS, no SAM CLI)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.infra.cfn_yaml import load_template
from tests.support.contract import FUNCTION_ROUTES, KICK_VARIABLES

API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS = 29
# The contract: no invocation runs longer than the upstream deadline plus 2 s.
CONTRACT_SLACK_SECONDS = 2
# Revocations never go through the replay window.
REPLAYING = ["ExchangeFunction", "RefreshFunction", "TokenFunction"]
CONTRACT_VARIABLES = KICK_VARIABLES | {"REPLAY_TABLE_NAME", "REPLAY_WINDOW_SECONDS"}
# UpdateItem: only for containers of the version before commit 0f48fca during a deployment (template.yaml).
REPLAY_ACTIONS = {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:UpdateItem"}
SECRET_ARN = {"Fn::If": ["CreateSecret", {"Ref": "KickClientSecret"}, {"Ref": "ExistingSecretArn"}]}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def resources_of(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: body for name, body in template["Resources"].items() if body["Type"] == resource_type}


def function_settings(template: dict[str, Any], name: str) -> dict[str, Any]:
    """A function's effective properties: Globals.Function overlaid with its own."""
    return {**template["Globals"]["Function"], **template["Resources"][name]["Properties"]}


def policy_statements(policies: list[Any]) -> Iterator[dict[str, Any]]:
    for policy in policies:
        if isinstance(policy, dict) and "Fn::If" in policy:
            branches = [branch for branch in policy["Fn::If"][1:] if branch != {"Ref": "AWS::NoValue"}]
            yield from policy_statements(branches)
        elif isinstance(policy, dict) and "Statement" in policy:
            yield from policy["Statement"]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_exactly_the_four_contract_functions_with_their_handlers(template: dict[str, Any]) -> None:
    functions = resources_of(template, "AWS::Serverless::Function")
    assert set(functions) == set(FUNCTION_ROUTES)
    for name, (handler, _path) in FUNCTION_ROUTES.items():
        settings = function_settings(template, name)
        assert settings["Handler"] == handler
        assert settings["CodeUri"] == "src/"
        assert settings["Runtime"] == "python3.13"
        assert settings["Architectures"] == ["arm64"]
        assert settings["AutoPublishAlias"]


def test_the_documented_defaults_memory_timeout_and_log_retention(template: dict[str, Any]) -> None:
    """README and docs/deploy.md: 256 MB, a 15 s timeout, 30 days of logs unless changed."""
    assert template["Parameters"]["FunctionMemorySize"]["Default"] == 256
    assert template["Parameters"]["LogRetentionDays"]["Default"] == 30
    for name in FUNCTION_ROUTES:
        settings = function_settings(template, name)
        assert settings["MemorySize"] == {"Ref": "FunctionMemorySize"}
        assert settings["Timeout"] == 15


def test_each_function_is_routed_post_and_preflight_on_the_templates_own_api(template: dict[str, Any]) -> None:
    assert template["Resources"]["ProxyApi"]["Type"] == "AWS::Serverless::Api"
    for name, (_handler, path) in FUNCTION_ROUTES.items():
        events = template["Resources"][name]["Properties"]["Events"].values()
        routes = {(event["Properties"]["Method"], event["Properties"]["Path"]) for event in events}
        assert routes == {("POST", path), ("OPTIONS", path), ("ANY", path)}
        for event in events:
            assert event["Type"] == "Api"
            assert event["Properties"]["RestApiId"] == {"Ref": "ProxyApi"}


def test_function_timeout_outlasts_the_longest_deadline_and_stays_under_api_gateways(
    template: dict[str, Any],
) -> None:
    deadline = template["Parameters"]["UpstreamTimeoutSeconds"]
    assert deadline["Default"] == 10
    assert deadline["MinValue"] >= 1
    for name in FUNCTION_ROUTES:
        timeout = function_settings(template, name)["Timeout"]
        assert deadline["MaxValue"] + CONTRACT_SLACK_SECONDS < timeout < API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS


def test_functions_get_the_contract_environment_and_never_log_events(template: dict[str, Any]) -> None:
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert set(variables) >= CONTRACT_VARIABLES
    assert variables["KICK_SECRET_ID"] == SECRET_ARN
    assert variables["UPSTREAM_TIMEOUT_SECONDS"] == {"Ref": "UpstreamTimeoutSeconds"}
    assert variables["POWERTOOLS_LOGGER_LOG_EVENT"] == "false"
    assert variables["LOG_LEVEL"] in {"INFO", "WARNING", "ERROR"}
    for name in FUNCTION_ROUTES:
        assert "Environment" not in template["Resources"][name]["Properties"]


def test_secrets_manager_access_is_get_secret_value_on_the_one_secret(template: dict[str, Any]) -> None:
    for name in FUNCTION_ROUTES:
        policies = function_settings(template, name)["Policies"]
        templates = [policy for policy in policies if isinstance(policy, dict) and len(policy) == 1]
        secret_policies = [policy for policy in templates if "AWSSecretsManagerGetSecretValuePolicy" in policy]
        assert secret_policies == [{"AWSSecretsManagerGetSecretValuePolicy": {"SecretArn": SECRET_ARN}}]
        assert not any(isinstance(policy, str) and "secret" in policy.lower() for policy in policies)
        for statement in policy_statements(policies):
            assert not any(action.startswith("secretsmanager:") for action in as_list(statement["Action"]))
            assert "*" not in as_list(statement["Resource"])


def test_the_stack_holds_only_a_placeholder_secret_value(template: dict[str, Any]) -> None:
    secret = template["Resources"]["KickClientSecret"]
    assert secret["Condition"] == "CreateSecret"
    assert json.loads(secret["Properties"]["SecretString"]) == {"client_id": "", "client_secret": ""}
    assert not any("secret" in name.lower() and name != "ExistingSecretArn" for name in template["Parameters"])


def test_stage_throttling_applies_to_every_method(template: dict[str, Any]) -> None:
    settings = template["Resources"]["ProxyApi"]["Properties"]["MethodSettings"]
    catch_all = [setting for setting in settings if (setting["ResourcePath"], setting["HttpMethod"]) == ("/*", "*")]
    assert len(catch_all) == 1
    assert catch_all[0].get("ThrottlingRateLimit") == {"Ref": "ThrottlingRateLimit"}
    assert catch_all[0].get("ThrottlingBurstLimit") == {"Ref": "ThrottlingBurstLimit"}


def test_api_gateway_never_logs_bodies(template: dict[str, Any]) -> None:
    api = template["Resources"]["ProxyApi"]["Properties"]
    for setting in api["MethodSettings"]:
        assert setting["DataTraceEnabled"] is False
    access_log = api["AccessLogSetting"]
    assert access_log["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    fields = json.loads(access_log["Format"])
    assert all(re.fullmatch(r"\$context\.[A-Za-z.]+", value) for value in fields.values()), fields
    for forbidden in ("$input", "body", "requestOverride", "querystring", "authorizer"):
        assert forbidden.lower() not in access_log["Format"].lower()


def test_every_log_group_has_a_retention(template: dict[str, Any]) -> None:
    groups = resources_of(template, "AWS::Logs::LogGroup")
    own = {name: name.replace("Function", "LogGroup") for name in FUNCTION_ROUTES}
    assert {"ApiAccessLogGroup", *own.values()} <= set(groups)
    for body in groups.values():
        assert body["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    for function, group in own.items():
        assert function_settings(template, function)["LoggingConfig"]["LogGroup"] == {"Ref": group}


@pytest.mark.parametrize("response_type", ["DEFAULT_4XX", "DEFAULT_5XX", "THROTTLED"])
def test_api_gateways_own_errors_answer_in_the_proxy_shape(template: dict[str, Any], response_type: str) -> None:
    response = template["Resources"]["ProxyApi"]["Properties"]["GatewayResponses"][response_type]
    assert response["ResponseParameters"]["Headers"]["Cache-Control"] == "'no-store'"
    body = response["ResponseTemplates"]["application/json"]
    # API Gateway substitutes $context.error.messageString with an already-quoted JSON string.
    parsed = json.loads(body.replace("$context.error.messageString", '"message"'))
    assert isinstance(parsed["error"], str)
    assert parsed["error"]


def test_replay_table_and_its_permissions_are_scoped_to_that_table(template: dict[str, Any]) -> None:
    table = template["Resources"]["ReplayTable"]
    assert table["Condition"] == "UseReplayWindow"
    properties = table["Properties"]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert properties["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
    assert properties["SSESpecification"]["SSEEnabled"] is True
    # Items live a minute: backups would only keep sealed answers past their window.
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": False}

    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["REPLAY_TABLE_NAME"] == {"Fn::If": ["UseReplayWindow", {"Ref": "ReplayTable"}, ""]}
    assert variables["REPLAY_WINDOW_SECONDS"] == {"Ref": "ReplayWindowSeconds"}
    assert template["Parameters"]["ReplayWindowSeconds"]["Default"] == 60
    assert template["Parameters"]["ReplayWindowSeconds"]["MaxValue"] == 300
    assert template["Parameters"]["EnableReplayWindow"]["Default"] == "true"

    for name in FUNCTION_ROUTES:
        statements = list(policy_statements(function_settings(template, name)["Policies"]))
        dynamodb = [statement for statement in statements if any("dynamodb" in a for a in as_list(statement["Action"]))]
        if name not in REPLAYING:
            assert dynamodb == []
            continue
        assert len(dynamodb) == 1
        assert set(dynamodb[0]["Action"]) == REPLAY_ACTIONS
        assert dynamodb[0]["Resource"] == {"Fn::GetAtt": ["ReplayTable", "Arn"]}


def test_the_revoke_function_may_read_the_secret_and_nothing_else(template: dict[str, Any]) -> None:
    policies = function_settings(template, "RevokeFunction")["Policies"]
    assert policies == [{"AWSSecretsManagerGetSecretValuePolicy": {"SecretArn": SECRET_ARN}}]


def test_kick_urls_are_https_parameters_passed_to_every_function(template: dict[str, Any]) -> None:
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    for parameter, variable, default in (
        ("KickTokenUrl", "KICK_TOKEN_URL", "https://id.kick.com/oauth/token"),
        ("KickRevokeUrl", "KICK_REVOKE_URL", "https://id.kick.com/oauth/revoke"),
    ):
        assert variables[variable] == {"Ref": parameter}
        assert template["Parameters"][parameter]["Default"] == default
        pattern = template["Parameters"][parameter]["AllowedPattern"]
        assert re.fullmatch(pattern, default)
        assert not re.fullmatch(pattern, default.replace("https", "http"))


def test_waf_is_on_for_prod_by_default_and_attached_to_the_stage(template: dict[str, Any]) -> None:
    assert template["Parameters"]["EnableWaf"]["Default"] == "auto"
    assert {"Fn::Equals": [{"Ref": "Stage"}, "prod"]} in template["Conditions"]["UseWaf"]["Fn::Or"][1]["Fn::And"]
    rules = template["Resources"]["WebAcl"]["Properties"]["Rules"]
    assert any(rule["Statement"].get("RateBasedStatement", {}).get("AggregateKeyType") == "IP" for rule in rules)
    statements = [rule["Statement"] for rule in rules]
    managed = {
        statement["ManagedRuleGroupStatement"]["Name"]
        for statement in statements
        if "ManagedRuleGroupStatement" in statement
    }
    assert managed == {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"}
    common = next(s["ManagedRuleGroupStatement"] for s in statements if "ManagedRuleGroupStatement" in s)
    counted = {override["Name"] for override in common["RuleActionOverrides"] if "Count" in override["ActionToUse"]}
    # Desktop clients without a User-Agent and RFC 8252 loopback redirect URIs must not be blocked.
    assert counted == {"NoUserAgent_HEADER", "GenericRFI_BODY"}
    association = template["Resources"]["WebAclAssociation"]
    assert association["Condition"] == "UseWaf"
    assert "/restapis/${ProxyApi}/stages/${ProxyApi.Stage}" in association["Properties"]["ResourceArn"]["Fn::Sub"]


def test_stage_throttling_answers_429_temporarily_unavailable_with_retry_after(template: dict[str, Any]) -> None:
    response = template["Resources"]["ProxyApi"]["Properties"]["GatewayResponses"]["THROTTLED"]

    assert response["StatusCode"] == "429"
    assert response["ResponseParameters"]["Headers"]["Retry-After"] == "'1'"
    assert json.loads(response["ResponseTemplates"]["application/json"])["error"] == "temporarily_unavailable"


def test_the_waf_rate_limit_answers_in_the_contracts_shape_with_retry_after(template: dict[str, Any]) -> None:
    properties = template["Resources"]["WebAcl"]["Properties"]
    [rule] = [rule for rule in properties["Rules"] if "RateBasedStatement" in rule["Statement"]]
    response = rule["Action"]["Block"]["CustomResponse"]
    headers = {header["Name"]: header["Value"] for header in response["ResponseHeaders"]}
    body = properties["CustomResponseBodies"][response["CustomResponseBodyKey"]]

    assert response["ResponseCode"] == 429
    assert body["ContentType"] == "APPLICATION_JSON"
    assert json.loads(body["Content"])["error"] == "temporarily_unavailable"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Pragma"] == "no-cache"
    assert headers["Retry-After"].isdigit()


def test_alarms_watch_the_proxys_own_metrics_with_the_dimensions_it_emits(template: dict[str, Any]) -> None:
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    alarms = resources_of(template, "AWS::CloudWatch::Alarm").values()
    emf = {
        alarm["Properties"]["MetricName"]: alarm["Properties"]
        for alarm in alarms
        if alarm["Properties"].get("Namespace") == variables["POWERTOOLS_METRICS_NAMESPACE"]
    }
    assert set(emf) >= {"upstream_unavailable", "upstream_timeout", "server_error"}
    for properties in emf.values():
        assert properties["Dimensions"] == [{"Name": "service", "Value": variables["POWERTOOLS_SERVICE_NAME"]}]
    lambda_metrics = {
        (alarm["Properties"]["MetricName"], alarm["Properties"]["Dimensions"][0]["Value"]["Ref"])
        for alarm in alarms
        if alarm["Properties"].get("Namespace") == "AWS/Lambda"
    }
    assert lambda_metrics == {(metric, name) for metric in ("Errors", "Throttles") for name in FUNCTION_ROUTES}
    assert any("5XXError" in json.dumps(alarm["Properties"].get("Metrics", [])) for alarm in alarms)
    for alarm in alarms:
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_client_configuration_errors_are_counted_by_an_alarm(template: dict[str, Any]) -> None:
    alarm = template["Resources"]["ClientConfigurationAlarm"]["Properties"]
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    stats = [metric["MetricStat"]["Metric"] for metric in alarm["Metrics"] if "MetricStat" in metric]
    assert {stat["MetricName"] for stat in stats} == {
        "invalid_client",
        "unsupported_grant_type",
        "unsupported_token_type",
    }
    for stat in stats:
        assert stat["Namespace"] == variables["POWERTOOLS_METRICS_NAMESPACE"]
        assert stat["Dimensions"] == [{"Name": "service", "Value": variables["POWERTOOLS_SERVICE_NAME"]}]
    [expression] = [metric for metric in alarm["Metrics"] if metric.get("ReturnData")]
    for metric in alarm["Metrics"]:
        if "MetricStat" in metric:
            assert metric["Id"] in expression["Expression"]


def test_outputs_name_every_endpoint_and_the_secret(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    for output, path in (
        ("ExchangeUrl", "/v1/kick/exchange"),
        ("RefreshUrl", "/v1/kick/refresh"),
        ("TokenUrl", "/v1/kick/token"),
        ("RevokeUrl", "/v1/kick/revoke"),
    ):
        assert outputs[output]["Value"]["Fn::Sub"].endswith(path)
    assert outputs["SecretArn"]["Value"] == SECRET_ARN


def test_checkov_skips_each_carry_a_reason(template: dict[str, Any]) -> None:
    for name, resource in template["Resources"].items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), name
            assert len(skip["comment"]) > 20, (name, skip["id"])
