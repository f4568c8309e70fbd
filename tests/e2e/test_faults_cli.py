"""Fault injection end to end: a simulated Photon misbehaving as `simulate --fault PART=KIND` makes it, and what
`diagnose --auto` does about it (docs/reliability.md's fault matrix is this table)."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from photon_doctor.foundation.errors import ExitCode
from photon_doctor.simulator.faults import FAULTS, apply_faults, parse_faults
from photon_doctor.simulator.photon import SimulatedPhoton
from photon_doctor.simulator.scenarios import get_scenario

from tests.conftest import REPO, auto_against, run_cli

#: fault -> (the probe that cannot say its piece, words its "not probed" reason must hold)
MATRIX = {
    "cloud=429": ("cloud", "rate limited by the Particle cloud"),
    "cloud=500": ("cloud", "the Particle cloud failed"),
    "cloud=truncated": ("cloud", "broke off"),
    "cloud=slow": ("cloud", "too slowly"),
    "cloud=huge": ("cloud", "larger than 4 MB"),
    "cloud=hang": ("cloud", "did not answer"),
    "serial=garbage": ("serial", "what came back was not a Photon's listening-mode answer"),
    "serial=silent": ("serial", "did not answer"),
    "serial=unplug": ("serial", "vanished"),
    "softap=close": ("softap", "closed without an answer"),
    "softap=hang": ("softap", "no answer within"),
    "softap=garbage": ("softap", "not valid JSON"),
    "softap=truncated": ("softap", "cut off"),
}


def test_the_matrix_covers_every_fault() -> None:
    assert set(MATRIX) == {f"{part}={kind}" for part, kinds in FAULTS.items() for kind in kinds}


@pytest.mark.parametrize("fault", sorted(MATRIX))
def test_diagnose_auto_degrades_to_not_probed_with_a_reason(fault: str) -> None:
    probe, words = MATRIX[fault]
    scenario = get_scenario("static-ip")
    sim = SimulatedPhoton(scenario)
    apply_faults(sim, parse_faults([fault]))
    with sim:
        ep = sim.endpoints()
        r = run_cli(*auto_against(ep, scenario.ssid, probe_timeout=2), "--device", ep.device_id)
    assert r.returncode == ExitCode.OK, r.stderr
    assert "Traceback" not in r.stderr and ep.token not in r.stdout + r.stderr
    data = json.loads(r.stdout)
    reasons = [u["reason"] for u in data["unavailable"] if u["probe"] == probe]
    assert any(words in reason for reason in reasons), reasons
    assert not any("Error" in reason or "Exception" in reason for reason in reasons), reasons
    others = {o["provenance"]["source"] for o in data["observations"]}
    assert "probe:host" in others, data["observations"]  # the other probes still spoke
    assert data["schema_version"] == 1 and Path(data["session"]).exists()  # and the session went on


def test_simulate_prints_the_faults_it_shows() -> None:
    r = run_cli("simulate", "--seconds", "0.1", "--fault", "cloud=429", "--fault", "serial=unplug")
    assert r.returncode == 0, r.stderr
    assert "fault:         cloud=429 (every API call is rate limited" in r.stdout
    assert "fault:         serial=unplug" in r.stdout


@pytest.mark.parametrize("bad", ["cloud=404", "toaster=on", "cloud", "cloud=429,serial=garbage"])
def test_simulate_rejects_an_unknown_fault(bad: str) -> None:
    r = run_cli("simulate", "--seconds", "0.1", "--fault", bad)
    assert r.returncode == ExitCode.USAGE
    assert "unknown fault" in r.stderr and "cloud=429|500" in r.stderr and "Traceback" not in r.stderr


def test_simulate_rejects_two_faults_for_one_part() -> None:
    r = run_cli("simulate", "--seconds", "0.1", "--fault", "cloud=429", "--fault", "cloud=500")
    assert r.returncode == ExitCode.USAGE and "one fault per part" in r.stderr


def test_simulate_names_the_scenario_s_cause_in_words() -> None:
    """QA finding: `simulate` printed "scenario: module-drops-off-bus (physical_damage)", an id in human output;
    --verbose adds the id."""
    from photon_doctor.knowledge.loader import load_knowledge

    cause = load_knowledge(None).causes["physical_damage"]
    r = run_cli("simulate", "--seconds", "0.1", "--scenario", "module-drops-off-bus")
    assert r.returncode == 0, r.stderr
    assert f"scenario:      module-drops-off-bus ({cause.title})\n" in r.stdout, r.stdout
    assert "physical_damage" not in r.stdout
    verbose = run_cli("-v", "simulate", "--seconds", "0.1", "--scenario", "module-drops-off-bus")
    assert f"({cause.title} [physical_damage])" in verbose.stdout, verbose.stdout


def _first_lines_until(proc: subprocess.Popen[str], prefix: str) -> list[str]:
    """The simulator's lines up to the one starting with ``prefix`` (it prints them at once, then serves)."""
    assert proc.stdout is not None
    lines: list[str] = []
    while not lines or not lines[-1].startswith(prefix):
        line = proc.stdout.readline()
        assert line, f"the simulator ended before printing '{prefix}': {lines}"
        lines.append(line)
    return lines


def test_the_simulated_fleet_shows_a_cloud_fault() -> None:
    """QA finding: `simulate --fleet 50 --fault cloud=500` served a healthy cloud, without a word, so a product
    engineer could not see what `fleet` does when the cloud fails; a device's fault there was ignored too. The
    fleet's API now answers as the fault says, and a fault of a part the fleet does not have is a usage error."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "photon_doctor",
            "simulate",
            "--fleet",
            "5",
            "--seconds",
            "30",
            "--fault",
            "cloud=500",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=str(REPO),
    )
    try:
        lines = _first_lines_until(proc, "cloud api:")
        lines += _first_lines_until(proc, "fault:")
        url = lines[1].split()[2]
        token = lines[2].split()[1]
        request = urllib.request.Request(
            f"{url}/v1/products/4242/devices?page=1&per_page=100",
            headers={"Authorization": f"Bearer {token}"},
        )
        with pytest.raises(urllib.error.HTTPError) as failed:
            urllib.request.urlopen(request, timeout=10)
        failed.value.close()
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    assert failed.value.code == 500
    assert lines[-1].startswith("fault:           cloud=500 (every API call fails with a server error")
    r = run_cli("simulate", "--fleet", "5", "--seconds", "0.1", "--fault", "serial=garbage")
    assert r.returncode == ExitCode.USAGE
    assert r.stderr.strip().splitlines() == [
        "photon-doctor: --fault serial=garbage: the simulated fleet is only a cloud API; "
        "its faults are cloud=429|500|truncated|slow|huge|hang"
    ]
