"""The one Jinja2 set-up every config renderer shares.

Configs are whitespace-sensitive (FRR's indentation, swanctl's braces) and a typo in a template
variable must fail loudly rather than render an empty string into a router config: hence
``StrictUndefined``, block trimming and no HTML escaping, the same for every renderer.

Every value a template writes passes ``_refuse_unsafe``: a name or description that reached a
renderer with a line break would add a command to a shell script or a router config, and a quote,
brace or semicolon would end a Junos string, a swanctl section or a shell word early. The model
already refuses such names when a topology is loaded; this is the second line of defence, for
topologies built in Python and for fields added later. A pre-shared key is the one value that may
hold any printable character: its renderer checks and quotes it for its syntax and passes it as a
``ConfigSecret``.
"""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, Template

from hybridnet.model import TopologyError

UNSAFE_CHARACTERS = frozenset('"\\`$;{}#!<>|&')
"""Characters that end a token or start a comment, a variable or a command in one of the rendered syntaxes
(shell, swanctl, FRR, IOS-XE, Junos)."""


DEVICE_TEMPLATES = "hybridnet.render"


class ConfigSecret(str):
    """A key its renderer has checked and quoted for the target syntax: only line breaks are refused."""

    __slots__ = ()


def _refuse_line_breaks(value: object) -> object:
    if isinstance(value, str) and not value.isprintable():
        raise TopologyError(
            f"refusing to write {value[:60]!r} into a configuration: it contains a line break or another "
            "control character",
            fix="use names of letters, digits and '-' (see `hybridnet schema`)",
        )
    return value


def _refuse_unsafe(value: object) -> object:
    _refuse_line_breaks(value)
    if not isinstance(value, str) or isinstance(value, ConfigSecret):
        return value  # addresses, numbers: their text is made by the ipaddress module or int
    unsafe = sorted(set(value) & UNSAFE_CHARACTERS)
    if unsafe:
        raise TopologyError(
            f"refusing to write {value[:60]!r} into a configuration: {' '.join(unsafe)} would change its "
            "meaning (quote, comment, variable or command)",
            fix="use names of letters, digits and '-' (see `hybridnet schema`)",
        )
    return value


@cache
def _environment(package: str) -> Environment:
    # The device configs users deploy get the full check; the emulator's own Azure-side templates
    # (hybridnet.emulate) render fixed names and pre-quoted key slots, and get the line-break check.
    return Environment(
        loader=PackageLoader(package, "templates"),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
        finalize=_refuse_unsafe if package == DEVICE_TEMPLATES else _refuse_line_breaks,
    )


def template(name: str, package: str = DEVICE_TEMPLATES) -> Template:
    """A template from ``<package>/templates/``."""
    return _environment(package).get_template(name)
