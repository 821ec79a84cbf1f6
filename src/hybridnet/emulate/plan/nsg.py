"""A network security group as an nftables ruleset, enforced in the workload's own namespace.

Azure evaluates NSG rules by priority, first match wins, statefully (return traffic of an allowed
flow is allowed), and after the user's rules come the defaults: allow VirtualNetwork to
VirtualNetwork, allow the AzureLoadBalancer tag (168.63.129.16) inbound, deny the rest inbound;
allow VirtualNetwork and Internet outbound. A deny drops silently, as Azure does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from ipaddress import IPv4Network

from hybridnet.emulate.errors import LabError
from hybridnet.model import NetworkSecurityGroup, SecurityRule

AZURE_LOAD_BALANCER = "168.63.129.16"
NSG_TABLE = "hybridnet_nsg"
"""The nftables table (family inet) that holds a workload's NSG; its chain ``inbound`` the inbound rules."""

_DEFAULT_INBOUND = (
    SecurityRule(
        name="AllowVnetInBound",
        priority=4096,
        access="Allow",
        protocol="*",
        source="VirtualNetwork",
        destination="VirtualNetwork",
    ),
    SecurityRule(
        name="AllowAzureLoadBalancerInBound",
        priority=4096,
        access="Allow",
        protocol="*",
        source="AzureLoadBalancer",
    ),
    SecurityRule(name="DenyAllInBound", priority=4096, access="Deny", protocol="*"),
)
_DEFAULT_OUTBOUND = (
    SecurityRule(
        name="AllowVnetOutBound",
        priority=4096,
        direction="Outbound",
        access="Allow",
        protocol="*",
        source="VirtualNetwork",
        destination="VirtualNetwork",
    ),
    SecurityRule(
        name="AllowInternetOutBound",
        priority=4096,
        direction="Outbound",
        access="Allow",
        protocol="*",
        destination="Internet",
    ),
    SecurityRule(name="DenyAllOutBound", priority=4096, direction="Outbound", access="Deny", protocol="*"),
)


def nsg_ruleset(nsg: NetworkSecurityGroup | None, virtual_network: list[IPv4Network]) -> str:
    """The nftables script for a VM's NSG (``None``: no NSG, everything allowed, as in Azure)."""
    vnet = ", ".join(str(p) for p in virtual_network)
    lines = [
        f"table inet {NSG_TABLE}",
        f"delete table inet {NSG_TABLE}",
        f"table inet {NSG_TABLE} {{",
        f"    set virtual_network {{ type ipv4_addr; flags interval; elements = {{ {vnet} }} }}",
    ]
    for chain, hook, direction, defaults in (
        ("inbound", "input", "Inbound", _DEFAULT_INBOUND),
        ("outbound", "output", "Outbound", _DEFAULT_OUTBOUND),
    ):
        policy = "drop" if nsg is not None else "accept"
        lines += [
            f"    chain {chain} {{",
            f"        type filter hook {hook} priority filter; policy {policy};",
            "        ct state established,related accept",
            "        meta iif lo accept" if hook == "input" else "        meta oif lo accept",
            "        meta nfproto ipv6 accept",
        ]
        if nsg is not None:
            rules = sorted((r for r in nsg.rules if r.direction == direction), key=lambda r: r.priority)
            for rule in (*rules, *defaults):
                lines.append(f"        {_rule(rule)}")
        lines.append("    }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _rule(rule: SecurityRule) -> str:
    parts: list[str] = []
    protocol = {"Tcp": "tcp", "Udp": "udp", "Icmp": "icmp", "*": None}[rule.protocol]
    ports = _ports(rule.destination_port, rule)
    source_ports = _ports(rule.source_port, rule)
    if protocol is not None:
        parts.append(f"meta l4proto {protocol}")
    elif ports or source_ports:
        parts.append("meta l4proto { tcp, udp }")
    source = _addresses("saddr", rule.source, rule)
    destination = _addresses("daddr", rule.destination, rule)
    if source is None or destination is None:
        tag = rule.source if source is None else rule.destination
        return f"# {rule.name}: {tag} holds no lab address, so the rule matches nothing"
    parts += source + destination
    if source_ports and protocol != "icmp":
        parts.append(f"th sport {source_ports}")
    if ports and protocol != "icmp":
        parts.append(f"th dport {ports}")
    verdict = "accept" if rule.access == "Allow" else "drop"
    parts.append(f'{verdict} comment "{rule.name}"')
    return " ".join(parts)


_TAGS = {
    "virtualnetwork": "@virtual_network",
    "internet": "!= @virtual_network",
    "azureloadbalancer": AZURE_LOAD_BALANCER,
}
"""Service tags the lab can place (Azure matches tags without regard to case)."""


def _addresses(field: str, value: str, rule: SecurityRule) -> list[str] | None:
    """The nft match for an NSG address field; None when it is a service tag no lab address belongs to
    (Storage, Sql, …): like ``check``, the lab then treats the rule as matching no hybrid flow."""
    items = [item.strip() for item in value.split(",") if item.strip()]
    if any(item.lower() in ("*", "any") for item in items):
        return []
    if len(items) == 1 and items[0].lower() in _TAGS:
        return [f"ip {field} {_TAGS[items[0].lower()]}"]
    prefixes = []
    for item in items:
        try:
            prefixes.append(IPv4Network(item, strict=False))
        except ValueError:
            if item.lower() in _TAGS:
                raise LabError(
                    f"NSG rule {rule.name}: cannot emulate the tag {item!r} inside a list {value!r}",
                    fix="give the tag a rule of its own",
                ) from None
            if not item.replace(".", "").replace("-", "").isalnum():
                raise LabError(
                    f"NSG rule {rule.name}: cannot emulate the address {item!r}",
                    fix="use a CIDR, '*', or a service tag such as VirtualNetwork, Internet, AzureLoadBalancer",
                ) from None
            # another service tag (Storage.WestEurope, Sql, …): none of the lab's addresses is in it
    if not prefixes:
        return None
    return [f"ip {field} {{ {', '.join(str(p) for p in prefixes)} }}"]


def _ports(value: str, rule: SecurityRule) -> str | None:
    value = value.strip()
    if value in ("*", "Any", "any", ""):
        return None
    items = []
    for item in value.split(","):
        item = item.strip()
        low, _, high = item.partition("-")
        if not (low.isascii() and low.isdigit()) or (high and not (high.isascii() and high.isdigit())):
            raise LabError(
                f"NSG rule {rule.name}: cannot read the port {item!r}",
                fix="use a port, a range such as 8000-8080, a comma list or '*'",
            )
        items.append(f"{low}-{high}" if high else low)
    return "{ " + ", ".join(items) + " }"


def pinhole_rule(source: str, ports: Sequence[int], tag: str) -> str:
    """An NSG rule that lets ``source`` reach ``ports`` (TCP and UDP), tagged so it can be found again:
    the rule one adds in Azure to let a probe through."""
    return (f"ip saddr {source} meta l4proto {{ tcp, udp }} "
            f"th dport {{ {', '.join(str(p) for p in ports)} }} accept comment \"{tag}\"")


def pinhole_handles(listing: str, tag: str) -> list[str]:
    """The handles of the rules tagged ``tag`` in ``nft -a list chain`` output."""
    return re.findall(rf'comment "{re.escape(tag)}" # handle (\d+)', listing)
