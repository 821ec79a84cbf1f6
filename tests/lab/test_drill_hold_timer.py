"""Without BFD a gray failure is only noticed when the BGP hold timer expires: the drill shows it.

A variant of the reference with BFD off on the private peering and short test timers (keepalive
3 s, hold 9 s — Azure's defaults of 60/180 s would make the same point in three minutes). The
report must put the hold timer next to the measured outage, and the outage must track it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hybridnet.drill import DrillOptions, run_drill
from hybridnet.drill.scenario import build_scenario
from hybridnet.emulate import Lab, down, plan
from hybridnet.report import render_markdown
from tests.conftest import reference_document, topology_from
from tests.lab.conftest import lab_name

pytestmark = pytest.mark.lab

HOLD_S = 9


@pytest.fixture(scope="module")
def hold_timer_lab() -> Iterator[Lab]:
    document = reference_document()
    document["name"] = "hold-timer-only"
    peering = document["circuit"]["private_peering"]
    peering["bfd"] = {"enabled": False}
    peering["bgp_timers"] = {"keepalive_s": 3, "hold_s": HOLD_S}
    name = lab_name("hold")
    try:
        yield Lab.up(plan(topology_from(document), lab=name), timeout_s=120)
    finally:
        down(name)


def test_without_bfd_a_gray_failure_lasts_about_the_hold_time(hold_timer_lab: Lab) -> None:
    scenario = build_scenario("gray-failure", hold_timer_lab.plan.topology)
    result = run_drill(hold_timer_lab.plan.topology, scenario, DrillOptions(path_checks=False), lab=hold_timer_lab)
    assert result.predictions[0].mechanism == "bgp-hold"
    assert result.predictions[0].detection_ms == HOLD_S * 1000
    fault_steps = [s for s in result.steps if s.name == "drop silently on the circuit"]
    assert len(fault_steps) == 2
    for step in fault_steps:
        assert (step.path_before, step.path_after) == ("ExpressRoute", "VPN"), step
        # The hold timer runs from the last keepalive received, 0–3 s before the drop began:
        # detection between hold − keepalive and hold, plus convergence.
        assert (HOLD_S - 3) * 1000 - 500 < step.outage_ms < HOLD_S * 1000 + 3000, step.udp
    assert not any(e.source == "bfd" for e in result.events)
    assert any(e.source == "bgp" and e.kind == "session down" for e in result.events)
    markdown = render_markdown(result)
    assert "BGP hold 9 s" in markdown and "~9.00 s (bgp-hold)" in markdown, markdown
    assert result.tcp_stream is not None and result.tcp_stream.nothing_lost
