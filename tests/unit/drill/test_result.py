"""Result types: repeat statistics, path MTU and MSS, and when a drill passes."""

from __future__ import annotations

import pytest

from hybridnet.drill.result import (
    DrillResult,
    PathMtuResult,
    RepeatStatistics,
    StepResult,
    TcpStreamResult,
    UdpFigures,
)


def test_repeat_statistics_use_measured_values_only() -> None:
    stats = RepeatStatistics.of("stop the circuit", "onprem-to-vnet",
                                [900.0, 870.0, 1010.0, 950.0, 880.0, 2000.0, 930.0, 905.0, 915.0, 890.0])
    assert (stats.runs, stats.min_ms, stats.max_ms) == (10, 870.0, 2000.0)
    assert stats.median_ms == pytest.approx(910.0)  # mean of the middle pair, 905 and 915
    assert stats.p95_ms == 2000.0  # nearest rank 10 of 10
    assert RepeatStatistics.of("s", "onprem-to-vnet", [5.0]).p95_ms == 5.0
    with pytest.raises(ValueError, match="no outage values"):
        RepeatStatistics.of("s", "onprem-to-vnet", [])


def _step(outage_ms: float, after: str = "VPN", expected: str | None = "VPN") -> StepResult:
    udp = UdpFigures(sent=100, received=90, lost=10, request_lost=10, reply_lost=0, lost_unattributed=0,
                     duplicated=0, reordered=0, outage_ms=outage_ms, request_outage_ms=outage_ms,
                     reply_outage_ms=0.0)
    return StepResult(name="stop the circuit", direction="onprem-to-vnet", udp=udp,
                      path_before="ExpressRoute", path_during="none", path_after=after,
                      expected_path=expected)


def test_a_drill_passes_only_within_max_outage_with_the_stream_intact_on_the_expected_path() -> None:
    result = DrillResult(topology="t", fault="circuit hard down", started_at="x", probe_interval_ms=10.0,
                         steps=[_step(950.0)], max_outage_ms=1000.0,
                         tcp_stream=TcpStreamResult(10, 10, checksum_ok=True, survived=True))
    assert result.passed and result.worst_outage_ms == 950.0
    result.max_outage_ms = 900.0
    assert not result.passed
    result.max_outage_ms = None
    result.steps = [_step(950.0, after="ExpressRoute")]
    assert not result.passed
    result.steps = [_step(950.0)]
    result.tcp_stream = TcpStreamResult(10, 10, checksum_ok=True, survived=False)
    assert not result.passed


def test_path_mtu_and_mss_protection() -> None:
    clamped = PathMtuResult(path="VPN", largest_df_payload=1372, mss_observed=1350)
    assert clamped.path_mtu == 1400 and clamped.mss_protects is True
    assert PathMtuResult(path="VPN", largest_df_payload=1372, mss_observed=1361).mss_protects is False
