"""The IPsec pre-shared key(s) a lab uses: from where the topology points, or generated for the lab.

Keys never enter the plan, a log or the state file: they live in this object (hidden from repr)
until ``Lab.up`` writes them into 0600 files inside the lab's private directory.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field

from hybridnet.emulate.errors import LabError
from hybridnet.emulate.plan.estate_wiring import vpn_ends
from hybridnet.emulate.plan.types import SECRET_SLOT
from hybridnet.model import IpsecConnection, Topology, TopologyError

_ALPHABET = string.ascii_letters + string.digits
_AZURE_REFUSES = frozenset(" -~")
_CONFIG_BREAKING = frozenset('"\\')


@dataclass(frozen=True)
class LabKeys:
    """The key each end of the VPN gets; ``note`` says where they came from (never the key).

    ``onprem``/``azure`` are the first VPN end's (the reference has one); an estate's other VPN ends
    each have their own connection and key, in ``others`` as (slot, on-prem key, Azure key), the slot
    being what stands for the key in both ends' planned swanctl.conf (``estate_wiring.secret_slot``)."""

    onprem: str = field(repr=False)
    azure: str = field(repr=False)
    generated: bool
    note: str
    others: tuple[tuple[str, str, str], ...] = field(default=(), repr=False)

    @property
    def mismatched(self) -> bool:
        return self.onprem != self.azure or any(o != a for _slot, o, a in self.others)

    def fill(self, text: str, side: str) -> str:
        """``text`` with every key slot replaced by that connection's key for ``side`` ("azure" or not)."""
        for slot, onprem, azure in self.others:  # their slots are never part of SECRET_SLOT
            text = text.replace(slot, azure if side == "azure" else onprem)
        return text.replace(SECRET_SLOT, self.azure if side == "azure" else self.onprem)

    @property
    def all_keys(self) -> tuple[str, ...]:
        keys = [self.onprem, self.azure, *(k for _slot, o, a in self.others for k in (o, a))]
        return tuple(dict.fromkeys(k for k in keys if k))


def random_key(length: int = 32) -> str:
    """A key Azure would accept: printable ASCII without space, '-' or '~' (letters and digits)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def lab_keys(topology: Topology, *, mismatch: bool = False) -> LabKeys:
    """Resolve each VPN end's connection key; generate one for both ends when it is not available.

    ``mismatch`` gives the Azure end of the first connection a different key, to show what a wrong key
    looks like.
    """
    ends = vpn_ends(topology) if topology.sites else ()
    if len(ends) > 1:
        first = _one_key(ends[0].connection, topology, mismatch)
        others = [(end, _one_key(end.connection, topology, False)) for end in ends[1:]]
        generated = first.generated or any(k.generated for _end, k in others)
        notes = [f"{ends[0].connection.name}: {first.note}",
                 *(f"{end.connection.name}: {k.note}" for end, k in others)]
        return LabKeys(first.onprem, first.azure, generated=generated, note="; ".join(dict.fromkeys(notes)),
                       others=tuple((end.secret_slot, k.onprem, k.azure) for end, k in others))
    connection = ends[0].connection if ends else topology.vpn_connection
    if connection is None:
        return LabKeys("", "", generated=False, note="no IPsec connection")
    return _one_key(connection, topology, mismatch)


def _one_key(connection: IpsecConnection, topology: Topology, mismatch: bool) -> LabKeys:
    reference = connection.shared_key
    if reference.is_available(topology.base_dir):
        try:
            key = reference.resolve(topology.base_dir)
            _check_key(key, reference.describe())
            note = f"shared key read from {reference.describe()}"
            generated = False
        except TopologyError:
            key, generated = random_key(), True
            note = f"{reference.describe()} unreadable: generated a random key for both ends (emulation only)"
    else:
        key, generated = random_key(), True
        note = f"{reference.describe()} not set: generated a random key for both ends (emulation only)"
    if mismatch:
        return LabKeys(key, random_key(), generated=generated, note=note + "; the Azure end got a different key")
    return LabKeys(key, key, generated=generated, note=note)


def _check_key(key: str, source: str) -> None:
    """Refuse a key that Azure would not store or a config file could not hold, saying why, never the key.

    Azure takes printable ASCII except space, '-' and '~'; a quote or backslash would end or escape
    the quoted secret in swanctl.conf (and the renderers refuse it for the same reason). A lab must not
    come up with a key the real connection cannot have.
    """
    problems = []
    if not key:
        problems.append("it is empty")
    if any(c in _CONFIG_BREAKING for c in key):
        problems.append("it contains a double quote or backslash, which would break the swanctl.conf secret")
    if any(c in "\n\r" for c in key):
        problems.append("it contains a line break")
    if any(c in _AZURE_REFUSES for c in key):
        problems.append("it contains a space, '-' or '~', which Azure refuses")
    if any(not (0x20 <= ord(c) < 0x7F) for c in key if c not in "\n\r"):
        problems.append("it contains characters outside printable ASCII, which Azure refuses")
    if problems:
        raise LabError(
            f"the shared key from {source} cannot be used: {'; '.join(problems)}",
            fix="set a key of printable ASCII letters, digits and punctuation without space, quote, "
            "backslash, '-' or '~' (e.g. `openssl rand -base64 30 | tr -d '+/=-'`)",
        )
