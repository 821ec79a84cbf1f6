"""Lab life cycle: a wrong key is diagnosed, `down` leaves nothing (also after SIGKILL of `up`),
and two labs run side by side without touching each other."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from ipaddress import IPv4Address

import pytest

from hybridnet.emulate import Lab, down, lab_keys, plan
from hybridnet.emulate.lab import footprint
from hybridnet.emulate.state import LabState, lab_directory
from hybridnet.emulate.status import EXPRESSROUTE, lab_status, trace_path
from hybridnet.model import default_topology
from tests.lab.conftest import lab_name

pytestmark = pytest.mark.lab


def nothing_left(name: str, pids: list[int]) -> dict[str, list[str]]:
    return {kind: items for kind, items in footprint(name, pids).items() if items}


def test_wrong_shared_key_gives_no_sa_and_status_says_why(reference_lab: Lab) -> None:
    name = lab_name("key")
    topology = default_topology()
    pids: list[int] = []
    try:
        lab = Lab.up(plan(topology, lab=name), keys=lab_keys(topology, mismatch=True), require_vpn=False,
                     timeout_s=90)
        pids = [record.pid for record in lab.state.processes]
        deadline = time.monotonic() + 30
        report = lab_status(lab)
        while time.monotonic() < deadline and not all(item["reason"] for item in report.ipsec
                                                      if item["node"] == "onprem-vpn"):
            time.sleep(0.5)
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


def test_down_after_sigkill_during_up_leaves_nothing() -> None:
    name = lab_name("kill")
    command = [sys.executable, "-c", "from hybridnet.cli import main; main()", "up", "--lab", name]
    up = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pids: list[int] = []
    try:
        state_file = lab_directory(name) / "state.json"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if state_file.exists():
                try:
                    if len(json.loads(state_file.read_text())["processes"]) >= 8:
                        break
                except (ValueError, OSError):
                    pass
            time.sleep(0.02)
        else:
            pytest.fail(f"`{' '.join(command)}` never got to start daemons")
        up.send_signal(signal.SIGKILL)
        up.wait(timeout=10)
        state = LabState.load(name)
        assert state is not None
        pids = [record.pid for record in state.processes]
        assert footprint(name, pids)["namespaces"], "the killed `up` had created namespaces"
    finally:
        if up.poll() is None:
            up.kill()
        removed = down(name)
    assert not removed["leftover"]
    assert nothing_left(name, pids) == {}


def test_up_refuses_a_lab_name_that_is_taken(reference_lab: Lab) -> None:
    from hybridnet.emulate import LabError

    with pytest.raises(LabError, match="already up"):
        Lab.up(plan(default_topology(), lab=reference_lab.name))
    assert os.path.isdir(reference_lab.directory)
