"""One JSON: a schema 1 session file is read by every command that reads sessions, and every observation printed
as JSON has the one shape (docs/json-output.md)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from tests.conftest import KB_MINI, REPO
from tests.conftest import run_in_process as run_cli

MINI = ["--knowledge", str(KB_MINI)]
OLD = REPO / "tests" / "data" / "session-v1.json"
ONE_SHAPE = {"id", "value", "confidence", "provenance"}


def observations_in(doc: Any) -> list[dict[str, Any]]:
    """Every object under an ``observations`` key, anywhere in ``doc``."""
    found: list[dict[str, Any]] = []
    if isinstance(doc, dict):
        for key, value in doc.items():
            if key == "observations" and isinstance(value, list):
                found += [o for o in value if isinstance(o, dict)]
            found += observations_in(value)
    elif isinstance(doc, list):
        for value in doc:
            found += observations_in(value)
    return found


def old_session(tmp_path: Path) -> Path:
    path = tmp_path / "old.json"
    shutil.copy(OLD, path)
    return path


def test_why_reads_an_old_session_and_prints_observations_in_the_one_shape(tmp_path: Path) -> None:
    r = run_cli(*MINI, "why", "physical_damage", "--session", str(old_session(tmp_path)), "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["schema_version"] == 2 and data["cause"] == "physical_damage"
    seen = observations_in(data)
    assert seen and all(set(o) == ONE_SHAPE for o in seen)
    assert {o["provenance"]["source"] for o in seen} == {"person", "cli"}


def test_diagnose_json_and_why_json_give_an_observation_the_same_shape(tmp_path: Path) -> None:
    home = {"PHOTON_DOCTOR_HOME": str(tmp_path)}
    d = run_cli(*MINI, "diagnose", "--no-input", "--json", "-a", "visible_damage=yes", env=home)
    assert d.returncode == 0, d.stderr
    w = run_cli(*MINI, "why", "physical_damage", "--json", env=home)
    assert w.returncode == 0, w.stderr
    by_diagnose = {o["id"]: o for o in json.loads(d.stdout)["observations"]}
    by_why = {o["id"]: o for o in observations_in(json.loads(w.stdout))}
    assert by_why["visible_damage"] == by_diagnose["visible_damage"]
    saved = json.loads(Path(json.loads(d.stdout)["session"]).read_text())
    assert saved["schema_version"] == 2 and saved["observations"] == [by_diagnose["visible_damage"]]


def test_report_and_graph_read_an_old_session(tmp_path: Path) -> None:
    path = old_session(tmp_path)
    r = run_cli(*MINI, "report", str(path), "--format", "json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["session"]["id"] == "20261101T101010-abc123" and report["session"]["skipped"] == []
    assert {o["id"] for o in report["observations"]} == {"visible_damage", "led_pattern"}
    g = run_cli(*MINI, "graph", "--session", str(path), "--format", "json")
    assert g.returncode == 0, g.stderr
    nodes = {n["id"]: n for n in json.loads(g.stdout)["nodes"]}
    assert nodes["obs:led_pattern"]["role"] == "observed"


def test_resume_goes_on_from_an_old_session(tmp_path: Path) -> None:
    sessions = tmp_path / "sessions"
    sessions.mkdir(mode=0o700)
    shutil.copy(OLD, sessions / "20261101T101010-abc123.json")
    r = run_cli(
        *MINI, "diagnose", "--resume", "--no-input", "--json", env={"PHOTON_DOCTOR_HOME": str(tmp_path)}
    )
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert {o["id"] for o in data["observations"]} == {"visible_damage", "led_pattern"}
    assert "Resuming the session" in r.stderr
    saved = json.loads((sessions / "20261101T101010-abc123.json").read_text())
    assert saved["schema_version"] == 2 and saved["questions_asked"] == 1
