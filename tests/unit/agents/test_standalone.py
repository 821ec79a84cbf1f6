"""The agents run inside namespaces on their own: importing them pulls in nothing but the standard
library and ``hybridnet.agents`` itself (no pydantic, jinja2, pyroute2 — nor the rest of hybridnet)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import hybridnet

SRC = Path(hybridnet.__file__).parents[1]
AGENT_MODULES = ("hybridnet.agents", "hybridnet.agents.agent_io", "hybridnet.agents.udp_probe",
                 "hybridnet.agents.tcp_stream", "hybridnet.agents.http_probe", "hybridnet.agents.probe_agent")
SCRIPTS = ("workload_server.py", "lb_prober.py")
PROBE = """
import json, sys
before = set(sys.modules)
for name in sys.argv[1:]:
    __import__(name)
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def _imported(*modules: str) -> list[str]:
    completed = subprocess.run([sys.executable, "-c", PROBE, *modules], capture_output=True, text=True, timeout=60,
                               check=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(
                                   [str(SRC), *filter(None, [os.environ.get("PYTHONPATH")])])})
    return json.loads(completed.stdout)


@pytest.mark.parametrize("module", AGENT_MODULES)
def test_an_agent_imports_only_the_standard_library(module: str) -> None:
    loaded = _imported(module)
    assert module in loaded
    foreign = [name for name in loaded if name.split(".")[0] not in sys.stdlib_module_names
               and name not in ("hybridnet", "hybridnet.agents") and not name.startswith("hybridnet.agents.")]
    assert not foreign, f"{module} pulls in {foreign}"


def test_the_check_itself_sees_a_heavy_import() -> None:
    """The same probe on a module that needs pydantic: it must be caught, or the test above proves nothing."""
    assert "pydantic" in _imported("hybridnet.drill.analysis.timers")


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_script_agent_runs_with_the_bare_interpreter(script: str) -> None:
    """``python3 -I -S FILE``: isolated, no site-packages, no hybridnet on the path."""
    path = SRC / "hybridnet" / "agents" / script
    completed = subprocess.run([sys.executable, "-I", "-S", "-c",
                                f"import runpy; runpy.run_path({str(path)!r}, run_name='not_main')"],
                               capture_output=True, text=True, timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr


def test_the_lab_starts_the_script_agents_from_this_package() -> None:
    from hybridnet.emulate.nodes import script_path

    assert {script_path(name).parent for name in SCRIPTS} == {SRC / "hybridnet" / "agents"}
