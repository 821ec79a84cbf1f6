"""The route analysis against the emulator, its ground truth: for both routing variants (and the
reference at depth 2; tests/lab/test_verify_matrix.py runs it at depth 1), in every failure the lab
can produce, every node's predicted next hop is the route FRR installed, and the predicted path is
the one the kernel FIBs take, both ways.

The work is ``hybridnet.verify`` (what ``hybridnet verify-matrix`` runs): how each part is failed in
the lab, the condition waits, the comparison. Single failures by default (about a minute per
topology); ``HYBRIDNET_CROSSCHECK_DEPTH=2`` adds every double failure and the reference.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hybridnet.emulate import Lab, down, plan
from hybridnet.model import default_topology, load
from hybridnet.routing import scenario
from hybridnet.verify import verify_matrix
from hybridnet.verify.flows import predict
from hybridnet.verify.live import settle
from hybridnet.verify.report import differences
from hybridnet.verify.run import _read, fast_vpn_timers
from hybridnet.waiting import poll_until
from tests.lab.conftest import lab_name

pytestmark = pytest.mark.lab

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DEPTH = int(os.environ.get("HYBRIDNET_CROSSCHECK_DEPTH", "1"))
TOPOLOGIES = {
    "no-er-preference": EXAMPLES / "variant-no-er-preference.yaml",
    "vpn-pinned-24": EXAMPLES / "variant-vpn-pinned-24.yaml",
    **({"reference": None} if DEPTH >= 2 else {}),
}


@pytest.mark.parametrize("key", list(TOPOLOGIES))
def test_predicted_routes_and_paths_are_what_the_lab_installs_and_takes(key: str) -> None:
    path = TOPOLOGIES[key]
    topology = load(path) if path is not None else default_topology()
    name = lab_name(f"rx{list(TOPOLOGIES).index(key)}")
    try:
        result = verify_matrix(topology, lab_name=name, depth=DEPTH)
    finally:
        down(name)
    assert result.agrees, "\n".join(differences(result))


@pytest.fixture(scope="module")
def reference_lab() -> Iterator[Lab]:
    name = lab_name("rxk")
    try:
        yield Lab.up(plan(fast_vpn_timers(default_topology()), lab=name))
    finally:
        down(name)


def test_the_kernel_forwards_as_zebra_installed_after_a_link_flap(reference_lab: Lab) -> None:
    running = reference_lab

    def kernel() -> set[tuple[str, ...]]:
        return {
            tuple(sorted(h["gateway"] for h in r.get("nexthops", [{"gateway": r.get("gateway")}]) if h.get("gateway")))
            for r in running.routes("onprem-core")
            if r.get("destination") == "10.0.0.0/16"
        }

    running.set_link("onprem-core", "onprem-ce2", False)
    assert poll_until(lambda: kernel() == {("100.64.0.2",)}, 10), kernel()
    running.set_link("onprem-core", "onprem-ce2", True)
    all_up = scenario(frozenset())
    predicted = predict(running.plan.topology, [all_up])[all_up.name]
    reading, converged = settle(lambda: _read(running, all_up, predicted), 45, lambda: not running.missing_parts())
    assert converged, reading.routes
    assert kernel() == {("100.64.0.2", "100.64.0.6")}, kernel()
