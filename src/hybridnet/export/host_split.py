"""Splitting a lab across N containerlab hosts: which node runs where, and which links cross hosts.

containerlab runs one topology file per host; a link whose two ends land on different hosts becomes
a VXLAN-stitched link on both, with the same VNI and each pointing at the other host. Cross-host
links cost encapsulation and a dependency on the underlay, so nodes of one group stay on one host
when that keeps the hosts within 25 % of an even share; a group too big for that is cut in
breadth-first order over its own links, so that neighbours stay together and few links cross. A
group is a side (Azure, the internet segment: what ``Node.side`` says), but on-prem one site
(``Node.site``) and in Azure one spoke VNet (``Node.vnet``): an estate's sites meet only through
Azure and a spoke only through its peering, so each is a natural unit (the reference has one site
and no spoke: its sides stay whole).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from hybridnet.emulate import LabPlan

SLACK = 1.25
"""A host may carry up to 25 % more than an even share before a side is cut in two."""


@dataclass(frozen=True)
class HostSplit:
    """``hosts[i]``: the node names host i runs, in plan order."""

    hosts: tuple[tuple[str, ...], ...]

    def host_of(self, node: str) -> int:
        for index, names in enumerate(self.hosts):
            if node in names:
                return index
        raise KeyError(node)


def split_hosts(lab_plan: LabPlan, count: int) -> HostSplit:
    """Assign every node of ``lab_plan`` to one of ``count`` hosts (balanced, sides and sites kept together)."""
    names = [node.name for node in lab_plan.nodes]
    if count < 1:
        raise ValueError("--hosts must be at least 1")
    if count > len(names):
        raise ValueError(f"--hosts {count}: the lab has only {len(names)} nodes, so some host would stay empty")
    capacity = max(1, math.ceil(SLACK * len(names) / count))
    spokes = {spoke.name for spoke in lab_plan.topology.spokes}
    units: dict[tuple[str, str], list[str]] = {}
    for node in lab_plan.nodes:
        unit = node.site or (node.vnet if node.vnet in spokes else None) or ""
        units.setdefault((node.side, unit), []).append(node.name)
    load: list[list[str]] = [[] for _ in range(count)]
    groups = sorted(units.values(), key=len, reverse=True)
    for group in groups:
        fitting = [i for i in range(count) if len(load[i]) + len(group) <= capacity]
        if fitting:
            target = min(fitting, key=lambda i: (len(load[i]), i))
            load[target].extend(group)
            continue
        remaining = deque(_breadth_first(lab_plan, group))
        while remaining:
            target = min(range(count), key=lambda i: (len(load[i]), i))
            room = max(1, capacity - len(load[target]))
            for _ in range(min(room, len(remaining))):
                load[target].append(remaining.popleft())
    # A host left empty (only when sides are few and large) takes nodes from the fullest one.
    for index in range(count):
        while not load[index]:
            donor = max(range(count), key=lambda i: len(load[i]))
            load[index].append(load[donor].pop())
    order = {name: position for position, name in enumerate(names)}
    return HostSplit(tuple(tuple(sorted(host, key=order.__getitem__)) for host in load))


def _breadth_first(lab_plan: LabPlan, group: list[str]) -> list[str]:
    """The group's nodes in breadth-first order over the links among them (plan order breaks ties)."""
    members = set(group)
    neighbours: dict[str, list[str]] = {name: [] for name in group}
    for link in lab_plan.links:
        if link.a.node in members and link.b.node in members:
            neighbours[link.a.node].append(link.b.node)
            neighbours[link.b.node].append(link.a.node)
    seen: set[str] = set()
    ordered: list[str] = []
    for start in group:
        if start in seen:
            continue
        queue = deque([start])
        seen.add(start)
        while queue:
            name = queue.popleft()
            ordered.append(name)
            for other in neighbours[name]:
                if other not in seen:
                    seen.add(other)
                    queue.append(other)
    return ordered
