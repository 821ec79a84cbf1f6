"""The failover drill: scenarios and faults, the runner that plays them on a lab, and the results.

``analysis/`` turns a run's records into results (pure); the programs that run inside the lab's
namespaces (the probe agent) are in ``hybridnet.agents``.
"""
