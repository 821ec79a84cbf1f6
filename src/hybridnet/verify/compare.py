"""Does a live path agree with the prediction? Pure: node lists in, a verdict with its reason out.

The analysis predicts a flow from the site's router that holds the LAN (forward) or from the VNet's
fabric (reverse) to where it is delivered, every ECMP branch; the lab's FIB walk goes from the host
or VM itself to the other end, following one branch. A live path agrees when, without its two ends
(the host and the VM, which the analysis does not model), it is one of the predicted branches with
the same fate: delivered both, or lost both at the same node. Either side may begin one hop earlier
(the estate engine starts a site's flows at the device that holds the LAN, a host may sit behind
another router), which is the only slack allowed; anything else is a difference, shown with both
hop lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hybridnet.verify.flows import Branches, FlowEnds, FlowPrediction


@dataclass(frozen=True)
class LivePath:
    """What the lab's FIB walk found: the nodes from the source on, and whether it reached the target."""

    hops: tuple[str, ...]
    reached: bool

    @property
    def inner(self) -> tuple[str, ...]:
        """The hops between the two ends (the source, and the target if reached, left out)."""
        return self.hops[1:-1] if self.reached else self.hops[1:]


@dataclass(frozen=True)
class DirectionVerdict:
    agrees: bool
    predicted: Branches
    live: LivePath
    why: str = ""


@dataclass(frozen=True)
class FlowVerdict:
    flow: FlowEnds
    forward: DirectionVerdict
    reverse: DirectionVerdict

    @property
    def agrees(self) -> bool:
        return self.forward.agrees and self.reverse.agrees


def same_hops(live: Sequence[str], branch: Sequence[str]) -> bool:
    """Equal, or equal once the one that starts a hop earlier drops that hop."""
    live, branch = tuple(live), tuple(branch)
    return live == branch or (len(live) > 1 and live[1:] == branch) or (len(branch) > 1 and branch[1:] == live)


def compare_direction(predicted: Branches, live: LivePath) -> DirectionVerdict:
    """One direction of one flow: the verdict, and why when it differs."""
    inner = live.inner
    for hops, delivered in zip(predicted.branches, predicted.delivered, strict=True):
        if delivered and live.reached and same_hops(inner, hops):
            return DirectionVerdict(True, predicted, live)
        # a walk stops before the node a loop would repeat; a black hole ends at the node without a route
        loop = len(hops) > 1 and hops[-1] in hops[:-1]
        if not delivered and not live.reached and (same_hops(inner, hops) or (loop and same_hops(inner, hops[:-1]))):
            return DirectionVerdict(True, predicted, live)
    if live.reached and not predicted.any_delivered:
        why = "predicted lost, but the lab delivers it"
    elif not live.reached and predicted.all_delivered:
        why = f"predicted delivered, but the lab loses it after {live.hops[-1]}"
    else:
        why = "the lab takes another path"
    return DirectionVerdict(False, predicted, live, why)


def compare_flow(prediction: FlowPrediction, forward: LivePath, reverse: LivePath) -> FlowVerdict:
    """Both directions of one flow."""
    return FlowVerdict(prediction.flow, compare_direction(prediction.forward, forward),
                       compare_direction(prediction.reverse, reverse))


def shown(branches: Branches) -> str:
    """``a → b → c`` per branch, ``|`` between ECMP branches, ``✗`` after a branch that is lost."""
    return " | ".join(" → ".join(hops) + ("" if ok else " ✗") for hops, ok in
                      zip(branches.branches, branches.delivered, strict=True))


def shown_live(live: LivePath) -> str:
    return " → ".join(live.hops) + ("" if live.reached else " ✗")
