"""core.errors: the contract's error table as one exception type."""

from __future__ import annotations

import dataclasses

import pytest

from core.errors import (
    DEFAULT_RETRY_AFTER_SECONDS,
    INVALID_REQUEST,
    SERVER_ERROR,
    UPSTREAM_TIMEOUT,
    UPSTREAM_UNAVAILABLE,
    ProxyError,
    bad_request,
    server_error,
    upstream_timeout,
    upstream_unavailable,
)


def test_a_bad_request_is_400_invalid_request_by_default() -> None:
    assert bad_request("x") == ProxyError(400, INVALID_REQUEST, "x")
    assert bad_request("x", status=413).status == 413


def test_upstream_unavailable_is_502_with_a_retry_after() -> None:
    assert upstream_unavailable("x") == ProxyError(502, UPSTREAM_UNAVAILABLE, "x", DEFAULT_RETRY_AFTER_SECONDS)
    assert upstream_unavailable("x", 30).retry_after == 30


def test_upstream_timeout_is_504_with_a_retry_after() -> None:
    error = upstream_timeout()
    assert (error.status, error.error, error.retry_after) == (504, UPSTREAM_TIMEOUT, DEFAULT_RETRY_AFTER_SECONDS)


def test_server_error_is_500_without_retry_after() -> None:
    error = server_error()
    assert (error.status, error.error, error.retry_after) == (500, SERVER_ERROR, None)


def test_a_proxy_error_reads_as_status_code_and_description() -> None:
    assert str(bad_request("code is required")) == "400 invalid_request: code is required"


def test_a_proxy_error_is_an_immutable_exception() -> None:
    error = bad_request("x")
    assert isinstance(error, Exception)
    with pytest.raises(dataclasses.FrozenInstanceError):
        error.status = 200  # type: ignore[misc]
