"""The lab plan as a containerlab topology: the same nodes, cables, addresses and daemon configs.

Everything comes from the public lab plan (``hybridnet.emulate.plan``): each node with a FRR
config becomes an FRR container running that very ``frr.conf`` (and a ``daemons`` file naming
the daemons the lab starts for it); each node with a swanctl config also runs strongSwan with that
very file; every other node is a small Linux container. Addresses, bridges and routes are the
plan's, applied by ``exec`` commands once containerlab has wired the links; links are the plan's
links, one each.

Two things differ from the namespace lab, on purpose and documented in the files themselves:

- containerlab gives every container ``eth0`` for management, so a lab interface named ``eth0``
  (hosts and workload VMs) becomes the first free ``ethN`` (N >= 1) of its node, in links, exec
  commands and config texts alike (``interface_map``);
- ESP runs in the kernel (containerlab hosts have it; the lab's machine does not), so the
  route-based tunnel device is an XFRM interface and each CHILD SA gets its ``if_id`` from a small
  extra swanctl file merged over the lab's (``kernel-esp.conf``); strongswan.conf loads no
  kernel-libipsec.

The pre-shared keys never appear in a topology file or a command line: they live only in
``swanctl/secrets.conf`` (0600), as placeholders unless the caller passes the keys. An estate has
several VPN ends, each with its own connection and key: the plan marks each key's place with that
connection's slot (``estate_wiring.secret_slot``), so a VPN gateway instance answering several ends
gets each connection's key (or a placeholder naming where that key lives) in its one secrets file,
exactly as ``Lab.up`` fills them (``LabKeys.fill``).

Interface names are the lab's (Linux's 15-character limit holds there too, and is checked here);
only ``eth0`` is renamed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from hybridnet.agents import script_path
from hybridnet.emulate import LabKeys, LabPlan
from hybridnet.emulate.plan.estate_wiring import SLOT_PATTERN, vpn_ends
from hybridnet.emulate.plan.types import SECRET_SLOT
from hybridnet.errors import BadInput
from hybridnet.export.host_split import HostSplit, split_hosts
from hybridnet.render.templating import template

FRR_IMAGE = "quay.io/frrouting/frr:8.4.2"
"""The official FRR image of the 8.4 series, which Debian 12 (the lab's FRR, 8.4.4) ships."""
LINUX_IMAGE = "alpine:3.20"
"""Hosts, workload VMs and the internet segment: the FRR image's own base, so one package manager."""
XFRM_IF_ID = 42
VXLAN_PORT = 4789
DEFAULT_VNI_BASE = 10000
MANAGEMENT_INTERFACE = "eth0"
MANAGEMENT_SUBNETS = ("172.20.20.0/24", "172.31.254.0/24", "10.254.254.0/24", "198.18.254.0/24")
"""containerlab's default management subnet first, then others to use when the lab overlaps it."""
CONFIG_DIR = "/etc/hybridnet"
FRR_DAEMONS = ("bgpd", "bfdd", "staticd")
_TEMPLATES = "hybridnet.export"
_NAME_CHARACTER = r"[A-Za-z0-9_.-]"
_SECRET_LINE = re.compile(r'^(\s*secret\s*=\s*)"([^"\n]*)"$', re.MULTILINE)
IFNAME_MAX = 15
"""Linux's IFNAMSIZ (16) less the terminating NUL."""
_IFNAME = re.compile(r"[A-Za-z0-9_.-]{1,15}")


class ExportError(BadInput, ValueError):
    """The plan cannot be exported as asked (a message naming what and how to fix it)."""


@dataclass(frozen=True)
class ExportedFile:
    """A file of the export, relative to the output directory; ``secret`` files are written 0600."""

    path: str
    text: str
    mode: int = 0o644
    secret: bool = False


@dataclass(frozen=True)
class ContainerlabExport:
    """What ``write_export`` writes: topology documents by file name, and the node files."""

    lab: str
    topologies: dict[str, dict[str, Any]]
    files: tuple[ExportedFile, ...]
    interfaces: dict[str, dict[str, str]]
    """node -> {lab interface: containerlab interface}, only for renamed interfaces."""
    split: HostSplit | None = None
    host_addresses: tuple[str, ...] = ()
    vnis: dict[int, int] = field(default_factory=dict)
    """plan link index -> VNI, for links that cross hosts."""


# ----------------------------------------------------------------------------- interface names
def interface_map(lab_plan: LabPlan) -> dict[str, dict[str, str]]:
    """Per node, the lab interface names containerlab cannot use and the data-plane names they get.

    Only ``eth0`` is taken (containerlab's management interface); it becomes the lowest ``ethN``
    (N >= 1) the node does not already use, so the renaming is stable and never collides.
    """
    used: dict[str, set[str]] = {node.name: set() for node in lab_plan.nodes}
    for link in lab_plan.links:
        for end in link.ends():
            used[end.node].add(end.interface)
    for node in lab_plan.nodes:
        used[node.name].update(a.interface for a in node.addresses)
        for bridge in node.bridges:
            used[node.name].add(bridge.name)
            used[node.name].update(bridge.members)
    for name, names in used.items():
        for interface in names:
            if not _IFNAME.fullmatch(interface) or interface in (".", ".."):
                raise ExportError(
                    f"node {name}: interface name {interface!r} is not a Linux interface name (1 to "
                    f"{IFNAME_MAX} letters, digits, '_', '.', '-'): the plan cannot be exported as it stands")
    mapping: dict[str, dict[str, str]] = {}
    for name, names in used.items():
        if MANAGEMENT_INTERFACE in names:
            number = 1
            while f"eth{number}" in names:
                number += 1
            mapping[name] = {MANAGEMENT_INTERFACE: f"eth{number}"}
    return mapping


def rename_in_text(text: str, renames: dict[str, str]) -> str:
    """``text`` with each renamed interface replaced where it stands as a whole name."""
    for old, new in renames.items():
        text = re.sub(rf"(?<!{_NAME_CHARACTER}){re.escape(old)}(?!{_NAME_CHARACTER})", new, text)
    return text


# ----------------------------------------------------------------------------- swanctl
def split_secrets(text: str) -> tuple[str, str | None]:
    """The lab's swanctl.conf as (file with ``include secrets.conf`` in place of its secrets block, block).

    Putting the block back where the include stands gives the lab's file again, byte for byte.
    """
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if re.match(r"secrets\s*\{\s*$", line)), None)
    if start is None:
        return text, None
    depth = 0
    for end in range(start, len(lines)):
        depth += lines[end].count("{") - lines[end].count("}")
        if depth == 0:
            block = "".join(lines[start : end + 1])
            return "".join(lines[:start]) + "include secrets.conf\n" + "".join(lines[end + 1 :]), block
    raise ExportError("the swanctl.conf of the plan has an unterminated secrets block")


def fill_secrets(block: str, values: dict[str, str]) -> str:
    """The secrets block with each ``secret = "<slot>"`` value set to ``values[slot]``.

    Every secret of the plan stands as a slot (``SLOT_PATTERN``); a secret that is not one of
    ``values`` (a slot of no known connection, or a literal) is refused rather than copied.
    """

    def value(match: re.Match[str]) -> str:
        slot = match.group(2)
        if not re.fullmatch(SLOT_PATTERN, slot) or slot not in values:
            raise ExportError("the swanctl.conf of the plan holds a secret that is not a known key slot "
                              f"({slot[:40]!r})")
        return f'{match.group(1)}"{values[slot]}"'

    return _SECRET_LINE.sub(value, block)


def swanctl_children(text: str) -> list[tuple[str, list[str]]]:
    """(connection, [child, ...]) of a swanctl.conf, in file order (sections found by their braces)."""
    stack: list[str] = []
    found: dict[str, list[str]] = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        opened = re.fullmatch(r"([^\s{}=]+)\s*\{", line)
        if opened:
            stack.append(opened.group(1))
            if len(stack) == 2 and stack[0] == "connections":
                found.setdefault(stack[1], [])
            if len(stack) == 4 and stack[0] == "connections" and stack[2] == "children":
                found[stack[1]].append(stack[3])
        elif line == "}":
            if not stack:
                raise ExportError("the swanctl.conf of the plan closes more sections than it opens")
            stack.pop()
    return list(found.items())


def key_slots(lab_plan: LabPlan) -> dict[str, str]:
    """Each key slot of the plan and what ``render device`` writes instead of its key: where it lives.

    The VPN ends are the lab's (``estate_wiring.vpn_ends`` for an estate with ``sites``, else the
    topology's one connection), in the order ``lab_keys`` resolves them.
    """
    topology = lab_plan.topology
    ends = vpn_ends(topology) if topology.sites else ()
    if ends:
        return {end.secret_slot: _placeholder(end.connection.shared_key.describe()) for end in ends}
    connection = topology.vpn_connection
    return {SECRET_SLOT: _placeholder(connection.shared_key.describe() if connection is not None else "the connection")}


def _placeholder(source: str) -> str:
    return f"REPLACE-with-the-key-from-{source.replace(' ', '-')}"


def secret_values(lab_plan: LabPlan, side: str, keys: LabKeys | None) -> dict[str, str]:
    """slot -> what a ``side`` node's secrets file holds there: the key (``LabKeys.fill``, as the lab
    writes it) or the connection's placeholder."""
    slots = key_slots(lab_plan)
    if keys is None:
        return slots
    values = {slot: keys.fill(slot, side) for slot in slots}
    unfilled = [placeholder for slot, placeholder in slots.items() if re.fullmatch(SLOT_PATTERN, values[slot])]
    if unfilled:
        raise ExportError(f"no key was given for {', '.join(unfilled)}: the keys are not this topology's")
    return values


# ----------------------------------------------------------------------------- export
def export_containerlab(
    lab_plan: LabPlan,
    *,
    hosts: int = 1,
    host_addresses: tuple[str, ...] = (),
    keys: LabKeys | None = None,
    vni_base: int = DEFAULT_VNI_BASE,
) -> ContainerlabExport:
    """The containerlab topology (one per host with ``hosts`` > 1) and node files of ``lab_plan``.

    Without ``keys`` the secrets files hold a placeholder naming where the key lives.
    """
    renames = interface_map(lab_plan)
    files: list[ExportedFile] = []
    nodes: dict[str, dict[str, Any]] = {}
    for node in lab_plan.nodes:
        node_renames = renames.get(node.name, {})
        secrets = secret_values(lab_plan, node.side, keys) if node.swanctl_config else {}
        node_files, definition = _node(node, node_renames, secrets, keys is not None)
        files += node_files
        nodes[node.name] = definition

    def endpoint(node: str, interface: str) -> dict[str, str]:
        return {"node": node, "interface": renames.get(node, {}).get(interface, interface)}

    management = management_network(lab_plan)
    topologies: dict[str, dict[str, Any]] = {}
    if hosts <= 1:
        links = [
            {"type": "veth", "endpoints": [endpoint(link.a.node, link.a.interface),
                                           endpoint(link.b.node, link.b.interface)], "mtu": link.mtu}
            for link in lab_plan.links
        ]
        topologies[f"{lab_plan.lab}.clab.yml"] = _document(lab_plan.lab, nodes, links, management)
        return ContainerlabExport(lab_plan.lab, topologies, tuple(files), renames)
    try:
        split = split_hosts(lab_plan, hosts)
    except ValueError as error:
        raise ExportError(str(error)) from None
    addresses = _host_addresses(hosts, host_addresses)
    if vni_base < 1 or vni_base + len(lab_plan.links) > 16_777_215:
        raise ExportError(f"--vni-base {vni_base}: VNIs must stay within 1..16777215")
    per_host_links: list[list[dict[str, Any]]] = [[] for _ in range(hosts)]
    vnis: dict[int, int] = {}
    for index, link in enumerate(lab_plan.links):
        host_a, host_b = split.host_of(link.a.node), split.host_of(link.b.node)
        if host_a == host_b:
            per_host_links[host_a].append(
                {"type": "veth", "endpoints": [endpoint(link.a.node, link.a.interface),
                                               endpoint(link.b.node, link.b.interface)], "mtu": link.mtu}
            )
            continue
        vni = vnis[index] = vni_base + index
        for here, there, end in ((host_a, host_b, link.a), (host_b, host_a, link.b)):
            per_host_links[here].append(
                {"type": "vxlan-stitch", "endpoint": endpoint(end.node, end.interface), "remote": addresses[there],
                 "vni": vni, "dst-port": VXLAN_PORT, "mtu": link.mtu}
            )
    for index, names in enumerate(split.hosts):
        topologies[f"{lab_plan.lab}-host{index + 1}.clab.yml"] = _document(
            lab_plan.lab, {name: nodes[name] for name in names}, per_host_links[index], management
        )
    return ContainerlabExport(lab_plan.lab, topologies, tuple(files), renames, split, addresses, vnis)


def _host_addresses(hosts: int, given: tuple[str, ...]) -> tuple[str, ...]:
    """The hosts' underlay addresses; TEST-NET-1 documentation addresses stand in for ones not given."""
    if given and len(given) != hosts:
        raise ExportError(f"--host-address given {len(given)} time(s) for --hosts {hosts}: give one per host")
    for value in given:
        try:
            IPv4Address(value)
        except ValueError:
            raise ExportError(f"--host-address {value!r} is not an IPv4 address") from None
    if len(set(given)) != len(given):
        raise ExportError("--host-address: every host needs its own address")
    return given or tuple(f"192.0.2.{index + 1}" for index in range(hosts))


def _document(
    lab: str, nodes: dict[str, dict[str, Any]], links: list[dict[str, Any]], management: dict[str, str] | None
) -> dict[str, Any]:
    topology: dict[str, Any] = {"nodes": nodes}
    if links:
        topology["links"] = links
    document: dict[str, Any] = {"name": lab}
    if management is not None:
        document["mgmt"] = management
    document["topology"] = topology
    return document


def management_network(lab_plan: LabPlan) -> dict[str, str] | None:
    """A management subnet clear of the lab's addresses: containerlab's default (None) when it is."""
    used = [a.local.network for node in lab_plan.nodes for a in node.addresses]
    used += [r.destination for node in lab_plan.nodes for r in node.routes if r.destination.prefixlen > 0]
    for candidate in MANAGEMENT_SUBNETS:
        network = IPv4Network(candidate)
        if not any(network.overlaps(other) for other in used):
            if candidate == MANAGEMENT_SUBNETS[0]:
                return None
            return {"network": f"{lab_plan.lab}-mgmt", "ipv4-subnet": candidate}
    raise ExportError(f"the lab's addresses overlap every management subnet tried ({', '.join(MANAGEMENT_SUBNETS)})")


def _node(
    node: Any, renames: dict[str, str], secrets: dict[str, str], keyed: bool
) -> tuple[list[ExportedFile], dict[str, Any]]:
    """One node's files and its containerlab definition."""
    base = f"nodes/{node.name}"
    files: list[ExportedFile] = []
    binds: list[str] = []
    packages = ["iproute2"]
    exec_: list[str] = []

    def ifname(name: str) -> str:
        return renames.get(name, name)

    if node.frr_config:
        files.append(ExportedFile(f"{base}/frr.conf", rename_in_text(node.frr_config, renames)))
        files.append(ExportedFile(f"{base}/daemons", template("daemons.j2", _TEMPLATES).render(
            node=node.name, all_daemons=FRR_DAEMONS, daemons=node.frr_daemons)))
        files.append(ExportedFile(f"{base}/vtysh.conf", "service integrated-vtysh-config\n"))
        binds += [f"{base}/frr.conf:/etc/frr/frr.conf", f"{base}/daemons:/etc/frr/daemons",
                  f"{base}/vtysh.conf:/etc/frr/vtysh.conf"]
    extras = False
    if node.nftables:
        packages.append("nftables")
        files.append(ExportedFile(f"{base}/hybridnet/nsg.nft", rename_in_text(node.nftables, renames)))
        extras = True
    if node.servers or node.load_balancer:
        packages.append("python3")
    if node.servers:
        files.append(ExportedFile(f"{base}/hybridnet/workload_server.py",
                                  script_path("workload_server.py").read_text(encoding="utf-8")))
        extras = True
    if node.load_balancer:
        packages.append("nftables")
        files.append(ExportedFile(f"{base}/hybridnet/ilb.json", node.load_balancer))
        files.append(ExportedFile(f"{base}/hybridnet/lb_prober.py",
                                  script_path("lb_prober.py").read_text(encoding="utf-8")))
        extras = True
    tunnel = node.tunnel
    if node.swanctl_config:
        packages += ["strongswan", "nftables"]
        device = tunnel.addresses[0].interface if tunnel is not None and tunnel.addresses else "ipsec0"
        swanctl = rename_in_text(node.swanctl_config, renames)
        main, block = split_secrets(swanctl)
        context = {"node": node.name, "tunnel_interface": device, "if_id": XFRM_IF_ID}
        files.append(ExportedFile(f"{base}/swanctl/swanctl.conf",
                                  template("swanctl.conf.j2", _TEMPLATES).render(**context)))
        files.append(ExportedFile(f"{base}/swanctl/hybridnet.conf", main))
        files.append(ExportedFile(f"{base}/swanctl/kernel-esp.conf", template("kernel-esp.conf.j2", _TEMPLATES).render(
            connections=swanctl_children(swanctl), **context)))
        if block is not None:
            files.append(ExportedFile(f"{base}/swanctl/secrets.conf", fill_secrets(block, secrets), 0o600,
                                      secret=keyed))
        files.append(ExportedFile(f"{base}/strongswan.conf",
                                  template("strongswan.conf.j2", _TEMPLATES).render(**context)))
        binds += [f"{base}/swanctl:/etc/swanctl", f"{base}/strongswan.conf:/etc/strongswan.conf"]
        if tunnel is not None and tunnel.script:
            files.append(ExportedFile(f"{base}/hybridnet/tunnel.sh", rename_in_text(tunnel.script, renames), 0o755))
            extras = True
    if extras:
        binds.append(f"{base}/hybridnet:{CONFIG_DIR}")

    exec_.append("apk add --no-cache " + " ".join(dict.fromkeys(packages)))
    for bridge in node.bridges:
        exec_.append(f"ip link add {ifname(bridge.name)} type bridge")
        exec_ += [f"ip link set {ifname(m)} master {ifname(bridge.name)}" for m in bridge.members]
        exec_.append(f"ip link set {ifname(bridge.name)} up")
    for address in node.addresses:
        local = f"{address.local.ip}/32 peer {address.peer}/32" if address.peer else str(address.local)
        exec_.append(f"ip address replace {local} dev {ifname(address.interface)}")
    bridges = {ifname(bridge.name) for bridge in node.bridges}
    for interface in dict.fromkeys(ifname(a.interface) for a in node.addresses):
        if interface not in bridges:
            exec_.append(f"ip link set {interface} up")
    for route in node.routes:
        command = f"ip route replace {route.destination}"
        if route.gateway is not None:
            command += f" via {route.gateway}"
        if route.interface is not None:
            command += f" dev {ifname(route.interface)}"
        exec_.append(command)
    if node.nftables:
        exec_.append(f"nft -f {CONFIG_DIR}/nsg.nft")
    for server in node.servers:
        exec_.append(_background(
            f"python3 -I -S {CONFIG_DIR}/workload_server.py {node.name} {server.port} {server.protocol}",
            f"/var/log/workload-server-{server.port}.log"))
    if node.load_balancer:
        exec_.append(_background(f"python3 -I -S {CONFIG_DIR}/lb_prober.py {CONFIG_DIR}/ilb.json",
                                 "/var/log/lb-prober.log"))
    if node.swanctl_config:
        exec_ += _strongswan_exec(node, renames)

    definition: dict[str, Any] = {
        "kind": "linux",
        "image": FRR_IMAGE if node.frr_config else LINUX_IMAGE,
        "group": node.site or node.side,
        "sysctls": _sysctls(node.forwarding),
        "exec": exec_,
    }
    labels = {"hybridnet.side": node.side, "hybridnet.site": node.site, "hybridnet.vnet": node.vnet}
    if node.site or node.vnet:  # the estate's parts, as `hybridnet status` groups them
        definition["labels"] = {key: value for key, value in labels.items() if value}
    if binds:
        definition["binds"] = binds
    return files, definition


def _strongswan_exec(node: Any, renames: dict[str, str]) -> list[str]:
    """XFRM interface, tunnel addresses (or the appliance's tunnel.sh), then charon and the configs."""
    tunnel = node.tunnel
    device = tunnel.addresses[0].interface if tunnel is not None and tunnel.addresses else "ipsec0"
    wan = _wan_interface(node, renames)
    commands = [f"ip link add {device} type xfrm dev {wan} if_id {XFRM_IF_ID}"]
    if tunnel is not None and tunnel.script:
        commands.append(f"env WAN_GW={tunnel.wan_gateway} WAN_IF={wan} TUNNEL_IF={device} sh {CONFIG_DIR}/tunnel.sh")
    elif tunnel is not None:
        for address in tunnel.addresses:
            local = f"{address.local.ip}/32 peer {address.peer}/32" if address.peer else str(address.local)
            commands.append(f"ip address replace {local} dev {device}")
        commands.append(f"ip link set dev {device} mtu {tunnel.mtu} up")
    commands.append(_background("/usr/libexec/ipsec/charon", "/var/log/charon.out"))
    commands.append(
        "sh -c 'i=0; until [ -S /var/run/charon.vici ] || [ $i -ge 100 ]; do sleep 0.1; i=$((i+1)); done; "
        "swanctl --load-all --noprompt'"
    )
    return commands


def _wan_interface(node: Any, renames: dict[str, str]) -> str:
    """The interface holding the address IKE runs from (``local_addrs`` of the node's swanctl.conf)."""
    if node.tunnel is not None and node.tunnel.wan_interface:
        return renames.get(node.tunnel.wan_interface, node.tunnel.wan_interface)
    match = re.search(r"^\s*local_addrs\s*=\s*(\S+)", node.swanctl_config or "", re.MULTILINE)
    if match:
        for address in node.addresses:
            if str(address.local.ip) == match.group(1):
                return renames.get(address.interface, address.interface)
    raise ExportError(f"{node.name}: no interface holds the address its IKE connection runs from")


def _background(command: str, log: str) -> str:
    """An exec entry that leaves ``command`` running after containerlab's exec returns."""
    return f"sh -c 'setsid {command} >{log} 2>&1 </dev/null &'"


def _sysctls(forwarding: bool) -> dict[str, int]:
    """The lab's sysctls: routers forward without reverse-path filtering; IPv6 is off everywhere."""
    values = {"net.ipv6.conf.all.disable_ipv6": 1, "net.ipv6.conf.default.disable_ipv6": 1}
    if forwarding:
        values |= {"net.ipv4.ip_forward": 1, "net.ipv4.conf.all.rp_filter": 0, "net.ipv4.conf.default.rp_filter": 0}
    return values


# ----------------------------------------------------------------------------- schema
def schema() -> dict[str, Any]:
    """containerlab's own JSON Schema (shipped with its BSD-3 licence in ``containerlab_schema/``).

    Three of its patterns use ``\\p{N}\\p{L}`` (Unicode digits and letters, for an IPv6 zone suffix),
    which Python's ``re`` does not know; they become ``\\w`` (the same plus ``_``).
    """
    import json

    text = resources.files("hybridnet.export").joinpath("containerlab_schema/clab.schema.json").read_text("utf-8")
    return json.loads(text.replace(r"[\\p{N}\\p{L}]", r"[\\w]"))


def validation_errors(document: dict[str, Any]) -> list[str]:
    """Every place ``document`` breaks containerlab's schema (empty when it validates)."""
    import jsonschema

    validator = jsonschema.Draft7Validator(schema())
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(top)'}: {error.message}"
        for error in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    ]
