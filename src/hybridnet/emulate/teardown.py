"""Removing a lab completely, and checking that nothing of it is left.

``down`` works from the lab's name alone: it reads the state file if there is one, and also finds
the lab's namespaces by their name prefix and its processes by the namespace they run in, so it
cleans up after a crash or a SIGKILL of ``up`` at any point.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from hybridnet.emulate import netns, processes
from hybridnet.emulate.errors import LabError
from hybridnet.emulate.plan import check_lab_name
from hybridnet.emulate.state import LabState, lab_directory, namespace_prefix, start_ticks


def down(name: str) -> dict[str, list[str]]:
    """Remove lab ``name`` completely: processes, namespaces, files. Safe after a crash; idempotent.

    Returns what was removed, and what could not be (``leftover``), so callers can report leaks.
    """
    check_lab_name(name)
    state = None
    try:
        state = LabState.load(name)
    except LabError:
        state = None
    names = sorted(set(netns.existing(namespace_prefix(name))) | set(state.namespaces if state else []))
    inodes = [i for i in (netns.inode(n) for n in names) if i is not None]
    recorded = [r.pid for r in (state.processes if state else []) if start_ticks(r.pid) == r.start_ticks]
    directory = lab_directory(name)
    strays = processes.mentioning(f"{directory}/")
    victims = sorted(set(recorded) | set(processes.in_namespaces(inodes)) | set(strays))
    survivors = processes.stop_all(victims)
    for namespace in names:
        netns.remove(namespace)
    shutil.rmtree(directory, ignore_errors=True)
    leftover = [f"namespace {n}" for n in netns.existing(namespace_prefix(name))]
    leftover += [f"process {p}" for p in survivors]
    leftover += [f"directory {directory}"] if directory.exists() else []
    return {"namespaces": names, "processes": [str(p) for p in victims], "leftover": leftover}


def footprint(name: str, pids: Sequence[int] = ()) -> dict[str, list[str]]:
    """What of lab ``name`` exists on the system now: namespaces, netns mounts, files, live processes.

    ``pids`` are the lab's processes as recorded while it ran (a namespace's processes cannot be
    found once the namespace is gone). Empty lists everywhere means nothing leaked.
    """
    prefix = namespace_prefix(name)
    mounts = [
        line.split()[1]
        for line in Path("/proc/self/mounts").read_text(encoding="utf-8").splitlines()
        if f"/{prefix}" in line
    ]
    directory = lab_directory(name)
    return {
        "namespaces": netns.existing(prefix),
        "mounts": mounts,
        "files": [str(directory)] if directory.exists() else [],
        "processes": [str(pid) for pid in pids if processes.alive(pid)],
    }
