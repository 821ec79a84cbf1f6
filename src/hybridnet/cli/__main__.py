"""`python -m hybridnet.cli`: the same command line as the `hybridnet` script."""

from hybridnet.cli import main

main()
