"""Property test: generated estates (spokes, sites of any roles, extra circuits, their references and
flags) either load or fail with a located error, and the whole check runs on every one that loads,
never a traceback. Derandomized, so CI runs are repeatable."""

from __future__ import annotations

import copy
from io import StringIO
from ipaddress import IPv4Network
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from hybridnet.model import TopologyError, loads
from hybridnet.model.estate import ROLES
from hybridnet.model.loader import example_yaml
from hybridnet.rules import check, locate
from hybridnet.rules.locate import parse_document

PROFILE = settings(max_examples=120, derandomize=True, deadline=None, database=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

BASE = YAML(typ="safe").load(example_yaml("sites"))
CIRCUITS = ("sv-erc", "la-erc", "x-erc", None)
LNGS = ("hq-lgw", "branch1-lgw", "branch2-lgw", "nope-lgw", None)
octet = st.integers(min_value=0, max_value=255)
prefix = st.builds(lambda a, b, n: str(IPv4Network(f"10.{a}.{b}.0/{n}", strict=False)), octet, octet,
                   st.sampled_from([16, 20, 24]))


@st.composite
def devices(draw: st.DrawFn, site: int) -> list[dict[str, Any]]:
    found = []
    for index in range(draw(st.integers(min_value=1, max_value=4))):
        roles = draw(st.lists(st.sampled_from(ROLES), min_size=1, max_size=4, unique=True))
        device: dict[str, Any] = {"name": f"s{site}-d{index}", "roles": roles}
        if "edge" in roles:
            edge: dict[str, Any] = {"link": draw(st.sampled_from(["primary", "secondary"])),
                                    "local_preference": draw(st.sampled_from([100, 150, 200])),
                                    "as_path_prepend": draw(st.integers(min_value=0, max_value=3))}
            circuit = draw(st.sampled_from(CIRCUITS))
            if circuit is not None:
                edge["circuit"] = circuit
            device["edge"] = edge
        if "vpn" in roles:
            vpn: dict[str, Any] = {"public_ip": f"40.50.{site}.{index + 1}"}
            lng = draw(st.sampled_from(LNGS))
            if lng is not None:
                vpn["local_network_gateway"] = lng
            device["vpn"] = vpn
        if "firewall" in roles and draw(st.booleans()):
            device["firewall"] = {"stateful": draw(st.booleans()), "ha_pair": draw(st.booleans())}
        found.append(device)
    return found


@st.composite
def estates(draw: st.DrawFn) -> dict[str, Any]:
    document = copy.deepcopy(BASE)
    sites = []
    for index in range(draw(st.integers(min_value=1, max_value=4))):
        site_devices = draw(devices(index))
        site: dict[str, Any] = {"name": f"site{index}", "asn": 65100 + index,
                                "address_space": [draw(prefix)], "devices": site_devices}
        if draw(st.booleans()) and len(site_devices) > 1:
            names = [d["name"] for d in site_devices]
            site["links"] = [{"between": [names[i], names[i + 1]]} for i in range(len(names) - 1)]
        if draw(st.booleans()):
            site["reach"] = draw(st.lists(st.sampled_from([f"site{i}" for i in range(5)]), max_size=2))
        sites.append(site)
    document["sites"] = sites
    document["spokes"] = [
        {"name": f"spoke{index}", "address_space": [draw(prefix)],
         "peering": {"hub": {"allow_gateway_transit": draw(st.booleans())},
                     "spoke": {"use_remote_gateways": draw(st.booleans())}},
         **({"own_gateway": "gw"} if draw(st.booleans()) else {})}
        for index in range(draw(st.integers(min_value=0, max_value=3)))]
    if draw(st.booleans()):
        document["circuits"][0]["peering_location"] = document["circuit"]["peering_location"]
    if draw(st.booleans()):
        document["connections"][1]["routing_weight"] = draw(st.sampled_from([0, 10]))
    if draw(st.booleans()):
        document["gateways"][0]["sku"] = draw(st.sampled_from(["Standard", "ErGw3AZ", "Basic"]))
    return document


@PROFILE
@given(estates())
def test_generated_estates_load_or_fail_located_and_check_never_crashes(document: dict[str, Any]) -> None:
    buffer = StringIO()
    YAML(typ="safe").dump(document, buffer)
    text = buffer.getvalue()
    try:
        topology = loads(text, source="estate.yaml")
    except TopologyError as error:
        assert "estate.yaml" in str(error)
        return
    assert len(topology.all_sites) == len(document["sites"])
    findings = locate(check(topology), parse_document(text), "estate.yaml")
    for finding in findings:
        assert finding.message and finding.fix
    for site in topology.all_sites:
        site.effective_links, site.ibgp_sessions(), site.paths_out("edge"), site.paths_out("vpn")
