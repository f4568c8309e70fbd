"""The parts ``--fix`` is built from: the rig (real hardware or the simulator), the demo's person and the
re-probing. The composition root (:mod:`photon_doctor.bootstrap`) puts them together with the executor, once.

For a real Photon the tools are whatever ``particle`` and ``dfu-util`` are on the PATH, the serial port is found
again on USB after a reset, and a new login is read from the Particle CLI's configuration. For the demo the same
executor gets stand-in tools (:class:`~photon_doctor.simulator.control.SimulatedTools`), the simulated device's
endpoints, short time limits, and a person who knows the scenario's Wi-Fi password; it cannot tell the difference.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from photon_doctor.actions.executor import Refresh
from photon_doctor.actions.person import Person, ScriptedSecrets
from photon_doctor.actions.rig import Rig, Timing
from photon_doctor.actions.tools import Toolbox
from photon_doctor.foundation.evidence import Observation
from photon_doctor.knowledge.model import KnowledgeBase

if TYPE_CHECKING:
    from photon_doctor.autoprobe import AutoResult, AutoTargets
    from photon_doctor.config import DiagnoseOptions
    from photon_doctor.probes.base import ProbeContext
    from photon_doctor.simulator.photon import SimulatedPhoton
    from photon_doctor.simulator.world import World

#: The simulated device answers at once: short waits keep the demo quick.
DEMO_TIMING = Timing(
    serial_timeout=3.0,
    serial_idle=0.05,
    baud_hold=0.05,
    settle=0.05,
    dfu_wait=5.0,
    port_wait=1.0,
    reboot_wait=0.05,
    verify_wait=0.5,
    poll=0.1,
    network_timeout=3.0,
    tool_timeout=60.0,
)


def probe_facts(result: AutoResult) -> dict[str, Any]:
    """What the fixes need from the probes' facts: the device id, the serial port, the device's Wi-Fi scan,
    this computer's network and the Device OS the cloud last heard the device report."""
    facts: dict[str, Any] = {}
    for probe in ("usb", "cloud", "softap", "serial"):  # later ones win: the device's own word is best
        f = result.facts(probe)
        if f.get("device_id"):
            facts["device_id"] = str(f["device_id"])
    serial = result.facts("serial")
    if serial.get("device_id") and serial.get("port"):
        facts["port"] = serial["port"]
    if result.facts("softap").get("scan") is not None:
        facts["scan"] = result.facts("softap")["scan"]
    if result.facts("host").get("wifi") is not None:
        facts["wifi"] = result.facts("host")["wifi"]
    if result.facts("cloud").get("system_firmware_version"):
        # The Device OS it last reported: what `update_device_os` checks when the serial console did not say.
        facts["system_firmware_version"] = str(result.facts("cloud")["system_firmware_version"])
    return facts


def _locate_real(device_id: str | None, last: str | None) -> Any:
    missed = [False]  # once the device could not be found, later looks are short: it is probably unplugged

    def locate(timeout: float) -> str | None:
        from photon_doctor.probes.usb import UsbMode, discover

        deadline = time.monotonic() + (min(timeout, 2.0) if missed[0] else timeout)
        while True:
            try:
                found = [
                    d
                    for d in discover()
                    if d.platform_id == 6
                    and d.mode is UsbMode.SERIAL
                    and (device_id is None or d.device_id in (None, device_id))
                ]
            except OSError:
                found = []
            if len(found) == 1:
                return str(found[0].port)
            if not found and last and os.path.exists(last):
                return last
            if time.monotonic() >= deadline:
                missed[0] = True
                return None
            time.sleep(0.5)

    return locate


def real_rig(
    options: DiagnoseOptions, facts: Mapping[str, Any], workdir: Path, probed: ProbeContext | None = None
) -> Rig:
    """The rig for a real Photon on USB, the real cloud and this computer's tools. ``probed``: the context the
    probes ran with, whose login is used as it is (looked up once); without it the login is looked up here."""
    from photon_doctor.probes.token import TokenNotFound, discover_token

    token = api_url = None
    if probed is not None:
        token, api_url = probed.token, probed.api_url
    else:
        try:
            creds = discover_token(os.environ, options.token, options.api_url)
            token, api_url = creds.token, creds.api_url
        except TokenNotFound:
            api_url = options.api_url

    def relogin() -> str | None:
        try:
            token: str | None = discover_token(os.environ, None, options.api_url).token
            return token
        except TokenNotFound:
            return None

    device_id = options.device_id or facts.get("device_id")
    port = options.port or facts.get("port")
    return Rig(
        tools=Toolbox(),
        workdir=workdir,
        timing=Timing(serial_timeout=max(options.probe_timeout, 10.0)),
        device_id=device_id,
        serial_port=port,
        softap_url=options.softap_url,
        api_url=api_url,
        token=token,
        ssid=options.ssid,
        facts=dict(facts),
        locate_port=_locate_real(device_id, port),
        relogin=relogin,
    )


def simulated_rig(sim: SimulatedPhoton, tools: Toolbox, facts: Mapping[str, Any], workdir: Path) -> Rig:
    """The rig for the demo: the simulated device's endpoints, what the person's CLI holds, stand-in tools."""
    ep = sim.endpoints()
    return Rig(
        tools=tools,
        workdir=workdir,
        timing=DEMO_TIMING,
        device_id=facts.get("device_id"),
        serial_port=sim.serial.port,
        softap_url=ep.softap_url,
        api_url=ep.api_url,
        token=ep.token,
        ssid=sim.scenario.ssid,
        facts=dict(facts),
        locate_port=lambda timeout: sim.serial.wait_for_port(timeout),
        carry_out=lambda fix_id: _manual_in_demo(sim.world, fix_id),
    )


def _manual_in_demo(world: World, fix_id: str) -> str | None:
    """What a person doing the manual step ``fix_id`` changes in the simulated world (then the device restarts);
    None for a step the simulation cannot carry out (a support ticket, another phone)."""
    d = world.device
    home = next((ap for ap in world.networks if ap.ssid == world.host_ssid), None)
    changes: dict[str, Callable[[], str]] = {
        "power_cycle": lambda: "the device was powered down and up again",
        "move_away_from_interference": lambda: _set(d, "interference", False, "no 2.4 GHz noise near it now"),
        "fix_power_supply": lambda: _set(d, "weak_power", False, "a proper power supply"),
        "fix_application_firmware": lambda: _app_connects(d.firmware),
        "wait_for_cloud_recovery": lambda: _set(world.cloud, "outage", False, "the Particle cloud recovered"),
    }
    if home is not None:
        changes.update(
            {
                "use_2_4ghz_network": lambda: _set(
                    home, "channel", 6, f"'{home.ssid}' now also on 2.4 GHz (channel 6)"
                ),
                "enable_router_bgn_mode": lambda: _set(
                    home, "n_only", False, "the router accepts b/g/n clients"
                ),
                "change_router_security": lambda: _wpa2(home),
                "improve_signal": lambda: _set(
                    home, "rssi", -55, "the signal at the device is good (-55 dBm)"
                ),
                "bypass_captive_portal": lambda: _set(
                    home, "captive_portal", False, "the device is let past the portal"
                ),
                "restore_internet_access": lambda: _set(
                    home, "internet", True, "the network reaches the internet"
                ),
                "open_port_5683": lambda: _set(home, "port_5683_open", True, "outbound TCP 5683 is allowed"),
                "fix_dhcp_or_mac_filter": lambda: _set(
                    home, "dhcp_ok", True, "the router gives the device an address"
                ),
            }
        )
    change = changes.get(fix_id)
    if change is None:
        return None
    with world.lock:
        said = change()
        world.boot()
    return said


def _set(obj: Any, name: str, value: Any, said: str) -> str:
    setattr(obj, name, value)
    return said


def _wpa2(ap: Any) -> str:
    from photon_doctor.simulator.world import WICED_WPA2_AES

    ap.security, ap.mixed_wep, ap.wpa3 = WICED_WPA2_AES, False, False
    return "the router uses WPA2 personal with AES"


def _app_connects(fw: Any) -> str:
    fw.system_mode, fw.wifi_off, fw.blocks_loop = "AUTOMATIC", False, False
    return "the application now lets the device connect"


def demo_person(sim: SimulatedPhoton, inner: Person) -> Person:
    """The simulated device's owner: knows the Wi-Fi password and can log in again; shows the LED as a hint."""
    from photon_doctor.simulator.factory import account_token

    def hint(question: str) -> str | None:
        if "LED" not in question:
            return None
        with sim.world.lock:
            return f"[demo] the simulated Photon's LED: {sim.world.device.led}"

    secrets = {"wifi_password": sim.scenario.wifi_password, "access_token": account_token(sim.world)}
    return ScriptedSecrets(inner, secrets, hint, who="[demo] the owner of the simulated Photon")


def refresher(kb: KnowledgeBase, targets: AutoTargets, rig: Rig, person: Person) -> Refresh:
    """Re-run the probes with what the fixes changed (the serial port, the login, the device id)."""
    from photon_doctor.autoprobe import known_to, run_probes

    def refresh() -> tuple[dict[str, Observation], dict[str, Any]]:
        port = rig.serial_port
        if port is None and rig.locate_port is not None:
            port = rig.locate_port(rig.timing.port_wait)
            rig.serial_port = port
        ctx = replace(
            targets.context,
            serial_port=port or targets.context.serial_port,
            token=rig.token,
            device_id=rig.device_id or targets.context.device_id,
        )
        result = run_probes(replace(targets, context=ctx), progress=lambda m: person.tell(f"    {m}"))
        return known_to(kb, result.observations), probe_facts(result)

    return refresh


def simulated_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """The demo's device state before and after the fixes, and what changed (no secrets: see ``state()``)."""
    changed = [
        {"field": k, "before": before[k], "after": after.get(k)} for k in before if before[k] != after.get(k)
    ]
    return {"before": dict(before), "after": dict(after), "changed": changed}


#: The simulated device's fields (``SimulatedPhoton.state()``) as an owner would name them.
_FIELD_WORDS = {
    "led": "LED",
    "credentials": "stored Wi-Fi networks",
    "ip_mode": "IP address",
    "claimed_flag": "marked as claimed",
    "has_claim_code": "claim code stored",
    "server_key_ok": "server key matches the cloud",
    "modules_ok": "firmware modules fit together",
    "device_os": "Device OS",
    "app": "application",
}
_VALUE_WORDS = {
    "mode": {
        "listening": "listening mode",
        "app_offline": "kept offline by the application",
        "safe_mode": "safe mode",
        "dfu": "DFU mode",
    },
    "ip_mode": {"static": "static", "dynamic": "DHCP"},
    "app": {"user": "your application", "tinker": "Tinker", "reset_settings": "the settings-reset firmware"},
}


def _stored_network(entry: Any) -> str:
    """One stored network, ``[ssid, security, cipher]``, in words: 'HomeNet' (WPA2, AES)."""
    from photon_doctor.actions.fix_network import CIPHER_NAMES, SECURITY_NAMES

    ssid, security, cipher = entry
    sec = SECURITY_NAMES.get(security, "security not set")
    wpa = security in (2, 3, 4, 5)  # the cipher means nothing for an open or a WEP network
    return (
        f"'{ssid}' ({sec}, {CIPHER_NAMES[cipher]})" if wpa and cipher in CIPHER_NAMES else f"'{ssid}' ({sec})"
    )


def changes_text(notes: Mapping[str, Any], kb: KnowledgeBase | None = None) -> str | None:
    """One line per change of the simulated device, in words, or None outside the demo; the LED in words when
    ``kb`` knows its patterns."""
    sim = notes.get("simulated_device")
    if not sim:
        return None
    if not sim["changed"]:
        return "Simulated Photon: nothing changed."
    led = (
        kb.observations["led_pattern"].choices if kb is not None and "led_pattern" in kb.observations else {}
    )

    def said(field: str, value: Any) -> str:
        if field == "led" and str(value) in led:
            return str(led[str(value)]).split(":")[0]
        if isinstance(value, bool):
            return "yes" if value else "no"
        if value is None:
            return "nobody" if field == "owner" else "none"
        if field == "credentials" and isinstance(value, (list, tuple)):
            return ", ".join(_stored_network(c) for c in value) or "none"
        return _VALUE_WORDS.get(field, {}).get(str(value), str(value).replace("_", " "))

    # A change the words cannot show (a WEP network's unused cipher) makes no line "X -> X".
    lines = [
        f"  {_FIELD_WORDS.get(c['field'], c['field'].replace('_', ' '))}: {before} -> {after}"
        for c in sim["changed"]
        for before, after in [(said(c["field"], c["before"]), said(c["field"], c["after"]))]
        if before != after
    ]
    if not lines:
        return "Simulated Photon: nothing changed that can be shown."
    return "Simulated Photon, what changed:\n" + "\n".join(lines)
