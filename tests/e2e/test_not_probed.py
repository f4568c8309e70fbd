""" "Not probed" lists only what was not probed (issue 10), and still says when the serial port vanished half way
(issue 11's fault matrix): the merged filter lost the second, and a first repair of it brought back the noise."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli


def test_a_demo_whose_probes_all_answered_lists_nothing_as_not_probed(tmp_path: Path) -> None:
    r = run_cli("demo", "--no-input", env={"PHOTON_DOCTOR_HOME": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    assert "Not probed" not in r.stdout + r.stderr
    r = run_cli("demo", "--no-input", "--json", env={"PHOTON_DOCTOR_HOME": str(tmp_path)})
    assert json.loads(r.stdout)["unavailable"] == []
