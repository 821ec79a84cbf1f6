"""Start, watch and stop one probe agent, here or in a lab node.

The drill runs several agents at once (reflectors in workloads, senders on on-prem hosts, the TCP
stream, HTTP requests). Each gets its own JSON-lines file; this class waits for the agent's
``ready`` record with a bounded poll, and stops it with SIGTERM so it writes its summary. ``launch``
starts the argv: in a lab, ``Lab.spawn_agent`` for a node (the lab's ``nsenter``, which execs, so the
process id is the agent's own and signals reach it); by default, here, as a child process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from hybridnet.agents.agent_io import Record, read_records
from hybridnet.errors import HybridnetError
from hybridnet.waiting import wait_until


class AgentError(HybridnetError, RuntimeError):
    """A probe agent did not start or did not finish as expected."""




Launch = Callable[[Sequence[str]], "subprocess.Popen[str]"]
"""Starts an agent's argv somewhere (stdout discarded, stderr a pipe) and returns the process."""


def launch_here(argv: Sequence[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(list(argv), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


class AgentProcess:
    """One running probe agent and its output file."""

    def __init__(self, name: str, mode_args: Sequence[str], out: Path, launch: Launch | None = None,
                 python: str = sys.executable, ready_timeout_s: float = 10.0) -> None:
        self.name = name
        self.out = out
        argv = [python, "-m", "hybridnet.agents.probe_agent", *mode_args, "--out", str(out)]
        self.process = (launch or launch_here)(argv)
        try:
            wait_until(lambda: self.ready is not None or self.process.poll() is not None, ready_timeout_s, 0.01,
                       what=f"probe agent {name} to start", error=AgentError)
        except AgentError:
            self.kill()
            raise
        if self.ready is None:
            raise AgentError(f"probe agent {name} exited at start: {self._stderr()}")

    @property
    def pid(self) -> int:
        return self.process.pid

    def records(self) -> list[Record]:
        return read_records(self.out) if self.out.exists() else []

    @property
    def ready(self) -> Record | None:
        return next((r for r in self.records() if r.get("kind") == "ready"), None)

    @property
    def port(self) -> int:
        ready = self.ready
        if ready is None or "port" not in ready:
            raise AgentError(f"probe agent {self.name} has no port")
        return int(ready["port"])

    def count(self, kind: str) -> int:
        return sum(1 for r in self.records() if r.get("kind") == kind)

    def signal(self, signum: signal.Signals) -> None:
        """SIGSTOP/SIGCONT a reflector to simulate a stalled host; any signal to this agent only."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signum)

    def finish(self, timeout_s: float = 30.0) -> list[Record]:
        """Wait for the agent to end by itself (count or duration reached) and return its records."""
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AgentError(f"probe agent {self.name} did not finish within {timeout_s:g} s") from None
        if self.process.returncode != 0:
            raise AgentError(f"probe agent {self.name} failed ({self.process.returncode}): {self._stderr()}")
        return self.records()

    def stop(self, timeout_s: float = 10.0) -> list[Record]:
        """SIGTERM (after SIGCONT, in case it is stopped) and wait for its summary."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)
            os.kill(self.process.pid, signal.SIGTERM)
        return self.finish(timeout_s)

    def kill(self) -> None:
        """Last resort (cleanup after a failure): no summary is written."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)
            self.process.kill()
            self.process.wait(timeout=5)

    def _stderr(self) -> str:
        if self.process.stderr is None or self.process.poll() is None:
            return ""
        return self.process.stderr.read().strip()[-500:]
