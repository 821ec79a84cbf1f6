"""What the topology's timers predict, shown next to each measured outage."""

from __future__ import annotations

from hybridnet.drill.analysis.timers import predict_detection
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
