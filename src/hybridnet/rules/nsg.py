"""Network security groups, judged with Azure's own evaluation order and default rules.

Custom rules are read by priority, then Azure's defaults: AllowVnetInBound (65000, where the
VirtualNetwork tag also covers on-prem prefixes reached through the gateways), AllowAzureLoadBalancerInBound
(65001) and DenyAllInBound (65500). The NSG decides identically whether a flow arrives over ExpressRoute
or the VPN, so a wrong rule shows as "the application is down" on both paths, not as a failover problem.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

from hybridnet.model import NetworkSecurityGroup, SecurityRule, Topology
from hybridnet.rules.finding import Problem, Severity
from hybridnet.rules.registry import rule
from hybridnet.rules.sources import NSG_DEFAULTS, psrule

_ANY = frozenset({"*", "any", "0.0.0.0/0", "internet"})


@dataclass(frozen=True)
class Flow:
    """One inbound flow as an NSG sees it: where it comes from and what it asks for."""

    source: IPv4Address
    destination: IPv4Address
    protocol: str
    port: int
    from_load_balancer: bool = False


def virtual_network_tag(topology: Topology) -> tuple[IPv4Network, ...]:
    """What Azure's VirtualNetwork tag covers here: the VNet, and every on-prem range it routes to a gateway."""
    onprem = [*topology.onprem.address_space, *topology.onprem.advertised_over_vpn()]
    for router in topology.onprem.edge_routers:
        onprem += topology.onprem.advertised_over_er(router)
    for lng in topology.local_network_gateways:
        onprem += lng.address_prefixes
    return (*topology.vnet.address_space, *onprem)


def _source_matches(text: str, flow: Flow, vnet_tag: tuple[IPv4Network, ...]) -> bool:
    """Whether the rule's source (one entry or a comma list, as the model allows) covers the flow."""
    return any(_one_source_matches(item, flow, vnet_tag) for item in text.split(","))


def _one_source_matches(text: str, flow: Flow, vnet_tag: tuple[IPv4Network, ...]) -> bool:
    value = text.strip().lower()
    if value in ("*", "any"):
        return True
    if value == "virtualnetwork":
        return not flow.from_load_balancer and any(flow.source in net for net in vnet_tag)
    if value == "azureloadbalancer":
        return flow.from_load_balancer
    if value == "internet":
        return not flow.from_load_balancer and not any(flow.source in net for net in vnet_tag)
    try:
        return not flow.from_load_balancer and flow.source in IPv4Network(text.strip(), strict=False)
    except ValueError:
        return False  # a service tag this model does not know: never matches a hybrid flow


def _port_matches(text: str, port: int) -> bool:
    for part in text.replace(" ", "").split(","):
        if part in ("*", ""):
            return True
        low, _, high = part.partition("-")
        try:
            if int(low) <= port <= int(high or low):
                return True
        except ValueError:
            continue
    return False


def deciding_rule(nsg: NetworkSecurityGroup, flow: Flow, vnet_tag: tuple[IPv4Network, ...]) -> tuple[str, bool]:
    """(name, allowed) of the rule that decides ``flow``: the first match by priority, then the defaults."""
    inbound = sorted((r for r in nsg.rules if r.direction == "Inbound"), key=lambda r: r.priority)
    for candidate in inbound:
        protocol_ok = candidate.protocol == "*" or candidate.protocol.lower() == flow.protocol.lower()
        if (protocol_ok and _source_matches(candidate.source, flow, vnet_tag)
                and _port_matches(candidate.destination_port, flow.port)):
            return f"{candidate.name} (priority {candidate.priority})", candidate.access == "Allow"
    if flow.from_load_balancer:
        return "AllowAzureLoadBalancerInBound (default, 65001)", True
    if any(flow.source in net for net in vnet_tag):
        return "AllowVnetInBound (default, 65000)", True
    return "DenyAllInBound (default, 65500)", False


def _nsg_rules(topology: Topology) -> Iterator[tuple[str, SecurityRule]]:
    for n, nsg in enumerate(topology.nsgs):
        for r, security_rule in enumerate(nsg.rules):
            yield f"nsgs.{n}.rules.{r}", security_rule


@rule("HN-NSG-001", "No NSG rule allows inbound traffic from any source", Severity.WARNING,
      psrule("Azure.NSG.AnyInboundSource"), psrule="Azure.NSG.AnyInboundSource")
def no_any_inbound_source(topology: Topology) -> Iterator[Problem]:
    """An allow rule with source '*' admits every network that can route to the subnet: the internet if
    anything there has a public IP, and every on-prem and peered range."""
    for path, security_rule in _nsg_rules(topology):
        if (security_rule.direction == "Inbound" and security_rule.access == "Allow"
                and security_rule.source.strip().lower() in _ANY):
            yield Problem(f"{path}.source", f"NSG rule {security_rule.name} allows inbound port "
                          f"{security_rule.destination_port} from any source",
                          "name the sources: VirtualNetwork, the on-prem range, or specific subnets")


@rule("HN-NSG-002", "No NSG rule denies all inbound traffic", Severity.WARNING,
      psrule("Azure.NSG.DenyAllInbound"), psrule="Azure.NSG.DenyAllInbound")
def no_deny_all_inbound(topology: Topology) -> Iterator[Problem]:
    """A custom deny-all (any source, any port) sits above Azure's AllowAzureLoadBalancerInBound (65001): the
    internal load balancer's health probes are dropped, every backend is marked down, and the application
    is unreachable over ExpressRoute and VPN alike. Azure's own DenyAllInBound (65500) already denies the
    rest."""
    for path, security_rule in _nsg_rules(topology):
        if (security_rule.direction == "Inbound" and security_rule.access == "Deny"
                and security_rule.source.strip().lower() in {"*", "any"}
                and security_rule.destination_port.strip() == "*"):
            yield Problem(path, f"NSG rule {security_rule.name} (priority {security_rule.priority}) denies all "
                          "inbound traffic, including the load balancer's health probes",
                          "remove it (Azure's default DenyAllInBound applies anyway) or deny source "
                          "VirtualNetwork instead")


@rule("HN-NSG-003", "Every NSG is associated with a subnet", Severity.INFO,
      psrule("Azure.NSG.Associated"), psrule="Azure.NSG.Associated")
def nsg_associated(topology: Topology) -> Iterator[Problem]:
    """An NSG attached to nothing protects nothing; it usually means the subnet that needed it was missed."""
    used = {subnet.nsg for vnet in topology.all_vnets for subnet in vnet.subnets}
    for index, nsg in enumerate(topology.nsgs):
        if nsg.name not in used:
            yield Problem(f"nsgs.{index}", f"NSG {nsg.name} is not associated with any subnet",
                          "associate it with the subnet it was written for, or remove it")


@rule("HN-NSG-004", "On-premises hosts and health probes reach the load-balanced application", Severity.WARNING,
      NSG_DEFAULTS, legacy_onprem=True)
def load_balanced_app_reachable(topology: Topology) -> Iterator[Problem]:
    """The application behind the internal load balancer is what failover must keep reachable; if its NSG
    drops on-prem clients or the load balancer's probes, no path works, and a drill would blame the
    network."""
    tag = virtual_network_tag(topology)
    client = _onprem_client(topology)
    subnets = {subnet.name: subnet for subnet in topology.vnet.subnets}
    for lb_index, balancer in enumerate(topology.load_balancers):
        for member in balancer.backend_pool:
            workload = topology.workload(member)
            in_hub = workload is not None and topology.vnet_named(workload.vnet) is topology.vnet
            subnet = subnets.get(workload.subnet) if workload is not None and in_hub else None
            nsg = topology.nsg(subnet.nsg) if subnet is not None and subnet.nsg is not None else None
            if workload is None or nsg is None:
                continue
            flows = [(f"probe {balancer.probe.name}", Flow(IPv4Address("168.63.129.16"), workload.address, "Tcp",
                                                          balancer.probe.port, from_load_balancer=True))]
            if client is not None:
                flows += [(f"on-prem {client}", Flow(client, workload.address, lb_rule.protocol,
                                                     lb_rule.backend_port)) for lb_rule in balancer.rules]
            for label, flow in flows:
                decided_by, allowed = deciding_rule(nsg, flow, tag)
                if not allowed:
                    yield Problem(f"load_balancers.{lb_index}.backend_pool",
                                  f"{label} to {workload.name} {workload.address}:{flow.port}/{flow.protocol} is "
                                  f"denied by NSG {nsg.name} rule {decided_by}",
                                  f"allow it in {nsg.name} with a lower priority number than that rule")


def _onprem_client(topology: Topology) -> IPv4Address | None:
    for subnet in topology.onprem.subnets:
        if subnet.hosts:
            return subnet.hosts[0].address
    spaces = topology.onprem.address_space
    return next(spaces[0].hosts(), None) if spaces else None
