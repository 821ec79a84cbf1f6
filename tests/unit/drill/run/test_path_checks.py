"""Largest DF packet and MSS: real commands on loopback, scripted ones for a tunnel MTU (naming a
traceroute's path is tested with the path labeller, ``analysis/test_paths.py``)."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator, Sequence

import pytest

from hybridnet.drill.result import PathMtuResult
from hybridnet.drill.run.path_checks import (
    connection_mss,
    largest_df_payload,
    local_runner,
    parse_ss_mss,
)


class TunnelPath:
    """A scripted runner: ``ping -M do -s N`` passes only when the packet fits ``mtu``."""

    def __init__(self, mtu: int | None) -> None:
        self.mtu = mtu
        self.sizes: list[int] = []

    def __call__(self, argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        assert argv[0] == "ping" and "-M" in argv and argv[argv.index("-M") + 1] == "do"
        size = int(argv[argv.index("-s") + 1])
        self.sizes.append(size)
        passes = self.mtu is not None and size + 28 <= self.mtu
        return subprocess.CompletedProcess(list(argv), 0 if passes else 1, "", "")


def test_vpn_tunnel_mtu_of_1400_allows_a_1372_byte_payload() -> None:
    tunnel = TunnelPath(mtu=1400)
    assert largest_df_payload(tunnel, "10.0.1.4") == 1372
    assert len(tunnel.sizes) <= 13  # a binary search, not a sweep


def test_expressroute_path_passes_a_full_ethernet_frame_at_once() -> None:
    link = TunnelPath(mtu=1500)
    assert largest_df_payload(link, "10.0.1.4") == 1472
    assert link.sizes == [0, 1472]


def test_a_black_hole_is_not_mistaken_for_a_small_mtu() -> None:
    assert largest_df_payload(TunnelPath(mtu=None), "10.0.1.4") is None


@pytest.mark.skipif(shutil.which("ping") is None, reason="iputils-ping is not installed")
def test_df_search_with_the_real_ping_on_loopback() -> None:
    assert largest_df_payload(local_runner, "127.0.0.1") == 1472  # lo's MTU is far above 1500


@pytest.fixture
def clamped_connection() -> Iterator[int]:
    """A loopback connection whose listener advertises MSS 1310, as a clamping tunnel router would."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 1310)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port), timeout=5)
    server, _ = listener.accept()
    yield port
    for sock in (client, server, listener):
        sock.close()


@pytest.mark.skipif(shutil.which("ss") is None, reason="iproute2 is not installed")
def test_connection_mss_shows_the_mss_the_peer_advertised(clamped_connection: int) -> None:
    mss = connection_mss(local_runner, remote="127.0.0.1", remote_port=clamped_connection)
    assert mss is not None and 1200 <= mss <= 1310
    protected = PathMtuResult(path="VPN", largest_df_payload=1372, mss_observed=mss)
    assert protected.path_mtu == 1400 and protected.mss_protects is True


def test_an_unclamped_mss_does_not_fit_the_tunnel() -> None:
    assert PathMtuResult(path="VPN", largest_df_payload=1372, mss_observed=1460).mss_protects is False
    assert PathMtuResult(path="VPN", largest_df_payload=1372).mss_protects is None


def test_ss_output_is_parsed_for_mss_not_advmss() -> None:
    output = ("ESTAB 0 0 192.168.1.10:40000 10.0.1.4:80\n"
              "\t cubic wscale:7,7 rto:204 rtt:0.5/0.25 mss:1298 pmtu:1400 rcvmss:536 advmss:1448 cwnd:10\n")
    assert parse_ss_mss(output) == [1298]
