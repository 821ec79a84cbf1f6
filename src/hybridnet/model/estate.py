"""Estates: spoke VNets peered to the hub, on-premises sites described by device roles, and the links
between those devices.

The reference shape (one ``onprem`` with a core router, edge routers and a separate VPN appliance) is
one special case of a *site*: a few devices, each holding roles. Real sites fold roles together (the
firewall cluster that is the LAN gateway, the iBGP peer of the CEs and the IPsec end at once), so a site
lists devices with the roles they hold, and the role blocks carry what each role needs.

BGP between devices follows from the roles (one ASN per site):

* a device *speaks BGP* when it holds ``core``, ``edge`` or ``vpn``; a device that is only a ``firewall``
  forwards (statically routed) and speaks no BGP;
* every ``edge`` device runs eBGP with the Microsoft edge (AS 12076) on its circuit link, every ``vpn``
  device eBGP with the hub's VPN gateway (AS 65515 by default) over its tunnel(s);
* the BGP speakers of one site run iBGP with each other in a full mesh (one site, one ASN), so every edge
  and VPN device learns what the others learned from Azure, and the core learns all of it.

Every device is a named node and so is every link (the emulator of part 2 builds one namespace per
device and one segment per link); names are unique across the whole topology (``model.names``).
"""

from __future__ import annotations

from itertools import combinations
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from hybridnet.model.base import Address, Asn, FrozenModel, Prefix
from hybridnet.model.gateways import IpsecPolicy
from hybridnet.model.names import AzureName, NodeName
from hybridnet.model.onprem import OnPremises, OnPremSubnet, _distinct
from hybridnet.model.vnet import VirtualNetwork

Role = Literal["core", "firewall", "edge", "vpn"]
ROLES: tuple[str, ...] = ("core", "firewall", "edge", "vpn")
BGP_ROLES = frozenset({"core", "edge", "vpn"})


# ---------------------------------------------------------------------------------------------- VNets


class HubPeeringSide(FrozenModel):
    """The hub's side of a hub-spoke peering (``virtualNetworkPeerings`` on the hub)."""

    allow_gateway_transit: bool = Field(
        False, description="Let the spoke use the hub's gateways (Azure's default: false).")
    allow_forwarded_traffic: bool = Field(
        False, description="Accept traffic the spoke forwards from elsewhere (an NVA in the spoke).")


class SpokePeeringSide(FrozenModel):
    """The spoke's side of a hub-spoke peering (``virtualNetworkPeerings`` on the spoke)."""

    use_remote_gateways: bool = Field(
        False, description="Reach on-premises through the hub's gateways (Azure's default: false).")
    allow_forwarded_traffic: bool = Field(
        False, description="Accept traffic the hub forwards (e.g. through a firewall NVA in the hub).")


class VnetPeering(FrozenModel):
    """Both sides of the peering between the hub and one spoke: Azure keeps them as two resources, and
    gateway transit works only when the hub allows it *and* the spoke uses it."""

    hub: HubPeeringSide = HubPeeringSide()
    spoke: SpokePeeringSide = SpokePeeringSide()

    @property
    def gateway_transit(self) -> bool:
        return self.hub.allow_gateway_transit and self.spoke.use_remote_gateways


class SpokeVnet(VirtualNetwork):
    """A VNet peered to the hub (the topology's ``vnet``). Spokes do not reach each other through the
    hub (peering is not transitive)."""

    peering: VnetPeering = VnetPeering()
    own_gateway: AzureName | None = Field(
        None, description="Name of the spoke's own virtual network gateway, if it has one: Azure then refuses "
                          "use_remote_gateways on its peering.")


# ---------------------------------------------------------------------------------------------- sites


class EdgeRole(FrozenModel):
    """A customer edge (CE) on one link of a circuit; the BGP knobs apply to its session with the MSEE."""

    circuit: AzureName | None = Field(
        None, description="Name of the circuit (in 'circuit' or 'circuits'); default: the topology's one circuit.")
    link: Literal["primary", "secondary"]
    local_preference: int = Field(150, ge=0, le=4294967295,
                                  description="Local preference of routes learned from the MSEE.")
    as_path_prepend: int = Field(0, ge=0, le=10, description="Times the site ASN is prepended towards Azure.")
    med: int | None = Field(None, ge=0, le=4294967295, description="MED sent to the MSEE (None: not sent).")
    advertised_prefixes: tuple[Prefix, ...] | None = Field(
        None, description="Prefixes announced to the MSEE; default: the site's address space.")


class VpnRole(FrozenModel):
    """The site's IPsec end towards the hub's VPN gateway."""

    public_ip: Address
    bgp_addresses: Annotated[tuple[Address, ...], AfterValidator(_distinct)] = ()
    local_network_gateway: AzureName | None = Field(
        None, description="Azure's record of this device (in 'local_network_gateways'); default: the one whose "
                          "gateway_ip is public_ip.")
    local_preference: int = Field(100, ge=0, le=4294967295)
    as_path_prepend: int = Field(0, ge=0, le=10)
    med: int | None = Field(None, ge=0, le=4294967295)
    advertised_prefixes: tuple[Prefix, ...] | None = None
    ipsec_policy: IpsecPolicy | None = None


class FirewallRole(FrozenModel):
    """A firewall between the LAN and the way out. A stateful one drops a reply that did not leave
    through it: a flow must return through the same firewall."""

    stateful: bool = True
    ha_pair: bool = Field(False, description="A cluster (HA pair) that fails over as one unit: one box's failure "
                                             "is not an outage of every path through it.")


class CoreRole(FrozenModel):
    """The LAN's router: the site's subnets hang off it (or off the device that holds the role)."""


class SiteDevice(FrozenModel):
    """One box (or cluster acting as one) of an on-premises site, with the roles it holds."""

    name: NodeName
    roles: tuple[Role, ...] = Field(..., min_length=1)
    edge: EdgeRole | None = None
    vpn: VpnRole | None = None
    firewall: FirewallRole | None = None
    core: CoreRole | None = None

    @model_validator(mode="after")
    def _blocks_match_roles(self) -> SiteDevice:
        if len(set(self.roles)) != len(self.roles):
            raise ValueError(f"device {self.name} lists a role twice; list each role once")
        for role in ("edge", "vpn"):
            if role in self.roles and getattr(self, role) is None:
                raise ValueError(f"device {self.name} has the {role} role but no '{role}:' block; add it")
        for role in ROLES:
            if getattr(self, role) is not None and role not in self.roles:
                raise ValueError(f"device {self.name} has a '{role}:' block but not the {role} role; "
                                 f"add {role} to roles or remove the block")
        return self

    def has(self, role: str) -> bool:
        return role in self.roles

    @property
    def speaks_bgp(self) -> bool:
        return any(role in BGP_ROLES for role in self.roles)

    @property
    def is_stateful_firewall(self) -> bool:
        return self.has("firewall") and (self.firewall is None or self.firewall.stateful)


class SiteLink(FrozenModel):
    """A link between two devices of a site (a named segment)."""

    name: NodeName | None = Field(None, description="Node name of the link; default: '<a>-<b>'.")
    between: tuple[NodeName, NodeName]

    @property
    def node_name(self) -> str:
        return self.name if self.name is not None else f"{self.between[0]}-{self.between[1]}"


class Site(FrozenModel):
    """An on-premises site: its address space and hosts, and the devices that join it to Azure.

    ``links`` list the links between devices when they are not the default chain: LAN - core - firewall -
    edge/VPN devices (a device holding several roles is one stop of the chain)."""

    name: AzureName
    asn: Asn
    address_space: tuple[Prefix, ...] = Field(..., min_length=1)
    subnets: tuple[OnPremSubnet, ...] = ()
    devices: tuple[SiteDevice, ...] = Field(..., min_length=1)
    links: tuple[SiteLink, ...] = ()
    reach: tuple[AzureName, ...] = Field(
        (), description="Other sites this site needs to reach through Azure (checked: transit between an "
                        "ExpressRoute-only and a VPN-only site needs Azure Route Server).")

    @model_validator(mode="after")
    def _links_join_devices(self) -> Site:
        names = [device.name for device in self.devices]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"site {self.name} lists device(s) {', '.join(repeated)} twice")
        for link in self.links:
            for end in link.between:
                if end not in names:
                    raise ValueError(f"link {link.node_name} of site {self.name} names {end!r}, which is not a "
                                     f"device of the site (devices: {', '.join(names)})")
            if link.between[0] == link.between[1]:
                raise ValueError(f"link {link.node_name} joins {link.between[0]} to itself")
        return self

    def device(self, name: str) -> SiteDevice | None:
        return next((d for d in self.devices if d.name == name), None)

    def with_role(self, role: str) -> tuple[SiteDevice, ...]:
        return tuple(d for d in self.devices if d.has(role))

    @property
    def lan_devices(self) -> tuple[SiteDevice, ...]:
        """Where the LAN attaches: the core devices, else the firewalls, else every device."""
        return self.with_role("core") or self.with_role("firewall") or self.devices

    @property
    def effective_links(self) -> tuple[SiteLink, ...]:
        """The links as given, or the default chain LAN - core - firewall - edge/VPN."""
        if self.links:
            return self.links
        core, firewalls = self.with_role("core"), self.with_role("firewall")
        outer = tuple(d for d in self.devices if d.has("edge") or d.has("vpn"))
        pairs: list[tuple[str, str]] = []
        inner_tier = firewalls or core
        if firewalls:
            pairs += [(c.name, f.name) for c in core for f in firewalls]
        pairs += [(i.name, o.name) for i in inner_tier for o in outer]
        seen: set[frozenset[str]] = set()
        links = []
        for a, b in pairs:
            if a != b and frozenset((a, b)) not in seen:
                seen.add(frozenset((a, b)))
                links.append(SiteLink(between=(a, b)))
        return tuple(links)

    def ibgp_sessions(self) -> tuple[tuple[str, str], ...]:
        """The iBGP full mesh among the site's BGP speakers (see the module docstring)."""
        speakers = [d.name for d in self.devices if d.speaks_bgp]
        return tuple(combinations(speakers, 2))

    def paths_out(self, kind: Literal["edge", "vpn"]) -> list[list[str]]:
        """Device paths (LAN device first) from the LAN to each device holding ``kind``, over the links."""
        adjacency: dict[str, set[str]] = {d.name: set() for d in self.devices}
        for link in self.effective_links:
            a, b = link.between
            adjacency[a].add(b)
            adjacency[b].add(a)
        paths: list[list[str]] = []
        for start in self.lan_devices:
            for target in self.with_role(kind):
                paths += _simple_paths(adjacency, start.name, target.name)
        return paths


def _simple_paths(adjacency: dict[str, set[str]], start: str, target: str, limit: int = 64) -> list[list[str]]:
    found: list[list[str]] = []
    stack: list[list[str]] = [[start]]
    while stack and len(found) < limit:
        path = stack.pop()
        if path[-1] == target:
            found.append(path)
            continue
        for nxt in sorted(adjacency[path[-1]]):
            if nxt not in path:
                stack.append([*path, nxt])
    return found


def site_from_onprem(onprem: OnPremises, circuit: str | None) -> Site:
    """The legacy single-site block in the role form, meaning the same: a core router on the LAN, edge
    routers and a separate VPN appliance behind it."""
    devices = [SiteDevice(name=onprem.core_router.name, roles=("core",))]
    for router in onprem.edge_routers:
        devices.append(SiteDevice(name=router.name, roles=("edge",), edge=EdgeRole(
            circuit=circuit, link=router.link, local_preference=router.local_preference,
            as_path_prepend=router.as_path_prepend, advertised_prefixes=router.advertised_prefixes)))
    appliance = onprem.vpn_appliance
    if appliance is not None:
        devices.append(SiteDevice(name=appliance.name, roles=("vpn",), vpn=VpnRole(
            public_ip=appliance.public_ip, bgp_addresses=appliance.bgp_addresses,
            local_preference=appliance.local_preference, as_path_prepend=appliance.as_path_prepend,
            advertised_prefixes=appliance.advertised_prefixes, ipsec_policy=appliance.ipsec_policy)))
    return Site(name=onprem.name, asn=onprem.asn, address_space=onprem.address_space, subnets=onprem.subnets,
                devices=tuple(devices))
