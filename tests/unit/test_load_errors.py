"""Malformed topology files: each gives a located message that says what to fix, and the CLI exits 2
with it, never with a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from hybridnet.cli import app
from hybridnet.model import TopologyError, load, reference_yaml

runner = CliRunner()
REFERENCE = reference_yaml()


def _edited(old: str, new: str) -> str:
    assert old in REFERENCE, old
    return REFERENCE.replace(old, new, 1)


def _line_of(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), 1) if needle in line)


CASES = [
    pytest.param(
        "name: x\nvnet:\n  name: [unclosed\n  subnets: []\n", "invalid YAML", 4, None, id="unclosed-list"
    ),
    pytest.param("name: x\n\tvnet: 1\n", "invalid YAML", 2, None, id="tab-indent"),
    pytest.param(
        _edited("location: centralus", "location: centralus\nlocation: westus"),
        "duplicate key",
        _line_of(REFERENCE, "location: centralus") + 1,
        None,
        id="duplicate-key",
    ),
    pytest.param(
        _edited("  bandwidth_mbps: 50", "  bandwidth_mbps: 50\n  bandwith: 50"),
        "unknown field",
        _line_of(REFERENCE, "bandwidth_mbps: 50") + 1,
        "circuit.bandwith",
        id="misspelt-field",
    ),
    pytest.param(
        _edited("asn: 65010 ", "asn: sixty "),
        "valid integer",
        _line_of(REFERENCE, "asn: 65010 "),
        "onprem.asn",
        id="asn-not-a-number",
    ),
    pytest.param(
        _edited("10.0.1.0/24, nsg: web-nsg", "10.0.1.1/24, nsg: web-nsg"),
        "IPv4 network",
        _line_of(REFERENCE, "10.0.1.0/24, nsg: web-nsg"),
        "vnet.subnets.1.prefix",
        id="host-bits-set",
    ),
    pytest.param(
        _edited("nsg: biz-nsg}", "nsg: bizz-nsg}"),
        "no NSG named 'bizz-nsg'",
        _line_of(REFERENCE, "nsg: biz-nsg}"),
        "vnet.subnets.2.nsg",
        id="dangling-nsg",
    ),
    pytest.param(
        _edited("sku: VpnGw1AZ ", "sku: VpnGw9 "),
        "VpnGw1AZ",
        _line_of(REFERENCE, "sku: VpnGw1AZ "),
        "gateways.1.Vpn.sku",
        id="unknown-sku",
    ),
    pytest.param(
        _edited("resource_group: ra-hybrid-vpn-er-rg\n", ""),
        "required field is missing",
        1,
        "resource_group",
        id="missing-field",
    ),
    pytest.param("", "the file is empty", 1, None, id="empty"),
    pytest.param("- a\n- b\n", "the file is a list", 1, None, id="a-list"),
    pytest.param("name: x\nb: \x00\n", "not allowed", 2, None, id="control-character"),
    pytest.param("a: " + "[" * 500 + "]" * 500 + "\n", "nested too deeply", 1, None, id="deep-nesting"),
    pytest.param("name: x\n---\nname: y\n", "single document", 2, None, id="two-documents"),
]


@pytest.mark.parametrize(("text", "words", "line", "field"), CASES)
def test_malformed_file_gives_a_located_error(
    tmp_path: Path, text: str, words: str, line: int, field: str | None
) -> None:
    path = tmp_path / "topology.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TopologyError) as caught:
        load(path)
    errors = getattr(caught.value, "errors", [caught.value])
    matching = [e for e in errors if words in e.message]
    assert matching, [str(e) for e in errors]
    assert matching[0].file == str(path)
    assert matching[0].line == line
    if field is not None:
        assert matching[0].field == field


@pytest.mark.parametrize(("text", "words", "line", "field"), CASES)
def test_cli_exits_2_with_file_and_line_and_no_traceback(
    tmp_path: Path, text: str, words: str, line: int, field: str | None
) -> None:
    path = tmp_path / "topology.yaml"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 2
    assert f"{path}:{line}" in result.stderr
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_missing_file_says_how_to_start(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "file not found" in result.stderr and "hybridnet init" in result.stderr


def test_directory_is_not_a_topology(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 2
    assert "is a directory" in result.stderr


def test_non_utf8_file_says_which_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 2
    assert "not UTF-8" in result.stderr


def test_every_error_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    path.write_text(
        _edited("asn: 65010 ", "asn: sixty ").replace("vlan_id: 300", "vlan_id: 5000"), encoding="utf-8"
    )
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 2
    assert "onprem.asn" in result.stderr and "circuit.private_peering.vlan_id" in result.stderr


def test_an_incomplete_ipsec_policy_names_the_missing_part(tmp_path: Path) -> None:
    """Azure requires a custom policy to give all six algorithms; the schema makes each one required."""
    policy = "    ipsec_policy: {ike_encryption: AES256, ike_integrity: SHA256, dh_group: DHGroup14}\n"
    path = tmp_path / "policy.yaml"
    path.write_text(_edited("    tunnel_mtu: 1400\n", "    tunnel_mtu: 1400\n" + policy), encoding="utf-8")
    with pytest.raises(TopologyError) as caught:
        load(path)
    fields = {error.field for error in caught.value.errors}  # type: ignore[attr-defined]
    assert {
        "connections.1.IPsec.ipsec_policy.ipsec_encryption",
        "connections.1.IPsec.ipsec_policy.pfs_group",
    } <= fields
    assert all(error.line == _line_of(REFERENCE, "tunnel_mtu: 1400") + 1 for error in caught.value.errors)  # type: ignore[attr-defined]


def test_keys_that_look_like_console_markup_are_printed_literally(tmp_path: Path) -> None:
    path = tmp_path / "markup.yaml"
    path.write_text(_edited("location: centralus", 'location: centralus\n"[/bold]": 1'), encoding="utf-8")
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 2
    assert "[/bold]: unknown field" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
