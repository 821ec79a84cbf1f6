"""Lab fixtures: real namespaces and daemons, always torn down, with a per-run name prefix.

The lab tests need root, FRR and strongSwan; without them they are skipped (and only then). One
reference lab is shared by the tests that only read it or that restore what they change.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from hybridnet.emulate import Lab, down, plan
from hybridnet.model import default_topology

RUN_ID = f"{os.getpid() % 100000:05d}"


def lab_name(role: str) -> str:
    """A lab name unique to this test run, so parallel runs and leftovers never collide."""
    return f"t{RUN_ID}-{role}"


def _missing_requirements() -> str | None:
    if os.geteuid() != 0:
        return "lab tests need root"
    for program in ("/usr/lib/frr/zebra", "/usr/lib/frr/bgpd", "/usr/lib/frr/bfdd",
                    "/usr/sbin/charon-systemd",
                    "swanctl", "vtysh", "nft", "nsenter"):
        if shutil.which(program) is None and not os.path.exists(program):
            return f"lab tests need {program} (scripts/setup.sh installs it)"
    return None


def xdist_group_of(item: pytest.Item) -> str:
    """The worker group of a lab test: its module, or module and topology for a parametrised lab.

    Tests that share a lab (a module- or session-scoped fixture) run on one worker, so each lab is
    brought up once; different labs run side by side on different workers, because lab tests mostly
    wait on protocol timers rather than use the CPU.
    """
    group = Path(str(item.fspath)).stem
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "lab" in callspec.params:
        group += f"[{callspec.params['lab']}]"
    if group in SHARED_REFERENCE_LAB:
        group = "reference-lab"
    if group.split("[")[0] in ESTATE_DRILLS:
        group = "estate-drills"
    if group.startswith("test_verify_matrix["):
        group = "estate-verify"
    return group


SHARED_REFERENCE_LAB = {"test_reference_lab", "test_lab_lifecycle"}
"""Modules that use the session's one reference lab: kept on one worker so it is built once."""

ESTATE_DRILLS = {"test_estate_labs", "test_estate_synthetic"}
"""Estate drills measure outages against bounds, and an estate runs many probe pairs: one estate lab at a
time (on one worker) keeps two of them from stalling each other's probes on the 2-core machine. The
estate verify-matrix runs (``estate-verify``) share a worker for the same reason."""


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks lab tests (and their xdist group) before xdist's own hook turns groups into node ids:
    a conftest registers after xdist's worker plugin, so without ``tryfirst`` it ran last and the
    groups were ignored (tests sharing a lab ran on different workers, side by side)."""
    reason = _missing_requirements()
    for item in items:
        if "tests/lab/" in str(item.fspath):
            item.add_marker(pytest.mark.lab)
            item.add_marker(pytest.mark.xdist_group(xdist_group_of(item)))
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def reference_lab() -> Iterator[Lab]:
    """The reference topology, up and ready (ExpressRoute carrying traffic, VPN standing by)."""
    name = lab_name("ref")
    try:
        lab = Lab.up(plan(default_topology(), lab=name), timeout_s=90)
        yield lab
    finally:
        down(name)
