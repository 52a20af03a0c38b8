"""proxy.cold_start: the entry modules import with the cyclic collector paused, then freeze what they made."""

from __future__ import annotations

import gc

import pytest

from proxy.cold_start import collector_paused


@pytest.mark.usefixtures("collector_state")
def test_the_collector_is_paused_inside_and_what_was_made_is_frozen() -> None:
    gc.enable()
    frozen_before = gc.get_freeze_count()

    with collector_paused():
        paused = not gc.isenabled()
        made = [[index] for index in range(1000)]

    assert paused
    assert gc.isenabled()
    assert gc.get_freeze_count() >= frozen_before + len(made)


@pytest.mark.usefixtures("collector_state")
def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()

    with collector_paused():
        pass

    assert not gc.isenabled()
