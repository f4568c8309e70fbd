"""The executor and its automations against a running simulated Photon: a real pty, real HTTP servers, and the
stand-in dfu-util and particle run as real subprocesses. The person is a scripted fake (the Person protocol);
mock.patch is used only to inject Ctrl-C."""

from __future__ import annotations

import dataclasses
import io
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from photon_doctor.actions.executor import (
    ERASE_FLAG,
    IRREVERSIBLE_FLAG,
    Executor,
    FixSession,
    Policy,
    needs_flag,
    summary_text,
)
from photon_doctor.actions.fix_device import flash_reset_settings
from photon_doctor.actions.fix_network import wep_key_for_device
from photon_doctor.actions.person import ScriptedSecrets, SilentPerson
from photon_doctor.actions.records import Consent, Result
from photon_doctor.actions.rig import Rig, Workbench
from photon_doctor.actions.tools import Toolbox
from photon_doctor.actions.verify import verify_connected
from photon_doctor.engine.diagnosis import diagnose
from photon_doctor.foundation.evidence import Observation, Provenance
from photon_doctor.knowledge.loader import load_knowledge
from photon_doctor.knowledge.model import KnowledgeBase, Risk
from photon_doctor.probes.serial_client import SerialConsole
from photon_doctor.simulator.cloud_api import Fault
from photon_doctor.simulator.control import SimulatedTools
from photon_doctor.simulator.factory import ACCOUNT, HOME_PASSWORD, account_token
from photon_doctor.simulator.photon import SimulatedPhoton
from photon_doctor.simulator.scenarios import WEP_KEY, get_scenario
from photon_doctor.simulator.standin import simulated_binary

from photon_doctor.answers import observations_from_mapping
from photon_doctor.autoprobe import run_probes
from photon_doctor.fixing import DEMO_TIMING, probe_facts, refresher, simulated_rig
from photon_doctor.wiring import simulated_targets


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge(None)


class ScriptedPerson:
    """A person who gives the answers in ``answers`` in order (one per choose/ask) and knows ``secrets``."""

    interactive = True

    def __init__(self, answers: list[str] | None = None, secrets: dict[str, str] | None = None) -> None:
        self.answers = list(answers or [])
        self.secrets = secrets if secrets is not None else {"wifi_password": HOME_PASSWORD}
        self.questions: list[str] = []
        self.told: list[str] = []

    def tell(self, text: str) -> None:
        self.told.append(text)

    def choose(self, question: str, options: Any) -> str | None:
        self.questions.append(question)
        answer = self.answers.pop(0)
        assert answer in options, (answer, question, options)
        return answer

    def ask(self, question: str) -> str | None:
        self.questions.append(question)
        return self.answers.pop(0)

    def secret(self, kind: str, prompt: str) -> str | None:
        self.questions.append(prompt)
        return self.secrets.get(kind)

    @property
    def transcript(self) -> str:
        return "\n".join(self.told)


@dataclass
class Bench:
    sim: SimulatedPhoton
    tools: SimulatedTools
    rig: Rig
    observations: dict[str, Observation]
    refresh: Any

    def run(self, kb: KnowledgeBase, person: Any, policy: Policy) -> FixSession:
        return Executor(kb, self.rig, person, policy, self.refresh).run(self.observations)


def cli_login(sim: SimulatedPhoton) -> tuple[str, str]:
    """The stand-in particle's login: the simulated cloud, the demo's account."""
    return sim.endpoints().api_url, sim.endpoints().token


@contextmanager
def bench(
    kb: KnowledgeBase,
    scenario: str,
    tmp_path: Path,
    toolbox: Toolbox | None = None,
    *,
    cli_logged_in: bool = True,
) -> Iterator[Bench]:
    """A simulated Photon, probed as `demo --no-input` probes it, and a rig pointing at it. The stand-in
    particle is logged in as the rig is, unless ``cli_logged_in`` is False."""
    with (
        SimulatedPhoton(get_scenario(scenario)) as sim,
        SimulatedTools(sim.world, cli_login(sim) if cli_logged_in else None) as tools,
    ):
        targets = simulated_targets(sim)
        result = run_probes(targets)
        observations = {k: v for k, v in result.observations.items() if k in kb.observations}
        given = observations_from_mapping(kb, sim.person_answers(), Provenance("scenario", "test"), "test")
        for k, v in given.items():
            observations.setdefault(k, v)
        rig = simulated_rig(
            sim, toolbox or Toolbox(path=tools.path, env=tools.env()), probe_facts(result), tmp_path
        )
        quiet = SilentPerson(io.StringIO())
        yield Bench(sim, tools, rig, observations, refresher(kb, targets, rig, quiet))


def silent() -> SilentPerson:
    return SilentPerson(io.StringIO())


def owner() -> ScriptedSecrets:
    """Nobody to ask, but the Wi-Fi password is known (as in `demo --no-input`)."""
    return ScriptedSecrets(silent(), {"wifi_password": HOME_PASSWORD})


YES = Policy(yes=True)


# --- consent -----------------------------------------------------------------------------------------------
def test_consent_given_at_the_prompt_runs_the_fix_and_verifies_it(kb: KnowledgeBase, tmp_path: Path) -> None:
    with bench(kb, "static-ip", tmp_path) as b:
        person = ScriptedPerson(["w", "y"])
        session = b.run(kb, person, Policy())
        state = b.sim.state()
    outcome = session.outcome
    assert outcome.verified_connected and outcome.fixed_by == "use_dynamic_ip"
    (action,) = outcome.actions
    assert (action.consent, action.result, action.verified_connected) == (Consent.GIVEN, Result.DONE, True)
    assert "dfu-util -d 2b04:d006 -a 1 -s 1634:leave -D" in " ".join(action.commands)
    assert state["ip_mode"] == "dynamic" and state["online"] and state["mode"] == "connected"
    # Before asking: why now, what it changes, the risk, whether it can be undone, the exact commands.
    text = person.transcript
    for part in (
        "Why now: about ",
        "What it changes:",
        "Risk: It changes settings, which can be changed back.",
        "dfu-util -d 2b04:d006 -a 1 -s 1634:leave -D dynamic_ip.bin",
    ):
        assert part in text, part
    assert "Step 1 of " in text and " in the plan: " in text  # the answer 'w' showed the why-fix explanation
    assert "use_dynamic_ip" not in text  # no ids


def test_a_refused_fix_is_skipped_and_quit_stops(kb: KnowledgeBase, tmp_path: Path) -> None:
    with bench(kb, "static-ip", tmp_path) as b:
        before = b.sim.state()
        person = ScriptedPerson(["n"] + ["q"] * 5)
        session = b.run(kb, person, Policy())
        after = b.sim.state()
    first = session.outcome.actions[0]
    assert (first.fix, first.consent, first.result) == ("use_dynamic_ip", Consent.REFUSED, Result.SKIPPED)
    assert session.outcome.actions[-1].message == "stopped by the person"
    assert not session.outcome.verified_connected and session.outcome.stop_reason == "stopped by the person"
    assert before == after


def test_without_consent_and_without_input_nothing_runs(kb: KnowledgeBase, tmp_path: Path) -> None:
    with bench(kb, "static-ip", tmp_path) as b:
        before = b.sim.state()
        session = b.run(kb, silent(), Policy())
        after = b.sim.state()
    assert before == after
    automated = [a for a in session.outcome.actions if a.automation != "manual"]
    assert automated and all(a.consent is Consent.REFUSED and a.result is Result.SKIPPED for a in automated)
    assert "needs consent (--yes)" in automated[0].message
    assert session.outcome.actions[-1].result is Result.MANUAL_UNCONFIRMED


def test_an_irreversible_fix_needs_allow_irreversible(kb: KnowledgeBase, tmp_path: Path) -> None:
    fixes = dict(kb.fixes)
    fixes["use_dynamic_ip"] = dataclasses.replace(fixes["use_dynamic_ip"], risk=Risk.IRREVERSIBLE)
    risky = dataclasses.replace(kb, fixes=fixes)
    with bench(risky, "static-ip", tmp_path) as b:
        session = b.run(risky, silent(), Policy(yes=True))
        assert b.sim.state()["ip_mode"] == "static"
    first = session.outcome.actions[0]
    assert first.result is Result.SKIPPED and "needs --allow-irreversible" in first.message
    with bench(risky, "static-ip", tmp_path) as b:
        session = b.run(risky, silent(), Policy(allow_irreversible=True))
        assert b.sim.state()["ip_mode"] == "dynamic"
    assert session.outcome.fixed_by == "use_dynamic_ip"


def test_yes_alone_never_runs_a_fix_that_erases_data(kb: KnowledgeBase, tmp_path: Path) -> None:
    with bench(kb, "key-mismatch", tmp_path) as b:
        before, events = b.sim.state(), list(b.sim.world.events)
        session = b.run(kb, silent(), Policy(yes=True))
        assert b.sim.state()["led"] == before["led"]
        assert not any("keys" in str(e) for e in b.sim.world.events[len(events) :])
    erasing = [a for a in session.outcome.actions if a.risk == "erases_data"]
    assert erasing and all(a.result is Result.SKIPPED and a.consent is Consent.REFUSED for a in erasing)
    assert "needs --allow-erase (--yes is not enough)" in erasing[0].message
    with bench(kb, "key-mismatch", tmp_path) as b:
        session = b.run(kb, silent(), Policy(yes=True, allow_erase=True))
        assert b.sim.state()["led"] == "breathing_cyan"
    assert session.outcome.fixed_by == "reset_keys" and session.outcome.actions[-1].consent is Consent.AUTO


def test_an_erase_fix_at_the_prompt_needs_the_typed_word(kb: KnowledgeBase, tmp_path: Path) -> None:
    with bench(kb, "key-mismatch", tmp_path) as b:
        before = b.sim.state()
        # 'y' is not enough: the prompt says so; then 'n' skips it, and 'q' ends the session.
        session = b.run(kb, ScriptedPerson(["y", "n"] + ["q"] * 8), Policy())
        assert b.sim.state()["led"] == before["led"]
    first = session.outcome.actions[0]
    assert (first.fix, first.consent, first.result) == ("reset_keys", Consent.REFUSED, Result.SKIPPED)
    with bench(kb, "key-mismatch", tmp_path) as b:
        person = ScriptedPerson(["erase"])
        session = b.run(kb, person, Policy())
        assert b.sim.state()["led"] == "breathing_cyan"
    assert "Type 'erase' to run it" in person.questions[0]
    assert session.outcome.actions[0].consent is Consent.GIVEN


def test_the_typed_word_prompt_takes_why_and_no_as_people_type_them(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    """QA finding: at "Type 'erase' to run it, or n to skip it, w why, q quit:" the answers 'why?' and 'nope' were
    'Not run unless you type 'erase''; 'sure' and 'Yes.' must still not run it."""
    with bench(kb, "key-mismatch", tmp_path) as b:
        before = b.sim.state()
        person = ScriptedPerson(["sure", "Yes.", "erase?", "why?", "nope"] + ["q"] * 8)
        session = b.run(kb, person, Policy())
        assert b.sim.state()["led"] == before["led"]
    first = session.outcome.actions[0]
    assert (first.fix, first.consent, first.result) == ("reset_keys", Consent.REFUSED, Result.SKIPPED)
    assert first.message == "not run: the person said no"
    assert person.transcript.count("Not run unless you type 'erase'.") == 3
    assert "Step 1 of " in person.transcript  # 'why?' showed the why-fix explanation


def test_a_fix_that_cannot_be_undone_at_the_prompt_needs_its_own_typed_word(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    # Mutation testing: the word for --allow-irreversible could be changed to 'y' and no test failed.
    assert needs_flag(kb.fixes["claim_device"]) == IRREVERSIBLE_FLAG
    with bench(kb, "unclaimed-device", tmp_path) as b:
        before = b.sim.state()
        # A plain 'y', and the word that erases, are not enough; 'n' skips it, and 'q' ends the session.
        person = ScriptedPerson(["y", "erase", "n"] + ["q"] * 8)
        session = b.run(kb, person, Policy())
        assert b.sim.state()["owner"] == before["owner"] != ACCOUNT
    first = session.outcome.actions[0]
    assert (first.fix, first.consent, first.result) == ("claim_device", Consent.REFUSED, Result.SKIPPED)
    assert person.transcript.count("Not run unless you type 'proceed'.") == 2
    with bench(kb, "unclaimed-device", tmp_path) as b:
        person = ScriptedPerson(["proceed"])
        session = b.run(kb, person, Policy())
        assert b.sim.state()["owner"] == ACCOUNT
    assert "This fix cannot be undone. Type 'proceed' to run it" in person.questions[0]
    assert (session.outcome.actions[0].consent, session.outcome.fixed_by) == (Consent.GIVEN, "claim_device")


def test_dry_run_changes_nothing_and_shows_the_commands(kb: KnowledgeBase, tmp_path: Path) -> None:
    with bench(kb, "key-mismatch", tmp_path) as b:
        before, events = b.sim.state(), list(b.sim.world.events)
        session = b.run(
            kb, silent(), Policy(yes=True, allow_erase=True, allow_irreversible=True, dry_run=True)
        )
        after = b.sim.state()
        assert b.sim.world.events == events
    assert before == after
    actions = session.outcome.actions
    assert actions and all(a.consent is Consent.DRY_RUN for a in actions)
    # The device runs 2.3.1: particle-cli 2.16.0's update (2.2.0) would be a downgrade, so it would not run.
    refused = [a for a in actions if a.automation == "update_device_os"]
    assert refused and all(a.result is Result.SKIPPED and "downgrade" in a.message for a in refused)
    assert all(a.result is Result.PLANNED for a in actions if a not in refused)
    assert actions[0].fix == "reset_keys"
    assert actions[0].commands[-2:] == ("particle keys server", f"particle keys doctor {b.rig.device_id}")


# --- failures ----------------------------------------------------------------------------------------------
def test_a_missing_tool_turns_the_fix_into_a_guided_step(kb: KnowledgeBase, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    with bench(kb, "static-ip", tmp_path, toolbox=Toolbox(path=str(empty))) as b:
        before = b.sim.state()
        session = b.run(kb, silent(), YES)
        after = b.sim.state()
    (first,) = session.outcome.actions
    assert (first.fix, first.result) == ("use_dynamic_ip", Result.MANUAL_UNCONFIRMED)
    assert first.message.startswith("dfu-util is not installed (not found on the PATH): install dfu-util")
    assert first.commands == kb.fixes["use_dynamic_ip"].steps
    assert before == after
    # Not evidence: a fix that was not carried out says nothing about the cause.
    assert "fixes_tried_failed" not in session.observations
    # With someone to ask, the person is guided through it and says whether it helped.
    with bench(kb, "static-ip", tmp_path, toolbox=Toolbox(path=str(empty))) as b:
        person = ScriptedPerson(["n", "q"])
        session = b.run(kb, person, YES)
    first = session.outcome.actions[0]
    assert (first.result, first.consent) == (Result.SKIPPED, Consent.REFUSED)
    assert (
        "dfu-util is not installed" in person.transcript and "Have you done these steps?" in person.questions
    )


def test_a_dry_run_shows_a_fix_whose_tool_is_missing_as_done_by_hand(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    """QA finding: without dfu-util, `diagnose --auto --dry-run` listed 'Switch the device back to DHCP (changes
    settings, automatic)' with the manual steps as commands ('$ Reset the device and watch it reach breathing
    cyan.'); the real run guides the person through them."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    with bench(kb, "static-ip", tmp_path, toolbox=Toolbox(path=str(empty))) as b:
        session = b.run(kb, silent(), Policy(yes=True, dry_run=True))
    text = summary_text(session.outcome)
    assert "1. Switch the device back to DHCP (changes settings, by hand)" in text, text
    assert "$ Reset the device" not in text and "by hand, 3 steps (photon-doctor why 1 shows them)" in text


def test_a_too_old_tool_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "dfu-util"
    fake.write_text("#!/bin/sh\necho 'dfu-util 0.5'\n", encoding="utf-8")
    fake.chmod(0o755)
    tools = Toolbox(path=str(tmp_path))
    assert tools.available("dfu-util") is None
    with pytest.raises(Exception, match=r"dfu-util 0\.5 .* is too old: 0\.8 or newer"):
        tools.find("dfu-util")


def test_the_device_gone_ends_the_step_with_a_clear_message(kb: KnowledgeBase, tmp_path: Path) -> None:
    with bench(kb, "static-ip", tmp_path) as b:
        b.sim.serial.unplug()
        deadline = time.monotonic() + 2
        while b.sim.serial.port is not None and time.monotonic() < deadline:
            time.sleep(0.01)
        session = b.run(kb, silent(), YES)
        state = b.sim.state()
    first = session.outcome.actions[0]
    assert first.result is Result.FAILED and "DFU mode" in first.message, first.message
    # The port is gone ("no such device"); if another pty took its name meanwhile, the device never shows up.
    assert any(why in first.message for why in ("no such device", "no serial port", "did not show up")), (
        first.message
    )
    assert state["ip_mode"] == "static" and state["mode"] != "dfu"


def test_a_failing_command_leaves_the_device_out_of_dfu(kb: KnowledgeBase, tmp_path: Path) -> None:
    with bench(kb, "static-ip", tmp_path) as b:
        b.tools.control.fail_next("dfu/write")
        session = b.run(kb, silent(), YES)
        state = b.sim.state()
        events = list(b.sim.world.events)
    first = session.outcome.actions[0]
    assert first.result is Result.FAILED
    assert "failed (exit 74)" in first.message and "taken out of DFU mode again" in first.message
    assert any("-s 0:1:leave -U" in c for c in first.commands)  # the harmless read that leaves DFU
    assert state["ip_mode"] == "static" and state["mode"] != "dfu"
    assert events.index("DFU mode") < max(i for i, e in enumerate(events) if e.startswith("boot"))


def test_ctrl_c_mid_action_puts_the_device_back_and_stops(kb: KnowledgeBase, tmp_path: Path) -> None:
    real_run = Toolbox.run

    def interrupted(self: Toolbox, name: str, args: list[str], **kw: Any) -> Any:
        if "-D" in args:
            raise KeyboardInterrupt
        return real_run(self, name, args, **kw)

    with bench(kb, "static-ip", tmp_path) as b:
        with mock.patch.object(Toolbox, "run", interrupted):
            session = b.run(kb, silent(), YES)
        state = b.sim.state()
    outcome = session.outcome
    assert outcome.interrupted and not outcome.verified_connected
    (action,) = outcome.actions
    assert action.result is Result.FAILED and action.message.startswith("interrupted (Ctrl-C)")
    assert "taken out of DFU mode again" in action.message
    assert state["mode"] != "dfu" and state["ip_mode"] == "static"


def test_ctrl_c_after_the_tool_finished_says_what_it_did(kb: KnowledgeBase, tmp_path: Path) -> None:
    """QA finding: Ctrl-C after `particle update` had reported success (while the device restarted, before its
    release was read back) was recorded as "failed: interrupted (Ctrl-C)" and nothing more; the Device OS had
    been updated, a step that cannot be undone, and the record let the person think it had not."""

    def ctrl_c(self: Workbench, seconds: float) -> None:
        raise KeyboardInterrupt  # while waiting for the device to restart after the update

    with bench(kb, "firmware-mismatch", tmp_path) as b:
        with mock.patch.object(Workbench, "pause", ctrl_c):
            session = b.run(kb, silent(), Policy(allow_irreversible=True))
        state = b.sim.state()
    (action,) = session.outcome.actions
    assert action.automation == "update_device_os" and action.result is Result.FAILED
    assert action.message.startswith("interrupted (Ctrl-C)"), action.message
    assert "particle update had finished and reported success" in action.message, action.message
    assert state["device_os"] == "2.2.0"


def test_ctrl_c_in_the_wifi_dialog_resets_the_device_without_saving(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    def broken_off(self: SerialConsole, answers: Any) -> Any:
        raise KeyboardInterrupt  # after 'w' was sent: the device waits for the SSID

    with bench(kb, "wrong-password", tmp_path) as b:
        with mock.patch.object(SerialConsole, "_dialog", broken_off):
            session = b.run(kb, owner(), YES)
        with b.sim.world.lock:
            creds = [(c.ssid, c.password) for c in b.sim.world.device.credentials]
        state = b.sim.state()
    (action,) = session.outcome.actions
    assert action.fix == "set_wifi_credentials" and action.result is Result.FAILED
    assert "reset to end the console dialog" in action.message
    assert state["mode"] not in ("listening", "dfu")
    assert creds == [("HomeNet", "old password 2019")]


# --- verification and re-planning ----------------------------------------------------------------------------
def test_a_fix_that_did_not_help_is_evidence_and_the_core_replans(kb: KnowledgeBase, tmp_path: Path) -> None:
    # key-mismatch with --yes alone: new keys (it erases the old ones) is not consented; the next automated step
    # runs, does not help, and the core re-plans without it.
    with bench(kb, "key-mismatch", tmp_path) as b:
        session = b.run(kb, owner(), YES)
    actions = session.outcome.actions
    assert actions[0].fix == "reset_keys" and actions[0].result is Result.SKIPPED
    i, first = next((i, a) for i, a in enumerate(actions) if a.result is Result.DONE)
    assert first.verified_connected is False and len(actions) > i + 1
    assert actions[i + 1].fix != first.fix
    tried = session.observations["fixes_tried_failed"]
    assert first.fix in tried.value and tried.provenance.source == "executor"
    assert session.diagnosis.step(first.fix) is None  # out of the new plan


def test_ctrl_c_while_probing_again_keeps_the_fix_that_did_not_help_as_evidence(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    """QA finding: Ctrl-C during 'Probing again ...' after a fix that did not help saved the session without it in
    the fixes tried: the resumed session said it 'did not help' and offered it again."""

    def ctrl_c() -> Any:
        raise KeyboardInterrupt  # pressed while the probes run again

    with bench(kb, "key-mismatch", tmp_path) as b:
        b.refresh = ctrl_c
        session = b.run(kb, owner(), YES)
    done = [a for a in session.outcome.actions if a.result is Result.DONE]
    assert session.outcome.interrupted and done and done[-1].verified_connected is False
    assert done[-1].fix in session.observations["fixes_tried_failed"].value


def test_a_ping_proves_nothing_when_the_device_was_online_before(kb: KnowledgeBase, tmp_path: Path) -> None:
    # firmware-mismatch: safe mode answers the cloud too; a fix that leaves the modules broken is not verified.
    # Flashing Tinker (tinker-0.4.5-photon.bin, built for 0.4.5) ends safe mode on any later Device OS, so the
    # device here runs an older one, on which Tinker fails its dependency check too.
    with bench(kb, "firmware-mismatch", tmp_path) as b:
        assert b.observations["cloud_online"].value is True
        with b.sim.world.lock:
            b.sim.world.device.device_os = "0.4.4"
        plan = diagnose(kb, b.observations).plan
        first_other = next(
            i
            for i, s in enumerate(plan)
            if s.fix != "update_device_os_usb"
            and kb.fixes[s.fix].automation
            in ("use_dynamic_ip", "select_internal_antenna", "reset_keys", "flash_tinker")
        )
        consent = "erase" if needs_flag(kb.fixes[plan[first_other].fix]) == ERASE_FLAG else "y"
        answers = ["n"] * first_other + [consent, "q"]
        ordered = [s.fix for s in plan]
        person = ScriptedPerson(answers + ["q"] * 10)
        session = b.run(kb, person, Policy())
    done = [a for a in session.outcome.actions if a.result is Result.DONE]
    assert done and done[0].fix == ordered[first_other]
    assert done[0].verified_connected is False
    assert "modules' dependencies still fail" in done[0].message


class UnpluggedAfterUpdate(Toolbox):
    """The tools as they are, but the device's serial port vanishes once `particle update` has run (a USB hub
    that drops it, a cable knocked out while the device restarts)."""

    def __init__(self, sim: SimulatedPhoton, path: str, env: dict[str, str]) -> None:
        super().__init__(path=path, env=env)
        self.sim = sim

    def run(self, name: str, args: list[str], **kw: Any) -> Any:
        ran = super().run(name, args, **kw)
        if args[:1] == ["update"]:
            self.sim.serial.unplug()
        return ran


@pytest.mark.parametrize("answers", [None, ["y"]], ids=["nobody-to-ask", "the-owner-sees-cyan"])
def test_signs_of_trouble_the_probes_could_not_look_at_again_are_not_taken_as_left(
    kb: KnowledgeBase, tmp_path: Path, answers: list[str] | None
) -> None:
    """QA finding: firmware-mismatch (safe mode answers the cloud), the update installed, then the serial port
    gone: the probes run again could not read the modules, and the check took the old 'dependencies fail' for a
    sign of trouble left: 'it answers the cloud, but its firmware modules' dependencies still fail' -- the update
    that fixed it was counted as not helping."""
    with bench(kb, "firmware-mismatch", tmp_path) as b:
        b.rig.tools = UnpluggedAfterUpdate(b.sim, b.tools.path, b.tools.env())
        person = ScriptedPerson(answers + ["q"] * 5) if answers else silent()
        session = b.run(kb, person, Policy(allow_irreversible=True))
        assert b.sim.state()["mode"] == "connected"
    first = session.outcome.actions[0]
    assert first.automation == "update_device_os" and first.result is Result.DONE
    assert "dependencies still fail" not in first.message, first.message
    assert first.verified_connected is (None if answers is None else True), first.message
    tried = session.observations.get("fixes_tried_failed")
    assert tried is None or first.fix not in tried.value


def test_no_login_means_the_person_is_asked_about_the_led(kb: KnowledgeBase, tmp_path: Path) -> None:
    with bench(kb, "static-ip", tmp_path) as b:
        b.rig.token = None
        person = ScriptedPerson(["y", "y"])  # run it; yes, it breathes cyan
        session = b.run(kb, person, Policy())
    assert session.outcome.verified_connected
    assert any("LED breathe cyan" in q for q in person.questions)
    assert "the person sees the LED breathing cyan" in session.outcome.actions[0].message


@pytest.mark.parametrize("status", [429, 500])
def test_a_cloud_that_answers_every_ping_with_an_error_proves_nothing(
    kb: KnowledgeBase, tmp_path: Path, status: int
) -> None:
    # wrong-password: the right password is sent and the device connects, but the cloud answers every ping with
    # 429 (or 500) until the check gives up. That is not the device failing to answer: the fix must not count
    # as "did not help" (evidence against the right cause) with the plan going on; the person's eyes decide.
    with bench(kb, "wrong-password", tmp_path) as b:
        b.sim.cloud.inject(Fault(status=status, retry_after=30, path_prefix="/v1/devices"))
        person = ScriptedPerson(["y", "y"] + ["q"] * 10)  # run it; yes, the LED breathes cyan
        session = b.run(kb, person, Policy())
        assert b.sim.state()["online"]
    first = session.outcome.actions[0]
    assert first.automation == "set_wifi_credentials" and first.result is Result.DONE
    assert any("LED breathe cyan" in q for q in person.questions)
    assert "The cloud answered every ping with an error for " in person.transcript  # said before the question
    assert first.verified_connected is True and session.outcome.fixed_by == first.fix
    assert "the cloud answered every ping with an error" in first.message and f"({status}" in first.message
    assert "the person sees the LED breathing cyan" in first.message


def test_a_cloud_failing_every_ping_with_nobody_to_ask_is_not_known(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    with bench(kb, "wrong-password", tmp_path) as b:
        b.sim.cloud.inject(Fault(status=429, retry_after=30, path_prefix="/v1/devices"))
        session = b.run(kb, owner(), YES)
    first = session.outcome.actions[0]
    assert first.automation == "set_wifi_credentials" and first.result is Result.DONE
    assert first.verified_connected is None and len(session.outcome.actions) == 1  # stopped: maybe fixed
    tried = session.observations.get("fixes_tried_failed")
    assert tried is None or first.fix not in tried.value


def test_a_manual_step_is_guided_and_verified(kb: KnowledgeBase, tmp_path: Path) -> None:
    with bench(kb, "captive-portal", tmp_path) as b:
        b.rig.carry_out = None  # as with a real Photon: photon-doctor cannot see what the person did
        person = ScriptedPerson(["y"] + ["q"] * 10)  # "I did it" (but nothing changed), then quit
        session = b.run(kb, person, YES)
    # The plan may start with a cheap automated step (use_dynamic_ip): the first manual one is the point here.
    first = next(a for a in session.outcome.actions if a.automation == "manual")
    assert first.result is Result.MANUAL_CONFIRMED
    assert first.verified_connected is False and first.commands[0] == kb.fixes[first.fix].steps[0]
    assert "fixes_tried_failed" in session.observations


# --- the automations ---------------------------------------------------------------------------------------
def test_wifi_over_the_softap_when_there_is_no_serial_port(kb: KnowledgeBase, tmp_path: Path) -> None:
    with bench(kb, "wrong-password", tmp_path) as b:
        b.rig.serial_port, b.rig.locate_port = None, None
        b.sim.world.enter_listening()  # the person held SETUP and joined the device's Photon-XXXXXX network
        session = b.run(kb, owner(), YES)
        state = b.sim.state()
    action = session.outcome.actions[0]
    assert action.fix == "set_wifi_credentials" and action.verified_connected
    commands = " ".join(action.commands)
    assert (
        "POST /configure-ap" in commands and "POST /connect-ap" in commands and "(RSA-encrypted)" in commands
    )
    assert HOME_PASSWORD not in commands + action.message
    assert state["mode"] == "connected"


@pytest.mark.parametrize("route", ["serial", "softap"])
def test_a_wep_key_typed_as_text_is_sent_in_the_hex_form_the_device_takes(
    kb: KnowledgeBase, tmp_path: Path, route: str
) -> None:
    # wep-key-as-text: the router's WEP key was typed as text and stored garbled (Device OS hex-decodes it).
    with bench(kb, "wep-key-as-text", tmp_path) as b:
        if route == "softap":
            b.rig.serial_port, b.rig.locate_port = None, None
            b.sim.world.enter_listening()
        session = b.run(kb, ScriptedSecrets(silent(), {"wifi_password": WEP_KEY}), YES)
        state = b.sim.state()
    action = session.outcome.actions[0]
    assert action.fix == "set_wifi_credentials" and action.verified_connected, action.message
    assert state["mode"] == "connected"
    shown = " ".join(action.commands) + action.message + json.dumps(session.outcome.to_json(), default=str)
    assert WEP_KEY not in shown and wep_key_for_device(WEP_KEY) not in shown  # neither form of the key


@pytest.mark.parametrize("password", ["x" * 120, "caf\udcc3 horse battery"])
def test_a_password_the_softap_cannot_take_fails_the_step_not_the_session(
    kb: KnowledgeBase, tmp_path: Path, password: str
) -> None:
    # Too long for the device (and for RSA-1024), or text that is not UTF-8 (an invalid byte typed at the prompt).
    with bench(kb, "wrong-password", tmp_path) as b:
        b.rig.serial_port, b.rig.locate_port = None, None
        b.sim.world.enter_listening()
        before = b.sim.state()
        person = ScriptedSecrets(silent(), {"wifi_password": password})
        session = b.run(kb, person, YES)
        after = b.sim.state()
    action = session.outcome.actions[0]
    assert action.fix == "set_wifi_credentials" and action.result is Result.FAILED
    assert "the device cannot take these credentials" in action.message
    assert "\udcc3" not in action.message and "horse" not in action.message
    assert after["credentials"] == before["credentials"]


def test_a_password_that_is_not_text_is_refused_over_serial_without_quoting_it(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    with bench(kb, "wrong-password", tmp_path) as b:
        before = b.sim.state()
        session = b.run(kb, ScriptedSecrets(silent(), {"wifi_password": "caf\udcc3 horse battery"}), YES)
        after = b.sim.state()
    action = session.outcome.actions[0]
    assert action.fix == "set_wifi_credentials" and action.result is Result.FAILED
    assert "the password is not valid text" in action.message and "\udcc3" not in action.message
    assert after["credentials"] == before["credentials"] and after["mode"] not in ("listening", "dfu")


def test_logging_in_again_when_the_token_is_rejected(kb: KnowledgeBase, tmp_path: Path) -> None:
    with bench(kb, "invalid-token", tmp_path) as b:
        fresh = account_token(b.sim.world)
        b.rig.relogin = lambda: fresh  # `particle login` was run in another terminal
        person = ScriptedPerson(["y"], secrets={"access_token": ""})  # pressed Enter
        session = b.run(kb, person, Policy())
        assert b.rig.token == fresh
    action = session.outcome.actions[0]
    assert action.fix == "relogin_cli" and action.verified_connected
    assert any("read the Particle CLI's login again" in c for c in action.commands)
    assert fresh not in " ".join(action.commands) + action.message + person.transcript


def test_a_claim_code_goes_over_serial_when_the_cloud_cannot_claim_by_id(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    with bench(kb, "unclaimed-device", tmp_path) as b:
        b.sim.cloud.inject(Fault(status=500, path_prefix="/v1/devices", times=1))
        session = b.run(kb, silent(), Policy(yes=True, allow_irreversible=True))
        state = b.sim.state()
    action = session.outcome.actions[0]
    assert action.fix == "claim_device" and action.verified_connected
    assert any(c.endswith("C -> claim code [redacted]") for c in action.commands)
    assert state["owner"] == ACCOUNT and not state["has_claim_code"]


def test_the_settings_reset_firmware_and_wifi_again(kb: KnowledgeBase, tmp_path: Path) -> None:
    with bench(kb, "external-antenna", tmp_path) as b:
        bench_ = Workbench(b.rig, owner())
        message = flash_reset_settings(bench_)
        verdict = verify_connected(b.rig, silent())
        state = b.sim.state()
    assert "settings reset" in message and verdict.connected
    assert (state["antenna"], state["ip_mode"], state["app"]) == ("internal", "dynamic", "tinker")
    assert state["credentials"] == [("HomeNet", 3, 1)]
    shown = " ".join(bench_.commands)
    assert "particle compile photon" in shown and "particle flash --usb tinker" in shown


# --- the stand-ins -----------------------------------------------------------------------------------------
def _standin(tools: SimulatedTools, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), capture_output=True, text=True, env=tools.env(), cwd=cwd, timeout=30, check=False
    )


def test_standins_run_isolated_from_the_working_directory(tmp_path: Path) -> None:
    """Started from a clone, its photon_doctor/ folder (here one without the simulator) must not shadow the
    installed package, nor may PYTHONPATH or a stray module in the folder change what the stand-in runs."""
    shadow = tmp_path / "photon_doctor"
    shadow.mkdir()
    (shadow / "__init__.py").write_text("raise SystemExit('the clone shadowed the installed package')\n")
    (tmp_path / "urllib.py").write_text("raise SystemExit('a stray module shadowed the standard library')\n")
    with SimulatedPhoton(get_scenario("static-ip")) as sim, SimulatedTools(sim.world) as tools:
        env = {**tools.env(), "PYTHONPATH": str(tmp_path)}
        for program, version in (("particle", "2.16.0"), ("dfu-util", "dfu-util 0.11")):
            ran = subprocess.run(
                [program, "--version" if program == "particle" else "-V"],
                capture_output=True,
                text=True,
                env=env,
                cwd=tmp_path,
                timeout=30,
                check=False,
            )
            assert ran.returncode == 0 and ran.stdout.startswith(version), ran.stderr


def test_the_stand_ins_take_the_real_command_lines(tmp_path: Path) -> None:
    with SimulatedPhoton(get_scenario("external-antenna")) as sim, SimulatedTools(sim.world) as tools:
        assert Toolbox(path=tools.path, env=tools.env()).find("dfu-util").version == "0.11"
        assert _standin(tools, "particle", "--version").stdout.strip() == "2.16.0"
        listing = _standin(tools, "dfu-util", "-l")
        assert listing.returncode == 0 and "Found DFU" not in listing.stdout
        file = tmp_path / "ant.bin"
        file.write_bytes(b"\x00")
        write = ["dfu-util", "-d", "2b04:d006", "-a", "1", "-s", "2976:leave", "-D", str(file)]
        refused = _standin(tools, *write)
        assert refused.returncode == 74 and "No DFU capable USB device available" in refused.stderr
        assert _standin(tools, "particle", "flash", "--usb", "tinker").returncode == 1
        sim.world.enter_dfu()
        listing = _standin(tools, "dfu-util", "-l")
        assert "Found DFU: [2b04:d006]" in listing.stdout and sim.world.device.device_id in listing.stdout
        done = _standin(tools, *write)
        assert done.returncode == 0 and "File downloaded successfully" in done.stdout
        assert sim.state()["antenna"] == "internal" and sim.state()["mode"] == "connected"


def test_the_claimed_byte_in_the_dct_is_the_character_1(tmp_path: Path) -> None:
    """HAL_IsDeviceClaimed() (ota_flash_hal_stm32f2xx.cpp) compares DCT byte 1825 with '1', not with 1."""
    with SimulatedPhoton(get_scenario("static-ip")) as sim, SimulatedTools(sim.world) as tools:
        sim.world.device.claimed_flag = True
        sim.world.enter_dfu()
        out = tmp_path / "claimed.bin"
        read = _standin(tools, "dfu-util", "-d", "2b04:d006", "-a", "1", "-s", "1825:1", "-U", str(out))
        assert read.returncode == 0 and out.read_bytes() == b"1"
        one = tmp_path / "one.bin"
        one.write_bytes(b"\x01")
        write = _standin(tools, "dfu-util", "-d", "2b04:d006", "-a", "1", "-s", "1825", "-D", str(one))
        assert write.returncode == 0 and sim.world.device.claimed_flag is False


def test_the_stand_ins_flash_update_and_make_keys(tmp_path: Path) -> None:
    with (
        SimulatedPhoton(get_scenario("thread-tinker-photon")) as sim,
        SimulatedTools(sim.world, cli_login(sim)) as tools,
    ):
        assert _standin(tools, "particle", "usb", "dfu").returncode == 0 and sim.state()["mode"] == "dfu"
        tinker = tmp_path / "tinker.bin"
        tinker.write_bytes(simulated_binary("tinker"))
        done = _standin(
            tools,
            "dfu-util",
            "-d",
            "2b04:d006",
            "-a",
            "0",
            "-i",
            "0",
            "-s",
            "0x080A0000:leave",
            "-D",
            str(tinker),
        )
        assert done.returncode == 0 and "File downloaded successfully" in done.stdout
        assert sim.state()["app"] == "tinker" and sim.state()["mode"] == "connected"
        with sim.world.lock:
            sim.world.device.modules_ok, sim.world.device.device_os = False, "1.4.4"
        assert "unable to detect any devices in DFU mode" in _standin(tools, "particle", "update").stderr
        _standin(tools, "particle", "usb", "dfu")
        assert "update successfully completed" in _standin(tools, "particle", "update").stdout
        assert (sim.state()["device_os"], sim.state()["modules_ok"]) == ("2.2.0", True)
        with sim.world.lock:
            old_key = sim.world.cloud.devices[sim.world.device.device_id].public_key_der
        _standin(tools, "particle", "usb", "dfu")
        assert _standin(tools, "particle", "keys", "server").returncode == 0
        keys = _standin(tools, "particle", "keys", "doctor", sim.world.device.device_id, cwd=tmp_path)
        assert keys.returncode == 0 and "New keys in place, your device should restart" in keys.stdout
        with sim.world.lock:
            assert sim.world.cloud.devices[sim.world.device.device_id].public_key_der != old_key
        assert sim.state()["mode"] == "connected"
        _standin(tools, "particle", "usb", "dfu")
        assert (
            _standin(tools, "particle", "usb", "reset").returncode == 0 and sim.state()["mode"] == "connected"
        )


def test_the_stand_ins_answer_bad_command_lines_with_a_usage_error(tmp_path: Path) -> None:
    with SimulatedPhoton(get_scenario("static-ip")) as sim, SimulatedTools(sim.world) as tools:
        sim.world.enter_dfu()
        file = tmp_path / "x.bin"
        file.write_bytes(b"\x00")
        for bad in (["-a", "one", "-s", "1634:leave"], ["-a", "1", "-s", "ip_config:leave"]):
            done = _standin(tools, "dfu-util", "-d", "2b04:d006", *bad, "-D", str(file))
            assert done.returncode == 64 and "Traceback" not in done.stderr, done.stderr
        done = _standin(tools, "particle", "compile", "photon", str(file), "--saveTo")
        assert done.returncode == 1 and "Usage: particle compile" in done.stderr
        assert sim.state()["ip_mode"] == "static"


def test_the_control_endpoint_answers_a_body_that_is_not_an_object_with_400() -> None:
    import urllib.error
    import urllib.request

    with SimulatedPhoton(get_scenario("static-ip")) as sim, SimulatedTools(sim.world) as tools:
        sim.world.enter_dfu()
        request = urllib.request.Request(f"{tools.control.url}/dfu/write", data=b"[1, 2]", method="POST")
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(request, timeout=10)
        with err.value:
            assert err.value.code == 400 and b"JSON object" in err.value.read()


def test_the_stand_ins_refuse_without_a_simulator() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "photon_doctor.simulator.standin", "dfu-util", "-l"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        timeout=30,
        check=False,
    )
    assert done.returncode != 0 and "simulated stand-in" in done.stderr


def test_timing_of_the_demo_is_short() -> None:
    assert DEMO_TIMING.verify_wait <= 1 and DEMO_TIMING.tool_timeout >= 30


def test_an_unexpected_error_in_a_fix_ends_that_step_and_leaves_the_device_as_it_was(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("the work folder cannot be created here")
    with bench(kb, "static-ip", blocker / "work") as b:
        session = b.run(kb, silent(), YES)
        state = b.sim.state()
    first = session.outcome.actions[0]
    assert first.fix == "use_dynamic_ip" and first.result is Result.FAILED
    assert "unexpected error" in first.message
    assert state["mode"] != "dfu" and state["ip_mode"] == "static"
    assert session.outcome.verified_connected is False


class DoesManualSteps(ScriptedPerson):
    """Says yes to every question and every manual step; types no word for a fix that erases data."""

    def choose(self, question: str, options: Any) -> str | None:
        self.questions.append(question)
        return "y"

    def ask(self, question: str) -> str | None:
        self.questions.append(question)
        return "n"


def test_the_demo_carries_out_a_manual_step_the_person_says_is_done(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    with bench(kb, "network-5ghz", tmp_path) as b:
        person = DoesManualSteps()
        session = b.run(kb, person, Policy())
        assert b.sim.state()["online"] is True
    first = session.outcome.actions[0]
    assert (first.fix, first.result, first.verified_connected) == (
        "use_2_4ghz_network",
        Result.MANUAL_CONFIRMED,
        True,
    )
    assert "[demo] carried out on the simulated Photon: 'HomeNet' now also on 2.4 GHz" in person.transcript


def test_the_demo_says_plainly_when_it_cannot_carry_out_a_manual_step(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    with bench(kb, "thread-dented-photon", tmp_path) as b:
        person = DoesManualSteps()
        session = b.run(kb, person, Policy())
    ticket = next(a for a in session.outcome.actions if a.fix == "contact_support_replace")
    assert ticket.result is Result.SKIPPED and ticket.verified_connected is None
    assert "the demo cannot carry out this step on the simulated Photon" in ticket.message
    assert "did not help" not in person.transcript.split("Open a support ticket")[-1]
