"""The lab plan is pure and faithful: the nodes, addresses and daemons the guidance describes."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from hybridnet.emulate import LabError, plan
from hybridnet.emulate.plan import SECRET_SLOT
from hybridnet.emulate.plan.nsg import nsg_ruleset
from hybridnet.model import Topology
from tests.conftest import reference_document, topology_from


def test_reference_plan_has_both_sides_with_the_documented_names(reference: Topology) -> None:
    names = {node.name for node in plan(reference).nodes}
    assert {"onprem-host1", "onprem-core", "onprem-ce1", "onprem-ce2", "onprem-vpn", "msee-primary",
            "msee-secondary", "er-gateway", "vpn-gateway-0", "vpn-gateway-1", "vnet-fabric", "internet",
            "web-vm1", "web-vm2", "biz-vm1", "data-vm1"} == names


def test_circuit_links_use_customer_one_and_microsoft_two(reference: Topology) -> None:
    lab = plan(reference)
    ce1 = {str(a.local) for a in lab.node("onprem-ce1").addresses}
    msee = {str(a.local) for a in lab.node("msee-primary").addresses}
    assert "172.16.0.1/30" in ce1 and "172.16.0.2/30" in msee
    assert lab.owner_of(IPv4Address("172.16.0.6")) == "msee-secondary"


def test_msee_runs_bgp_and_bfd_with_azure_timers(reference: Topology) -> None:
    node = plan(reference).node("msee-primary")
    assert node.frr_config is not None
    assert "router bgp 12076" in node.frr_config
    assert "neighbor 172.16.0.1 timers 60 180" in node.frr_config
    assert "transmit-interval 300" in node.frr_config and "detect-multiplier 3" in node.frr_config
    assert node.frr_daemons == ("zebra", "bgpd", "bfdd")


def test_vnet_fabric_prefers_expressroute_gateway_by_local_preference(reference: Topology) -> None:
    config = plan(reference).node("vnet-fabric").frr_config or ""
    assert "neighbor 10.0.255.230 route-map FROM-EXPRESSROUTE in" in config
    assert "set local-preference 200" in config and "set local-preference 100" in config


def test_onprem_devices_run_the_rendered_configs(reference: Topology) -> None:
    from hybridnet.render import frr

    rendered = frr.render_onprem(reference)
    lab = plan(reference)
    for name in ("onprem-core", "onprem-ce1", "onprem-ce2", "onprem-vpn"):
        assert lab.node(name).frr_config == rendered[f"{name}/frr.conf"]


def test_plan_carries_a_key_slot_never_a_key(reference: Topology, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYBRIDNET_VPN_SHARED_KEY", "TopSecret123")
    lab = plan(reference)
    configs = [n.swanctl_config for n in lab.nodes if n.swanctl_config]
    assert len(configs) == 3
    assert all(SECRET_SLOT in text and "TopSecret123" not in text for text in configs)


def test_active_active_gateway_gives_two_tunnels_and_sessions(reference: Topology) -> None:
    lab = plan(reference)
    assert ("onprem-vpn", "azure-0") in lab.tunnels and ("onprem-vpn", "azure-1") in lab.tunnels
    tunnel = lab.node("onprem-vpn").tunnel
    assert tunnel is not None
    assert {(str(a.local.ip), str(a.peer)) for a in tunnel.addresses} == {
        ("169.254.21.2", "169.254.21.1"), ("169.254.22.2", "169.254.22.1")}


def test_lab_name_must_be_short_and_plain(reference: Topology) -> None:
    with pytest.raises(LabError, match="invalid lab name"):
        plan(reference, lab="Bad Name!")
    assert plan(reference).lab == "ra-hybrid-vpn-er"


def test_static_vpn_is_refused_with_a_fix() -> None:
    document = reference_document()
    document["connections"][1]["enable_bgp"] = False
    with pytest.raises(LabError, match="BGP only"):
        plan(topology_from(document))


def test_overlap_with_lab_ranges_is_refused() -> None:
    document = reference_document()
    document["onprem"]["address_space"] = ["100.64.0.0/16"]
    document["onprem"]["subnets"][0]["prefix"] = "100.64.1.0/24"
    document["onprem"]["subnets"][0]["hosts"][0]["address"] = "100.64.1.10"
    with pytest.raises(LabError, match="overlaps"):
        plan(topology_from(document))


def test_nsg_rules_keep_priority_order_and_azure_defaults(reference: Topology) -> None:
    nsg = reference.nsg("data-nsg")
    text = nsg_ruleset(nsg, [*reference.vnet.address_space, *reference.onprem.address_space])
    names = ("allow-sql-from-biz", "allow-icmp", "deny-other-vnet-inbound", "AllowVnetInBound",
             "AllowAzureLoadBalancerInBound", "DenyAllInBound")
    order = [text.index(name) for name in names]
    assert order == sorted(order)
    assert "ip saddr { 10.0.2.0/24 } th dport { 1433 } accept" in text
    assert "policy drop" in text


def test_no_nsg_means_everything_allowed() -> None:
    text = nsg_ruleset(None, [])
    assert "policy accept" in text and "DenyAllInBound" not in text


def test_up_dry_run_prints_the_plan_without_root() -> None:
    from typer.testing import CliRunner

    from hybridnet.cli import app

    result = CliRunner().invoke(app, ["up", "--dry-run", "--show-configs"])
    assert result.exit_code == 0, result.output
    for name in ("msee-primary", "er-gateway", "vpn-gateway-1", "vnet-fabric", "web-vm1", "router bgp 12076"):
        assert name in result.output
    assert SECRET_SLOT in result.output or "secret" in result.output


def test_single_instance_gateway_gives_one_tunnel_with_zero_selectors() -> None:
    document = reference_document()
    gateway = document["gateways"][1]
    gateway["active_active"] = False
    gateway["instances"] = gateway["instances"][:1]
    document["onprem"]["vpn_appliance"]["bgp_addresses"] = ["169.254.21.2"]
    lab = plan(topology_from(document))
    assert [name for name, _ in lab.tunnels if name.startswith("vpn-gateway")] == ["vpn-gateway-0"]
    swanctl = lab.node("onprem-vpn").swanctl_config or ""
    assert "remote_ts = 0.0.0.0/0" in swanctl and "azure-1" not in swanctl


def test_topology_without_vpn_plans_expressroute_only() -> None:
    document = reference_document()
    document["gateways"] = [g for g in document["gateways"] if g["type"] != "Vpn"]
    document["connections"] = [c for c in document["connections"] if c["type"] != "IPsec"]
    document["local_network_gateways"] = []
    del document["onprem"]["vpn_appliance"]
    lab = plan(topology_from(document))
    names = {node.name for node in lab.nodes}
    assert "internet" not in names and "vpn-gateway-0" not in names and "onprem-vpn" not in names
    assert not lab.tunnels


def test_nsg_tags_are_matched_without_regard_to_case_as_check_does() -> None:
    """Azure (and ``check``) read ``virtualnetwork`` as the VirtualNetwork tag; the lab must too."""
    from hybridnet.model.vnet import NetworkSecurityGroup, SecurityRule

    nsg = NetworkSecurityGroup(name="nsg", rules=(
        SecurityRule(name="from-vnet", priority=100, access="Allow", source="virtualnetwork",
                     destination_port="80"),
        SecurityRule(name="from-lb", priority=110, access="Allow", source="azureloadbalancer"),
    ))
    text = nsg_ruleset(nsg, [])
    assert 'ip saddr @virtual_network th dport { 80 } accept comment "from-vnet"' in text
    assert 'ip saddr 168.63.129.16 accept comment "from-lb"' in text


def test_an_nsg_rule_for_another_service_tag_matches_nothing_in_the_lab() -> None:
    """``check`` treats Storage, Sql, … as matching no hybrid flow; the lab leaves the rule out instead of
    refusing the whole topology at ``up``."""
    from hybridnet.model.vnet import NetworkSecurityGroup, SecurityRule

    nsg = NetworkSecurityGroup(name="nsg", rules=(
        SecurityRule(name="deny-storage", priority=100, access="Deny", destination="Storage.WestEurope",
                     direction="Outbound"),
        SecurityRule(name="allow-web", priority=200, access="Allow", source="10.0.0.0/8,Sql",
                     destination_port="443"),
    ))
    text = nsg_ruleset(nsg, [])
    assert "# deny-storage: Storage.WestEurope holds no lab address" in text
    assert 'ip saddr { 10.0.0.0/8 } th dport { 443 } accept comment "allow-web"' in text
