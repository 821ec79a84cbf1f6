"""A running lab: bring a plan up, reach into its nodes, and tear it all down again.

``Lab.up(plan)`` builds namespaces and cables (pyroute2), writes each node's configs into the lab's
private directory (/run/hybridnet/<lab>, 0700), starts the daemons of all nodes in parallel and
waits until traffic flows over ExpressRoute and the VPN backup is ready. ``Lab.attach(name)`` finds
a running lab from another process; ``down`` removes every namespace, process and file, also after
a crash. The other methods are what drills need: run commands in a node, cut or degrade links,
kill daemons, and read BGP, BFD, IPsec and the installed routes as data.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

from pyroute2 import IPRoute, NetlinkError

from hybridnet.emulate import netns, processes
from hybridnet.emulate.daemons import LIBIPSEC_ROUTING_TABLE, CharonInstance
from hybridnet.emulate.errors import LabError, LabNotReady
from hybridnet.emulate.keys import LabKeys, lab_keys
from hybridnet.emulate.nodes import NodeAccess, python_interpreter, script_path
from hybridnet.emulate.plan import SECRET_SLOT, LabPlan, Link, Node, check_lab_name, plan
from hybridnet.emulate.readiness import wait_ready
from hybridnet.emulate.setup import render_strongswan_conf, write_node_files
from hybridnet.emulate.state import (
    LabState,
    lab_directory,
    make_private_directory,
    namespace_name,
    namespace_prefix,
    write_private,
)
from hybridnet.emulate.teardown import down, footprint
from hybridnet.errors import system_error
from hybridnet.model import Topology
from hybridnet.waiting import wait_until

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


class Lab(NodeAccess):
    """A lab that is (or was) up: its plan, state and per-node daemon handles."""

    def __init__(self, lab_plan: LabPlan, state: LabState) -> None:
        self.plan = lab_plan
        self.state = state
        self.timings: dict[str, float] = {}
        self._lock = threading.Lock()
        self._saved_at = 0.0
        self._cut_routes: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._network: Future[None] | None = None

    # ----------------------------------------------------------------------------- life cycle
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
        check_environment()
        say = progress or (lambda _message: None)
        keys = keys or lab_keys(lab_plan.topology)
        lab = cls._claim(lab_plan, keys)
        started = time.monotonic()
        try:
            lab._create_directory()
            lab._create_namespaces()
            # Daemons start while the cables are laid: they only need their namespace; FRR (whose
            # zebra can miss addresses added while it starts) and the VPN ends' configurations
            # wait until the network is there.
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
        except (OSError, NetlinkError) as error:
            down(lab_plan.lab)
            raise LabError(
                f"lab {lab_plan.lab} could not be brought up: {system_error(error)}",
                fix="everything it had created was removed; fix the cause and run `hybridnet up` again",
            ) from error
        except BaseException:
            down(lab_plan.lab)
            raise
        return lab

    @classmethod
    def _claim(cls, lab_plan: LabPlan, keys: LabKeys) -> Lab:
        """The lab's name, if no lab holds it (nothing is created yet: a refusal removes nothing)."""
        directory = lab_directory(lab_plan.lab)
        leftovers = netns.existing(namespace_prefix(lab_plan.lab))
        if directory.exists() or leftovers:
            raise LabError(
                f"lab {lab_plan.lab!r} is already up (or was not torn down)",
                fix=f"run `hybridnet down --lab {lab_plan.lab}` first, or choose another --lab name",
            )
        state = LabState(
            lab=lab_plan.lab,
            topology=lab_plan.topology.name,
            generated_key=keys.generated,
            namespaces=[namespace_name(lab_plan.lab, n.name) for n in lab_plan.nodes],
            phase="creating",
            topology_digest=topology_digest(lab_plan.topology),
        )
        return cls(lab_plan, state)

    def _create_directory(self) -> None:
        """The private directory with the topology and the state (the intent log ``down`` reads)."""
        make_private_directory(self.directory.parent)
        os.chmod(self.directory.parent, 0o700)
        make_private_directory(self.directory)
        write_private(self.directory / "topology.json", self.plan.topology.model_dump_json())
        self.state.save()

    def runs(self, topology: Topology) -> bool:
        """Whether this lab runs ``topology`` (its content; where it was loaded from does not matter)."""
        if self.state.topology_digest:
            return self.state.topology_digest == topology_digest(topology)
        return self.plan.topology.model_dump_json() == topology.model_dump_json()

    @staticmethod
    def is_running(name: str) -> bool:
        """Whether a lab called ``name`` is up (its state can be read)."""
        try:
            return LabState.load(name) is not None
        except (LabError, OSError):
            return False

    @classmethod
    def attach(cls, name: str, lab_plan: LabPlan | None = None) -> Lab:
        """The running lab called ``name`` (from its state directory), for status, exec and drills.

        ``lab_plan``: the caller's plan for this lab, used when the lab runs the very same topology
        (so a drill plans once); otherwise the lab is planned from the topology it saved.
        """
        check_lab_name(name)
        state = LabState.load(name)
        if state is None:
            raise LabError(f"no lab named {name!r} is up", fix="start one with `hybridnet up`")
        if (lab_plan is not None and lab_plan.lab == name and state.topology_digest
                and state.topology_digest == topology_digest(lab_plan.topology)):
            return cls(lab_plan, state)
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
                argv = [python_interpreter(), "-I", "-S", str(script_path("lb_prober.py")), str(directory / "ilb.json")]
                self._spawn_recorded(node.name, "lb-prober", argv, directory / "prober.log")
            if node.frr_config:
                router = self.frr(node.name)
                router.close_gate()
                # zebra must find every interface and address already there: FRR 8.4's zebra
                # reads link events in its main thread but address events in its dataplane
                # thread, so an address added while zebra starts can arrive before its interface
                # and be dropped for good (bgpd then has no interface for its own address and
                # resets every session: "nexthop_set failed").
                assert self._network is not None
                self._network.result()
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
        wait_until(lambda: netns.link_exists(namespace, device), 10, 0.02, what=f"the tunnel device of {node.name}",
                   error=LabError)
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


def topology_digest(topology: Topology) -> str:
    """SHA-256 of the topology's content as JSON: the same network gives the same digest, whether
    it was loaded from a file, built in, or read back from a running lab."""
    return hashlib.sha256(topology.model_dump_json().encode()).hexdigest()


def check_environment() -> None:
    if os.geteuid() != 0:
        raise LabError("the lab needs root (network namespaces, daemons)", fix="run as root, e.g. with sudo")
    missing = [p for p in REQUIRED_PROGRAMS if shutil.which(p) is None]
    if missing:
        raise LabError(
            f"missing programs: {', '.join(missing)}", fix="run scripts/setup.sh (FRR, strongSwan, nftables)"
        )


__all__ = [
    "SECRET_SLOT", "Lab", "check_environment", "down", "footprint", "render_strongswan_conf", "system_error",
    "topology_digest",
]
