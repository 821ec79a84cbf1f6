"""Why an IPsec tunnel of a lab is down, said the way an operator needs it: what each end offered.

IKE hides a proposal mismatch from the initiator: the on-prem end only receives NO_PROPOSAL_CHOSEN.
The responder (the emulated Azure gateway) logs what it received and what it would have accepted
("received proposals: ..." / "configured proposals: ..." at log level 1) right before "no acceptable
proposal found". Reading both ends' charon logs turns that into "no proposal chosen: onprem-vpn
offered X; vpn-gateway-0 accepts Y". Other failures keep charon's own words (``failure_reason``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hybridnet.emulate.view import LabView

NO_PROPOSAL_CHOSEN = "no proposal chosen"
_TAIL = 200_000
_MISMATCH = ("no acceptable proposal found", "received proposals unacceptable")
_ESTABLISHED = re.compile(r"CHILD_SA \S+ established")
_RECEIVED = re.compile(r"received proposals: (.*)")
_CONFIGURED = re.compile(r"configured proposals: (.*)")


def tunnel_peer(lab: LabView, node: str, connection: str) -> tuple[str, str] | None:
    """The other end of one planned tunnel: (node, connection name)."""
    azure_ends = [(n, c) for n, c in lab.plan.tunnels if lab.plan.node(n).side == "azure"]
    onprem_ends = [(n, c) for n, c in lab.plan.tunnels if lab.plan.node(n).side != "azure"]
    if (node, connection) in azure_ends and azure_ends.index((node, connection)) < len(onprem_ends):
        return onprem_ends[azure_ends.index((node, connection))]
    for onprem_node, name in onprem_ends:
        if (onprem_node, name) == (node, connection) and name.startswith("azure-"):
            index = int(name.removeprefix("azure-"))
            return azure_ends[index] if index < len(azure_ends) else None
    return None


def proposal_mismatch(log: Path) -> tuple[str, str] | None:
    """(received, configured) of the last proposal mismatch a charon logged, unless an SA came up after it."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")[-_TAIL:]
    except OSError:
        return None
    failed = max(text.rfind(needle) for needle in _MISMATCH)
    established = max((m.start() for m in _ESTABLISHED.finditer(text)), default=-1)
    if failed < 0 or established > failed:
        return None
    before = text[:failed]
    received = list(_RECEIVED.finditer(before))
    configured = list(_CONFIGURED.finditer(before))
    if not received or not configured:
        return None
    return _readable(received[-1].group(1)), _readable(configured[-1].group(1))


def _readable(proposals: str) -> str:
    """charon's proposal list without the transform every ESP proposal carries."""
    return proposals.strip().replace("/NO_EXT_SEQ", "")


def diagnose(lab: LabView, node: str, connection: str) -> str | None:
    """Why ``connection`` of ``node`` has no CHILD SA: a proposal mismatch (either end's log), or None."""
    peer = tunnel_peer(lab, node, connection)
    for responder, initiator in ((node, peer[0] if peer else "the peer"), (peer[0] if peer else None, node)):
        if responder is None:
            continue
        found = proposal_mismatch(lab.node_directory(responder) / "charon.log")
        if found is not None:
            received, configured = found
            return f"{NO_PROPOSAL_CHOSEN}: {initiator} offered {received}; {responder} accepts {configured}"
    return None


def failure_reason(lab: LabView, node: str, connection: str) -> str | None:
    """The best explanation there is: a proposal mismatch with both sides' lists, else charon's log."""
    return diagnose(lab, node, connection) or lab.charon(node).failure_reason()
