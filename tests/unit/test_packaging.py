"""What a checkout and an install must get right: generated output stays out of git, the version is one."""

from __future__ import annotations

import inspect
import shutil
import subprocess
from pathlib import Path

import pytest

from hybridnet.cli.drill import drill

REPO = Path(__file__).resolve().parents[2]


def _ignored(relative: str) -> bool:
    done = subprocess.run(["git", "check-ignore", "-q", "--no-index", relative], cwd=REPO, check=False,
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
