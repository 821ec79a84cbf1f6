"""Writing one node's files into the lab's private directory, keys included, all 0600.

The pre-shared key only ever exists in the swanctl.conf written here (the plan carries a slot, not
the key), inside /run/hybridnet/<lab> which only root can enter.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from hybridnet.emulate.keys import LabKeys
from hybridnet.emulate.plan import Node
from hybridnet.emulate.plan.estate_wiring import SLOT_PATTERN
from hybridnet.emulate.state import make_private_directory, write_private
from hybridnet.render.templating import template

if TYPE_CHECKING:
    from hybridnet.emulate.view import LabView



def render_strongswan_conf(node: str, directory: Path) -> str:
    return template("strongswan.conf.j2", "hybridnet.emulate").render(
        node=node, log_file=directory / "charon.log", vici_socket=directory / "charon.vici"
    )


def write_node_files(lab: LabView, node: Node, keys: LabKeys) -> Path:
    directory = lab.node_directory(node.name)
    make_private_directory(directory.parent)
    make_private_directory(directory)
    if node.frr_config:
        write_private(directory / "frr.conf", node.frr_config)
    if node.swanctl_config:
        write_private(directory / "swanctl.conf", keys.fill(node.swanctl_config, node.side))
        write_private(directory / "strongswan.conf", render_strongswan_conf(node.name, directory))
    if node.tunnel is not None and node.tunnel.script:
        write_private(directory / "tunnel.sh", node.tunnel.script, mode=0o700)
    if node.nftables:
        write_private(directory / "nsg.nft", node.nftables)
    if node.load_balancer:
        write_private(directory / "ilb.json", node.load_balancer)
    return directory


def lab_secrets(lab: LabView) -> list[str]:
    """The pre-shared keys in the lab's swanctl.conf files (a lab brought up by another process holds
    keys no one else knows). The key is what the written file has where the plan has ``SECRET_SLOT``."""
    found: list[str] = []
    for node in lab.plan.nodes:
        if not node.swanctl_config:
            continue
        try:
            written = (lab.node_directory(node.name) / "swanctl.conf").read_text(encoding="utf-8")
        except OSError:
            continue
        found += keys_in(node.swanctl_config, written)
    return list(dict.fromkeys(found))


def keys_in(planned: str, written: str) -> list[str]:
    """The text that replaced each ``SECRET_SLOT`` of ``planned`` in ``written`` ([] if they differ
    elsewhere: then the file is not the one the plan wrote)."""
    pieces = re.split(SLOT_PATTERN, planned)
    keys: list[str] = []
    if not written.startswith(pieces[0]):
        return []
    position = len(pieces[0])
    for piece in pieces[1:]:
        end = written.find(piece, position) if piece else len(written)
        if end < 0:
            return []
        keys.append(written[position:end])
        position = end + len(piece)
    return keys if position == len(written) else []
