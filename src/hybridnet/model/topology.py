"""The whole hybrid network: the single source of truth every command works from."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, PrivateAttr

from hybridnet.model.base import FrozenModel
from hybridnet.model.circuit import ExpressRouteCircuit
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
    """An on-premises network joined to one Azure VNet by ExpressRoute, with a site-to-site VPN as backup."""

    name: str = Field(..., pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
    description: Text = ""
    location: Text = "centralus"
    resource_group: ResourceGroupName
    onprem: OnPremises
    circuit: ExpressRouteCircuit | None = Field(
        None, description="The ExpressRoute circuit; absent in a partial inventory (e.g. a VPN-only hub)."
    )
    vnet: VirtualNetwork
    gateways: tuple[Gateway, ...] = ()
    local_network_gateways: tuple[LocalNetworkGateway, ...] = ()
    connections: tuple[Connection, ...] = ()
    route_tables: tuple[RouteTable, ...] = ()
    nsgs: tuple[NetworkSecurityGroup, ...] = ()
    load_balancers: tuple[LoadBalancer, ...] = ()
    workloads: tuple[Workload, ...] = ()

    _source: Path | None = PrivateAttr(default=None)

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
        subnets = {s.name for s in self.vnet.subnets}
        for i, subnet in enumerate(self.vnet.subnets):
            if subnet.nsg is not None and self.nsg(subnet.nsg) is None:
                problems.append((f"vnet.subnets.{i}.nsg", f"no NSG named {subnet.nsg!r} in 'nsgs'"))
            if subnet.route_table is not None and self.route_table(subnet.route_table) is None:
                problems.append((f"vnet.subnets.{i}.route_table",
                                 f"no route table named {subnet.route_table!r} in 'route_tables'"))
        for i, workload in enumerate(self.workloads):
            if workload.subnet not in subnets:
                problems.append((f"workloads.{i}.subnet", f"no subnet named {workload.subnet!r} in the VNet"))
        for i, lb in enumerate(self.load_balancers):
            if lb.frontend.subnet not in subnets:
                problems.append((f"load_balancers.{i}.frontend.subnet",
                                 f"no subnet named {lb.frontend.subnet!r} in the VNet"))
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
                if self.circuit is None or connection.circuit != self.circuit.name:
                    problems.append((f"connections.{i}.circuit", f"no circuit named {connection.circuit!r}"))
        return problems
