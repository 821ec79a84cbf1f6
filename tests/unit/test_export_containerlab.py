"""`hybridnet export containerlab`: valid containerlab topologies carrying exactly the lab's configs,
for the reference, the variant examples and the three estates (spokes, two circuits, sites with a firewall
and several VPN ends, each with its own key).

The schema is a copy of containerlab's own (tests/unit/fixtures/containerlab-schema, BSD-3), read
here independently of the copy the package ships; YAML is read back from the written files.
"""

from __future__ import annotations

import dataclasses
import json
import re
import stat
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from hybridnet.cli import app
from hybridnet.emulate import LabError, LabKeys, LabPlan, plan
from hybridnet.emulate.plan.estate_wiring import SLOT_PATTERN
from hybridnet.export import (
    ExportedFile,
    ExportError,
    export_containerlab,
    interface_map,
    rename_in_text,
    split_secrets,
    write_export,
)
from hybridnet.export.containerlab import key_slots
from hybridnet.model import default_topology, load
from hybridnet.model.loader import EXAMPLES

REPO = Path(__file__).resolve().parents[2]
SCHEMA_FILE = Path(__file__).parent / "fixtures" / "containerlab-schema" / "clab.schema.json"
KEY = "Zq7TestKeyNotReal0123456789abcd"


def _schema() -> dict[str, Any]:
    # Python's re has no \p{N}\p{L} (an IPv6 zone suffix); \w is the same plus '_'.
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8").replace(r"[\\p{N}\\p{L}]", r"[\\w]"))


VALIDATOR = jsonschema.Draft7Validator(_schema())


def _emulable() -> list[tuple[str, LabPlan]]:
    plans = [("reference", plan(default_topology()))]
    for path in sorted((REPO / "examples").glob("*.yaml")):
        try:
            plans.append((path.name, plan(load(path))))
        except LabError:
            continue  # ra-2016 has no private peering: the lab refuses it, so does the export (tested below)
    plans += [(f"estate {name}", plan(load(REPO / "examples" / "estates" / f"{name}.yaml"))) for name in EXAMPLES]
    return plans


PLANS = _emulable()
IDS = [name for name, _ in PLANS]


def _load_yaml(path: Path) -> dict[str, Any]:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def _written(lab_plan: LabPlan, tmp_path: Path, **options: Any) -> tuple[Any, dict[str, dict[str, Any]]]:
    export = export_containerlab(lab_plan, **options)
    write_export(export, tmp_path, "test header")
    documents = {name: _load_yaml(tmp_path / name) for name in export.topologies}
    return export, documents


def test_there_is_more_than_the_reference_to_export() -> None:
    assert len(PLANS) >= 6, IDS
    assert {f"estate {name}" for name in ("hub-spoke", "two-circuits", "sites")} <= set(IDS)


def _keys(lab_plan: LabPlan) -> LabKeys:
    """A different key for every connection of the plan (as LabKeys holds them: the first, then the others)."""
    slots = list(key_slots(lab_plan))
    return LabKeys(onprem=KEY, azure=KEY, generated=False, note="test",
                   others=tuple((slot, _other_key(i), _other_key(i)) for i, slot in enumerate(slots[1:], 1)))


def _other_key(index: int) -> str:
    """Keys of the further connections: none is part of another, nor of KEY."""
    return KEY.replace("Zq7", f"Zq{chr(ord('A') + index)}")


def _connection_keys(lab_plan: LabPlan) -> dict[str, str]:
    keys = _keys(lab_plan)
    return {slot: keys.fill(slot, "azure") for slot in key_slots(lab_plan)}


@pytest.mark.parametrize(("name", "lab_plan"), PLANS, ids=IDS)
@pytest.mark.parametrize("hosts", [1, 2, 3])
def test_every_topology_file_validates_against_containerlabs_schema(
    name: str, lab_plan: LabPlan, hosts: int, tmp_path: Path
) -> None:
    _, documents = _written(lab_plan, tmp_path, hosts=hosts)
    assert len(documents) == hosts
    for file_name, document in documents.items():
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(document)]
        assert errors == [], f"{name} {file_name}"


def test_the_schema_catches_what_containerlab_refuses(tmp_path: Path) -> None:
    """The validation can fail: a link type containerlab does not know, a VNI out of range."""
    _, documents = _written(PLANS[0][1], tmp_path, hosts=2)
    document = next(iter(documents.values()))
    assert list(VALIDATOR.iter_errors(document)) == []
    zero_vni = json.loads(json.dumps(document))
    next(link for link in zero_vni["topology"]["links"] if link["type"] == "vxlan-stitch")["vni"] = 0
    assert list(VALIDATOR.iter_errors(zero_vni))
    unknown = json.loads(json.dumps(document))
    next(link for link in unknown["topology"]["links"] if link["type"] == "veth")["type"] = "wormhole"
    assert list(VALIDATOR.iter_errors(unknown))


def _node_files(tmp_path: Path, node: str) -> Path:
    return tmp_path / "nodes" / node


@pytest.mark.parametrize(("name", "lab_plan"), PLANS, ids=IDS)
def test_every_node_runs_the_very_configs_of_the_namespace_lab(name: str, lab_plan: LabPlan, tmp_path: Path) -> None:
    keys = _keys(lab_plan)
    _, documents = _written(lab_plan, tmp_path, keys=keys)
    renames = interface_map(lab_plan)
    nodes = documents[f"{lab_plan.lab}.clab.yml"]["topology"]["nodes"]
    assert set(nodes) == {node.name for node in lab_plan.nodes}
    for node in lab_plan.nodes:
        directory = _node_files(tmp_path, node.name)
        labels = nodes[node.name].get("labels", {})
        assert (labels.get("hybridnet.site"), labels.get("hybridnet.vnet")) == (node.site, node.vnet)
        mapping = renames.get(node.name, {})
        binds = nodes[node.name].get("binds", [])
        if node.frr_config:
            written = (directory / "frr.conf").read_text(encoding="utf-8")
            assert written == rename_in_text(node.frr_config, mapping)
            assert written == node.frr_config  # no FRR config names eth0: the renaming leaves them untouched
            daemons = (directory / "daemons").read_text(encoding="utf-8")
            for daemon in ("bgpd", "bfdd", "staticd"):
                assert f"{daemon}={'yes' if daemon in node.frr_daemons else 'no'}" in daemons.splitlines()
            assert nodes[node.name]["image"].startswith("quay.io/frrouting/frr:")
            assert f"nodes/{node.name}/frr.conf:/etc/frr/frr.conf" in binds
        else:
            assert not (directory / "frr.conf").exists()
        if node.swanctl_config:
            main = (directory / "swanctl" / "hybridnet.conf").read_text(encoding="utf-8")
            secrets = (directory / "swanctl" / "secrets.conf").read_text(encoding="utf-8")
            assert re.search(SLOT_PATTERN, node.swanctl_config)
            expected = keys.fill(node.swanctl_config, node.side)  # what Lab.up writes (emulate/setup.py)
            assert not re.search(SLOT_PATTERN, expected)
            assert main.count("include secrets.conf\n") == 1
            assert main.replace("include secrets.conf\n", secrets) == rename_in_text(expected, mapping)
            wrapper = (directory / "swanctl" / "swanctl.conf").read_text(encoding="utf-8")
            assert "include hybridnet.conf" in wrapper and "include kernel-esp.conf" in wrapper
            esp = (directory / "swanctl" / "kernel-esp.conf").read_text(encoding="utf-8")
            assert esp.count("if_id_in") == node.swanctl_config.count("mode = tunnel")
            for connection in re.findall(r"^    (\S+) \{$", node.swanctl_config.split("\nsecrets {")[0], re.M):
                assert f"\n    {connection} {{\n" in esp  # every IKE connection of the node gets its if_id
            conf = (directory / "strongswan.conf").read_text(encoding="utf-8")
            assert "kernel-libipsec {\n            load = no" in conf
            assert any("type xfrm" in command for command in nodes[node.name]["exec"])
        if node.nftables:  # NSGs on VMs, the firewall role's ruleset on routers, the fabric's spoke rules
            assert (directory / "hybridnet" / "nsg.nft").read_text(encoding="utf-8") == rename_in_text(
                node.nftables, mapping
            )
            assert "nft -f /etc/hybridnet/nsg.nft" in nodes[node.name]["exec"]
            assert "nftables" in next(c for c in nodes[node.name]["exec"] if c.startswith("apk add"))
        else:
            assert not (directory / "hybridnet" / "nsg.nft").exists()
        if node.load_balancer:
            assert (directory / "hybridnet" / "ilb.json").read_text(encoding="utf-8") == node.load_balancer
        if node.tunnel is not None and node.tunnel.script:
            assert (directory / "hybridnet" / "tunnel.sh").read_text(encoding="utf-8") == node.tunnel.script
        for server in node.servers:
            assert any(f"workload_server.py {node.name} {server.port} " in c for c in nodes[node.name]["exec"])


@pytest.mark.parametrize(("name", "lab_plan"), PLANS, ids=IDS)
def test_addresses_and_routes_are_the_plans_with_eth0_renamed(name: str, lab_plan: LabPlan, tmp_path: Path) -> None:
    _, documents = _written(lab_plan, tmp_path)
    nodes = documents[f"{lab_plan.lab}.clab.yml"]["topology"]["nodes"]
    renames = interface_map(lab_plan)
    for node in lab_plan.nodes:
        commands = nodes[node.name]["exec"]
        assert not any(re.search(r"\beth0\b", c) for c in commands), node.name
        for address in node.addresses:
            interface = renames.get(node.name, {}).get(address.interface, address.interface)
            local = f"{address.local.ip}/32 peer {address.peer}/32" if address.peer else str(address.local)
            assert f"ip address replace {local} dev {interface}" in commands
        for route in node.routes:
            assert any(c.startswith(f"ip route replace {route.destination} via {route.gateway}") for c in commands)


@pytest.mark.parametrize(("name", "lab_plan"), PLANS, ids=IDS)
def test_every_lab_link_appears_once_with_the_labs_interface_names(
    name: str, lab_plan: LabPlan, tmp_path: Path
) -> None:
    _, documents = _written(lab_plan, tmp_path)
    links = documents[f"{lab_plan.lab}.clab.yml"]["topology"]["links"]
    renames = interface_map(lab_plan)

    def end(node: str, interface: str) -> tuple[str, str]:
        return (node, renames.get(node, {}).get(interface, interface))

    exported = sorted(tuple(sorted((e["node"], e["interface"]) for e in link["endpoints"])) for link in links)
    planned = sorted(
        tuple(sorted((end(x.a.node, x.a.interface), end(x.b.node, x.b.interface)))) for x in lab_plan.links
    )
    assert exported == planned
    assert len(set(exported)) == len(exported)
    used = [pair for link in exported for pair in link]
    assert len(set(used)) == len(used)  # no interface is cabled twice
    assert all(interface != "eth0" for _, interface in used)


@pytest.mark.parametrize(("name", "lab_plan"), PLANS, ids=IDS)
@pytest.mark.parametrize("hosts", [2, 3])
def test_split_across_hosts_mirrors_every_cross_host_link(
    name: str, lab_plan: LabPlan, hosts: int, tmp_path: Path
) -> None:
    addresses = tuple(f"10.99.0.{i + 1}" for i in range(hosts))
    _, documents = _written(lab_plan, tmp_path, hosts=hosts, host_addresses=addresses)
    per_host = [documents[f"{lab_plan.lab}-host{i + 1}.clab.yml"] for i in range(hosts)]
    placed = [name for document in per_host for name in document["topology"]["nodes"]]
    assert sorted(placed) == sorted(node.name for node in lab_plan.nodes)  # every node on exactly one host
    assert all(document["topology"]["nodes"] for document in per_host)
    host_of = {name: i for i, document in enumerate(per_host) for name in document["topology"]["nodes"]}
    renames = interface_map(lab_plan)
    vnis: set[int] = set()
    crossing = 0
    for link in lab_plan.links:
        ends = [(e.node, renames.get(e.node, {}).get(e.interface, e.interface)) for e in link.ends()]
        hosts_of_ends = [host_of[node] for node, _ in ends]
        if hosts_of_ends[0] == hosts_of_ends[1]:
            veths = [
                item for item in per_host[hosts_of_ends[0]]["topology"].get("links", [])
                if item["type"] == "veth"
                and sorted((e["node"], e["interface"]) for e in item["endpoints"]) == sorted(ends)
            ]
            assert len(veths) == 1
            continue
        crossing += 1
        found = []
        for (node, interface), here, there in ((ends[0], *hosts_of_ends), (ends[1], *reversed(hosts_of_ends))):
            matches = [
                item for item in per_host[here]["topology"]["links"]
                if item["type"] == "vxlan-stitch" and item["endpoint"] == {"node": node, "interface": interface}
            ]
            assert len(matches) == 1, (node, interface)
            assert matches[0]["remote"] == addresses[there]
            found.append(matches[0])
        assert found[0]["vni"] == found[1]["vni"]
        assert found[0]["dst-port"] == found[1]["dst-port"]
        assert found[0]["vni"] not in vnis
        vnis.add(found[0]["vni"])
    assert crossing >= 1
    # Sides and sites stay together when that keeps the hosts balanced: with two hosts every on-prem site
    # is whole (the reference's whole on-prem side), and so is the internet segment.
    if hosts == 2:
        sites: dict[str | None, set[int]] = {}
        for node in lab_plan.nodes:
            if node.side != "azure":
                sites.setdefault(f"{node.side} {node.site}", set()).add(host_of[node.name])
        assert all(len(placed) == 1 for placed in sites.values()), sites


def _all_text(directory: Path) -> dict[Path, str]:
    return {path: path.read_text(encoding="utf-8") for path in directory.rglob("*") if path.is_file()}


@pytest.mark.parametrize(("name", "lab_plan"), PLANS, ids=IDS)
def test_each_connections_key_is_only_in_0600_secrets_files_and_only_when_asked(
    name: str, lab_plan: LabPlan, tmp_path: Path
) -> None:
    """With keys, each connection's key lands in the secrets file of both its ends (a VPN gateway instance
    answering several ends holds each of their keys) and nowhere else, 0600; without, only placeholders."""
    keys = _keys(lab_plan)
    by_slot = _connection_keys(lab_plan)
    assert len(set(by_slot.values())) == len(by_slot)
    _, documents = _written(lab_plan, tmp_path / "with", keys=keys, hosts=2)
    texts = _all_text(tmp_path / "with")
    for slot, key in by_slot.items():
        holders = {path for path, text in texts.items() if key in text}
        assert holders and all(path.name == "secrets.conf" for path in holders), slot
        ends = {node.name for node in lab_plan.nodes if node.swanctl_config and slot in node.swanctl_config}
        assert {path.parent.parent.name for path in holders} == ends, slot
        assert any(lab_plan.node(end).side == "azure" for end in ends)
        assert any(lab_plan.node(end).side != "azure" for end in ends)
        for path in holders:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert all(key not in json.dumps(document) for document in documents.values())
    assert not any(re.search(SLOT_PATTERN, text) for text in texts.values())
    _written(lab_plan, tmp_path / "without")
    texts = _all_text(tmp_path / "without")
    assert not any(key in text for text in texts.values() for key in by_slot.values())
    assert not any(re.search(SLOT_PATTERN, text) for text in texts.values())
    placeholders = key_slots(lab_plan)
    secrets = {path.parent.parent.name: text for path, text in texts.items() if path.name == "secrets.conf"}
    assert set(secrets) == {node.name for node in lab_plan.nodes if node.swanctl_config}
    for node_name, text in secrets.items():
        planned = lab_plan.node(node_name).swanctl_config or ""
        written = set(re.findall(r'secret = "([^"]*)"', text))
        assert written == {placeholders[slot] for slot in set(re.findall(SLOT_PATTERN, planned))}
        assert all(value.startswith("REPLACE-with-the-key-from-") for value in written)


def test_a_gateway_answering_several_ends_gets_each_ends_key_and_placeholder(tmp_path: Path) -> None:
    """The sites estate: three VPN ends, three keys (three environment variables), one gateway file."""
    lab_plan = dict(PLANS)["estate sites"]
    placeholders = key_slots(lab_plan)
    assert sorted(placeholders.values()) == sorted(
        f"REPLACE-with-the-key-from-environment-variable-{v}"
        for v in ("HYBRIDNET_VPN_SHARED_KEY", "HYBRIDNET_BRANCH1_KEY", "HYBRIDNET_BRANCH2_KEY")
    )
    _written(lab_plan, tmp_path, keys=_keys(lab_plan))
    for gateway in ("vpn-gateway-0", "vpn-gateway-1"):
        secrets = (tmp_path / "nodes" / gateway / "swanctl" / "secrets.conf").read_text(encoding="utf-8")
        assert sorted(re.findall(r'secret = "([^"]*)"', secrets)) == sorted(_connection_keys(lab_plan).values())
    branch = (tmp_path / "nodes" / "branch1-rtr" / "swanctl" / "secrets.conf").read_text(encoding="utf-8")
    assert set(re.findall(r'secret = "([^"]*)"', branch)) == {_other_key(1)}


def test_keys_of_another_topology_are_refused(tmp_path: Path) -> None:
    """One key for a plan with three connections: refused, naming the keys missing, nothing half-filled."""
    with pytest.raises(ExportError, match="HYBRIDNET_BRANCH1_KEY"):
        export_containerlab(dict(PLANS)["estate sites"], keys=LabKeys(onprem=KEY, azure=KEY, generated=False,
                                                                      note="test"))


def test_cli_writes_the_key_only_with_with_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYBRIDNET_VPN_SHARED_KEY", KEY)
    runner = CliRunner()
    plain = runner.invoke(app, ["export", "containerlab", "-o", str(tmp_path / "plain")])
    assert plain.exit_code == 0, plain.output
    assert not any(KEY in text for text in _all_text(tmp_path / "plain").values())
    keyed = runner.invoke(app, ["export", "containerlab", "-o", str(tmp_path / "keyed"), "--with-key", "--hosts", "2"])
    assert keyed.exit_code == 0, keyed.output
    assert KEY not in keyed.output
    assert (tmp_path / "keyed" / "ra-hybrid-vpn-er-host1.clab.yml").is_file()
    holders = [path for path, text in _all_text(tmp_path / "keyed").items() if KEY in text]
    assert holders and all(path.name == "secrets.conf" for path in holders)
    assert "containerlab deploy -t ra-hybrid-vpn-er-host2.clab.yml" in keyed.output


def test_cli_exports_an_estate_with_every_connections_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = {"HYBRIDNET_VPN_SHARED_KEY": KEY, "HYBRIDNET_BRANCH1_KEY": _other_key(1),
            "HYBRIDNET_BRANCH2_KEY": _other_key(2)}
    for variable, key in keys.items():
        monkeypatch.setenv(variable, key)
    path = REPO / "examples" / "estates" / "sites.yaml"
    runner = CliRunner()
    keyed = runner.invoke(app, ["export", "containerlab", str(path), "-o", str(tmp_path / "keyed"), "--with-key",
                                "--hosts", "3"])
    assert keyed.exit_code == 0, keyed.output
    assert all(key not in keyed.output for key in keys.values())
    texts = _all_text(tmp_path / "keyed")
    for key in keys.values():
        holders = {path.parent.parent.name for path, text in texts.items() if key in text}
        assert all(path.name == "secrets.conf" for path, text in texts.items() if key in text)
        assert {"vpn-gateway-0", "vpn-gateway-1"} < holders
    for host in (1, 2, 3):
        assert f"containerlab deploy -t sites-host{host}.clab.yml" in keyed.output
    plain = runner.invoke(app, ["export", "containerlab", str(path), "-o", str(tmp_path / "plain")])
    assert plain.exit_code == 0, plain.output
    assert not any(key in text for text in _all_text(tmp_path / "plain").values() for key in keys.values())


def test_cli_refuses_a_topology_the_lab_cannot_emulate(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["export", "containerlab", str(REPO / "examples" / "ra-2016.yaml"), "-o", str(tmp_path / "out")]
    )
    assert result.exit_code == 2
    assert "private peering" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_cli_refuses_wrong_host_addresses(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app, ["export", "containerlab", "-o", str(tmp_path), "--hosts", "2", "--host-address", "10.0.0.1"]
    )
    assert result.exit_code == 2 and "one per host" in result.output
    result = runner.invoke(app, ["export", "containerlab", "-o", str(tmp_path), "--hosts", "99"])
    assert result.exit_code == 2 and "only 16 nodes" in result.output


def test_writes_never_leave_the_output_directory(tmp_path: Path) -> None:
    export = export_containerlab(PLANS[0][1])
    outside = tmp_path / "outside"
    outside.mkdir()
    for bad in ("../outside/evil.conf", "/tmp/evil.conf", "nodes/../../outside/evil.conf"):
        escaping = dataclasses.replace(export, files=(ExportedFile(bad, "x"),))
        with pytest.raises(ExportError, match="leaves"):
            write_export(escaping, tmp_path / "out")
    # a link planted inside the directory does not lead writes out of it either
    target = tmp_path / "linked"
    target.mkdir()
    (target / "nodes").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ExportError, match="leaves"):
        write_export(export, target)
    assert list(outside.iterdir()) == []


def test_eth0_becomes_the_first_free_eth_of_its_node() -> None:
    lab_plan = PLANS[0][1]
    assert interface_map(lab_plan)["onprem-host1"] == {"eth0": "eth1"}
    link = next(x for x in lab_plan.links if x.a.node == "onprem-core" and x.b.node == "onprem-ce1")
    # give onprem-host1 a second cable named eth1: eth0 must then become eth2
    extra = dataclasses.replace(link, a=dataclasses.replace(link.a, node="onprem-host1", interface="eth1"))
    crowded = dataclasses.replace(lab_plan, links=(*lab_plan.links, extra))
    assert interface_map(crowded)["onprem-host1"] == {"eth0": "eth2"}
    assert rename_in_text('iifname "eth0" oifname "veth0" eth0.5 eth01', {"eth0": "eth1"}) == (
        'iifname "eth1" oifname "veth0" eth0.5 eth01'
    )


def test_an_interface_name_linux_cannot_hold_is_refused() -> None:
    lab_plan = PLANS[0][1]
    link = lab_plan.links[0]
    for bad in ("a" * 16, "has space", ""):
        long = dataclasses.replace(link, a=dataclasses.replace(link.a, interface=bad))
        with pytest.raises(ExportError, match="not a Linux interface name"):
            export_containerlab(dataclasses.replace(lab_plan, links=(long, *lab_plan.links[1:])))
    fifteen = dataclasses.replace(link, a=dataclasses.replace(link.a, interface="a" * 15))
    export_containerlab(dataclasses.replace(lab_plan, links=(fifteen, *lab_plan.links[1:])))


def test_secrets_split_puts_the_lab_file_back_together() -> None:
    text = "connections {\n    a {\n    }\n}\n\nsecrets {\n    ike-a {\n        secret = \"x\"\n    }\n}\n# end\n"
    main, block = split_secrets(text)
    assert block is not None and block.startswith("secrets {") and "secret" not in main.replace("include secrets", "")
    assert main.replace("include secrets.conf\n", block) == text
    assert split_secrets("connections {\n}\n") == ("connections {\n}\n", None)


def test_cli_validates_before_writing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An export that breaks containerlab's schema is reported and not written (the shipped schema copy)."""
    import hybridnet.cli.export as cli_export

    real = cli_export.export_containerlab

    def broken(*args: Any, **kwargs: Any) -> Any:
        export = real(*args, **kwargs)
        for document in export.topologies.values():
            document["topology"]["links"][0]["type"] = "wormhole"
        return export

    monkeypatch.setattr(cli_export, "export_containerlab", broken)
    result = CliRunner().invoke(app, ["export", "containerlab", "-o", str(tmp_path / "out")])
    assert result.exit_code == 1 and "does not validate" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("hosts", [2, 3])
def test_an_estates_sites_each_stay_on_one_host(hosts: int) -> None:
    """Sites meet only through Azure: splitting the sites estate keeps every site whole, hosts balanced."""
    from hybridnet.export import split_hosts

    lab_plan = dict(PLANS)["estate sites"]
    split = split_hosts(lab_plan, hosts)
    for site in {node.site for node in lab_plan.nodes if node.site}:
        members = [node.name for node in lab_plan.nodes if node.site == site]
        assert len({split.host_of(name) for name in members}) == 1, (site, split.hosts)
    sizes = [len(names) for names in split.hosts]
    assert max(sizes) <= -(-125 * len(lab_plan.nodes) // (100 * hosts)), sizes


@pytest.mark.parametrize("hosts", [2, 3])
def test_a_spoke_vnet_stays_on_one_host(hosts: int) -> None:
    """A spoke meets the hub only through its peering: its router and its VMs stay together."""
    from hybridnet.export import split_hosts

    lab_plan = dict(PLANS)["estate hub-spoke"]
    split = split_hosts(lab_plan, hosts)
    for spoke in lab_plan.topology.spokes:
        members = [node.name for node in lab_plan.nodes if node.vnet == spoke.name]
        assert len(members) >= 2
        assert len({split.host_of(name) for name in members}) == 1, (spoke.name, split.hosts)
