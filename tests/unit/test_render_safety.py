"""The renderers write what users deploy and what the emulator runs: nothing from a topology may add a
command to a shell script or a config, and `render device -o DIR` writes only inside DIR."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hybridnet.cli import app
from hybridnet.model import TopologyError, loads, reference_yaml
from hybridnet.render import cisco_iosxe, frr, junos, strongswan
from hybridnet.render.output import path_inside

runner = CliRunner()
REFERENCE = reference_yaml()
RENDERERS = [frr, strongswan, cisco_iosxe, junos]


def _reference_with(**onprem_names: str):  # type: ignore[no-untyped-def]
    """The reference with names set in Python, past the model's checks (as a library user could)."""
    topology = loads(REFERENCE)
    onprem = topology.onprem
    appliance = onprem.vpn_appliance
    assert appliance is not None
    if "appliance" in onprem_names:
        appliance = appliance.model_copy(update={"name": onprem_names["appliance"]})
    core = onprem.core_router.model_copy(update={"name": onprem_names.get("core", onprem.core_router.name)})
    return topology.model_copy(
        update={"onprem": onprem.model_copy(update={"vpn_appliance": appliance, "core_router": core})}
    )


@pytest.mark.parametrize("renderer", RENDERERS, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
@pytest.mark.parametrize(
    "name",
    [
        pytest.param("vpn\ntouch /tmp/hybridnet-pwned", id="newline-command"),
        pytest.param("vpn\rreboot", id="carriage-return"),
        pytest.param('vpn";', id="quote"),
        pytest.param("vpn$(reboot)", id="shell-substitution"),
        pytest.param("vpn} {", id="braces"),
    ],
)
def test_a_name_that_would_change_a_config_is_refused(renderer, name: str) -> None:  # type: ignore[no-untyped-def]
    topology = _reference_with(appliance=name, core=name.replace("vpn", "core"))
    with pytest.raises(TopologyError, match="refusing to write"):
        renderer.render_onprem(topology)


@pytest.mark.parametrize("renderer", RENDERERS, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_plain_names_render(renderer) -> None:  # type: ignore[no-untyped-def]
    assert renderer.render_onprem(loads(REFERENCE))


def test_a_shared_key_with_shell_and_config_characters_is_quoted_not_refused() -> None:
    key = "a$b;c{d}e`f'g#h!"
    swanctl = strongswan.render_onprem(loads(REFERENCE), shared_key=key)["onprem-vpn/swanctl.conf"]
    assert f'secret = "{key}"' in swanctl
    assert f'pre-shared-key ascii-text "{key}";' in junos.render_onprem(loads(REFERENCE), shared_key=key)[
        "onprem-vpn/junos.conf"
    ]


@pytest.mark.parametrize("renderer", [strongswan, cisco_iosxe, junos], ids=["strongswan", "cisco_iosxe", "junos"])
def test_a_shared_key_with_a_line_break_is_refused(renderer) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TopologyError):
        renderer.render_onprem(loads(REFERENCE), shared_key="abc\nreboot")


# ---- one BGP address for both active-active instances (Azure's single-device design) -------------

ONE_ADDRESS = REFERENCE.replace("bgp_addresses: [169.254.21.2, 169.254.22.2]", "bgp_addresses: [169.254.21.2]", 1)


def test_junos_never_puts_one_address_on_two_st0_units() -> None:
    config = junos.render_onprem(loads(ONE_ADDRESS))["onprem-vpn/junos.conf"]
    st0 = config[config.index("    st0 {"):config.index("security {")]
    assert "169.254.21.2" not in st0  # unnumbered units ...
    lo0 = config[config.index("    lo0 {"):config.index("    st0 {")]
    assert "address 169.254.21.2/32;" in lo0  # ... borrowing the loopback's address
    assert re.search(r"lo0\.0 \{\s+host-inbound-traffic \{\s+protocols \{\s+bgp;", config)
    for peer in ("169.254.21.1", "169.254.22.1"):
        neighbor = config[config.index(f"neighbor {peer} {{"):]
        session = rf"neighbor {peer} \{{\s+description [^\n]+\n\s+local-address 169.254.21.2;\s+multihop"
        assert re.match(session, neighbor)
        assert f"route {peer}/32 next-hop st0." in config


def test_junos_keeps_distinct_addresses_on_their_units() -> None:
    config = junos.render_onprem(loads(REFERENCE))["onprem-vpn/junos.conf"]
    assert "lo0 {" not in config
    assert config.count("address 169.254.21.2/32;") == config.count("address 169.254.22.2/32;") == 1


def test_iosxe_never_puts_one_address_on_two_tunnels() -> None:
    config = cisco_iosxe.render_onprem(loads(ONE_ADDRESS))["onprem-vpn/ios-xe.cfg"]
    assert config.count("ip address 169.254.21.2 255.255.255.255") == 1
    assert "interface Loopback1\n" in config
    assert config.count(" ip unnumbered Loopback1") == 2
    for peer in ("169.254.21.1", "169.254.22.1"):
        assert f" neighbor {peer} update-source Loopback1" in config
        assert f" neighbor {peer} ebgp-multihop 2" in config


# ---- render device -o DIR ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["../x/frr.conf", "/etc/frr.conf", "a/../../frr.conf", "", ".", "a\n/frr.conf"])
def test_a_file_name_that_leaves_the_directory_is_refused(tmp_path: Path, name: str) -> None:
    assert path_inside(tmp_path / "out", name) is None


def test_a_device_file_goes_inside_the_directory(tmp_path: Path) -> None:
    assert path_inside(tmp_path / "out", "onprem-core/frr.conf") == tmp_path / "out" / "onprem-core" / "frr.conf"


def test_render_device_does_not_follow_a_link_out_of_the_directory(tmp_path: Path) -> None:
    output, outside = tmp_path / "configs", tmp_path / "outside"
    output.mkdir()
    outside.mkdir()
    os.symlink(outside, output / "onprem-core")
    result = runner.invoke(app, ["render", "device", "--vendor", "frr", "-o", str(output)])
    assert result.exit_code == 2, result.output
    assert "refusing to write" in result.output
    assert list(outside.iterdir()) == []


def test_render_device_writes_every_device_inside_the_directory(tmp_path: Path) -> None:
    result = runner.invoke(app, ["render", "device", "--vendor", "strongswan", "-o", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "c" / "onprem-vpn").iterdir()) == ["swanctl.conf", "tunnel.sh"]
