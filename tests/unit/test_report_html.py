"""The HTML report: one self-contained file whose timeline picture really renders in a browser."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import xml.dom.minidom
from pathlib import Path

import pytest

from hybridnet.drill.result import Event
from hybridnet.model import Topology
from hybridnet.report import Redactor, render_html, render_timeline, render_topology_svg
from tests.unit.test_report_sample import sample_drill

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def report_html(tmp_path_factory: pytest.TempPathFactory) -> str:
    from hybridnet.model import default_topology

    result = sample_drill()
    result.events.append(Event(3.0, "ike", "auth", "secret = Sup3rS3cret; key Pa55phrase-2026"))
    return render_html(result, default_topology(), redactor=Redactor(["Pa55phrase-2026"]))


def test_report_is_self_contained(report_html: str) -> None:
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", report_html), "no external resource may load"
    assert "<link" not in report_html
    assert 'src="data:image/png;base64,' in report_html
    assert '<svg xmlns="http://www.w3.org/2000/svg" id="topology"' in report_html


def test_timeline_png_is_embedded_intact(report_html: str) -> None:
    encoded = re.search(r'id="timeline"[^>]*src="data:image/png;base64,([A-Za-z0-9+/=]+)"', report_html, re.S)
    assert encoded is not None
    png = base64.b64decode(encoded.group(1))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width >= 800 and height >= 400


def test_report_shows_measured_outage_next_to_the_prediction(report_html: str) -> None:
    assert "912 ms" in report_html and "~900 ms (bfd)" in report_html
    assert "BFD 300 ms × 3 ⇒ ~0.9 s" in report_html
    assert "ExpressRoute → none → VPN" in report_html


def test_secrets_never_reach_the_html(report_html: str) -> None:
    assert "Sup3rS3cret" not in report_html and "Pa55phrase-2026" not in report_html


def test_topology_drawing_comes_from_the_model(reference: Topology) -> None:
    svg = render_topology_svg(reference, highlight="VPN")
    xml.dom.minidom.parseString(svg)  # well-formed, so browsers draw it inline
    for name in ("onprem-ce1", "onprem-ce2", "onprem-vpn", "ra-hybrid-er-vgw", "ra-hybrid-vpn-vgw",
                 "172.16.0.0/30", "172.16.0.4/30", "web 10.0.1.0/24", "MSEE (primary)", "GatewaySubnet"):
        assert name in svg
    renamed = reference.model_copy(update={"name": "other"})
    assert "topology of other" in render_topology_svg(renamed)


def test_timeline_can_be_drawn_as_svg_too() -> None:
    svg = render_timeline(sample_drill(), "svg")
    assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg
    with pytest.raises(ValueError, match="png or svg"):
        render_timeline(sample_drill(), "gif")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (CI installs the Debian package)")
def test_timeline_picture_renders_in_headless_chromium(report_html: str, tmp_path: Path) -> None:
    page = tmp_path / "drill-report.html"
    page.write_text(report_html, encoding="utf-8")
    assert CHROMIUM is not None
    completed = subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000",
         "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr[-2000:]
    body = re.search(r"<body([^>]*)>", completed.stdout)
    assert body is not None, completed.stdout[:500]
    attributes = dict(re.findall(r'(data-timeline-[a-z]+)="([^"]*)"', body.group(1)))
    assert attributes.get("data-timeline-complete") == "true", attributes
    assert int(attributes["data-timeline-width"]) >= 800
    assert int(attributes["data-timeline-height"]) >= 400
