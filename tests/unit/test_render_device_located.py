"""An error a renderer finds after loading (a VPN device with no BGP address for its tunnel) names the
file and the line of its field, like a loading error."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from hybridnet.cli import app

SITES = Path(__file__).resolve().parents[2] / "examples" / "estates" / "sites.yaml"


def test_a_render_error_names_the_file_and_line(tmp_path: Path) -> None:
    text = SITES.read_text(encoding="utf-8")
    text = text.replace("bgp_addresses: [169.254.21.6], ", "")
    text = text.replace("bgp: {asn: 65031, peer_address: 169.254.21.6}", "")
    assert text.count("branch1-lgw") >= 2 and "169.254.21.6" not in text
    broken = tmp_path / "no-bgp-address.yaml"
    broken.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["render", "device", "--vendor", "frr", str(broken), "-o", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    sites_line = next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith("sites:"))
    assert f"{broken}:{sites_line}: sites." in result.output and "branch1-rtr has no BGP address" in result.output
    assert "<topology>" not in result.output and "Traceback" not in result.output
