"""What the configured timers predict, so a report can say *why* an outage took as long as it did.

A measured 0.9 s outage means nothing on its own; next to "BFD 300 ms × 3 ⇒ ~0.9 s" it shows the
network behaved as configured, and next to "hold 180 s without BFD" a three-minute outage stops being
a mystery.
"""

from __future__ import annotations

from hybridnet.drill.result import TimerPrediction
from hybridnet.model import Topology


def predict_detection(topology: Topology) -> list[TimerPrediction]:
    """Failure detection times the topology's timers promise, most relevant first.

    The first entry is what governs a silent (gray) failure of the circuit: BFD when it is enabled,
    otherwise the BGP hold timer. A hard cut (link down) is noticed faster than either, because a
    directly connected eBGP session resets as soon as its interface goes down.
    """
    predictions: list[TimerPrediction] = []
    peering = topology.circuit.private_peering
    if peering is not None:
        hold_s = peering.bgp_timers.hold_s
        bfd = peering.bfd
        if bfd.enabled:
            predictions.append(TimerPrediction(
                mechanism="bfd", detection_ms=float(bfd.detection_ms),
                explanation=(f"BFD {bfd.interval_ms} ms × {bfd.multiplier} ⇒ ~{_seconds(bfd.detection_ms)}: "
                             "BFD declares the MSEE peer down after that many missed packets, and BGP "
                             "withdraws the ExpressRoute routes at once."),
            ))
        predictions.append(TimerPrediction(
            mechanism="bgp-hold", detection_ms=hold_s * 1000.0,
            explanation=(f"BGP hold {hold_s} s (keepalive {peering.bgp_timers.keepalive_s} s) ⇒ up to "
                         f"{_seconds(hold_s * 1000)}" + (
                             " if BFD does not notice first" if bfd.enabled else
                             ": without BFD a silent drop is only noticed when the hold timer expires")
                         + "; a hard cut (link down) resets the session sooner."),
        ))
    connection = topology.vpn_connection
    if connection is not None and connection.dpd_timeout_s > 0:
        predictions.append(TimerPrediction(
            mechanism="dpd", detection_ms=connection.dpd_timeout_s * 1000.0,
            applies_to="site-to-site VPN",
            explanation=(f"IKE dead peer detection {connection.dpd_timeout_s} s ⇒ a dead VPN peer is "
                         "noticed after about that long; it matters when the VPN fails, not the circuit."),
        ))
    return predictions


def _seconds(milliseconds: float) -> str:
    if milliseconds < 1000:
        return f"{milliseconds / 1000:.1f} s"
    if milliseconds < 60000:
        return f"{milliseconds / 1000:g} s"
    return f"{milliseconds / 1000:g} s ({milliseconds / 60000:g} min)"
