"""`update_device_os` never downgrades a Photon: particle-cli 2.16.0's `particle update` installs the 2.2.0 it
bundles whatever the device runs (docs/protocols-serial.md, "What `particle update` installs"). Against the
simulated Photon: its pty, its cloud on 127.0.0.1 and the stand-in particle (2.16.0) run as a subprocess."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from photon_doctor.actions.executor import FixSession, Policy, summary_text
from photon_doctor.actions.records import ActionRecord, Consent, Result
from photon_doctor.actions.tools import Toolbox
from photon_doctor.knowledge.loader import load_knowledge
from photon_doctor.knowledge.model import KnowledgeBase
from photon_doctor.simulator.control import SimulatedTools
from photon_doctor.simulator.photon import SimulatedPhoton
from photon_doctor.simulator.scenarios import get_scenario
from photon_doctor.simulator.standin import VERSION_ENV
from photon_doctor.simulator.world import Firmware

from tests.integration.test_actions import Bench, ScriptedPerson, bench, owner

UPDATE = "update_device_os_usb"
RISKY = Policy(yes=True, allow_erase=False, allow_irreversible=True)


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge(None)


@contextmanager
def photon_on(kb: KnowledgeBase, version: str, built_for: str, tmp_path: Path) -> Iterator[Bench]:
    """firmware-mismatch (safe mode: the application fails its dependencies), with the device on ``version`` and
    an application built for ``built_for``; probed again, as `--fix` would find it."""
    with bench(kb, "firmware-mismatch", tmp_path) as b:
        with b.sim.world.lock:
            b.sim.world.device.device_os = version
            b.sim.world.device.firmware = Firmware(app="user", requires_device_os=built_for)
        b.sim.world.boot()
        fresh, facts = b.refresh()
        b.observations.update(fresh)
        b.rig.facts.update(facts)
        assert b.observations["device_os_version"].value == version
        yield b


def lying_tool(b: Bench, tmp_path: Path, name: str, when: str, instead: str, says: str) -> None:
    """Put a wrapper round the stand-in ``name`` first on the rig's PATH: when the shell test ``when`` holds, it
    runs the stand-in with ``instead`` and prints ``says`` (a success that did not happen); else the stand-in."""
    fake = tmp_path / "bin"
    fake.mkdir()
    script = fake / name
    real = f'"{b.tools.bindir}/{name}"'
    script.write_text(
        f'#!/bin/sh\nif {when}; then\n  {real} {instead} >/dev/null\n  echo "{says}"; exit 0\nfi\nexec {real} "$@"\n',
        encoding="utf-8",
    )
    script.chmod(0o755)
    b.rig.tools = Toolbox(path=f"{fake}{os.pathsep}{b.tools.path}", env=b.tools.env())


def _update(session: FixSession) -> ActionRecord:
    return next(a for a in session.outcome.actions if a.fix == UPDATE)


def test_an_update_that_would_downgrade_the_device_is_not_run(kb: KnowledgeBase, tmp_path: Path) -> None:
    with photon_on(kb, "2.3.1", "2.3.1", tmp_path) as b:
        session = b.run(kb, owner(), RISKY)
        state, events = b.sim.state(), list(b.sim.world.events)
    action = _update(session)
    assert action.result is Result.SKIPPED and action.commands == ()
    message = action.message
    assert (
        "particle-cli 2.16.0's update installs Device OS 2.2.0, older than the 2.3.1 the device runs"
        in message
    )
    assert "downgrade" in message and "particle-cli 3.6.0 or later installs 2.3.1" in message
    assert state["device_os"] == "2.3.1"
    assert not any("Device OS updated" in e for e in events)
    assert "Update Device OS and bootloader over USB: not run" in summary_text(session.outcome)


def test_the_release_the_device_runs_is_reinstalled_which_repairs_a_mismatched_part(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    """Reinstalling the release a device runs is no downgrade: `particle update` writes the bootloader and both
    system parts again, which is the repair for a corrupted or mismatched part (real-n09: system parts flashed
    again over USB). Here the device runs 2.2.0 with a system part that fails its dependency check."""
    with photon_on(kb, "2.2.0", "2.2.0", tmp_path) as b:
        with b.sim.world.lock:
            b.sim.world.device.modules_ok = False
        b.sim.world.boot()
        session = b.run(kb, owner(), RISKY)
        state = b.sim.state()
    action = _update(session)
    assert action.result is Result.DONE and action.verified_connected
    assert (
        "particle-cli 2.16.0's update reinstalls Device OS 2.2.0, the release the device runs"
        in action.message
    )
    assert (state["device_os"], state["modules_ok"]) == ("2.2.0", True)


@pytest.mark.parametrize("version", ["0.6.4", "1.5.2"])
def test_an_old_photon_is_still_updated(kb: KnowledgeBase, tmp_path: Path, version: str) -> None:
    with photon_on(kb, version, "2.2.0", tmp_path) as b:
        session = b.run(kb, owner(), RISKY)
        state = b.sim.state()
    action = _update(session)
    assert action.result is Result.DONE and action.verified_connected
    assert (state["device_os"], state["modules_ok"]) == ("2.2.0", True)
    said = f"particle-cli 2.16.0's update installs Device OS 2.2.0, newer than the {version} the device runs"
    assert said in action.message
    assert "particle update" in action.commands
    # The device's own word proves the release it now runs (serial `v` in listening mode, then `x`).
    assert "the device restarted and says it runs 2.2.0" in action.message
    assert any(c.endswith(": v (the Device OS version it runs)") for c in action.commands)


def test_an_update_the_device_does_not_show_is_not_taken_for_done(kb: KnowledgeBase, tmp_path: Path) -> None:
    """A `particle update` that says it succeeded but left the device as it was (here a wrapper round the
    stand-in that only resets the device): the device's `v` still says 1.5.2, so the step failed."""
    with photon_on(kb, "1.5.2", "2.2.0", tmp_path) as b:
        lying_tool(
            b,
            tmp_path,
            "particle",
            '[ "$1" = update ]',
            "usb reset",
            "! System firmware update successfully completed!",
        )
        session = b.run(kb, owner(), RISKY)
        state = b.sim.state()
    action = _update(session)
    assert action.result is Result.FAILED
    assert "the device says it runs Device OS 1.5.2, not 2.2.0" in action.message
    assert state["device_os"] == "1.5.2"
    assert action.commands[-1].endswith(": x (leave listening mode)")  # put back after reading `v`


def test_the_dry_run_shows_the_decision(kb: KnowledgeBase, tmp_path: Path) -> None:
    with photon_on(kb, "2.3.1", "2.3.1", tmp_path) as b:
        refused = b.run(kb, owner(), Policy(dry_run=True))
    with photon_on(kb, "1.5.2", "2.2.0", tmp_path) as b:
        planned = b.run(kb, owner(), Policy(dry_run=True))
    no = _update(refused)
    assert (no.consent, no.result) == (Consent.DRY_RUN, Result.SKIPPED)
    text = summary_text(refused.outcome)
    assert "older than the 2.3.1 the device runs: a downgrade" in text
    yes = _update(planned)
    assert yes.result is Result.PLANNED
    assert yes.commands[0] == (
        "check: particle-cli 2.16.0's update installs Device OS 2.2.0, newer than the 1.5.2 the device runs"
    )


def test_the_cloud_s_record_is_used_when_the_serial_console_did_not_say(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    with photon_on(kb, "2.3.1", "2.3.1", tmp_path) as b:
        del b.observations["device_os_version"]
        assert b.rig.facts["system_firmware_version"] == "2.3.1"
        session = b.run(kb, owner(), Policy(dry_run=True))
    action = _update(session)
    assert action.result is Result.SKIPPED
    assert "older than the 2.3.1 the cloud last heard the device report" in action.message


@contextmanager
def version_unknown(kb: KnowledgeBase, tmp_path: Path) -> Iterator[Bench]:
    with photon_on(kb, "1.5.2", "2.2.0", tmp_path) as b:
        del b.observations["device_os_version"]
        b.rig.facts.pop("system_firmware_version", None)
        b.refresh = None  # re-probing would read the version again
        yield b


def test_an_unknown_version_needs_someone_to_accept_the_risk(kb: KnowledgeBase, tmp_path: Path) -> None:
    with version_unknown(kb, tmp_path) as b:
        session = b.run(kb, owner(), RISKY)
        state = b.sim.state()
    action = _update(session)
    assert (action.consent, action.result) == (Consent.REFUSED, Result.SKIPPED)
    assert "the device's Device OS version is not known" in action.message
    assert "only someone at a terminal can accept that risk" in action.message
    assert state["device_os"] == "1.5.2"


def test_at_a_terminal_an_unknown_version_runs_once_the_risk_is_accepted(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    with version_unknown(kb, tmp_path) as b:
        person = ScriptedPerson(["anyway", "y"] + ["q"] * 10)  # type the word; yes, it breathes cyan
        session = b.run(kb, person, Policy())
        state = b.sim.state()
    action = _update(session)
    assert (action.consent, action.result) == (Consent.GIVEN, Result.DONE)
    assert "Beware: the device's Device OS version is not known" in person.transcript
    assert any("Type 'anyway' to run it" in q for q in person.questions)
    assert state["device_os"] == "2.2.0"


def _cli(b: Bench, version: str) -> None:
    """The stand-in particle as another particle-cli version."""
    b.rig.tools = Toolbox(path=b.tools.path, env={**b.tools.env(), VERSION_ENV: version})


def test_a_cli_that_downloads_is_told_which_release(kb: KnowledgeBase, tmp_path: Path) -> None:
    """particle-cli 3.14.0 and later download "latest" unless --target names a release: photon-doctor names it."""
    with photon_on(kb, "1.5.2", "2.2.0", tmp_path) as b:
        _cli(b, "3.49.2")
        session = b.run(kb, owner(), RISKY)
        state = b.sim.state()
    action = _update(session)
    assert action.result is Result.DONE and "particle update --target 2.3.1" in action.commands
    assert "the device restarted and says it runs 2.3.1" in action.message
    assert state["device_os"] == "2.3.1"


def test_a_cli_that_downloads_reinstalls_what_a_current_photon_runs(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    """On 2.3.1 (the scenario's part fails its dependency check) a downloading CLI is told 2.3.1: written again."""
    with photon_on(kb, "2.3.1", "2.3.1", tmp_path) as b:
        _cli(b, "3.49.2")
        session = b.run(kb, owner(), RISKY)
        events = list(b.sim.world.events)
    action = _update(session)
    assert action.result is Result.DONE
    assert (
        "particle-cli 3.49.2's update reinstalls Device OS 2.3.1, the release the device runs"
        in action.message
    )
    assert "Device OS updated to 2.3.1 over USB" in events


@pytest.mark.parametrize(
    ("version", "args", "installs", "said"),
    [
        # particle-cli v2.16.0 doUpdate(): the bundled 2.2.0, over a newer 2.3.1 too (the harm the check prevents)
        ("2.16.0", ["update"], "2.2.0", "System firmware update successfully completed!"),
        ("3.49.2", ["update", "--target", "2.3.1"], "2.3.1", "to Device OS version 2.3.1"),
    ],
)
def test_the_stand_in_updates_as_its_version_does(
    version: str, args: list[str], installs: str, said: str
) -> None:
    with SimulatedPhoton(get_scenario("static-ip")) as sim, SimulatedTools(sim.world) as tools:
        env = {**tools.env(), VERSION_ENV: version}
        with sim.world.lock:
            sim.world.device.device_os = "2.3.1" if version == "2.16.0" else "1.5.2"
        said_version = subprocess.run(
            ["particle", "--version"], env=env, capture_output=True, text=True, check=False
        )
        assert said_version.stdout.strip() == version
        subprocess.run(["particle", "usb", "dfu"], env=env, capture_output=True, check=True)
        done = subprocess.run(["particle", *args], env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0 and said in done.stdout, done.stderr
        assert sim.state()["device_os"] == installs
        if version == "2.16.0":  # no --target before 3.14.0
            subprocess.run(["particle", "usb", "dfu"], env=env, capture_output=True, check=True)
            odd = subprocess.run(
                ["particle", "update", "--target", "2.3.1"], env=env, capture_output=True, check=False
            )
            assert odd.returncode != 0
