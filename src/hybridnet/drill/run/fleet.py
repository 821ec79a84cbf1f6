"""The probe fleet: the drill's agents placed in the lab — UDP both ways, the TCP stream, HTTP, MSS and DF checks.

An on-prem host and a workload each run a UDP reflector, and each sends a sequence probe to the
other, so both directions are measured by their own sender. The TCP stream runs from the host to
the workload for the whole drill; HTTP requests go to the application through the internal load
balancer. The workload's NSG (an nftables ruleset in its namespace) would drop the probes, as
Azure's would: the drill opens a pinhole for exactly the probe ports from exactly the host, and
closes it afterwards — the same NSG rule one adds in Azure to run such a probe.

Replies are read live from the agents' JSON-lines files (incrementally), so the drill can wait
for traffic to settle on a path without re-reading whole files.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from ipaddress import IPv4Address
from pathlib import Path
from typing import TYPE_CHECKING

from hybridnet.agents.agent_io import Record
from hybridnet.drill.result import Direction, PathMtuResult
from hybridnet.drill.run.agents import AgentError, AgentProcess
from hybridnet.drill.run.path_checks import Runner, connection_mss, largest_df_payload
from hybridnet.errors import BadInput
from hybridnet.model import Topology
from hybridnet.waiting import wait_until

if TYPE_CHECKING:
    from hybridnet.emulate import Lab

UDP_PORT = 47000
TCP_STREAM_PORT = 47001
MSS_PORT = 47002
FLOW_TCP_PORT_BASE = 47100
"""An estate's flow i > 0 runs its TCP stream to port 47100 + i (one sink per stream on a shared workload)."""
PINHOLE_COMMENT = "hybridnet-drill-probe"
AGENT_DURATION_S = 3600.0
SINK_GRACE_S = 10.0


class RecordTail:
    """Follows one agent's JSON-lines file: new complete lines on each ``poll``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self._partial = b""
        self.reply_recv_ns: list[int] = []

    def poll(self) -> list[Record]:
        try:
            with self.path.open("rb") as stream:
                stream.seek(self._offset)
                chunk = stream.read()
        except FileNotFoundError:
            return []
        self._offset += len(chunk)
        lines = (self._partial + chunk).split(b"\n")
        self._partial = lines.pop()
        records = []
        for line in lines:
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
        self.reply_recv_ns += [int(r["recv_ns"]) for r in records if r.get("kind") == "reply"]
        return records

    def replies_since(self, t_ns: int) -> int:
        return len(self.reply_recv_ns) - bisect_left(self.reply_recv_ns, t_ns)

    def last_reply_ns(self) -> int:
        return self.reply_recv_ns[-1] if self.reply_recv_ns else 0


@dataclass(frozen=True)
class Endpoints:
    """Who probes whom: an on-prem host and a workload VM (node names and addresses).

    In an estate's drill there is one per probed flow (``drill.flows``): ``site`` and ``vnet`` name the
    flow, ``index`` numbers it; flow 0 keeps the reference's agent names, ports and pinhole tag, the
    others' are suffixed with their index so that flows sharing a node do not collide."""

    host: str
    host_address: IPv4Address
    workload: str
    workload_address: IPv4Address
    http_url: str | None
    site: str = ""
    vnet: str = ""
    index: int = 0

    @property
    def agent_prefix(self) -> str:
        return "" if self.index == 0 else f"flow{self.index}-"

    @property
    def tcp_port(self) -> int:
        return TCP_STREAM_PORT if self.index == 0 else FLOW_TCP_PORT_BASE + self.index

    @property
    def pinhole_tag(self) -> str:
        return PINHOLE_COMMENT if self.index == 0 else f"{PINHOLE_COMMENT}-{self.index}"

    @property
    def label(self) -> str:
        return f"{self.site or self.host} → {self.vnet or self.workload}"

    @classmethod
    def choose(cls, topology: Topology, host: str | None = None, workload: str | None = None) -> Endpoints:
        """The probing host and the probed workload (the first of each unless named); DrillSetupError
        (bad input, exit 2) names the choices when there is none or the named one does not exist."""
        hosts = {h.name: h.address for s in topology.onprem.subnets for h in s.hosts}
        workloads = {w.name: w.address for w in topology.workloads}
        if not hosts or not workloads:
            raise DrillSetupError("the drill probes from an on-prem host to a workload: add onprem.subnets[].hosts "
                                  "and workloads")
        if host is not None and host not in hosts:
            raise DrillSetupError(f"--host {host!r} is not an on-prem host of this topology; choose one of: "
                                  f"{', '.join(hosts)}")
        if workload is not None and workload not in workloads:
            raise DrillSetupError(f"--workload {workload!r} is not a workload of this topology; choose one of: "
                                  f"{', '.join(workloads)}")
        host = host or next(iter(hosts))
        workload = workload or next(iter(workloads))
        url = None
        if topology.load_balancers:  # the application is reached through its load balancer
            balancer = topology.load_balancers[0]
            port = balancer.rules[0].frontend_port if balancer.rules else 80
            url = f"http://{balancer.frontend.address}:{port}/"
        return cls(host, hosts[host], workload, workloads[workload], url)


class DrillSetupError(BadInput):
    """The drill cannot be set up as asked (no host or workload to probe between, an unknown one)."""


def open_pinhole(lab: Lab, endpoints: Endpoints) -> None:
    """Let the flow's probe ports in through the workload's NSG, from the flow's probing host only (one
    rule per flow, tagged with the flow's tag, as one adds one NSG rule per probe source in Azure)."""
    lab.open_pinhole(endpoints.workload, endpoints.host_address, (UDP_PORT, endpoints.tcp_port, MSS_PORT),
                     endpoints.pinhole_tag)


def close_pinhole(lab: Lab, endpoints: Endpoints) -> None:
    lab.close_pinhole(endpoints.workload, endpoints.pinhole_tag)


class ProbeFleet:
    """Every long-running probe agent of one drill run, and their live record tails.

    ``endpoints`` is one flow (the reference) or several (an estate): each flow has its two UDP senders
    and its TCP stream; a node that several flows use runs one UDP reflector. Agents of flow ``i > 0``
    are named with the flow's prefix (``flow2-udp-onprem-to-vnet``); ``flow_records`` gives one
    flow's records under the reference's names, for the analysis."""

    def __init__(self, lab: Lab, endpoints: Endpoints | Sequence[Endpoints], directory: Path, interval_ms: float,
                 tcp_rate_kbps: int, tcp_user_timeout_ms: int) -> None:
        self.lab = lab
        self.flows: tuple[Endpoints, ...] = (endpoints,) if isinstance(endpoints, Endpoints) else tuple(endpoints)
        self.endpoints = self.flows[0]
        self.directory = directory
        self.interval_ms = interval_ms
        self._tcp_rate_kbps = tcp_rate_kbps
        self._tcp_user_timeout_ms = tcp_user_timeout_ms
        self.agents: dict[str, AgentProcess] = {}
        self.tails: dict[Direction, RecordTail] = {}
        """Flow 0's tails (the reference's one flow)."""
        self.flow_tails: dict[int, dict[Direction, RecordTail]] = {}

    def _start(self, name: str, node: str, args: list[str]) -> AgentProcess:
        agent = AgentProcess(name, [*args, "--duration", str(AGENT_DURATION_S)], self.directory / f"{name}.jsonl",
                             launch=partial(self.lab.spawn_agent, node), ready_timeout_s=20.0)
        self.agents[name] = agent
        return agent

    def start(self) -> None:
        interval = ["--interval-ms", f"{self.interval_ms:g}"]
        reflecting: set[str] = set()
        for e in self.flows:
            p = e.agent_prefix
            for role, node in (("workload", e.workload), ("host", e.host)):
                if node not in reflecting:
                    reflecting.add(node)
                    self._start(f"{p}reflector-{role}", node, ["udp-reflect", "--port", str(UDP_PORT)])
            self._start(f"{p}tcp-sink", e.workload, ["tcp-sink", "--port", str(e.tcp_port)])
        for e in self.flows:
            p = e.agent_prefix
            self._start(f"{p}udp-onprem-to-vnet", e.host,
                        ["udp-send", "--target", str(e.workload_address), "--port", str(UDP_PORT), *interval])
            self._start(f"{p}udp-vnet-to-onprem", e.workload,
                        ["udp-send", "--target", str(e.host_address), "--port", str(UDP_PORT), *interval])
            self._start(f"{p}tcp-source", e.host, ["tcp-source", "--target", str(e.workload_address), "--port",
                                                   str(e.tcp_port), "--rate-kbps", str(self._tcp_rate_kbps),
                                                   "--user-timeout-ms", str(self._tcp_user_timeout_ms)])
            if e.http_url:
                self._start(f"{p}http", e.host, ["http-get", "--url", e.http_url, "--interval-ms", "200"])
            self.flow_tails[e.index] = {
                "onprem-to-vnet": RecordTail(self.agents[f"{p}udp-onprem-to-vnet"].out),
                "vnet-to-onprem": RecordTail(self.agents[f"{p}udp-vnet-to-onprem"].out)}
        self.tails = self.flow_tails[self.endpoints.index]

    def poll(self) -> None:
        for tails in self.flow_tails.values():
            for tail in tails.values():
                tail.poll()

    def flowing(self, since_ns: int, now_ns: int, flows: Iterable[int] | None = None) -> bool:
        """Replies arrive in both directions of every flow (or of the flows numbered ``flows``): at least
        half the probes since ``since_ns`` answered, the last one recently."""
        self.poll()
        expected = (now_ns - since_ns) / (self.interval_ms * 1e6)
        recent_ns = max(3 * self.interval_ms, 100.0) * 1e6
        chosen = self.flow_tails if flows is None else {i: self.flow_tails[i] for i in flows}
        return all(tail.replies_since(since_ns) >= 0.5 * expected and now_ns - tail.last_reply_ns() <= recent_ns
                   for tails in chosen.values() for tail in tails.values())

    def stop(self) -> dict[str, list[Record]]:
        """Stop the senders and requesters first, then the streams, then the reflectors; all records."""
        records: dict[str, list[Record]] = {}
        order = [f"{e.agent_prefix}{base}" for base in ("udp-onprem-to-vnet", "udp-vnet-to-onprem", "http")
                 for e in self.flows]
        order += [f"{e.agent_prefix}{base}" for e in self.flows for base in ("tcp-source", "tcp-sink")]
        order += [name for name in self.agents if name not in order]  # the reflectors
        for name in order:
            agent = self.agents.get(name)
            if agent is None:
                continue
            try:
                if name.endswith("tcp-sink"):  # it ends by itself once the source's trailer is through …
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        agent.process.wait(timeout=SINK_GRACE_S)
                records[name] = agent.stop(timeout_s=60)  # … unless the stream died on the way
            except AgentError:
                agent.kill()
                records[name] = agent.records()
        return records

    def kill(self) -> None:
        for agent in self.agents.values():
            agent.kill()


def flow_records(records: Mapping[str, list[Record]], endpoints: Endpoints) -> dict[str, list[Record]]:
    """One flow's records under the reference's agent names (what ``drill.analysis`` reads)."""
    prefix = endpoints.agent_prefix
    if not prefix:
        return {name: rs for name, rs in records.items() if not name.startswith("flow")}
    return {name[len(prefix):]: rs for name, rs in records.items() if name.startswith(prefix)}


def flush_path_mtu_cache(runner: Runner) -> None:
    """Forget learned path MTUs: a host keeps one for ten minutes, also after failback."""
    runner(["ip", "route", "flush", "cache"])


def measure_path_mtu(lab: Lab, endpoints: Endpoints, directory: Path, path: str) -> PathMtuResult | None:
    """Largest DF packet host → workload and the MSS the workload sees on a fresh TCP connection."""
    host_runner = lab.runner(endpoints.host)
    flush_path_mtu_cache(host_runner)
    payload = largest_df_payload(host_runner, str(endpoints.workload_address))
    if payload is None:
        return None
    mss = None
    sink = source = None
    try:
        sink = AgentProcess("mss-sink", ["tcp-sink", "--port", str(MSS_PORT), "--duration", "20"],
                            directory / f"mss-sink-{time.monotonic_ns()}.jsonl",
                            launch=partial(lab.spawn_agent, endpoints.workload))
        source = AgentProcess("mss-source", ["tcp-source", "--target", str(endpoints.workload_address),
                                             "--port", str(MSS_PORT), "--rate-kbps", "64", "--duration", "3"],
                              directory / f"mss-source-{time.monotonic_ns()}.jsonl",
                              launch=partial(lab.spawn_agent, endpoints.host))
        workload_runner = lab.runner(endpoints.workload)
        found: list[int] = []

        def seen() -> bool:
            value = connection_mss(workload_runner, local_port=MSS_PORT)
            if value is not None:
                found.append(value)
            return value is not None

        wait_until(seen, 10.0, 0.1, what="the MSS probe connection", error=AgentError)
        mss = found[-1]
    except (AgentError, subprocess.SubprocessError):
        mss = None
    finally:
        for agent in (source, sink):
            if agent is not None:
                agent.kill()
    return PathMtuResult(path=path, largest_df_payload=payload, mss_observed=mss)
