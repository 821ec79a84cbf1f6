"""``plan_sites``: the lab's on-prem half for topologies with ``sites``.

The lab's promise is that it runs what users deploy, so the configs are compared with what the CLI
(``hybridnet render device --vendor frr/strongswan``) writes for the same device, keys included
(``--with-key`` against the plan's slot with the same key put in). The wiring is checked against the
renderer's interface names and the estate wiring contract (``estate_wiring``), on the two estate
examples with sites and on a shape of this file's own: two core routers on one LAN, two firewalls,
an edge that is also the VPN end, explicit links.
"""

from __future__ import annotations

from ipaddress import IPv4Network
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hybridnet.cli import app
from hybridnet.emulate.plan.addressing import INTERNET_TO_ONPREM
from hybridnet.emulate.plan.estate_wiring import edge_links, secret_slot, vpn_ends
from hybridnet.emulate.plan.site_side import SITE_IBGP, plan_sites
from hybridnet.emulate.plan.types import INTERNET_NODE, SECRET_SLOT, Node, SidePlan, vpn_gateway_node
from hybridnet.model import Topology, load, loads, reference_yaml
from hybridnet.render.estate_devices import frr_interfaces
from hybridnet.render.estate_plan import DevicePlan, plan_estate

REPO = Path(__file__).resolve().parents[3]
ESTATES = REPO / "examples" / "estates"
KEY_ENV = ("HYBRIDNET_VPN_SHARED_KEY", "HYBRIDNET_BRANCH1_KEY", "HYBRIDNET_BRANCH2_KEY")
runner = CliRunner()

OWN_HQ = """\
  - name: hq
    asn: 65010
    address_space: [192.168.0.0/16]
    subnets:
      - name: lan
        prefix: 192.168.1.0/24
        hosts:
          - {name: hq-host1, address: 192.168.1.10}
          - {name: hq-host2, address: 192.168.1.11}
      - name: servers
        prefix: 192.168.2.0/24
        hosts:
          - {name: hq-srv1, address: 192.168.2.10}
    devices:
      - {name: hq-core1, roles: [core]}
      - {name: hq-core2, roles: [core]}
      - name: hq-fw1
        roles: [firewall]
        firewall: {stateful: true}
      - name: hq-fw2
        roles: [firewall]
        firewall: {stateful: false}
      - name: hq-ce1
        roles: [edge, vpn]
        edge: {circuit: sv-erc, link: primary, local_preference: 150}
        vpn:
          public_ip: 40.50.60.70
          bgp_addresses: [169.254.21.2, 169.254.22.2]
          local_network_gateway: hq-lgw
      - name: hq-ce2
        roles: [edge]
        edge: {circuit: sv-erc, link: secondary}
    links:
      - {between: [hq-core1, hq-core2]}
      - {between: [hq-core1, hq-fw1]}
      - {between: [hq-core2, hq-fw2]}
      - {name: hq-outside-a, between: [hq-fw1, hq-ce1]}
      - {between: [hq-fw2, hq-ce2]}
"""


def own_shape_yaml() -> str:
    """sites.yaml with its HQ replaced by ``OWN_HQ`` (the other sites and Azure unchanged)."""
    text = (ESTATES / "sites.yaml").read_text(encoding="utf-8")
    start = text.index("  - name: hq\n")
    end = text.index("  # The second data centre")
    return text[:start] + OWN_HQ + text[end:]


def example_path(example: str, tmp_path: Path) -> Path:
    if example == "own":
        path = tmp_path / "own.yaml"
        path.write_text(own_shape_yaml(), encoding="utf-8")
        return path
    return ESTATES / f"{example}.yaml"


EXAMPLES = ["sites", "two-circuits", "own"]


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {env: f"Key{index}ForTheLabTest{index}" for index, env in enumerate(KEY_ENV)}
    for env, value in values.items():
        monkeypatch.setenv(env, value)
    return values


def rendered(path: Path, vendor: str, out: Path, with_key: bool = False) -> dict[str, str]:
    """What ``hybridnet render device`` writes for the topology: ``<site>/<device>.<suffix>`` -> text."""
    argv = ["render", "device", "--vendor", vendor, str(path), "-o", str(out)]
    result = runner.invoke(app, [*argv, "--with-key"] if with_key else argv)
    assert result.exit_code == 0, result.output
    return {str(p.relative_to(out)): p.read_text(encoding="utf-8") for p in out.rglob("*") if p.is_file()}


def device_plans(topology: Topology) -> dict[str, DevicePlan]:
    return {p.name: p for p in plan_estate(topology)}


def nodes_of(side: SidePlan) -> dict[str, Node]:
    return {node.name: node for node in side.nodes}


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_device_runs_exactly_what_render_device_writes(example: str, tmp_path: Path,
                                                             keys: dict[str, str]) -> None:
    path = example_path(example, tmp_path)
    topology = load(path)
    frr_files = rendered(path, "frr", tmp_path / "frr")
    ipsec_files = rendered(path, "strongswan", tmp_path / "swan", with_key=True)
    nodes = nodes_of(plan_sites(topology))
    ends = {end.device: end for end in vpn_ends(topology)}
    key_of = {c.name: c.shared_key.resolve(topology.base_dir) for c in topology.ipsec_connections}
    for plan in plan_estate(topology):
        node = nodes[plan.name]
        prefix = f"{plan.site}/{plan.name}"
        assert node.frr_config == frr_files[f"{prefix}.frr.conf"]
        assert node.nftables == frr_files.get(f"{prefix}.nftables.conf")
        assert (node.nftables is not None) == (plan.firewall is not None)
        if plan.vpn is None:
            assert node.swanctl_config is None and node.tunnel is None
            continue
        end = ends[plan.name]
        assert node.swanctl_config is not None and node.tunnel is not None
        key = key_of[end.connection.name]
        assert node.swanctl_config.replace(end.secret_slot, key) == ipsec_files[f"{prefix}.swanctl.conf"]
        assert node.tunnel.script == ipsec_files[f"{prefix}.tunnel.sh"]
    assert set(frr_files) | set(ipsec_files) == {
        f"{p.site}/{p.name}.{suffix}" for p in plan_estate(topology)
        for suffix in ("frr.conf", *(("nftables.conf",) if p.firewall else ()),
                       *(("swanctl.conf", "tunnel.sh") if p.vpn else ()))
    }


@pytest.mark.parametrize("example", EXAMPLES)
def test_each_vpn_end_has_its_own_key_slot_and_no_key(example: str, tmp_path: Path, keys: dict[str, str]) -> None:
    topology = load(example_path(example, tmp_path))
    side = plan_sites(topology)
    nodes = nodes_of(side)
    slots = {secret_slot(i) for i in range(len(vpn_ends(topology)) + 1)}
    for end in vpn_ends(topology):
        config = nodes[end.device].swanctl_config
        assert config is not None
        assert config.count(f'"{end.secret_slot}"') == len(end.gateway.instances)
        assert not any(slot in config for slot in slots - {end.secret_slot})
    text = repr(side)
    assert not any(key in text for key in keys.values())


@pytest.mark.parametrize("example", EXAMPLES)
def test_interfaces_are_the_rendered_names_and_every_port_is_cabled(example: str, tmp_path: Path) -> None:
    topology = load(example_path(example, tmp_path))
    side = plan_sites(topology)
    nodes = nodes_of(side)
    for plan in plan_estate(topology):
        node = nodes[plan.name]
        names = frr_interfaces(plan)
        assert node.side == "onprem" and node.site == plan.site and node.forwarding
        cabled = {end.interface for link in side.links for end in link.ends() if end.node == plan.name}
        bridged = {member for bridge in node.bridges for member in bridge.members}
        bridges = {bridge.name for bridge in node.bridges}
        assert (cabled - bridged) | bridges == set(names.values())
        for port in plan.ports:
            if port.address is not None:
                assert any(a.interface == names[port.key] and a.local == port.address for a in node.addresses)
            # every interface named in the config exists in the namespace
            assert f"interface {names[port.key]}\n" in node.frr_config or port.address is None  # type: ignore[operator]
        if plan.loopback is not None:
            # beside the loopback, a VPN end's lo holds only its selector sources (see the test below)
            sources = {f"{p.network_address}/32" for p in plan.vpn.advertised} if plan.vpn is not None else set()
            on_lo = [str(a.local) for a in node.addresses if a.interface == "lo"]
            assert on_lo[0] == f"{plan.loopback}/32" and set(on_lo[1:]) <= sources


@pytest.mark.parametrize("example", EXAMPLES)
def test_hosts_sit_on_their_subnet_behind_the_lan_gateway(example: str, tmp_path: Path) -> None:
    topology = load(example_path(example, tmp_path))
    side = plan_sites(topology)
    nodes = nodes_of(side)
    plans = plan_estate(topology)
    for site in topology.all_sites:
        for subnet in site.subnets:
            gateways = [lan.address for p in plans if p.site == site.name for lan in p.lans
                        if lan.key == f"lan:{subnet.name}"]
            for host in subnet.hosts:
                node = nodes[host.name]
                assert node.site == site.name and node.side == "onprem" and not node.forwarding
                assert [str(a.local) for a in node.addresses] == [f"{host.address}/{subnet.prefix.prefixlen}"]
                (route,) = node.routes
                assert route.destination == IPv4Network("0.0.0.0/0")
                assert gateways and route.gateway == gateways[0].ip  # type: ignore[union-attr]
                (cable,) = [link for link in side.links if link.a.node == host.name]
                assert cable.role == "lan"
                owner = nodes[cable.b.node]
                assert any(cable.b.interface in bridge.members for bridge in owner.bridges)


@pytest.mark.parametrize("example", EXAMPLES)
def test_cables_to_azure_follow_the_wiring_contract(example: str, tmp_path: Path) -> None:
    topology = load(example_path(example, tmp_path))
    side = plan_sites(topology)
    crossing = [link for link in side.links if link.role.startswith("expressroute-") or link.role == "internet"]
    expected = {(e.device, "er", e.msee, "ce", f"expressroute-{e.link}") for e in edge_links(topology)}
    expected |= {(v.device, "wan", INTERNET_NODE, v.internet_port, "internet") for v in vpn_ends(topology)}
    assert {(x.a.node, x.a.interface, x.b.node, x.b.interface, x.role) for x in crossing} == expected
    assert len(crossing) == len(expected)
    nodes = nodes_of(side)
    for end in vpn_ends(topology):
        node = nodes[end.device]
        wan = [a for a in node.addresses if a.interface == "wan"]
        assert [(str(a.local), a.peer) for a in wan] == [(f"{end.public_ip}/32", INTERNET_TO_ONPREM)]
        assert node.tunnel is not None
        assert node.tunnel.wan_gateway == INTERNET_TO_ONPREM and node.tunnel.wan_interface == "wan"
        assert node.tunnel.mtu == end.connection.tunnel_mtu
        assert {a.interface for a in node.tunnel.addresses} == {"ipsec0"}
    # the remaining links are inside the sites
    names = {node.name for node in side.nodes}
    for link in side.links:
        if link not in crossing:
            assert link.a.node in names and link.b.node in names and link.role in ("lan", "site link")


@pytest.mark.parametrize("example", EXAMPLES)
def test_bgp_sessions_bfd_and_tunnels(example: str, tmp_path: Path) -> None:
    topology = load(example_path(example, tmp_path))
    side = plan_sites(topology)
    plans = device_plans(topology)
    sessions = {(s.node, str(s.peer_address), s.peer_node, s.role) for s in side.bgp_sessions}
    assert len(sessions) == len(side.bgp_sessions)
    expected = set()
    for site in topology.all_sites:
        for a, b in site.ibgp_sessions():
            expected.add((a, str(plans[b].loopback), b, SITE_IBGP))
            expected.add((b, str(plans[a].loopback), a, SITE_IBGP))
    for edge in edge_links(topology):
        plan = plans[edge.device]
        assert plan.edge is not None
        expected.add((edge.device, str(plan.edge.microsoft), edge.msee, f"ExpressRoute {edge.link}"))
    tunnels = set()
    for end in vpn_ends(topology):
        vpn = plans[end.device].vpn
        assert vpn is not None
        for t in vpn.tunnels:
            expected.add((end.device, str(t.azure_bgp), vpn_gateway_node(t.index), f"VPN tunnel {t.index}"))
            tunnels.add((end.device, f"azure-{t.index}"))
            node = nodes_of(side)[end.device]
            assert f"    azure-{t.index} {{" in node.swanctl_config  # type: ignore[operator]
    assert sessions == expected
    assert set(side.tunnels) == tunnels and len(side.tunnels) == len(tunnels)
    bfd = {(e.device, plans[e.device].edge.microsoft) for e in edge_links(topology)  # type: ignore[union-attr]
           if plans[e.device].edge.bfd_enabled}  # type: ignore[union-attr]
    assert set(side.bfd_peers) == bfd and bfd


def test_own_shape_two_lan_devices_share_the_bridge_and_roles_share_a_namespace(tmp_path: Path) -> None:
    topology = load(example_path("own", tmp_path))
    side = plan_sites(topology)
    nodes = nodes_of(side)
    core1, core2 = nodes["hq-core1"], nodes["hq-core2"]
    # both subnets bridge on hq-core1; hq-core2's LAN ports plug into those bridges
    assert {b.name: b.members for b in core1.bridges} == {"lan0": ("lan0h0", "lan0h1", "lan0d0"),
                                                         "lan1": ("lan1h0", "lan1d0")}
    assert not core2.bridges
    lan_cables = {(x.a.node, x.a.interface, x.b.interface) for x in side.links if x.b.node == "hq-core1"
                  and x.role == "lan"}
    assert ("hq-core2", "lan0", "lan0d0") in lan_cables and ("hq-core2", "lan1", "lan1d0") in lan_cables
    assert {str(a.local) for a in core2.addresses if a.interface.startswith("lan")} == {"192.168.1.2/24",
                                                                                         "192.168.2.2/24"}
    # the hosts use the first core's gateway
    assert nodes["hq-host2"].routes[0].gateway == nodes["hq-srv1"].routes[0].gateway.__class__("192.168.1.1")
    # firewalls: rules, no BGP, no IPsec; the stateless one says so
    for name in ("hq-fw1", "hq-fw2"):
        assert nodes[name].nftables and not nodes[name].swanctl_config
        assert "router bgp" not in (nodes[name].frr_config or "")
        # a firewall that speaks no BGP routes every subnet back towards the cores (the replies' way in)
        for prefix, hop in (("192.168.1.0/24", "100.64.0.5" if name == "hq-fw1" else "100.64.0.9"),
                            ("192.168.2.0/24", "100.64.0.5" if name == "hq-fw1" else "100.64.0.9")):
            assert f"\nip route {prefix} {hop}\n" in (nodes[name].frr_config or "")
    assert "ct state invalid drop" in nodes["hq-fw1"].nftables  # type: ignore[operator]
    assert "ct state" not in nodes["hq-fw2"].nftables  # type: ignore[operator]
    # the edge that is also the VPN end: ER port, WAN port, FRR with both peerings, strongSwan
    ce1 = nodes["hq-ce1"]
    assert {a.interface for a in ce1.addresses} >= {"er", "wan", "lo"}
    assert ce1.swanctl_config and ce1.tunnel and "neighbor 172.16.0.2 remote-as 12076" in ce1.frr_config
    assert "neighbor 169.254.21.1 remote-as 65515" in ce1.frr_config  # type: ignore[operator]
    named = [x for x in side.links if x.role == "site link" and {x.a.node, x.b.node} == {"hq-fw1", "hq-ce1"}]
    assert len(named) == 1
    assert len([x for x in side.links if x.role == "site link" and x.a.node.startswith("hq")]) == 5


def test_legacy_onprem_block_is_one_more_site() -> None:
    topology = loads(reference_yaml() + """
sites:
  - name: lab2
    asn: 65020
    address_space: [10.40.0.0/16]
    subnets:
      - {name: lan, prefix: 10.40.1.0/24, hosts: [{name: lab2-host1, address: 10.40.1.10}]}
    devices:
      - {name: lab2-core, roles: [core]}
""")
    side = plan_sites(topology)
    nodes = nodes_of(side)
    assert [s.name for s in topology.all_sites] == ["onprem", "lab2"]
    assert {n: nodes[n].site for n in ("onprem-core", "onprem-ce1", "onprem-ce2", "onprem-vpn", "onprem-host1")} == \
        dict.fromkeys(("onprem-core", "onprem-ce1", "onprem-ce2", "onprem-vpn", "onprem-host1"), "onprem")
    assert nodes["lab2-core"].site == nodes["lab2-host1"].site == "lab2"
    # the reference's VPN appliance keeps the reference's slot, internet port and MSEE names
    assert SECRET_SLOT in (nodes["onprem-vpn"].swanctl_config or "")
    links = {(x.a.node, x.b.node, x.b.interface) for x in side.links}
    assert ("onprem-vpn", INTERNET_NODE, "onprem") in links
    assert ("onprem-ce1", "msee-primary", "ce") in links and ("onprem-ce2", "msee-secondary", "ce") in links


def test_a_vpn_end_without_a_lan_address_gets_one_in_each_selector(tmp_path: Path) -> None:
    """With several VPN ends the gateway narrows each CHILD SA to the end's site prefixes, and
    kernel-libipsec installs it only with a source address of the end's own inside them: the own shape's
    hq-ce1 (edge and VPN end, no LAN port) failed every CHILD SA live ("error installing route with
    policy 192.168.0.0/16 === 10.0.0.0/16") until it got one. A VPN end on the LAN gets none."""
    side = plan_sites(load(example_path("own", tmp_path)))
    nodes = nodes_of(side)
    site = IPv4Network("192.168.0.0/16")
    assert [str(a.local) for a in nodes["hq-ce1"].addresses if a.local.ip in site] == ["192.168.0.0/32"]
    branch = IPv4Network("10.31.0.0/16")
    assert [str(a.local) for a in nodes["branch1-rtr"].addresses if a.local.ip in branch] == ["10.31.1.1/24"]
