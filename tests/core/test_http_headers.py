"""core.http_headers: header names are case-insensitive, values are returned as given."""

from __future__ import annotations

import pytest

from core.http_headers import header


@pytest.mark.parametrize("name", ["content-type", "Content-Type", "CONTENT-TYPE", "cOnTeNt-TyPe"])
def test_a_header_is_found_whatever_the_case_on_either_side(name: str) -> None:
    assert header({"Content-Type": "application/json"}, name) == "application/json"
    assert header({name: "application/json"}, "Content-Type") == "application/json"


def test_a_missing_header_is_none() -> None:
    assert header({"Content-Length": "3"}, "Content-Type") is None
    assert header({}, "Origin") is None


def test_a_header_value_is_returned_exactly() -> None:
    assert header({"Origin": " http://localhost:1420 "}, "origin") == " http://localhost:1420 "


def test_the_first_of_two_spellings_wins() -> None:
    assert header({"origin": "first", "Origin": "second"}, "ORIGIN") == "first"
