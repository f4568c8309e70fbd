"""Ctrl-C while `diagnose --auto` probes a simulated Photon, in a real pty (pexpect): one line and exit 130 (typer
ended the run in silence), and the device taken out of the listening mode the probes put it in (the serial probe
still held the port, so leaving it failed: "busy, in use by another program"). QA findings."""

from __future__ import annotations

from pathlib import Path

import pexpect
from photon_doctor.foundation.errors import ExitCode
from photon_doctor.simulator.faults import apply_faults, parse_faults
from photon_doctor.simulator.photon import SimulatedPhoton
from photon_doctor.simulator.scenarios import get_scenario
from photon_doctor.simulator.world import Mode

from tests.conftest import run_cli, spawn_cli


def interrupt_while(home: Path, fault: str, marker: str, *more: str) -> tuple[str, int, Mode]:
    """Run `diagnose --auto` against a simulated Photon with ``fault``, press Ctrl-C once ``marker`` is shown;
    what was said after it, the exit code and the device's mode at the end."""
    with SimulatedPhoton(get_scenario("weak-signal")) as sim:
        apply_faults(sim, parse_faults([fault]))
        ep = sim.endpoints()
        args = ["diagnose", *more, "--auto", "--probe-timeout", "2", "--port", str(ep.serial_port)]
        args += ["--softap-url", ep.softap_url, "--api-url", ep.api_url, "--token", ep.token]
        args += [
            "--connectivity-url",
            ep.connectivity_url,
            "--cloud-endpoint",
            f"{ep.cloud_host}:{ep.cloud_port}",
        ]
        child = spawn_cli(home, *args, width=200)
        child.expect(marker)
        child.sendcontrol("c")
        child.expect(pexpect.EOF)
        child.close()
        with sim.world.lock:
            mode = sim.world.device.mode
    return child.before or "", int(child.exitstatus if child.exitstatus is not None else -1), mode


def test_ctrl_c_while_the_cloud_is_probed_says_so_in_one_line(tmp_path: Path) -> None:
    said, code, _ = interrupt_while(tmp_path, "cloud=hang", "probing the Particle cloud")
    assert code == ExitCode.INTERRUPTED
    assert "photon-doctor: interrupted while probing" in said, said
    assert "Traceback" not in said and "Aborted" not in said
    assert not (tmp_path / "sessions").exists() or not list((tmp_path / "sessions").iterdir())


def test_ctrl_c_while_the_serial_console_is_read_leaves_listening_mode(tmp_path: Path) -> None:
    said, code, mode = interrupt_while(tmp_path, "serial=silent", "probing the device over USB serial")
    assert code == ExitCode.INTERRUPTED
    assert "could not leave listening mode" not in said, said
    assert mode is not Mode.LISTENING, said


def test_ctrl_c_while_a_resumed_session_probes_keeps_it(tmp_path: Path) -> None:
    home = {"PHOTON_DOCTOR_HOME": str(tmp_path)}
    first = run_cli("diagnose", "--no-probe", "--no-input", "-a", "led_colour=green", env=home)
    assert first.returncode == 0, first.stderr
    said, code, _ = interrupt_while(tmp_path, "cloud=hang", "probing the Particle cloud", "--resume")
    assert code == ExitCode.INTERRUPTED
    assert "the session so far is saved in" in said and "diagnose --resume" in said, said
    resumed = run_cli("diagnose", "--resume", "--no-probe", "--no-input", "--json", env=home)
    assert resumed.returncode == 0, resumed.stderr
    assert "led_colour" in resumed.stdout
