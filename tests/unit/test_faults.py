"""Faults are described before they are made: which cables, which drops, which daemon — and where
the guidance says traffic must go while each one holds."""

from __future__ import annotations

import pytest

from hybridnet.drill.faults import FAULT_BUILDERS, FaultAction, FaultError, build_fault, circuit_links
from hybridnet.model import Topology
from tests.conftest import reference_document, topology_from


def _without_vpn() -> Topology:
    document = reference_document()
    document["gateways"] = [g for g in document["gateways"] if g["type"] != "Vpn"]
    document["connections"] = [c for c in document["connections"] if c["type"] != "IPsec"]
    document["local_network_gateways"] = []
    document["onprem"].pop("vpn_appliance")
    return topology_from(document)


def test_stopping_the_circuit_cuts_both_links(reference: Topology) -> None:
    fault = build_fault("circuit-down", reference)
    assert fault.actions == (FaultAction("cut", "onprem-ce1", "msee-primary"),
                             FaultAction("cut", "onprem-ce2", "msee-secondary"))
    assert fault.expected_path == "VPN" and fault.moves


def test_primary_link_down_leaves_traffic_on_expressroute(reference: Topology) -> None:
    fault = build_fault("primary-link-down", reference)
    assert fault.actions == (FaultAction("cut", "onprem-ce1", "msee-primary"),)
    assert fault.expected_path == "ExpressRoute" and not fault.moves


def test_gray_failure_keeps_the_links_up_and_drops_on_both(reference: Topology) -> None:
    fault = build_fault("gray-failure", reference)
    assert {action.kind for action in fault.actions} == {"gray"}
    assert [(a.a, a.b) for a in fault.actions] == circuit_links(reference)
    assert "link stays up" in fault.description


def test_vpn_down_expects_no_impact(reference: Topology) -> None:
    fault = build_fault("vpn-down", reference)
    assert fault.actions == (FaultAction("cut", "onprem-vpn", "internet"),)
    assert fault.expected_path == "ExpressRoute"


def test_both_down_cuts_every_path_and_still_expects_a_backup(reference: Topology) -> None:
    """Nothing can carry traffic, so the drill must fail: the backup it expects never comes."""
    fault = build_fault("both-down", reference)
    assert len(fault.actions) == 3 and fault.expected_path == "VPN" and not fault.moves


def test_gateway_daemon_killed_targets_the_expressroute_gateways_bgpd(reference: Topology) -> None:
    fault = build_fault("gateway-daemon-killed", reference)
    assert fault.actions == (FaultAction("kill", "er-gateway", "bgpd"),)
    assert fault.description == "kill bgpd on er-gateway (SIGKILL)"


def test_every_fault_builds_on_the_reference(reference: Topology) -> None:
    for name in FAULT_BUILDERS:
        assert build_fault(name, reference).name == name


def test_unknown_fault_names_the_known_ones(reference: Topology) -> None:
    with pytest.raises(FaultError, match="known: circuit-down, primary-link-down"):
        build_fault("meteor-strike", reference)


@pytest.mark.parametrize("name", ["vpn-down", "both-down"])
def test_vpn_faults_need_a_vpn(name: str) -> None:
    with pytest.raises(FaultError, match="no site-to-site VPN"):
        build_fault(name, _without_vpn())


def test_primary_link_down_needs_a_secondary_link() -> None:
    document = reference_document()
    document["onprem"]["edge_routers"] = document["onprem"]["edge_routers"][:1]
    with pytest.raises(FaultError, match="secondary"):
        build_fault("primary-link-down", topology_from(document))
