"""Azure's IPsec/IKE proposals as data: the default lists, a custom policy's one proposal, strongSwan names.

A route-based Azure VPN gateway without a custom IPsec policy (Azure docs "About VPN devices and
IPsec/IKE parameters", 2023-10, the same tables since 2018):

* phase 1 (IKE SA): one ordered list for both roles, six proposals, all DH group 2;
* phase 2 (CHILD SA): six offers when Azure initiates (no PFS), and 26 entries it accepts when it
  responds, some with a PFS group (a CHILD SA created with the IKE SA carries no key exchange, so
  PFS only matters when a CHILD SA is rekeyed).

A custom policy (``IpsecPolicy``) replaces both lists with its one IKE and one ESP proposal. The
emulator, the strongSwan renderer and the rules all read these lists from here, so what the lab
accepts and what ``check`` says Azure accepts cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hybridnet.model.gateways import IpsecConnection, IpsecPolicy

IKE_ENCRYPTION = {
    "GCMAES256": "aes256gcm16",
    "GCMAES128": "aes128gcm16",
    "AES256": "aes256",
    "AES192": "aes192",
    "AES128": "aes128",
    "DES3": "3des",
    "DES": "des",
}
IKE_INTEGRITY = {"SHA384": "sha384", "SHA256": "sha256", "SHA1": "sha1", "MD5": "md5"}
DH_GROUP = {
    "DHGroup24": "modp2048s256",
    "ECP384": "ecp384",
    "ECP256": "ecp256",
    "DHGroup14": "modp2048",
    "DHGroup2048": "modp2048",
    "DHGroup2": "modp1024",
    "DHGroup1": "modp768",
    "None": "",
}
ESP_ENCRYPTION = {
    "GCMAES256": "aes256gcm16",
    "GCMAES192": "aes192gcm16",
    "GCMAES128": "aes128gcm16",
    "AES256": "aes256",
    "AES192": "aes192",
    "AES128": "aes128",
    "DES3": "3des",
    "DES": "des",
    "None": "null",
}
ESP_INTEGRITY = {"SHA256": "sha256", "SHA1": "sha1", "MD5": "md5"}
PFS_GROUP = {
    "PFS24": "modp2048s256",
    "ECP384": "ecp384",
    "ECP256": "ecp256",
    "PFS2048": "modp2048",
    "PFS14": "modp2048",
    "PFS2": "modp1024",
    "PFS1": "modp768",
    "None": "",
}
_SAME_GROUP = {"DHGroup2048": "DHGroup14", "PFS14": "PFS2048"}


@dataclass(frozen=True)
class IkeProposal:
    """One phase-1 proposal in Azure's names (``dh_group`` as in a custom policy: DHGroup2, ECP256, ...)."""

    encryption: str
    integrity: str
    dh_group: str

    def describe(self) -> str:
        return f"{self.encryption}/{self.integrity}/{self.dh_group}"

    def strongswan(self) -> str:
        encryption = IKE_ENCRYPTION[self.encryption]
        # An AEAD cipher has no integrity algorithm, but IKE still needs a PRF. Azure does not document
        # which PRF its gateway uses with GCM; the policy's integrity names a SHA-2 hash there (SHA384,
        # SHA256), and the PRF follows it — SHA-256 when the integrity is itself a GCM name.
        prf = {"SHA384": "prfsha384", "SHA256": "prfsha256", "SHA1": "prfsha1"}.get(self.integrity, "prfsha256")
        parts = [encryption, prf if "gcm" in encryption else IKE_INTEGRITY.get(self.integrity, "sha256")]
        return "-".join(filter(None, [*parts, DH_GROUP[self.dh_group]]))

    def key(self) -> tuple[str, str, str]:
        """What must match for two ends to agree (DHGroup2048 is DHGroup14)."""
        integrity = "" if self.encryption.startswith("GCM") else self.integrity
        return self.encryption, integrity, _SAME_GROUP.get(self.dh_group, self.dh_group)


@dataclass(frozen=True)
class EspProposal:
    """One phase-2 proposal in Azure's names; ``pfs_group`` "None" means no key exchange at rekey."""

    encryption: str
    integrity: str
    pfs_group: str = "None"

    def describe(self) -> str:
        cipher = self.encryption if self.encryption.startswith("GCM") else f"{self.encryption}/{self.integrity}"
        return cipher if self.pfs_group == "None" else f"{cipher} {self.pfs_group}"

    def strongswan(self, *, pfs_optional: bool = False) -> str:
        """strongSwan's name; ``pfs_optional`` accepts the same cipher without a key exchange too.

        An optional group is written ``modpnone-<group>``: "none" first, so that a CHILD rekey this
        end starts itself carries no key exchange (charon takes the first group of its list), as
        Azure's own offers carry no PFS, while a peer's rekey with that group is still accepted.
        """
        encryption = ESP_ENCRYPTION[self.encryption]
        parts = [encryption]
        if "gcm" not in encryption:
            parts.append(ESP_INTEGRITY.get(self.integrity, "sha256"))
        if PFS_GROUP[self.pfs_group]:
            parts += ["modpnone", PFS_GROUP[self.pfs_group]] if pfs_optional else [PFS_GROUP[self.pfs_group]]
        return "-".join(parts)

    def cipher(self) -> tuple[str, str]:
        """What the first CHILD SA (created with the IKE SA, without key exchange) must agree on."""
        return self.encryption, "" if self.encryption.startswith("GCM") else self.integrity

    def key(self) -> tuple[str, str, str]:
        """What a rekey with (or without) PFS must agree on."""
        return (*self.cipher(), _SAME_GROUP.get(self.pfs_group, self.pfs_group))


def _ike(*entries: str) -> tuple[IkeProposal, ...]:
    return tuple(IkeProposal(*entry.split("/"), "DHGroup2") for entry in entries)  # type: ignore[call-arg]


def _esp(*entries: str) -> tuple[EspProposal, ...]:
    """``"AES256/SHA1"``, ``"GCMAES256"`` or ``"AES256/SHA1 PFS2"`` -> proposals."""
    proposals = []
    for entry in entries:
        cipher, _, pfs = entry.partition(" ")
        encryption, _, integrity = cipher.partition("/")
        proposals.append(EspProposal(encryption, integrity or encryption, pfs or "None"))
    return tuple(proposals)


AZURE_IKE = _ike("AES256/SHA1", "AES256/SHA256", "AES128/SHA1", "AES128/SHA256", "DES3/SHA1", "DES3/SHA256")
"""Phase 1, in Azure's order, both roles: AES256, AES128 or 3DES with SHA1 or SHA256, DH group 2."""

AZURE_ESP_INITIATOR = _esp("GCMAES256", "AES256/SHA1", "DES3/SHA1", "AES256/SHA256", "AES128/SHA1", "DES3/SHA256")
"""Phase 2 offers when Azure initiates, in its order, without PFS."""

AZURE_ESP_RESPONDER = _esp(
    "GCMAES256", "AES256/SHA1", "DES3/SHA1", "AES256/SHA256", "AES128/SHA1", "DES3/SHA256", "DES/SHA1",
    "AES256/SHA1 PFS1", "AES256/SHA1 PFS2", "AES256/SHA1 PFS2048",
    "AES128/SHA1 PFS1", "AES128/SHA1 PFS2", "AES128/SHA1 PFS2048",
    "DES3/SHA1 PFS1", "DES3/SHA1 PFS2", "DES3/SHA256 PFS2",
    "AES256/SHA256 PFS1", "AES256/SHA256 PFS2", "AES256/SHA256 PFS2048",
    "AES256/SHA1 PFS24", "AES256/SHA256 PFS24", "AES128/SHA256",
    "AES128/SHA256 PFS1", "AES128/SHA256 PFS2", "AES128/SHA256 PFS2048", "DES3/SHA1 PFS2048",
)
"""Phase 2 entries Azure accepts when it responds, in its order (26; a PFS group applies at rekey)."""

AZURE_IKE_LIFETIME_S = 28800
AZURE_CHILD_LIFETIME_S = 27000


def policy_ike(policy: IpsecPolicy) -> IkeProposal:
    return IkeProposal(policy.ike_encryption, policy.ike_integrity, policy.dh_group)


def policy_esp(policy: IpsecPolicy) -> EspProposal:
    return EspProposal(policy.ipsec_encryption, policy.ipsec_integrity, policy.pfs_group)


@dataclass(frozen=True)
class ProposalSet:
    """What one end offers (as initiator) and accepts (as responder), in its order of preference."""

    ike: tuple[IkeProposal, ...]
    esp_offered: tuple[EspProposal, ...]
    esp_accepted: tuple[EspProposal, ...]
    child_lifetime_s: int = AZURE_CHILD_LIFETIME_S

    def refused_ike(self, offered: Iterable[IkeProposal]) -> list[IkeProposal]:
        accepted = {p.key() for p in self.ike}
        return [p for p in offered if p.key() not in accepted]

    def refused_esp(self, offered: Iterable[EspProposal]) -> list[EspProposal]:
        """Offers this end refuses: at the first CHILD SA (cipher) or at a rekey (cipher and PFS group)."""
        ciphers = {p.cipher() for p in self.esp_accepted}
        keys = {p.key() for p in self.esp_accepted}
        return [p for p in offered if p.cipher() not in ciphers or p.key() not in keys]


def azure_proposals(connection: IpsecConnection) -> ProposalSet:
    """What the Azure end of ``connection`` offers and accepts: its custom policy, or Azure's defaults."""
    policy = connection.ipsec_policy
    if policy is None:
        return ProposalSet(AZURE_IKE, AZURE_ESP_INITIATOR, AZURE_ESP_RESPONDER)
    esp = (policy_esp(policy),)
    return ProposalSet((policy_ike(policy),), esp, esp, max(policy.sa_lifetime_s, 300))


def onprem_policy(connection: IpsecConnection, own: IpsecPolicy | None) -> IpsecPolicy | None:
    """The policy the on-prem device is configured with: its own, else the connection's (None: Azure's defaults)."""
    return own if own is not None else connection.ipsec_policy


def onprem_proposals(connection: IpsecConnection, own: IpsecPolicy | None) -> ProposalSet:
    """What the on-prem device offers: its own policy, the connection's, or Azure's default offers."""
    policy = onprem_policy(connection, own)
    if policy is None:
        return ProposalSet(AZURE_IKE, AZURE_ESP_INITIATOR, AZURE_ESP_INITIATOR)
    esp = (policy_esp(policy),)
    return ProposalSet((policy_ike(policy),), esp, esp, max(policy.sa_lifetime_s, 300))
