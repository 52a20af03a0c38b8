"""The client credentials in Secrets Manager: every failure is a 500 that is not cached, so the next
invocation recovers by itself, and a hanging Secrets Manager cannot hold the request."""

from __future__ import annotations

import json
import threading
import uuid

import pytest

from tests.support.assertions import assert_error
from tests.support.logs import CapturedOutput
from tests.support.proxy import CLIENT_ID, CLIENT_SECRET, Proxy
from tests.support.sockets import DripServer, SilentServer, TcpForwarder, closed_port, http_response
from tests.support.token_requests import exchange_event, expected_refresh_form, refresh_event, timed

GOOD_SECRET = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
DEADLINE = 1.0
REQUESTS = 4


def test_a_missing_secret_is_a_server_error_and_its_creation_is_picked_up_next_time(proxy: Proxy) -> None:
    secret_id = f"kick-oauth-proxy/not-yet-{uuid.uuid4()}"
    proxy.set_env("KICK_SECRET_ID", secret_id)

    failed = proxy.refresh(refresh_event())
    proxy.moto.put_secret(secret_id, GOOD_SECRET)
    recovered = proxy.refresh(refresh_event())

    assert_error(failed, 500, "server_error")
    assert recovered.status == 200
    assert len(proxy.kick.received) == 1


@pytest.mark.parametrize(
    "secret_string",
    [
        pytest.param("client_id=x&client_secret=y", id="not-json"),
        pytest.param("", id="binary-only"),
        pytest.param(json.dumps({"client_id": CLIENT_ID}), id="no-client_secret"),
        pytest.param(json.dumps({"client_secret": CLIENT_SECRET}), id="no-client_id"),
        pytest.param(json.dumps({"client_id": CLIENT_ID, "client_secret": ""}), id="empty-client_secret"),
        pytest.param(json.dumps({"client_id": CLIENT_ID, "client_secret": 42}), id="numeric-client_secret"),
        pytest.param(json.dumps([CLIENT_ID, CLIENT_SECRET]), id="json-array"),
        pytest.param("null", id="json-null"),
    ],
)
def test_an_unusable_secret_is_a_server_error_and_fixing_it_is_picked_up_next_time(
    proxy: Proxy, output: CapturedOutput, secret_string: str
) -> None:
    if secret_string:
        proxy.moto.put_secret(proxy.secret_id, secret_string)
    else:
        proxy.moto.client("secretsmanager").put_secret_value(SecretId=proxy.secret_id, SecretBinary=b"\x00")

    failed = proxy.refresh(refresh_event())
    proxy.moto.put_secret(proxy.secret_id, GOOD_SECRET)
    recovered = proxy.refresh(refresh_event("refresh-2"))

    assert_error(failed, 500, "server_error")
    assert recovered.status == 200, recovered.body
    [received] = proxy.kick.received
    assert sorted(received.form_pairs) == expected_refresh_form("refresh-2")
    assert [line["level"] for line in output.json_lines() if line["level"] in ("ERROR", "CRITICAL")] == ["ERROR"]


def test_secrets_manager_refusing_connections_is_a_server_error_and_its_return_is_picked_up(proxy: Proxy) -> None:
    port = closed_port()
    proxy.set_env("AWS_ENDPOINT_URL_SECRETS_MANAGER", f"http://127.0.0.1:{port}")
    proxy.new_container(fresh_aws_session=True)

    failed, seconds = timed(lambda: proxy.exchange(exchange_event()))
    moto_port = int(proxy.moto.endpoint.rsplit(":", 1)[1])
    with TcpForwarder(target_port=moto_port, port=port):  # Secrets Manager is back, same address
        recovered = proxy.exchange(exchange_event())

    assert_error(failed, 500, "server_error")
    assert seconds < 1.5, seconds
    assert recovered.status == 200, recovered.body
    assert len(proxy.kick.received) == 1


def test_a_hanging_secrets_manager_is_a_server_error_within_the_deadline(proxy: Proxy) -> None:
    proxy.set_env("UPSTREAM_TIMEOUT_SECONDS", str(DEADLINE))
    with SilentServer() as silent:
        proxy.set_env("AWS_ENDPOINT_URL_SECRETS_MANAGER", silent.url)
        proxy.new_container(fresh_aws_session=True)

        answer, seconds = timed(lambda: proxy.refresh(refresh_event()))

    assert_error(answer, 500, "server_error")
    assert silent.accepted == 1  # it really was Secrets Manager that hung, asked once: never retried
    assert seconds < 2.0, seconds  # about the 1 s botocore read timeout; the contract allows deadline + 2 s
    assert proxy.kick.received == []


def test_the_secret_is_cached_per_container(proxy: Proxy) -> None:
    assert proxy.refresh(refresh_event()).status == 200
    proxy.moto.put_secret(proxy.secret_id, {"client_id": CLIENT_ID, "client_secret": "rotated-secret"})
    cached = proxy.refresh(refresh_event())
    proxy.new_container()
    fresh = proxy.refresh(refresh_event())

    assert (cached.status, fresh.status) == (200, 200)
    secrets = [received.form["client_secret"] for received in proxy.kick.received]
    assert secrets == [CLIENT_SECRET, CLIENT_SECRET, "rotated-secret"]


def test_the_secret_can_be_named_by_arn(proxy: Proxy) -> None:
    arn = proxy.moto.put_secret(f"kick-oauth-proxy/by-arn-{uuid.uuid4()}", GOOD_SECRET)
    proxy.set_env("KICK_SECRET_ID", arn)

    assert proxy.refresh(refresh_event()).status == 200


def test_a_secrets_manager_that_drips_its_answer_cannot_hold_the_request_past_the_deadline(proxy: Proxy) -> None:
    """Each byte arrives well inside botocore's 1 s read timeout; only a total bound stops it."""
    proxy.set_env("UPSTREAM_TIMEOUT_SECONDS", str(DEADLINE))
    body = json.dumps({"Name": proxy.secret_id, "SecretString": json.dumps(GOOD_SECRET), "VersionId": "v1"})
    with DripServer(http_response(200, body.encode(), "application/x-amz-json-1.1"), 0.2) as dripping:
        proxy.set_env("AWS_ENDPOINT_URL_SECRETS_MANAGER", dripping.url)
        proxy.new_container(fresh_aws_session=True)

        answer, seconds = timed(lambda: proxy.refresh(refresh_event()))

    assert_error(answer, 500, "server_error")
    assert seconds < DEADLINE + 2, seconds


def test_the_secret_has_one_cache_lifetime_however_long_the_read_took(proxy: Proxy) -> None:
    """A read that takes a while must not leave a second, later-starting cache holding the old value.

    The reader's clock is a fake one that each GetSecretValue moves on by a minute, so the moment the
    second request is checked against the cache is exact, however loaded the machine; a cache counted
    from the read's end (as Powertools Parameters' would be) hands back the old secret here."""
    from proxy import pipeline
    from proxy.adapters import secrets_manager
    from proxy.adapters.aws_session import AwsSession, new_session

    read_seconds = 60.0
    now = [1000.0]
    sends: list[float] = []

    def slow_send(**_: object) -> None:
        sends.append(now[0])
        now[0] += read_seconds

    slow = new_session()
    slow.register("before-send.secrets-manager", slow_send)
    reader = secrets_manager.ClientCredentialsReader(AwsSession(slow), clock=lambda: now[0])
    proxy.monkeypatch.setattr(pipeline.container, "credentials", reader)

    first = proxy.refresh(refresh_event())
    proxy.moto.put_secret(proxy.secret_id, {"client_id": CLIENT_ID, "client_secret": "rotated-secret"})
    # Past the lifetime counted from the read's start, within one counted from the read's end.
    now[0] = sends[0] + secrets_manager.CACHE_SECONDS + read_seconds / 2
    after = proxy.refresh(refresh_event())

    assert (first.status, after.status) == (200, 200)
    assert sends == [1000.0, 1000.0 + secrets_manager.CACHE_SECONDS + read_seconds / 2]  # two reads, each timed
    secrets = [received.form["client_secret"] for received in proxy.kick.received]
    assert secrets == [CLIENT_SECRET, "rotated-secret"]


def test_a_dripping_secrets_manager_does_not_pile_up_reads(proxy: Proxy) -> None:
    """Requests that meet a read still in flight join it instead of starting another thread and socket."""
    proxy.set_env("UPSTREAM_TIMEOUT_SECONDS", "0.2")
    body = json.dumps({"Name": proxy.secret_id, "SecretString": json.dumps(GOOD_SECRET), "VersionId": "v1"})
    with DripServer(http_response(200, body.encode(), "application/x-amz-json-1.1"), 0.2) as dripping:
        proxy.set_env("AWS_ENDPOINT_URL_SECRETS_MANAGER", dripping.url)
        proxy.new_container(fresh_aws_session=True)
        threads_before = _threads_but_the_watchdog()

        answers = [proxy.refresh(refresh_event()) for _ in range(REQUESTS)]
        readers = [thread for thread in threading.enumerate() if thread.name == "secret-read"]
        threads_after = _threads_but_the_watchdog()

    assert [answer.status for answer in answers] == [500] * REQUESTS
    assert len(readers) == 1
    assert dripping.accepted == 1
    assert threads_after - threads_before <= 2, (threads_before, threads_after)  # the read and DripServer's own


def _threads_but_the_watchdog() -> int:
    """Live threads, less what a cold request's preconnect to Kick (proxy/warmup.py) starts besides reads:
    the Kick adapter's one deadline watchdog per process, and the Kick stub's thread serving the kept
    connection (a server thread of the test, not of the proxy)."""
    return sum(
        1
        for thread in threading.enumerate()
        if thread.name != "kick-deadline" and "process_request_thread" not in thread.name
    )
