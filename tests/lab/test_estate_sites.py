"""One estate site alone, live: its devices run the rendered FRR / nftables / strongSwan files.

A lab of one site of ``plan_sites`` (its nodes and links as planned) without Azure: the cables that
cross to Azure end in empty stand-in namespaces (the MSEE and internet ends are the Azure half's), so
every device's interfaces exist as its configs name them, and no ExpressRoute session or tunnel is
expected. sites.yaml's HQ is a firewall that is also the core router and the VPN end (FRR, charon and
nftables in one namespace) in front of two edges; two-circuits' HQ is a core behind four edges and a
VPN router; a shape of the unit tests' own has two cores sharing the LAN, two firewalls (one
stateless) and an edge that is also the VPN end. What must hold: the site's iBGP full mesh
establishes, every host reaches every device's loopback, and the stateful firewall drops a TCP
segment of a flow it never saw (a SYN-ACK arriving from outside) while letting a flow through whose
every packet crosses it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from ipaddress import IPv4Address, IPv4Interface
from pathlib import Path
from typing import Any

import pytest

from hybridnet.emulate import Lab, down, processes
from hybridnet.emulate.keys import lab_keys
from hybridnet.emulate.plan import Address, LabPlan, Node
from hybridnet.emulate.plan.addressing import INTERNET_TO_ONPREM
from hybridnet.emulate.plan.estate_wiring import vpn_ends
from hybridnet.emulate.plan.site_side import SITE_IBGP, plan_sites
from hybridnet.model import Topology, load, loads
from hybridnet.render.estate_plan import ESTATE_TRANSIT
from hybridnet.waiting import wait_until
from tests.lab.conftest import lab_name
from tests.unit.emulate.test_site_side import own_shape_yaml

REPO = Path(__file__).resolve().parents[2]
ESTATES = REPO / "examples" / "estates"
AZURE_VM = IPv4Address("10.0.1.4")
"""A hub workload's address: a source the firewall lets open flows inwards (Azure's prefixes)."""


def site_plan(topology: Topology, site: str, lab: str) -> LabPlan:
    """The site's nodes, links and iBGP sessions; stand-ins at the Azure ends of its crossing cables."""
    side = plan_sites(topology)
    nodes = [node for node in side.nodes if node.site == site]
    names = {node.name for node in nodes}
    links = [link for link in side.links if link.a.node in names or link.b.node in names]
    crossing = [link for link in links if not (link.a.node in names and link.b.node in names)]
    stand_ins: dict[str, list[Address]] = {}
    for link in crossing:
        far = link.b if link.a.node in names else link.a
        stand_ins.setdefault(far.node, [])
        if link.role == "internet":  # the VPN end's next hop (its tunnel script routes Azure's public IPs there)
            end = next(e for e in vpn_ends(topology) if e.device in (link.a.node, link.b.node))
            stand_ins[far.node].append(Address(far.interface, IPv4Interface(f"{INTERNET_TO_ONPREM}/32"), end.public_ip))
    nodes += [Node(name=name, role="stand-in (Azure half not in this lab)", side="azure", addresses=tuple(addresses))
              for name, addresses in stand_ins.items()]
    sessions = tuple(s for s in side.bgp_sessions if s.node in names and s.role == SITE_IBGP)
    return LabPlan(lab=lab, topology=topology, nodes=tuple(nodes), links=tuple(links), bgp_sessions=sessions,
                   bfd_peers=(), tunnels=())


@pytest.fixture(scope="module", params=["sites", "two-circuits", "own"])
def site_lab(request: pytest.FixtureRequest) -> Iterator[Lab]:
    """``own``: two cores on one LAN, a stateful and a stateless firewall, an edge that is the VPN end."""
    topology = loads(own_shape_yaml()) if request.param == "own" else load(ESTATES / f"{request.param}.yaml")
    name = lab_name("site-" + {"sites": "s", "two-circuits": "2c", "own": "own"}[request.param])
    try:
        lab = Lab.up(site_plan(topology, "hq", name), keys=lab_keys(topology), wait=False)
        yield lab
    finally:
        down(name)


def peers(summary: dict[str, Any]) -> dict[str, Any]:
    return summary.get("peers") or summary.get("ipv4Unicast", {}).get("peers") or {}


def test_the_site_ibgp_mesh_establishes(site_lab: Lab) -> None:
    sessions = site_lab.plan.bgp_sessions
    assert sessions

    def missing() -> list[str]:
        return [f"{s.node}->{s.peer_node}" for s in sessions
                if peers(site_lab.bgp_summary(s.node)).get(str(s.peer_address), {}).get("state") != "Established"]

    wait_until(lambda: not missing(), 60, 0.5, what=f"the site iBGP mesh ({missing()})")
    # every speaker learned the LAN from the device the LAN hangs off (next-hop-self over the mesh)
    site = next(s for s in site_lab.plan.topology.all_sites if s.name == "hq")
    lan = str(site.subnets[0].prefix)
    for session in sessions:
        routes = site_lab.bgp_routes(session.node).get("routes", {})
        assert lan in routes, f"{session.node} did not learn {lan}"


def test_hosts_reach_every_devices_loopback(site_lab: Lab) -> None:
    hosts = [n.name for n in site_lab.plan.nodes if n.role == "on-prem host"]
    # the BGP loopbacks (from the estate wiring's range); a VPN end's selector sources on lo are the lab's
    # own and routed nowhere
    loopbacks = [str(a.local.ip) for n in site_lab.plan.nodes for a in n.addresses
                 if a.interface == "lo" and a.local.ip in ESTATE_TRANSIT]
    assert hosts and loopbacks
    for host in hosts:
        for loopback in loopbacks:
            wait_until(lambda h=host, lo=loopback: site_lab.run(h, ["ping", "-c", "1", "-W", "1", lo]).returncode == 0,
                       30, 0.2, what=f"{host} to reach {loopback}")


def test_every_firewall_ruleset_loads_in_a_fresh_namespace(site_lab: Lab) -> None:
    for node in site_lab.plan.nodes:
        if node.nftables:
            checked = subprocess.run(["unshare", "--net", "nft", "-c", "-f", "-"], input=node.nftables,
                                     capture_output=True, text=True, check=False, timeout=30)
            assert checked.returncode == 0, checked.stderr
            listed = site_lab.run(node.name, ["nft", "list", "table", "inet", "hybridnet_fw"])
            assert listed.returncode == 0 and "chain forward" in listed.stdout
            # the kernel holds the conntrack rules of a stateful firewall (a stateless one has none)
            assert ("ct state invalid drop" in listed.stdout) == ("ct state invalid drop" in node.nftables)


SEND = r"""
import socket, struct, sys
src, dst, flags, sport, dport = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
def checksum(data):
    if len(data) % 2: data += b"\0"
    total = sum(struct.unpack(f"!{len(data)//2}H", data))
    while total >> 16: total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff
s, d = socket.inet_aton(src), socket.inet_aton(dst)
tcp = struct.pack("!HHIIBBHHH", sport, dport, 1000, 2000 if flags & 0x10 else 0, 5 << 4, flags, 64240, 0, 0)
tcp = tcp[:16] + struct.pack("!H", checksum(s + d + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)) + tcp[18:]
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0, s, d)
sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
sock.sendto(ip + tcp, (dst, 0))
"""

COUNT = """table ip sitetest {
    chain pre {
        type filter hook prerouting priority -300; policy accept;
        ip saddr %s tcp flags == syn counter name syn
        ip saddr %s tcp flags == syn|ack counter name synack
    }
    counter syn { }
    counter synack { }
}
"""


def test_the_stateful_firewall_drops_an_asymmetric_flow_and_passes_a_symmetric_one(site_lab: Lab) -> None:
    firewalls = [n for n in site_lab.plan.nodes if n.nftables]
    if not firewalls:
        pytest.skip("this site has no firewall")
    plan = site_lab.plan
    host = next(n for n in plan.nodes if n.role == "on-prem host")
    target = str(host.addresses[0].local.ip)
    edge = next(n for n in plan.nodes if any(a.interface == "er" for a in n.addresses))
    edge_loopback = next(str(a.local.ip) for a in edge.addresses if a.interface == "lo")
    # a symmetric flow: the host opens a TCP connection to a listener on the edge, through the firewall
    server = site_lab.spawn(edge.name, [sys.executable, "-c", (
        "import socket\ns=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        "s.bind(('0.0.0.0', 7070)); s.listen()\n"
        "while True:\n c,_=s.accept(); c.sendall(b'edge says hello'); c.close()")],
        "sitetest-server.log")
    try:
        client = ("import socket,sys\nc=socket.create_connection((sys.argv[1], 7070), timeout=2)\n"
                  "print(c.recv(100).decode())")

        def answered() -> bool:
            reply = site_lab.run(host.name, [sys.executable, "-c", client, edge_loopback])
            return "edge says hello" in reply.stdout

        wait_until(answered, 60, 0.5, what=f"{host.name} to reach TCP 7070 on {edge.name}")
    finally:
        server.kill()
    # an asymmetric flow: a SYN-ACK from Azure's side to the host, of a handshake the firewall never saw
    loaded = _nft(site_lab, host.name, COUNT % (AZURE_VM, AZURE_VM))
    assert loaded.returncode == 0, loaded.stderr

    def counted(name: str) -> int:
        listed = site_lab.run(host.name, ["nft", "-j", "list", "counter", "ip", "sitetest", name])
        entries = [e["counter"] for e in json.loads(listed.stdout)["nftables"] if "counter" in e]
        return int(entries[0]["packets"])

    def send(flags: int, sport: int) -> None:
        sent = site_lab.run(edge.name, [sys.executable, "-c", SEND, str(AZURE_VM), target, str(flags), str(sport),
                                        "7071"])
        assert sent.returncode == 0, sent.stderr

    # SYN-ACKs first, then SYNs of a new flow from the same source on the same path: the SYNs pass
    # (Azure may open flows to the site), so once one arrived any SYN-ACK sent before it would have too
    for sport in range(40000, 40005):
        send(0x12, sport)

    def syn_arrived() -> bool:
        send(0x02, 41000)
        return counted("syn") > 0

    wait_until(syn_arrived, 20, 0.2, what=f"a SYN from {AZURE_VM} to reach {host.name} through the firewall")
    assert counted("synack") == 0, "the firewall let a SYN-ACK of an unknown flow through"


def _nft(lab: Lab, node: str, rules: str) -> subprocess.CompletedProcess[str]:
    return processes.run(lab.namespace(node), ["nft", "-f", "-"], input_text=rules)
