"""The third fidelity audit: what the corrective actions send and what the simulated Photon does with it, checked
against Device OS, particle-cli and particle-api-js (docs/protocols-*.md, "third audit: actions"). Each test goes
through the real transport: the stand-in tools as subprocesses, the pty, HTTP on 127.0.0.1."""

from __future__ import annotations

import subprocess
from pathlib import Path

from photon_doctor.actions.fix_device import flash_reset_settings
from photon_doctor.actions.rig import Workbench
from photon_doctor.knowledge.loader import load_knowledge
from photon_doctor.simulator.control import SimulatedTools
from photon_doctor.simulator.photon import SimulatedPhoton
from photon_doctor.simulator.scenarios import get_scenario

from photon_doctor.autoprobe import run_probes
from photon_doctor.wiring import simulated_targets
from tests.integration.test_actions import bench, owner


def _run(tools: SimulatedTools, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), capture_output=True, text=True, env=tools.env(), timeout=30, check=False
    )


def _reset_firmware(tmp_path: Path, tools: SimulatedTools, *target: str) -> Path:
    source = tmp_path / "resetsettings.ino"
    source.write_text("void setup() { WiFi.clearCredentials(); }\n", encoding="utf-8")
    binary = tmp_path / "resetsettings.bin"
    built = _run(tools, "particle", "compile", "photon", str(source), "--saveTo", str(binary), *target)
    assert built.returncode == 0, built.stderr
    return binary


def test_firmware_built_for_a_newer_device_os_does_not_run(tmp_path: Path) -> None:
    """particle-cli v2.16.0 `compile` builds for the latest Device OS unless --target names one; a user part
    whose dependency is newer than the system parts fails its check and the device starts in safe mode (the
    application never runs). Tinker (tinker-0.4.5-photon.bin) runs on any Device OS from 0.4.5."""
    with SimulatedPhoton(get_scenario("external-antenna")) as sim, SimulatedTools(sim.world) as tools:
        with sim.world.lock:
            sim.world.device.device_os = "1.4.4"
        latest = _reset_firmware(tmp_path, tools)
        assert _run(tools, "particle", "usb", "dfu").returncode == 0
        assert _run(tools, "particle", "flash", "--usb", str(latest)).returncode == 0
        state = sim.state()
        assert (state["modules_ok"], state["antenna"]) == (False, "external")
        assert state["credentials"], "the settings-reset firmware must not have run"

        own = _reset_firmware(tmp_path, tools, "--target", "1.4.4")
        _run(tools, "particle", "usb", "dfu")
        assert _run(tools, "particle", "flash", "--usb", str(own)).returncode == 0
        state = sim.state()
        assert (state["modules_ok"], state["antenna"], state["credentials"]) == (True, "internal", [])

        _run(tools, "particle", "usb", "dfu")
        assert _run(tools, "particle", "flash", "--usb", "tinker").returncode == 0
        assert (sim.state()["app"], sim.state()["modules_ok"]) == ("tinker", True)


def test_the_settings_reset_firmware_is_built_for_the_device_os_it_runs(tmp_path: Path) -> None:
    """On a Photon still on 1.4.4 the reset firmware must be compiled with --target 1.4.4, or it never runs and
    the fix says "settings reset" about a device whose settings are as they were."""
    kb = load_knowledge(None)
    with bench(kb, "external-antenna", tmp_path) as b:
        with b.sim.world.lock:
            b.sim.world.device.device_os = "1.4.4"
        probed = run_probes(simulated_targets(b.sim))
        b.rig.observations = {k: o.value for k, o in probed.observations.items()}
        assert b.rig.observations["device_os_version"] == "1.4.4"
        workbench = Workbench(b.rig, owner())
        flash_reset_settings(workbench)
        state = b.sim.state()
    assert any("--target 1.4.4" in c for c in workbench.commands), workbench.commands
    assert (state["antenna"], state["ip_mode"], state["app"], state["modules_ok"]) == (
        "internal",
        "dynamic",
        "tinker",
        True,
    )
