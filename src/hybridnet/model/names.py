"""What a name may be: every name in a topology ends up as a path, a namespace or a config token.

A device or workload name becomes a network namespace (``hn.<lab>.<node>``), a directory
(``/run/hybridnet/<lab>/nodes/<node>/``, ``render device -o DIR`` writes ``DIR/<node>/...``), a
host name in FRR, IOS-XE and Junos, and text in a shell script. A name with ``/`` or ``..`` would
escape those directories, a newline would inject a command, and a name too long for a UNIX socket
path would give a lab that cannot be built or removed. So names are constrained here, once, at load
time, and the renderers refuse anything unsafe a second time (``hybridnet.render.templating``).

Node names (on-prem devices, hosts, workloads) follow host-name rules (RFC 1123: letters, digits
and ``-``, starting and ending with a letter or digit), which every vendor accepts as a host name
and Azure accepts as a VM name. Their length comes from the longest path the lab builds from one:
``/run/hybridnet/<lab: 20>/nodes/<node>/frr/staticd.vty`` must fit a UNIX socket address (107
bytes); 107 - 15 - 20 - 7 - 16 leaves 49, and 40 keeps room for FRR's longer socket names. (Lab
interface names are fixed, short names such as ``eth0`` and ``lan0``: no model name becomes one.)

Azure resource names follow Azure's common rule: letters, digits, ``_``, ``.`` and ``-``, starting
with a letter or digit, at most 80 characters (the stricter per-type rules are check findings, see
``Azure.VNG.Name``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, Field

if TYPE_CHECKING:
    from hybridnet.model.topology import Topology

MAX_NODE_NAME = 40
MAX_AZURE_NAME = 80
MAX_RESOURCE_GROUP_NAME = 90
MAX_LAB_NAME = 20
MAX_TEXT = 256

# The Azure side's nodes, one copy, used by the routing model and the emulator alike: the fixed,
# documented names of the parts Azure runs (the user names only the on-prem devices and workloads).
MSEE_NODES = {"primary": "msee-primary", "secondary": "msee-secondary"}
"""The MSEE router at the Microsoft end of each link of the circuit."""
ER_GATEWAY_NODE = "er-gateway"
VNET_FABRIC_NODE = "vnet-fabric"
"""The VNet's own routing (system routes, the gateways' routes), and the subnets' segments."""
INTERNET_NODE = "internet"
"""The segment between the VPN appliance and the VPN gateway's public IPs."""
VPN_GATEWAY_PREFIX = "vpn-gateway-"
VPN_GATEWAY_INSTANCES = 2
"""An active-active VPN gateway has two instances (``vpn-gateway-0``, ``vpn-gateway-1``)."""
AZURE_GATEWAY_ASN = 65515
"""Both virtual network gateways speak for the VNet as AS 65515 (the ExpressRoute gateway always)."""


def vpn_gateway_node(index: int) -> str:
    """Name of one VPN gateway instance."""
    return f"{VPN_GATEWAY_PREFIX}{index}"


def msee_node(circuit_index: int, link: str) -> str:
    """Name of the MSEE at the Microsoft end of ``link`` of the ``circuit_index``-th circuit (``all_circuits``
    order): the first circuit's keep the reference's names, the next ones are ``msee2-primary``, ..."""
    return MSEE_NODES[link] if circuit_index == 0 else f"msee{circuit_index + 1}-{link}"


def is_msee_node(name: str) -> bool:
    return re.fullmatch(r"msee([0-9]+)?-(primary|secondary)", name) is not None


SPOKE_NODE_PREFIX = "vnet-spoke"


def spoke_node(index: int) -> str:
    """Name of the node that stands for the ``index``-th spoke VNet's own fabric (``spokes`` order)."""
    return f"{SPOKE_NODE_PREFIX}{index + 1}"


def is_reserved_node_name(name: str) -> bool:
    """Whether ``name`` (any case) is, or has the form of, a name the lab gives an Azure-side node."""
    key = name.lower()
    return (key in RESERVED_NODE_NAMES or is_msee_node(key) or is_vpn_gateway_node(key)
            or re.fullmatch(rf"{SPOKE_NODE_PREFIX}[0-9]+", key) is not None)


def is_vpn_gateway_node(name: str) -> bool:
    """Whether ``name`` is an instance of the VPN gateway: the one place that name is matched."""
    return name.startswith(VPN_GATEWAY_PREFIX)


RESERVED_NODE_NAMES = frozenset(
    {*MSEE_NODES.values(), ER_GATEWAY_NODE, VNET_FABRIC_NODE, INTERNET_NODE,
     *(vpn_gateway_node(i) for i in range(VPN_GATEWAY_INSTANCES))}
)
"""The lab's fixed Azure-side node names: no device or workload may take one."""

_NODE = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?")
_AZURE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_RESOURCE_GROUP = re.compile(r"[-\w.() ]+")
_LAB = re.compile(r"[a-z0-9][a-z0-9-]*")
_ENV = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _shown(value: str) -> str:
    return repr(value if len(value) <= 60 else value[:57] + "...")


def validate_node_name(value: str) -> str:
    """A device, host or workload name: it becomes a namespace, a directory and a host name."""
    if len(value) > MAX_NODE_NAME:
        raise ValueError(f"name {_shown(value)} has {len(value)} characters; a node name has at most "
                         f"{MAX_NODE_NAME} (it becomes a lab namespace, directory and socket path)")
    if not _NODE.fullmatch(value):
        raise ValueError(f"name {_shown(value)} is not a valid node name: use 1-{MAX_NODE_NAME} letters, digits "
                         "and '-', starting and ending with a letter or digit (no '/', '.', spaces or "
                         "control characters)")
    return value


def validate_azure_name(value: str, limit: int = MAX_AZURE_NAME) -> str:
    """An Azure resource name (or a reference to one): Azure's own character set and length."""
    if len(value) > limit:
        raise ValueError(f"name {_shown(value)} has {len(value)} characters; Azure allows at most {limit}")
    if not _AZURE.fullmatch(value):
        raise ValueError(f"name {_shown(value)} is not a valid Azure resource name: use 1-{limit} letters, "
                         "digits, '_', '.' and '-', starting with a letter or digit")
    return value


def validate_resource_group_name(value: str) -> str:
    """Azure's resource-group rule: letters, digits, '_', '-', '.', '(', ')' (and the spaces exports show)."""
    if len(value) > MAX_RESOURCE_GROUP_NAME or not _RESOURCE_GROUP.fullmatch(value) or value.endswith("."):
        raise ValueError(f"resource group {_shown(value)} is not a valid name: use 1-{MAX_RESOURCE_GROUP_NAME} "
                         "letters, digits, '_', '-', '.', '(' and ')', not ending in '.'")
    return value


def validate_lab_name(value: str) -> str:
    """A lab name: part of every namespace (``hn.<lab>.<node>``) and of the path ``/run/hybridnet/<lab>``."""
    if len(value) > MAX_LAB_NAME or not _LAB.fullmatch(value):
        raise ValueError(f"invalid lab name {_shown(value)}: use 1-{MAX_LAB_NAME} characters: lower-case "
                         "letters, digits and '-', starting with a letter or digit")
    return value


def validate_text(value: str) -> str:
    """Free text (descriptions, provider names): one line of printable characters."""
    if len(value) > MAX_TEXT:
        raise ValueError(f"text has {len(value)} characters; at most {MAX_TEXT} are allowed")
    if not value.isprintable():
        raise ValueError("text contains a line break or another control character; write it on one line")
    return value


_PORT = re.compile(r"[0-9]{1,5}")
_SERVICE_TAG = re.compile(r"[A-Za-z][A-Za-z0-9._-]{0,79}")


def validate_nsg_addresses(value: str) -> str:
    """An NSG rule's source or destination: '*', service tags (VirtualNetwork, Internet, Storage.WestEurope),
    IP addresses or CIDR prefixes, several separated by commas. Anything else reaches ``check`` as a rule
    that silently never matches, and the emulator as text in a firewall rule."""
    validate_text(value)
    for item in value.split(","):
        item = item.strip()
        if item == "*" or _SERVICE_TAG.fullmatch(item):
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ValueError(f"{_shown(item)} is not an NSG address: use '*', a service tag such as "
                             "VirtualNetwork, Internet or AzureLoadBalancer, an IP address or a CIDR prefix "
                             "(several separated by commas)") from None
    return value


def validate_nsg_ports(value: str) -> str:
    """An NSG rule's port field: '*', a port, a range such as 8000-8080, or a comma list of those."""
    validate_text(value)
    for item in value.split(","):
        item = item.strip()
        if item == "*":
            continue
        low, dash, high = item.partition("-")
        if not (_PORT.fullmatch(low) and (not dash or _PORT.fullmatch(high))  # ASCII digits: not '８０'
                and int(low) <= 65535 and int(high or low) <= 65535 and int(low) <= int(high or low)):
            raise ValueError(f"{_shown(item)} is not an NSG port: use '*', a port 0-65535, a range such as "
                             "8000-8080, or several separated by commas")
    return value


def validate_env_name(value: str) -> str:
    if len(value) > 255 or not _ENV.fullmatch(value):
        raise ValueError(f"{_shown(value)} is not an environment variable name: use letters, digits and '_', "
                         "not starting with a digit")
    return value


def validate_file_reference(value: str) -> str:
    if not value or len(value) > 4096 or not value.isprintable():
        raise ValueError("the file name is empty, too long or contains a line break or control character")
    return value


NodeName = Annotated[str, AfterValidator(validate_node_name),
                     Field(description=f"A node name: 1-{MAX_NODE_NAME} letters, digits and '-'.")]
AzureName = Annotated[str, AfterValidator(validate_azure_name),
                      Field(description=f"An Azure resource name: 1-{MAX_AZURE_NAME} letters, digits, '_', '.', '-'.")]
ResourceGroupName = Annotated[str, AfterValidator(validate_resource_group_name)]
Text = Annotated[str, AfterValidator(validate_text)]
EnvName = Annotated[str, AfterValidator(validate_env_name)]
NsgAddresses = Annotated[str, AfterValidator(validate_nsg_addresses)]
NsgPorts = Annotated[str, AfterValidator(validate_nsg_ports)]
FileReference = Annotated[str, AfterValidator(validate_file_reference)]


def node_names(topology: Topology) -> Iterator[tuple[str, str]]:
    """Every name that becomes a lab node, with its field path: on-prem devices, hosts, site links, workloads."""
    onprem = topology.onprem
    if onprem is not None:
        yield "onprem.core_router.name", onprem.core_router.name
        for i, router in enumerate(onprem.edge_routers):
            yield f"onprem.edge_routers.{i}.name", router.name
        if onprem.vpn_appliance is not None:
            yield "onprem.vpn_appliance.name", onprem.vpn_appliance.name
        for i, subnet in enumerate(onprem.subnets):
            for j, host in enumerate(subnet.hosts):
                yield f"onprem.subnets.{i}.hosts.{j}.name", host.name
    for k, site in enumerate(topology.sites):
        for i, device in enumerate(site.devices):
            yield f"sites.{k}.devices.{i}.name", device.name
        for i, subnet in enumerate(site.subnets):
            for j, host in enumerate(subnet.hosts):
                yield f"sites.{k}.subnets.{i}.hosts.{j}.name", host.name
        for i, link in enumerate(site.effective_links):
            yield (f"sites.{k}.links.{i}.name" if site.links else f"sites.{k}.devices"), link.node_name
    for i, workload in enumerate(topology.workloads):
        yield f"workloads.{i}.name", workload.name


def node_name_clashes(topology: Topology) -> list[tuple[str, str]]:
    """Every node name used twice or taken from the Azure side, as (field path, message).

    Nodes share one namespace (the lab's, and ``render device -o DIR``'s directories), so two
    devices of one name would silently become one, and the analysis would reason about a network
    that is not the one described. Compared without case: directories on some systems ignore it.
    """
    problems: list[tuple[str, str]] = []
    first: dict[str, str] = {}
    for path, name in node_names(topology):
        key = name.lower()
        if not _NODE.fullmatch(name) or len(name) > MAX_NODE_NAME:  # a derived link name ('<a>-<b>')
            problems.append((path, f"link name {_shown(name)} (derived from its two devices) is not a valid node "
                                   f"name of at most {MAX_NODE_NAME} characters: list the links under "
                                   "'links:' with a 'name'"))
        elif is_reserved_node_name(key):
            problems.append((path, f"node name {name!r} is the lab's name for an Azure-side node "
                                   f"({', '.join(sorted(RESERVED_NODE_NAMES))}, msee<N>-primary/secondary and "
                                   "vnet-spoke<N> are taken)"))
        elif key in first:
            problems.append((path, f"node name {name!r} is already used by {first[key]}: device, host, "
                                   "link and workload names must be unique"))
        else:
            first[key] = path
    return problems
