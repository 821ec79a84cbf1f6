"""Hostile paths and files given to the pure stages: a FIFO, a device, a link in the output directory,
names a shell would read as options. Each gives exit 2 with the file named, or is written where it
belongs; nothing blocks, nothing is written outside the output directory."""

from __future__ import annotations

import contextlib
import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from hybridnet.cli import app
from hybridnet.model import reference_yaml

runner = CliRunner()
TEMPLATE = {
    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    "contentVersion": "1.0.0.0",
    "resources": [],
}


def _invoke_bounded(args: list[str], fifo: Path | None = None, seconds: float = 20) -> Result:
    """Run the CLI in a thread; if it is still running after ``seconds`` (blocked on the FIFO), release the
    FIFO so the thread can end, and fail: a command must never wait for a writer that never comes."""
    outcome: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: outcome.setdefault("result", runner.invoke(app, args)), daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        if fifo is not None:
            for flags in (os.O_WRONLY | os.O_NONBLOCK, os.O_RDONLY | os.O_NONBLOCK):
                with contextlib.suppress(OSError):
                    os.close(os.open(fifo, flags))  # unblocks an open() waiting on the other end
            thread.join(5)
        pytest.fail(f"`hybridnet {' '.join(args)}` blocked for {seconds} s")
    return outcome["result"]


def _clean(result: Result) -> str:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return " ".join(result.output.split())


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("command", [["check"], ["analyse"], ["render", "arm", "--no-validate"]])
def test_a_fifo_as_topology_is_refused_without_waiting_for_a_writer(fifo: Path, command: list[str]) -> None:
    result = _invoke_bounded([*command, str(fifo)], fifo)
    assert result.exit_code == 2
    assert f"{fifo}: is a named pipe (FIFO), not a topology file" in _clean(result)


def test_a_fifo_given_to_import_is_refused_without_waiting(fifo: Path) -> None:
    result = _invoke_bounded(["import", str(fifo)], fifo)
    assert result.exit_code == 2 and "is a named pipe (FIFO), not a JSON file" in _clean(result)


def test_a_fifo_as_the_onprem_topology_of_import_is_refused(fifo: Path, tmp_path: Path) -> None:
    template = tmp_path / "t.json"
    template.write_text(json.dumps(TEMPLATE))
    result = _invoke_bounded(["import", str(template), "--onprem", str(fifo)], fifo)
    assert result.exit_code == 2 and "is a named pipe (FIFO), not a topology file" in _clean(result)


@pytest.mark.parametrize("command", [["check"], ["import"]])
def test_a_character_device_is_named_as_such_not_read(command: list[str]) -> None:
    result = _invoke_bounded([*command, "/dev/null"])
    assert result.exit_code == 2 and "/dev/null: is a character device" in _clean(result)


def _topology_with_key_file(tmp_path: Path, key_file: Path) -> Path:
    path = tmp_path / "t.yaml"
    path.write_text(reference_yaml().replace("env: HYBRIDNET_VPN_SHARED_KEY", f"file: {key_file}"))
    return path


def test_a_fifo_as_the_shared_key_file_is_refused(fifo: Path, tmp_path: Path) -> None:
    topology = _topology_with_key_file(tmp_path, fifo)
    result = _invoke_bounded(
        ["render", "device", "--vendor", "strongswan", "--with-key", "-o", str(tmp_path / "out"), str(topology)],
        fifo,
    )
    assert result.exit_code == 2 and f"cannot read the secret file {fifo}: is a named pipe" in _clean(result)


def test_a_key_file_that_is_not_utf8_is_a_clear_error(tmp_path: Path) -> None:
    key = tmp_path / "key"
    key.write_bytes(b"\xff\xfe\xfa")
    topology = _topology_with_key_file(tmp_path, key)
    result = _invoke_bounded(
        ["render", "device", "--vendor", "frr", "--with-key", "-o", str(tmp_path / "out"), str(topology)]
    )
    assert result.exit_code == 2 and "is not UTF-8 text (byte 0)" in _clean(result)


@pytest.mark.parametrize("command", [["init"], ["import", "TEMPLATE", "-o"]])
def test_an_output_path_that_is_a_fifo_is_refused_not_written_into(
    fifo: Path, tmp_path: Path, command: list[str]
) -> None:
    template = tmp_path / "t.json"
    template.write_text(json.dumps(TEMPLATE))
    args = [str(template) if part == "TEMPLATE" else part for part in command]
    result = _invoke_bounded([*args, str(fifo), "--force"], fifo)
    assert result.exit_code == 2 and "exists and is not a regular file" in _clean(result)


def test_render_arm_replaces_a_link_in_the_output_directory_instead_of_writing_through_it(tmp_path: Path) -> None:
    outside = tmp_path / "outside.json"
    directory = tmp_path / "out"
    directory.mkdir()
    (directory / "azuredeploy.json").symlink_to(outside)
    result = runner.invoke(app, ["render", "arm", "--no-validate", "-o", str(directory)])
    assert result.exit_code in (0, 1), result.output
    assert not outside.exists(), "the template was written through the link, outside the output directory"
    assert not (directory / "azuredeploy.json").is_symlink()
    assert json.loads((directory / "azuredeploy.json").read_text())["resources"]


def test_render_device_replaces_a_fifo_in_the_output_directory(tmp_path: Path) -> None:
    directory = tmp_path / "out"
    (directory / "onprem-core").mkdir(parents=True)
    fifo = directory / "onprem-core" / "frr.conf"
    os.mkfifo(fifo)
    result = _invoke_bounded(["render", "device", "--vendor", "frr", "-o", str(directory)], fifo)
    assert result.exit_code == 0, result.output
    assert fifo.is_file() and "router bgp" in fifo.read_text()


def test_the_printed_deploy_command_keeps_an_odd_resource_group_one_value(tmp_path: Path) -> None:
    topology = tmp_path / "t.yaml"
    topology.write_text(reference_yaml().replace("resource_group: ra-hybrid-vpn-er-rg",
                                                 "resource_group: -my hub (prod)"))
    result = runner.invoke(app, ["render", "arm", "--no-validate", "-o", str(tmp_path / "out"), str(topology)])
    assert result.exit_code in (0, 1), result.output
    assert "'--resource-group=-my hub (prod)'" in _clean(result)


DESCRIPTION = "description: On-premises network joined to Azure by ExpressRoute, with a site-to-site VPN as failover."


@pytest.mark.parametrize(
    ("value", "tag"),
    [
        ('!!python/object/apply:os.system ["id"]', "!!python/object/apply:os.system"),
        ("!!binary aGVsbG8=", "!!binary"),
        ("!!set {a: null}", "!!set"),
        ("!!omap [a: 1]", "!!omap"),
        ("!custom hello", "!custom"),
        ("!vault {path: x}", "!vault"),
    ],
)
def test_a_yaml_tag_outside_the_core_schema_is_a_located_error(value: str, tag: str) -> None:
    from hybridnet.model import TopologyError, loads

    with pytest.raises(TopologyError) as caught:
        loads(reference_yaml().replace(DESCRIPTION, f"description: {value}"), source="t.yaml")
    assert f"t.yaml:10: description: the YAML tag {tag} is not supported" in str(caught.value)


def test_a_tag_on_a_list_the_model_would_take_is_refused_too() -> None:
    from hybridnet.model import TopologyError, loads

    text = reference_yaml().replace("address_space: [192.168.0.0/16]",
                                    "address_space: !!python/object/apply:os.system [192.168.0.0/16]")
    with pytest.raises(TopologyError) as caught:
        loads(text, source="t.yaml")
    assert "onprem.address_space: the YAML tag !!python/object/apply:os.system" in str(caught.value)


def test_the_core_schemas_own_tags_still_load() -> None:
    from hybridnet.model import loads

    topology = loads(reference_yaml().replace(DESCRIPTION, "description: !!str 12345"))
    assert topology.description == "12345"
