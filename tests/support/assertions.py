"""Assertions every handler test shares: the contract's response headers and error shape."""

from __future__ import annotations

from tests.support.proxy import Invocation

NO_STORE = {"Content-Type": "application/json", "Cache-Control": "no-store", "Pragma": "no-cache"}


def assert_no_store_headers(answer: Invocation) -> None:
    """RFC 6749 section 5.1 headers, on success and on every error."""
    for name, value in NO_STORE.items():
        assert answer.headers.get(name) == value, f"{name} is {answer.headers.get(name)!r}, expected {value!r}"


def assert_error(answer: Invocation, status: int, error: str) -> dict[str, str]:
    """The contract's error shape: exactly `error` and a non-empty `error_description`."""
    assert answer.status == status, f"status {answer.status}, body {answer.body}"
    assert_no_store_headers(answer)
    document = answer.json
    assert set(document) == {"error", "error_description"}, document
    assert document["error"] == error, document
    assert isinstance(document["error_description"], str)
    assert document["error_description"]
    return dict(document)


def assert_retry_after(answer: Invocation, expected: int | None = None) -> int:
    value = answer.headers.get("Retry-After")
    assert value is not None, f"no Retry-After in {answer.headers}"
    assert value.isdigit(), value
    seconds = int(value)
    assert seconds >= 1
    if expected is not None:
        assert seconds == expected
    return seconds
