"""The emulator: a lab of network namespaces running the real daemons of both sides of the network.

``plan(topology)`` says what a lab consists of (pure); ``Lab.up(plan)`` builds and starts it;
``Lab.attach(name)`` reaches a running one; ``down(name)`` removes it, also after a crash.
"""

from hybridnet.emulate.errors import LabError, LabNotReady
from hybridnet.emulate.keys import LabKeys, lab_keys
from hybridnet.emulate.lab import Lab, down
from hybridnet.emulate.plan import LabPlan, lab_name_for, plan

__all__ = ["Lab", "LabError", "LabKeys", "LabNotReady", "LabPlan", "down", "lab_keys", "lab_name_for", "plan"]
