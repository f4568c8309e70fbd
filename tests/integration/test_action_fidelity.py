"""The third fidelity audit: what the corrective actions send and what the simulated Photon does with it, checked
against Device OS, particle-cli and particle-api-js (docs/protocols-*.md, "third audit: actions"). Each test goes
through the real transport: the stand-in tools as subprocesses, the pty, HTTP on 127.0.0.1."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from photon_doctor.actions.dct import DOWNLOAD_OK
from photon_doctor.actions.errors import ActionFailed
from photon_doctor.actions.executor import Executor, Policy
from photon_doctor.actions.fix_device import clear_claim_code, flash_reset_settings, reset_keys
from photon_doctor.actions.records import Result
from photon_doctor.actions.rig import Workbench
from photon_doctor.actions.verify import verify_connected
from photon_doctor.knowledge.loader import load_knowledge
from photon_doctor.probes.serial_client import enter_dfu, enter_listening
from photon_doctor.probes.softap_client import SoftAPClient
from photon_doctor.simulator.control import SimulatedTools
from photon_doctor.simulator.factory import HOME_PASSWORD, HOME_SSID
from photon_doctor.simulator.photon import SimulatedPhoton
from photon_doctor.simulator.scenarios import get_scenario
from photon_doctor.simulator.world import Firmware, public_key_der

from photon_doctor.autoprobe import run_probes
from photon_doctor.wiring import simulated_targets
from tests.integration.test_actions import bench, owner, silent
from tests.integration.test_serial_console import wait_for
from tests.integration.test_softap import wait_for_exit_listening
from tests.integration.test_update_guard import lying_tool


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


# --- keys doctor: the key is written first, then its public key uploaded with the CLI's own login -------------
def _pem(der: bytes) -> str:
    key = serialization.load_der_public_key(der)
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def test_the_cloud_takes_a_public_key_as_particle_cli_sends_it() -> None:
    """POST /v1/provisioning/:id, the form particle-cli v2.16.0 api-client.js sendPublicKey() posts; the reply
    is particle-api-js's OKResponse. A device not on the account gets the cloud's one 403."""
    with SimulatedPhoton(get_scenario("key-mismatch")) as sim:
        ep = sim.endpoints()
        der = public_key_der(sim.world.device.private_key)
        form = {
            "deviceID": ep.device_id,
            "publicKey": _pem(der),
            "order": "manual_1",
            "filename": "cli",
            "algorithm": "rsa",
            "access_token": ep.token,
        }
        sent = requests.post(f"{ep.api_url}/v1/provisioning/{ep.device_id}", data=form, timeout=5)
        assert (sent.status_code, sent.json()) == (200, {"ok": True})
        with sim.world.lock:
            assert sim.world.cloud.devices[ep.device_id].public_key_der == der
        other = "0123456789abcdef01234567"
        denied = requests.post(f"{ep.api_url}/v1/provisioning/{other}", data=form, timeout=5)
        assert denied.status_code == 403
        bad = requests.post(
            f"{ep.api_url}/v1/provisioning/{ep.device_id}", data={**form, "publicKey": "x"}, timeout=5
        )
        assert bad.status_code == 400


def test_keys_doctor_without_the_clis_login_leaves_a_key_the_cloud_does_not_know(tmp_path: Path) -> None:
    """particle-cli keyDoctor() writes the new key with :leave, then uploads; without a login the upload fails
    ("Error sending public key to server") after the device has its new key."""
    with SimulatedPhoton(get_scenario("static-ip")) as sim, SimulatedTools(sim.world) as tools:
        device_id = sim.world.device.device_id
        with sim.world.lock:
            cloud_key = sim.world.cloud.devices[device_id].public_key_der
        _run(tools, "particle", "usb", "dfu")
        done = subprocess.run(
            ["particle", "keys", "doctor", device_id],
            capture_output=True,
            text=True,
            env=tools.env(),
            cwd=tmp_path,
            timeout=30,
            check=False,
        )
        assert done.returncode == 1 and "Error sending public key to server" in done.stderr
        assert (tmp_path / f"{device_id}_rsa_new.pub.pem").is_file()
        with sim.world.lock:
            assert sim.world.cloud.devices[device_id].public_key_der == cloud_key
            assert public_key_der(sim.world.device.private_key) != cloud_key
        assert sim.state()["mode"] != "dfu"


def test_reset_keys_sends_the_key_itself_when_particle_could_not(tmp_path: Path) -> None:
    """The fix must not leave the device with a key the cloud does not know: photon-doctor sends the public key
    particle left in the work folder with its own login, and the device reaches the cloud."""
    kb = load_knowledge(None)
    with bench(kb, "key-mismatch", tmp_path, cli_logged_in=False) as b:
        workbench = Workbench(b.rig, silent())
        message = reset_keys(workbench)
        verdict = verify_connected(b.rig, silent())
    assert "sent to the cloud by photon-doctor" in message and verdict.connected
    assert any(c.startswith("POST /v1/provisioning/") for c in workbench.commands)


def test_reset_keys_without_any_login_says_how_to_finish(tmp_path: Path) -> None:
    kb = load_knowledge(None)
    with bench(kb, "key-mismatch", tmp_path, cli_logged_in=False) as b:
        b.rig.token = None
        with pytest.raises(ActionFailed) as failed:
            reset_keys(Workbench(b.rig, silent()))
        state = b.sim.state()
    assert "particle keys send" in failed.value.message and "particle login" in failed.value.message
    assert state["mode"] != "dfu"


# --- after connect-ap / `w`: new credentials that fail send the device back to listening --------------------
def test_new_credentials_that_get_no_address_send_the_device_back_to_listening() -> None:
    """Device OS v2.3.1: after listening mode with new credentials (WLAN_LISTEN_ON_FAILED_CONNECT), a failed
    DHCP ends like a failed join: wlan_connect_finalize() -> notify_dhcp(false) -> listen()."""
    with SimulatedPhoton(get_scenario("dhcp-exhausted")) as sim:
        sim.world.enter_listening()
        client = SoftAPClient(str(sim.endpoints().softap_url), timeout=5)
        client.configure_ap(HOME_SSID, HOME_PASSWORD, 0x00400004, 6)
        client.connect_ap()
        wait_for_exit_listening(sim.world)
        state = sim.state()
    assert (state["mode"], state["led"]) == ("listening", "green_then_blinking_blue")


# --- particle update ------------------------------------------------------------------------------------------
def test_particle_update_installs_what_the_cli_bundles_and_leaves_the_app_as_it_is(tmp_path: Path) -> None:
    """particle-cli v2.16.0 settings.js updates['2b04:d006'] are the 2.2.0 bootloader and system parts; the
    application is not touched, so one built for a newer Device OS still fails its dependencies (safe mode)."""
    with SimulatedPhoton(get_scenario("static-ip")) as sim, SimulatedTools(sim.world) as tools:
        with sim.world.lock:
            sim.world.device.device_os = "1.4.4"
        newer = _reset_firmware(tmp_path, tools, "--target", "2.3.1")
        _run(tools, "particle", "usb", "dfu")
        _run(tools, "particle", "flash", "--usb", str(newer))
        assert sim.state()["modules_ok"] is False
        _run(tools, "particle", "usb", "dfu")
        updated = _run(tools, "particle", "update")
        assert updated.returncode == 0 and "System firmware update successfully completed!" in updated.stdout
        assert (sim.state()["device_os"], sim.state()["modules_ok"]) == ("2.2.0", False)


# --- entering listening mode ------------------------------------------------------------------------------------
def test_an_application_that_never_returns_from_loop_keeps_the_device_out_of_listening_mode() -> None:
    """28800 baud only marks listening mode pending; the system loop enters it between two calls of loop()
    (Device OS v2.3.1 system_update.cpp, system_task.cpp). 14400 resets into DFU mode at once."""
    with SimulatedPhoton(get_scenario("semi-automatic-app")) as sim:
        with sim.world.lock:
            sim.world.device.firmware = Firmware(app="user", blocks_loop=True)
        sim.world.boot()
        assert sim.state()["mode"] == "app_offline"
        enter_listening(str(sim.serial.port), 0.1)
        assert wait_for(lambda: any("listening mode pending" in e for e in sim.world.events))
        assert sim.state()["mode"] == "app_offline"
        enter_dfu(str(sim.serial.port), 0.1)
        assert wait_for(lambda: sim.state()["mode"] == "dfu")


# --- the device's own word after a configuration write ----------------------------------------------------------
def test_a_configuration_write_the_device_does_not_hold_is_not_taken_for_done(tmp_path: Path) -> None:
    """A dfu-util that says "File downloaded successfully" but wrote nothing (a wrapper round the stand-in that
    only leaves DFU): reading the byte back shows the static address mode still set, so the step failed."""
    kb = load_knowledge(None)
    with bench(kb, "static-ip", tmp_path) as b:
        writes = 'case "$*" in *" -D "*) true;; *) false;; esac'
        lying_tool(
            b, tmp_path, "dfu-util", writes, "-d 2b04:d006 -a 1 -s 0:1:leave -U /dev/null", DOWNLOAD_OK
        )
        session = Executor(kb, b.rig, owner(), Policy(yes=True), b.refresh).run(b.observations)
        state = b.sim.state()
    first = session.outcome.actions[0]
    assert (first.fix, first.result) == ("use_dynamic_ip", Result.FAILED)
    assert "the device's configuration memory holds 01 at 1634, not 00" in first.message
    assert state["ip_mode"] == "static"


def test_a_configuration_write_is_read_back(tmp_path: Path) -> None:
    kb = load_knowledge(None)
    with bench(kb, "static-ip", tmp_path) as b:
        session = Executor(kb, b.rig, owner(), Policy(yes=True), b.refresh).run(b.observations)
    first = session.outcome.actions[0]
    assert first.result is Result.DONE and "read back" in first.message
    assert any("-s 1634:1:leave -U" in c for c in first.commands)


def test_the_claim_code_cleared_reads_back_as_written(tmp_path: Path) -> None:
    """clear_claim.bin (00 then ff x 63 over the claim code and the claimed byte) reads back byte for byte."""
    kb = load_knowledge(None)
    with bench(kb, "static-ip", tmp_path) as b:
        message = clear_claim_code(Workbench(b.rig, silent()))
        state = b.sim.state()
    assert "read back" in message and state["claimed_flag"] is False
