"""How Kick's refusals and failures reach the client: the contract's error table, one row at a time."""

from __future__ import annotations

import json

import pytest

from tests.support.assertions import assert_error, assert_retry_after
from tests.support.kick_stub import Answer, KickStub, html_answer, json_answer, token_answer
from tests.support.logs import CapturedOutput
from tests.support.proxy import VERIFIER, Proxy
from tests.support.token_requests import exchange_event, refresh_event, timed

KICK_INVALID_REQUEST = json_answer(400, {"error": "Invalid request"})

CLOUDFLARE_PAGE = """<!DOCTYPE html>
<html lang="en-US"><head><title>Just a moment...</title></head>
<body><h1>Sorry, you have been blocked</h1><p>Cloudflare Ray ID: 8c1f2a3b4d5e6f70</p></body></html>"""


def test_a_used_authorization_code_is_invalid_grant(proxy: Proxy) -> None:
    proxy.kick.answer(token_answer(), KICK_INVALID_REQUEST)

    first = proxy.exchange(exchange_event("single-use-code"))
    second = proxy.exchange(exchange_event("single-use-code"))

    assert first.status == 200
    assert_error(second, 400, "invalid_grant")
    assert len(proxy.kick.received) == 2


def test_a_wrong_code_verifier_is_invalid_grant(proxy: Proxy) -> None:
    proxy.kick.answer(KICK_INVALID_REQUEST)
    other_verifier = VERIFIER[::-1]

    answer = proxy.exchange(exchange_event("code-1", code_verifier=other_verifier))

    assert_error(answer, 400, "invalid_grant")
    assert proxy.kick.received[-1].form["code_verifier"] == other_verifier


def test_a_rotated_refresh_token_is_invalid_grant(proxy: Proxy) -> None:
    proxy.kick.answer(token_answer("access-2", "refresh-2"), KICK_INVALID_REQUEST)

    rotated = proxy.refresh(refresh_event("refresh-1"))
    reused = proxy.refresh(refresh_event("refresh-1"))

    assert rotated.status == 200
    assert rotated.json["refresh_token"] == "refresh-2"
    assert_error(reused, 400, "invalid_grant")
    assert [r.form["refresh_token"] for r in proxy.kick.received] == ["refresh-1", "refresh-1"]


@pytest.mark.parametrize(
    "error", ["invalid_grant", "invalid_request", "invalid_scope", "unauthorized_client", "unsupported_grant_type"]
)
def test_kicks_rfc6749_error_codes_pass_through_without_kicks_description(proxy: Proxy, error: str) -> None:
    proxy.kick.answer(json_answer(400, {"error": error, "error_description": "kick-said-something-specific"}))

    answer = proxy.refresh(refresh_event())

    document = assert_error(answer, 400, error)
    assert "kick-said-something-specific" not in document["error_description"]


@pytest.mark.parametrize(
    "kick_answer",
    [
        pytest.param(json_answer(401, {"error": "invalid_client"}), id="401-invalid_client"),
        pytest.param(json_answer(400, {"error": "invalid_client"}), id="400-invalid_client"),
        pytest.param(json_answer(401, {"error": "Unauthorized"}), id="401-other"),
    ],
)
def test_kick_refusing_the_proxys_credentials_is_a_server_error_logged_at_error(
    proxy: Proxy, output: CapturedOutput, kick_answer: Answer
) -> None:
    proxy.kick.answer(kick_answer)

    answer = proxy.exchange(exchange_event())

    assert_error(answer, 500, "server_error")
    errors = [line for line in output.json_lines() if line["level"] == "ERROR"]
    assert len(errors) == 1
    assert "credentials" in errors[0]["message"]


@pytest.mark.parametrize(
    "kick_answer",
    [
        pytest.param(html_answer(500, "<html><body>Internal Server Error</body></html>"), id="html-500"),
        pytest.param(json_answer(503, {"error": "unavailable"}), id="json-503"),
        pytest.param(Answer(status=502, body=b""), id="empty-502"),
        pytest.param(
            Answer(
                status=403,
                body=CLOUDFLARE_PAGE.encode(),
                headers={"Content-Type": "text/html; charset=UTF-8", "Server": "cloudflare", "CF-RAY": "8c1f2a3b4d"},
            ),
            id="cloudflare-403",
        ),
        pytest.param(html_answer(200, "<html>tokens?</html>"), id="html-200"),
        pytest.param(
            Answer(status=200, body=b"access_token=abc", headers={"Content-Type": "text/plain"}), id="text-200"
        ),
        pytest.param(json_answer(200, ["access_token"]), id="json-array-200"),
        pytest.param(json_answer(200, {"token_type": "Bearer"}), id="json-200-without-access-token"),
        pytest.param(Answer(status=200, body=b"\xff\xfe{", headers={"Content-Type": "application/json"}), id="binary"),
        pytest.param(json_answer(418, {"error": "teapot"}), id="unexpected-4xx-json"),
    ],
)
def test_kick_failing_or_answering_nonsense_is_upstream_unavailable_with_retry_after(
    proxy: Proxy, kick_answer: Answer
) -> None:
    proxy.kick.answer(kick_answer)

    answer = proxy.exchange(exchange_event())

    assert_error(answer, 502, "upstream_unavailable")
    assert_retry_after(answer)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_never_followed_and_its_target_receives_nothing(
    proxy: Proxy, second_kick: KickStub, status: int
) -> None:
    proxy.kick.answer(Answer(status=status, headers={"Location": second_kick.url}))

    answer = proxy.exchange(exchange_event())

    assert_error(answer, 502, "upstream_unavailable")
    assert_retry_after(answer)
    assert len(proxy.kick.received) == 1
    assert second_kick.received == []
    assert second_kick.connections == 0


def test_rate_limiting_is_answered_at_once_with_kicks_retry_after(proxy: Proxy) -> None:
    proxy.kick.answer(json_answer(429, {"error": "Too Many Requests"}, headers={"Retry-After": "3600"}))

    answer, seconds = timed(lambda: proxy.refresh(refresh_event()))

    assert seconds < 1.0
    assert_error(answer, 502, "upstream_unavailable")
    assert_retry_after(answer, 3600)
    assert len(proxy.kick.received) == 1  # and never retried


def test_a_5xx_retry_after_is_passed_on(proxy: Proxy) -> None:
    proxy.kick.answer(Answer(status=503, body=b"", headers={"Retry-After": "120"}))

    answer = proxy.refresh(refresh_event())

    assert_error(answer, 502, "upstream_unavailable")
    assert_retry_after(answer, 120)


def test_a_failed_post_is_never_retried(proxy: Proxy) -> None:
    proxy.kick.answer(html_answer(500), token_answer())

    answer = proxy.exchange(exchange_event())

    assert answer.status == 502
    assert len(proxy.kick.received) == 1


def test_an_oversized_answer_is_upstream_unavailable(proxy: Proxy) -> None:
    huge = {"access_token": "x" * (1024 * 1024), "token_type": "Bearer"}
    proxy.kick.answer(json_answer(200, huge))

    answer, seconds = timed(lambda: proxy.exchange(exchange_event()))

    assert_error(answer, 502, "upstream_unavailable")
    assert seconds < 1.0


def _emf_metric_names(text: str) -> set[str]:
    names: set[str] = set()
    for line in text.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            for directive in json.loads(line)["_aws"]["CloudWatchMetrics"]:
                names.update(metric["Name"] for metric in directive["Metrics"])
    return names


@pytest.mark.parametrize(
    ("kick_answer", "outcome"),
    [
        pytest.param(
            Answer(
                status=403, body=CLOUDFLARE_PAGE.encode(), headers={"Content-Type": "text/html", "Server": "cloudflare"}
            ),
            "upstream_blocked",
            id="cloudflare-403",
        ),
        pytest.param(json_answer(503, {"error": "unavailable"}), "upstream_unavailable", id="json-503"),
        pytest.param(json_answer(404, {"error": "Not found"}), "upstream_unavailable", id="outage-404"),
        pytest.param(Answer(status=400, body=b""), "upstream_unavailable", id="empty-400"),
    ],
)
def test_kick_blocking_the_proxy_is_its_own_outcome_while_the_app_sees_upstream_unavailable(
    proxy: Proxy, output: CapturedOutput, kick_answer: Answer, outcome: str
) -> None:
    proxy.kick.answer(kick_answer)

    answer = proxy.exchange(exchange_event())

    assert_error(answer, 502, "upstream_unavailable")
    assert_retry_after(answer)
    text = output.collect()
    [finished] = output.finished_lines(text)
    assert (finished["outcome"], finished["upstream_status"]) == (outcome, kick_answer.status)
    counted = _emf_metric_names(text) & {"upstream_blocked", "upstream_unavailable"}
    assert counted == {outcome}
