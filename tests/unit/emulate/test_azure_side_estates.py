"""The Azure half of the plan for estates: circuits, VPN ends, spokes, as Azure documents them."""

from __future__ import annotations

from pathlib import Path

import pytest

from hybridnet.emulate.errors import LabError
from hybridnet.emulate.plan.azure_side import plan_azure, virtual_network_tag
from hybridnet.model.loader import load, loads

ROOT = Path(__file__).resolve().parents[3]
ESTATES = ROOT / "examples" / "estates"


def nodes(path: Path | str) -> dict:
    topology = load(path) if isinstance(path, Path) else loads(path)
    return {n.name: n for n in plan_azure(topology).nodes}


def test_each_circuit_gets_its_msee_pair_and_its_weight_on_the_er_gateway() -> None:
    found = nodes(ESTATES / "two-circuits.yaml")
    assert {"msee-primary", "msee-secondary", "msee2-primary", "msee2-secondary"} <= set(found)
    assert "router bgp 12076" in found["msee2-primary"].frr_config
    assert "neighbor 172.16.0.9 remote-as 65010" in found["msee2-primary"].frr_config
    er = found["er-gateway"].frr_config
    assert "route-map WEIGHT-msee-primary permit 10\n set weight 100" in er
    assert "route-map WEIGHT-msee2-secondary permit 10\n set weight 10" in er
    assert er.count("remote-as 12076") == 4
    assert len({a.local for a in found["er-gateway"].addresses}) == 5


def test_every_vpn_end_gets_its_connection_peer_and_port() -> None:
    topology = load(ESTATES / "sites.yaml")
    side = plan_azure(topology)
    by_name = {n.name: n for n in side.nodes}
    gw0 = by_name["vpn-gateway-0"]
    assert [c for n, c in side.tunnels if n == "vpn-gateway-0"] == ["onprem", "onprem1", "onprem2"]
    for conn, ip in (("onprem1", "40.50.61.71"), ("onprem2", "40.50.62.72")):
        assert f"    {conn} {{" in gw0.swanctl_config and f"remote_addrs = {ip}" in gw0.swanctl_config
    assert "HYBRIDNET-SHARED-KEY-2-SLOT" in gw0.swanctl_config
    assert "remote_ts = 169.254.21.6/32,10.31.0.0/16" in gw0.swanctl_config
    assert "neighbor 169.254.21.6 remote-as 65031" in gw0.frr_config
    assert "neighbor 169.254.21.6 ebgp-multihop 2" in gw0.frr_config
    assert {str(a.peer) for a in gw0.tunnel.addresses} == {"169.254.21.2", "169.254.21.6", "169.254.21.10"}
    assert {str(r.destination) for r in gw0.routes} == {"40.50.60.70/32", "40.50.61.71/32", "40.50.62.72/32"}
    ports = {a.interface: str(a.peer) for a in by_name["internet"].addresses}
    assert ports["onprem1"] == "40.50.61.71" and ports["onprem2"] == "40.50.62.72"


OWN = (ESTATES / "hub-spoke.yaml").read_text().replace(
    "workloads:\n",
    """workloads:
  - {name: iso-vm1, vnet: spoke-iso, subnet: iso, address: 10.3.1.4, port: 80}
""").replace("gateways:\n  - type: ExpressRoute", """  - name: spoke-iso
    address_space: [10.3.0.0/16]
    subnets:
      - {name: iso, prefix: 10.3.1.0/24}
    peering:
      hub: {allow_gateway_transit: true}
      spoke: {use_remote_gateways: false}

gateways:
  - type: ExpressRoute""")


def test_spokes_their_vms_and_what_the_gateways_announce() -> None:
    found = nodes(OWN)
    assert found["vnet-spoke3"].vnet == "spoke-iso" and found["iso-vm1"].vnet == "spoke-iso"
    fabric = found["vnet-fabric"]
    assert "network 10.1.0.0/16" in fabric.frr_config and "network 172.20.0.0/24" in fabric.frr_config
    assert "network 10.3.0.0/16" not in fabric.frr_config, "no gateway transit: not originated"
    assert "ip route 10.3.0.0/16 100.64.254.132 spoke3" in fabric.frr_config
    assert 'iifname "spoke3" oifname "gwsubnet" drop' in fabric.nftables
    assert 'iifname "spoke1" oifname "gwsubnet"' not in fabric.nftables
    for gw in ("er-gateway", "vpn-gateway-0"):
        assert "permit 172.20.0.0/24" in found[gw].frr_config and "10.3.0.0" not in found[gw].frr_config
    lo = {str(a.local) for a in found["vpn-gateway-1"].addresses if a.interface == "lo"}
    assert {"10.1.0.0/32", "172.20.0.0/32"} <= lo


def test_a_spoke_without_gateway_transit_routes_to_the_hub_only() -> None:
    """Azure gives such a spoke a peering route to the hub's address space and none to on-premises, and
    `analyse` says no-route; with a default route to the hub the installed routes (status, the drill's
    path tracing) said its VM reached on-prem over ExpressRoute. A spoke with transit keeps the default."""
    found = nodes(OWN)
    assert [(str(r.destination), str(r.gateway)) for r in found["vnet-spoke3"].routes] == [
        ("10.0.0.0/16", "100.64.254.129")]
    assert [str(r.destination) for r in found["vnet-spoke1"].routes] == ["0.0.0.0/0"]


def test_virtual_network_tag_per_vnet() -> None:
    topology = loads(OWN)
    hub = {str(p) for p in virtual_network_tag(topology, topology.vnet.name)}
    assert {"10.0.0.0/16", "10.1.0.0/16", "10.3.0.0/16", "192.168.0.0/16"} <= hub
    app = {str(p) for p in virtual_network_tag(topology, "spoke-app")}
    assert app == {"10.1.0.0/16", "10.0.0.0/16", "192.168.0.0/16"}
    iso = {str(p) for p in virtual_network_tag(topology, "spoke-iso")}
    assert iso == {"10.3.0.0/16", "10.0.0.0/16"}


def test_a_spoke_in_the_lab_range_is_refused() -> None:
    text = (ESTATES / "hub-spoke.yaml").read_text().replace("[10.1.0.0/16]", "[10.1.0.0/16, 100.64.254.0/24]")
    with pytest.raises(LabError, match=r"100\.64\.254\.0/24"):
        plan_azure(loads(text))


def test_the_2016_deployment_is_refused() -> None:
    with pytest.raises(LabError):
        plan_azure(load(ROOT / "examples" / "ra-2016.yaml"))
