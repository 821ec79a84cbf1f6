"""``hybridnet verify-matrix``: the route analysis checked against the emulator, scenario by scenario.

``flows`` (what ``analyse`` predicts per flow, in lab node names), ``actions`` (a scenario → what to do
to the lab), ``live`` (reading paths and routes, the condition wait), ``compare`` (pure verdicts),
``report`` (matrix, JSON, Markdown, HTML), ``run`` (``verify_matrix``: the whole run).
"""

from hybridnet.verify.result import MatrixResult, ScenarioOutcome
from hybridnet.verify.run import verify_matrix

__all__ = ["MatrixResult", "ScenarioOutcome", "verify_matrix"]
