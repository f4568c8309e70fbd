""" "Not probed" lists only what was not probed (issue 10), and still says when the serial port vanished half way
(issue 11's fault matrix): the merged filter lost the second, and a first repair of it brought back the noise."""

from __future__ import annotations

import json
from pathlib import Path

from photon_doctor.simulator.faults import apply_faults, parse_faults
from photon_doctor.simulator.photon import SimulatedPhoton
from photon_doctor.simulator.scenarios import get_scenario

from tests.conftest import auto_against, run_cli


def test_a_demo_whose_probes_all_answered_lists_nothing_as_not_probed(tmp_path: Path) -> None:
    r = run_cli("demo", "--no-input", env={"PHOTON_DOCTOR_HOME": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    assert "Not probed" not in r.stdout + r.stderr
    r = run_cli("demo", "--no-input", "--json", env={"PHOTON_DOCTOR_HOME": str(tmp_path)})
    assert json.loads(r.stdout)["unavailable"] == []


def test_a_port_that_answers_but_not_as_a_photon_says_so_not_no_photon_on_usb(tmp_path: Path) -> None:
    scenario = get_scenario("static-ip")
    sim = SimulatedPhoton(scenario)
    apply_faults(sim, parse_faults(["serial=garbage"]))
    with sim:
        ep = sim.endpoints()
        args = [a for a in auto_against(ep, scenario.ssid, probe_timeout=2) if a != "--json"]
        r = run_cli(*args, env={"PHOTON_DOCTOR_HOME": str(tmp_path), "COLUMNS": "400"})
    assert r.returncode == 0, r.stderr
    not_probed = r.stdout[r.stdout.index("Not probed:") :]
    assert (
        f"the device over USB serial: opened {ep.serial_port}, but what came back was not a Photon's "
        "listening-mode answer (44 bytes that are not text): is this the Photon's port?"
    ) in not_probed
    assert "no Photon found on USB" not in r.stdout + r.stderr
