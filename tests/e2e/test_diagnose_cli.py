"""`photon-doctor diagnose` end to end, in-process through the program's entry point and typer's CliRunner (the
real entry point and the terminal are tested in subprocesses: test_bad_input_cli.py, test_terminal.py): answers,
why, back, bad input, JSON, exit codes, Ctrl-C / end of input, and `why` on the saved session."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from photon_doctor.foundation.errors import ExitCode

from tests.conftest import KB_MINI, REPO, ctrl_c_as_at_a_terminal
from tests.conftest import run_in_process as run_cli

MINI = ["--knowledge", str(KB_MINI)]


def test_answers_up_front_json() -> None:
    r = run_cli(
        *MINI,
        "diagnose",
        "--no-input",
        "--json",
        "-a",
        "visible_damage=yes",
        "-a",
        "led_pattern=blinking_green",
    )
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["schema_version"] == 1
    assert data["ranked_causes"][0]["id"] == "physical_damage"
    assert data["plan"] and {"fix", "p_success", "cost_minutes", "expected_cost"} <= set(data["plan"][0])
    assert {t["id"] for t in data["trace"]} == {"dent", "dent_and_green"}
    assert "\x1b[" not in r.stdout
    assert Path(data["session"]).exists()


def test_answers_file(tmp_path: Path) -> None:
    f = tmp_path / "answers.json"
    f.write_text(json.dumps({"led_pattern": "breathing_white", "fixes_tried_failed": []}))
    r = run_cli(*MINI, "diagnose", "--no-input", "--json", "--answers", str(f))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["ranked_causes"][0]["id"] == "user_firmware_blocks_connection"


def test_unknown_id_or_value_is_a_usage_error_naming_the_valid_ones(tmp_path: Path) -> None:
    r = run_cli(*MINI, "diagnose", "--no-input", "-a", "led=blinking_green")
    assert r.returncode == ExitCode.USAGE
    assert "unknown observation 'led'" in r.stderr and "led_pattern" in r.stderr
    r = run_cli(*MINI, "diagnose", "--no-input", "-a", "led_pattern=purple")
    assert r.returncode == ExitCode.USAGE
    assert "breathing_cyan, blinking_green, breathing_white" in r.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    r = run_cli(*MINI, "diagnose", "--no-input", "--answers", str(bad))
    assert r.returncode == ExitCode.USAGE and "not valid JSON" in r.stderr


def test_scripted_interactive_session_with_why_back_and_a_bad_answer() -> None:
    # Q1 is the LED (issue 8: the question worth most per minute comes first): a bad answer is re-asked, 'why'
    # explains, '?' skips it; Q2 is a yes/no question (which one depends on the answers' values): 'yes', then
    # 'back' undoes it and it is asked again ('no'); then the session decides by itself when to stop.
    script = "purple\n" + "why\n" + "?\n" + "yes\n" + "back\n" + "no\n" + "?\n" * 10
    # The dent is answered up front: with it unknown, its question may come second and a 'yes' ends the session.
    r = run_cli(*MINI, "diagnose", "--json", "-a", "visible_damage=no", input=script)
    assert r.returncode == 0, r.stderr
    # A bad answer gets a short re-ask (the choices are not listed again), and no ids are shown.
    assert "'purple' is not an answer here. Please type a number from 1 to 3" in r.stderr
    assert "Q1 again> " in r.stderr
    assert "Why I ask: What does the LED do?" in r.stderr and "led_pattern" not in r.stderr
    found = re.search(r"Q2\. (.+)\n", r.stderr)
    assert found, r.stderr
    q2 = found.group(1)
    assert f"Undid your answer to: {q2}" in r.stderr
    assert r.stderr.count(f"Q2. {q2}") == 2
    data = json.loads(r.stdout)
    values = {o["id"]: o["value"] for o in data["observations"]}
    assert "led_pattern" not in values  # '?' is not evidence
    assert (
        True not in values.values() and "fixes_tried_failed" not in values
    )  # the 'yes' was undone; 'no' stands
    assert data["questions_asked"] >= 2


def test_quit_asks_whether_to_stop_without_a_diagnosis() -> None:
    r = run_cli(*MINI, "diagnose", input="quit\ny\n")
    assert r.returncode == ExitCode.INTERRUPTED, r.stderr
    assert "Stop without a diagnosis?" in r.stderr and "stopped without a diagnosis" in r.stderr
    assert "--resume" in r.stderr and r.stdout == ""
    # 'd' shows the diagnosis so far; with --fix nothing is then carried out.
    r = run_cli(*MINI, "diagnose", "--fix", input="quit\nd\n")
    assert r.returncode == ExitCode.OK, r.stderr
    assert "What to do, in this order" in r.stdout and "No fix was carried out" in r.stderr
    assert "Fixing" not in r.stderr
    # 'n' goes on with the same question.
    r = run_cli(*MINI, "diagnose", "--json", input="quit\nn\n3\n" + "?\n" * 10)
    assert r.returncode == ExitCode.OK, r.stderr
    values = {o["id"]: o["value"] for o in json.loads(r.stdout)["observations"]}
    assert values["led_pattern"] == "breathing_white"


def test_end_of_input_without_a_terminal_says_to_add_no_input() -> None:
    r = run_cli(*MINI, "diagnose", input="")
    assert r.returncode == ExitCode.NO_TERMINAL
    last = r.stderr.strip().splitlines()[-1]  # after the question nobody could answer: one line, the hint
    assert last.startswith("photon-doctor: no terminal to answer questions on: add --no-input")
    assert "saved in" in last and "Traceback" not in r.stderr


def test_end_of_input_at_a_consent_prompt_without_a_terminal_says_to_add_yes(_private_home: Path) -> None:
    # "don't know" to every question, and to the consent prompt until the input ends.
    r = run_cli("demo", "--scenario", "static-ip", "--fix", input="?\n" * 40)
    assert "Run it?" in r.stderr  # the input ended at a consent prompt, not at a question
    assert r.returncode == ExitCode.NO_TERMINAL, r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("photon-doctor: no terminal to answer the question about a fix: add --yes")
    assert "--no-input" in last and "Traceback" not in r.stderr
    saved = list((_private_home / "sessions").glob("*.json"))
    assert len(saved) == 1 and str(saved[0]) in last
    actions = json.loads(saved[0].read_text())["outcome"]["actions"]
    assert actions and actions[-1]["result"] == "skipped"


def test_ctrl_c_at_a_prompt(tmp_path: Path) -> None:
    env = dict(os.environ, PHOTON_DOCTOR_HOME=str(tmp_path))
    proc = subprocess.Popen(
        [sys.executable, "-m", "photon_doctor", *MINI, "diagnose"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=str(REPO),
        env=env,
        preexec_fn=ctrl_c_as_at_a_terminal,
    )
    assert proc.stderr is not None
    seen = ""
    deadline = time.monotonic() + 60
    while "> " not in seen and time.monotonic() < deadline:
        seen += proc.stderr.read(1)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == ExitCode.INTERRUPTED, err
    assert "Traceback" not in err
    assert list((tmp_path / "sessions").glob("*.json"))


def test_resume_continues_the_last_session() -> None:
    first = run_cli(*MINI, "diagnose", "--no-input", "-a", "visible_damage=yes")
    assert first.returncode == 0
    r = run_cli(*MINI, "diagnose", "--resume", "--no-input", "--json", "-a", "led_pattern=blinking_green")
    values = {o["id"] for o in json.loads(r.stdout)["observations"]}
    assert values == {"visible_damage", "led_pattern"}


def test_resume_of_a_damaged_session_is_a_session_error(tmp_path: Path) -> None:
    first = run_cli(*MINI, "diagnose", "--no-input", "--json", "-a", "visible_damage=yes")
    path = Path(json.loads(first.stdout)["session"])
    data = json.loads(path.read_text())
    for skipped, observation in ((5, {}), (["x"], {"confidence": "high"})):
        path.write_text(
            json.dumps(
                {**data, "skipped": skipped, "observations": [{**data["observations"][0], **observation}]}
            )
        )
        r = run_cli(*MINI, "diagnose", "--resume", "--no-input")
        assert r.returncode == ExitCode.SESSION, r.stderr
        assert "Traceback" not in r.stderr and str(path) in r.stderr


def test_why_fix_cause_and_question_on_the_saved_session() -> None:
    assert (
        run_cli(
            *MINI, "diagnose", "--no-input", "-a", "visible_damage=yes", "-a", "led_pattern=blinking_green"
        ).returncode
        == 0
    )
    r = run_cli(*MINI, "why", "physical_damage")
    assert r.returncode == 0, r.stderr
    assert "What points to it" in r.stdout and "dent" in r.stdout and "visible_damage" not in r.stdout
    assert "(from the session " in r.stderr
    # A plan step's number and words of a title find the same fix.
    by_number = run_cli(*MINI, "why", "1").stdout
    first = by_number.splitlines()[0]
    assert run_cli(*MINI, "why", first.lower()).stdout == by_number
    r = run_cli(*MINI, "why", "damaged")
    assert r.returncode == 0 and r.stdout.startswith("Damaged module:")
    r = run_cli(*MINI, "why", "contact_support_replace", "--json")
    data = json.loads(r.stdout)
    assert data["fix"] == "contact_support_replace" and data["addresses"][0]["cause"] == "physical_damage"
    assert data["risk"] == "harmless" and data["position"] >= 1
    r = run_cli(*MINI, "why", "signal_rssi_dbm", "--json")
    assert json.loads(r.stdout)["rules_waiting"][0]["rule"] == "weak"
    r = run_cli(*MINI, "why", "gremlins")
    assert r.returncode == ExitCode.USAGE and "nothing is called 'gremlins'" in r.stderr
    r = run_cli(*MINI, "why", "physical_damge")
    assert r.returncode == ExitCode.USAGE and "Did you mean 'Damaged module'" in r.stderr
    r = run_cli(*MINI, "why", "99")
    assert r.returncode == ExitCode.USAGE and "there is no step 99 in the plan" in r.stderr


def test_why_without_a_session_or_with_a_broken_one(tmp_path: Path) -> None:
    r = run_cli(*MINI, "why", "physical_damage")
    assert r.returncode == ExitCode.SESSION and "no saved session" in r.stderr
    broken = tmp_path / "s.json"
    broken.write_text("[1, 2")
    r = run_cli(*MINI, "why", "physical_damage", "--session", str(broken))
    assert r.returncode == ExitCode.SESSION and "not valid JSON" in r.stderr


def test_saved_session_is_private() -> None:
    assert run_cli(*MINI, "diagnose", "--no-input").returncode == 0
    home = Path(os.environ["PHOTON_DOCTOR_HOME"])
    files = list((home / "sessions").glob("*.json"))
    assert files and all((f.stat().st_mode & 0o077) == 0 for f in files)
    assert ((home / "sessions").stat().st_mode & 0o077) == 0


def test_kb_show_json() -> None:
    r = run_cli(*MINI, "kb", "show", "--json")
    data = json.loads(r.stdout)
    assert {o["id"] for o in data["observations"]} >= {"led_pattern", "visible_damage"}
    assert data["rules"][0]["when"][0]["obs"] == "visible_damage"


def test_no_arguments_shows_usage_with_the_usage_code() -> None:
    r = run_cli()
    assert r.returncode == ExitCode.USAGE


@pytest.mark.parametrize(
    "said",
    [
        ("yes", "no", "yes"),
        # QA finding: the answers people give, "I did", "not yet", "tried it, didn't help", were refused ("is not
        # an answer here") until typed as yes or no.
        ("I did", "not yet", "tried it, didn't help"),
    ],
)
def test_fixes_already_tried_are_asked_as_yes_no_questions(said: tuple[str, str, str]) -> None:
    # Issue 8: no 31-item list; the fixes the plan would try first are asked one at a time, "yes" is evidence.
    r = run_cli(
        *MINI,
        "diagnose",
        "--json",
        "-a",
        "visible_damage=no",
        input="?\n" + "".join(f"{answer}\n" for answer in said) + "?\n" * 10,
    )
    assert r.returncode == 0, r.stderr
    assert "is not an answer here" not in r.stderr, r.stderr
    assert "Have you already tried this, without success: Flash Tinker?" in r.stderr
    data = json.loads(r.stdout)
    values = {o["id"]: o["value"] for o in data["observations"]}
    assert values["fixes_tried_failed"] == ["contact_support_replace", "improve_signal"]
    assert not any(i.startswith("tried:") for i in values)  # every observation keeps a knowledge-base id
    assert "flash_tinker_usb" in [s["fix"] for s in data["plan"]]  # answered "no": still planned


def test_the_command_list_gives_each_command_one_line_on_a_wide_terminal() -> None:
    """QA: `photon-doctor -h` broke fleet's description after "likely causes" (a line break in its docstring),
    even on a terminal wide enough for the whole sentence."""
    r = run_cli("-h", env={"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"})
    assert r.returncode == 0, r.stderr
    panel = r.stdout[r.stdout.index("Commands") :]
    rows = [line.strip("│ ").rstrip() for line in panel.splitlines()[1:] if line.startswith("│")]
    assert rows and all(re.match(r"[a-z]+ {2,}\S", row) for row in rows), rows


def test_why_about_a_probed_fact_says_a_probe_found_it_not_you(tmp_path: Path) -> None:
    """QA: `why band` after a demo said "You answered '2.4 GHz' to: Which band ...", though nobody was asked:
    this computer's network was probed. Who told is said as it was: a probe, the demo's owner, the person."""
    env = {"PHOTON_DOCTOR_HOME": str(tmp_path)}
    assert run_cli("demo", "--scenario", "hidden-ssid", "--no-input", env=env).returncode == 0
    probed = run_cli("why", "Which band does your Wi-Fi network use", env=env)
    assert probed.returncode == 0, probed.stderr
    assert probed.stdout.startswith("Checking this computer's network, photon-doctor found '2.4 GHz' for: ")
    owner = run_cli("why", "network_hidden", env=env).stdout
    assert owner.startswith("The demo scenario's simulated owner answered 'yes' to: "), owner
    assert "You answered" not in probed.stdout + owner
    home = tmp_path / "cli"
    r = run_cli(
        *MINI, "diagnose", "--no-input", "-a", "visible_damage=yes", env={"PHOTON_DOCTOR_HOME": str(home)}
    )
    assert r.returncode == 0, r.stderr
    typed = run_cli(*MINI, "why", "visible_damage", env={"PHOTON_DOCTOR_HOME": str(home)}).stdout
    assert typed.startswith("You answered 'yes' to: "), typed


def test_the_fixes_tried_may_be_given_up_front_in_words() -> None:
    """QA finding: an owner who had flashed Tinker, re-entered the Wi-Fi and updated Device OS could say so only
    with the fixes' ids (`-a fixes_tried_failed=flash_tinker_usb,...`, found nowhere in the README): 'flashed
    Tinker' was 'unknown fix id(s) flashed, Tinker'. Words that name several fixes ('particle doctor', which ran
    several) are refused with the reason, in one line."""
    said = "fixes_tried_failed=I flashed Tinker, re-entered the Wi-Fi and updated Device OS"
    common = ["diagnose", "--no-probe", "--no-input", "--json", "-a", "led_pattern=breathing_white"]
    before = run_cli(*common)
    after = run_cli(*common, "-a", said)
    assert before.returncode == 0 and after.returncode == 0, after.stderr
    values = {o["id"]: o["value"] for o in json.loads(after.stdout)["observations"]}
    assert values["fixes_tried_failed"] == [
        "flash_tinker_usb",
        "set_wifi_credentials",
        "update_device_os_usb",
    ]
    first = [json.loads(r.stdout)["plan"][0]["fix"] for r in (before, after)]
    assert (
        first[0] == "flash_tinker_usb" and first[1] != "flash_tinker_usb"
    )  # heard: not proposed first again
    doctor = run_cli(*common, "-a", "fixes_tried_failed=tinker, particle doctor")
    assert doctor.returncode == ExitCode.USAGE
    lines = doctor.stderr.strip().splitlines()
    assert (
        len(lines) == 1 and "'particle doctor': particle doctor runs several fixes in one go" in lines[0]
    ), lines


def test_an_answer_that_fits_several_choices_says_which() -> None:
    """QA finding: 'WPA2' at the security question (five choices hold the word) and 'blinking' at the green
    patterns were told only "is not an answer here. Please type a number from 1 to 8": which of them fit was
    left to the owner to find. The re-ask now names the choices the words fit."""
    r = run_cli(*MINI, "diagnose", "--json", "-a", "visible_damage=no", input="wi-fi\n" + "2\n" + "?\n" * 10)
    assert r.returncode == 0, r.stderr
    assert (
        "'wi-fi' fits 2 choices: 2) joining Wi-Fi; 3) Wi-Fi off. Please type the number you mean." in r.stderr
    )
    values = {o["id"]: o["value"] for o in json.loads(r.stdout)["observations"]}
    assert values["led_pattern"] == "blinking_green"


def test_why_says_when_a_step_repeats_the_action_of_a_fix_already_tried() -> None:
    """QA finding: an owner who said they had updated Device OS ('device os': the update over USB) still found
    'Update Device OS to a release that fixes the bug' in the plan, the same `particle update`, and `why` explained
    it as if nothing had been tried."""
    common = ["diagnose", "--no-probe", "--no-input", "-a", "led_pattern=breathing_white"]
    r = run_cli(*common, "-a", "fixes_tried_failed=updated Device OS")
    assert r.returncode == 0, r.stderr
    said = (
        "  You already tried 'Update Device OS and bootloader over USB', which carries out the same action: "
        "this step counts only for what it does beyond it."
    )
    why = run_cli("why", "Update Device OS to a release that fixes the bug")
    assert why.returncode == 0 and said in why.stdout.splitlines(), why.stdout
    assert " in the plan: " in why.stdout  # still proposed: it adds a little
    assert run_cli(*common).returncode == 0  # nothing tried: nothing said
    assert (
        "You already tried" not in run_cli("why", "Update Device OS to a release that fixes the bug").stdout
    )


def test_fixes_already_tried_said_at_any_question_are_heard() -> None:
    """QA finding: an owner who answers the first question with what they already did ("I already re-entered the
    wifi and flashed tinker") was told "is not an answer here", and nothing let them say it during the interview;
    the plan then put re-entering the Wi-Fi credentials first. Now each fix named is noted as tried (the question
    is asked again), and words that name several fixes ("particle doctor") are answered with the reason."""
    said = "I already re-entered the wifi and flashed tinker\n" + "I ran particle doctor\n"
    common = ["diagnose", "--no-probe", "--json", "-a", "led_pattern=blinking_green"]
    r = run_cli(*common, input=said + "?\n" * 12)
    assert r.returncode == 0, r.stderr
    assert (
        "Noted as already tried without success: Enter the Wi-Fi credentials again, with security and cipher "
        "given explicitly; Flash the factory Tinker firmware over USB (back undoes it)."
    ) in " ".join(r.stderr.split()), r.stderr
    assert "'I ran particle doctor': particle doctor runs several fixes in one go" in " ".join(
        r.stderr.split()
    )
    data = json.loads(r.stdout)
    values = {o["id"]: o["value"] for o in data["observations"]}
    assert values["fixes_tried_failed"] == ["set_wifi_credentials", "flash_tinker_usb"]
    assert data["plan"][0]["fix"] not in values["fixes_tried_failed"]
    plain = run_cli(*common, input="?\n" * 12)  # without it, one of the fixes tried comes first
    assert json.loads(plain.stdout)["plan"][0]["fix"] in values["fixes_tried_failed"]
