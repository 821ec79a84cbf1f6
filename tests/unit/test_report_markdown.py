"""The Markdown report: the guidance's four steps, with outage next to what the timers predict."""

from __future__ import annotations

from dataclasses import replace

from hybridnet.drill.result import PathMtuResult, RepeatStatistics, TcpStreamResult
from hybridnet.report import render_markdown
from tests.unit.test_report_sample import sample_drill


def test_markdown_lists_every_step_in_both_directions() -> None:
    text = render_markdown(sample_drill())
    steps = text.split("## Steps", 1)[1].split("##", 1)[0]
    rows = [line for line in steps.splitlines() if line.startswith("| ") and not line.startswith("| step")]
    assert len(rows) == 8  # four steps, two directions
    assert sum(row.startswith("| stop the circuit |") for row in rows) == 2
    assert ("| stop the circuit | on-premises → VNet | 912 ms | ~900 ms (bfd) | "
            "90 of 230 (request 90, reply 0) |") in text
    assert "Drill PASSED" in text


def test_a_step_on_the_wrong_path_is_called_out() -> None:
    result = sample_drill()
    result.steps[1] = replace(result.steps[1], path_after="ExpressRoute", expected_path="VPN")
    text = render_markdown(result)
    assert "Drill FAILED" in text
    assert "❌ expected VPN" in text


def test_a_broken_stream_is_reported_with_its_error() -> None:
    result = sample_drill()
    result.tcp_stream = TcpStreamResult(bytes_sent=5000, bytes_received=0, checksum_ok=False, survived=False,
                                        error="Connection timed out")
    text = render_markdown(result)
    assert "connection survived: NO" in text and "error: Connection timed out" in text
    assert "did NOT survive intact" in text


def test_repeats_and_mtu_findings_appear() -> None:
    result = sample_drill()
    result.repeats = [RepeatStatistics.of("stop the circuit", "onprem-to-vnet", [850.0, 912.0, 1300.0])]
    result.steps[2] = replace(result.steps[2], path_mtu=(PathMtuResult("VPN", 1372, 1460),))
    text = render_markdown(result)
    assert "## Over 3 runs" in text
    assert "| stop the circuit | on-premises → VNet | 850 ms | 912 ms | 1.30 s | 1.30 s |" in text
    assert "largest DF packet 1400 B (payload 1372), MSS 1460: MSS too large for this path: clamp it" in text


def test_pipes_in_event_details_do_not_break_the_table() -> None:
    result = sample_drill()
    result.events[0] = replace(result.events[0], detail="a | b")
    assert "a \\| b" in render_markdown(result)
