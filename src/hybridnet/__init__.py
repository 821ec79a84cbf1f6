"""hybridnet: describe, check, analyse, emulate, drill and render an ExpressRoute + VPN failover network."""

__version__ = "0.1.0"
