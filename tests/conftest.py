"""Shared fixtures: every test keeps photon-doctor's data (sessions) in its own temporary folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
KB_MINI = REPO / "tests" / "data" / "kb_mini"
#: The time the simulated fleets' exports are made at.
FLEET_NOW = 1_780_000_000.0


@pytest.fixture(autouse=True)
def _private_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("pdhome")
    monkeypatch.setenv("PHOTON_DOCTOR_HOME", str(home))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("PARTICLE_ACCESS_TOKEN", raising=False)
    return home


def run_in_process(
    *args: str, input: str | None = None, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the CLI in this process, through the program's own entry point (``cli.main``: the one place errors
    become messages and exit codes), with typer's ``CliRunner`` giving it stdin, stdout, stderr and environment
    variables, injected as the run's :class:`Environment`. Same result shape as :func:`run_cli`, a fraction of
    its time. ``timeout`` is accepted for the same signature (a hang in this process is pytest's to stop)."""
    from photon_doctor.foundation.environment import Environment
    from typer.testing import CliRunner

    from photon_doctor.cli import main
    from photon_doctor.environment import configure

    with CliRunner().isolation(input=input or "", env=env) as (out, err, _):
        configure(Environment(stdin=sys.stdin, stdout=sys.stdout, stderr=sys.stderr))
        code: int = 0
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            configure(Environment())
        stdout, stderr = out.getvalue().decode(), err.getvalue().decode()
    return subprocess.CompletedProcess(["photon-doctor", *args], code, stdout, stderr)


def run_cli(
    *args: str, input: str | None = None, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run `python -m photon_doctor ARGS` in a subprocess, as a person would, and capture everything."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "photon_doctor", *args],
        input=input if input is not None else "",
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        cwd=str(REPO),
    )


def ctrl_c_as_at_a_terminal() -> None:
    """For a child process (``preexec_fn``): Ctrl-C (SIGINT) does what it does at a terminal. A suite started with
    SIGINT ignored (a background job of a shell without job control, or nohup) passes that on to every command it
    starts, which then ignored the tests' Ctrl-C: they waited out their timeout and failed."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def ctrl_c_raises() -> Iterator[None]:
    """In this process, a SIGINT raises KeyboardInterrupt for the test's duration, even in a suite started with
    SIGINT ignored (see :func:`ctrl_c_as_at_a_terminal`)."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


def spawn_cli(home: Path, *args: str, width: int = 80, env: dict[str, str] | None = None) -> Any:
    """`python -m photon_doctor ARGS` on a real pseudo-terminal (pexpect), ``width`` columns wide, with its data in
    ``home``, no colour and no token from the environment: a person at a terminal, for tests that press keys.
    ``env``: more environment variables."""
    import pexpect

    env = dict(
        os.environ, **(env or {}), PHOTON_DOCTOR_HOME=str(home), NO_COLOR="1", COLUMNS=str(width), TERM="dumb"
    )
    # A command that hangs can be asked where (SIGABRT: every thread's stack on stderr): see end_of_session().
    env["PYTHONFAULTHANDLER"] = "1"
    env.pop("PARTICLE_ACCESS_TOKEN", None)
    return pexpect.spawn(
        sys.executable,
        ["-m", "photon_doctor", *args],
        cwd=str(REPO),
        env=env,
        encoding="utf-8",
        dimensions=(50, width),
        timeout=60,
        preexec_fn=ctrl_c_as_at_a_terminal,
    )


def end_of_session(child: Any) -> tuple[str, int]:
    """Wait for a pexpect ``child`` to end; what it said after the last expect, and its exit code. If it does not
    end within its timeout, it is made to show where it is stuck (SIGABRT: with PYTHONFAULTHANDLER, every thread's
    Python stack) and the test fails with that, rather than with pexpect's bare timeout."""
    import pexpect

    try:
        child.expect(pexpect.EOF)
    except pexpect.TIMEOUT:
        seen = child.before or ""
        child.kill(signal.SIGABRT)
        try:
            child.expect(pexpect.EOF, timeout=10)
            stacks = child.before or ""
        except pexpect.TIMEOUT:
            stacks = "(no stacks within 10 s)"
        child.close(force=True)
        pytest.fail(
            f"the command did not end within {child.timeout} s; it had said:\n{seen}\nwhere it was:\n{stacks}"
        )
    child.close()
    return child.before or "", int(child.exitstatus if child.exitstatus is not None else -1)


def auto_against(ep: Any, ssid: str, probe_timeout: float) -> list[str]:
    """``diagnose --auto --no-input --json`` aimed at a running simulated Photon's endpoints (``ep``): every probe,
    the laptop-side checks included, stays on 127.0.0.1."""
    assert ep.serial_port
    return [
        "diagnose", "--auto", "--no-input", "--json", "--probe-timeout", f"{probe_timeout:g}",
        "--port", ep.serial_port, "--softap-url", ep.softap_url, "--api-url", ep.api_url, "--token", ep.token,
        "--connectivity-url", ep.connectivity_url, "--cloud-endpoint", f"{ep.cloud_host}:{ep.cloud_port}",
        "--ssid", ssid,
    ]  # fmt: skip


def write_fleet_export(path: Path, size: int, seed: int, extra: list[str] | None = None) -> None:
    """A JSONL export of a simulated fleet of ``size`` devices (``extra`` lines after the fifth), as `fleet --from`
    reads it."""
    import json

    from photon_doctor.simulator.fleet import device_json, diagnostics_json, make_fleet

    made = make_fleet(size, seed, FLEET_NOW)
    lines = [json.dumps({**device_json(d, 4242), **diagnostics_json(d)}) for d in made]
    path.write_text("\n".join(lines[:5] + (extra or []) + lines[5:]) + "\n")
