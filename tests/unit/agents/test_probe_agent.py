"""The real probe agents on loopback: outage, loss and the TCP stream measured, not assumed."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hybridnet.drill.analysis.paths import TtlPaths
from hybridnet.drill.analysis.streams import http_figures, tcp_stream_result
from hybridnet.drill.run.agents import AgentProcess
from hybridnet.waiting import wait_until
from tests.unit.drill.analysis.simulated import analyse_whole

INTERVAL_MS = 10.0
SCHEDULING_SLACK_MS = 150.0  # two shared cores beside running labs: the 30-150 ms gaps README documents


StartAgent = Callable[..., AgentProcess]


@pytest.fixture
def agents(tmp_path: Path) -> Iterator[StartAgent]:
    started: list[AgentProcess] = []

    def start(name: str, *args: str) -> AgentProcess:
        agent = AgentProcess(name, args, tmp_path / f"{name}.jsonl")
        started.append(agent)
        return agent

    yield start
    for agent in started:
        agent.kill()


def test_paused_reflector_shows_as_an_outage_of_the_pause_length(agents: StartAgent) -> None:
    reflector = agents("reflector", "udp-reflect", "--bind", "127.0.0.1", "--port", "0", "--duration", "20")
    sender = agents("sender", "udp-send", "--target", "127.0.0.1", "--port", str(reflector.port),
                    "--interval-ms", str(INTERVAL_MS), "--count", "150", "--drain-ms", "300",
                    "--duration", "20")
    wait_until(lambda: sender.count("reply") >= 30, 5.0, what="30 replies before the pause")
    # Clock readings on both sides of each signal: the test itself may be descheduled around a kill().
    pausing_at = time.monotonic_ns()
    reflector.signal(signal.SIGSTOP)
    paused_at = time.monotonic_ns()
    sent_at_pause = sender.count("sent")
    wait_until(lambda: sender.count("sent") >= sent_at_pause + 40, 5.0, what="40 probes sent into the pause")
    resuming_at = time.monotonic_ns()
    reflector.signal(signal.SIGCONT)
    resumed_at = time.monotonic_ns()
    records = sender.finish()
    reflector.stop()

    shortest_pause_ms = (resuming_at - paused_at) / 1e6
    longest_pause_ms = (resumed_at - pausing_at) / 1e6
    loopback = TtlPaths.from_routers({(d, "ExpressRoute"): 0 for d in ("onprem-to-vnet", "vnet-to-onprem")})
    analysis, _ = analyse_whole(records, origin_ns=paused_at, path_of=loopback.path_of("onprem-to-vnet"))
    figures = analysis.udp
    assert figures.sent == 150
    # The kernel queued the requests while the reflector was stopped: late, but none lost.
    assert figures.lost == 0 and figures.received == 150
    upper_ms = longest_pause_ms + INTERVAL_MS + SCHEDULING_SLACK_MS
    assert shortest_pause_ms - 1.0 <= figures.outage_ms <= upper_ms
    pause = max(figures.outages, key=lambda o: o.outage_ms)
    assert pause.start_s <= 0.0 < pause.end_s
    # Other gaps are scheduling jitter on two shared cores, far shorter than the pause.
    assert all(o.outage_ms < shortest_pause_ms / 2 for o in figures.outages if o is not pause)
    # The reflector read nothing while stopped, so it saw the same gap on its side.
    assert shortest_pause_ms - 1.0 <= figures.request_outage_ms <= upper_ms
    assert {s.path for s in analysis.segments} == {"ExpressRoute"}  # TTL 64 on loopback: no router


def test_requests_sent_while_no_reflector_runs_are_counted_lost(agents: StartAgent) -> None:
    first = agents("reflector1", "udp-reflect", "--bind", "127.0.0.1", "--port", "0", "--duration", "20")
    port = first.port
    sender = agents("sender", "udp-send", "--target", "127.0.0.1", "--port", str(port),
                    "--interval-ms", str(INTERVAL_MS), "--count", "200", "--drain-ms", "300",
                    "--duration", "20")
    wait_until(lambda: sender.count("reply") >= 30, 5.0, what="30 replies before the reflector stops")
    stopping_at = time.monotonic_ns()
    first.stop()
    stopped_at = time.monotonic_ns()
    sent_while_down_from = sender.count("sent")
    wait_until(lambda: sender.count("sent") >= sent_while_down_from + 30, 5.0,
               what="30 probes sent with no reflector")
    second = agents("reflector2", "udp-reflect", "--bind", "127.0.0.1", "--port", str(port),
                    "--duration", "20")
    assert second.ready is not None
    listening_at = int(second.ready["t_ns"])
    records = sender.finish()

    figures = analyse_whole(records)[0].udp
    assert figures.sent == 200
    assert figures.lost == figures.sent - figures.received >= 30
    sent_ns = {int(r["seq"]): int(r["sent_ns"]) for r in records if r["kind"] == "sent"}
    answered = {int(r["seq"]) for r in records if r["kind"] == "reply"}
    lost_sent_ns = [t for seq, t in sent_ns.items() if seq not in answered]
    # Exactly the probes sent while no reflector listened were lost: none after the new one listened,
    # none long before the stop began (a request still queued when the old one exits is lost too),
    # and every one sent between the old one's exit and the new one's bind.
    slack_ns = int(SCHEDULING_SLACK_MS * 1e6)
    early = [(stopping_at - t) / 1e6 for t in lost_sent_ns if t < stopping_at - slack_ns]
    late = [(t - listening_at) / 1e6 for t in lost_sent_ns if t > listening_at]
    assert not early and not late, f"lost ms before the stop: {early}, after the restart: {late}"
    # (The sender stamps a probe just before sendto: one stamped before the bind may go out after it.)
    answered_in_gap = [seq for seq, t in sent_ns.items()
                       if stopped_at <= t < listening_at - slack_ns and seq in answered]
    assert not answered_in_gap, f"probes answered while no reflector listened: {answered_in_gap}"
    # The reflector restarted inside the gap, so its counters cannot say which way they died.
    assert figures.lost_unattributed == figures.lost


def test_tcp_stream_over_loopback_delivers_every_byte_with_matching_checksum(agents: StartAgent) -> None:
    sink = agents("sink", "tcp-sink", "--bind", "127.0.0.1", "--port", "0", "--duration", "20")
    source = agents("source", "tcp-source", "--target", "127.0.0.1", "--port", str(sink.port),
                    "--rate-kbps", "2048", "--duration", "1.0")
    wait_until(lambda: sink.count("progress") >= 3, 5.0, what="the sink to receive for a while")
    sink.signal(signal.SIGSTOP)  # a stall the stream must ride through
    stalled_from = source.count("progress")
    wait_until(lambda: source.count("progress") >= stalled_from + 2, 5.0, what="the source to keep going")
    sink.signal(signal.SIGCONT)
    source_records = source.finish()
    sink_records = sink.finish()

    stream = tcp_stream_result(source_records, sink_records)
    assert stream.survived and stream.checksum_ok and stream.nothing_lost, stream.error
    assert stream.bytes_sent == stream.bytes_received
    # 1 s at 2 MiB/s: the limiter never runs ahead by more than one 16 KiB chunk; it may fall behind
    # when the source is starved of CPU on a busy machine.
    assert 0.6 * 2048 * 1024 <= stream.bytes_sent <= 2048 * 1024 + 16384
    source_summary = next(r for r in source_records if r["kind"] == "summary")
    sink_summary = next(r for r in sink_records if r["kind"] == "summary")
    assert sink_summary["received_sha256"] == source_summary["sent_sha256"]
    assert sink_summary["content_ok"] is True


def test_tcp_stream_reports_a_dead_sink_as_not_survived(agents: StartAgent) -> None:
    sink = agents("sink", "tcp-sink", "--bind", "127.0.0.1", "--port", "0", "--duration", "20")
    source = agents("source", "tcp-source", "--target", "127.0.0.1", "--port", str(sink.port),
                    "--rate-kbps", "1024", "--duration", "1.5")
    wait_until(lambda: sink.count("progress") >= 2, 5.0, what="the stream to start")
    sink.kill()
    stream = tcp_stream_result(source.finish())
    assert not stream.survived and not stream.nothing_lost
    assert stream.bytes_received == 0  # no trailer: the sink never confirmed anything
    assert stream.error


def test_tcp_sink_detects_bytes_that_differ_from_the_expected_stream(agents: StartAgent) -> None:
    sink = agents("sink", "tcp-sink", "--bind", "127.0.0.1", "--port", "0", "--seed", "other",
                  "--duration", "20")
    source = agents("source", "tcp-source", "--target", "127.0.0.1", "--port", str(sink.port),
                    "--rate-kbps", "256", "--duration", "0.3")
    stream = tcp_stream_result(source.finish(), sink.finish())
    assert not stream.checksum_ok
    assert "byte 0 differs" in stream.error


def test_http_requests_count_failures_while_the_server_is_gone(agents: StartAgent) -> None:
    server = agents("server", "http-serve", "--bind", "127.0.0.1", "--port", "0", "--name", "web-vm1",
                    "--duration", "20")
    port = server.port
    requester = agents("requester", "http-get", "--url", f"http://127.0.0.1:{port}/", "--interval-ms", "20",
                       "--timeout-ms", "500", "--duration", "30")
    wait_until(lambda: requester.count("http") >= 10, 15.0, what="10 answered requests")
    server.stop()
    failed_from = requester.count("http")
    wait_until(lambda: requester.count("http") >= failed_from + 10, 15.0, what="10 requests with no server")
    agents("server2", "http-serve", "--bind", "127.0.0.1", "--port", str(port), "--name", "web-vm2",
           "--duration", "30")

    def served_by_the_second_server() -> bool:
        return any(r.get("served_by") == "web-vm2" for r in requester.records() if r.get("kind") == "http")

    # the requester runs until stopped, so a loaded machine cannot make it finish before the new server answers
    wait_until(served_by_the_second_server, 10.0, what="a request answered by the restarted server")
    records = requester.stop()

    figures = http_figures(records)
    assert figures.requests == sum(1 for r in records if r["kind"] == "http")
    assert figures.ok + figures.failed == figures.requests
    assert figures.failed >= 10
    assert figures.longest_failure_ms >= 9 * 20.0
    served = {r["served_by"] for r in records if r["kind"] == "http" and r["status"] == 200}
    assert served == {"web-vm1", "web-vm2"}


def test_agent_stops_on_sigterm_and_still_writes_its_summary(agents: StartAgent) -> None:
    reflector = agents("reflector", "udp-reflect", "--bind", "127.0.0.1", "--port", "0", "--duration", "600")
    records = reflector.stop()
    summary = records[-1]
    assert summary["kind"] == "summary" and summary["stop_reason"] == "SIGTERM"
    assert json.dumps(summary)  # plain JSON, nothing else


def test_a_sender_stopped_by_sigterm_waits_for_its_last_replies(agents: StartAgent) -> None:
    reflector = agents("reflector", "udp-reflect", "--bind", "127.0.0.1", "--port", "0", "--duration", "20")
    sender = agents("sender", "udp-send", "--target", "127.0.0.1", "--port", str(reflector.port),
                    "--interval-ms", "5", "--drain-ms", "300", "--duration", "600")
    wait_until(lambda: sender.count("reply") >= 40, 5.0, what="40 replies")
    reflector.signal(signal.SIGSTOP)  # hold the last replies back, so they are in flight at the stop
    held_from = sender.count("sent")
    wait_until(lambda: sender.count("sent") >= held_from + 10, 5.0, what="10 probes whose replies are held")
    sender.signal(signal.SIGTERM)
    reflector.signal(signal.SIGCONT)
    records = sender.finish()
    figures = analyse_whole(records)[0].udp
    assert figures.sent >= 50
    assert figures.lost == 0  # the probes in flight at the stop were answered, not written off
    assert records[-1]["stop_reason"] == "SIGTERM"
