"""The drill on a lab: the runner, the probe fleet, the control-plane watch and the path checks.

Everything here reaches the lab through the public Lab API of ``hybridnet.emulate`` only (a unit
test checks the imports), so the runner, the fleet and the watch are tested against a fake lab.
"""
