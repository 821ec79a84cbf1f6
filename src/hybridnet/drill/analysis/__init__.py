"""Pure analysis of a drill run: from the agents' records and the runner's step windows to results.

- ``timeline``: one pass over the whole run — per direction every reply, outage and loss;
- ``steps``: each step a slice of that timeline (``step_results``);
- ``paths``: the one path labeller — a probe's TTLs or a hop list → ExpressRoute or VPN;
- ``streams``: the TCP stream's and the HTTP requests' figures;
- ``control_plane``: daemon observations → events;
- ``timers``: what the topology's timers predict (imports the model, so import it by name).

Nothing here talks to a lab or a daemon: everything is tested on records.
"""

from hybridnet.drill.analysis.paths import TtlPaths, path_from_hops, routers_crossed
from hybridnet.drill.analysis.steps import LEAD_IN_S, StepWindow, step_results
from hybridnet.drill.analysis.streams import tcp_result

__all__ = ["LEAD_IN_S", "StepWindow", "TtlPaths", "path_from_hops", "routers_crossed", "step_results", "tcp_result"]
