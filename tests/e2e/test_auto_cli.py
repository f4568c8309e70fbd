"""`diagnose --auto` through the real composition root (the same probes and wiring as for a Photon on USB),
pointed at a running simulated Photon with the command-line options a person would use."""

from __future__ import annotations

import json

import pytest
from photon_doctor.simulator.photon import SimulatedPhoton
from photon_doctor.simulator.scenarios import get_scenario

from tests.conftest import auto_against, run_cli


def answers(given: dict[str, object]) -> list[str]:
    """What the person tells on the command line (what no probe can see)."""
    args = []
    for key, value in given.items():
        text = (
            ("yes" if value else "no")
            if isinstance(value, bool)
            else (",".join(value) or "none" if isinstance(value, list) else str(value))
        )
        args += ["-a", f"{key}={text}"]
    return args


@pytest.mark.parametrize("name", ["static-ip", "key-mismatch", "unclaimed-device"])
def test_diagnose_auto_against_a_running_simulator(name: str) -> None:
    scenario = get_scenario(name)
    with SimulatedPhoton(scenario) as sim:
        ep = sim.endpoints()
        # A generous timeout: every answer is due (the simulator answers at once), and a busy computer is slow.
        r = run_cli(*auto_against(ep, scenario.ssid, probe_timeout=10), *answers(sim.person_answers()))
        assert r.returncode == 0, r.stderr
        data = json.loads(r.stdout)
        assert data["ranked_causes"][0]["id"] == scenario.causes[0], data["ranked_causes"][:3]
        sources = {o["provenance"]["source"] for o in data["observations"]}
        assert {"probe:serial", "probe:softap", "probe:cloud", "probe:host"} <= sources
        assert ep.token not in r.stdout + r.stderr
        assert "probing the device over USB serial" in r.stderr  # progress goes to stderr, in words
        assert "(s)" not in r.stderr and "probing serial" not in r.stderr and " observations" in r.stderr


def test_bad_cloud_endpoint_is_a_usage_error() -> None:
    r = run_cli("diagnose", "--auto", "--no-input", "--cloud-endpoint", "nohostport")
    assert r.returncode == 2 and "HOST:PORT" in r.stderr
