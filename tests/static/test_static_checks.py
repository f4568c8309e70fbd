"""The house checks, run by the suite so that CI keeps them: mypy --strict over every module, ruff lint and format."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import typecheck  # noqa: E402

pytestmark = pytest.mark.slow


def _module_count() -> int:
    return sum(len(list(folder.glob("*.py"))) for folder in typecheck.package_dirs(REPO).values())


def test_mypy_strict_checks_every_module() -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "typecheck.py")], capture_output=True, text=True, check=False
    )
    checked = re.search(r"in (\d+) source files", proc.stdout)
    assert checked is not None, proc.stdout + proc.stderr
    # Every module of every mapped folder is checked: none can silently fall out of the check.
    assert int(checked.group(1)) == _module_count()
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _ruff(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, str(REPO)],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )


def test_ruff_finds_nothing() -> None:
    proc = _ruff("check", "--output-format", "concise")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_code_is_formatted() -> None:
    proc = _ruff("format", "--check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
