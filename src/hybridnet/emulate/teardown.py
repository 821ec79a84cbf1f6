"""Removing a lab completely, and checking that nothing of it is left.

``down`` works from the lab's name alone: it reads the state file if there is one, finds the lab's
namespaces by their name prefix (also half-created ones), its processes by the namespace they run
in and its own programs by what they run (``processes.started_for``), so it cleans up after a crash
or a SIGKILL of ``up`` at any point. It kills only what the lab started or what runs inside the
lab's namespaces, never a process that merely names the lab's directory.

A SIGKILL of ``up`` can leave a daemon on its way in: forked but not yet in its namespace, or
still an ``nsenter``. So ``down`` scans, stops what it found, and scans again — the namespaces'
identities (inodes) are remembered, so a daemon that entered a namespace just before it was
unmounted is still recognised — until a scan after the namespaces are gone finds nothing for
``QUIET_S``, within a bounded time. ``down`` holds each namespace open until it returns
(``netns.hold``): the kernel hands a freed namespace's inode number to the next namespace made,
and without the hold a remembered number could name a namespace of another lab coming up side by
side, whose daemons ``down`` would then kill.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

from hybridnet.emulate import netns, processes
from hybridnet.emulate.errors import LabError
from hybridnet.emulate.plan import check_lab_name
from hybridnet.emulate.state import LabState, lab_directory, namespace_prefix, start_ticks
from hybridnet.waiting import poll_until

QUIET_S = 0.2
"""How long the scans must find nothing once the namespaces are gone: longer than a fork-to-exec."""
TIMEOUT_S = 15.0
SCAN_POLL_S = 0.05


def down(name: str, timeout_s: float = TIMEOUT_S) -> dict[str, list[str]]:
    """Remove lab ``name`` completely: processes, namespaces, files. Safe after a crash; idempotent.

    Returns what was removed, and what could not be (``leftover``), so callers can report leaks.
    """
    check_lab_name(name)
    state = _state(name)
    directory = lab_directory(name)
    prefix = namespace_prefix(name)
    names = set(state.namespaces if state else [])
    inodes: set[int] = set()
    pending = {r.pid for r in (state.processes if state else []) if r.pid and start_ticks(r.pid) == r.start_ticks}
    stopped: set[int] = set()
    survivors: set[int] = set()
    problems: dict[str, str] = {}
    held: dict[str, int] = {}
    """Namespace -> an open descriptor: keeps its inode number ours until ``down`` returns (a freed
    number goes at once to the next namespace made, maybe another lab's, whose processes we would stop)."""
    quiet_since: list[float] = []
    deadline = time.monotonic() + timeout_s

    def quiet() -> bool:
        """One scan: stop what runs; once nothing does, remove the namespaces; True when it stayed so."""
        nonlocal pending
        while time.monotonic() < deadline:  # what was just stopped may have started others: look again at once
            names.update(netns.existing(prefix))
            for namespace in sorted(names - held.keys()):
                opened = netns.hold(namespace)
                if opened is not None:
                    held[namespace], number = opened
                    inodes.add(number)
            pending |= set(processes.in_namespaces(inodes)) | set(processes.started_for(directory, prefix))
            pending -= survivors
            if not pending:
                break
            stopped.update(pending)
            survivors.update(processes.stop_all(pending))
            pending = set()
            quiet_since.clear()
        # Nothing runs in them any more: only now the namespaces go (deleting one stops nothing).
        for namespace in sorted(names):
            try:
                netns.remove(namespace)
            except OSError as error:
                problems[namespace] = f" ({error.strerror or error})"
        quiet_since[:] = quiet_since or [time.monotonic()]
        return time.monotonic() - quiet_since[0] >= QUIET_S

    try:
        poll_until(quiet, timeout_s, SCAN_POLL_S)
    finally:
        for descriptor in held.values():
            os.close(descriptor)
    shutil.rmtree(directory, ignore_errors=True)
    leftover = [f"namespace {n}{problems.get(n, '')}" for n in netns.existing(prefix)]
    leftover += [f"process {p}" for p in sorted(survivors) if processes.alive(p)]
    leftover += [f"directory {directory}"] if directory.exists() else []
    return {"namespaces": sorted(names), "processes": [str(p) for p in sorted(stopped)], "leftover": leftover}


def _state(name: str) -> LabState | None:
    """The lab's state if it can be read: ``down`` also works from the name alone."""
    try:
        return LabState.load(name)
    except LabError:
        return None


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
    started = processes.started_for(directory, prefix)
    return {
        "namespaces": netns.existing(prefix),
        "mounts": mounts,
        "files": [str(directory)] if directory.exists() else [],
        "processes": [str(pid) for pid in sorted({*pids, *started}) if processes.alive(pid)],
    }
