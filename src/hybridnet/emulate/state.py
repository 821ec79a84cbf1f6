"""A lab's state file and private directory: what ``down`` must remove, even after a crash.

The state is written *before* each resource is created (an intent log), and ``down`` also finds a
lab's namespaces by their name prefix and its processes by the namespace they run in, so a
SIGKILL at any point of ``up`` still leaves ``down`` everything it needs.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from hybridnet.emulate.errors import LabError

STATE_ROOT = Path("/run/hybridnet")
NAMESPACE_PREFIX = "hn."


def lab_directory(lab: str) -> Path:
    return STATE_ROOT / lab


def namespace_prefix(lab: str) -> str:
    """``hn.<lab>.``: the dot cannot occur in a lab name, so no lab's prefix is another's."""
    return f"{NAMESPACE_PREFIX}{lab}."


def namespace_name(lab: str, node: str) -> str:
    return f"{namespace_prefix(lab)}{node}"


@dataclass
class ProcessRecord:
    node: str
    program: str
    pid: int
    start_ticks: int
    """The process's start time (clock ticks since boot): a recycled PID does not match it."""


@dataclass
class LabState:
    lab: str
    topology: str
    namespaces: list[str] = field(default_factory=list)
    processes: list[ProcessRecord] = field(default_factory=list)
    generated_key: bool = False
    phase: str = "planned"
    topology_digest: str = ""
    """What the lab runs (``topology_digest``): a drill compares it with the topology it was given."""

    @property
    def directory(self) -> Path:
        return lab_directory(self.lab)

    @property
    def path(self) -> Path:
        return self.directory / "state.json"

    def save(self) -> None:
        temporary = self.path.with_suffix(".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(asdict(self), handle, indent=1)
        os.replace(temporary, self.path)

    @classmethod
    def load(cls, lab: str) -> LabState | None:
        path = lab_directory(lab) / "state.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            processes = [ProcessRecord(**item) for item in data.pop("processes", [])]
            return cls(processes=processes, **data)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError, AttributeError) as exc:  # unreadable, or not our format
            raise LabError(
                f"cannot read the state of lab {lab} ({path}): {exc}",
                fix="`hybridnet down` still removes the lab's namespaces and processes",
            ) from None


def make_private_directory(path: Path) -> None:
    """A directory only root can enter (mode 0700), whatever the umask."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def write_private(path: Path, text: str, mode: int = 0o600) -> None:
    """Write a file created with ``mode`` from the start (no window in which it is world-readable)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, mode)


def labs() -> list[str]:
    """Names of the labs that have a state directory."""
    if not STATE_ROOT.is_dir():
        return []
    return sorted(entry.name for entry in STATE_ROOT.iterdir() if entry.is_dir())


def start_ticks(pid: int) -> int | None:
    """Field 22 of /proc/PID/stat: when the process started (None if it is gone)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return None
    return int(text.rsplit(")", 1)[1].split()[19])
