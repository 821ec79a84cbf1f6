"""Estate rules (HN-EST-*): each fires on the mistake it is about and stays quiet on the examples.

Cases start from one of the shipped examples (hub-spoke, two-circuits, sites) and apply edits, so every
failing case is one step from a design that checks clean.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO
from typing import Any

import pytest
from ruamel.yaml import YAML

from hybridnet.model import default_topology, loads
from hybridnet.model.loader import EXAMPLES, example_yaml
from hybridnet.rules import Finding, all_rules, check
from tests.unit.conftest import appending, removing, setting

Edit = Callable[[dict[str, Any]], None]


def _document(example: str, edits: tuple[Edit, ...]) -> dict[str, Any]:
    document = YAML(typ="safe").load(example_yaml(example))
    for edit in edits:
        edit(document)
    return document


def _run(rule_id: str, document: dict[str, Any]) -> list[Finding]:
    buffer = StringIO()
    YAML(typ="safe").dump(document, buffer)
    rule = next(r for r in all_rules() if r.id == rule_id)
    return rule(loads(buffer.getvalue(), source="<estate>"))


@dataclass(frozen=True)
class EstateCase:
    """A rule case on an estate example (the catalogue test reads ``rule_id`` from every table)."""

    rule_id: str
    example: str
    edits: tuple[Edit, ...] = ()
    path: str | None = None
    severity: str | None = None


def _case(rule_id: str, name: str, example: str, *edits: Edit, path: str | None = None,
          severity: str | None = None) -> Any:
    return pytest.param(EstateCase(rule_id, example, edits, path, severity), id=f"{rule_id}-{name}")


def _firewall(name: str, ha: bool = False) -> dict[str, Any]:
    return {"name": name, "roles": ["firewall"], "firewall": {"stateful": True, "ha_pair": ha}}


def _extend(path: str, extra: Callable[[Any], None]) -> Edit:
    def edit(document: dict[str, Any]) -> None:
        node: Any = document
        for part in path.split("."):
            node = node[int(part)] if isinstance(node, list) else node[part]
        extra(node)
    return edit


THIRD_CIRCUIT = {"name": "sv2-erc", "service_provider": "Equinix", "peering_location": "Silicon Valley",
                 "bandwidth_mbps": 50}

FAILING = [
    _case("HN-EST-001", "spoke-uses-hub-does-not-allow", "hub-spoke",
          setting("spokes.0.peering.hub.allow_gateway_transit", False),
          path="spokes.0.peering.spoke.use_remote_gateways", severity="error"),
    _case("HN-EST-001", "hub-allows-spoke-does-not-use", "hub-spoke",
          setting("spokes.1.peering.spoke.use_remote_gateways", False),
          path="spokes.1.peering.spoke.use_remote_gateways", severity="warning"),
    _case("HN-EST-002", "own-gateway-and-remote", "hub-spoke", setting("spokes.0.own_gateway", "spoke-app-vgw"),
          path="spokes.0.peering.spoke.use_remote_gateways"),
    _case("HN-EST-003", "spoke-overlaps-spoke", "hub-spoke", setting("spokes.1.address_space.1", "10.1.128.0/24"),
          path="spokes.1.address_space.1"),
    _case("HN-EST-003", "site-overlaps-spoke", "sites", setting("sites.3.address_space.0", "10.0.0.0/8"),
          path="sites.3.address_space.0"),
    _case("HN-EST-004", "five-circuits-on-ergw1az", "two-circuits",
          *(appending("circuits", {**THIRD_CIRCUIT, "name": f"x{i}-erc", "peering_location": f"Loc{i}"})
            for i in range(3)),
          *(appending("connections", {"type": "ExpressRoute", "name": f"x{i}-cn", "gateway": "ra-hybrid-er-vgw",
                                      "circuit": f"x{i}-erc"}) for i in range(3)),
          path="gateways.0.sku"),
    _case("HN-EST-005", "same-peering-location", "two-circuits",
          setting("circuits.0.peering_location", "Silicon Valley"), path="circuits.0.peering_location"),
    _case("HN-EST-006", "equal-weights-no-prepend", "two-circuits", setting("connections.0.routing_weight", 10),
          setting("sites.0.devices.3.edge.as_path_prepend", 0), setting("sites.0.devices.4.edge.as_path_prepend", 0),
          path="sites.0"),
    _case("HN-EST-006", "equal-local-preference", "two-circuits",
          setting("sites.0.devices.1.edge.local_preference", 150),
          setting("sites.0.devices.2.edge.local_preference", 150), path="sites.0"),
    _case("HN-EST-007", "vpn-branch-expects-er-only-dc", "sites", setting("sites.2.reach", ["hq", "dc2"]),
          path="sites.2.reach.1"),
    _case("HN-EST-007", "unknown-site", "sites", setting("sites.2.reach", ["nowhere"]), path="sites.2.reach.0"),
    _case("HN-EST-008", "er-and-vpn-behind-different-firewalls", "two-circuits",
          _extend("sites.0.devices", lambda devices: devices.extend([_firewall("hq-fw1"), _firewall("hq-fw2")])),
          setting("sites.0.links", [
              {"between": ["hq-core", "hq-fw1"]}, {"between": ["hq-core", "hq-fw2"]},
              *({"between": ["hq-fw1", ce]} for ce in ("hq-ce1", "hq-ce2", "hq-ce3", "hq-ce4")),
              {"between": ["hq-fw2", "hq-vpn"]}]),
          path="sites.0"),
    _case("HN-EST-009", "one-firewall-for-everything", "sites", setting("sites.0.devices.0.firewall.ha_pair", False),
          path="sites.0.devices.0"),
    _case("HN-EST-009", "separate-firewall-box", "two-circuits",
          _extend("sites.0.devices", lambda devices: devices.append(_firewall("hq-fw"))), path="sites.0.devices.6"),
    _case("HN-EST-010", "unknown-circuit", "sites", setting("sites.1.devices.1.edge.circuit", "nope-erc"),
          path="sites.1.devices.1.edge.circuit"),
    _case("HN-EST-010", "no-circuit-named-among-two", "sites", removing("sites.1.devices.1.edge.circuit"),
          path="sites.1.devices.1.edge.circuit"),
    _case("HN-EST-011", "vpn-device-without-lng", "sites", setting("sites.2.devices.0.vpn.local_network_gateway",
                                                                   "ghost-lgw"), path="sites.2.devices.0.vpn"),
    _case("HN-EST-011", "vpn-device-without-connection", "sites", removing("connections.3"),
          path="sites.2.devices.0.vpn"),
    _case("HN-EST-011", "lng-points-elsewhere", "sites", setting("local_network_gateways.1.gateway_ip", "40.50.61.99"),
          path="sites.2.devices.0.vpn"),
    _case("HN-EST-012", "circuit-with-one-link", "sites", removing("sites.1.devices.2"), path="connections.1.circuit"),
    _case("HN-EST-013", "no-private-peering", "two-circuits", removing("circuits.0.private_peering"),
          path="circuits.0"),
    _case("HN-EST-013", "a-29-and-overlapping-links", "two-circuits",
          setting("circuits.0.private_peering.primary_prefix", "172.16.0.8/29"),
          path="circuits.0.private_peering.secondary_prefix"),
]

PASSING = [
    *(pytest.param(EstateCase(rule.id, example), id=f"{rule.id}-{example}")
      for rule in all_rules() if rule.id.startswith("HN-EST") for example in EXAMPLES),
    _case("HN-EST-001", "isolated-spoke-both-false", "hub-spoke",
          setting("spokes.0.peering.hub.allow_gateway_transit", False),
          setting("spokes.0.peering.spoke.use_remote_gateways", False)),
    _case("HN-EST-002", "own-gateway-without-remote", "hub-spoke", setting("spokes.0.own_gateway", "spoke-app-vgw"),
          setting("spokes.0.peering.spoke.use_remote_gateways", False)),
    _case("HN-EST-006", "weights-only-decide", "two-circuits",
          setting("sites.0.devices.3.edge.as_path_prepend", 0), setting("sites.0.devices.4.edge.as_path_prepend", 0)),
    _case("HN-EST-008", "two-firewalls-one-path-each-way-the-same", "two-circuits",
          _extend("sites.0.devices", lambda devices: devices.extend([_firewall("hq-fw1"), _firewall("hq-fw2")])),
          setting("sites.0.links", [
              {"between": ["hq-core", "hq-fw1"]}, {"between": ["hq-fw1", "hq-fw2"]},
              *({"between": ["hq-fw2", d]} for d in ("hq-ce1", "hq-ce2", "hq-ce3", "hq-ce4", "hq-vpn"))])),
    _case("HN-EST-009", "separate-firewall-cluster", "two-circuits",
          _extend("sites.0.devices", lambda devices: devices.append(_firewall("hq-fw", ha=True)))),
    _case("HN-EST-012", "legacy-onprem-is-hn-er-002s", "hub-spoke", removing("onprem.edge_routers.1")),
]


@pytest.mark.parametrize("case", FAILING)
def test_rule_fires(case: EstateCase) -> None:
    findings = _run(case.rule_id, _document(case.example, case.edits))
    assert findings, f"{case.rule_id} did not fire"
    for finding in findings:
        assert finding.message and finding.fix and finding.source.url
    if case.path is not None:
        assert case.path in {f.path for f in findings}, [f.path for f in findings]
    if case.severity is not None:
        assert {f.severity.value for f in findings} == {case.severity}


@pytest.mark.parametrize("case", PASSING)
def test_rule_stays_quiet(case: EstateCase) -> None:
    assert _run(case.rule_id, _document(case.example, case.edits)) == []


def test_every_estate_rule_has_a_failing_and_a_passing_case() -> None:
    ids = {r.id for r in all_rules() if r.id.startswith("HN-EST")}
    assert ids == {p.values[0].rule_id for p in FAILING}
    assert ids <= {p.values[0].rule_id for p in PASSING}


def test_the_estate_rules_find_nothing_on_the_reference() -> None:
    findings = [f for f in check(default_topology()) if f.rule_id.startswith("HN-EST")]
    assert findings == []


@pytest.mark.parametrize("example", EXAMPLES)
def test_the_whole_check_runs_on_each_example_without_errors(example: str) -> None:
    findings = check(loads(example_yaml(example), source=example))
    assert [f for f in findings if f.severity.value == "error"] == []


def test_legacy_onprem_rules_skip_role_form_sites_but_still_run_on_the_legacy_block() -> None:
    legacy = [r for r in all_rules() if r.legacy_onprem]
    assert legacy and {"HN-ADDR-001", "HN-RT-001", "HN-VPN-009"} <= {r.id for r in legacy}
    sites = loads(example_yaml("sites"), source="sites")
    assert all(rule(sites) == [] for rule in legacy)
    document = YAML(typ="safe").load(example_yaml("hub-spoke"))
    document["onprem"]["address_space"] = ["10.0.0.0/8"]  # overlaps the hub: the legacy rule still sees it
    buffer = StringIO()
    YAML(typ="safe").dump(copy.deepcopy(document), buffer)
    assert any(f.rule_id == "HN-ADDR-001" for f in check(loads(buffer.getvalue())))
