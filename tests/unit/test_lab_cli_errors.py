"""`hybridnet up / down / drill` report system errors as messages with an exit code, never a traceback;
`drill --json` prints a JSON error object for bad input. The system error is raised where the
library would raise it (``Lab.up``, ``down``); no lab is started."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest
from pyroute2 import NetlinkError
from typer.testing import CliRunner

from hybridnet.cli import app
from hybridnet.cli import lab as lab_cli

runner = CliRunner()


def test_up_reports_a_netlink_error_and_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise NetlinkError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(lab_cli.Lab, "up", refuse)
    result = runner.invoke(app, ["up", "--lab", "unit-up"])
    assert result.exit_code == 2, result.output
    assert "could not be brought up" in result.stderr and "Operation not permitted" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_down_reports_an_os_error_and_exits_1(monkeypatch: pytest.MonkeyPatch) -> None:
    def busy(_name: str) -> None:
        raise OSError(errno.EBUSY, "Device or resource busy", "/run/netns/hn.unit-down.onprem-core")

    monkeypatch.setattr(lab_cli, "down", busy)
    result = runner.invoke(app, ["down", "--lab", "unit-down"])
    assert result.exit_code == 1, result.output
    assert "Device or resource busy: /run/netns/hn.unit-down.onprem-core" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_drill_json_prints_an_error_object_for_a_bad_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n")
    result = runner.invoke(app, ["drill", str(broken), "--json"])
    assert result.exit_code == 2
    error = json.loads(result.stdout)
    assert error["cause"] == "bad input" and "broken.yaml:" in error["error"] and error["version"]
    assert "broken.yaml" in result.stderr


def test_drill_json_prints_an_error_object_for_a_bad_option() -> None:
    result = runner.invoke(app, ["drill", "--json", "--host", "nobody"])
    assert result.exit_code == 2
    assert "--host 'nobody'" in json.loads(result.stdout)["error"]
