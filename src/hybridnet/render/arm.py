"""The Azure side of a topology as an ARM deployment: a template and its parameters file.

The template (schema 2019-04-01, Microsoft.Network 2023-09-01) holds everything Azure runs: the hub VNet
and its spokes with both sides of each peering, subnets, NSGs, route tables, public IPs, both gateways,
every local network gateway, every circuit with its peering, every connection and the internal load
balancers. Secrets are ``secureString`` parameters
without a default; the parameters file leaves them out (``az`` then prompts) or points at Key Vault,
so no key ever lands in a file we write.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hybridnet.model import Topology
from hybridnet.render import arm_resources as build
from hybridnet.render.arm_resources import (
    CIRCUIT_PROVISIONED_PARAMETER,
    MD5_KEY_PARAMETER,
    SHARED_KEY_PARAMETER,
)
from hybridnet.render.output import replace_file

TEMPLATE_SCHEMA_URL = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
PARAMETERS_SCHEMA_URL = "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#"
TEMPLATE_FILE = "azuredeploy.json"
PARAMETERS_FILE = "azuredeploy.parameters.json"
METADATA_KEY = "hybridnet"


@dataclass(frozen=True)
class KeyVaultSecret:
    """A Key Vault secret the parameters file can point the shared key at."""

    vault_id: str
    secret_name: str


@dataclass(frozen=True)
class ArmDeployment:
    """A rendered deployment: the template and its parameters file, as JSON-ready dicts."""

    template: dict[str, Any]
    parameters: dict[str, Any]

    def write(self, directory: Path) -> list[Path]:
        """Write both files (mode 0644: they hold no secret) and return their paths."""
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for name, document in ((TEMPLATE_FILE, self.template), (PARAMETERS_FILE, self.parameters)):
            path = directory / name
            replace_file(path, json.dumps(document, indent=2) + "\n", 0o644)  # never through a link in the directory
            written.append(path)
        return written


def _parameters(topology: Topology) -> dict[str, Any]:
    parameters: dict[str, Any] = {
        "location": {
            "type": "string",
            "defaultValue": "[resourceGroup().location]",
            "metadata": {"description": "Azure region of every resource."},
        },
    }
    parameters[CIRCUIT_PROVISIONED_PARAMETER] = {
        "type": "bool",
        "defaultValue": True,
        "metadata": {
            "description": "false for a first deployment, before the provider has provisioned the "
            "circuit (give it the circuitServiceKey output): the peerings and the "
            "ExpressRoute connection are then created by the next deployment."
        },
    }
    for parameter, connections in shared_key_parameters(topology).items():
        names = ", ".join(connections)
        parameters[parameter] = {
            "type": "securestring",
            "metadata": {
                "description": f"Pre-shared key of the site-to-site VPN connection(s) {names} (printable "
                "ASCII, no space, '-' or '~'). The on-prem VPN device uses the same key."
            },
        }
    for circuit in topology.all_circuits:
        peering = circuit.private_peering
        if peering is not None and peering.md5_key is not None:
            parameters[md5_key_parameter(topology, circuit.name)] = {
                "type": "securestring",
                "metadata": {"description": f"MD5 key of the private-peering BGP sessions of circuit {circuit.name}."},
            }
    return parameters


def shared_key_parameters(topology: Topology) -> dict[str, list[str]]:
    """One ``securestring`` parameter per distinct key reference, with the connections that use it.

    The connections that share the first connection's key (the reference's one connection, or branches
    sharing a key) use ``vpnSharedKey``; a connection whose key is referenced elsewhere (its own variable or
    file) gets ``vpnSharedKey-<connection>``, so no two different keys are ever forced into one."""
    parameters: dict[str, list[str]] = {}
    first = None
    for connection in topology.ipsec_connections:
        if first is None:
            first = connection.shared_key
        parameter = (SHARED_KEY_PARAMETER if connection.shared_key == first
                     else f"{SHARED_KEY_PARAMETER}-{connection.name}")
        parameters.setdefault(parameter, []).append(connection.name)
    return parameters


def md5_key_parameter(topology: Topology, circuit: str) -> str:
    """``privatePeeringMd5Key`` for the first circuit (as before estates), ``-<circuit>`` for the others."""
    first = topology.all_circuits[0].name if topology.all_circuits else None
    return MD5_KEY_PARAMETER if circuit == first else f"{MD5_KEY_PARAMETER}-{circuit}"


def _resources(topology: Topology) -> list[dict[str, Any]]:
    resources = [build.network_security_group(nsg) for nsg in topology.nsgs]
    resources += [build.route_table(table) for table in topology.route_tables]
    resources += [build.virtual_network(vnet) for vnet in topology.all_vnets]
    for er in topology.er_gateways:
        zone_redundant = er.sku.endswith("AZ")
        resources.append(build.public_ip(build.er_gateway_public_ip(er), zone_redundant))
    for vpn in topology.vpn_gateways:
        resources += [build.public_ip(i.public_ip, vpn.sku.endswith("AZ")) for i in vpn.instances]
    resources += [build.er_gateway(er, topology) for er in topology.er_gateways]
    resources += [build.vpn_gateway(vpn, topology) for vpn in topology.vpn_gateways]
    for spoke in topology.spokes:
        resources += build.vnet_peerings(spoke, topology)
    resources += [build.local_network_gateway(lng) for lng in topology.local_network_gateways]
    for circuit in topology.all_circuits:
        resources.append(build.expressroute_circuit(circuit))
        resources += build.circuit_peerings(circuit, md5_key_parameter(topology, circuit.name))
    key_of = {name: parameter for parameter, names in shared_key_parameters(topology).items() for name in names}
    for connection in topology.connections:
        if connection.type == "IPsec":
            resources.append(build.ipsec_connection(connection, key_of[connection.name]))
        else:
            resources.append(build.expressroute_connection(connection, topology.find_circuit(connection.circuit)))
    resources += [build.load_balancer(lb, topology) for lb in topology.load_balancers]
    return resources


def render_template(topology: Topology) -> dict[str, Any]:
    """The deployment template for the topology's Azure side."""
    resource_ids = {
        name: f"[resourceId('{kind}', '{resource}')]"
        for name, kind, resource in (
            ("vnetId", "Microsoft.Network/virtualNetworks", topology.vnet.name),
            ("circuitId", "Microsoft.Network/expressRouteCircuits", topology.circuit.name),
        )
    }
    outputs: dict[str, Any] = {name: {"type": "string", "value": v} for name, v in resource_ids.items()}
    outputs["circuitServiceKey"] = {
        "type": "string",
        "value": f"[reference({resource_ids['circuitId'][1:-1]}).serviceKey]",
    }
    for circuit in topology.circuits:  # the further circuits' keys go to their providers too
        circuit_id = build.resource_id("expressRouteCircuits", circuit.name)[1:-1]
        outputs[f"circuitServiceKey-{circuit.name}"] = {
            "type": "string", "value": f"[reference({circuit_id}).serviceKey]"}
    return {
        "$schema": TEMPLATE_SCHEMA_URL,
        "contentVersion": "1.0.0.0",
        "metadata": {
            METADATA_KEY: {
                "topology": topology.name,
                "description": topology.description,
                "resourceGroup": topology.resource_group,
            },
        },
        "parameters": _parameters(topology),
        "resources": _resources(topology),
        "outputs": outputs,
    }


def render_parameters(topology: Topology, shared_key_secret: KeyVaultSecret | None = None) -> dict[str, Any]:
    """The parameters file. The shared key is absent (prompted at deploy time) or a Key Vault reference."""
    parameters: dict[str, Any] = {"location": {"value": topology.location}}
    if SHARED_KEY_PARAMETER in shared_key_parameters(topology) and shared_key_secret is not None:
        parameters[SHARED_KEY_PARAMETER] = {
            "reference": {
                "keyVault": {"id": shared_key_secret.vault_id},
                "secretName": shared_key_secret.secret_name,
            },
        }
    return {"$schema": PARAMETERS_SCHEMA_URL, "contentVersion": "1.0.0.0", "parameters": parameters}


def render_arm(topology: Topology, shared_key_secret: KeyVaultSecret | None = None) -> ArmDeployment:
    """Template and parameters file for the topology's Azure side."""
    return ArmDeployment(render_template(topology), render_parameters(topology, shared_key_secret))
