"""Result types: what the timers predict, repeat statistics, and when a drill passes."""

from __future__ import annotations

import pytest

from hybridnet.drill.prediction import predict_detection
from hybridnet.drill.result import (
    DrillResult,
    PathMtuResult,
    RepeatStatistics,
    StepResult,
    TcpStreamResult,
    UdpFigures,
)
from hybridnet.model import Topology
from tests.conftest import reference_document, topology_from


def test_bfd_300_ms_times_3_predicts_about_0_9_s(reference: Topology) -> None:
    first = predict_detection(reference)[0]
    assert (first.mechanism, first.detection_ms) == ("bfd", 900.0)
    assert "BFD 300 ms × 3 ⇒ ~0.9 s" in first.explanation


def test_without_bfd_the_hold_timer_governs_and_says_so() -> None:
    document = reference_document()
    document["circuit"]["private_peering"]["bfd"]["enabled"] = False
    predictions = predict_detection(topology_from(document))
    assert predictions[0].mechanism == "bgp-hold" and predictions[0].detection_ms == 180_000.0
    assert "hold 180 s" in predictions[0].explanation and "without BFD" in predictions[0].explanation


def test_lowered_timers_change_the_prediction() -> None:
    document = reference_document()
    document["circuit"]["private_peering"]["bfd"] = {"enabled": True, "interval_ms": 100, "multiplier": 5}
    document["circuit"]["private_peering"]["bgp_timers"] = {"keepalive_s": 3, "hold_s": 10}
    predictions = {p.mechanism: p for p in predict_detection(topology_from(document))}
    assert predictions["bfd"].detection_ms == 500.0
    assert predictions["bgp-hold"].detection_ms == 10_000.0


def test_vpn_dead_peer_detection_is_predicted_separately(reference: Topology) -> None:
    dpd = next(p for p in predict_detection(reference) if p.mechanism == "dpd")
    assert dpd.detection_ms == 45_000.0 and dpd.applies_to == "site-to-site VPN"


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
