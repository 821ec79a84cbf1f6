"""Network namespaces and their wiring, through netlink (pyroute2): the lab's "cables and addresses".

Both ends of every veth are created directly inside lab namespaces, so nothing of a lab ever
appears in (or links to) the root namespace, and two labs cannot collide on interface names.
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Callable
from functools import partial
from ipaddress import IPv4Address
from pathlib import Path
from typing import TypeVar

from pyroute2 import IPRoute, NetNS, netns

from hybridnet.emulate.errors import LabError
from hybridnet.emulate.plan import Address, Bridge, Link, Route

T = TypeVar("T")
NETNS_DIR = Path("/run/netns")
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def namespace_path(name: str) -> Path:
    return NETNS_DIR / name


def create(name: str) -> None:
    if namespace_path(name).exists():
        raise LabError(
            f"network namespace {name} already exists",
            fix="a lab of that name is up (or left over): run `hybridnet down` for it first",
        )
    netns.create(name)


def remove(name: str) -> None:
    if namespace_path(name).exists():
        netns.remove(name)


def existing(prefix: str) -> list[str]:
    """Namespaces whose name starts with ``prefix`` (a lab's own, even if its state file is lost)."""
    if not NETNS_DIR.is_dir():
        return []
    return sorted(entry.name for entry in NETNS_DIR.iterdir() if entry.name.startswith(prefix))


def inode(name: str) -> int | None:
    """The identity of namespace ``name`` (what /proc/PID/ns/net shows), or None if it is not one.

    A half-created namespace (its file made, the bind mount not yet) is a plain file: its inode
    is not a namespace's, and could equal one by chance on another file system. The number is
    only valid while the namespace lives: to compare it later, ``hold`` the namespace instead.
    """
    try:
        status = namespace_path(name).stat()
        namespaces = os.stat("/proc/self/ns/net").st_dev
    except OSError:
        return None
    return status.st_ino if status.st_dev == namespaces else None


def hold(name: str) -> tuple[int, int] | None:
    """Open namespace ``name``: (descriptor, inode), or None if it is not (yet) a namespace.

    The kernel gives a new namespace the lowest free inode number, so the number of a namespace
    just freed goes to the next one created, by any lab: a remembered number then names another
    lab's namespace. The open descriptor keeps the namespace, and its number, allocated — also
    after it is unmounted — so while it is held, "a process whose /proc/PID/ns/net has this inode"
    means "a process in this namespace". The caller closes the descriptor when done.
    """
    try:
        descriptor = os.open(namespace_path(name), os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        status = os.fstat(descriptor)
        namespaces = os.stat("/proc/self/ns/net").st_dev
    except OSError:
        status = None
    if status is None or status.st_dev != namespaces:
        os.close(descriptor)
        return None
    return descriptor, status.st_ino


def with_handle(name: str, work: Callable[[IPRoute], T]) -> T:
    """Run ``work(handle)`` with a netlink handle inside namespace ``name`` (see ``run_inside``)."""

    def job() -> T:
        with IPRoute() as handle:
            return work(handle)

    return run_inside({name: job})[name]  # type: ignore[return-value]


def run_inside(work: dict[str, Callable[[], object]]) -> dict[str, object]:
    """Run each ``work[namespace]`` in a fresh thread that has joined that network namespace.

    A netlink socket opened in such a thread belongs to the namespace, which is much cheaper than
    pyroute2's ``NetNS`` (a helper process per handle). The threads are never reused (a pooled
    thread would stay in the namespace), and they run in parallel; the first error is raised.
    """
    results: dict[str, object] = {}
    errors: list[BaseException] = []

    def worker(name: str, job: Callable[[], object]) -> None:
        try:
            descriptor = os.open(namespace_path(name), os.O_RDONLY)
            try:
                if _libc.setns(descriptor, CLONE_NEWNET) != 0:
                    raise LabError(f"cannot enter namespace {name}: {os.strerror(ctypes.get_errno())}")
            finally:
                os.close(descriptor)
            results[name] = job()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(name, job), name=f"netns-{name}") for name, job in work.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def set_sysctls(values: dict[str, str]) -> None:
    """Write ``/proc/sys`` values of the namespace the calling thread is in (see ``run_inside``)."""
    for key, value in values.items():
        with open(f"/proc/sys/{key.replace('.', '/')}", "w", encoding="ascii") as handle:
            handle.write(value)


def connect(handle: IPRoute | NetNS, link: Link, peer_namespace: str) -> None:
    """Create the veth pair of ``link`` from the a-end's namespace, the b-end born in its own."""
    handle.link(
        "add",
        ifname=link.a.interface,
        kind="veth",
        mtu=link.mtu,
        peer={"ifname": link.b.interface, "net_ns_fd": str(namespace_path(peer_namespace)), "mtu": link.mtu},
    )


def configure(
    handle: IPRoute | NetNS, addresses: tuple[Address, ...], bridges: tuple[Bridge, ...], routes: tuple[Route, ...]
) -> None:
    """Bridges, addresses, links up, then static routes: one node's L2/L3 set-up."""
    for bridge in bridges:
        handle.link("add", ifname=bridge.name, kind="bridge")
        master = _index(handle, bridge.name)
        for member in bridge.members:
            handle.link("set", index=_index(handle, member), master=master)
    for item in addresses:
        add_address(handle, item)
    for link in handle.get_links():
        handle.link("set", index=link["index"], state="up")
    for route in routes:
        add_route(handle, route)


def add_address(handle: IPRoute | NetNS, item: Address) -> None:
    index = _index(handle, item.interface)
    if item.peer is not None:
        handle.addr("replace", index=index, local=str(item.local.ip), address=str(item.peer), prefixlen=32)
    else:
        handle.addr("replace", index=index, address=str(item.local.ip), prefixlen=item.local.network.prefixlen)


def add_route(handle: IPRoute | NetNS, route: Route) -> None:
    spec: dict[str, object] = {"dst": str(route.destination)}
    if route.gateway is not None:
        spec["gateway"] = str(route.gateway)
    if route.interface is not None:
        spec["oif"] = _index(handle, route.interface)
    handle.route("replace", **spec)


def set_link(name: str, interface: str, up: bool) -> None:
    state = "up" if up else "down"
    with_handle(name, lambda handle: handle.link("set", index=_index(handle, interface), state=state))


def link_exists(name: str, interface: str) -> bool:
    return with_handle(name, lambda handle: bool(handle.link_lookup(ifname=interface)))


def remove_rules_to_table(name: str, table: int) -> int:
    """Delete every policy rule that sends traffic to ``table``; returns how many there were."""

    def work(handle: IPRoute) -> int:
        removed = 0
        for rule in handle.get_rules(family=2):
            if rule.get_attr("FRA_TABLE") == table or rule.get("table") == table:
                handle.rule("del", family=2, table=table, priority=rule.get_attr("FRA_PRIORITY"))
                removed += 1
        return removed

    return with_handle(name, work)


def routes(name: str) -> list[dict[str, object]]:
    """The main routing table of a namespace as plain data (destination, gateways, interface, protocol)."""

    def work(handle: IPRoute) -> list[dict[str, object]]:
        names = {link["index"]: link.get_attr("IFLA_IFNAME") for link in handle.get_links()}
        result = []
        for route in handle.route("dump", family=2, table=254):
            destination = route.get_attr("RTA_DST") or "0.0.0.0"
            hops = []
            if route.get_attr("RTA_GATEWAY"):
                hops.append(
                    {
                        "gateway": route.get_attr("RTA_GATEWAY"),
                        "interface": names.get(route.get_attr("RTA_OIF")),
                    }
                )
            for hop in route.get_attr("RTA_MULTIPATH") or []:
                hops.append({"gateway": hop.get_attr("RTA_GATEWAY"), "interface": names.get(hop["oif"])})
            if not hops:
                hops.append({"gateway": None, "interface": names.get(route.get_attr("RTA_OIF"))})
            result.append(
                {
                    "destination": f"{destination}/{route['dst_len']}",
                    "nexthops": hops,
                    "protocol": _PROTOCOLS.get(route["proto"], str(route["proto"])),
                    "type": "blackhole" if route["type"] == 6 else "unicast",
                }
            )
        return result

    return with_handle(name, work)


def lookup(name: str, destination: IPv4Address) -> tuple[IPv4Address | None, str | None]:
    """Where the namespace sends a packet for ``destination``: (next hop or None if on-link, interface)."""
    return lookup_many({name: destination})[name]


def lookup_many(queries: dict[str, IPv4Address]) -> dict[str, tuple[IPv4Address | None, str | None]]:
    """``lookup`` in several namespaces at once (one short-lived thread each, no helper process)."""

    def ask(destination: IPv4Address) -> tuple[IPv4Address | None, str | None]:
        with IPRoute() as handle:
            return lookup_in(handle, destination)

    answers = run_inside({name: partial(ask, destination) for name, destination in queries.items()})
    return {name: answers[name] for name in queries}  # type: ignore[misc]


TCP_ESTABLISHED = 1
TCP_SYN_SENT = 2


def tcp_sockets(names: list[str], port: int) -> dict[str, list[tuple[IPv4Address, IPv4Address, int]]]:
    """IPv4 TCP sockets to or from ``port`` in each namespace: (local, remote, kernel state).

    Read from /proc/thread-self/net/tcp by a thread inside the namespace: the kernel's own view,
    at the cost of a file read rather than a daemon query.
    """

    def read() -> list[tuple[IPv4Address, IPv4Address, int]]:
        found = []
        with open("/proc/thread-self/net/tcp", encoding="ascii") as table:
            next(table)
            for line in table:
                fields = line.split()
                local, remote, state = fields[1], fields[2], int(fields[3], 16)
                if int(local.split(":")[1], 16) == port or int(remote.split(":")[1], 16) == port:
                    found.append((_proc_address(local), _proc_address(remote), state))
        return found

    answers = run_inside(dict.fromkeys(names, read))
    return {name: answers[name] for name in names}  # type: ignore[misc]


def _proc_address(text: str) -> IPv4Address:
    """An address from /proc/net/tcp ("0100A8C0:00B3", little-endian hex)."""
    return IPv4Address(int.from_bytes(bytes.fromhex(text.split(":")[0]), "little"))


def lookup_in(handle: IPRoute | NetNS, destination: IPv4Address) -> tuple[IPv4Address | None, str | None]:
    try:
        answer = handle.route("get", dst=str(destination))[0]
    except Exception:
        return None, None
    gateway = answer.get_attr("RTA_GATEWAY")
    oif = answer.get_attr("RTA_OIF")
    links = handle.get_links(oif) if oif else []
    interface = links[0].get_attr("IFLA_IFNAME") if links else None
    return (IPv4Address(gateway) if gateway else None), interface


_PROTOCOLS = {2: "kernel", 3: "boot", 4: "static", 186: "bgp", 187: "isis", 188: "ospf", 196: "static"}


def _index(handle: IPRoute | NetNS, interface: str) -> int:
    found = handle.link_lookup(ifname=interface)
    if not found:
        raise LabError(f"interface {interface} is missing")
    return found[0]
