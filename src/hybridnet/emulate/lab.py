"""A running lab: bring a plan up, reach into its nodes, and tear it all down again.

``Lab.up(plan)`` builds namespaces and cables (pyroute2), writes each node's configs into the lab's
private directory (/run/hybridnet/<lab>, 0700), starts the daemons of all nodes in parallel and
waits until traffic flows over ExpressRoute and the VPN backup is ready. ``Lab.attach(name)`` finds
a running lab from another process; ``down`` removes every namespace, process and file, also after
a crash. The other methods are what drills need: run commands in a node, cut or degrade links,
kill daemons, and read BGP, BFD, IPsec and the installed routes as data.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

from pyroute2 import IPRoute

from hybridnet.emulate import netns, processes
from hybridnet.emulate.daemons import LIBIPSEC_ROUTING_TABLE, CharonInstance, FrrInstance, wait_for
from hybridnet.emulate.errors import LabError, LabNotReady
from hybridnet.emulate.keys import LabKeys, lab_keys
from hybridnet.emulate.plan import SECRET_SLOT, VNET_FABRIC_NODE, LabPlan, Link, Node, check_lab_name, plan
from hybridnet.emulate.setup import render_strongswan_conf, write_node_files
from hybridnet.emulate.state import (
    LabState,
    ProcessRecord,
    lab_directory,
    make_private_directory,
    namespace_name,
    namespace_prefix,
    start_ticks,
)
from hybridnet.emulate.teardown import down, footprint
from hybridnet.model import Topology

Progress = Callable[[str], None]
ROUTER_SYSCTLS = {
    "net.ipv4.ip_forward": "1",
    "net.ipv4.conf.all.rp_filter": "0",
    "net.ipv4.conf.default.rp_filter": "0",
    "net.ipv6.conf.all.disable_ipv6": "1",
    "net.ipv6.conf.default.disable_ipv6": "1",
}
HOST_SYSCTLS = {"net.ipv6.conf.all.disable_ipv6": "1", "net.ipv6.conf.default.disable_ipv6": "1"}
REQUIRED_PROGRAMS = (
    "nsenter",
    "vtysh",
    "swanctl",
    "nft",
    str(Path("/usr/lib/frr/zebra")),
    "/usr/sbin/charon-systemd",
)


class Lab:
    """A lab that is (or was) up: its plan, state and per-node daemon handles."""

    def __init__(self, lab_plan: LabPlan, state: LabState) -> None:
        self.plan = lab_plan
        self.state = state
        self.timings: dict[str, float] = {}
        self._lock = threading.Lock()
        self._saved_at = 0.0
        self._network: Future[None] | None = None

    # ----------------------------------------------------------------------------- life cycle
    @property
    def name(self) -> str:
        return self.plan.lab

    @property
    def directory(self) -> Path:
        return lab_directory(self.name)

    @classmethod
    def up(
        cls,
        lab_plan: LabPlan,
        *,
        keys: LabKeys | None = None,
        wait: bool = True,
        require_vpn: bool = True,
        timeout_s: float = 60.0,
        progress: Progress | None = None,
    ) -> Lab:
        """Build and start the lab; with ``wait``, return once it is ready (raise LabError if not)."""
        from hybridnet.emulate.readiness import wait_ready

        check_environment()
        say = progress or (lambda _message: None)
        keys = keys or lab_keys(lab_plan.topology)
        lab = cls._claim(lab_plan, keys)
        started = time.monotonic()
        try:
            lab._create_namespaces()
            # Daemons start while the cables are laid: they only need their namespace, and pick
            # interfaces up as they appear; the VPN ends are loaded once the network is there.
            wiring = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wiring")
            lab._network = wiring.submit(lab._wire, say, started)
            wiring.shutdown(wait=False)
            lab._start_daemons(keys, say)
            lab._network.result()
            lab.timings["daemons_s"] = time.monotonic() - started
            lab.state.phase = "started"
            lab.state.save()
            if wait:
                reached = wait_ready(lab, timeout_s=timeout_s, require_vpn=require_vpn, progress=say)
                lab.timings.update({title: moment - started for title, moment in reached.items()})
                lab.timings["ready_s"] = time.monotonic() - started
                lab.state.phase = "ready"
                lab.state.save()
        except LabNotReady:
            raise  # the lab stays up so that `hybridnet status` can show what is missing
        except BaseException:
            down(lab_plan.lab)
            raise
        return lab

    @classmethod
    def _claim(cls, lab_plan: LabPlan, keys: LabKeys) -> Lab:
        directory = lab_directory(lab_plan.lab)
        leftovers = netns.existing(namespace_prefix(lab_plan.lab))
        if directory.exists() or leftovers:
            raise LabError(
                f"lab {lab_plan.lab!r} is already up (or was not torn down)",
                fix=f"run `hybridnet down --lab {lab_plan.lab}` first, or choose another --lab name",
            )
        make_private_directory(directory.parent)
        os.chmod(directory.parent, 0o700)
        make_private_directory(directory)
        (directory / "topology.json").write_text(lab_plan.topology.model_dump_json(), encoding="utf-8")
        os.chmod(directory / "topology.json", 0o600)
        state = LabState(
            lab=lab_plan.lab,
            topology=lab_plan.topology.name,
            generated_key=keys.generated,
            namespaces=[namespace_name(lab_plan.lab, n.name) for n in lab_plan.nodes],
            phase="creating",
        )
        state.save()
        return cls(lab_plan, state)

    @classmethod
    def attach(cls, name: str) -> Lab:
        """The running lab called ``name`` (from its state directory), for status, exec and drills."""
        check_lab_name(name)
        state = LabState.load(name)
        if state is None:
            raise LabError(f"no lab named {name!r} is up", fix="start one with `hybridnet up`")
        try:
            text = (lab_directory(name) / "topology.json").read_text(encoding="utf-8")
        except OSError as exc:
            raise LabError(
                f"lab {name} has no saved topology ({exc.strerror})",
                fix=f"`hybridnet down --lab {name}` removes it",
            ) from None
        topology = Topology.model_validate_json(text)
        return cls(plan(topology, lab=name), state)

    def down(self) -> dict[str, list[str]]:
        return down(self.name)

    def _create_namespaces(self) -> None:
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(netns.create, (self.namespace(node.name) for node in self.plan.nodes)))

    def _wire(self, say: Progress, started: float) -> None:
        """Cables, then each node's sysctls and L2/L3, namespaces in parallel."""
        namespace_of = {node.name: self.namespace(node.name) for node in self.plan.nodes}
        cables: dict[str, list[Link]] = {}
        for link in self.plan.links:
            cables.setdefault(link.a.node, []).append(link)

        def lay(links: list[Link]) -> None:
            with IPRoute() as handle:
                for link in links:
                    netns.connect(handle, link, namespace_of[link.b.node])

        netns.run_inside({namespace_of[node]: partial(lay, links) for node, links in cables.items()})

        def configure(node: Node) -> None:
            netns.set_sysctls(ROUTER_SYSCTLS if node.forwarding else HOST_SYSCTLS)
            with IPRoute() as handle:
                netns.configure(handle, node.addresses, node.bridges, node.routes)

        netns.run_inside({namespace_of[node.name]: partial(configure, node) for node in self.plan.nodes})
        self.timings["network_s"] = time.monotonic() - started
        say(f"network built: {len(self.plan.nodes)} namespaces, {len(self.plan.links)} links")

    def _start_daemons(self, keys: LabKeys, say: Progress) -> None:
        directories = {node.name: write_node_files(self, node, keys) for node in self.plan.nodes}
        charons = {
            node.name: CharonInstance(node.name, self.namespace(node.name), directories[node.name])
            for node in self.plan.nodes
            if node.swanctl_config
        }
        for charon in charons.values():
            charon.start(self._recorder(charon.node))

        def start_node(node: Node) -> None:
            directory = directories[node.name]
            if node.nftables:
                self._nft(node.name, directory / "nsg.nft")
            self.start_servers(node.name)
            if node.load_balancer:
                argv = [_python(), "-I", "-S", str(_script("lb_prober.py")), str(directory / "ilb.json")]
                self._spawn_recorded(node.name, "lb-prober", argv, directory / "prober.log")
            if node.frr_config:
                router = self.frr(node.name)
                router.close_gate()
                router.start(self._recorder(node.name))
                router.configure()
                router.open_gate()

        with ThreadPoolExecutor(max_workers=len(self.plan.nodes)) as pool:
            futures = [pool.submit(start_node, node) for node in self.plan.nodes]
            azure = [c for c in charons.values() if self.plan.node(c.node).side == "azure"]
            onprem = [c for c in charons.values() if self.plan.node(c.node).side != "azure"]
            # The on-prem end initiates: load it once the Azure ends can answer.
            for group in (azure, onprem):
                list(pool.map(self._load_charon, group))
            for future in futures:
                future.result()
        self.state.save()
        say(
            f"daemons started: FRR on {sum(1 for n in self.plan.nodes if n.frr_config)} routers, "
            f"charon on {len(charons)} VPN ends"
        )

    def start_servers(self, node: str) -> None:
        """Start the service(s) of a workload VM (again, e.g. after a drill killed them)."""
        for server in self.plan.node(node).servers:
            argv = [_python(), "-I", "-S", str(_script("workload_server.py")), node, str(server.port), server.protocol]
            self._spawn_recorded(node, "workload-server", argv, self.node_directory(node) / "server.log")

    def load_balancer_health(self) -> dict[str, dict[str, bool]]:
        """Backend health as the load balancer's prober sees it now: {balancer: {backend: healthy}}."""
        path = self.node_directory(VNET_FABRIC_NODE) / "health.json"
        try:
            return json.loads(path.read_text(encoding="utf-8")).get("healthy", {})
        except (OSError, ValueError):
            return {}

    def _spawn_recorded(self, node: str, program: str, argv: list[str], log: Path) -> None:
        self._record(node, program, processes.spawn(self.namespace(node), argv, log))

    def _load_charon(self, charon: CharonInstance) -> None:
        if self._network is not None:
            self._network.result()  # IKE needs the WAN address and the routes to the peer
        charon.wait_listening()
        # The tunnel set-up (routes to the peer's public IP, tunnel addresses) comes first: the
        # on-prem end initiates as soon as its configuration is loaded.
        self._prepare_tunnel(self.plan.node(charon.node))
        charon.load()

    def _prepare_tunnel(self, node: Node) -> None:
        """Once charon made its TUN device: drop libipsec's catch-all rule, address the tunnel."""
        tunnel = node.tunnel
        if tunnel is None:
            return
        namespace = self.namespace(node.name)
        device = tunnel.addresses[0].interface if tunnel.addresses else "ipsec0"
        wait_for(lambda: netns.link_exists(namespace, device), 10, f"the tunnel device of {node.name}")
        # libipsec routes every selector into table 220 and adds a rule that sends all traffic
        # there (the BGP sessions to the core included); without the rule, BGP decides.
        netns.remove_rules_to_table(namespace, LIBIPSEC_ROUTING_TABLE)
        if tunnel.script:
            script = self.node_directory(node.name) / "tunnel.sh"
            result = processes.run(
                namespace,
                ["sh", str(script)],
                env={
                    "WAN_GW": str(tunnel.wan_gateway),
                    "WAN_IF": tunnel.wan_interface or "wan",
                    "TUNNEL_IF": device,
                },
            )
            if result.returncode != 0:
                raise LabError(
                    f"the tunnel script of {node.name} failed: {result.stderr.strip()[-300:]}",
                    fix=f"see {script}",
                )
        else:

            def address_tunnel(handle: IPRoute) -> None:
                for address in tunnel.addresses:
                    netns.add_address(handle, address)
                index = handle.link_lookup(ifname=device)[0]
                handle.link("set", index=index, mtu=tunnel.mtu, state="up")

            netns.with_handle(namespace, address_tunnel)

    def _nft(self, node: str, path: Path) -> None:
        result = processes.run(self.namespace(node), ["nft", "-f", str(path)])
        if result.returncode != 0:
            raise LabError(f"nftables rejected the rules of {node}: {result.stderr.strip()[:300]}", fix=f"see {path}")

    def _recorder(self, node: str) -> Callable[[str, subprocess.Popen[bytes]], None]:
        return lambda program, popen: self._record(node, program, popen)

    def _record(self, node: str, program: str, popen: subprocess.Popen[bytes]) -> None:
        """Remember a started process; the state file is rewritten at most every 0.2 s (``down``
        also finds unrecorded processes by their namespace, so a crash in between loses nothing)."""
        with self._lock:
            self.state.processes.append(ProcessRecord(node, program, popen.pid, start_ticks(popen.pid) or 0))
            if time.monotonic() - self._saved_at > 0.2:
                self.state.save()
                self._saved_at = time.monotonic()

    # ----------------------------------------------------------------------------- reaching into nodes
    def namespace(self, node: str) -> str:
        """The network namespace of ``node`` (``ip netns exec NAME ...`` works with it too)."""
        self.plan.node(node)
        return namespace_name(self.name, node)

    def node_directory(self, node: str) -> Path:
        return self.directory / "nodes" / node

    def frr(self, node: str) -> FrrInstance:
        spec = self.plan.node(node)
        if not spec.frr_config:
            raise LabError(f"{node} runs no FRR", fix="pick a router node")
        return FrrInstance(node, self.namespace(node), self.node_directory(node), spec.frr_daemons)

    def charon(self, node: str) -> CharonInstance:
        if not self.plan.node(node).swanctl_config:
            raise LabError(f"{node} runs no strongSwan", fix="pick onprem-vpn or a vpn-gateway-N node")
        return CharonInstance(node, self.namespace(node), self.node_directory(node))

    def run(self, node: str, argv: Sequence[str], timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
        """Run a command in ``node`` and capture its output (what drills and tests use)."""
        return processes.run(self.namespace(node), argv, timeout=timeout)

    def runner(self, node: str) -> Callable[[Sequence[str]], subprocess.CompletedProcess[str]]:
        return lambda argv: self.run(node, argv)

    def spawn(self, node: str, argv: Sequence[str], log_name: str) -> subprocess.Popen[bytes]:
        """Start a long-running helper (a probe) in ``node``; ``down`` stops it with the rest."""
        popen = processes.spawn(self.namespace(node), argv, self.node_directory(node) / log_name)
        self._record(node, Path(argv[0]).name, popen)
        return popen

    def link(self, a: str, b: str) -> Link:
        """The cable between nodes ``a`` and ``b``."""
        for link in self.plan.links:
            if {link.a.node, link.b.node} == {a, b}:
                return link
        raise LabError(f"no link between {a} and {b}")

    def set_link(self, a: str, b: str, up: bool) -> None:
        """Cut (or restore) the cable between two nodes: both ends go down, like a fibre cut."""
        for end in self.link(a, b).ends():
            netns.set_link(self.namespace(end.node), end.interface, up)

    def set_gray_failure(self, a: str, b: str, active: bool) -> None:
        """Drop every packet arriving on both ends of a link while the link stays up (nftables ingress)."""
        for end in self.link(a, b).ends():
            table = f"hybridnet_gray_{end.interface}"
            if active:
                script = (
                    f"table netdev {table} {{\n chain ingress {{\n  type filter hook ingress device "
                    f'"{end.interface}" priority -500; policy drop;\n }}\n}}\n'
                )
                result = processes.run(self.namespace(end.node), ["nft", "-f", "-"], input_text=script)
            else:
                result = processes.run(self.namespace(end.node), ["nft", "delete", "table", "netdev", table])
            if result.returncode != 0 and active:
                raise LabError(f"cannot add the drop on {end.node} {end.interface}: {result.stderr.strip()}")

    def pids(self, node: str, program: str | None = None) -> list[int]:
        """Recorded, still-running PIDs of ``node`` (optionally one program: bgpd, charon...)."""
        return [
            r.pid
            for r in self.state.processes
            if r.node == node
            and (program is None or r.program == program)
            and start_ticks(r.pid) == r.start_ticks
            and processes.alive(r.pid)
        ]

    def kill_daemon(self, node: str, program: str, signal_number: int = 9) -> list[int]:
        pids = self.pids(node, program)
        if not pids:
            raise LabError(f"no running {program} on {node}")
        for pid in pids:
            os.kill(pid, signal_number)
        return pids

    def bgp_summary(self, node: str) -> dict[str, Any]:
        """``show bgp ipv4 unicast summary json`` of a router: its peers, states and prefix counts."""
        return self.frr(node).show("show bgp ipv4 unicast summary json")

    def bgp_routes(self, node: str) -> dict[str, Any]:
        return self.frr(node).show("show bgp ipv4 unicast json")

    def bfd_peers(self, node: str) -> list[dict[str, Any]]:
        answer = self.frr(node).show("show bfd peers json", daemon="bfdd")
        return answer if isinstance(answer, list) else []

    def ipsec_sas(self, node: str) -> list[dict[str, Any]]:
        return self.charon(node).security_associations()

    def ipsec_events(self, node: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """IKE/CHILD SA up/down events of a VPN end, as a generator (for drill timelines)."""
        return self.charon(node).events()

    def routes(self, node: str) -> list[dict[str, object]]:
        """The routes installed in the node's kernel (main table): what the daemons really programmed."""
        return netns.routes(self.namespace(node))

    def installed_routes(self) -> dict[str, list[dict[str, object]]]:
        return {node.name: self.routes(node.name) for node in self.plan.nodes if node.forwarding}


def check_environment() -> None:
    if os.geteuid() != 0:
        raise LabError("the lab needs root (network namespaces, daemons)", fix="run as root, e.g. with sudo")
    missing = [p for p in REQUIRED_PROGRAMS if shutil.which(p) is None]
    if missing:
        raise LabError(
            f"missing programs: {', '.join(missing)}", fix="run scripts/setup.sh (FRR, strongSwan, nftables)"
        )


def _python() -> str:
    return "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable


def _script(name: str) -> Path:
    return Path(__file__).with_name(name)


__all__ = ["SECRET_SLOT", "Lab", "check_environment", "down", "footprint", "render_strongswan_conf"]
