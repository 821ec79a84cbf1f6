"""The one Jinja2 set-up every config renderer shares.

Configs are whitespace-sensitive (FRR's indentation, swanctl's braces) and a typo in a template
variable must fail loudly rather than render an empty string into a router config: hence
``StrictUndefined``, block trimming and no HTML escaping, the same for every renderer.
"""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, Template


@cache
def _environment(package: str) -> Environment:
    return Environment(
        loader=PackageLoader(package, "templates"),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def template(name: str, package: str = "hybridnet.render") -> Template:
    """A template from ``<package>/templates/``."""
    return _environment(package).get_template(name)
