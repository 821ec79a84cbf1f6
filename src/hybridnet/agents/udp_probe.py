"""The UDP sequence probe: a sender that numbers datagrams and a reflector that echoes them.

The reflector echoes, besides the sender's own fields, what only it can know: when it received the
request, the request's IP TTL (the forward path's hop count), how many distinct requests it has
received so far and when it received the previous one. From that the sender can tell a lost
request from a lost reply, and the forward path from the return path, without a second log file.
Both ends read time from CLOCK_MONOTONIC, which network namespaces share, so their stamps compare.
Standard library only: this runs inside the lab's namespaces.
"""

from __future__ import annotations

import os
import select
import socket
import struct
import sys
import time

from hybridnet.agents.agent_io import POLL_S, Lifetime, RecordCapReached, RecordWriter

IP_RECVTTL = getattr(socket, "IP_RECVTTL", 12)  # Linux value; Python 3.11 does not export it
REQUEST = struct.Struct("!4sQQ")  # magic, seq, sender send time (ns)
REPLY = struct.Struct("!4sQQQBQQQ")  # magic, seq, sent_ns, reflector recv ns, request TTL, reflector id,
#                                     distinct requests received, previous receive ns
REQUEST_MAGIC = b"HNq1"
REPLY_MAGIC = b"HNr1"
ANCILLARY_SIZE = socket.CMSG_SPACE(4)
MAX_DRAIN_S = 10.0


def _udp_socket(bind_host: str, bind_port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
    sock.bind((bind_host, bind_port))
    return sock


def _ttl_of(ancillary: list[tuple[int, int, bytes]]) -> int:
    """The IP TTL the kernel reported for a datagram; -1 when it did not."""
    for level, kind, payload in ancillary:
        if level == socket.IPPROTO_IP and kind == socket.IP_TTL and len(payload) >= 4:
            return int.from_bytes(payload[:4], sys.byteorder)
    return -1


def run_reflector(writer: RecordWriter, lifetime: Lifetime, bind_host: str, port: int,
                  max_seq: int, log_requests: bool) -> None:
    """Echo every request until stopped; remember which sequence numbers arrived (a bitmap)."""
    sock = _udp_socket(bind_host, port)
    reflector_id = int.from_bytes(os.urandom(8), "big")
    seen = bytearray((max_seq + 8) // 8)
    received_total = 0
    duplicates = 0
    previous_recv_ns = 0
    writer.write("ready", role="udp-reflector", port=sock.getsockname()[1], reflector_id=reflector_id,
                 t_ns=time.monotonic_ns())
    try:
        while not lifetime.expired():
            readable, _, _ = select.select([sock], [], [], POLL_S)
            if not readable:
                continue
            payload, ancillary, _flags, peer = sock.recvmsg(2048, ANCILLARY_SIZE)
            recv_ns = time.monotonic_ns()
            if len(payload) < REQUEST.size or payload[:4] != REQUEST_MAGIC:
                continue
            _magic, seq, sent_ns = REQUEST.unpack_from(payload)
            ttl = _ttl_of(ancillary)
            if seq >= max_seq:  # beyond the bitmap: counted, but duplicates go unnoticed
                received_total += 1
            elif not seen[seq >> 3] & (1 << (seq & 7)):
                seen[seq >> 3] |= 1 << (seq & 7)
                received_total += 1
            else:
                duplicates += 1
            reply = REPLY.pack(REPLY_MAGIC, seq, sent_ns, recv_ns, max(ttl, 0) & 0xFF, reflector_id,
                               received_total, previous_recv_ns)
            previous_recv_ns = recv_ns
            sock.sendto(reply + payload[REQUEST.size:], peer)
            if log_requests:
                writer.write("request", seq=seq, recv_ns=recv_ns, ttl=ttl, peer=peer[0])
    except RecordCapReached:
        lifetime.stop_reason = "record cap"
    finally:
        sock.close()
        writer.write_final("summary", role="udp-reflector", received=received_total, duplicates=duplicates,
                           reflector_id=reflector_id, stop_reason=lifetime.stop_reason or "duration")


def run_sender(writer: RecordWriter, lifetime: Lifetime, target: str, port: int, interval_s: float,
               count: int, size: int, drain_s: float, bind_host: str = "0.0.0.0") -> None:
    """Send ``count`` numbered requests on a fixed schedule and record every reply.

    Sends follow ``start + k × interval`` rather than sleeping a fixed time after each send, so a
    slow reply never stretches the schedule and the interval stays honest over a long drill.
    """
    sock = _udp_socket(bind_host, 0)
    padding = bytes(max(0, size - REQUEST.size))
    interval_ns = int(interval_s * 1e9)
    writer.write("ready", role="udp-sender", target=target, port=port, interval_ms=interval_s * 1000.0)
    start_ns = time.monotonic_ns()
    next_seq = 0
    replies = 0
    send_errors = 0
    drain_until_ns: int | None = None
    try:
        while True:
            now = time.monotonic_ns()
            if drain_until_ns is None and (next_seq >= count or lifetime.expired()):
                # Also after SIGTERM: the last probes' replies are still on their way, and a stop
                # without waiting for them would count them as lost. The wait is bounded.
                drain_until_ns = now + int(min(drain_s, MAX_DRAIN_S) * 1e9)
            if drain_until_ns is not None and now >= drain_until_ns:
                break
            if drain_until_ns is None and now >= start_ns + next_seq * interval_ns:
                try:
                    sock.sendto(REQUEST.pack(REQUEST_MAGIC, next_seq, now) + padding, (target, port))
                except OSError as exc:  # no route during an outage: the probe is lost, not the sender
                    send_errors += 1
                    writer.write("send-error", seq=next_seq, sent_ns=now, error=exc.strerror or str(exc))
                writer.write("sent", seq=next_seq, sent_ns=now)
                next_seq += 1
                continue
            wake_ns = drain_until_ns if drain_until_ns is not None else start_ns + next_seq * interval_ns
            timeout = min(POLL_S, max(0.0, (wake_ns - time.monotonic_ns()) / 1e9))
            readable, _, _ = select.select([sock], [], [], timeout)
            if readable:
                replies += _read_reply(sock, writer)
    except RecordCapReached:
        lifetime.stop_reason = "record cap"
    finally:
        sock.close()
        writer.write_final("summary", role="udp-sender", sent=next_seq, replies=replies,
                           send_errors=send_errors,
                           interval_ms=interval_s * 1000.0, start_ns=start_ns,
                           stop_reason=lifetime.stop_reason or "count")


def _read_reply(sock: socket.socket, writer: RecordWriter) -> int:
    payload, ancillary, _flags, _peer = sock.recvmsg(2048, ANCILLARY_SIZE)
    recv_ns = time.monotonic_ns()
    if len(payload) < REPLY.size or payload[:4] != REPLY_MAGIC:
        return 0
    _magic, seq, sent_ns, reflector_recv_ns, request_ttl, reflector_id, received_total, prev_recv_ns = (
        REPLY.unpack_from(payload))
    writer.write("reply", seq=seq, sent_ns=sent_ns, recv_ns=recv_ns, reflector_recv_ns=reflector_recv_ns,
                 request_ttl=request_ttl, reply_ttl=_ttl_of(ancillary), reflector_id=reflector_id,
                 received_total=received_total, prev_recv_ns=prev_recv_ns)
    return 1
