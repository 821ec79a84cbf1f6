"""One root error the CLI maps to exit codes, and one bounded wait (issue 10)."""

from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from hybridnet.emulate import LabError, LabNotReady
from hybridnet.errors import EXIT_BAD_INPUT, EXIT_FAILED, HybridnetError
from hybridnet.model import TopologyError
from hybridnet.waiting import WaitTimeout, poll_until, wait_until

SOURCE = Path(__file__).resolve().parents[2] / "src" / "hybridnet"


def _exception_classes() -> list[tuple[str, str]]:
    """(module, class) of every class in src/hybridnet whose name says it is an error."""
    found = []
    for path in SOURCE.rglob("*.py"):
        if "agents" in path.parts:  # stdlib-only programs: they import nothing of hybridnet
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.bases and (
                    node.name.endswith(("Error", "Errors", "Exception")) or any(
                        isinstance(b, ast.Name) and b.id.endswith(("Error", "Exception")) for b in node.bases)):
                module = ".".join(path.relative_to(SOURCE.parent).with_suffix("").parts)
                found.append((module, node.name))
    return found


def test_every_exception_class_derives_from_hybridnet_error() -> None:
    import importlib

    classes = _exception_classes()
    assert len(classes) >= 10
    strays = [f"{module}.{name}" for module, name in classes
              if not issubclass(getattr(importlib.import_module(module), name), HybridnetError)]
    assert strays == []


def test_bad_input_and_failure_have_their_exit_codes() -> None:
    assert TopologyError("x").exit_code == EXIT_BAD_INPUT
    assert LabError("x").exit_code == EXIT_BAD_INPUT
    assert LabNotReady("x").exit_code == EXIT_FAILED
    assert LabError("x", exit_code=EXIT_FAILED).exit_code == EXIT_FAILED
    assert str(LabError("the lab is gone", fix="bring it up")) == "the lab is gone (fix: bring it up)"


@pytest.mark.parametrize(("error", "code"), [(LabError("no such lab", fix="run up"), 2),
                                             (LabNotReady("not ready"), 1),
                                             (PermissionError(13, "Permission denied", "/run/x"), 1)])
def test_the_cli_turns_any_error_into_a_message_and_an_exit_code(error: BaseException, code: int) -> None:
    probe = typer.Typer()

    @probe.command()
    def fails() -> None:
        raise error

    @probe.command()
    def other() -> None:  # two commands, so typer keeps the command name
        pass

    from hybridnet.cli.common import reported  # imported late: the CLI's consoles read COLUMNS once, at import

    probe.registered_commands[0].callback = reported(fails)
    result = CliRunner().invoke(probe, ["fails"])
    assert result.exit_code == code
    assert "error:" in result.output and "Traceback" not in result.output
    assert not isinstance(result.exception, type(error))


def test_every_registered_command_is_reported() -> None:
    from hybridnet.cli import app

    commands = list(app.registered_commands)
    for group in app.registered_groups:
        commands += group.typer_instance.registered_commands
    assert commands and all(getattr(c.callback, "__hybridnet_reported__", False) for c in commands)


def test_wait_until_returns_as_soon_as_the_predicate_holds() -> None:
    ready_at = time.monotonic() + 0.1
    started = time.monotonic()
    wait_until(lambda: time.monotonic() >= ready_at, 5.0, 0.01, what="the moment")
    assert time.monotonic() - started < 1.0


def test_wait_until_names_what_it_waited_for_and_raises_the_callers_error() -> None:
    with pytest.raises(WaitTimeout, match="waiting for the VPN"):
        wait_until(lambda: False, 0.05, 0.01, what="the VPN")
    with pytest.raises(LabError, match=r"timed out after 0\.05 s waiting for bgpd"):
        wait_until(lambda: False, 0.05, 0.01, what="bgpd", error=LabError)


def test_poll_until_asks_once_more_at_the_deadline() -> None:
    calls: list[float] = []
    assert poll_until(lambda: bool(calls.append(time.monotonic())) or len(calls) > 3, 0.0, 0.01) is False
    assert len(calls) == 1
