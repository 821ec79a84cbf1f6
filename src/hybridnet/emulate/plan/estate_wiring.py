"""Where the on-prem and Azure halves of an estate's plan meet: one answer for both sides.

The on-prem half (``onprem_side`` for the legacy ``onprem`` block, ``site_side`` for ``sites``) lays the
cables that cross to Azure — each customer edge to its MSEE, each VPN end to the internet — and the
Azure half (``azure_side``) addresses the far end of those cables and configures the daemons there.
Both must agree on which MSEE a device meets, which internet port and IKE connection a VPN end gets
and which placeholder stands for its key; this module is that agreement, so neither side guesses.

Order is ``topology.all_sites`` then the site's devices, and ``all_circuits`` for circuits: the
reference (legacy ``onprem``, one circuit, one VPN appliance) keeps exactly the names it always had
(``msee-primary``, internet port ``onprem``, IKE connection ``onprem``, ``SECRET_SLOT``).
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address

from hybridnet.emulate.errors import LabError
from hybridnet.emulate.plan.types import SECRET_SLOT
from hybridnet.model import IpsecConnection, Topology, TopologyError
from hybridnet.model.estate import Site, SiteDevice
from hybridnet.model.gateways import LocalNetworkGateway, VpnGateway
from hybridnet.model.names import msee_node
from hybridnet.render.estate_plan import device_connection


@dataclass(frozen=True)
class EdgeLink:
    """A customer edge on one link of a circuit, and the MSEE at the other end of its cable."""

    circuit_index: int
    circuit: str
    link: str
    site: str
    device: str
    msee: str


@dataclass(frozen=True)
class VpnEnd:
    """An on-prem IPsec end (VPN appliance, branch router, firewall holding the VPN role).

    ``index`` numbers the VPN ends in ``all_sites`` order; ``internet_port`` is the internet node's
    interface towards it, ``gateway_connection`` the IKE connection's name on the Azure instances,
    ``secret_slot`` what stands for its connection's key in both ends' planned swanctl.conf."""

    index: int
    site: str
    device: str
    public_ip: IPv4Address
    connection: IpsecConnection
    local_network_gateway: LocalNetworkGateway | None
    gateway: VpnGateway

    @property
    def internet_port(self) -> str:
        return internet_port(self.index)

    @property
    def gateway_connection(self) -> str:
        return "onprem" if self.index == 0 else f"onprem{self.index}"

    @property
    def secret_slot(self) -> str:
        return secret_slot(self.index)


def uses_site_plan(topology: Topology) -> bool:
    """Whether the on-prem half comes from ``sites`` (devices by role) rather than the legacy ``onprem``."""
    return bool(topology.sites)


def internet_port(index: int) -> str:
    return "onprem" if index == 0 else f"onprem{index}"


def secret_slot(index: int) -> str:
    """The placeholder for the ``index``-th VPN end's key; none is a prefix of another."""
    return SECRET_SLOT if index == 0 else f"HYBRIDNET-SHARED-KEY-{index}-SLOT"


SLOT_PATTERN = r"HYBRIDNET-SHARED-KEY(?:-[0-9]+)?-SLOT"
"""Matches every ``secret_slot``: where a written swanctl.conf holds a key."""


def edge_links(topology: Topology) -> tuple[EdgeLink, ...]:
    """Every customer edge of every site with its circuit link and MSEE; LabError if two devices claim one."""
    circuits = topology.all_circuits
    found: list[EdgeLink] = []
    taken: dict[tuple[int, str], str] = {}
    for site in topology.all_sites:
        for device in site.with_role("edge"):
            assert device.edge is not None
            name = device.edge.circuit or (circuits[0].name if circuits else None)
            index = next((i for i, c in enumerate(circuits) if c.name == name), None)
            if index is None:
                raise LabError(f"edge device {device.name} of site {site.name} names circuit {name!r}, which "
                               "does not exist", fix="name a circuit of 'circuit'/'circuits'")
            key = (index, device.edge.link)
            if key in taken:
                raise LabError(
                    f"edge devices {taken[key]} and {device.name} both claim the {device.edge.link} link of "
                    f"circuit {name}", fix="give each link of a circuit one edge device")
            taken[key] = device.name
            found.append(EdgeLink(index, circuits[index].name, device.edge.link, site.name, device.name,
                                  msee_node(index, device.edge.link)))
    return tuple(found)


def vpn_ends(topology: Topology) -> tuple[VpnEnd, ...]:
    """Every device holding the VPN role, with its connection, in ``all_sites`` order."""
    ends: list[VpnEnd] = []
    for site_index, site in enumerate(topology.all_sites):
        for device in site.with_role("vpn"):
            connection, lng, gateway = _connection(topology, site, device, site_index)
            assert device.vpn is not None
            ends.append(VpnEnd(len(ends), site.name, device.name, device.vpn.public_ip, connection, lng, gateway))
    return tuple(ends)


def _connection(topology: Topology, site: Site, device: SiteDevice, site_index: int
                ) -> tuple[IpsecConnection, LocalNetworkGateway | None, VpnGateway]:
    offset = 1 if topology.onprem is not None else 0
    where = "onprem" if topology.onprem is not None and site_index == 0 else f"sites.{site_index - offset}"
    try:
        return device_connection(topology, site, device, where)
    except TopologyError as error:
        raise LabError(str(error), fix=error.fix or "give the VPN device an IPsec connection") from None


__all__ = ["SLOT_PATTERN", "EdgeLink", "VpnEnd", "edge_links", "internet_port", "secret_slot", "uses_site_plan",
           "vpn_ends"]
