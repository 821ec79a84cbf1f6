"""The control-plane watch against a fake lab: FRR state changes and VICI events become timed events."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from hybridnet.drill.run.watch import ControlPlaneWatch, watched_routers
from hybridnet.model import default_topology
from hybridnet.waiting import wait_until
from tests.unit.drill.run.fake_lab import FakeLab


def test_the_watch_sees_bfd_bgp_and_routes_change_and_follows_vici(tmp_path: Path) -> None:
    fake_lab = FakeLab(default_topology(), tmp_path, outage_s=0.2)
    lab: Any = fake_lab
    origin = time.monotonic_ns()
    watch = ControlPlaneWatch(lab, origin, poll_s=0.02)
    watch.start()
    try:
        for router in fake_lab.plan.topology.onprem.edge_routers:
            fake_lab.set_link(router.name, f"msee-{router.link}", up=False)
        wait_until(lambda: any("VPN" in e.detail for e in watch.events), 5.0, 0.02, what="a route via the VPN")
    finally:
        events = watch.stop()
    sources = {e.source for e in events}
    assert {"bfd", "bgp", "zebra", "ike"} <= sources, sources
    assert all(e.t_s >= 0 for e in events)
    assert all(session.closed for session in fake_lab.sessions)


def test_only_routers_that_run_frr_are_watched(tmp_path: Path) -> None:
    fake_lab = FakeLab(default_topology(), tmp_path)
    lab: Any = fake_lab
    watched = {w.node for w in watched_routers(lab)}
    assert watched <= set(fake_lab.routers())
    assert {"er-gateway", "vnet-fabric", "onprem-core"} <= watched
