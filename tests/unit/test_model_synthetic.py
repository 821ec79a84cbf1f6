"""The synthetic estate generator: every size of the benchmark's grid loads, checks clean, plans and
analyses; the same arguments give the same estate; counts that cannot be built are refused."""

from __future__ import annotations

import pytest

from hybridnet.emulate import plan, vpn_ends
from hybridnet.emulate.plan.estate_wiring import edge_links
from hybridnet.model.synthetic import MAX_SITES, synthetic_estate, synthetic_yaml
from hybridnet.routing.estate_analysis import analyse_estate
from hybridnet.routing.estate_design import EstateDesign, design_of
from hybridnet.rules import check

GRID = [(sites, spokes) for sites in (1, 2, 4, 8) for spokes in (1, 5, 20)]


@pytest.mark.parametrize(("sites", "spokes"), GRID)
def test_grid_checks_clean_plans_and_analyses(sites: int, spokes: int) -> None:
    topology = synthetic_estate(sites, spokes)
    assert len(topology.all_sites) == sites and len(topology.spokes) == spokes
    errors = [finding for finding in check(topology) if finding.severity.name == "ERROR"]
    assert errors == []
    lab_plan = plan(topology, lab="syn")
    names = {node.name for node in lab_plan.nodes}
    for index in range(spokes):
        assert f"spoke{index + 1}-vm1" in names
    assert {f"s{i + 1}-host1" for i in range(sites)} <= names
    design = design_of(topology)
    assert isinstance(design, EstateDesign)
    analysis = analyse_estate(design, depth=1)
    assert len({flow.site for flow in analysis.flows}) == sites
    assert analysis.results


def test_mix_of_sites() -> None:
    """Two circuits carry one site each; the rest are VPN-only branches with their own connection."""
    topology = synthetic_estate(8, 1)
    assert len(topology.all_circuits) == 2
    assert {link.site for link in edge_links(topology)} == {"s1", "s2"}
    ends = vpn_ends(topology)
    assert [end.site for end in ends] == ["s1", "s3", "s4", "s5", "s6", "s7", "s8"]
    assert len({end.connection.name for end in ends}) == len(ends)
    assert len({end.public_ip for end in ends}) == len(ends)
    assert len({site.asn for site in topology.all_sites}) == 8
    firewalls = [site.name for site in topology.all_sites if site.with_role("firewall")]
    assert "s1" in firewalls and 1 < len(firewalls) < 8
    assert all(c.shared_key.env and c.shared_key.env.startswith("HYBRIDNET_SYN_KEY_")
               for c in topology.ipsec_connections)


def test_deterministic() -> None:
    assert synthetic_yaml(4, 5) == synthetic_yaml(4, 5)
    assert synthetic_estate(4, 5) == synthetic_estate(4, 5)


def test_largest_checks_clean() -> None:
    topology = synthetic_estate(MAX_SITES, 60, circuits=1)
    assert not [f for f in check(topology) if f.severity.name == "ERROR"]


@pytest.mark.parametrize(("sites", "circuits", "branches"), [(0, None, None), (MAX_SITES + 1, None, None),
                                                               (2, 3, None), (4, 2, 1), (1, 0, None)])
def test_impossible_counts_refused(sites: int, circuits: int | None, branches: int | None) -> None:
    with pytest.raises(ValueError):
        synthetic_estate(sites, 1, circuits=circuits, vpn_branches=branches)
