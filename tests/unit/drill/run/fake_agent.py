"""A stand-in for ``hybridnet.agents.probe_agent`` that a FakeLab starts: scripted records, no network.

It writes the records the real agent writes (``ready``, ``sent``/``reply``, ``progress``, ``http``,
``summary``) in the same format, on the real monotonic clock, and takes the path a probe would take
from the FakeLab's schedule (a JSON file: ``[[t_ns, path], ...]``, ``none`` meaning no path): a
reply carries the TTLs that path gives, and no reply comes while there is none. SIGTERM ends it
with its summary, as the real one. Standard library only: it runs as a child process.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

TTL = {"ExpressRoute": 59, "VPN": 60}
"""64 minus the routers each path crosses in the fake lab's hop lists (5 over ExpressRoute, 4 over the VPN)."""
stopping = False


def _stop(_signum: int, _frame: object) -> None:
    global stopping
    stopping = True


def path_now(schedule_file: Path) -> str:
    now = time.monotonic_ns()
    path = "ExpressRoute"
    for t_ns, label in json.loads(schedule_file.read_text(encoding="utf-8")):
        if t_ns <= now:
            path = label
    return path


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGTERM, _stop)
    mode, options = argv[0], dict(zip(argv[1::2], argv[2::2], strict=False))
    out = open(options["--out"], "a", encoding="utf-8")  # noqa: SIM115 (open for the agent's life)
    schedule = Path(os.environ["FAKE_LAB_SCHEDULE"])
    done = schedule.with_suffix(".tcp-done")

    def write(kind: str, **fields: object) -> None:
        out.write(json.dumps({"kind": kind, **fields}) + "\n")
        out.flush()

    interval_s = float(options.get("--interval-ms", "10")) / 1000
    counts = {"sent": 0, "replies": 0, "bytes": 0}
    write("ready", role=mode, port=int(options.get("--port", "0")))
    start_ns = time.monotonic_ns()
    rounds = 0
    while not stopping and not (mode == "tcp-sink" and done.exists()):
        now = time.monotonic_ns()
        path = path_now(schedule)
        if mode == "udp-send":
            write("sent", seq=counts["sent"], sent_ns=now)
            if path != "none":
                write("reply", seq=counts["sent"], sent_ns=now, recv_ns=now + 1_000_000, reflector_recv_ns=now,
                      request_ttl=TTL[path], reply_ttl=TTL[path], reflector_id=1, received_total=counts["sent"],
                      prev_recv_ns=now)
                counts["replies"] += 1
            counts["sent"] += 1
        elif mode in ("tcp-source", "tcp-sink"):
            counts["bytes"] += 320
            write("progress", t_ns=now, bytes_sent=counts["bytes"], bytes_received=counts["bytes"])
        elif mode == "http-get":
            write("http", t_ns=now, status=200 if path != "none" else 0, latency_ms=1.0, served_by="web-vm1",
                  error="" if path != "none" else "timed out")
            interval_s = 0.2
        # on schedule (as the real sender): a slow round never lowers the rate the drill expects
        step_s = interval_s if mode in ("udp-send", "http-get") else 0.05
        rounds += 1
        time.sleep(max(0.0, start_ns / 1e9 + rounds * step_s - time.monotonic_ns() / 1e9))
    if mode == "udp-send":
        write("summary", role="udp-sender", sent=counts["sent"], replies=counts["replies"], send_errors=0,
              interval_ms=interval_s * 1000, start_ns=start_ns, stop_reason="signal")
    elif mode == "tcp-source":
        write("summary", role="tcp-source", bytes_sent=counts["bytes"], bytes_received=counts["bytes"],
              checksum_ok=True, survived=True, error="", sent_sha256="", longest_stall_ms=300.0)
        done.touch()
    elif mode == "tcp-sink":
        write("summary", role="tcp-sink", bytes_received=counts["bytes"], received_sha256="", content_ok=True,
              first_mismatch_offset=None, completed=True, error="", stop_reason="stream ended")
    else:
        write("summary", role=mode, stop_reason="signal")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
