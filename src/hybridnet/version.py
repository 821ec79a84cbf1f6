"""The version every output carries (``hybridnet --version``, check JSON/SARIF, analyse JSON, import header,
drill reports), so a report can always be traced to the code that wrote it.

The installed distribution's metadata is authoritative when it describes this very copy of the package;
otherwise (a source checkout on ``PYTHONPATH``, an editable install of another tree) ``__version__`` is.
pyproject.toml reads its version from ``__version__``, so the two agree in any build.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import metadata
from pathlib import Path

from hybridnet import __version__

DISTRIBUTION = "hybridnet"


@lru_cache(maxsize=1)
def hybridnet_version() -> str:
    """This package's version: its distribution's metadata if that distribution holds this file, else __version__."""
    try:
        distribution = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return __version__
    here = Path(__file__).resolve()
    for file in distribution.files or ():
        if file.name == here.name and file.parent.name == here.parent.name:
            try:
                if Path(str(distribution.locate_file(file))).resolve() == here:
                    return distribution.version
            except OSError:
                continue
    return __version__
