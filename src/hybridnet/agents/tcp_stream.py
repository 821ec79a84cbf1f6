"""A TCP stream that runs through the whole drill and proves, byte for byte, that nothing was lost.

The source sends a deterministic byte stream (SHA-256 in counter mode, from a seed) at a bounded
rate and keeps a running SHA-256 of what it sent. The sink checks every byte against the same
stream as it arrives, hashes it, and when the source half-closes it answers with the byte count and
digest it saw. So the source alone can say: bytes sent, bytes received, checksum matched, and
whether the connection survived the failover. Standard library only.
"""

from __future__ import annotations

import hashlib
import select
import socket
import struct
import time

from hybridnet.agents.agent_io import POLL_S, Lifetime, RecordCapReached, RecordWriter

TRAILER = struct.Struct("!Q32s")  # bytes received, SHA-256 of them
PATTERN_SIZE = 65536
CHUNK_SIZE = 16384


def stream_pattern(seed: str) -> bytes:
    """The repeating block the stream is made of; both ends derive it from the seed alone."""
    base = hashlib.sha256(seed.encode()).digest()
    return b"".join(hashlib.sha256(base + i.to_bytes(4, "big")).digest() for i in range(PATTERN_SIZE // 32))


def stream_bytes(pattern: bytes, offset: int, length: int) -> bytes:
    """``length`` bytes of the stream starting at ``offset``."""
    start = offset % len(pattern)
    out = bytearray()
    while len(out) < length:
        take = min(length - len(out), len(pattern) - start)
        out += pattern[start:start + take]
        start = 0
    return bytes(out)


def run_source(writer: RecordWriter, lifetime: Lifetime, target: str, port: int, seed: str,
               rate_bytes_per_s: int, user_timeout_ms: int, progress_s: float) -> None:
    """Stream until the lifetime ends, then half-close and read the sink's count and digest."""
    pattern = stream_pattern(seed)
    digest = hashlib.sha256()
    sent = 0
    longest_stall_ns = 0
    error = ""
    trailer: tuple[int, bytes] | None = None
    try:
        sock = socket.create_connection((target, port), timeout=min(10.0, lifetime.remaining_s() or 1.0))
    except OSError as exc:
        writer.write_final("summary", role="tcp-source", bytes_sent=0, bytes_received=0, checksum_ok=False,
                           survived=False, error=f"connect: {exc.strerror or exc}", longest_stall_ms=0.0)
        return
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, user_timeout_ms)
    sock.setblocking(False)
    writer.write("ready", role="tcp-source", target=target, port=port)
    start_ns = time.monotonic_ns()
    next_progress_ns = start_ns
    try:
        while not lifetime.expired():
            now = time.monotonic_ns()
            if now >= next_progress_ns:
                writer.write("progress", t_ns=now, bytes_sent=sent)
                next_progress_ns = now + int(progress_s * 1e9)
            allowed = (now - start_ns) * rate_bytes_per_s // 1_000_000_000 - sent
            if allowed <= 0:
                time.sleep(min(POLL_S, CHUNK_SIZE / max(rate_bytes_per_s, 1)))
                continue
            chunk = stream_bytes(pattern, sent, min(CHUNK_SIZE, allowed))
            waited_from = time.monotonic_ns()
            written = _send_some(sock, chunk, lifetime)
            longest_stall_ns = max(longest_stall_ns, time.monotonic_ns() - waited_from)
            digest.update(chunk[:written])
            sent += written
        sock.setblocking(True)
        sock.settimeout(max(2.0, user_timeout_ms / 1000.0))
        sock.shutdown(socket.SHUT_WR)
        trailer = _read_trailer(sock)
    except RecordCapReached:
        error = "record cap reached"
    except OSError as exc:
        error = exc.strerror or str(exc)
    finally:
        sock.close()
    received, their_digest = trailer if trailer is not None else (0, b"")
    checksum_ok = trailer is not None and their_digest == digest.digest() and received == sent
    if trailer is None and not error:
        error = "the sink never answered with its count and digest"
    writer.write_final("summary", role="tcp-source", bytes_sent=sent, bytes_received=received,
                       checksum_ok=checksum_ok, survived=trailer is not None and not error, error=error,
                       sent_sha256=digest.hexdigest(), longest_stall_ms=longest_stall_ns / 1e6)


def _send_some(sock: socket.socket, chunk: bytes, lifetime: Lifetime) -> int:
    """Send what the kernel takes, waiting (boundedly) while the send buffer is full."""
    while not lifetime.stop_requested:
        _, writable, _ = select.select([], [sock], [], POLL_S)
        if writable:
            return sock.send(chunk)
        if lifetime.expired():
            break
    return 0


def _read_trailer(sock: socket.socket) -> tuple[int, bytes] | None:
    buffer = b""
    while len(buffer) < TRAILER.size:
        piece = sock.recv(TRAILER.size - len(buffer))
        if not piece:
            return None
        buffer += piece
    received, digest = TRAILER.unpack(buffer)
    return received, digest


def run_sink(writer: RecordWriter, lifetime: Lifetime, bind_host: str, port: int, seed: str,
             progress_s: float) -> None:
    """Accept one stream, verify each byte, answer the count and digest on the source's half-close."""
    pattern = stream_pattern(seed)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((bind_host, port))
    listener.listen(1)
    writer.write("ready", role="tcp-sink", port=listener.getsockname()[1])
    digest = hashlib.sha256()
    received = 0
    first_mismatch: int | None = None
    error = ""
    completed = False
    try:
        conn = _accept(listener, lifetime)
        if conn is None:
            error = "no connection"
        else:
            with conn:
                next_progress_ns = time.monotonic_ns()
                while True:
                    if lifetime.expired():
                        error = f"stopped ({lifetime.stop_reason}) before the source finished"
                        break
                    readable, _, _ = select.select([conn], [], [], POLL_S)
                    now = time.monotonic_ns()
                    if now >= next_progress_ns:
                        writer.write("progress", t_ns=now, bytes_received=received)
                        next_progress_ns = now + int(progress_s * 1e9)
                    if not readable:
                        continue
                    piece = conn.recv(65536)
                    if not piece:
                        conn.sendall(TRAILER.pack(received, digest.digest()))
                        completed = True
                        break
                    expected = stream_bytes(pattern, received, len(piece))
                    if first_mismatch is None and piece != expected:
                        first_mismatch = received + next(
                            i for i, (a, b) in enumerate(zip(piece, expected, strict=True)) if a != b)
                    digest.update(piece)
                    received += len(piece)
    except RecordCapReached:
        error = "record cap reached"
    except OSError as exc:
        error = exc.strerror or str(exc)
    finally:
        listener.close()
    writer.write_final("summary", role="tcp-sink", bytes_received=received,
                       received_sha256=digest.hexdigest(),
                       content_ok=first_mismatch is None, first_mismatch_offset=first_mismatch,
                       completed=completed, error=error, stop_reason=lifetime.stop_reason or "stream ended")


def _accept(listener: socket.socket, lifetime: Lifetime) -> socket.socket | None:
    while not lifetime.expired():
        readable, _, _ = select.select([listener], [], [], POLL_S)
        if readable:
            conn, _peer = listener.accept()
            return conn
    return None
