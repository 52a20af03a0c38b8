"""The soak's code path with tiny numbers, so `make test` keeps it working; `make soak` measures."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.soak import RSS_GROWTH_LIMIT_BYTES, main, verdict


def test_a_tiny_soak_runs_both_phases_and_reports_every_sample(tmp_path: Path) -> None:
    assert main(["--calls-off=150", "--calls-on=120", f"--results={tmp_path}"]) == 0

    report = json.loads((tmp_path / "latest.json").read_text())
    phases = {phase["name"]: phase for phase in report["phases"]}
    assert [point["calls"] for point in phases["window off"]["samples"]] == [100, 150]
    assert [point["calls"] for point in phases["window on"]["samples"]] == [100, 120]
    assert sum(phases["window off"]["statuses"].values()) == 150
    assert set(phases["window off"]["statuses"]) == {"200", "400", "500", "502"}  # Kick's failures interleaved
    assert "| window on | 120 |" in (tmp_path / "latest.md").read_text()


def test_growth_after_warm_up_fails_the_soak() -> None:
    warm = {"calls": 100, "rss_bytes": 50 * 2**20, "fds": 5, "threads": 2}
    assert verdict([warm, {**warm, "calls": 1000}]) == []
    assert verdict([warm, {**warm, "calls": 1000, "fds": 6}]) == ["fds grew from 5 to 6 by call 1000"]
    assert verdict([warm, {**warm, "calls": 1000, "threads": 3}]) == ["threads grew from 2 to 3 by call 1000"]
    grown = {**warm, "calls": 1000, "rss_bytes": warm["rss_bytes"] + RSS_GROWTH_LIMIT_BYTES + 1}
    assert verdict([warm, grown]) == ["RSS grew by 5.0 MB by call 1000"]
