"""Fixes that talk to the device in listening mode: Wi-Fi credentials (USB serial `w` dialog, or SoftAP
``configure-ap`` + ``connect-ap``) and entering listening mode itself (reference §2, §3).

The security and cipher are always given explicitly, taken in this order from: the device's own scan (SoftAP
``scan-ap``), this computer's view of the same network, the diagnosis' ``network_security``, the person, and
last WPA2 with AES. The Wi-Fi password is asked of the person, as a secret, before anything is touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from photon_doctor.actions.errors import ActionFailed, CommandFailed, DeviceGone, NeedsPerson
from photon_doctor.actions.rig import Rig, Workbench, identify_step, listening_step
from photon_doctor.foundation.redact import MASK, register_secret
from photon_doctor.probes.base import ProbeFailure

SECURITY_NAMES = {0: "unsecured", 1: "WEP", 2: "WPA", 3: "WPA2", 4: "WPA Enterprise", 5: "WPA2 Enterprise"}
CIPHER_NAMES = {1: "AES", 2: "TKIP", 3: "AES+TKIP"}
#: ``network_security`` values -> (console security, cipher, SoftAP WICED code); None: cannot be automated.
_BY_NAME: dict[str, tuple[int, int, int] | None] = {
    "open": (0, 1, 0),
    "wep": (1, 1, 0x0001),
    "wpa_psk": (2, 2, 0x00200002),
    "wpa2_psk": (3, 1, 0x00400004),
    "wpa_wpa2_mixed": (3, 3, 0x00400006),
    "wpa2_wep_mixed": (3, 1, 0x00400004),
    "wpa2_enterprise": None,
    "wpa3": None,
}
_ASK = {"1": "wpa2_psk", "2": "wpa_psk", "3": "wpa_wpa2_mixed", "4": "wep", "5": "open"}
_ASK_MEANING = {
    "1": "WPA2 (most home routers)",
    "2": "WPA",
    "3": "WPA/WPA2 mixed",
    "4": "WEP",
    "5": "open (no password)",
}


@dataclass(frozen=True)
class Security:
    """How to describe the network to the device."""

    console: int  # the `w` dialog's security number
    cipher: int  # the `w` dialog's cipher number
    wiced: int  # the SoftAP ``sec`` code
    channel: int  # the SoftAP ``ch`` (0 when unknown)
    source: str  # where this came from, in words

    def describe(self) -> str:
        return f"{SECURITY_NAMES[self.console]}, cipher {CIPHER_NAMES[self.cipher]} ({self.source})"


def _from_wiced(sec: int) -> tuple[int, int]:
    """The device's own mapping (reference §3 ``toSecurityType``): WPA is checked before WPA2."""
    if sec == 0:
        return 0, 1
    if sec & 0x0001:
        return 1, 1
    if sec & 0x02000000:
        return (5 if sec & 0x00400000 else 4), 1
    security = 2 if sec & 0x00200000 else 3
    aes, tkip = bool(sec & 0x0004), bool(sec & 0x0002)
    return security, 3 if aes and tkip else 2 if tkip else 1


def known_security(rig: Rig, ssid: str) -> Security | None:
    """The network's security from what was probed, or None when nothing says."""
    scans = [s for s in rig.facts.get("scan") or [] if isinstance(s, dict) and s.get("ssid") == ssid]
    scans = [s for s in scans if isinstance(s.get("sec"), int) and s["sec"] >= 0]
    if scans:
        best = max(scans, key=lambda s: s.get("rssi", -200))
        console, cipher = _from_wiced(best["sec"])
        return Security(
            console, cipher, best["sec"], int(best.get("channel") or 0), "from the device's own scan"
        )
    wifi: Any = rig.facts.get("wifi")
    if isinstance(wifi, dict) and wifi.get("ssid") == ssid and wifi.get("security") in _BY_NAME:
        return _named(str(wifi["security"]), "as this computer sees the network")
    value = rig.observations.get("network_security")
    if isinstance(value, str) and value in _BY_NAME:
        return _named(value, "from the diagnosis")
    return None


def _named(name: str, source: str) -> Security:
    found = _BY_NAME[name]
    if found is None:
        raise ActionFailed(
            f"the network uses {name.replace('_', ' ')}, which photon-doctor cannot set up automatically: "
            "follow the steps by hand"
        )
    return Security(found[0], found[1], found[2], 0, source)


_HEX = frozenset("0123456789abcdefABCDEF")


def wep_key_for_device(key: str) -> str:
    """A WEP key in the only form the device takes: hex of key index, key length and the key's bytes.

    Device OS hex-decodes a WEP password whose first byte is not a key index (v0.6.4
    ``hal/src/photon/wlan_hal.cpp``, ``wlan_set_credentials_internal``) into the WICED key (index, length,
    bytes): typed as text, the key is stored garbled. Accepted: 5 or 13 characters (64/128-bit as text), 10 or 26
    hex digits (as routers show it), or the device form already (``00`` to ``03``, the length, the key in hex).
    Raises ActionFailed for anything else.
    """
    if len(key) in (5, 13) and key.isascii() and key.isprintable():
        raw = key.encode("ascii")
    elif len(key) in (10, 26) and set(key) <= _HEX:
        raw = bytes.fromhex(key)
    elif (
        len(key) in (14, 30)
        and set(key) <= _HEX
        and key[:2] in ("00", "01", "02", "03")
        and int(key[2:4], 16) == (len(key) - 4) // 2
    ):
        return key.upper()
    else:
        raise ActionFailed(
            "a WEP key is 5 or 13 characters, or 10 or 26 hexadecimal digits: check the key in the router's settings"
        )
    return f"00{len(raw):02X}{raw.hex().upper()}"


@dataclass(frozen=True)
class WifiPlan:
    """The network to join, how it is secured, and its password (a secret)."""

    ssid: str
    security: Security
    password: str | None = field(repr=False)


def gather_wifi(wb: Workbench) -> WifiPlan:
    """The network, its security and the password: asked before anything is touched. Raises NeedsPerson."""
    rig = wb.rig
    ssid = rig.ssid
    if not ssid:
        wifi: Any = rig.facts.get("wifi")
        here = str(wifi["ssid"]) if isinstance(wifi, dict) and wifi.get("ssid") else None
        offer = f" (Enter: {here!r}, the network this computer is on)" if here else ""
        ssid = wb.person.ask(f"Which Wi-Fi network (SSID) should the device join?{offer}") or here
        if not ssid:
            raise NeedsPerson("the Wi-Fi network's name is unknown: pass --ssid")
        if not wb.person.interactive:
            wb.say(f"joining {ssid!r}, the network this computer is on")
        rig.ssid = ssid
    security = known_security(rig, ssid)
    if security is None:
        choice = wb.person.choose(f"What security does {ssid!r} use?", _ASK_MEANING)
        security = (
            _named(_ASK[choice], "as you said")
            if choice
            else Security(3, 1, 0x00400004, 0, "assumed: nothing said otherwise")
        )
    password = None
    if security.console != 0:
        password = wb.person.secret("wifi_password", f"Wi-Fi password for {ssid!r}")
        if password is None:
            raise NeedsPerson(f"the Wi-Fi password for {ssid!r} is needed: run without --no-input to type it")
        if security.console == 1:
            password = wep_key_for_device(password)
            register_secret(password)
            wb.say("the WEP key is given in the hex form the device takes (key index, length, key)")
    wb.say(f"network {ssid!r}: {security.describe()}")
    return WifiPlan(ssid, security, password)


def wifi_step(port: str, ssid: str, security: Security | None) -> str:
    """The `w` dialog as a protocol step (the password masked)."""
    sec = f"{security.console} ({SECURITY_NAMES[security.console]})" if security else "(as found)"
    cipher = f"{security.cipher} ({CIPHER_NAMES[security.cipher]})" if security else "(as found)"
    return (
        f"serial {port}: w -> SSID: {ssid}; Security: {sec} if asked; Cipher: {cipher} if asked; "
        f"Password: {MASK}"
    )


def serial_wifi(wb: Workbench, plan: WifiPlan) -> str:
    """Listening mode, then the `w` dialog; saving ends listening mode (the device goes to connect)."""
    wb.enter_listening()
    port = wb.port()
    wb.note(wifi_step(port, plan.ssid, plan.security))
    console = wb.console()
    try:
        console.open()
        wb.in_dialog = True
        result = console.set_wifi(plan.ssid, plan.password, plan.security.console, plan.security.cipher)
    except ValueError as exc:
        wb.in_dialog = False  # refused before anything was sent
        raise ActionFailed(f"the device cannot take these credentials: {exc}") from None
    except ProbeFailure as exc:
        raise DeviceGone(f"the 'w' dialog broke off: {exc}") from None
    finally:
        console.close()
    wb.in_dialog = False  # the dialog ended, saved or not
    if not result.saved:
        raise CommandFailed('the device could not save the credentials (it said "Derp. Sorry...")')
    wb.in_listening = False  # saving the credentials ends listening mode on the device itself
    how = (
        "the device found the network in its own scan"
        if result.found_by_device
        else "security and cipher given"
    )
    return f"Wi-Fi credentials for {plan.ssid!r} saved over USB serial ({how}); the device is connecting"


def softap_wifi(wb: Workbench, plan: WifiPlan) -> str:
    """``public-key``, ``configure-ap`` (password RSA-encrypted), ``connect-ap``: the device must be in listening
    mode and this computer on its Photon-XXXXXX network."""
    from photon_doctor.probes.softap import SoftAPClient, SoftAPUnreachable

    url = wb.rig.softap_url
    assert url is not None
    client = SoftAPClient(url, timeout=wb.rig.timing.network_timeout)
    sec = plan.security
    try:
        if sec.console != 0:
            wb.note(f"SoftAP {url}: GET /public-key (the device's RSA key)")
            client.public_key()
        pwd = f', "pwd": "{MASK} (RSA-encrypted)"' if sec.console != 0 else ""
        wb.note(
            f'SoftAP {url}: POST /configure-ap {{"idx": 0, "ssid": "{plan.ssid}"{pwd}, "sec": {sec.wiced}, '
            f'"ch": {sec.channel}}}'
        )
        client.configure_ap(plan.ssid, plan.password, sec.wiced, sec.channel)
        wb.note(f'SoftAP {url}: POST /connect-ap {{"idx": 0}}')
        client.connect_ap()
    except ValueError as exc:  # refused before it was sent (too long, control characters, not text)
        raise ActionFailed(f"the device cannot take these credentials: {exc}") from None
    except SoftAPUnreachable as exc:
        raise DeviceGone(str(exc)) from None
    except ProbeFailure as exc:
        raise CommandFailed(str(exc)) from None
    return f"Wi-Fi credentials for {plan.ssid!r} sent over the device's SoftAP; the device is connecting"


def _has_serial(rig: Rig) -> bool:
    return rig.serial_port is not None or rig.locate_port is not None


def set_wifi_credentials(wb: Workbench) -> str:
    """Give the device the network's credentials: over USB serial when there is a port, else over its SoftAP."""
    plan = gather_wifi(wb)
    if _has_serial(wb.rig):
        try:
            wb.port()
        except DeviceGone:
            if not wb.rig.softap_url:
                raise
        else:
            return serial_wifi(wb, plan)
    if not wb.rig.softap_url:
        raise DeviceGone(
            "neither a serial port nor the device's SoftAP is known: connect it by USB (--port), or "
            "join its Photon-XXXXXX Wi-Fi and pass --softap-url http://192.168.0.1"
        )
    wb.say(
        "no serial port: using the device's SoftAP (it must blink dark blue; this computer on its Photon-XXXXXX "
        "network)"
    )
    return softap_wifi(wb, plan)


def preview_set_wifi(rig: Rig) -> list[str]:
    """The steps of :func:`set_wifi_credentials` (serial when a port is known, else SoftAP)."""
    ssid = rig.ssid or "<the network, asked>"
    try:
        security = known_security(rig, ssid)
    except ActionFailed as exc:
        return [f"(stops here: {exc.message})"]
    port = rig.serial_port or "<serial port>"
    if _has_serial(rig) or not rig.softap_url:
        return [listening_step(port), identify_step(port), wifi_step(port, ssid, security)]
    url = rig.softap_url
    return [
        f"SoftAP {url}: GET /public-key",
        f'SoftAP {url}: POST /configure-ap {{"ssid": "{ssid}", "pwd": "{MASK}"}}',
        f'SoftAP {url}: POST /connect-ap {{"idx": 0}}',
    ]


def enter_listening(wb: Workbench) -> str:
    """Put the device in listening mode (the 28800-baud switch) and check that its console answers."""
    wb.enter_listening()
    return "the device is in listening mode (blinking dark blue), ready for setup"


def preview_enter_listening(rig: Rig) -> list[str]:
    """The steps of :func:`enter_listening`."""
    port = rig.serial_port or "<serial port>"
    return [listening_step(port), identify_step(port)]
