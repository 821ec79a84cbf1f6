"""The outcome of a verification run: per scenario, each flow's verdict (pure data, for the report)."""

from __future__ import annotations

from dataclasses import dataclass, field

from hybridnet.verify.compare import FlowVerdict


@dataclass(frozen=True)
class ScenarioOutcome:
    name: str
    failed: tuple[str, ...]
    actions: tuple[str, ...]
    """What was done to the lab to produce the failure, in words."""
    seconds: float
    """From the first action to a converged (or timed-out) reading."""
    converged: bool
    """The live state matched the prediction and held still; False: the last reading at the deadline."""
    flows: tuple[FlowVerdict, ...]
    route_differences: tuple[str, ...] = ()
    """Reference only: nodes whose installed next hops differ from ``routing_table``'s prediction."""
    error: str | None = None
    """The scenario could not be produced in the lab (the flows are then not verified)."""

    @property
    def agrees(self) -> bool:
        return self.error is None and self.converged and not self.route_differences and all(
            flow.agrees for flow in self.flows)


@dataclass(frozen=True)
class MatrixResult:
    topology: str
    lab: str
    depth: int
    scenarios: tuple[ScenarioOutcome, ...]
    total_s: float
    bring_up_s: float | None
    """Seconds to bring the lab up and reach the all-up state (None: attached to a running lab)."""
    notes: tuple[str, ...] = field(default=())

    @property
    def agrees(self) -> bool:
        return all(item.agrees for item in self.scenarios)

    @property
    def differing(self) -> tuple[ScenarioOutcome, ...]:
        return tuple(item for item in self.scenarios if not item.agrees)
