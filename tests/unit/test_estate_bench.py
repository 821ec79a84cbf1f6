"""The estate benchmark's pure parts: the table it prints, the per-node fit and the search's steps."""

from __future__ import annotations

import importlib
import itertools
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture(scope="module")
def estate_bench():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(BENCH))
    try:
        yield importlib.import_module("estate_bench")
    finally:
        sys.path.remove(str(BENCH))


def test_fit_recovers_a_line(estate_bench) -> None:  # type: ignore[no-untyped-def]
    slope, intercept = estate_bench.fit([(10, 2.5), (20, 3.5), (40, 5.5)])
    assert slope == pytest.approx(0.1) and intercept == pytest.approx(1.5)
    assert estate_bench.fit([(10, 1.0), (10, 2.0)]) is None


def test_increments_ignore_failed_rows(estate_bench) -> None:  # type: ignore[no-untyped-def]
    row = estate_bench.Row
    rows = [row("a", 10, ready_s=2.0, pss_mb=100.0), row("b", 30, ready_s=4.0, pss_mb=300.0),
            row("c", 50, error="timeout")]
    assert estate_bench.increments(rows) == (pytest.approx(0.1), pytest.approx(10.0))


def test_table_shows_figures_and_failures(estate_bench) -> None:  # type: ignore[no-untyped-def]
    row = estate_bench.Row
    text = estate_bench.table([row("1 sites x 1 spokes", 17, 8, 3, 3.456, 12.34, 201.7, 0.61),
                               row("63 sites x 640 spokes", 1400, error="BGP not established on s5-rtr")])
    lines = text.splitlines()
    assert lines[0].startswith("| estate | namespaces |") and len(lines) == 4
    assert lines[2] == "| 1 sites x 1 spokes | 17 | 8 | 3 | 3.46 | 12.3 | 202 | 0.61 |"
    assert lines[3] == "| 63 sites x 640 spokes | 1400 | - | - | failed: BGP not established on s5-rtr | - | - | - |"


def test_search_grows_to_the_generator_limits(estate_bench) -> None:  # type: ignore[no-untyped-def]
    assert estate_bench.search_steps(16, 40, max_sites=100, max_spokes=125) == [
        (16, 40), (32, 80), (64, 125), (100, 125)]
    steps = estate_bench.search_steps(16, 40)
    assert all(b[0] >= a[0] and b[1] >= a[1] and a != b for a, b in itertools.pairwise(steps))
    assert steps[-1] == (estate_bench.MAX_SITES, min(estate_bench.MAX_SPOKES, estate_bench.LAB_MAX_SPOKES))


def test_marginal_cost_between_rows(estate_bench) -> None:  # type: ignore[no-untyped-def]
    row = estate_bench.Row
    lines = estate_bench.marginal([row("a", 100, ready_s=10.0, pss_mb=500.0), row("x", 150, error="timeout"),
                                   row("b", 200, ready_s=30.0, pss_mb=1500.0)])
    assert lines == ["a -> b: 0.200 s and 10.0 MB per added namespace"]


def test_increments_by_growth_kind(estate_bench) -> None:  # type: ignore[no-untyped-def]
    row = estate_bench.Row
    rows = [row("1x1", 10, ready_s=1.0, pss_mb=100.0, sites=1, spokes=1),
            row("2x1", 20, ready_s=3.0, pss_mb=300.0, sites=2, spokes=1),
            row("1x5", 18, ready_s=1.4, pss_mb=101.6, sites=1, spokes=5),
            row("2x5", 28, ready_s=3.4, pss_mb=301.6, sites=2, spokes=5)]
    seconds, megabytes = estate_bench.increments_by(rows, "sites")
    assert seconds == pytest.approx(0.2) and megabytes == pytest.approx(20.0)
    seconds, megabytes = estate_bench.increments_by(rows, "spokes")
    assert seconds == pytest.approx(0.05) and megabytes == pytest.approx(0.2)


def test_bisect_between_last_good_and_failure(estate_bench) -> None:  # type: ignore[no-untyped-def]
    assert estate_bench.bisect_steps((32, 80), (64, 125), 2) == [(48, 102), (56, 113)]
    assert estate_bench.bisect_steps((32, 80), (33, 81), 3) == []


def test_failure_names_the_frame_of_a_crash(estate_bench) -> None:  # type: ignore[no-untyped-def]
    try:
        {}["x"]
    except KeyError as error:
        text = estate_bench.failure(error)
    assert text.startswith("KeyError: 'x' at test_estate_bench.py:")
    assert estate_bench.failure(estate_bench.LabError("not ready: BGP s5-rtr")) == "not ready: BGP s5-rtr"
