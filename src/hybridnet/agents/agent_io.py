"""What every probe agent shares: JSON-lines records (written here, read back by ``read_records``),
a bounded lifetime and a clean stop on a signal.

Agents run in namespaces the drill creates and tears down; a probe that outlives its drill, or
writes without bound, would be worse than no probe. So each agent has a deadline and a record cap,
and SIGTERM/SIGINT end it gracefully with its summary written. Standard library only.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import IO, Any

Record = dict[str, Any]
"""One JSON-lines record an agent wrote: ``{"kind": ..., ...}``."""

MAX_DURATION_S = 3600.0
"""No agent runs longer than an hour, whatever it is asked."""

POLL_S = 0.05
"""Longest an agent blocks before it looks at its stop flag again."""


def read_records(path: Path | str) -> list[Record]:
    """Every record of an agent's output file; a torn last line (agent killed) is skipped."""
    records: list[Record] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


class RecordCapReached(RuntimeError):
    """The agent wrote as many records as it was allowed to."""


class RecordWriter:
    """Writes one JSON object per line and flushes it, so a reader can follow the file live."""

    def __init__(self, out: str | None, max_records: int) -> None:
        self._owns_stream = out not in (None, "-")
        # The file stays open for the agent's whole life and close() ends it; a with-block cannot span that.
        self._stream: IO[str] = (
            Path(out).open("a", encoding="utf-8") if out not in (None, "-") else sys.stdout  # noqa: SIM115
        )
        self._max_records = max_records
        self.written = 0

    def write(self, kind: str, **fields: Any) -> None:
        if self.written >= self._max_records:
            raise RecordCapReached(f"record cap of {self._max_records} reached")
        self._stream.write(json.dumps({"kind": kind, **fields}, separators=(",", ":")) + "\n")
        self._stream.flush()
        self.written += 1

    def write_final(self, kind: str, **fields: Any) -> None:
        """The summary is written even at the cap: a run is useless without it."""
        self._stream.write(json.dumps({"kind": kind, **fields}, separators=(",", ":")) + "\n")
        self._stream.flush()

    def close(self) -> None:
        if self._owns_stream:
            self._stream.close()


class Lifetime:
    """A deadline plus a stop flag that SIGTERM and SIGINT set."""

    def __init__(self, duration_s: float) -> None:
        if duration_s <= 0:
            raise ValueError("duration must be positive")
        self.started_ns = time.monotonic_ns()
        self.deadline_ns = self.started_ns + int(min(duration_s, MAX_DURATION_S) * 1e9)
        self.stop_requested = False
        self.stop_reason = ""

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.stop_requested = True
        self.stop_reason = signal.Signals(signum).name

    def expired(self) -> bool:
        if self.stop_requested:
            return True
        if time.monotonic_ns() >= self.deadline_ns:
            self.stop_reason = self.stop_reason or "duration"
            return True
        return False

    def remaining_s(self) -> float:
        return max(0.0, (self.deadline_ns - time.monotonic_ns()) / 1e9)
