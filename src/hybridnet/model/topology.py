"""The whole hybrid network: the single source of truth every command works from."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, PrivateAttr, model_validator

from hybridnet.model.base import FrozenModel
from hybridnet.model.circuit import ExpressRouteCircuit
from hybridnet.model.estate import Site, SpokeVnet, site_from_onprem
from hybridnet.model.gateways import (
    Connection,
    ExpressRouteConnection,
    ExpressRouteGateway,
    Gateway,
    IpsecConnection,
    LocalNetworkGateway,
    VpnGateway,
)
from hybridnet.model.names import ResourceGroupName, Text
from hybridnet.model.onprem import OnPremises
from hybridnet.model.vnet import LoadBalancer, NetworkSecurityGroup, RouteTable, VirtualNetwork, Workload


class Topology(FrozenModel):
    """An on-premises network joined to one Azure VNet by ExpressRoute, with a site-to-site VPN as backup.

    An *estate* grows it: spoke VNets peered to the hub (``vnet``), more circuits (``circuits``) and more
    on-premises sites described by device roles (``sites``). ``all_sites`` and ``all_circuits`` give every
    site and circuit in one shape, the legacy ``onprem`` and ``circuit`` first.
    """

    name: str = Field(..., pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
    description: Text = ""
    location: Text = "centralus"
    resource_group: ResourceGroupName
    onprem: OnPremises | None = Field(
        None, description="The on-premises site in the reference's fixed shape; optional when 'sites' is given."
    )
    sites: tuple[Site, ...] = Field((), description="On-premises sites described by device roles.")
    circuit: ExpressRouteCircuit | None = Field(
        None, description="The ExpressRoute circuit; absent in a partial inventory (e.g. a VPN-only hub)."
    )
    circuits: tuple[ExpressRouteCircuit, ...] = Field((), description="More circuits beside 'circuit'.")
    vnet: VirtualNetwork = Field(..., description="The hub VNet: the one that holds the gateways.")
    spokes: tuple[SpokeVnet, ...] = Field((), description="VNets peered to the hub.")
    gateways: tuple[Gateway, ...] = ()
    local_network_gateways: tuple[LocalNetworkGateway, ...] = ()
    connections: tuple[Connection, ...] = ()
    route_tables: tuple[RouteTable, ...] = ()
    nsgs: tuple[NetworkSecurityGroup, ...] = ()
    load_balancers: tuple[LoadBalancer, ...] = ()
    workloads: tuple[Workload, ...] = ()

    _source: Path | None = PrivateAttr(default=None)
    _lines: dict[str, int] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _some_site(self) -> Topology:
        if self.onprem is None and not self.sites:
            raise ValueError("no on-premises side: give 'onprem' (one site, the reference's shape) or 'sites'")
        return self

    @property
    def all_sites(self) -> tuple[Site, ...]:
        """Every on-premises site in the role form: the legacy ``onprem`` (converted, meaning the same)
        first, then ``sites``. Later stages work from this one shape."""
        legacy = ()
        if self.onprem is not None:
            legacy = (site_from_onprem(self.onprem, self.circuit.name if self.circuit is not None else None),)
        return (*legacy, *self.sites)

    @property
    def all_circuits(self) -> tuple[ExpressRouteCircuit, ...]:
        """``circuit`` (when present) then ``circuits``."""
        return (*((self.circuit,) if self.circuit is not None else ()), *self.circuits)

    @property
    def all_vnets(self) -> tuple[VirtualNetwork, ...]:
        """The hub first, then the spokes."""
        return (self.vnet, *self.spokes)

    def vnet_named(self, name: str | None) -> VirtualNetwork | None:
        """The VNet of that name (None or the hub's name: the hub)."""
        if name is None or name == self.vnet.name:
            return self.vnet
        return next((spoke for spoke in self.spokes if spoke.name == name), None)

    def find_circuit(self, name: str) -> ExpressRouteCircuit | None:
        return next((c for c in self.all_circuits if c.name == name), None)

    def estate_features(self) -> list[tuple[str, str]]:
        """The estate parts this topology uses, as (what, field): what the later stages cannot take yet."""
        features = []
        if self.spokes:
            features.append((f"{len(self.spokes)} spoke VNet(s)", "spokes"))
        if self.sites:
            features.append((f"{len(self.sites)} site(s) in 'sites'", "sites"))
        if self.circuits:
            features.append((f"{len(self.circuits)} more circuit(s) in 'circuits'", "circuits"))
        return features

    def line_of_key(self, key: str) -> int | None:
        """The line of a top-level key in the file this topology was loaded from (set by the loader)."""
        return self._lines.get(key)

    @property
    def source(self) -> Path | None:
        """The file this topology was loaded from (None for the built-in default)."""
        return self._source

    @property
    def base_dir(self) -> Path | None:
        return self._source.parent if self._source is not None else None

    @property
    def er_gateways(self) -> tuple[ExpressRouteGateway, ...]:
        return tuple(g for g in self.gateways if isinstance(g, ExpressRouteGateway))

    @property
    def vpn_gateways(self) -> tuple[VpnGateway, ...]:
        return tuple(g for g in self.gateways if isinstance(g, VpnGateway))

    @property
    def er_gateway(self) -> ExpressRouteGateway | None:
        return next(iter(self.er_gateways), None)

    @property
    def vpn_gateway(self) -> VpnGateway | None:
        return next(iter(self.vpn_gateways), None)

    @property
    def ipsec_connections(self) -> tuple[IpsecConnection, ...]:
        return tuple(c for c in self.connections if isinstance(c, IpsecConnection))

    @property
    def er_connections(self) -> tuple[ExpressRouteConnection, ...]:
        return tuple(c for c in self.connections if isinstance(c, ExpressRouteConnection))

    @property
    def vpn_connection(self) -> IpsecConnection | None:
        return next(iter(self.ipsec_connections), None)

    @property
    def er_connection(self) -> ExpressRouteConnection | None:
        return next(iter(self.er_connections), None)

    def local_network_gateway(self, name: str) -> LocalNetworkGateway | None:
        return next((g for g in self.local_network_gateways if g.name == name), None)

    def nsg(self, name: str) -> NetworkSecurityGroup | None:
        return next((n for n in self.nsgs if n.name == name), None)

    def route_table(self, name: str) -> RouteTable | None:
        return next((t for t in self.route_tables if t.name == name), None)

    def workload(self, name: str) -> Workload | None:
        return next((w for w in self.workloads if w.name == name), None)

    def gateway(self, name: str) -> ExpressRouteGateway | VpnGateway | None:
        return next((g for g in self.gateways if g.name == name), None)

    def dangling_references(self) -> list[tuple[str, str]]:
        """Every name that points at nothing, as (field path, message).

        Checked at load time so that rules, renderers and the emulator can trust references.
        """
        problems: list[tuple[str, str]] = []
        for prefix, vnet in (("vnet", self.vnet), *((f"spokes.{k}", s) for k, s in enumerate(self.spokes))):
            for i, subnet in enumerate(vnet.subnets):
                if subnet.nsg is not None and self.nsg(subnet.nsg) is None:
                    problems.append((f"{prefix}.subnets.{i}.nsg", f"no NSG named {subnet.nsg!r} in 'nsgs'"))
                if subnet.route_table is not None and self.route_table(subnet.route_table) is None:
                    problems.append((f"{prefix}.subnets.{i}.route_table",
                                     f"no route table named {subnet.route_table!r} in 'route_tables'"))
        for i, workload in enumerate(self.workloads):
            problems += self._subnet_reference(f"workloads.{i}", workload.vnet, workload.subnet)
        for i, lb in enumerate(self.load_balancers):
            problems += self._subnet_reference(f"load_balancers.{i}.frontend", lb.frontend.vnet, lb.frontend.subnet)
            for j, member in enumerate(lb.backend_pool):
                if self.workload(member) is None:
                    problems.append((f"load_balancers.{i}.backend_pool.{j}", f"no workload named {member!r}"))
        for i, connection in enumerate(self.connections):
            if isinstance(connection, IpsecConnection):
                gateway = self.gateway(connection.vpn_gateway)
                if not isinstance(gateway, VpnGateway):
                    problems.append((f"connections.{i}.vpn_gateway",
                                     f"no VPN gateway named {connection.vpn_gateway!r}"))
                if self.local_network_gateway(connection.local_network_gateway) is None:
                    problems.append((f"connections.{i}.local_network_gateway",
                                     f"no local network gateway named {connection.local_network_gateway!r}"))
            else:
                if not isinstance(self.gateway(connection.gateway), ExpressRouteGateway):
                    problems.append((f"connections.{i}.gateway",
                                     f"no ExpressRoute gateway named {connection.gateway!r}"))
                if self.find_circuit(connection.circuit) is None:
                    problems.append((f"connections.{i}.circuit", f"no circuit named {connection.circuit!r}"))
        return problems

    def _subnet_reference(self, path: str, vnet_name: str | None, subnet: str) -> list[tuple[str, str]]:
        vnet = self.vnet_named(vnet_name)
        if vnet is None:
            return [(f"{path}.vnet", f"no VNet named {vnet_name!r} (the hub 'vnet' or one of 'spokes')")]
        if vnet.subnet(subnet) is None:
            where = "the VNet" if vnet_name is None else f"VNet {vnet.name}"
            return [(f"{path}.subnet", f"no subnet named {subnet!r} in {where}")]
        return []

    def duplicate_names(self) -> list[tuple[str, str]]:
        """Estate names that must be unique (VNets, circuits, sites), as (field path, message)."""
        problems: list[tuple[str, str]] = []
        groups = {
            "VNet": [("vnet.name", self.vnet.name), *((f"spokes.{i}.name", s.name) for i, s in enumerate(self.spokes))],
            "circuit": [*((("circuit.name", self.circuit.name),) if self.circuit is not None else ()),
                        *((f"circuits.{i}.name", c.name) for i, c in enumerate(self.circuits))],
            "site": [*((("onprem.name", self.onprem.name),) if self.onprem is not None else ()),
                     *((f"sites.{i}.name", s.name) for i, s in enumerate(self.sites))],
        }
        for kind, named in groups.items():
            first: dict[str, str] = {}
            for path, name in named:
                if name.lower() in first:
                    problems.append((path, f"{kind} name {name!r} is already used by {first[name.lower()]}"))
                else:
                    first[name.lower()] = path
        return problems
