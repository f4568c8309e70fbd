"""Bad input through the whole command line: each ends in one line on stderr and a documented exit code.

The cases come from an outside fuzzing run (issue 11): each of them used to end in a Python traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from photon_doctor.foundation.errors import ExitCode

from tests.conftest import KB_MINI, REPO, run_cli

MINI = ["--knowledge", str(KB_MINI)]


def _one_line_error(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.lstrip("> ").startswith("photon-doctor:")]
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.mark.parametrize(
    "answer",
    [
        "led_pattern=³",
        "fixes_tried_failed=1,²",
        "signal_rssi_dbm=nan",
        "signal_rssi_dbm=inf",
        "device_os_version=1.²",
    ],
)
def test_odd_answers_on_the_command_line_are_usage_errors(answer: str) -> None:
    r = run_cli(*MINI, "diagnose", "--no-input", "-a", answer)
    assert r.returncode == ExitCode.USAGE
    assert answer.partition("=")[0] in _one_line_error(r.stderr)


def test_a_misspelt_answer_is_refused_before_the_device_is_probed() -> None:
    """QA finding (round 8): `-a ledd_pattern=green` was refused only after the probes had run (and had put the
    device in listening mode); nothing is touched before the command line is read whole."""
    from photon_doctor.simulator.photon import SimulatedPhoton
    from photon_doctor.simulator.scenarios import get_scenario

    from tests.conftest import auto_against

    with SimulatedPhoton(get_scenario("static-ip")) as sim:
        r = run_cli(*auto_against(sim.endpoints(), "HomeNet", 2.0), "-a", "ledd_pattern=green")
        events = list(sim.world.events)
    assert r.returncode == ExitCode.USAGE
    assert "ledd_pattern" in _one_line_error(r.stderr)
    assert "probing" not in r.stderr and not any("listening" in e for e in events), (r.stderr, events)


def test_superscript_port_in_cloud_endpoint_is_a_usage_error() -> None:
    r = run_cli(
        *MINI, "diagnose", "--auto", "--no-input", "--cloud-endpoint", "x:³", "--port", "/dev/nonexistent"
    )
    assert r.returncode == ExitCode.USAGE
    assert "--cloud-endpoint" in _one_line_error(r.stderr)


def test_superscript_digit_at_a_choice_is_asked_again_and_nothing_is_lost() -> None:
    # No damage seen, so the interview has a question to ask (with a dent the damage is clear at once); the input
    # then ends at the re-ask: no terminal left (exit 10), the answers given are saved.
    r = run_cli(*MINI, "diagnose", "-a", "visible_damage=no", "-a", "fixes_tried_failed=none", input="³\n")
    assert r.returncode == ExitCode.NO_TERMINAL
    assert "'³' is not an answer here" in r.stderr and "Traceback" not in r.stderr
    assert "the session so far is saved" in r.stderr


@pytest.mark.parametrize(
    "content",
    [
        '{"fixes_tried_failed": [[]]}',
        '{"fixes_tried_failed": [{}]}',
        '{"signal_rssi_dbm": ' + "9" * 400 + "}",
        '{"signal_rssi_dbm": ' + "9" * 5000 + "}",
        '{"signal_rssi_dbm": NaN}',
        "[" * 200_000,
        '{"led_pattern": [[]]}',
    ],
)
def test_odd_answers_files_are_usage_errors(tmp_path: Path, content: str) -> None:
    path = tmp_path / "answers.json"
    path.write_text(content)
    r = run_cli(*MINI, "diagnose", "--no-input", "--answers", str(path))
    assert r.returncode == ExitCode.USAGE
    assert str(path) in _one_line_error(r.stderr)


def test_an_answers_fifo_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "answers.json"
    os.mkfifo(fifo)
    r = run_cli(*MINI, "diagnose", "--no-input", "--answers", str(fifo), timeout=60)
    assert r.returncode == ExitCode.USAGE
    assert "not a regular file" in _one_line_error(r.stderr)


def test_dev_zero_as_answers_is_refused() -> None:
    r = run_cli(*MINI, "diagnose", "--no-input", "--answers", "/dev/zero", timeout=60)
    assert r.returncode == ExitCode.USAGE
    assert "not a regular file" in _one_line_error(r.stderr)


def test_a_nan_answer_is_never_saved(tmp_path: Path) -> None:
    run_cli(
        *MINI,
        "diagnose",
        "--no-input",
        "-a",
        "signal_rssi_dbm=nan",
        env={"PHOTON_DOCTOR_HOME": str(tmp_path)},
    )
    for saved in tmp_path.glob("sessions/*.json"):
        assert "NaN" not in saved.read_text()


@pytest.mark.parametrize("home", ["file", "/dev/null"])
def test_photon_doctor_home_that_is_not_a_folder(tmp_path: Path, home: str) -> None:
    if home == "file":
        home = str(tmp_path / "a-file")
        Path(home).write_text("x")
    r = run_cli(*MINI, "diagnose", "--no-input", "-a", "visible_damage=yes", env={"PHOTON_DOCTOR_HOME": home})
    assert r.returncode == ExitCode.SESSION
    assert "PHOTON_DOCTOR_HOME" in _one_line_error(r.stderr)
    r = run_cli(*MINI, "why", "physical_damage", env={"PHOTON_DOCTOR_HOME": home})
    assert r.returncode == ExitCode.SESSION
    _one_line_error(r.stderr)


def test_the_readme_demo_with_an_unusable_home_stops_before_anything_starts() -> None:
    # README's demo: nothing is started, probed or asked (stdin ends at once) before the one line.
    r = run_cli("demo", env={"PHOTON_DOCTOR_HOME": "/dev/null"})
    assert r.returncode == ExitCode.SESSION, r.stderr
    assert r.stderr.splitlines() == [
        "photon-doctor: cannot use /dev/null/sessions as a folder: a part of it is a file "
        "(PHOTON_DOCTOR_HOME=/dev/null must name a folder you can write in)"
    ]
    assert r.stdout == ""


@contextmanager
def unwritable(folder: Path) -> Iterator[None]:
    """``folder`` made unwritable for this process: mode 0555, and for root (who writes anyway) immutable."""
    folder.chmod(0o555)
    immutable = os.geteuid() == 0 and shutil.which("chattr") is not None
    if immutable:
        subprocess.run(["chattr", "+i", str(folder)], capture_output=True, check=False)
    try:
        probe = folder / "probe"
        try:
            probe.touch()
        except OSError:
            pass
        else:
            probe.unlink()
            pytest.skip("cannot make a folder unwritable here (root without chattr)")
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], capture_output=True, check=False)
        folder.chmod(0o755)


@pytest.mark.parametrize("command", [["demo"], [*MINI, "diagnose", "--auto", "--no-input"]])
def test_a_home_that_cannot_be_written_stops_before_probing(tmp_path: Path, command: list[str]) -> None:
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    with unwritable(sessions):
        r = run_cli(*command, env={"PHOTON_DOCTOR_HOME": str(tmp_path)})
    assert r.returncode == ExitCode.SESSION, r.stderr
    line = _one_line_error(r.stderr)
    assert line.startswith(f"photon-doctor: cannot use {sessions} as a folder: cannot write in it: ")
    assert r.stderr.splitlines() == [line]  # nothing probed or said before it
    assert list(sessions.iterdir()) == []


def test_a_knowledge_file_with_a_non_utf8_byte(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(KB_MINI, kb)
    causes = kb / "causes.toml"
    causes.write_bytes(
        causes.read_bytes().replace(b"#", b"# \xff", 1)
        if b"#" in causes.read_bytes()
        else b"# \xff\n" + causes.read_bytes()
    )
    r = run_cli("--knowledge", str(kb), "diagnose", "--no-input")
    assert r.returncode == ExitCode.KNOWLEDGE
    assert "causes.toml" in _one_line_error(r.stderr) and "UTF-8" in r.stderr


def _session(tmp_path: Path) -> Path:
    r = run_cli(
        *MINI,
        "diagnose",
        "--no-input",
        "--json",
        "-a",
        "visible_damage=yes",
        "-a",
        "led_pattern=blinking_green",
        env={"PHOTON_DOCTOR_HOME": str(tmp_path)},
    )
    assert r.returncode == 0, r.stderr
    return Path(json.loads(r.stdout)["session"])


@pytest.mark.parametrize("bad_id", [["x"], None, {"a": 1}, 5])
def test_session_with_an_odd_observation_id(tmp_path: Path, bad_id: object) -> None:
    path = _session(tmp_path)
    data = json.loads(path.read_text())
    data["observations"][0]["id"] = bad_id
    path.write_text(json.dumps(data))
    r = run_cli(*MINI, "why", "physical_damage", "--session", str(path))
    assert r.returncode == ExitCode.SESSION
    assert str(path) in _one_line_error(r.stderr)


def test_session_with_unhashable_values(tmp_path: Path) -> None:
    path = _session(tmp_path)
    data = json.loads(path.read_text())
    data["observations"][0]["value"] = [[]]
    data["skipped"] = [[], {}]
    path.write_text(json.dumps(data))
    r = run_cli(*MINI, "diagnose", "--resume", "--no-input", env={"PHOTON_DOCTOR_HOME": str(tmp_path)})
    assert r.returncode == ExitCode.SESSION
    _one_line_error(r.stderr)


def test_graph_of_a_session_whose_plan_step_cause_is_an_object(tmp_path: Path) -> None:
    path = _session(tmp_path)
    data = json.loads(path.read_text())
    for step in data["diagnosis"]["plan"]:
        step["addresses"] = [{"cause": {"id": "x"}}, {"cause": [1]}]
    path.write_text(json.dumps(data))
    r = run_cli(*MINI, "graph", "--session", str(path), "--format", "json")
    assert "Traceback" not in r.stderr
    assert r.returncode == 0, r.stderr
    json.loads(r.stdout)


@pytest.mark.parametrize("odd", [-1, [1, "x", None]], ids=["a-number", "entries-not-objects"])
def test_a_session_whose_saved_diagnosis_lists_are_not_lists(tmp_path: Path, odd: object) -> None:
    """QA finding (a session file edited by hand, fuzzed): '"ranked_causes": -1' in the saved diagnosis made
    report and graph end in 'internal error (TypeError)', exit 1; so did '"plan": -1' for graph and
    '"unavailable": -1' for report. Such a list reads as absent, and its entries that are not objects are left out."""
    path = _session(tmp_path)
    data = json.loads(path.read_text())
    for key in ("ranked_causes", "plan", "unavailable", "other_causes", "trace"):
        data["diagnosis"][key] = odd
    data["outcome"] = {
        "verified_connected": False,
        "fixed_by": odd,
        "actions": [],
    }  # "fixed_by": [] was a TypeError
    path.write_text(json.dumps(data))
    env = {"PHOTON_DOCTOR_HOME": str(tmp_path)}
    for args in (
        ["report", str(path), "--format", "md"],
        ["report", str(path), "--format", "html"],
        ["graph", "--session", str(path), "--format", "json"],
        ["why", "1", "--session", str(path)],
    ):
        r = run_cli(*MINI, *args, env=env)
        assert r.returncode == 0 and "Traceback" not in r.stderr, (args, r.stderr)


def test_a_session_naming_an_unknown_demo_scenario_is_a_session_error(tmp_path: Path) -> None:
    """QA finding: a session file whose scenario is not one this version has (edited, or renamed since) made
    `diagnose --resume` say "unknown scenario 'x'; valid: ...", a usage error (exit 2), as if the command line
    had named it; it is the session file's (exit 5), and says so."""
    path = _session(tmp_path)
    data = json.loads(path.read_text())
    data["scenario"] = "x" * 300
    path.write_text(json.dumps(data))
    r = run_cli(*MINI, "diagnose", "--resume", "--no-input", env={"PHOTON_DOCTOR_HOME": str(tmp_path)})
    said = _one_line_error(r.stderr)
    assert r.returncode == ExitCode.SESSION, r.stderr
    assert str(path) in said and "the demo scenario" in said and "x" * 61 not in said, said


def _run_without_stdin(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """Run with standard input closed (as from some service managers): ``sys.stdin`` is None."""
    return subprocess.run(
        ["sh", "-c", 'exec "$0" "$@" <&-', sys.executable, "-m", "photon_doctor", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=str(REPO),
        check=False,
        env={**os.environ, "PHOTON_DOCTOR_HOME": str(home)},
    )


def test_an_unexpected_error_names_a_bug_report_and_saves_the_session(tmp_path: Path) -> None:
    """No standard input at all: asking the first question fails in a way nobody planned for."""
    home = tmp_path / "home"
    secret = "0123456789abcdef0123456789abcdef01234567"
    # No damage seen: a question has to be asked (with a dent the damage is clear and nothing is asked).
    r = _run_without_stdin(*MINI, "diagnose", "-a", "visible_damage=no", "--token", secret, home=home)
    assert r.returncode == ExitCode.INTERNAL
    line = _one_line_error(r.stderr)
    reports = list((home / "bug-reports").glob("*.txt"))
    assert len(reports) == 1 and str(reports[0]) in line
    text = reports[0].read_text()
    assert "AttributeError" in text and "Traceback" in text and secret not in text and "--token" in text
    assert oct(reports[0].stat().st_mode & 0o777) == "0o600"
    sessions = list((home / "sessions").glob("*.json"))
    assert len(sessions) == 1 and str(sessions[0]) in line
    assert json.loads(sessions[0].read_text())["observations"][0]["id"] == "visible_damage"


def test_output_to_a_full_disk_is_reported_with_the_session_kept(tmp_path: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    with open("/dev/full", "w") as full:
        r = subprocess.run(
            [
                sys.executable,
                "-m",
                "photon_doctor",
                "diagnose",
                "--no-input",
                "--json",
                "-a",
                "led_pattern=blinking_green",
            ],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
            timeout=120,
            cwd=str(REPO),
            env={**os.environ, "PHOTON_DOCTOR_HOME": str(tmp_path)},
        )
    assert r.returncode == ExitCode.INTERNAL
    line = _one_line_error(r.stderr)
    assert "bug-reports" in line and "sessions" in line


def test_traceback_option_shows_the_unexpected_error(tmp_path: Path) -> None:
    r = _run_without_stdin("--traceback", *MINI, "diagnose", home=tmp_path)
    assert r.returncode == 1 and "Traceback" in r.stderr and "AttributeError" in r.stderr


def test_a_plain_http_api_url_on_another_host_is_refused() -> None:
    token = "0123456789abcdef0123456789abcdef01234567"
    r = run_cli(
        *MINI,
        "diagnose",
        "--auto",
        "--no-input",
        "--api-url",
        "http://api.example.com",
        "--token",
        token,
        "--port",
        "/dev/nonexistent",
    )
    assert r.returncode == ExitCode.USAGE
    line = _one_line_error(r.stderr)
    assert "in clear" in line and token not in r.stderr + r.stdout


def test_a_plain_http_api_url_in_the_particle_config_is_not_used(tmp_path: Path) -> None:
    home = tmp_path / "user"
    (home / ".particle").mkdir(parents=True)
    token = "89abcdef0123456789abcdef0123456789abcdef"
    (home / ".particle" / "particle.config.json").write_text(
        json.dumps({"access_token": token, "apiUrl": "http://api.example.com"})
    )
    r = run_cli(
        *MINI,
        "diagnose",
        "--auto",
        "--no-input",
        "--json",
        "--port",
        "/dev/nonexistent",
        "--connectivity-url",
        "http://127.0.0.1:9/",
        "--cloud-endpoint",
        "127.0.0.1:9",
        env={"HOME": str(home)},
    )
    assert r.returncode == 0, r.stderr
    reasons = [u["reason"] for u in json.loads(r.stdout)["unavailable"] if u["probe"] == "cloud"]
    assert any("in clear" in reason for reason in reasons)
    assert token not in r.stdout + r.stderr


@pytest.mark.parametrize(
    "case",
    [
        {"id": "two\nlines", "observations": {}, "expected_causes": ["nope"], "accepted_fixes": []},
        {"id": "ok", "observations": {"no\nsuch": 1}, "expected_causes": [], "accepted_fixes": []},
        {"id": "ok", "observations": {}, "expected_causes": ["a\nb"], "accepted_fixes": []},
    ],
)
def test_case_file_errors_stay_on_one_line(tmp_path: Path, case: dict[str, object]) -> None:
    """Found by benchmarks/fuzz.py: a case id or value with a newline split the error message."""
    path = tmp_path / "cases.json"
    path.write_text(json.dumps({"schema_version": 1, "cases": [case]}))
    r = run_cli(*MINI, "evaluate", str(path))
    assert r.returncode == ExitCode.CASES
    assert str(path) in _one_line_error(r.stderr)
    assert len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("seconds", ["nan", "inf", "1e400", "-1", "0"])
def test_a_probe_timeout_that_is_not_a_duration_is_a_usage_error(seconds: str) -> None:
    r = run_cli(
        *MINI, "diagnose", "--auto", "--no-input", "--probe-timeout", seconds, "--port", "/dev/nonexistent"
    )
    assert r.returncode == ExitCode.USAGE
    assert "--probe-timeout" in _one_line_error(r.stderr)


@pytest.mark.parametrize(
    "flag",
    [
        ["--probe-timeout", "9999"],
        ["--probe-timeout", "nan"],
        ["--api-url", "http://api.example.com"],
        ["--cloud-endpoint", "nowhere"],
    ],
    ids=["timeout", "nan", "api-url", "cloud-endpoint"],
)
@pytest.mark.parametrize("probing", ["--no-input", "--no-probe"])
def test_a_bad_probe_flag_is_a_usage_error_also_when_nothing_is_probed(
    probing: str, flag: list[str], tmp_path: Path
) -> None:
    """QA: without --auto these were silently ignored (exit 0, a diagnosis), though docs/exit-codes.md lists them
    as usage errors; the person would believe the flag had been taken. Nothing is saved or asked first."""
    r = run_cli(
        *MINI,
        "diagnose",
        probing,
        "-a",
        "visible_damage=yes",
        *flag,
        env={"PHOTON_DOCTOR_HOME": str(tmp_path)},
    )
    assert r.returncode == ExitCode.USAGE, r.stdout + r.stderr
    assert flag[0] in _one_line_error(r.stderr)
    assert r.stdout == "" and not (tmp_path / "sessions").exists()


def test_an_unwritable_default_data_folder_names_the_way_out(tmp_path: Path) -> None:
    """QA finding: with a read-only home (no PHOTON_DOCTOR_HOME), `demo` said only "cannot use
    ~/.local/share/photon-doctor/sessions as a folder: cannot write in it", not how to run anyway."""
    sessions = tmp_path / ".local" / "share" / "photon-doctor" / "sessions"
    sessions.mkdir(parents=True)
    env = {"HOME": str(tmp_path), "PHOTON_DOCTOR_HOME": "", "XDG_DATA_HOME": ""}
    with unwritable(sessions):
        r = run_cli("demo", env=env)
    assert r.returncode == ExitCode.SESSION, r.stderr
    line = _one_line_error(r.stderr)
    assert line.startswith(f"photon-doctor: cannot use {sessions} as a folder: cannot write in it: "), line
    assert line.endswith("(set PHOTON_DOCTOR_HOME to a folder you can write in)"), line


@pytest.mark.parametrize(
    "target", ["9" * 5000, "³", "x" * 3000], ids=["5000-digits", "superscript-3", "3000-letters"]
)
def test_why_of_a_huge_number_or_a_non_ascii_digit_is_a_usage_error(tmp_path: Path, target: str) -> None:
    """QA finding: `why 99…9` (5,000 digits) and `why ³` were internal errors (int() raised ValueError, exit 1);
    a 3,000-letter target came back whole in the message."""
    home = {"PHOTON_DOCTOR_HOME": str(tmp_path)}
    assert run_cli("demo", "--scenario", "static-ip", "--no-input", env=home).returncode == 0
    r = run_cli("why", target, env=home)
    assert r.returncode == ExitCode.USAGE, r.stderr
    line = _one_line_error(r.stderr)
    assert "internal error" not in line and len(line) < 250, line
