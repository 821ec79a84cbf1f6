"""Names become namespaces, directories, host names and config text: the model refuses any name that
could escape a directory, inject a command or outgrow a kernel limit, and any two devices of one name."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hybridnet.cli import app
from hybridnet.emulate.plan import ER_GATEWAY_NODE, INTERNET_NODE, MSEE_NODES, VNET_FABRIC_NODE, check_lab_name
from hybridnet.emulate.plan import plan as lab_plan
from hybridnet.emulate.state import lab_directory
from hybridnet.model import TopologyError, load, loads, reference_yaml
from hybridnet.model.loader import MAX_TOPOLOGY_BYTES
from hybridnet.model.names import MAX_LAB_NAME, MAX_NODE_NAME, RESERVED_NODE_NAMES, validate_lab_name

runner = CliRunner()
REFERENCE = reference_yaml()


def _edited(old: str, new: str) -> str:
    assert old in REFERENCE, old
    return REFERENCE.replace(old, new, 1)


def _line_of(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), 1) if needle.strip("\n") in line)


def _errors(text: str) -> list[TopologyError]:
    with pytest.raises(TopologyError) as caught:
        loads(text, source="t.yaml")
    return list(getattr(caught.value, "errors", [caught.value]))


NODE_FIELDS = [
    pytest.param("{name: onprem-core}", "{name: %s}", "onprem.core_router.name", id="core-router"),
    pytest.param("- name: onprem-ce1", "- name: %s", "onprem.edge_routers.0.name", id="edge-router"),
    pytest.param("    name: onprem-vpn", "    name: %s", "onprem.vpn_appliance.name", id="vpn-appliance"),
    pytest.param("{name: onprem-host1,", "{name: %s,", "onprem.subnets.0.hosts.0.name", id="host"),
    pytest.param("{name: biz-vm1, subnet", "{name: %s, subnet", "workloads.2.name", id="workload"),
]
BAD_NODE_NAMES = [
    pytest.param('"../../etc"', id="parent-directory"),
    pytest.param('"a/b"', id="slash"),
    pytest.param('"/"', id="root"),
    pytest.param('"x\\ntouch /tmp/pwned"', id="newline"),
    pytest.param('"x y"', id="space"),
    pytest.param('"a" ', id="too-short-is-fine-so-this-is-a-control"),
    pytest.param("a" * 300, id="300-characters"),
]


@pytest.mark.parametrize(("old", "new", "field"), NODE_FIELDS)
@pytest.mark.parametrize("name", BAD_NODE_NAMES)
def test_a_node_name_that_is_not_a_plain_host_name_is_a_located_error(
    old: str, new: str, field: str, name: str
) -> None:
    text = _edited(old, new % name)
    if name.strip() == '"a"':  # the control: a one-letter name is valid
        loads(text)
        return
    errors = _errors(text)
    located = [e for e in errors if e.field == field]
    assert located, [str(e) for e in errors]
    assert located[0].line == _line_of(REFERENCE, old)
    assert located[0].file == "t.yaml"
    assert str(MAX_NODE_NAME) in located[0].message  # the limit is in the message


def test_the_longest_node_name_fits_every_path_the_lab_builds() -> None:
    """A UNIX socket path holds 107 bytes: the lab's longest is a node's FRR staticd vty socket."""
    socket = lab_directory("a" * MAX_LAB_NAME) / "nodes" / ("n" * MAX_NODE_NAME) / "frr" / "staticd.vty"
    assert len(str(socket).encode()) <= 107
    validate_lab_name("a" * MAX_LAB_NAME)
    with pytest.raises(ValueError, match=str(MAX_LAB_NAME)):
        validate_lab_name("a" * (MAX_LAB_NAME + 1))


@pytest.mark.parametrize("name", ["ra-lab", "a", "lab-2", "-x", "A", "a.b", "a/b", "..", "a" * 21, "a\n"])
def test_the_model_and_the_emulator_agree_on_lab_names(name: str) -> None:
    def accepted(check: object) -> bool:
        try:
            check(name)  # type: ignore[operator]
        except Exception:
            return False
        return True

    assert accepted(validate_lab_name) == accepted(check_lab_name)


def test_reserved_node_names_are_the_emulators_azure_side_names() -> None:
    plan = lab_plan(loads(REFERENCE))
    azure = {node.name for node in plan.nodes if node.side == "azure"} - {w.name for w in plan.topology.workloads}
    assert azure | {INTERNET_NODE} <= RESERVED_NODE_NAMES
    assert {*MSEE_NODES.values(), VNET_FABRIC_NODE, ER_GATEWAY_NODE, INTERNET_NODE} <= RESERVED_NODE_NAMES


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        pytest.param("name: ra-hybrid-vpn-er-vnet", 'name: "vnet\\nx"', "vnet.name", id="vnet-newline"),
        pytest.param("name: ra-hybrid-vpn-vgw\n", "name: ra/vgw\n", "gateways.1.Vpn.name", id="gateway-slash"),
        pytest.param("- name: web-nsg", "- name: " + "n" * 81, "nsgs.0.name", id="nsg-81-characters"),
        pytest.param("{env: HYBRIDNET_VPN_SHARED_KEY}", '{env: "K; rm -rf /"}', "connections.1.IPsec.shared_key.env",
                     id="env-name"),
    ],
)
def test_azure_names_keep_azures_character_set(old: str, new: str, field: str) -> None:
    errors = _errors(_edited(old, new))
    assert [e for e in errors if e.field == field and e.line == _line_of(REFERENCE, old)], [str(e) for e in errors]


def test_every_shipped_topology_still_loads() -> None:
    root = Path(__file__).resolve().parents[2]
    for path in sorted((root / "examples").glob("*.yaml")):
        load(path)


@pytest.mark.parametrize(
    ("old", "new", "field", "words"),
    [
        pytest.param("    name: onprem-vpn", "    name: onprem-core", "onprem.vpn_appliance.name", "already used",
                     id="vpn-appliance-named-like-the-core"),
        pytest.param("{name: biz-vm1, subnet", "{name: onprem-host1, subnet", "workloads.2.name", "already used",
                     id="workload-named-like-a-host"),
        pytest.param("- name: onprem-ce2", "- name: ONPREM-CE1", "onprem.edge_routers.1.name", "already used",
                     id="case-only-difference"),
        pytest.param("{name: biz-vm1, subnet", "{name: vnet-fabric, subnet", "workloads.2.name", "Azure-side",
                     id="azure-side-node-name"),
        pytest.param("    name: onprem-vpn", "    name: internet", "onprem.vpn_appliance.name", "Azure-side",
                     id="internet"),
    ],
)
def test_two_nodes_of_one_name_are_a_located_load_error(old: str, new: str, field: str, words: str) -> None:
    errors = _errors(_edited(old, new))
    located = [e for e in errors if e.field == field and words in e.message]
    assert located, [str(e) for e in errors]
    assert located[0].line == _line_of(REFERENCE, old)


def test_a_bgp_address_listed_twice_is_a_located_load_error() -> None:
    old = "bgp_addresses: [169.254.21.2, 169.254.22.2]"
    errors = _errors(_edited(old, "bgp_addresses: [169.254.21.2, 169.254.21.2]"))
    located = [e for e in errors if e.field == "onprem.vpn_appliance.bgp_addresses"]
    assert located and "169.254.21.2" in located[0].message
    assert located[0].line == _line_of(REFERENCE, old)


def _alias_bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "name: bomb\n" + "\n".join(lines) + "\n"


def test_a_yaml_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    text = _alias_bomb()
    assert len(text) < 500
    path = tmp_path / "bomb.yaml"
    path.write_text(text, encoding="utf-8")
    started = time.monotonic()
    result = runner.invoke(app, ["check", str(path)])
    assert time.monotonic() - started < 5
    assert result.exit_code == 2, result.output
    assert f"{path}:3:" in result.output  # the first alias
    assert "alias" in result.output


def test_a_few_aliases_still_work() -> None:
    text = _edited("asn: 65010 ", "asn: &onprem 65010 ").replace("{asn: 65010,", "{asn: *onprem,", 1)
    assert "*onprem" in text
    topology = loads(text)
    assert topology.local_network_gateways[0].bgp is not None
    assert topology.local_network_gateways[0].bgp.asn == topology.onprem.asn == 65010


def test_a_file_too_large_to_be_a_topology_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(REFERENCE + "# " + "x" * MAX_TOPOLOGY_BYTES + "\n", encoding="utf-8")
    started = time.monotonic()
    result = runner.invoke(app, ["check", str(path)])
    assert time.monotonic() - started < 5
    assert result.exit_code == 2, result.output
    assert f"{path}:1:" in result.output and str(MAX_TOPOLOGY_BYTES) in result.output


@pytest.mark.parametrize("command", ["down", "status", "drill"])
@pytest.mark.parametrize("lab", ["../../etc", "x/y", "a" * 300, "a\nb"])
def test_a_lab_name_that_is_not_plain_is_refused_before_anything_runs(command: str, lab: str) -> None:
    result = runner.invoke(app, [command, "--lab", lab])
    assert result.exit_code == 2, result.output
    assert "invalid lab name" in result.output and str(MAX_LAB_NAME) in result.output
