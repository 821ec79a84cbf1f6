"""Checks of a path that need a command run in a namespace: largest DF packet, TCP MSS, traceroute.

Each takes a ``runner`` — a callable that runs an argv and returns the completed process — so the
drill passes the lab's runner for a node while tests run the same code locally or with a scripted
runner. Parsing is kept apart from running so it can be checked on captured output; naming the path
a traceroute's hops took is ``analysis.paths.path_from_hops``.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Sequence

Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]

ICMP_ECHO_OVERHEAD = 28  # IPv4 header + ICMP echo header: payload + 28 = packet size
ETHERNET_MAX_PAYLOAD = 1500 - ICMP_ECHO_OVERHEAD


def local_runner(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """Run in the current namespace, bounded in time."""
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=10, check=False)


def df_ping_passes(runner: Runner, destination: str, payload: int, timeout_s: int = 1) -> bool:
    """One ICMP echo of ``payload`` bytes with Don't Fragment set; True when it is answered."""
    completed = runner(["ping", "-n", "-q", "-M", "do", "-c", "1", "-W", str(timeout_s),
                        "-s", str(payload), destination])
    return completed.returncode == 0


def largest_df_payload(runner: Runner, destination: str, low: int = 0,
                       high: int = ETHERNET_MAX_PAYLOAD) -> int | None:
    """The largest ICMP payload that reaches ``destination`` with DF set (binary search).

    Returns None when not even ``low`` passes (the destination is unreachable), so a black hole is
    never mistaken for a small MTU. Path MTU = result + 28.
    """
    if not df_ping_passes(runner, destination, low):
        return None
    if df_ping_passes(runner, destination, high):
        return high
    passes, fails = low, high
    while fails - passes > 1:
        middle = (passes + fails) // 2
        if df_ping_passes(runner, destination, middle):
            passes = middle
        else:
            fails = middle
    return passes


_MSS = re.compile(r"(?<![a-z])mss:(\d+)")


def parse_ss_mss(ss_output: str) -> list[int]:
    """The negotiated MSS of each connection in ``ss -tin`` output (``mss:``, not ``advmss:``)."""
    return [int(value) for value in _MSS.findall(ss_output)]


def connection_mss(runner: Runner, *, local_port: int | None = None, remote: str | None = None,
                   remote_port: int | None = None) -> int | None:
    """The MSS of established connections matching the filter (the smallest, if several).

    Ask the side that has sent no full-sized segment — the TCP stream's *sink*, or a client that
    only connected: its MSS is what the peer's SYN advertised after any clamping on the way. The
    sending side's MSS is lowered by path-MTU discovery whenever ICMP gets back, which would hide a
    missing clamp that breaks TCP as soon as ICMP is filtered (as on many real paths).
    """
    argv = ["ss", "-tinH", "state", "established"]
    if remote is not None:
        argv += ["dst", remote]
    if remote_port is not None:
        argv += ["dport", "=", f":{remote_port}"]
    if local_port is not None:
        argv += ["sport", "=", f":{local_port}"]
    values = parse_ss_mss(runner(argv).stdout)
    return min(values) if values else None


def parse_traceroute(output: str) -> list[str | None]:
    """Hop addresses from ``traceroute -n`` output, None for a hop that did not answer."""
    hops: list[str | None] = []
    for line in output.splitlines():
        match = re.match(r"\s*\d+\s+(.*)", line)
        if match is None:
            continue
        address = re.search(r"\d{1,3}(?:\.\d{1,3}){3}", match.group(1))
        hops.append(address.group(0) if address else None)
    return hops
