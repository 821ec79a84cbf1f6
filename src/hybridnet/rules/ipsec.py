"""The IPsec connection itself: pre-shared key, custom IPsec/IKE policy, lifetimes and DPD.

Only an inline key can be inspected: keys given by environment variable or file are read when a lab
or deployment needs them, never by a check, so a check never touches secrets outside the topology.
Messages describe a key (its length, which characters are wrong) and never repeat it.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Iterator

from hybridnet.model import IpsecConnection, IpsecPolicy, Topology
from hybridnet.model.azure_ipsec import EspProposal, IkeProposal, azure_proposals, onprem_proposals
from hybridnet.rules.finding import Problem, Severity
from hybridnet.rules.model_paths import connection_path
from hybridnet.rules.registry import rule
from hybridnet.rules.sources import IPSEC_POLICY, SECRETS, VPN_DEVICES, VPN_FAQ

LEGACY_VPN_SKUS = ("Basic", "Standard", "HighPerformance")
_FORBIDDEN_PSK = frozenset(" -~")
_PRINTABLE = frozenset(chr(code) for code in range(0x20, 0x7F))
MIN_STRONG_PSK = 20
WEAK_ALGORITHMS = frozenset({"DES", "DES3", "MD5", "DHGroup1", "DHGroup2", "PFS1", "PFS2"})


def _inline_keys(topology: Topology) -> Iterator[tuple[str, IpsecConnection, str]]:
    for connection in topology.ipsec_connections:
        secret = connection.shared_key.value
        if secret is not None:
            yield f"{connection_path(topology, connection)}.shared_key", connection, secret.get_secret_value()


def _policies(topology: Topology) -> Iterator[tuple[str, IpsecConnection, IpsecPolicy]]:
    for connection in topology.ipsec_connections:
        if connection.ipsec_policy is not None:
            yield f"{connection_path(topology, connection)}.ipsec_policy", connection, connection.ipsec_policy


@rule("HN-IPSEC-001", "The pre-shared key uses only characters Azure accepts", Severity.ERROR, VPN_FAQ)
def psk_charset(topology: Topology) -> Iterator[Problem]:
    """Azure takes printable ASCII except space, hyphen and tilde; a key it cannot store cannot match the
    device's, and the tunnel never comes up."""
    for path, connection, key in _inline_keys(topology):
        bad = sorted({_describe_char(c) for c in key if c in _FORBIDDEN_PSK or c not in _PRINTABLE})
        if bad or not key:
            found = ", ".join(bad) if bad else "nothing (the key is empty)"
            yield Problem(path, f"the shared key of {connection.name} contains {found}; Azure accepts "
                                "printable "
                          "ASCII except space, '-' and '~'", "generate a new key from letters and digits "
                                                             "only")


@rule("HN-IPSEC-002", "The pre-shared key is long and random enough", Severity.WARNING, VPN_FAQ)
def psk_strength(topology: Topology) -> Iterator[Problem]:
    """A captured IKE exchange lets anyone test guesses offline; a short key or one from a single character
    class falls quickly. Azure's own generated keys are long and random."""
    for path, connection, key in _inline_keys(topology):
        classes = sum(any(c in group for c in key) for group in
                      (string.ascii_lowercase, string.ascii_uppercase, string.digits, string.punctuation))
        if key and (len(key) < MIN_STRONG_PSK or classes < 2):
            yield Problem(path, f"the shared key of {connection.name} is {len(key)} characters from "
                                f"{classes} "
                          f"character class(es); aim for {MIN_STRONG_PSK}+ random characters",
                          "generate one, e.g. `openssl rand -base64 30 | tr -d '+/=-'`")


@rule("HN-IPSEC-003", "The pre-shared key is referenced, not written into the "
                      "topology", Severity.WARNING, SECRETS)
def psk_not_inline(topology: Topology) -> Iterator[Problem]:
    """Topology files are committed and shared; a key written into one is a key published to everyone with
    read access, for the life of the repository history."""
    for path, connection, _key in _inline_keys(topology):
        yield Problem(path, f"the shared key of {connection.name} is written inline in the topology",
                      "use shared_key: {env: HYBRIDNET_VPN_SHARED_KEY} or {file: vpn.key} (mode 0600)")


@rule("HN-IPSEC-004", "GCM is used for both IPsec encryption and integrity, with the same key length",
      Severity.ERROR, IPSEC_POLICY)
def gcm_pairing(topology: Topology) -> Iterator[Problem]:
    """With GCMAES the cipher is its own integrity check: Azure rejects a policy whose IPsec encryption and
    integrity are not the same GCMAES algorithm and key length."""
    for path, _connection, policy in _policies(topology):
        enc, integ = policy.ipsec_encryption, policy.ipsec_integrity
        if (enc.startswith("GCM") or integ.startswith("GCM")) and enc != integ:
            yield Problem(f"{path}.ipsec_integrity",
                          f"IPsec encryption {enc} with integrity {integ}: when either is GCMAES both must "
                          "be the "
                          "same GCMAES algorithm", f"set both to {enc if enc.startswith('GCM') else integ}")


@rule("HN-IPSEC-005", "No broken or obsolete algorithm in a custom IPsec/IKE policy", Severity.WARNING,
      IPSEC_POLICY)
def weak_algorithms(topology: Topology) -> Iterator[Problem]:
    """DES, 3DES, MD5 and the 768/1024-bit DH groups are accepted by Azure for compatibility but are broken or
    near it; ESP without encryption leaves the traffic readable on the internet."""
    for path, _connection, policy in _policies(topology):
        for name in ("ike_encryption", "ike_integrity", "dh_group", "ipsec_encryption", "ipsec_integrity",
                     "pfs_group"):
            value = getattr(policy, name)
            if value in WEAK_ALGORITHMS:
                yield Problem(f"{path}.{name}", f"{name} {value} is obsolete", _STRONG[name])
        if policy.ipsec_encryption == "None":
            yield Problem(f"{path}.ipsec_encryption", "IPsec encryption None sends traffic readable over the "
                          "internet (ESP NULL)", _STRONG["ipsec_encryption"])


@rule("HN-IPSEC-006", "Quick-mode SA lifetimes are at least 300 s and 1024 KB", Severity.ERROR, IPSEC_POLICY)
def sa_lifetimes(topology: Topology) -> Iterator[Problem]:
    """Azure rejects shorter quick-mode lifetimes; the policy is not applied and the connection keeps failing
    negotiation with a device configured for it."""
    for path, _connection, policy in _policies(topology):
        if policy.sa_lifetime_s < 300:
            yield Problem(f"{path}.sa_lifetime_s", f"SA lifetime {policy.sa_lifetime_s} s is below Azure's "
                                                   "minimum "
                          "of 300 s", "use 27000 s (Azure's default) or at least 300 s")
        if policy.sa_data_size_kb < 1024:
            yield Problem(f"{path}.sa_data_size_kb", f"SA data size {policy.sa_data_size_kb} KB is below "
                                                     "Azure's "
                          "minimum of 1024 KB", "use 102400000 KB (Azure's default) or at least 1024 KB")


@rule("HN-IPSEC-007", "The DPD timeout is within 9-3600 s", Severity.ERROR, IPSEC_POLICY)
def dpd_range(topology: Topology) -> Iterator[Problem]:
    """Dead peer detection is how the tunnel notices a dead peer without BGP; Azure accepts 9 to 3600 s
    (default 45 s) and rejects anything else."""
    for connection in topology.ipsec_connections:
        if not 9 <= connection.dpd_timeout_s <= 3600:
            yield Problem(f"{connection_path(topology, connection)}.dpd_timeout_s",
                          f"DPD timeout {connection.dpd_timeout_s} s of {connection.name} is outside 9-3600 "
                          "s",
                          "use 45 s (Azure's default)")


@rule("HN-IPSEC-008", "Custom policies and IKEv1 only on gateways that support "
                      "them", Severity.ERROR, IPSEC_POLICY)
def policy_sku_support(topology: Topology) -> Iterator[Problem]:
    """Custom IPsec/IKE policies are not available on Basic, and route-based IKEv1 only on current non-legacy
    SKUs; Azure refuses the connection otherwise."""
    for connection in topology.ipsec_connections:
        gateway = topology.gateway(connection.vpn_gateway)
        if gateway is None:
            continue
        path = connection_path(topology, connection)
        if connection.ipsec_policy is not None and gateway.sku == "Basic":
            yield Problem(f"{path}.ipsec_policy", f"{connection.name} sets a custom IPsec/IKE policy but VPN "
                                                  "gateway "
                          f"{gateway.name} is Basic", "use a VpnGw SKU or remove ipsec_policy")
        if connection.connection_protocol == "IKEv1" and gateway.sku in LEGACY_VPN_SKUS:
            yield Problem(f"{path}.connection_protocol", f"{connection.name} uses IKEv1 but route-based "
                                                         "IKEv1 needs "
                          f"a current SKU; {gateway.name} is {gateway.sku}", "use IKEv2, or a VpnGw SKU")


@rule("HN-IPSEC-009", "IKEv2 rather than IKEv1 on the failover tunnel", Severity.WARNING, IPSEC_POLICY)
def prefer_ikev2(topology: Topology) -> Iterator[Problem]:
    """Route-based IKEv1 tunnels cannot rekey in place: they reconnect at every main-mode rekey, an outage of
    up to 5 s on the path that is supposed to be the backup."""
    for connection in topology.ipsec_connections:
        if connection.connection_protocol == "IKEv1":
            yield Problem(f"{connection_path(topology, connection)}.connection_protocol",
                          f"{connection.name} uses IKEv1: the tunnel drops for up to 5 s at each main-mode "
                          "rekey",
                          "use IKEv2 (it cannot be changed on an existing connection: re-create it)")


@rule("HN-IPSEC-010", "Azure accepts the on-prem VPN device's IKE and ESP proposals", Severity.ERROR,
      VPN_DEVICES, legacy_onprem=True)
def onprem_proposals_accepted(topology: Topology) -> Iterator[Problem]:
    """The on-prem device initiates: Azure answers only proposals from its default lists (or, with a
    custom policy, exactly that policy). A phase-1 proposal it refuses means no tunnel at all; an ESP
    cipher it refuses means no CHILD SA; a PFS group it refuses means the tunnel drops at the first
    rekey the device starts, hours after a test that passed."""
    for path, connection, appliance_policy in _device_policies(topology):
        azure = azure_proposals(connection)
        onprem = onprem_proposals(connection, appliance_policy)
        lists = "the connection's custom policy" if connection.ipsec_policy else "Azure's default lists"
        fix = ("give the device a proposal Azure accepts, or remove onprem.vpn_appliance.ipsec_policy to use "
               "the connection's")
        for proposal in azure.refused_ike(onprem.ike):
            yield Problem(path, f"Azure refuses the on-prem IKE proposal {proposal.describe()}: "
                          f"{_ike_refusal(proposal, azure.ike, lists)}; no proposal chosen, no tunnel", fix)
        for proposal in azure.refused_esp(onprem.esp_offered):
            known = {p.cipher() for p in azure.esp_accepted}
            when = "at the first CHILD SA" if proposal.cipher() not in known else "when the device rekeys"
            yield Problem(path, f"Azure refuses the on-prem ESP proposal {proposal.describe()} {when}: "
                          f"{_esp_refusal(proposal, azure.esp_accepted, lists)}; no proposal chosen", fix)


def _either(values: Iterable[str]) -> str:
    """``a``, ``a or b``, ``a, b or c``: in first-seen order, without repeats."""
    unique = list(dict.fromkeys(values))
    return unique[0] if len(unique) == 1 else ", ".join(unique[:-1]) + " or " + unique[-1]


def _ike_refusal(proposal: IkeProposal, accepted: tuple[IkeProposal, ...], lists: str) -> str:
    """Which part of a phase-1 proposal Azure does not take, and Azure's phase 1 in one line (the full list
    repeated for every refused proposal buried the one word that mattered)."""
    wrong = [f"{label} {value} is not accepted ({_either(getattr(p, attribute) for p in accepted)})"
             for label, attribute, value in (("encryption", "encryption", proposal.encryption),
                                             ("integrity", "integrity", proposal.integrity),
                                             ("DH group", "dh_group", proposal.dh_group))
             if value not in {getattr(p, attribute) for p in accepted}]
    reason = "; ".join(wrong) or "that combination is not one of them"
    summary = (f"{_either(p.encryption for p in accepted)} with {_either(p.integrity for p in accepted)}, "
               f"{_either(p.dh_group for p in accepted)}")
    return f"{reason} ({lists} accept {len(accepted)} phase-1 proposal(s): {summary})"


def _esp_refusal(proposal: EspProposal, accepted: tuple[EspProposal, ...], lists: str) -> str:
    """Why an ESP proposal is refused, in terms of its cipher and its PFS group, and what Azure takes instead."""
    ciphers = [p for p in accepted if p.pfs_group == "None"] or list(accepted)
    cipher_names = _either(EspProposal(*p.cipher(), "None").describe().rstrip("/") for p in ciphers)
    same_cipher = [p.pfs_group for p in accepted if p.cipher() == proposal.cipher()]
    if not same_cipher:
        return f"{lists} accept {len(accepted)} ESP entries, none with this cipher (ciphers: {cipher_names})"
    groups = _either("no PFS" if group == "None" else group for group in same_cipher)
    return (f"{lists} accept this cipher only with {groups}, not with {proposal.pfs_group} "
            f"({len(accepted)} ESP entries in all)")


@rule("HN-IPSEC-011", "The on-prem VPN device accepts the CHILD SA rekeys Azure starts", Severity.WARNING,
      VPN_DEVICES, legacy_onprem=True)
def azure_rekeys_accepted(topology: Topology) -> Iterator[Problem]:
    """Either end may rekey a CHILD SA. Without a custom policy Azure's own offers are six ciphers without PFS,
    so a device that insists on a PFS group, or on a cipher Azure accepts but never offers (AES128/SHA256),
    refuses them and the tunnel drops when Azure rekeys first."""
    for path, connection, appliance_policy in _device_policies(topology):
        azure = azure_proposals(connection)
        onprem = onprem_proposals(connection, appliance_policy)
        if all(onprem.refused_esp([offer]) for offer in azure.esp_offered):
            offered = ", ".join(p.describe() for p in onprem.esp_offered)
            rekeys = ", ".join(p.describe() for p in azure.esp_offered)
            yield Problem(path, f"the on-prem device accepts only {offered}; when Azure rekeys it offers "
                          f"{rekeys}, which the device refuses",
                          "give the device one of Azure's own offers (PFS None), or give the connection a custom "
                          "policy equal to the device's")


def _device_policies(topology: Topology) -> Iterator[tuple[str, IpsecConnection, IpsecPolicy]]:
    """The on-prem VPN device's own policy, where it has one (else it follows the connection: no mismatch)."""
    appliance = topology.onprem.vpn_appliance
    connection = topology.vpn_connection
    if appliance is None or appliance.ipsec_policy is None or connection is None:
        return
    if connection.connection_protocol == "IKEv2":
        yield "onprem.vpn_appliance.ipsec_policy", connection, appliance.ipsec_policy


_STRONG = {
    "ike_encryption": "use AES256 or GCMAES256",
    "ike_integrity": "use SHA256 or SHA384",
    "dh_group": "use DHGroup14, DHGroup24, ECP256 or ECP384",
    "ipsec_encryption": "use GCMAES256 (with ipsec_integrity GCMAES256) or AES256",
    "ipsec_integrity": "use SHA256 or GCMAES256",
    "pfs_group": "use PFS2048, PFS24, ECP256 or ECP384",
}


def _describe_char(char: str) -> str:
    names = {" ": "space", "-": "'-'", "~": "'~'"}
    return names.get(char, "non-printable or non-ASCII characters")
