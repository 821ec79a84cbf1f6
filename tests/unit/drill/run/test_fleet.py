"""The probe fleet against a fake lab: agents placed on the right nodes, replies followed, records gathered."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from hybridnet.drill.run.fleet import (
    PINHOLE_COMMENT,
    DrillSetupError,
    Endpoints,
    ProbeFleet,
    close_pinhole,
    open_pinhole,
)
from hybridnet.model import default_topology
from hybridnet.waiting import wait_until
from tests.unit.drill.run.fake_lab import FakeLab


def test_the_fleet_measures_both_directions_and_returns_every_agents_records(tmp_path: Path) -> None:
    fake_lab = FakeLab(default_topology(), tmp_path)
    lab: Any = fake_lab
    endpoints = Endpoints.choose(fake_lab.plan.topology)
    fleet = ProbeFleet(lab, endpoints, tmp_path, 10.0, 256, 30_000)
    fleet.start()
    try:
        start = time.monotonic_ns()
        wait_until(lambda: fleet.flowing(start, time.monotonic_ns()) and time.monotonic_ns() - start > 3e8, 10.0,
                   what="replies both ways")
    finally:
        records = fleet.stop()
    assert set(records) == {"udp-onprem-to-vnet", "udp-vnet-to-onprem", "http", "tcp-source", "tcp-sink",
                            "reflector-workload", "reflector-host"}
    assert all(any(r["kind"] == "summary" for r in rs) for rs in records.values())
    assert sum(r["kind"] == "reply" for r in records["udp-onprem-to-vnet"]) >= 10


def test_no_reply_means_not_flowing(tmp_path: Path) -> None:
    fake_lab = FakeLab(default_topology(), tmp_path, outage_s=60)
    lab: Any = fake_lab
    for router in fake_lab.plan.topology.onprem.edge_routers:
        fake_lab.set_link(router.name, f"msee-{router.link}", up=False)
    fleet = ProbeFleet(lab, Endpoints.choose(fake_lab.plan.topology), tmp_path, 10.0, 256, 30_000)
    fleet.start()
    try:
        start = time.monotonic_ns()
        time.sleep(0.3)  # 30 probes' worth of silence, then the question
        assert not fleet.flowing(start, time.monotonic_ns())
    finally:
        fleet.kill()


def test_the_pinhole_is_opened_for_the_probing_host_and_closed_again(tmp_path: Path) -> None:
    fake_lab = FakeLab(default_topology(), tmp_path)
    lab: Any = fake_lab
    endpoints = Endpoints.choose(fake_lab.plan.topology)
    open_pinhole(lab, endpoints)
    assert fake_lab.pinholes == {(endpoints.workload, PINHOLE_COMMENT)}
    close_pinhole(lab, endpoints)
    assert fake_lab.pinholes == set()


def test_an_unknown_host_is_bad_input_naming_the_choices() -> None:
    with pytest.raises(DrillSetupError, match="choose one of: onprem-host1") as error:
        Endpoints.choose(default_topology(), host="nope")
    assert error.value.exit_code == 2
