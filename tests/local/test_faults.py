from __future__ import annotations

import pytest

from local.faults import Faults, FaultSwitch, InvalidFaults, faults_from, faults_from_env


def test_faults_from_the_environment() -> None:
    env = {
        "KICK_EMULATOR_LATENCY_MS": "1500",
        "KICK_EMULATOR_STATUS": "503",
        "KICK_EMULATOR_HTML": "true",
        "KICK_EMULATOR_DRIP_MS": "1000",
        "KICK_EMULATOR_RETRY_AFTER": "30",
        "KICK_EMULATOR_TIMES": "3",
    }
    assert faults_from_env(env) == Faults(
        latency_ms=1500, status=503, html=True, drip_ms=1000, retry_after="30", times=3
    )
    assert faults_from_env({}) == Faults()
    assert not Faults().active


@pytest.mark.parametrize(
    "values",
    [
        {"status": 302},
        {"status": "503"},
        {"latency_ms": -1},
        {"drip_ms": 10**9},
        {"html": "yes"},
        {"times": 0},
        {"retry_after": [1]},
        {"unknown": 1},
    ],
)
def test_unusable_faults_are_refused(values: dict[str, object]) -> None:
    with pytest.raises(InvalidFaults):
        faults_from(values)


def test_a_non_integer_environment_value_is_refused() -> None:
    with pytest.raises(ValueError, match="KICK_EMULATOR_LATENCY_MS"):
        faults_from_env({"KICK_EMULATOR_LATENCY_MS": "slow"})


def test_times_counts_down_then_clears() -> None:
    switch = FaultSwitch(Faults(status=500, times=2))
    assert switch.take().status == 500
    assert switch.current().times == 1
    assert switch.take().status == 500
    assert switch.take() == Faults()
