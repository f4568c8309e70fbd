"""`photon-doctor demo` end to end against the simulated Photon: every scenario ranks its true cause first."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from photon_doctor.foundation.errors import ExitCode
from photon_doctor.simulator.factory import account_token, healthy_world
from photon_doctor.simulator.scenarios import SCENARIOS

from tests.conftest import run_in_process as run_cli

#: Scenarios whose true cause the knowledge base ranks second, for the knowledge base's owner to weigh (none
#: since the calibrated ratios: unusual-ssid, where the SoftAP refuses the escaped SSID and the device blinks dark
#: blue with nothing stored, ranks the unusual characters first again, 40 % vs 35 % for the credentials).
RANKED_SECOND: set[str] = set()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_every_scenario_ranks_its_true_cause_first(scenario) -> None:  # type: ignore[no-untyped-def]
    r = run_cli("demo", "--scenario", scenario.name, "--no-input", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    ranked = [c["id"] for c in data["ranked_causes"]]
    top = 2 if scenario.name in RANKED_SECOND else 1
    assert scenario.causes[0] in ranked[:top], (ranked[:3], data["unavailable"])
    sources = {o["provenance"]["source"] for o in data["observations"]}
    assert {"probe:serial", "probe:softap", "probe:host"} & sources, sources
    # Secrets of the simulated world never reach the output or the saved session.
    token = account_token(healthy_world())
    saved = Path(data["session"]).read_text()
    for secret in (scenario.wifi_password, token):
        assert secret not in r.stdout + r.stderr + saved


def test_default_demo_is_the_thread_dented_photon_and_reads_well() -> None:
    r = run_cli("demo", "--no-input")
    assert r.returncode == 0, r.stderr
    assert "thread-dented-photon" in r.stderr
    assert r.stdout.startswith("Likely causes:")
    assert "physical" in r.stdout.splitlines()[1]
    assert "What to do, in this order" in r.stdout


def test_list_scenarios_text_and_json() -> None:
    r = run_cli("demo", "--list-scenarios")
    assert r.returncode == 0
    assert len(r.stdout.strip().splitlines()) == len(SCENARIOS)
    r = run_cli("demo", "--list-scenarios", "--json")
    items = json.loads(r.stdout)
    assert [i["name"] for i in items] == [s.name for s in SCENARIOS]
    assert all(set(i) == {"name", "description", "causes"} and i["causes"] for i in items)


def test_unknown_scenario_is_a_usage_error() -> None:
    r = run_cli("demo", "--scenario", "gremlins")
    assert r.returncode == ExitCode.USAGE
    assert "unknown scenario 'gremlins'" in r.stderr and "static-ip" in r.stderr


@pytest.mark.parametrize("command", ["demo", "simulate"])
def test_a_mistyped_scenario_is_named_as_meant_and_echoed_short(command: str) -> None:
    """QA finding: `demo --scenario statc-ip` listed all 26 names and did not say which was meant, and a
    3,000-letter name came back whole (why and the interview echo at most 60 characters)."""
    r = run_cli(command, "--scenario", "statc-ip")
    assert r.returncode == ExitCode.USAGE and "Did you mean static-ip?" in r.stderr, r.stderr
    r = run_cli(command, "--scenario", "z" * 3000)
    assert r.returncode == ExitCode.USAGE and "z" * 61 not in r.stderr and len(r.stderr) < 800, len(r.stderr)


def test_interactive_demo_shows_the_owner_answers_as_hints() -> None:
    r = run_cli("demo", "--scenario", "static-ip", input="?\n" * 30)
    assert r.returncode == 0, r.stderr
    assert "[demo] the owner of this simulated Photon would answer" in r.stderr


def test_the_readme_demo_without_a_terminal_lets_the_simulated_owner_answer() -> None:
    """The README's demo run where nobody can answer (a CI job, a pipe, ``< /dev/null``): it used to stop at the
    first question with exit 10. The demo knows its owner's answers, so the owner answers, and it says so."""
    r = run_cli("demo", input="")
    assert r.returncode == ExitCode.OK, r.stderr
    assert "the simulated owner answers the rest" in r.stderr
    assert "> 2\n" in r.stderr  # the LED colour, typed as the owner would: green
    assert "physically damaged: almost certain" in r.stdout
    # Answers typed before the input ends are still the person's: "don't know" to the colour, then the owner.
    r = run_cli("demo", "--scenario", "static-ip", "--json", input="?\n")
    assert r.returncode == ExitCode.OK, r.stderr
    observed = {o["id"] for o in json.loads(r.stdout)["observations"]}
    assert "led_colour" not in observed and "led_pattern" not in observed
    assert r.stderr.count("the simulated owner answers the rest") == 1


def test_simulate_prints_where_each_part_listens() -> None:
    started = time.monotonic()
    r = run_cli("simulate", "--scenario", "static-ip", "--seconds", "0.5")
    assert r.returncode == 0, r.stderr
    for label in (
        "serial port:   /dev/pts/",
        "softap http:   http://127.0.0.1:",
        "cloud api:     http://127.0.0.1:",
        "token:",
    ):
        assert label in r.stdout
    assert time.monotonic() - started < 30
