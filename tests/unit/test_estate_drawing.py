"""The HTML report's drawing of an estate: every site device, each circuit's MSEEs, the gateways and
every spoke, drawn from the topology (the reference keeps its own drawing)."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

from hybridnet.model import default_topology, load
from hybridnet.report.topology_drawing import render_topology_svg

ESTATES = Path(__file__).resolve().parents[2] / "examples" / "estates"


def _texts(svg: str) -> list[str]:
    root = ElementTree.fromstring(svg)  # well-formed: the HTML report inlines it
    return ["".join(element.itertext()) for element in root.iter() if element.tag.endswith("}text")]


def test_the_sites_estate_shows_every_device_circuit_and_branch() -> None:
    texts = " ".join(_texts(render_topology_svg(load(ESTATES / "sites.yaml"), highlight="VPN")))
    for name in ("hq-fw", "hq-ce1", "hq-ce2", "dc2-core", "dc2-ce1", "branch1-rtr", "branch2-rtr"):
        assert name in texts
    for site in ("site hq", "site dc2", "site branch1", "site branch2"):
        assert site in texts
    assert "MSEE sv-erc" in texts and "MSEE la-erc" in texts and "Internet" in texts
    assert "path in use — VPN" in texts


def test_spokes_are_drawn_and_the_reference_keeps_its_drawing() -> None:
    texts = " ".join(_texts(render_topology_svg(load(ESTATES / "hub-spoke.yaml"))))
    assert "spoke spoke-app" in texts and "spoke spoke-data" in texts and "hub ra-hybrid-vpn-er-vnet" in texts
    reference = " ".join(_texts(render_topology_svg(default_topology())))
    assert "MSEE (primary)" in reference and "site hq" not in reference and "On-premises (onprem)" in reference
