"""The emulated Azure VPN gateway accepts what Azure accepts, and says why when it does not.

One small lab (one gateway instance, one workload), real charon on both ends. The on-prem end is
re-configured proposal by proposal (rewrite its swanctl.conf, ``swanctl --load-all``, restart the
IKE SA) rather than one lab per proposal. A second small lab checks a VNet with two address spaces.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from ipaddress import IPv4Address
from typing import Any

import pytest

from hybridnet.emulate import Lab, down, plan
from hybridnet.emulate.ike_diagnosis import diagnose
from hybridnet.emulate.plan import VPN
from hybridnet.emulate.status import lab_status, trace_path
from hybridnet.waiting import poll_until
from tests.conftest import reference_document, topology_from
from tests.lab.conftest import lab_name

pytestmark = pytest.mark.lab

ONPREM = "onprem-vpn"
GATEWAY = "vpn-gateway-0"
TUNNEL = "azure-0"



def lean_document() -> dict[str, Any]:
    """The reference cut down to what a VPN test needs: one gateway instance, one subnet, one VM."""
    document = reference_document()
    document["load_balancers"] = []
    document["workloads"] = [w for w in document["workloads"] if w["name"] == "web-vm1"]
    document["vnet"]["subnets"] = [s for s in document["vnet"]["subnets"] if s["name"] in ("GatewaySubnet", "web")]
    document["nsgs"] = [n for n in document["nsgs"] if n["name"] == "web-nsg"]
    gateway = next(g for g in document["gateways"] if g["type"] == "Vpn")
    gateway["active_active"] = False
    gateway["instances"] = gateway["instances"][:1]
    document["onprem"]["vpn_appliance"]["bgp_addresses"] = document["onprem"]["vpn_appliance"]["bgp_addresses"][:1]
    return document


@pytest.fixture(scope="module")
def vpn_lab() -> Iterator[Lab]:
    name = lab_name("ipsec")
    try:
        yield Lab.up(plan(topology_from(lean_document()), lab=name), timeout_s=60)
    finally:
        down(name)


def child_sa(lab: Lab, node: str, connection: str) -> dict[str, Any] | None:
    for sa in lab.ipsec_sas(node):
        for name, ike in sa.items():
            if name == connection:
                for child in ike.get("child-sas", {}).values():
                    if child.get("state") == "INSTALLED":
                        return dict(child)
    return None


def offer(lab: Lab, ike: str, esp: str) -> None:
    """Re-configure the on-prem end to offer ``ike`` and ``esp`` only, and start its tunnel afresh."""
    config = lab.node_directory(ONPREM) / "swanctl.conf"
    text = config.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^(\s*)proposals = .*$", rf"\g<1>proposals = {ike}", text)
    text = re.sub(r"(?m)^(\s*)esp_proposals = .*$", rf"\g<1>esp_proposals = {esp}", text)
    config.write_text(text, encoding="utf-8")
    for node, connection in ((ONPREM, TUNNEL), (GATEWAY, "onprem")):
        lab.run(node, ["swanctl", "--terminate", "--ike", connection, "--timeout", "3"])
    loaded = lab.run(ONPREM, ["swanctl", "--load-all", "--noprompt", "--file", str(config)])
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    # --load-all keeps a changed connection's old SA; truncating the logs keeps old failures out of the diagnosis.
    for node in (ONPREM, GATEWAY):
        (lab.node_directory(node) / "charon.log").write_text("", encoding="utf-8")
    lab.run(ONPREM, ["swanctl", "--initiate", "--child", TUNNEL, "--timeout", "5"])


def reason(lab: Lab) -> str:
    return next((i["reason"] or "" for i in lab_status(lab).ipsec if i["node"] == ONPREM), "")


def rekey(lab: Lab, node: str, child: str) -> dict[str, Any] | None:
    """Force a CHILD SA rekey from ``node``; the replacement SA once installed (None if it never is)."""
    before = child_sa(lab, node, TUNNEL if node == ONPREM else "onprem")
    assert before is not None
    lab.run(node, ["swanctl", "--rekey", "--child", child])
    connection = TUNNEL if node == ONPREM else "onprem"

    def replaced() -> bool:
        after = child_sa(lab, node, connection)
        return after is not None and after.get("spi-in") != before.get("spi-in")

    return child_sa(lab, node, connection) if poll_until(replaced, 8) else None


# (IKE, ESP) pairs from Azure's lists: AES128 phase 1 (refused before), a responder-only ESP entry, 3DES.
ACCEPTED = [
    ("aes128-sha256-modp1024", "aes128-sha256"),
    ("aes128-sha1-modp1024", "aes256gcm16"),
    ("3des-sha256-modp1024", "3des-sha256"),
]
# ESP with PFS, then a rekey the on-prem end forces (Azure accepts PFS only at rekey).
ACCEPTED_PFS = [("aes256-sha256-modp1024", "aes256-sha256-modp2048", "MODP_2048"),
                ("aes256-sha1-modp1024", "aes256-sha1-modp2048s256", "MODP_2048_256")]


def test_azure_accepts_every_proposal_of_its_lists_and_pfs_at_rekey(vpn_lab: Lab) -> None:
    for ike, esp in ACCEPTED:
        offer(vpn_lab, ike, esp)
        assert poll_until(lambda: child_sa(vpn_lab, ONPREM, TUNNEL) is not None, 10), (ike, esp, reason(vpn_lab))
    for ike, esp, group in ACCEPTED_PFS:
        offer(vpn_lab, ike, esp)
        assert poll_until(lambda: child_sa(vpn_lab, ONPREM, TUNNEL) is not None, 10), (ike, esp, reason(vpn_lab))
        rekeyed = rekey(vpn_lab, ONPREM, TUNNEL)
        assert rekeyed is not None, (esp, reason(vpn_lab))
        assert rekeyed.get("dh-group") == group, rekeyed
    # Azure's own rekey of a CHILD SA carries no PFS, and the default on-prem end accepts it.
    offer(vpn_lab, "aes256-sha1-modp1024", "aes256-sha1")
    assert poll_until(lambda: child_sa(vpn_lab, ONPREM, TUNNEL) is not None, 10), reason(vpn_lab)
    rekeyed = rekey(vpn_lab, GATEWAY, "onprem")
    assert rekeyed is not None and "dh-group" not in rekeyed, rekeyed


# Outside Azure's lists: phase 1 AES192, ESP AES192, and a PFS group Azure does not pair with AES128/SHA256.
REFUSED = [
    ("aes192-sha256-modp2048", "aes256-sha1", "AES_CBC_192"),
    ("aes256-sha1-modp1024", "aes192-sha256", "AES_CBC_192"),
]


def test_proposals_outside_azures_lists_are_refused_with_what_each_side_offered(vpn_lab: Lab) -> None:
    for ike, esp, named in REFUSED:
        offer(vpn_lab, ike, esp)
        assert poll_until(lambda: "no proposal chosen" in reason(vpn_lab), 10), (ike, esp, reason(vpn_lab))
        why = reason(vpn_lab)
        assert named in why and f"{GATEWAY} accepts" in why, why
        assert child_sa(vpn_lab, ONPREM, TUNNEL) is None
    # The first CHILD SA carries no key exchange and comes up; the rekey with ECP256 is refused.
    offer(vpn_lab, "aes256-sha1-modp1024", "aes128-sha256-ecp256")
    assert poll_until(lambda: child_sa(vpn_lab, ONPREM, TUNNEL) is not None, 10), reason(vpn_lab)
    assert rekey(vpn_lab, ONPREM, TUNNEL) is None
    why = diagnose(vpn_lab, ONPREM, TUNNEL) or ""
    assert "no proposal chosen" in why and "ECP_256" in why, why


def test_vpn_reaches_every_address_space_of_the_vnet() -> None:
    document = lean_document()
    document["vnet"]["address_space"] = ["10.0.0.0/16", "10.1.0.0/16"]
    document["vnet"]["subnets"].append({"name": "app2", "prefix": "10.1.1.0/24", "nsg": "web-nsg"})
    document["workloads"].append({"name": "app2-vm1", "subnet": "app2", "address": "10.1.1.4", "port": 80})
    gateway = next(g for g in document["gateways"] if g["type"] == "Vpn")
    reference = reference_document()
    gateway["active_active"] = True  # the narrowed selectors: one CHILD SA policy per address space
    gateway["instances"] = next(g for g in reference["gateways"] if g["type"] == "Vpn")["instances"]
    document["onprem"]["vpn_appliance"]["bgp_addresses"] = reference["onprem"]["vpn_appliance"]["bgp_addresses"]
    name = lab_name("spaces")
    try:
        lab = Lab.up(plan(topology_from(document), lab=name), timeout_s=60)
        for ce in ("onprem-ce1", "onprem-ce2"):
            lab.set_link(ce, "msee-primary" if ce == "onprem-ce1" else "msee-secondary", up=False)
        for address, workload in (("10.0.1.4", "web-vm1"), ("10.1.1.4", "app2-vm1")):
            assert poll_until(lambda a=address: trace_path(lab, "onprem-host1", IPv4Address(a)).via == VPN, 20)
            # the way back converges on its own (the gateways withdraw the ExpressRoute routes separately)
            assert poll_until(lambda w=workload: trace_path(lab, w, IPv4Address("192.168.1.10")).via == VPN, 20)
            answer = lab.run("onprem-host1", ["curl", "-s", "-m", "3", f"http://{address}/"])
            assert answer.stdout.strip() == workload, answer
    finally:
        down(name)
