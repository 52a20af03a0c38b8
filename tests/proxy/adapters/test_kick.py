"""The upstream call: a total deadline that holds against slow and dripping servers, refused
connections, and one kept-alive connection per container that survives the server closing it."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest

from tests.support.assertions import assert_error, assert_no_store_headers, assert_retry_after
from tests.support.kick_stub import Answer, token_answer
from tests.support.proxy import CLIENT_ID, CLIENT_SECRET, Proxy
from tests.support.sockets import DripServer, SilentServer, closed_port, http_response
from tests.support.token_requests import exchange_event, refresh_event, timed

DEADLINE = 1.0
# The contract allows the deadline plus 2 s per invocation; these tests hold the proxy to far less.
SLACK = 0.5
SECRET = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}


@pytest.fixture
def short_deadline(proxy: Proxy) -> Proxy:
    proxy.set_env("UPSTREAM_TIMEOUT_SECONDS", str(DEADLINE))
    # Secret cached and connection open: only Kick is timed.
    assert proxy.refresh(refresh_event("warm-up")).status == 200
    return proxy


def slow_tokens(delay_seconds: float) -> Answer:
    answer = token_answer()
    answer.delay_seconds = delay_seconds
    return answer


def dripping_tokens(seconds_per_byte: float) -> Answer:
    answer = token_answer()
    answer.drip_seconds_per_byte = seconds_per_byte
    return answer


def test_an_answer_slower_than_the_deadline_is_upstream_timeout_at_the_deadline(short_deadline: Proxy) -> None:
    short_deadline.kick.answer(slow_tokens(DEADLINE + 2))

    answer, seconds = timed(lambda: short_deadline.exchange(exchange_event()))

    assert_error(answer, 504, "upstream_timeout")
    assert_retry_after(answer)
    assert DEADLINE - 0.1 <= seconds < DEADLINE + SLACK, seconds


def test_a_drip_fed_answer_is_cut_off_at_the_deadline(short_deadline: Proxy) -> None:
    short_deadline.kick.answer(dripping_tokens(0.2))  # every read succeeds; the whole never arrives in time

    answer, seconds = timed(lambda: short_deadline.exchange(exchange_event()))

    assert_error(answer, 504, "upstream_timeout")
    assert DEADLINE - 0.1 <= seconds < DEADLINE + SLACK, seconds


def test_a_drip_fed_answer_that_closes_the_connection_is_cut_off_at_the_deadline(short_deadline: Proxy) -> None:
    # With "Connection: close" (or HTTP/1.0) http.client hands the socket to the response and forgets
    # it on the connection: the deadline must still reach it.
    closing = dripping_tokens(0.2)
    closing.close_connection = True
    short_deadline.kick.answer(closing)

    answer, seconds = timed(lambda: short_deadline.exchange(exchange_event()))

    assert_error(answer, 504, "upstream_timeout")
    assert DEADLINE - 0.1 <= seconds < DEADLINE + SLACK, seconds


def test_a_drip_fed_http_1_0_answer_is_cut_off_at_the_deadline(proxy: Proxy) -> None:
    proxy.set_env("UPSTREAM_TIMEOUT_SECONDS", str(DEADLINE))
    assert proxy.refresh(refresh_event("warm-up")).status == 200
    body = json.dumps({"access_token": "late", "token_type": "Bearer", "expires_in": 14400}).encode()
    head = b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n"
    with DripServer(head + body, seconds_per_byte=0.05) as server:
        proxy.set_env("KICK_TOKEN_URL", f"{server.url}/oauth/token")

        answer, seconds = timed(lambda: proxy.refresh(refresh_event()))

    assert_error(answer, 504, "upstream_timeout")
    assert seconds < DEADLINE + SLACK, seconds


def test_a_slow_answer_inside_the_deadline_succeeds(short_deadline: Proxy) -> None:
    short_deadline.kick.answer(slow_tokens(DEADLINE / 2))

    answer, seconds = timed(lambda: short_deadline.exchange(exchange_event()))

    assert answer.status == 200
    assert answer.json["access_token"] == "stub-access"
    assert seconds < DEADLINE


def test_a_drip_fed_answer_that_completes_inside_the_deadline_succeeds(short_deadline: Proxy) -> None:
    short_deadline.kick.answer(dripping_tokens(0.001))

    answer = short_deadline.exchange(exchange_event())

    assert answer.status == 200
    assert answer.body == token_answer().body.decode()


def test_the_container_recovers_after_a_timeout(short_deadline: Proxy) -> None:
    short_deadline.kick.answer(dripping_tokens(0.2), token_answer("after-timeout"))

    timed_out = short_deadline.exchange(exchange_event())
    recovered = short_deadline.exchange(exchange_event())

    assert timed_out.status == 504
    assert recovered.status == 200
    assert recovered.json["access_token"] == "after-timeout"


def test_a_server_that_never_answers_is_upstream_timeout(proxy: Proxy) -> None:
    proxy.set_env("UPSTREAM_TIMEOUT_SECONDS", str(DEADLINE))
    with SilentServer() as silent:
        proxy.set_env("KICK_TOKEN_URL", f"{silent.url}/oauth/token")

        answer, seconds = timed(lambda: proxy.refresh(refresh_event()))

    assert_error(answer, 504, "upstream_timeout")
    assert seconds < DEADLINE + SLACK + 0.5, seconds  # includes the cold secret read


@pytest.fixture
def unaccepting_port() -> Iterator[int]:
    """A listener whose accept queue is full, so a new connection's handshake never completes."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = int(listener.getsockname()[1])
    fillers = []
    for _ in range(8):
        filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.settimeout(0.2)
    try:
        probe.connect(("127.0.0.1", port))
    except (TimeoutError, OSError):
        pass
    else:
        pytest.skip("this kernel completes handshakes beyond the accept queue")
    finally:
        probe.close()
    yield port
    for filler in fillers:
        filler.close()
    listener.close()


def test_a_connection_that_never_completes_is_upstream_timeout(proxy: Proxy, unaccepting_port: int) -> None:
    proxy.set_env("UPSTREAM_TIMEOUT_SECONDS", str(DEADLINE))
    assert proxy.refresh(refresh_event("warm-up")).status == 200
    proxy.set_env("KICK_TOKEN_URL", f"http://127.0.0.1:{unaccepting_port}/oauth/token")

    answer, seconds = timed(lambda: proxy.refresh(refresh_event()))

    assert_error(answer, 504, "upstream_timeout")
    assert seconds < DEADLINE + SLACK, seconds


def test_a_tls_handshake_the_server_drips_is_cut_off_at_the_deadline(proxy: Proxy) -> None:
    proxy.set_env("UPSTREAM_TIMEOUT_SECONDS", str(DEADLINE))
    assert proxy.refresh(refresh_event("warm-up")).status == 200
    # A TLS record header announcing a 16 KiB handshake message, then its bytes one at a time: every
    # socket read succeeds, so only a deadline on the whole call ends the handshake.
    handshake = b"\x16\x03\x03\x40\x00" + bytes(16384)
    with DripServer(handshake, seconds_per_byte=0.05, after_request_head=False) as server:
        proxy.set_env("KICK_TOKEN_URL", f"https://127.0.0.1:{server.port}/oauth/token")

        answer, seconds = timed(lambda: proxy.refresh(refresh_event()))

    assert_error(answer, 504, "upstream_timeout")
    assert seconds < DEADLINE + SLACK, seconds


def test_connection_refused_is_upstream_unavailable_at_once(proxy: Proxy) -> None:
    assert proxy.refresh(refresh_event("warm-up")).status == 200
    proxy.set_env("KICK_TOKEN_URL", f"http://127.0.0.1:{closed_port()}/oauth/token")

    answer, seconds = timed(lambda: proxy.exchange(exchange_event()))

    assert_error(answer, 502, "upstream_unavailable")
    assert_retry_after(answer)
    assert seconds < 0.5, seconds


def test_a_kept_alive_connection_the_server_closed_while_idle_does_not_fail_the_next_request(proxy: Proxy) -> None:
    first = proxy.refresh(refresh_event("refresh-1"))
    proxy.kick.close_idle_connections()

    second = proxy.refresh(refresh_event("refresh-2"))

    assert first.status == 200
    assert second.status == 200, second.body
    assert_no_store_headers(second)
    assert [r.form["refresh_token"] for r in proxy.kick.received] == ["refresh-1", "refresh-2"]
    assert proxy.kick.connections == 2


def test_a_connection_kick_asked_to_close_is_not_reused(proxy: Proxy) -> None:
    closing = token_answer()
    closing.close_connection = True
    proxy.kick.answer(closing, token_answer())

    first = proxy.refresh(refresh_event("refresh-1"))
    second = proxy.refresh(refresh_event("refresh-2"))

    assert (first.status, second.status) == (200, 200)
    assert proxy.kick.connections == 2


def test_warm_invocations_reuse_one_upstream_connection(proxy: Proxy) -> None:
    for index in range(50):
        assert proxy.exchange(exchange_event(f"code-{index}")).status == 200
        assert proxy.refresh(refresh_event(f"refresh-{index}")).status == 200

    assert len(proxy.kick.received) == 100
    assert proxy.kick.connections == 1


def test_each_new_container_opens_its_own_connection(proxy: Proxy) -> None:
    assert proxy.refresh(refresh_event()).status == 200
    proxy.new_container()
    assert proxy.refresh(refresh_event()).status == 200

    assert proxy.kick.connections == 2


def test_slow_secrets_manager_and_dripping_kick_together_stay_within_deadline_plus_two_seconds(proxy: Proxy) -> None:
    """The contract's outer bound, with both dependencies as slow as they can be without failing alone."""
    proxy.set_env("UPSTREAM_TIMEOUT_SECONDS", str(DEADLINE))
    body = json.dumps({"Name": proxy.secret_id, "SecretString": json.dumps(SECRET), "VersionId": "v1"}).encode()
    response = http_response(200, body, "application/x-amz-json-1.1")
    proxy.kick.answer(dripping_tokens(0.2))
    with DripServer(response, 1.2 / len(response)) as slow_secrets_manager:
        proxy.set_env("AWS_ENDPOINT_URL_SECRETS_MANAGER", slow_secrets_manager.url)
        proxy.new_container(fresh_aws_session=True)

        answer, seconds = timed(lambda: proxy.refresh(refresh_event()))

    # 504 when the secret arrived in time, 500 when it did not
    assert (answer.status, answer.json["error"]) in {(504, "upstream_timeout"), (500, "server_error")}
    assert seconds < DEADLINE + 2, seconds


def test_a_connection_idle_longer_than_the_idle_limit_is_not_reused(
    proxy: Proxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    from proxy.adapters import kick as kick_http

    assert kick_http.MAX_IDLE_SECONDS == 30  # README: "idle for more than 30 s is dropped"; shortened here
    monkeypatch.setattr(kick_http, "MAX_IDLE_SECONDS", 0.05)
    assert proxy.refresh(refresh_event("refresh-1")).status == 200
    time.sleep(0.1)

    answer = proxy.refresh(refresh_event("refresh-2"))

    assert answer.status == 200
    assert proxy.kick.connections == 2


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "ALL_PROXY"])
def test_proxy_environment_variables_never_divert_the_form(proxy: Proxy, variable: str) -> None:
    # The secret is cached: only the Kick call is left to divert.
    assert proxy.refresh(refresh_event("warm-up")).status == 200
    with SilentServer() as interceptor:
        proxy.set_env(variable, interceptor.url)

        answer = proxy.refresh(refresh_event())

    assert answer.status == 200
    assert interceptor.accepted == 0
    assert len(proxy.kick.received) == 2
