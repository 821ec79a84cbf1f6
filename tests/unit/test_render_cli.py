"""`hybridnet render`: key-bearing files are private from their creation, and a topology `check` rejects
still renders but says so."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hybridnet.cli import app

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
KEY = "from.the.env"


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """umask 0: a file opened the ordinary way is 0666, so only a creation mode can make it 0600."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def _modes(root: Path) -> dict[str, int]:
    return {str(path.relative_to(root)): stat.S_IMODE(path.stat().st_mode) for path in root.rglob("*")
            if path.is_file()}


@pytest.mark.parametrize("vendor", ["cisco-iosxe", "junos", "strongswan"])
def test_key_files_are_created_0600_without_a_chmod_afterwards(
    vendor: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, permissive_umask: None
) -> None:
    """With chmod doing nothing, a file written then chmod-ed would stay 0666 and readable by all in between."""
    chmods: list[object] = []
    monkeypatch.setattr(os, "chmod", lambda *args, **kwargs: chmods.append(args))
    monkeypatch.setattr(os, "fchmod", lambda *args, **kwargs: chmods.append(args))
    monkeypatch.setenv("HYBRIDNET_VPN_SHARED_KEY", KEY)
    out = tmp_path / "keyed"
    result = runner.invoke(app, ["render", "device", "--vendor", vendor, "--with-key", "-o", str(out)])
    assert result.exit_code == 0, result.output
    modes = _modes(out)
    assert modes and all(mode == 0o600 for mode in modes.values()), {k: oct(v) for k, v in modes.items()}
    assert any(KEY in path.read_text() for path in out.rglob("*") if path.is_file())
    assert not [name for name in modes if name.rsplit("/", 1)[-1].startswith(".")], "a temporary file was left"


def test_a_wider_file_already_there_is_replaced_not_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, permissive_umask: None
) -> None:
    """open(..., "w") keeps an existing file's mode: the key would land in a world-readable file."""
    monkeypatch.setattr(os, "chmod", lambda *args, **kwargs: None)
    monkeypatch.setenv("HYBRIDNET_VPN_SHARED_KEY", KEY)
    existing = tmp_path / "onprem-vpn" / "ios-xe.cfg"
    existing.parent.mkdir(parents=True)
    existing.write_text("old\n")
    existing.chmod(0o644)
    result = runner.invoke(app, ["render", "device", "--vendor", "cisco-iosxe", "--with-key", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(existing.stat().st_mode) == 0o600
    assert KEY in existing.read_text()


def test_files_without_a_key_keep_their_usual_modes(tmp_path: Path) -> None:
    result = runner.invoke(app, ["render", "device", "--vendor", "strongswan", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    modes = _modes(tmp_path)
    assert all(mode == (0o755 if name.endswith(".sh") else 0o644) for name, mode in modes.items()), modes


def test_render_arm_of_a_topology_check_rejects_warns_with_its_errors(tmp_path: Path) -> None:
    topology = EXAMPLES / "ra-2016.yaml"
    checked = runner.invoke(app, ["check", str(topology), "--format", "json"])
    assert checked.exit_code == 1
    errors = [f for f in json.loads(checked.stdout)["findings"] if f["severity"] == "error"]
    assert errors
    result = runner.invoke(app, ["render", "arm", str(topology), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "azuredeploy.json").is_file() and (tmp_path / "azuredeploy.parameters.json").is_file()
    assert "warning" in result.stderr and f"{len(errors)} error finding" in result.stderr
    for finding in errors:
        assert finding["rule"] in result.stderr
        assert f"{topology}:{finding['line']}" in result.stderr
    assert "warning" not in result.stdout


def test_render_arm_of_a_clean_topology_does_not_warn(tmp_path: Path) -> None:
    result = runner.invoke(app, ["render", "arm", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr
