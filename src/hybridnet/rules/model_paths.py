"""Dotted model paths of the objects rules point at (``gateways.1.sku``).

Paths use list indexes, as pydantic's error locations do, so the loader's ``line_of`` turns them into
the line of the file the user has to edit.
"""

from __future__ import annotations

from hybridnet.model import IpsecConnection, LocalNetworkGateway, Subnet, Topology, VpnGateway
from hybridnet.model.gateways import ExpressRouteConnection, ExpressRouteGateway


def subnet_path(topology: Topology, subnet: Subnet) -> str:
    return f"vnet.subnets.{topology.vnet.subnets.index(subnet)}"


def gateway_path(topology: Topology, gateway: ExpressRouteGateway | VpnGateway) -> str:
    return f"gateways.{topology.gateways.index(gateway)}"


def connection_path(topology: Topology, connection: IpsecConnection | ExpressRouteConnection) -> str:
    return f"connections.{topology.connections.index(connection)}"


def lng_path(topology: Topology, lng: LocalNetworkGateway) -> str:
    return f"local_network_gateways.{topology.local_network_gateways.index(lng)}"


def route_table_path(topology: Topology, name: str) -> str | None:
    for index, table in enumerate(topology.route_tables):
        if table.name == name:
            return f"route_tables.{index}"
    return None
