"""The shipped knowledge passes `kb check --strict` (and stays free of lint errors and warnings)."""

from __future__ import annotations

import json

from tests.conftest import run_cli


def test_shipped_knowledge_passes_strict_lint() -> None:
    r = run_cli("kb", "check", "--strict", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    data = json.loads(r.stdout)
    assert data["errors"] == [] and data["warnings"] == []
