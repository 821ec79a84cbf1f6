"""The Azure half of an estate, live: spoke VNets behind the hub (examples/estates/hub-spoke.yaml).

Spoke VMs reach on-premises through the hub's gateways exactly like hub VMs (ExpressRoute first, the
VPN when the circuit is cut), spokes do not reach each other through the hub (peering is not
transitive), and removing a spoke's peering withdraws its prefixes from on-premises within seconds.
The plan is put together here (the legacy on-prem half + the Azure half) until ``plan()`` takes estates.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from ipaddress import IPv4Address
from pathlib import Path

import pytest

from hybridnet.emulate import Lab, down
from hybridnet.emulate.plan import EXPRESSROUTE, VNET_FABRIC_NODE, VPN, LabPlan
from hybridnet.emulate.plan.azure_side import FABRIC_TABLE, plan_azure
from hybridnet.emulate.plan.onprem_side import plan_onprem
from hybridnet.emulate.status import trace_path
from hybridnet.model.loader import load
from hybridnet.model.names import spoke_node
from hybridnet.waiting import wait_until
from tests.lab.conftest import lab_name

pytestmark = pytest.mark.lab

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "estates" / "hub-spoke.yaml"
HOST = "onprem-host1"
APP_VM, APP = "app-vm1", IPv4Address("10.1.1.4")
SQL_VM, SQL = "sql-vm1", IPv4Address("10.2.1.4")
SPOKE_APP_SPACE = "10.1.0.0/16"
CORE = "onprem-core"


def estate_plan(name: str) -> LabPlan:
    topology = load(EXAMPLE)
    onprem, azure = plan_onprem(topology), plan_azure(topology)
    return LabPlan(lab=name, topology=topology, nodes=onprem.nodes + azure.nodes, links=onprem.links + azure.links,
                   bgp_sessions=onprem.bgp_sessions + azure.bgp_sessions, bfd_peers=onprem.bfd_peers + azure.bfd_peers,
                   tunnels=onprem.tunnels + azure.tunnels)


@pytest.fixture(scope="module")
def spoke_lab() -> Iterator[Lab]:
    name = lab_name("hubspoke")
    try:
        yield Lab.up(estate_plan(name), timeout_s=120)
    finally:
        down(name)


def pings(lab: Lab, source: str, address: IPv4Address) -> bool:
    return lab.run(source, ["ping", "-c1", "-W1", str(address)]).returncode == 0


def core_knows(lab: Lab, prefix: str) -> bool:
    return any(r["destination"] == prefix for r in lab.routes(CORE))


def test_onprem_reaches_spoke_vms_over_expressroute_both_ways(spoke_lab: Lab) -> None:
    for vm, address in ((APP_VM, APP), (SQL_VM, SQL)):
        wait_until(lambda a=address: pings(spoke_lab, HOST, a), 20, what=f"{HOST} to reach {vm}")
        assert trace_path(spoke_lab, HOST, address).via == EXPRESSROUTE
        assert trace_path(spoke_lab, vm, IPv4Address("192.168.1.10")).via == EXPRESSROUTE
    assert core_knows(spoke_lab, "172.20.0.0/24"), "the spoke's second address space is advertised on-prem too"


def test_hub_and_spoke_vms_reach_each_other(spoke_lab: Lab) -> None:
    assert pings(spoke_lab, "biz-vm1", APP)
    assert pings(spoke_lab, APP_VM, IPv4Address("10.0.2.4"))


def _dropped_between_spokes(lab: Lab) -> int:
    listing = lab.run(VNET_FABRIC_NODE, ["nft", "list", "table", "inet", FABRIC_TABLE]).stdout
    found = re.search(r"packets (\d+) bytes \d+ drop comment \"peering is not transitive\"", listing)
    assert found, listing
    return int(found.group(1))


def test_spoke_to_spoke_is_dropped_in_the_hub(spoke_lab: Lab) -> None:
    before = _dropped_between_spokes(spoke_lab)
    assert not pings(spoke_lab, APP_VM, SQL)
    assert _dropped_between_spokes(spoke_lab) > before, "the hub fabric, not only an NSG, dropped it"


def test_spoke_traffic_fails_over_to_the_vpn_and_back(spoke_lab: Lab) -> None:
    cuts = (("onprem-ce1", "msee-primary"), ("onprem-ce2", "msee-secondary"))
    try:
        for a, b in cuts:
            spoke_lab.set_link(a, b, up=False)
        wait_until(lambda: trace_path(spoke_lab, HOST, APP).via == VPN, 30, what="on-prem to the spoke over the VPN")
        wait_until(lambda: trace_path(spoke_lab, APP_VM, IPv4Address("192.168.1.10")).via == VPN, 30,
                   what="the spoke to on-prem over the VPN")
        wait_until(lambda: pings(spoke_lab, HOST, APP), 20, what="ping over the VPN")
    finally:
        for a, b in cuts:
            spoke_lab.set_link(a, b, up=True)
    wait_until(lambda: trace_path(spoke_lab, HOST, APP).via == EXPRESSROUTE, 60, what="back on ExpressRoute")


def test_removing_the_peering_withdraws_the_spoke_on_prem(spoke_lab: Lab) -> None:
    assert core_knows(spoke_lab, SPOKE_APP_SPACE)
    try:
        spoke_lab.set_link(VNET_FABRIC_NODE, spoke_node(0), up=False)
        wait_until(lambda: not core_knows(spoke_lab, SPOKE_APP_SPACE), 5, what="the spoke withdrawn on-prem")
        assert not pings(spoke_lab, HOST, APP)
        assert core_knows(spoke_lab, "10.2.0.0/16"), "the other spoke stays"
    finally:
        spoke_lab.set_link(VNET_FABRIC_NODE, spoke_node(0), up=True)
    wait_until(lambda: core_knows(spoke_lab, SPOKE_APP_SPACE), 10, what="the spoke advertised again")
    wait_until(lambda: pings(spoke_lab, HOST, APP), 10, what=f"{HOST} to reach {APP_VM} again")
