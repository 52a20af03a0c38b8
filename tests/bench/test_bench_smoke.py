"""The bench's code path with tiny numbers, so `make test` keeps it working; `make bench` measures."""

from __future__ import annotations

from benchmarks.cold_warm import markdown, measure_warm
from benchmarks.harness import Bench
from benchmarks.importtime_breakdown import breakdown
from tests.support.aws import MotoServer


def test_warm_calls_reuse_one_upstream_connection(moto_server: MotoServer) -> None:
    bench = Bench(moto=moto_server, secret_id="kick-oauth-proxy/bench-smoke")
    moto_server.put_secret(bench.secret_id, {"client_id": "bench-client", "client_secret": "bench-secret"})

    warm = measure_warm(bench, calls=10, block=3)

    # each side has its own Kick stub: one first call, 5 warm-up and 10 measured calls on one connection
    assert warm["connections_during_warm_run"] == {"ours": 1, "floor": 1}
    assert warm["ours"]["n"] == warm["floor"]["n"] == 10
    assert 0 < warm["ours"]["median"] < 1000
    assert warm["ratio_median"] > 0


def test_report_renders_without_measuring() -> None:
    phase = {"n": 1, "median": 2.0, "p90": 2.0, "mean": 2.0, "min": 2.0, "max": 2.0}
    side = {name: dict(phase) for name in ("total", "interpreter", "import", "first_call")}
    results = {
        "machine": {
            "date": "d",
            "python": "3",
            "implementation": "CPython",
            "platform": "p",
            "cpu_count": 2,
            "load_average_at_start": None,
        },
        "cold": {"ours": side, "floor": side, "ratio_median": 1.0, "ratio_p90": 1.0},
        "warm": {
            "ours": phase,
            "floor": phase,
            "ratio_median": 1.0,
            "ratio_p90": 1.0,
            "connections_during_warm_run": {"ours": 1, "floor": 1},
            "block": 20,
        },
        "connections": {"warm_calls": 100, "accepted": 1},
        "imports": {
            "runs_per_side": 1,
            "ours_total_ms": 1.0,
            "floor_total_ms": 1.0,
            "unique_modules": 0,
            "unique_total_ms": 0.0,
            "top_unique": [],
            "by_package": {},
        },
        "seconds": 1.0,
        "verdicts": {"cold": True, "warm": True, "connections": True},
    }
    report = markdown(results)
    assert "| cold start median | 2.0 ms | 2.0 ms | 1.0000x | <= 1.10x | yes |" in report


IMPORTTIME_OURS = """import time: self [us] | cumulative | imported package
import time:       100 |        100 |     json
import time:       300 |        300 |       typing_extensions
import time:       200 |        500 |     powertools
import time:        50 |        650 |   handlers.token_endpoint
import time:        10 |        660 | handlers.exchange
"""
IMPORTTIME_FLOOR = """import time:       120 |        120 |   json
import time:        10 |        130 | benchmarks.floor_handler
"""


def test_import_breakdown_charges_ours_only_for_what_the_floor_does_not_import() -> None:
    result = breakdown([IMPORTTIME_OURS], [IMPORTTIME_FLOOR])

    assert result["unique_total_ms"] == 0.56
    top = {row["module"]: row for row in result["top_unique"]}
    assert top["handlers.exchange"]["attributable_ms"] == 0.56  # json (0.1 ms) is not charged
    assert top["powertools"]["attributable_ms"] == 0.5
    assert top["typing_extensions"]["imported_by"] == "powertools"
    assert "json" not in top
