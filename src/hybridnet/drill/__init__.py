"""The failover drill: probes that run in the lab's namespaces, their analysis, and the results.

This package's import is kept to the standard library so that ``python -m
hybridnet.drill.probe_agent`` starts fast inside a namespace; modules that need the topology model
(``prediction``) are imported by name.
"""
