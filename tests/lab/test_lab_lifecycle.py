"""Lab life cycle: a wrong key is diagnosed, `down` leaves nothing (also after SIGKILL of `up`, a
half-created lab or a daemon that forks as it is stopped) yet spares what the lab did not start,
`up` reports a system error without a traceback, and two labs run side by side."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from ipaddress import IPv4Address
from pathlib import Path

import pytest

from hybridnet.emulate import Lab, LabError, LabNotReady, down, lab_keys, netns, plan, processes
from hybridnet.emulate.lab import footprint
from hybridnet.emulate.plan import EXPRESSROUTE
from hybridnet.emulate.state import LabState, lab_directory, namespace_name, namespace_prefix
from hybridnet.emulate.status import lab_status, trace_path
from hybridnet.model import default_topology
from hybridnet.waiting import poll_until, wait_until
from tests.lab.conftest import lab_name

HYBRIDNET = str(Path(sys.executable).with_name("hybridnet"))

pytestmark = pytest.mark.lab


def nothing_left(name: str, pids: list[int]) -> dict[str, list[str]]:
    return {kind: items for kind, items in footprint(name, pids).items() if items}


@pytest.fixture
def held() -> Iterator[list[int]]:
    """Open namespace descriptors (``namespace_inodes``), closed when the test is over."""
    descriptors: list[int] = []
    yield descriptors
    for descriptor in descriptors:
        os.close(descriptor)


def namespace_inodes(name: str, held: list[int]) -> set[int]:
    """The identities of the lab's namespaces now, each held open (its descriptor goes to ``held``).

    Held, a namespace keeps its inode number after ``down`` unmounts it; freed, the number goes
    to the next namespace made — by a lab on another test worker — and ``lab_processes`` would
    report that lab's daemons as this lab's.
    """
    inodes = set()
    for namespace in netns.existing(namespace_prefix(name)):
        opened = netns.hold(namespace)
        if opened is not None:
            held.append(opened[0])
            inodes.add(opened[1])
    return inodes


def lab_processes(name: str, inodes: set[int], spare: set[int] = frozenset()) -> list[str]:
    """Every process in one of the lab's namespaces, or naming its directory or namespaces in its
    command line — whatever ``down`` itself thinks — except ``spare`` (the test's own)."""
    needles = (f"{lab_directory(name)}/".encode(), f"/run/netns/{namespace_prefix(name)}".encode())
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) in spare | {os.getpid()}:
            continue
        try:
            command = Path(f"/proc/{entry.name}/cmdline").read_bytes()
            inside = os.stat(f"/proc/{entry.name}/ns/net").st_ino in inodes
        except OSError:
            continue
        if (inside or any(n in command for n in needles)) and processes.alive(int(entry.name)):
            found.append(f"{entry.name}: {command.replace(bytes(1), b' ').decode(errors='replace')[:200]}")
    return found


def test_wrong_shared_key_gives_no_sa_and_status_says_why(reference_lab: Lab) -> None:
    name = lab_name("key")
    topology = default_topology()
    pids: list[int] = []
    try:
        lab = Lab.up(plan(topology, lab=name), keys=lab_keys(topology, mismatch=True), require_vpn=False,
                     timeout_s=90)
        pids = [record.pid for record in lab.state.processes]
        def explained() -> bool:
            return all(item["reason"] for item in lab_status(lab).ipsec if item["node"] == "onprem-vpn")

        poll_until(explained, 30, 0.5)
        report = lab_status(lab)
        onprem = [item for item in report.ipsec if item["node"] == "onprem-vpn"]
        assert onprem and all(item["child"] != "INSTALLED" for item in report.ipsec), report.ipsec
        assert all("pre-shared keys" in (item["reason"] or "") for item in onprem), onprem
        # ExpressRoute is unaffected, and the other lab (side by side, same addresses) too.
        assert trace_path(lab, "onprem-host1", IPv4Address("10.0.1.4")).via == EXPRESSROUTE
        assert all(item["child"] == "INSTALLED" for item in lab_status(reference_lab).ipsec)
    finally:
        removed = down(name)
    assert not removed["leftover"]
    assert nothing_left(name, pids) == {}
    assert trace_path(reference_lab, "onprem-host1", IPv4Address("10.0.1.4")).via == EXPRESSROUTE
    assert reference_lab.run("onprem-host1", ["ping", "-c1", "-W2", "10.0.1.4"]).returncode == 0


@pytest.mark.parametrize("started", [3, 9, 20])
def test_down_after_sigkill_during_up_leaves_nothing(started: int, held: list[int]) -> None:
    """SIGKILL `up` while it starts daemons (after ``started`` of them): `down` leaves no process
    anywhere — none in the lab's namespaces (also unmounted ones), none naming the lab."""
    name = lab_name(f"kill{started}")
    command = [sys.executable, "-c", "from hybridnet.cli import main; main()", "up", "--lab", name]
    up = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pids: list[int] = []
    inodes: set[int] = set()
    try:
        state_file = lab_directory(name) / "state.json"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if state_file.exists():
                try:
                    if len(json.loads(state_file.read_text())["processes"]) >= started:
                        break
                except (ValueError, OSError):
                    pass
            time.sleep(0.005)
        else:
            pytest.fail(f"`{' '.join(command)}` never got to start daemons")
        up.send_signal(signal.SIGKILL)
        up.wait(timeout=10)
        state = LabState.load(name)
        assert state is not None
        pids = [record.pid for record in state.processes]
        inodes = namespace_inodes(name, held)
        assert inodes, "the killed `up` had created namespaces"
    finally:
        if up.poll() is None:
            up.kill()
        removed = down(name)
    assert not removed["leftover"]
    assert nothing_left(name, pids) == {}
    assert lab_processes(name, inodes) == []


def test_down_stops_what_a_daemon_forks_as_it_is_stopped_and_spares_a_reader_of_its_logs(held: list[int]) -> None:
    """A lab helper that forks a child when told to stop (as a daemonizing program does) leaves no
    orphan behind; a `tail -f` of a lab log, started by the user outside the lab, keeps running."""
    name = lab_name("fork")
    topology = default_topology()
    tail = None
    inodes: set[int] = set()
    try:
        lab = Lab.up(plan(topology, lab=name), wait=False)
        forker = "trap 'sleep 600 & exit 0' TERM; echo trapped; while :; do sleep 0.05; done"
        lab.spawn("onprem-core", ["sh", "-c", forker], "forker.log")
        forker_log = lab.node_directory("onprem-core") / "forker.log"
        log = lab.node_directory("onprem-core") / "frr" / "zebra.log"
        tail = subprocess.Popen(["tail", "-f", str(log)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        inodes = namespace_inodes(name, held)
        wait_until(lambda: forker_log.exists() and "trapped" in forker_log.read_text(), 10,
                   what="the shell to install its trap")
    finally:
        removed = down(name)
    try:
        assert not removed["leftover"], removed
        assert lab_processes(name, inodes, spare={tail.pid}) == []
        assert tail.poll() is None, "down stopped a process it did not start"
    finally:
        tail.kill()
        tail.wait()


def test_down_removes_a_half_created_lab(held: list[int]) -> None:
    """`up` stopped after making some namespaces (one only half: its file, no mount) and starting a
    program, before it wrote any state: `hybridnet down` removes all of it."""
    name = lab_name("half")
    directory = lab_directory(name)
    directory.mkdir(mode=0o700, parents=True)
    for node in ("onprem-core", "onprem-ce1"):
        netns.create(namespace_name(name, node))
    half = netns.namespace_path(namespace_name(name, "onprem-ce2"))
    half.touch(mode=0)
    sleeper = processes.spawn(namespace_name(name, "onprem-core"), ["sleep", "600"], directory / "sleep.log")
    inodes = namespace_inodes(name, held)
    try:
        completed = subprocess.run([HYBRIDNET, "down", "--lab", name], capture_output=True, text=True, timeout=60,
                                   check=False)
        assert completed.returncode == 0, completed.stdout + completed.stderr
        assert "Traceback" not in completed.stderr
        sleeper.wait(timeout=5)
        assert nothing_left(name, [sleeper.pid]) == {}
        assert not half.exists()
        assert lab_processes(name, inodes) == []
    finally:
        down(name)


def test_down_spares_a_lab_whose_new_namespace_gets_the_number_of_one_it_removed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The kernel gives a new namespace the lowest free inode number, so the number of a namespace
    `down` has just removed goes to the next namespace made, here by another lab coming up side by
    side while `down` still scans: `down` must not take that lab's program for its own."""
    gone, other = lab_name("gone"), lab_name("other")
    for name in (gone, other):
        lab_directory(name).mkdir(mode=0o700, parents=True)
    netns.create(namespace_name(gone, "onprem-core"))
    number = netns.inode(namespace_name(gone, "onprem-core"))
    made: list[str] = []
    neighbour: list[subprocess.Popen[bytes]] = []
    remove = netns.remove

    def another_namespace_gets_the_number() -> bool:
        made.append(namespace_name(other, f"node{len(made)}"))
        netns.create(made[-1])  # each one takes the lowest free number: lower free ones go first
        return netns.inode(made[-1]) == number or len(made) >= 20

    def remove_as_another_lab_comes_up(namespace: str) -> None:
        remove(namespace)
        if namespace.startswith(namespace_prefix(gone)) and not neighbour:
            with contextlib.suppress(LabError):  # the number stays taken while `down` holds it
                wait_until(another_namespace_gets_the_number, 10, what="a namespace with the freed number")
            neighbour.append(processes.spawn(made[-1], ["sleep", "600"], lab_directory(other) / "sleep.log"))

    monkeypatch.setattr(netns, "remove", remove_as_another_lab_comes_up)
    try:
        removed = down(gone)
        assert neighbour, "down removed no namespace"
        assert neighbour[0].poll() is None, f"down({gone}) killed a program of lab {other}"
        assert str(neighbour[0].pid) not in removed["processes"]
        assert not removed["leftover"]
    finally:
        monkeypatch.undo()
        down(gone)
        down(other)
        for program in neighbour:
            program.wait(timeout=5)


def test_up_reports_a_full_disk_and_leaves_nothing() -> None:
    """`up` with no room for the lab's files (a 4 KiB /run/hybridnet, in a private mount namespace so
    no other lab sees it): a message naming the error, exit 2, no traceback, nothing left behind."""
    name = lab_name("full")
    script = (
        "mount -t tmpfs -o size=4k,mode=0700 tmpfs /run/hybridnet || exit 99; "
        f'"$0" up --lab {name} --timeout 30; echo "exit=$?"; ls -A /run/hybridnet; ls /run/netns'
    )
    completed = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, HYBRIDNET],
                               capture_output=True, text=True, timeout=120, check=False)
    try:
        assert completed.returncode != 99, completed.stderr
        assert "exit=2" in completed.stdout, completed.stdout + completed.stderr
        assert "No space left on device" in completed.stderr, completed.stderr
        assert "Traceback" not in completed.stderr, completed.stderr
        listing = completed.stdout.split("exit=2", 1)[1]
        assert name not in listing, f"`up` left part of the lab behind: {listing}"
    finally:
        down(name)


def test_up_with_keys_that_differ_stops_early_and_names_the_keys() -> None:
    """Waiting for a VPN whose pre-shared keys differ cannot help: `up` says so at once."""
    name = lab_name("keyup")
    topology = default_topology()
    started = time.monotonic()
    try:
        with pytest.raises(LabNotReady, match="pre-shared keys"):
            Lab.up(plan(topology, lab=name), keys=lab_keys(topology, mismatch=True), timeout_s=90)
        assert time.monotonic() - started < 30
    finally:
        down(name)


def test_up_refuses_a_lab_name_that_is_taken(reference_lab: Lab) -> None:
    from hybridnet.emulate import LabError

    with pytest.raises(LabError, match="already up"):
        Lab.up(plan(default_topology(), lab=reference_lab.name))
    assert os.path.isdir(reference_lab.directory)
