"""The probe agents across real routers in network namespaces this test creates (root only).

A miniature of the drill's situation: a sender host and a workload joined by a one-router path
("ExpressRoute") and a two-router path ("VPN"). Moving the routes moves the traffic; the reply TTLs
must show it. A blackhole route on the router drops only the replies, and the analysis must blame
the return path, not the forward one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from hybridnet.drill.analysis.paths import TtlPaths
from hybridnet.drill.analysis.steps import paths_around
from hybridnet.drill.result import PathMtuResult
from hybridnet.drill.run.agents import AgentProcess
from hybridnet.drill.run.path_checks import Runner, connection_mss, largest_df_payload, local_runner
from hybridnet.waiting import wait_until
from tests.unit.drill.analysis.simulated import analyse_whole

pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(os.geteuid() != 0 or shutil.which("ip") is None, reason="needs root and iproute2"),
]

HOST_ADDRESS, WORKLOAD_ADDRESS = "10.213.8.1", "10.213.9.1"
# (namespace, interface, address/prefix, peer namespace, peer interface, peer address/prefix)
LINKS = (("host", "er", "10.213.1.1/30", "r1", "host", "10.213.1.2/30"),
         ("r1", "wl", "10.213.1.5/30", "workload", "er", "10.213.1.6/30"),
         ("host", "vpn", "10.213.2.1/30", "r2", "host", "10.213.2.2/30"),
         ("r2", "r3", "10.213.2.5/30", "r3", "r2", "10.213.2.6/30"),
         ("r3", "wl", "10.213.2.9/30", "workload", "vpn", "10.213.2.10/30"))
ROUTES = {"r1": [f"{HOST_ADDRESS}/32 via 10.213.1.1", f"{WORKLOAD_ADDRESS}/32 via 10.213.1.6"],
          "r2": [f"{HOST_ADDRESS}/32 via 10.213.2.1", f"{WORKLOAD_ADDRESS}/32 via 10.213.2.6"],
          "r3": [f"{HOST_ADDRESS}/32 via 10.213.2.5", f"{WORKLOAD_ADDRESS}/32 via 10.213.2.10"]}


def in_namespace(namespace: str) -> Callable[[Sequence[str]], subprocess.Popen[str]]:
    """Start an agent in one of this test's own namespaces (the drill goes through the Lab API)."""
    return lambda argv: subprocess.Popen(["ip", "netns", "exec", namespace, *argv], stdout=subprocess.DEVNULL,
                                         stderr=subprocess.PIPE, text=True)


# One router on "ExpressRoute", two on the "VPN": the TTLs 63 and 62 (from 64) name them.
PATHS = TtlPaths.from_routers({(d, p): n for d in ("onprem-to-vnet", "vnet-to-onprem")
                               for p, n in (("ExpressRoute", 1), ("VPN", 2))})


def netns_runner(namespace: str) -> Runner:
    """Runs a path check inside one of this test's own namespaces (not a lab's)."""
    return lambda argv: local_runner(["ip", "netns", "exec", namespace, *argv])


class MiniNetwork:
    """Five namespaces named after this process, removed whatever happens."""

    def __init__(self) -> None:
        self.prefix = f"hnprobe{os.getpid()}-"
        self.created: list[str] = []

    def ns(self, name: str) -> str:
        return self.prefix + name

    def run(self, namespace: str, *argv: str) -> None:
        subprocess.run(["ip", "netns", "exec", self.ns(namespace), *argv], check=True, capture_output=True,
                       timeout=10)

    def up(self) -> None:
        for name in ("host", "r1", "r2", "r3", "workload"):
            subprocess.run(["ip", "netns", "add", self.ns(name)], check=True, timeout=10)
            self.created.append(self.ns(name))
            self.run(name, "ip", "link", "set", "lo", "up")
            self.run(name, "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0",
                     "net.ipv4.conf.default.rp_filter=0")
        for a, a_if, a_addr, b, b_if, b_addr in LINKS:
            subprocess.run(["ip", "link", "add", "hnp-tmp-a", "netns", self.ns(a), "type", "veth",
                            "peer", "name", "hnp-tmp-b", "netns", self.ns(b)], check=True, timeout=10)
            for ns, tmp, name, address in ((a, "hnp-tmp-a", a_if, a_addr), (b, "hnp-tmp-b", b_if, b_addr)):
                self.run(ns, "ip", "link", "set", tmp, "name", name)
                self.run(ns, "ip", "addr", "add", address, "dev", name)
                self.run(ns, "ip", "link", "set", name, "up")
        self.run("host", "ip", "addr", "add", f"{HOST_ADDRESS}/32", "dev", "lo")
        self.run("workload", "ip", "addr", "add", f"{WORKLOAD_ADDRESS}/32", "dev", "lo")
        for router, routes in ROUTES.items():
            for route in routes:
                self.run(router, "ip", "route", "add", *route.split())
        self.use("ExpressRoute")

    def use(self, path: str) -> None:
        """Point both ends at one path, as BGP would after a failover."""
        host_hop, workload_hop = ("10.213.1.2", "10.213.1.5") if path == "ExpressRoute" else (
            "10.213.2.2", "10.213.2.9")
        self.run("host", "ip", "route", "replace", f"{WORKLOAD_ADDRESS}/32", "via", host_hop,
                 "src", HOST_ADDRESS)
        self.run("workload", "ip", "route", "replace", f"{HOST_ADDRESS}/32", "via", workload_hop,
                 "src", WORKLOAD_ADDRESS)

    def down(self) -> None:
        for namespace in reversed(self.created):
            subprocess.run(["ip", "netns", "del", namespace], check=False, timeout=10)


@pytest.fixture
def network() -> Iterator[MiniNetwork]:
    mini = MiniNetwork()
    try:
        mini.up()
        yield mini
    finally:
        mini.down()


def start_probe(network: MiniNetwork, tmp_path: Path, count: int) -> tuple[AgentProcess, AgentProcess]:
    reflector = AgentProcess("reflector", ["udp-reflect", "--bind", WORKLOAD_ADDRESS, "--port", "7000",
                                           "--duration", "30"],
                             tmp_path / "reflector.jsonl", in_namespace(network.ns("workload")))
    sender = AgentProcess("sender", ["udp-send", "--target", WORKLOAD_ADDRESS, "--port", "7000",
                                     "--interval-ms", "10", "--count", str(count), "--drain-ms", "300",
                                     "--duration", "30"], tmp_path / "sender.jsonl", in_namespace(network.ns("host")))
    return reflector, sender


def test_reply_ttl_shows_the_move_to_the_longer_path_and_back(network: MiniNetwork, tmp_path: Path) -> None:
    reflector, sender = start_probe(network, tmp_path, count=150)
    try:
        wait_until(lambda: sender.count("reply") >= 40, 10, what="replies over the one-router path")
        network.use("VPN")
        moved_at = sender.count("sent")
        wait_until(lambda: sender.count("sent") >= moved_at + 50, 10, what="probes over the two-router path")
        network.use("ExpressRoute")
        records = sender.finish()
    finally:
        reflector.kill()
        sender.kill()
    # The forward TTL only: both ends move their route one after the other, so a round trip is
    # briefly asymmetric.
    analysis, _ = analyse_whole(records, path_of=lambda r: PATHS.label("onprem-to-vnet", int(r["request_ttl"])))
    assert analysis.udp.lost == 0
    assert [s.path for s in analysis.segments] == ["ExpressRoute", "VPN", "ExpressRoute"]
    forward_ttls = {int(r["request_ttl"]) for r in records if r["kind"] == "reply"}
    assert forward_ttls == {63, 62}  # the reflector saw the forward path move too


def test_replies_dropped_on_the_way_back_are_blamed_on_the_return_path(network: MiniNetwork,
                                                                       tmp_path: Path) -> None:
    reflector, sender = start_probe(network, tmp_path, count=120)
    try:
        wait_until(lambda: sender.count("reply") >= 30, 10, what="replies before the blackhole")
        network.run("r1", "ip", "route", "replace", "blackhole", f"{HOST_ADDRESS}/32")
        blocked_at = sender.count("sent")
        wait_until(lambda: sender.count("sent") >= blocked_at + 30, 10, what="probes into the blackhole")
        network.run("r1", "ip", "route", "replace", f"{HOST_ADDRESS}/32", "via", "10.213.1.1")
        records = sender.finish()
    finally:
        reflector.kill()
        sender.kill()
    figures = analyse_whole(records)[0].udp
    assert figures.lost >= 28
    assert figures.reply_lost == figures.lost and figures.request_lost == 0
    # the requests kept arriving: at most a scheduling stall of the sender on a loaded machine (85 ms seen
    # with four labs running), never the blackhole's 300 ms
    assert figures.reply_outage_ms >= 28 * 10 and figures.request_outage_ms < 200.0
    assert figures.outage_ms >= 28 * 10


def test_a_link_cut_loses_requests_and_the_path_goes_dark(network: MiniNetwork, tmp_path: Path) -> None:
    reflector, sender = start_probe(network, tmp_path, count=120)
    try:
        wait_until(lambda: sender.count("reply") >= 30, 10, what="replies before the cut")
        network.run("r1", "ip", "link", "set", "wl", "down")
        cut_at = sender.count("sent")
        wait_until(lambda: sender.count("sent") >= cut_at + 30, 10, what="probes sent into the cut")
        network.run("r1", "ip", "link", "set", "wl", "up")
        network.run("r1", "ip", "route", "replace", f"{WORKLOAD_ADDRESS}/32", "via", "10.213.1.6")
        records = sender.finish()
    finally:
        reflector.kill()
        sender.kill()
    analysis, line = analyse_whole(records, path_of=PATHS.path_of("onprem-to-vnet"))
    figures = analysis.udp
    assert figures.request_lost >= 28 and figures.reply_lost == 0
    assert figures.request_outage_ms >= 28 * 10
    change_s = line.lost_at_s[0]
    paths = paths_around(analysis.segments, figures.outages, change_s)
    assert paths == ("ExpressRoute", "none", "ExpressRoute")


def _vpn_path_with_tunnel_mtu(network: MiniNetwork, mtu: int) -> None:
    network.use("VPN")
    network.run("r2", "ip", "link", "set", "r3", "mtu", str(mtu))
    network.run("r3", "ip", "link", "set", "r2", "mtu", str(mtu))


def test_df_search_finds_the_tunnel_mtu(network: MiniNetwork) -> None:
    runner = netns_runner(network.ns("host"))
    assert largest_df_payload(runner, WORKLOAD_ADDRESS) == 1472  # the one-router path: plain Ethernet
    _vpn_path_with_tunnel_mtu(network, 1400)
    assert largest_df_payload(runner, WORKLOAD_ADDRESS) == 1372  # as the prototype measured over the VPN


@pytest.mark.skipif(shutil.which("nft") is None, reason="nftables is not installed")
@pytest.mark.parametrize("clamp", [False, True])
def test_mss_check_tells_whether_clamping_protects_tcp(network: MiniNetwork, tmp_path: Path,
                                                       clamp: bool) -> None:
    _vpn_path_with_tunnel_mtu(network, 1400)
    if clamp:  # what the on-prem tunnel end does with tcp_mss_clamp: 1350 (+ 40 bytes of headers < 1400)
        network.run("r2", "nft", "add table inet clamp; add chain inet clamp forward "
                    "{ type filter hook forward priority mangle; }; add rule inet clamp forward "
                    "tcp flags syn tcp option maxseg size set 1350")
    sink = AgentProcess("sink", ["tcp-sink", "--bind", WORKLOAD_ADDRESS, "--port", "7001",
                                 "--duration", "20"], tmp_path / "sink.jsonl", in_namespace(network.ns("workload")))
    source = AgentProcess("source", ["tcp-source", "--target", WORKLOAD_ADDRESS, "--port", "7001",
                                     "--rate-kbps", "64", "--duration", "5"],
                          tmp_path / "source.jsonl", in_namespace(network.ns("host")))
    try:
        wait_until(lambda: source.count("progress") >= 2, 10, what="the stream to flow")
        # The sink has sent nothing large: its MSS is what the host's SYN said after the clamp.
        mss = connection_mss(netns_runner(network.ns("workload")), local_port=7001, remote=HOST_ADDRESS)
    finally:
        source.kill()
        sink.kill()
    assert mss is not None
    result = PathMtuResult(path="VPN", largest_df_payload=1372, mss_observed=mss)
    assert result.mss_protects is clamp
    assert (mss <= 1350) is clamp
