"""Fault scenarios: a healthy simulated world with one thing (sometimes two) broken, and the truth behind it.

Each scenario states its true cause ids (``causes``), what the person would answer to questions no probe can see
(``answers``; the LED pattern is read off the simulated device itself), the network the device should join, the
token the person's CLI holds, and the fix that really resolves it — so tests can check the diagnosis and the repair.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import padding
from photon_doctor.simulator.factory import ACCOUNT, HOME_PASSWORD, HOME_SSID, healthy_world
from photon_doctor.simulator.serial_console import ConsoleFaults
from photon_doctor.simulator.softap_commands import configure_ap
from photon_doctor.simulator.world import (
    SEC_NOT_SET,
    SEC_WEP,
    WICED_WEP_PSK,
    AccessPoint,
    Account,
    Firmware,
    StoredCredential,
    World,
    new_device_key,
    public_key_der,
)

from photon_doctor.plain import clipped

TRIED_IN_THE_THREAD = ["relogin_cli", "flash_tinker_usb", "flash_reset_settings_firmware"]


@dataclass(frozen=True)
class Scenario:
    """One way a Photon fails to reach the cloud."""

    name: str
    description: str
    causes: tuple[str, ...]
    setup: Callable[[World], None]
    answers: Mapping[str, Any] = field(default_factory=dict)
    fix: str | None = None  # the fix that resolves it
    console: ConsoleFaults = field(default_factory=ConsoleFaults)
    token: str = "valid"  # "valid": the owner's token; "invalid": a stale one
    ssid: str = HOME_SSID
    wifi_password: str = HOME_PASSWORD  # what the person would type when asked (a secret)

    def build(self, seed: int = 6) -> World:
        """A new world with this scenario's fault, booted."""
        world = healthy_world(seed)
        with world.lock:
            self.setup(world)
        world.boot()
        return world


def _home(world: World) -> AccessPoint:
    return next(ap for ap in world.networks if ap.ssid == HOME_SSID)


def _nothing(world: World) -> None:
    pass


def _damaged(world: World) -> None:
    world.device.damaged = True


def _marginal(world: World) -> None:
    world.device.marginal_module = True
    _home(world).rssi = -66


def _app_wifi_off(world: World) -> None:
    world.device.firmware = Firmware(app="user", wifi_off=True, requires_device_os="1.5.2")


def _semi_automatic(world: World) -> None:
    world.device.firmware = Firmware(app="user", system_mode="SEMI_AUTOMATIC", requires_device_os="1.5.2")


def _static_ip(world: World) -> None:
    world.device.ip_mode = "static"
    world.device.static_ip = ("10.0.0.50", "255.255.255.0", "10.0.0.1", "10.0.0.1")


def _external_antenna(world: World) -> None:
    world.device.antenna = "external"
    world.device.external_antenna_fitted = False


def _5ghz(world: World) -> None:
    _home(world).channel = 44


def _hidden(world: World) -> None:
    _home(world).hidden = True
    world.device.credentials = [StoredCredential(HOME_SSID, HOME_PASSWORD, security=SEC_NOT_SET, cipher=0)]


def _wrong_password(world: World) -> None:
    world.device.credentials = [StoredCredential(HOME_SSID, "old password 2019")]


def _wep_mixed(world: World) -> None:
    home = _home(world)
    home.mixed_wep = True
    home.security = 0x00400005  # WPA2 with WEP also enabled


#: The WEP key of the wep-key-as-text scenario's router: 13 characters, a 128-bit key as text.
WEP_KEY = "HomeNetWEP128"


def _wep_key_as_text(world: World) -> None:
    home = _home(world)
    home.security = WICED_WEP_PSK
    home.password = WEP_KEY
    # Set up with the key typed as text: the device hex-decodes it and stores a garbled key.
    world.device.credentials = [StoredCredential(HOME_SSID, WEP_KEY, security=SEC_WEP, cipher=0)]


def _unusual_ssid(world: World) -> None:
    home = _home(world)
    home.ssid = 'Café & "Bar"'
    world.host_ssid = home.ssid
    # Set up over the SoftAP's TCP protocol as softap-setup-js 4.1.0 sends it: JSON.stringify() escapes the
    # quotes and the length counts characters, so the "}" is cut off. The device reads the SSID raw, backslashes
    # and all, and its own scan for 'Café & \\"Bar\\"' finds nothing: it refuses the network (r = -2,
    # docs/protocols-softap.md) and, with nothing stored, stays in listening mode.
    world.device.credentials = []
    configure_ap(world, softap_setup_js_body(world, home.ssid, HOME_PASSWORD, home.security, home.channel))


def softap_setup_js_body(world: World, ssid: str, password: str, sec: int, channel: int) -> bytes:
    """The ``configure-ap`` body as the device reads it from softap-setup-js 4.1.0 over TCP: fields in its
    order (``lib/SoftAP.js`` configure), the password RSA-encrypted to hex, cut to the declared length in
    characters."""
    pwd = world.device.private_key.public_key().encrypt(password.encode("utf-8"), padding.PKCS1v15()).hex()
    text = json.dumps(
        {"idx": 0, "ssid": ssid, "sec": sec, "ch": channel, "pwd": pwd},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return text.encode("utf-8")[: len(text)]


def _captive_portal(world: World) -> None:
    _home(world).captive_portal = True


def _unclaimed(world: World) -> None:
    world.cloud.devices[world.device.device_id].owner = None
    world.device.claimed_flag = False


def _someone_else(world: World) -> None:
    world.cloud.accounts["previous-owner@example.com"] = Account("previous-owner@example.com", {"f" * 40})
    world.cloud.devices[world.device.device_id].owner = "previous-owner@example.com"


def _key_mismatch(world: World) -> None:
    world.cloud.devices[world.device.device_id].public_key_der = public_key_der(new_device_key())


def _firmware_mismatch(world: World) -> None:
    world.device.modules_ok = False
    world.device.device_os = "1.4.4"
    # Built for 2.2.0, the Device OS that `particle update` (particle-cli 2.16.0) installs.
    world.device.firmware = Firmware(app="user", requires_device_os="2.2.0")


def _outage(world: World) -> None:
    world.cloud.outage = True


def _blocked_port(world: World) -> None:
    _home(world).port_5683_open = False


def _n_only(world: World) -> None:
    _home(world).n_only = True


def _dhcp(world: World) -> None:
    _home(world).dhcp_ok = False


def _weak_signal(world: World) -> None:
    _home(world).rssi = -88


def _weak_signal_1_4_4(world: World) -> None:
    # Device OS 1.4.4 prints module versions 1406/501 and still has net:rssi (dBm x 256) in `d`.
    _weak_signal(world)
    world.device.device_os = "1.4.4"


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "thread-dented-photon",
        "The thread's photon with a dented P0: blinks green, lists no access points, Tinker and the reset "
        "firmware changed nothing.",
        ("physical_damage",),
        _damaged,
        {
            "visible_damage": True,
            "fixes_tried_failed": TRIED_IN_THE_THREAD,
            "tinker_fixes": False,
            "history_non_automatic_mode": False,
        },
        fix="contact_support_replace",
        console=ConsoleFaults(damaged_after=3600.0),
    ),
    Scenario(
        "thread-owner-prompt-photon",
        "The thread's other unrepaired photon: its SoftAP shows up and the app offers to change the owner, "
        "but it never joins Wi-Fi, lists no networks, and Tinker changed nothing.",
        ("physical_damage",),
        _damaged,
        {
            "app_offers_owner_change": True,
            "setup_stalls_at": "connecting_to_wifi",
            "tinker_fixes": False,
            "fixes_tried_failed": TRIED_IN_THE_THREAD,
            "history_non_automatic_mode": False,
        },
        fix="contact_support_replace",
        console=ConsoleFaults(damaged_after=3600.0),
    ),
    Scenario(
        "thread-tinker-photon",
        "The thread's first two photons: stuck at 'Verifying product ownership', breathing white after a reboot; "
        "safe mode connects; Tinker fixed them.",
        ("user_firmware_blocks_connection",),
        _app_wifi_off,
        {
            "setup_stalls_at": "verifying_ownership",
            "safe_mode_connects": True,
            "fixes_tried_failed": ["relogin_cli"],
            "history_static_ip": True,
            "history_external_antenna": True,
        },
        fix="flash_tinker_usb",
    ),
    Scenario(
        "thread-second-poster",
        "The second poster's unit: joins the WLAN but never the cloud there, works on another WLAN, has a small "
        "dent, and reboots when the P0 is pressed.",
        ("physical_damage",),
        _marginal,
        {
            "visible_damage": True,
            "reboots_when_pressed": True,
            "other_network_works": True,
            "other_devices_same_network_work": True,
        },
        fix="contact_support_replace",
    ),
    Scenario(
        "static-ip",
        "A static IP for another network, left by old firmware.",
        ("static_ip_misconfigured",),
        _static_ip,
        {"history_static_ip": True},
        fix="use_dynamic_ip",
    ),
    Scenario(
        "external-antenna",
        "The external antenna is selected, but none is fitted.",
        ("external_antenna_selected",),
        _external_antenna,
        {"history_external_antenna": True, "external_antenna_fitted": False},
        fix="select_internal_antenna",
    ),
    Scenario(
        "network-5ghz",
        "The home network is 5 GHz only.",
        ("network_5ghz",),
        _5ghz,
        {},
        fix="use_2_4ghz_network",
    ),
    Scenario(
        "hidden-ssid",
        "The network is hidden, so the device never learned its security and cipher.",
        ("hidden_ssid",),
        _hidden,
        {"network_hidden": True},
        fix="broadcast_ssid_or_set_security_manually",
    ),
    Scenario(
        "wrong-password",
        "The router's password changed; the device keeps the old one.",
        ("wifi_credentials_wrong",),
        _wrong_password,
        {"recent_router_change": True},
        fix="set_wifi_credentials",
    ),
    Scenario(
        "wep-mixed-security",
        "The router runs WPA2 with WEP mixed in.",
        ("unsupported_security",),
        _wep_mixed,
        {},
        fix="change_router_security",
    ),
    Scenario(
        "wep-key-as-text",
        "The router uses WEP; its key was typed as text, which the device only takes in hex.",
        ("unsupported_security",),
        _wep_key_as_text,
        {"network_security": "wep"},
        fix="set_wifi_credentials",
        wifi_password=WEP_KEY,
    ),
    Scenario(
        "unusual-ssid",
        "The network name has an accent, an ampersand and quotes; set up over the "
        "SoftAP, the device read its quotes still escaped and refused a network it could not see.",
        ("ssid_or_password_characters",),
        _unusual_ssid,
        {"ssid_unusual_chars": True},
        fix="rename_ssid_or_password",
        ssid='Café & "Bar"',
    ),
    Scenario(
        "captive-portal",
        "The network needs a browser login first.",
        ("captive_portal",),
        _captive_portal,
        {},
        fix="use_other_network",
    ),
    Scenario(
        "unclaimed-device",
        "The device is claimed by nobody: setup stalls at verifying ownership.",
        ("ownership_mismatch",),
        _unclaimed,
        {"setup_stalls_at": "verifying_ownership"},
        fix="claim_device",
    ),
    Scenario(
        "someone-elses-device",
        "Another account owns the device (bought second-hand).",
        ("ownership_mismatch",),
        _someone_else,
        {"setup_stalls_at": "verifying_ownership", "app_offers_owner_change": True},
        fix="claim_device",
    ),
    Scenario(
        "invalid-token",
        "The command-line login has expired: listing and claiming fail.",
        ("cli_session_invalid",),
        _nothing,
        {},
        fix="relogin_cli",
        token="invalid",
    ),
    Scenario(
        "key-mismatch",
        "The device key does not match the one the cloud holds.",
        ("device_keys_mismatch",),
        _key_mismatch,
        {},
        fix="reset_keys",
    ),
    Scenario(
        "firmware-mismatch",
        "The app needs a newer Device OS than the device runs: safe mode.",
        ("system_firmware_mismatch",),
        _firmware_mismatch,
        {"recent_device_os_update": False},
        fix="update_device_os_usb",
    ),
    Scenario(
        "cloud-outage",
        "The Particle device cloud has an incident.",
        ("cloud_outage",),
        _outage,
        {"many_devices_failed_at_once": True, "other_devices_same_network_work": False},
        fix="wait_for_cloud_recovery",
    ),
    Scenario(
        "blocked-port",
        "The network's firewall blocks outbound TCP 5683.",
        ("port_blocked",),
        _blocked_port,
        {},
        fix="open_port_5683",
    ),
    Scenario(
        "module-drops-off-bus",
        "A damaged module that drops off the USB bus moments after it appears.",
        ("physical_damage",),
        _damaged,
        {"visible_damage": True, "reboots_when_pressed": True},
        fix="contact_support_replace",
        console=ConsoleFaults(damaged_after=0.3),
    ),
    Scenario(
        "n-only-router",
        "The router's 2.4 GHz radio is in 802.11n-only mode.",
        ("router_n_only_mode",),
        _n_only,
        {"network_n_only": True},
        fix="enable_router_bgn_mode",
    ),
    Scenario(
        "dhcp-exhausted",
        "The router's DHCP pool is full.",
        ("dhcp_problem",),
        _dhcp,
        {},
        fix="fix_dhcp_or_mac_filter",
    ),
    Scenario(
        "semi-automatic-app",
        "The app runs SEMI_AUTOMATIC and never calls Particle.connect().",
        ("user_firmware_blocks_connection",),
        _semi_automatic,
        {"history_non_automatic_mode": True, "safe_mode_connects": True},
        fix="flash_tinker_usb",
    ),
    Scenario(
        "weak-signal",
        "The device sits too far from the access point.",
        ("weak_signal",),
        _weak_signal,
        {},
        fix="improve_signal",
    ),
    Scenario(
        "weak-signal-device-os-1.4.4",
        "Too far from the access point, on a Photon still running "
        "Device OS 1.4.4 (the older signal readings).",
        ("weak_signal",),
        _weak_signal_1_4_4,
        {},
        fix="improve_signal",
    ),
)

DEFAULT_SCENARIO = "thread-dented-photon"


def scenario_names() -> list[str]:
    return [s.name for s in SCENARIOS]


def get_scenario(name: str) -> Scenario:
    """The scenario called ``name``. Raises KeyError listing the valid names (the closest first, as "did you
    mean"), with the name given echoed at most 60 characters long."""
    for s in SCENARIOS:
        if s.name == name:
            return s
    close = difflib.get_close_matches(name, scenario_names(), n=1)
    hint = f" Did you mean {close[0]}?" if close else ""
    raise KeyError(f"unknown scenario '{clipped(name)}'.{hint} Valid: {', '.join(scenario_names())}")


__all__ = ["ACCOUNT", "DEFAULT_SCENARIO", "SCENARIOS", "Scenario", "get_scenario", "scenario_names"]
