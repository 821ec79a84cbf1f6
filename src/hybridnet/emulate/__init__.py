"""The emulator: a lab of network namespaces running the real daemons of both sides of the network.

``plan(topology)`` says what a lab consists of (pure); ``Lab.up(plan)`` builds and starts it;
``Lab.attach(name)`` reaches a running one; ``down(name)`` removes it, also after a crash.

The names below are the emulator's public surface: the drill (and anything above this layer) uses
only these — above all the ``Lab`` methods that act on a lab (``set_link``, ``set_gray_failure``,
``kill_daemon``, ``restart_daemon``, ``open_pinhole``, ``spawn_agent``, ``run``) and read it
(``trace``, ``show``, ``frr_session``, ``ipsec_events``, ``missing_parts``, ``vpn_missing``,
``path_markers``, ``secrets``). Everything else in the package's modules is the emulator's own.
"""

from hybridnet.emulate.daemons import FrrSession
from hybridnet.emulate.errors import LabError, LabNotReady
from hybridnet.emulate.keys import LabKeys, lab_keys
from hybridnet.emulate.lab import Lab, check_environment, down
from hybridnet.emulate.plan import LabPlan, lab_name_for, plan
from hybridnet.emulate.plan.estate_wiring import EdgeLink, VpnEnd, edge_links, vpn_ends
from hybridnet.emulate.status import PathReport

__all__ = [
           "EdgeLink",
           "FrrSession",
           "Lab",
           "LabError",
           "LabKeys",
           "LabNotReady",
           "LabPlan",
           "PathReport",
           "VpnEnd",
           "check_environment",
           "down",
           "edge_links",
           "lab_keys",
           "lab_name_for",
           "plan",
           "vpn_ends",
]
