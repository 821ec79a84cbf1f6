"""The probe agent: one small program the drill starts in a lab namespace.

    python -m hybridnet.agents.probe_agent udp-reflect --port 7000 --duration 120 --out refl.jsonl
    python -m hybridnet.agents.probe_agent udp-send --target 10.0.1.4 --port 7000 --interval-ms 10 ...
    python -m hybridnet.agents.probe_agent tcp-sink --port 7001 ...   /  tcp-source --target ...
    python -m hybridnet.agents.probe_agent http-get --url http://10.0.1.254/ ...  /  http-serve ...

Every mode writes JSON lines (first a ``ready`` record, last a ``summary``), stops on SIGTERM/SIGINT
or when ``--duration`` ends, and is capped in records. Standard library only, so it starts fast
and needs nothing the namespace does not already have.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from hybridnet.agents import http_probe, tcp_stream, udp_probe
from hybridnet.agents.agent_io import MAX_DURATION_S, Lifetime, RecordWriter

DEFAULT_MAX_RECORDS = 2_000_000


def _common(parser: argparse.ArgumentParser, duration_s: float) -> None:
    parser.add_argument("--duration", type=float, default=duration_s,
                        help=f"seconds before the agent stops by itself (at most {MAX_DURATION_S:g})")
    parser.add_argument("--out", default="-", help="JSON-lines output file (appended), or - for stdout")
    parser.add_argument("--max-records", type=int, default=DEFAULT_MAX_RECORDS)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m hybridnet.agents.probe_agent",
                                     description="hybridnet drill probe agent (runs inside a lab namespace)")
    modes = parser.add_subparsers(dest="mode", required=True)

    reflect = modes.add_parser("udp-reflect", help="echo UDP sequence probes with receive time and TTL")
    reflect.add_argument("--bind", default="0.0.0.0")
    reflect.add_argument("--port", type=int, required=True)
    reflect.add_argument("--max-seq", type=int, default=10_000_000, help="highest sequence number tracked")
    reflect.add_argument("--log-requests", action="store_true", help="also write one record per request")
    _common(reflect, 600.0)

    send = modes.add_parser("udp-send", help="send UDP sequence probes and record the replies")
    send.add_argument("--target", required=True)
    send.add_argument("--port", type=int, required=True)
    send.add_argument("--interval-ms", type=float, default=10.0)
    send.add_argument("--count", type=int, help="probes to send (default: duration / interval)")
    send.add_argument("--size", type=int, default=64, help="UDP payload bytes")
    send.add_argument("--drain-ms", type=float, default=500.0,
                      help="wait for late replies after the last send")
    _common(send, 60.0)

    sink = modes.add_parser("tcp-sink", help="receive and verify the checksummed TCP stream")
    sink.add_argument("--bind", default="0.0.0.0")
    sink.add_argument("--port", type=int, required=True)
    sink.add_argument("--seed", default="hybridnet")
    sink.add_argument("--progress-ms", type=float, default=100.0)
    _common(sink, 600.0)

    source = modes.add_parser("tcp-source", help="send the checksummed TCP stream")
    source.add_argument("--target", required=True)
    source.add_argument("--port", type=int, required=True)
    source.add_argument("--seed", default="hybridnet")
    source.add_argument("--rate-kbps", type=int, default=4096, help="kilobytes per second")
    source.add_argument("--user-timeout-ms", type=int, default=30000,
                        help="TCP_USER_TIMEOUT: how long unacknowledged data may wait before the "
                        "stream is declared dead")
    source.add_argument("--progress-ms", type=float, default=100.0)
    _common(source, 60.0)

    get = modes.add_parser("http-get", help="request a URL repeatedly on fresh connections")
    get.add_argument("--url", required=True)
    get.add_argument("--interval-ms", type=float, default=200.0)
    get.add_argument("--timeout-ms", type=float, default=2000.0)
    get.add_argument("--count", type=int, help="requests (default: duration / interval)")
    _common(get, 60.0)

    serve = modes.add_parser("http-serve", help="answer GET with this workload's name")
    serve.add_argument("--bind", default="0.0.0.0")
    serve.add_argument("--port", type=int, required=True)
    serve.add_argument("--name", required=True)
    _common(serve, 600.0)
    return parser


def _count(given: int | None, duration_s: float, interval_ms: float) -> int:
    if interval_ms <= 0:
        raise SystemExit("the interval must be positive")
    return given if given is not None else max(1, int(duration_s * 1000.0 / interval_ms))


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    lifetime = Lifetime(args.duration)
    lifetime.install_signal_handlers()
    writer = RecordWriter(args.out, args.max_records)
    try:
        if args.mode == "udp-reflect":
            udp_probe.run_reflector(writer, lifetime, args.bind, args.port, args.max_seq, args.log_requests)
        elif args.mode == "udp-send":
            udp_probe.run_sender(writer, lifetime, args.target, args.port, args.interval_ms / 1000.0,
                                 _count(args.count, args.duration, args.interval_ms), args.size,
                                 args.drain_ms / 1000.0)
        elif args.mode == "tcp-sink":
            tcp_stream.run_sink(writer, lifetime, args.bind, args.port, args.seed, args.progress_ms / 1000.0)
        elif args.mode == "tcp-source":
            tcp_stream.run_source(writer, lifetime, args.target, args.port, args.seed, args.rate_kbps * 1024,
                                  args.user_timeout_ms, args.progress_ms / 1000.0)
        elif args.mode == "http-get":
            count = _count(args.count, args.duration, args.interval_ms)
            http_probe.run_requester(writer, lifetime, args.url, args.interval_ms / 1000.0,
                                     args.timeout_ms / 1000.0, count)
        else:
            http_probe.run_server(writer, lifetime, args.bind, args.port, args.name)
    finally:
        writer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
