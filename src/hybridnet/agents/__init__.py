"""Programs that run inside a lab's namespaces: the drill's probe agent and the lab's own helpers.

- ``probe_agent`` (``python -m hybridnet.agents.probe_agent MODE …``): UDP sequence probe and
  reflector (``udp_probe``), the checksummed TCP stream (``tcp_stream``), HTTP requester and server
  (``http_probe``), all writing JSON lines through ``agent_io``;
- ``workload_server.py`` (a workload VM's service) and ``lb_prober.py`` (the internal load
  balancer's health prober), run as scripts with the bare interpreter (``python3 -I -S FILE``).

Everything here is standard library only and imports nothing else of hybridnet (no pydantic,
jinja2 or pyroute2): an agent starts in milliseconds inside a namespace and needs nothing the
namespace does not already have. A unit test holds this package to that. Records are the contract
with the analysis (``hybridnet.drill.analysis``), which reads them with ``agent_io.read_records``.
"""

from __future__ import annotations

from pathlib import Path

AGENTS_DIRECTORY = Path(__file__).parent


def script_path(name: str) -> Path:
    """The file of an agent run as a script (``workload_server.py``, ``lb_prober.py``)."""
    path = AGENTS_DIRECTORY / name
    if not path.is_file():
        raise FileNotFoundError(f"no agent script {name!r} in {AGENTS_DIRECTORY}")
    return path
