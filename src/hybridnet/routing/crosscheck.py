"""Comparing the prediction with a running lab: the emulator is the analysis's ground truth.

A lab test reads each node's installed routes (next-hop addresses mapped to node names) and traces
paths; these functions say where they disagree with ``routing_table`` and ``analyse``, in a form a
person can use to decide which of the two has the bug.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network

from hybridnet.routing.paths import Path
from hybridnet.routing.tables import RoutingTable

InstalledRoutes = Mapping[str, Mapping[IPv4Network, Iterable[str]]]
"""Node → prefix → the nodes its installed route points at (empty or absent: no route)."""


@dataclass(frozen=True)
class RouteMismatch:
    node: str
    prefix: IPv4Network
    predicted: frozenset[str]
    installed: frozenset[str]

    def __str__(self) -> str:
        def shown(nodes: frozenset[str]) -> str:
            return ", ".join(sorted(nodes)) or "no route"

        return (
            f"{self.node} {self.prefix}: predicted {shown(self.predicted)}, installed {shown(self.installed)}"
        )


def compare_routes(
    predicted: RoutingTable, installed: InstalledRoutes, scope: Mapping[str, Iterable[IPv4Network]]
) -> list[RouteMismatch]:
    """Every (node, prefix) in ``scope`` (see ``tables.comparable_routes``) where the lab's route
    differs from the prediction."""
    mismatches = []
    for node, prefixes in scope.items():
        mine, theirs = predicted.get(node, {}), installed.get(node, {})
        for prefix in prefixes:
            expected = frozenset(hop.node for hop in mine.get(prefix, ()))
            actual = frozenset(theirs.get(prefix, ()))
            if expected != actual:
                mismatches.append(RouteMismatch(node, prefix, expected, actual))
    return mismatches


def path_matches(predicted: Path, traced: Sequence[str]) -> bool:
    """Whether a traced hop list is one of the predicted branches (a traceroute shows one of them;
    it may leave out the node it starts from)."""
    traced = tuple(traced)
    return any(
        branch.hops in (traced, traced[1:]) or branch.hops[1:] == traced for branch in predicted.branches
    )
