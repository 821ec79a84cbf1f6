"""What a checkout and an install must get right: generated output stays out of git, and one version number,
printed by ``--version`` and carried by every JSON, SARIF and report output."""

from __future__ import annotations

import inspect
import json
import shutil
import subprocess
import tempfile
import tomllib
from importlib import metadata
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

import hybridnet
import hybridnet.version as version_module
from hybridnet.cli import app
from hybridnet.cli.drill import drill
from hybridnet.report import SCHEMA_VERSION, render_html, render_json, render_markdown
from hybridnet.version import hybridnet_version

REPO = Path(__file__).resolve().parents[2]


def _ignored(relative: str) -> bool:
    # safe.directory: a checkout owned by another user (root's clone, tests run unprivileged) is still read
    done = subprocess.run(["git", "-c", f"safe.directory={REPO}", "check-ignore", "-q", "--no-index", relative],
                          cwd=REPO, check=False,
                          capture_output=True, text=True, timeout=30)
    if done.returncode not in (0, 1):
        pytest.skip(f"git cannot answer here: {done.stderr.strip()}")
    return done.returncode == 0


@pytest.mark.skipif(shutil.which("git") is None or not (REPO / ".gitignore").is_file(), reason="not a checkout")
@pytest.mark.parametrize(
    "relative",
    [
        # the drill's default --report-dir, read from the command so the two cannot drift apart
        str(inspect.signature(drill).parameters["report_dir"].default / "drill-report.json"),
        "build/lib/hybridnet/__init__.py",
        "dist/hybridnet-0.1.0-py3-none-any.whl",
    ],
)
def test_generated_output_is_ignored_by_git(relative: str) -> None:
    assert _ignored(relative), f"{relative} would show up in git status: add it to .gitignore"


def test_sources_are_not_ignored() -> None:
    if shutil.which("git") is None:
        pytest.skip("no git")
    assert not _ignored("src/hybridnet/report/timeline.py")


# --- the version: one number, printed by --version and carried by every output ---------------------------

REPORT_SCHEMA = REPO / "docs" / "drill-report.schema.json"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "import"


def test_version_option_prints_the_package_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"hybridnet {hybridnet_version()}"
    assert hybridnet_version() == hybridnet.__version__  # this checkout's own copy is what runs here


def test_the_build_takes_its_version_from_the_package() -> None:
    """pyproject reads __version__, so the installed metadata and the fallback can never disagree."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" in project["project"]["dynamic"] and "version" not in project["project"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "hybridnet.__version__"}


def _dist_info(root: Path, version: str, listed: str) -> metadata.Distribution:
    """A real installed-distribution record (dist-info) whose RECORD lists ``listed``."""
    info = root / f"hybridnet-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: hybridnet\nVersion: {version}\n")
    (info / "RECORD").write_text(f"{listed},,\n")
    return metadata.PathDistribution(info)


def test_metadata_wins_when_it_describes_this_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    here = Path(version_module.__file__).resolve()
    site = here.parents[1]  # the directory holding the hybridnet package
    distribution = _dist_info(Path(tempfile.mkdtemp()), "9.8.7", "hybridnet/version.py")
    monkeypatch.setattr(distribution, "locate_file", lambda path: site / path)
    monkeypatch.setattr(metadata, "distribution", lambda name: distribution)
    hybridnet_version.cache_clear()
    try:
        assert hybridnet_version() == "9.8.7"
    finally:
        hybridnet_version.cache_clear()


def test_metadata_of_another_copy_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An install of another tree (editable, or an older wheel) must not lend this checkout its number."""
    distribution = _dist_info(tmp_path, "9.8.7", "hybridnet/version.py")
    monkeypatch.setattr(metadata, "distribution", lambda name: distribution)
    hybridnet_version.cache_clear()
    try:
        assert hybridnet_version() == hybridnet.__version__
    finally:
        hybridnet_version.cache_clear()


def test_analyse_json_carries_the_version() -> None:
    for args in (["analyse", "--json", "--depth", "0"],
                 ["analyse", "--json", "--depth", "0", "--against", str(REPO / "examples" / "ra-2016.yaml")]):
        result = CliRunner().invoke(app, args)
        document = json.loads(result.stdout)
        assert (document["tool"], document["version"]) == ("hybridnet", hybridnet_version()), args


def test_check_json_and_sarif_carry_the_version() -> None:
    as_json = json.loads(CliRunner().invoke(app, ["check", "--format", "json"]).stdout)
    sarif = json.loads(CliRunner().invoke(app, ["check", "--format", "sarif"]).stdout)
    assert as_json["version"] == sarif["runs"][0]["tool"]["driver"]["version"] == hybridnet_version()


def test_import_header_carries_the_version() -> None:
    result = CliRunner().invoke(
        app, ["import", str(FIXTURES / "exported-gateways.json"), "--resource-group", "rg-hub-legacy"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("# hybridnet topology written by `hybridnet import`")
    assert f"(hybridnet {hybridnet_version()})" in result.stdout.splitlines()[0]


def test_drill_reports_carry_the_version() -> None:
    from hybridnet.model import default_topology
    from tests.unit.test_report_sample import sample_drill

    document = json.loads(render_json(sample_drill()))
    assert (document["tool"], document["version"]) == ("hybridnet", hybridnet_version())
    schema = json.loads(REPORT_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)
    document["version"] = ""
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)
    assert "`version`" in (REPO / "docs" / "drill-report.md").read_text(encoding="utf-8")
    footer = render_markdown(sample_drill()).rstrip().splitlines()[-1]
    assert footer == f"Written by hybridnet {hybridnet_version()} · report schema {SCHEMA_VERSION}"
    html = render_html(sample_drill(), default_topology())
    assert f"written by hybridnet {hybridnet_version()} · report schema {SCHEMA_VERSION}" in html
