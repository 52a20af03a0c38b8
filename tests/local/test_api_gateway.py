"""The local API's API Gateway emulation: REST proxy events (payload 1.0) in, proxy results out."""

from __future__ import annotations

import base64

from local.api_gateway import http_answer, lambda_context, rest_event


def event(body: bytes, target: str = "/v1/kick/exchange?a=1&a=2") -> dict[str, object]:
    return rest_event(
        method="POST",
        target=target,
        resource="/v1/kick/exchange",
        headers=[("Content-Type", "application/json"), ("X-Twice", "1"), ("X-Twice", "2"), ("User-Agent", "t/1")],
        body=body,
        source_ip="127.0.0.1",
        host="127.0.0.1:3000",
    )


def test_the_event_has_the_rest_proxy_shape() -> None:
    built = event(b'{"code": "c"}')
    assert built["httpMethod"] == "POST"
    assert built["path"] == "/v1/kick/exchange"
    assert built["resource"] == "/v1/kick/exchange"
    assert built["body"] == '{"code": "c"}'
    assert built["isBase64Encoded"] is False
    assert built["headers"] == {"Content-Type": "application/json", "X-Twice": "2", "User-Agent": "t/1"}
    assert built["multiValueHeaders"] == {
        "Content-Type": ["application/json"],
        "X-Twice": ["1", "2"],
        "User-Agent": ["t/1"],
    }
    assert built["queryStringParameters"] == {"a": "2"}
    assert built["multiValueQueryStringParameters"] == {"a": ["1", "2"]}
    context = built["requestContext"]
    assert isinstance(context, dict)
    assert context["stage"] == "local"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userAgent"] == "t/1"
    assert context["requestId"]
    assert context["path"] == "/local/v1/kick/exchange"


def test_empty_bodies_and_queries_are_null_as_in_api_gateway() -> None:
    built = event(b"", target="/v1/kick/exchange")
    assert built["body"] is None
    assert built["queryStringParameters"] is None


def test_bodies_that_are_not_utf8_are_base64_encoded() -> None:
    built = event(b"\xff\xfe")
    assert built["isBase64Encoded"] is True
    assert built["body"] == base64.b64encode(b"\xff\xfe").decode()


def test_the_result_becomes_an_http_answer() -> None:
    answer = http_answer(
        {
            "statusCode": 400,
            "headers": {"Content-Type": "application/json"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"], "content-type": ["text/plain"]},
            "body": '{"error": "invalid_request"}',
            "isBase64Encoded": False,
        }
    )
    assert answer.status == 400
    assert answer.headers == [("Content-Type", "application/json"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]
    assert answer.body == b'{"error": "invalid_request"}'
    assert http_answer({"statusCode": 200, "body": "aGk=", "isBase64Encoded": True}).body == b"hi"


def test_the_context_looks_like_lambdas() -> None:
    context = lambda_context("kick-oauth-proxy-exchange")
    assert context.invoked_function_arn == "arn:aws:lambda:us-east-1:000000000000:function:kick-oauth-proxy-exchange"
    assert context.memory_limit_in_mb == 256
    assert context.aws_request_id != lambda_context("kick-oauth-proxy-exchange").aws_request_id
