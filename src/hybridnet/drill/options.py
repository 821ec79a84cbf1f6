"""How a drill runs: what the user chose on the command line (or a caller in code), checked once."""

from __future__ import annotations

from dataclasses import dataclass

from hybridnet.drill.scenario import MAX_FLAPS
from hybridnet.errors import BadInput

MAX_REPEAT = 100
MAX_FLOW_BUDGET = 64


@dataclass(frozen=True)
class DrillOptions:
    """The drill's knobs; ``check`` refuses values that make no sense before anything starts."""

    interval_ms: float = 10.0
    host: str | None = None
    workload: str | None = None
    tcp_rate_kbps: int = 256
    path_checks: bool = True
    watch_poll_s: float = 0.05
    max_outage_ms: float | None = None
    repeat: int = 1
    flaps: int = 3
    lab: str | None = None
    """The lab's name; default: derived from the topology's name."""
    keep: bool = False
    """Leave a lab the drill brought up running afterwards."""
    flow_budget: int = 12
    """An estate's drill probes at most this many site → VNet flows (sampled, and said so, beyond)."""

    def check(self) -> None:
        if not 1 <= self.repeat <= MAX_REPEAT:
            raise BadInput(f"--repeat must be between 1 and {MAX_REPEAT}, not {self.repeat}")
        if self.max_outage_ms is not None and self.max_outage_ms < 0:
            raise BadInput(f"--max-outage must be 0 or more milliseconds, not {self.max_outage_ms:g}")
        if not 1 <= self.interval_ms <= 1000:
            raise BadInput(f"--interval-ms must be between 1 and 1000, not {self.interval_ms:g}")
        if not 1 <= self.flaps <= MAX_FLAPS:
            raise BadInput(f"--flaps must be between 1 and {MAX_FLAPS}, not {self.flaps}")
        if not 1 <= self.flow_budget <= MAX_FLOW_BUDGET:
            raise BadInput(f"--flow-budget must be between 1 and {MAX_FLOW_BUDGET}, not {self.flow_budget}")
