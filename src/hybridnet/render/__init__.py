"""Renderers: the configurations users deploy, produced from the one topology model.

Each module renders one kind of target (on-prem FRR, strongSwan, other vendors, the ARM template)
so that what the emulator runs and what users paste onto their devices come from the same code.
"""
