"""What the lab's helpers (readiness, status, IKE diagnosis, node files) need of a running lab.

They read a lab; ``Lab`` (``hybridnet.emulate.lab``) uses them. Typing them against this protocol
instead of ``Lab`` keeps the dependency one way: ``lab`` imports them, they import nothing of it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from hybridnet.emulate.daemons import CharonInstance
from hybridnet.emulate.plan import LabPlan
from hybridnet.emulate.state import LabState


class LabView(Protocol):
    """A running lab as its helpers see it."""

    plan: LabPlan
    state: LabState

    @property
    def name(self) -> str: ...

    def namespace(self, node: str) -> str: ...

    def node_directory(self, node: str) -> Path: ...

    def charon(self, node: str) -> CharonInstance: ...

    def bgp_summary(self, node: str) -> dict[str, Any]: ...

    def bfd_peers(self, node: str) -> list[dict[str, Any]]: ...

    def ipsec_sas(self, node: str) -> list[dict[str, Any]]: ...

    def load_balancer_health(self) -> dict[str, dict[str, bool]]: ...

    def pids(self, node: str, program: str | None = None) -> list[int]: ...
