"""Faults the Kick emulator can inject into its token and revocation endpoints, for trying failure paths by hand.

Set at start-up through environment variables or at run time through the emulator's admin endpoint
(`/_emulator/faults`); see docs/local-development.md.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

ENV_PREFIX = "KICK_EMULATOR_"
MAX_DELAY_MS = 120_000
# Answers Kick is known to give (KickEngineering/KickDevDocs issues), by name; kick_emulator.KICK_ANSWERS.
ANSWER_SHAPES = frozenset(
    {"invalid_grant", "invalid_client", "empty_400", "blocked_403", "challenge_403", "outage_404", "no_access_token"}
)


class InvalidFaults(ValueError):
    """The message names the unusable field."""


@dataclass(frozen=True)
class Faults:
    latency_ms: int = 0  # wait this long before answering
    status: int | None = None  # answer this 4xx/5xx instead of the real answer
    html: bool = False  # answer an HTML page (Cloudflare-like): 403, or `status` when set
    drip_ms: int = 0  # send the body one byte at a time, this far apart
    retry_after: str | None = None  # Retry-After header on a fault answer
    times: int | None = None  # apply to this many token or revocation requests, then clear; None: until cleared
    answer: str | None = None  # one of ANSWER_SHAPES instead of the real answer

    @property
    def active(self) -> bool:
        return bool(self.latency_ms or self.status or self.html or self.drip_ms or self.answer)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def faults_from(values: Mapping[str, object]) -> Faults:
    """Faults from the admin endpoint's JSON object."""
    unknown = set(values) - set(Faults.__dataclass_fields__)
    if unknown:
        raise InvalidFaults(f"unknown fault fields: {', '.join(sorted(unknown))}")
    status = _optional_int(values, "status")
    if status is not None and not 400 <= status <= 599:
        raise InvalidFaults("status must be between 400 and 599")
    times = _optional_int(values, "times")
    if times is not None and times < 1:
        raise InvalidFaults("times must be at least 1")
    retry_after = values.get("retry_after")
    if retry_after is not None and not isinstance(retry_after, str | int):
        raise InvalidFaults("retry_after must be a string or an integer")
    html = values.get("html", False)
    if not isinstance(html, bool):
        raise InvalidFaults("html must be true or false")
    answer = values.get("answer")
    if answer is not None and answer not in ANSWER_SHAPES:
        raise InvalidFaults(f"answer must be one of: {', '.join(sorted(ANSWER_SHAPES))}")
    return Faults(
        latency_ms=_delay(values, "latency_ms"),
        status=status,
        html=html,
        drip_ms=_delay(values, "drip_ms"),
        retry_after=None if retry_after is None else str(retry_after),
        times=times,
        answer=None if answer is None else str(answer),
    )


def faults_from_env(env: Mapping[str, str]) -> Faults:
    """KICK_EMULATOR_LATENCY_MS, _STATUS, _HTML, _DRIP_MS, _RETRY_AFTER, _TIMES, _ANSWER."""
    values: dict[str, object] = {}
    for name in Faults.__dataclass_fields__:
        raw = env.get(ENV_PREFIX + name.upper(), "").strip()
        if not raw:
            continue
        if name == "html":
            values[name] = raw.lower() in ("1", "true", "yes", "on")
        elif name in ("retry_after", "answer"):
            values[name] = raw
        else:
            try:
                values[name] = int(raw)
            except ValueError:
                raise InvalidFaults(f"{ENV_PREFIX}{name.upper()} must be an integer") from None
    return faults_from(values)


class FaultSwitch:
    """The emulator's current faults, shared by its request threads."""

    def __init__(self, faults: Faults | None = None) -> None:
        self._lock = threading.Lock()
        self._faults = faults or Faults()

    def set(self, faults: Faults) -> None:
        with self._lock:
            self._faults = faults

    def current(self) -> Faults:
        with self._lock:
            return self._faults

    def take(self) -> Faults:
        """The faults for one token request, counting it against `times`."""
        with self._lock:
            faults = self._faults
            if faults.times is not None:
                self._faults = Faults() if faults.times <= 1 else replace(faults, times=faults.times - 1)
            return faults


def _optional_int(values: Mapping[str, object], name: str) -> int | None:
    value = values.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidFaults(f"{name} must be an integer")
    return value


def _delay(values: Mapping[str, object], name: str) -> int:
    value = _optional_int(values, name) or 0
    if not 0 <= value <= MAX_DELAY_MS:
        raise InvalidFaults(f"{name} must be between 0 and {MAX_DELAY_MS}")
    return value
