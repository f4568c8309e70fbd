"""Fixes in DFU mode: configuration-area writes with ``dfu-util`` (antenna, DHCP, claim code), and the Particle
CLI's ``flash --usb``, ``keys`` and ``update`` (reference §5, §7, §8).

Each one checks its tool first (nothing is touched when it is missing; the executor then guides the person through
the fix by hand), puts the device in DFU mode with the 14400-baud switch, shows every command before running it, and ends with the device reset out of DFU; when a
step fails, the executor's restore takes the device out of DFU again.
"""

from __future__ import annotations

import re

from photon_doctor.actions import dct, releases
from photon_doctor.actions.errors import ActionFailed, CommandFailed, DeviceGone, NeedsPerson
from photon_doctor.actions.fix_network import gather_wifi, serial_wifi, wifi_step
from photon_doctor.actions.records import Go, Precheck
from photon_doctor.actions.rig import (
    Rig,
    Workbench,
    dfu_step,
    dfu_wait_step,
    exit_listening_step,
    identify_step,
    listening_step,
)
from photon_doctor.actions.tools import DFU_UTIL, PARTICLE, Toolbox
from photon_doctor.probes.base import ProbeFailure

#: The settings-reset firmware (the rickkas7/photonreset pattern, reference §8). SEMI_AUTOMATIC so that setup()
#: runs without the cloud, which the device cannot reach.
RESET_SETTINGS_SOURCE = """\
// photon-doctor: reset the persistent settings (pattern of rickkas7/photonreset)
#include "Particle.h"

SYSTEM_MODE(SEMI_AUTOMATIC);
STARTUP(WiFi.selectAntenna(ANT_INTERNAL));

void setup() {
    EEPROM.clear();
    WiFi.useDynamicIP();
    WiFi.clearCredentials();
    pinMode(D7, OUTPUT);
    digitalWrite(D7, HIGH);  // done
}

void loop() {
}
"""


_VERSION = re.compile(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?")


def device_os_target(rig: Rig) -> str | None:
    """The device's Device OS version, to build firmware against (``particle compile --target``); None when not
    known. Without ``--target`` the cloud builds against its latest Photon release (particle-cli v2.16.0
    ``src/cli/cloud.js``: "Defaults to latest version"), whose user part fails its dependency check on an older
    Device OS: the device would start in safe mode and the firmware would never run."""
    version = rig.observations.get("device_os_version")
    if isinstance(version, str) and _VERSION.fullmatch(version.strip()):
        return version.strip()
    return None


def _compile_args(rig: Rig, source: str, binary: str) -> list[str]:
    target = device_os_target(rig)
    return ["compile", "photon", source, "--saveTo", binary, *(["--target", target] if target else [])]


def _port(rig: Rig) -> str:
    return rig.serial_port or "<serial port>"


def _dfu_preview(rig: Rig) -> list[str]:
    lines = [dfu_step(_port(rig))]
    if rig.tools.available(DFU_UTIL) is not None:
        lines.append(dfu_wait_step())
    return lines


# --- DCT writes -----------------------------------------------------------------------------------------------
def write_dct(wb: Workbench, write: dct.DctWrite) -> str:
    """dfu-util must be installed; DFU mode; write; leave (the device resets); then DFU mode again to read the
    bytes back (the device's own word that it holds them). Raises ActionFailed."""
    wb.require(DFU_UTIL)
    wb.enter_dfu()
    wb.dct_write(write)
    wb.pause(wb.rig.timing.settle)
    wb.enter_dfu()
    file = wb.rig.workdir / f"readback-{write.filename}"
    wb.tool(DFU_UTIL, dct.read_args(write.offset, len(write.data), str(file)))
    wb.device_reset()
    held = file.read_bytes() if file.is_file() else b""
    if held != write.data:
        raise CommandFailed(
            f"dfu-util said the write succeeded, but the device's configuration memory holds "
            f"{held.hex(' ')[:24] or 'nothing readable'} at {write.offset}, not {write.data.hex(' ')[:24]}"
        )
    wb.pause(wb.rig.timing.settle)
    return f"written into the device's configuration memory and read back: {write.said}; the device restarted"


def preview_dct(rig: Rig, write: dct.DctWrite) -> list[str]:
    """The DFU switch, the wait for DFU and the dfu-util write, with the file's bytes; then the read-back."""
    command = Toolbox.command_line(DFU_UTIL, dct.dct_write_args(write, write.filename))
    read = dct.read_args(write.offset, len(write.data), f"readback-{write.filename}")
    return [
        *_dfu_preview(rig),
        f"{command}   ({write.describe_file()})",
        *_dfu_preview(rig),
        f"{Toolbox.command_line(DFU_UTIL, read)}   (read back: it must hold the same bytes)",
    ]


def select_internal_antenna(wb: Workbench) -> str:
    """DCT ``antenna_selection`` = 0 (internal)."""
    return write_dct(wb, dct.ANTENNA_INTERNAL)


def use_dynamic_ip(wb: Workbench) -> str:
    """DCT ``ip_config`` mode = 0 (DHCP)."""
    return write_dct(wb, dct.USE_DYNAMIC_IP)


def clear_claim_code(wb: Workbench) -> str:
    """DCT ``claim_code`` cleared and ``claimed`` reset (for a stale claim code)."""
    return write_dct(wb, dct.CLEAR_CLAIM_CODE)


# --- the Particle CLI -----------------------------------------------------------------------------------------
def flash_tinker(wb: Workbench) -> str:
    """``particle flash --usb tinker`` in DFU mode (the CLI leaves DFU after the application write)."""
    wb.require(PARTICLE)
    wb.enter_dfu()
    wb.tool(PARTICLE, ["flash", "--usb", "tinker"])
    wb.device_reset()
    wb.pause(wb.rig.timing.reboot_wait)
    return "Tinker flashed over USB; the device restarted with it"


def preview_flash_tinker(rig: Rig) -> list[str]:
    """The commands of :func:`flash_tinker`."""
    return [*_dfu_preview(rig), Toolbox.command_line(PARTICLE, ["flash", "--usb", "tinker"])]


def flash_reset_settings(wb: Workbench) -> str:
    """Build and flash the settings-reset firmware, let it run, flash Tinker back, then set the Wi-Fi up again.

    The network and password are asked first: the reset clears every stored credential.
    """
    wb.require(PARTICLE)
    plan = gather_wifi(wb)
    source = wb.rig.workdir / "resetsettings.ino"
    binary = wb.rig.workdir / "resetsettings.bin"
    source.write_text(RESET_SETTINGS_SOURCE, encoding="utf-8")
    wb.say(
        f"{source.name}: STARTUP(WiFi.selectAntenna(ANT_INTERNAL)); EEPROM.clear(); WiFi.useDynamicIP(); "
        "WiFi.clearCredentials();"
    )
    if device_os_target(wb.rig) is None:
        wb.say(
            "the device's Device OS version is not known: building for the latest one (on an older Device OS "
            "the firmware would not run)"
        )
    wb.tool(PARTICLE, _compile_args(wb.rig, str(source), str(binary)))
    wb.enter_dfu()
    wb.tool(PARTICLE, ["flash", "--usb", str(binary)])
    wb.device_reset()
    wb.say("the settings-reset firmware runs: internal antenna, DHCP, EEPROM and Wi-Fi credentials cleared")
    wb.pause(wb.rig.timing.reboot_wait)
    wb.enter_dfu()
    wb.tool(PARTICLE, ["flash", "--usb", "tinker"])
    wb.device_reset()
    wb.pause(wb.rig.timing.reboot_wait)
    said = serial_wifi(wb, plan)
    return (
        "settings reset (antenna internal, DHCP, EEPROM and Wi-Fi credentials cleared), Tinker flashed back; "
        f"{said}. If it still fails, unplug it for a few minutes"
    )


def preview_flash_reset_settings(rig: Rig) -> list[str]:
    """The commands of :func:`flash_reset_settings`."""
    port = _port(rig)
    return [
        (
            "write resetsettings.ino (STARTUP(WiFi.selectAntenna(ANT_INTERNAL)); EEPROM.clear(); WiFi.useDynamicIP(); "
            "WiFi.clearCredentials();)"
        ),
        Toolbox.command_line(PARTICLE, _compile_args(rig, "resetsettings.ino", "resetsettings.bin")),
        *_dfu_preview(rig),
        Toolbox.command_line(PARTICLE, ["flash", "--usb", "resetsettings.bin"]),
        *_dfu_preview(rig),
        Toolbox.command_line(PARTICLE, ["flash", "--usb", "tinker"]),
        listening_step(port),
        wifi_step(port, rig.ssid or "<the network, asked>", None),
    ]


def reset_keys(wb: Workbench) -> str:
    """``particle keys server`` then ``particle keys doctor <id>`` in DFU mode (a new device key, uploaded)."""
    wb.require(PARTICLE)
    device_id = wb.rig.device_id
    if not device_id:
        raise DeviceGone("the device id is unknown (pass --device): keys doctor needs it")
    wb.enter_dfu()
    wb.tool(PARTICLE, ["keys", "server"])
    # In the work folder: keys doctor leaves the new key's files (<id>_rsa_new.pub.pem) where it runs.
    run = wb.tool(PARTICLE, ["keys", "doctor", device_id], check=False, cwd=wb.rig.workdir)
    how = "its public key sent to the cloud"
    if run.returncode != 0:
        if UPLOAD_FAILED not in run.output:
            raise CommandFailed(f"{run.command} failed (exit {run.returncode}): {run.last_line()}")
        how = _send_key_ourselves(wb, device_id.lower(), run.last_line())
    wb.device_reset()
    wb.pause(wb.rig.timing.reboot_wait)
    return f"server key written, new device key made and {how}; the device restarted"


#: particle-cli's words when the upload, the last step of ``keys doctor``, failed (v2.16.0 and HEAD
#: ``src/cmd/keys.js`` ``_sendPublicKeyToServer()``): the device already has its new key by then.
UPLOAD_FAILED = "Error sending public key to server"


def _send_key_ourselves(wb: Workbench, device_id: str, why: str) -> str:
    """``keys doctor`` wrote the new key into the device (``:leave``) and then could not upload its public key
    (its own login is missing or rejected): the device now has a key the cloud does not know. Send the public
    key the CLI left in the work folder with photon-doctor's login. Raises ActionFailed saying how to finish."""
    from photon_doctor.actions.fix_cloud import client
    from photon_doctor.probes.cloud_client import CloudError

    wb.device_reset()  # keys doctor left DFU mode with the write
    key_file = wb.rig.workdir / f"{device_id}_rsa_new.pub.pem"
    finish = (
        f"the device has a new key the cloud does not know yet: run particle login, then "
        f"particle keys send {device_id} {key_file}"
    )
    wb.say(f"particle could not send the new public key to the cloud ({why})")
    if not key_file.is_file():
        raise ActionFailed(finish)
    wb.note(
        f"POST /v1/provisioning/{device_id} (the new public key, {key_file.name}, with photon-doctor's login)"
    )
    try:
        with client(wb.rig) as c:
            c.send_public_key(device_id, key_file.read_text(encoding="ascii", errors="replace"))
    except NeedsPerson:
        raise ActionFailed(f"{finish} (photon-doctor has no login either)") from None
    except CloudError as exc:
        raise ActionFailed(f"{finish} ({exc})") from None
    return "its public key sent to the cloud by photon-doctor (particle's own login could not)"


def preview_reset_keys(rig: Rig) -> list[str]:
    """The commands of :func:`reset_keys`."""
    return [
        *_dfu_preview(rig),
        Toolbox.command_line(PARTICLE, ["keys", "server"]),
        Toolbox.command_line(PARTICLE, ["keys", "doctor", rig.device_id or "<device id>"]),
    ]


def update_plan(rig: Rig) -> releases.UpdatePlan:
    """What ``particle update`` would install here and whether to run it (:mod:`releases`): the CLI's version
    (``particle --version``, read when the tool is found) and the device's Device OS (the diagnosis' serial ``v``
    or answer, else the cloud's record). Raises ToolMissing without the CLI."""
    cli = rig.tools.find(PARTICLE).version
    return releases.plan_update(cli, releases.device_runs(rig.observations, rig.facts))


def check_update_device_os(rig: Rig) -> Precheck:
    """Never a downgrade: refuse an update to a release older than or equal to the device's; ask when unknown."""
    return update_plan(rig).check


def update_device_os(wb: Workbench) -> str:
    """``particle update`` in DFU mode: bootloader, OTA flag, system parts 1 and 2; never a downgrade (the
    executor checks first; checked again here). Then the device's own word (``v``) proves the release it runs.
    Raises ActionFailed."""
    plan = update_plan(wb.rig)
    if plan.check.go is Go.REFUSE:
        raise ActionFailed(f"not run: {plan.check.said}")
    wb.say(plan.check.said)
    wb.enter_dfu()
    wb.tool(PARTICLE, list(plan.args))
    wb.device_reset()
    wb.pause(wb.rig.timing.reboot_wait)
    proof = _proven(wb, plan.installs)
    return f"Device OS {plan.installs} installed over USB ({plan.check.said}); {proof}"


def version_step(port: str) -> str:
    """The `v` command as a protocol step."""
    return f"serial {port}: v (the Device OS version it runs)"


def _proven(wb: Workbench, expected: str | None) -> str:
    """Read ``v`` in listening mode, then ``x``: the release the device runs after the update. Raises
    CommandFailed when it is not the one installed; says so, without failing, when it cannot be read (an
    application that blocks listening mode, a port that did not come back)."""
    try:
        wb.enter_listening()
        wb.note(version_step(wb.port()))
        console = wb.console()
        try:
            console.open()
            runs = console.system_version()
        finally:
            console.close()
    except (ActionFailed, ProbeFailure) as exc:
        return f"the device restarted; the release it runs is not proven (reading it failed: {exc})"
    finally:
        if wb.in_listening:
            wb.exit_listening()
    new, now = releases.release_key(expected or ""), releases.release_key(runs)
    if expected is not None and (new is None or now != new):
        raise CommandFailed(
            f"particle update said it succeeded, but the device says it runs Device OS {runs}, not {expected}"
        )
    return f"the device restarted and says it runs {runs}"


def preview_update_device_os(rig: Rig) -> list[str]:
    """The commands of :func:`update_device_os`, after the check's decision."""
    plan = update_plan(rig)
    port = _port(rig)
    return [
        f"check: {plan.check.said}",
        *_dfu_preview(rig),
        Toolbox.command_line(PARTICLE, list(plan.args)),
        listening_step(port),
        identify_step(port),
        version_step(port),
        exit_listening_step(port),
    ]
