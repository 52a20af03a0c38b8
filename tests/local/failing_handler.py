"""A function that fails the way a broken deployment would: it raises."""

from __future__ import annotations

from typing import Any


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise RuntimeError("the function failed")
