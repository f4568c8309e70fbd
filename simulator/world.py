"""The simulated world behind every simulator: one Photon, the Wi-Fi around it, and the Particle cloud.

The USB serial console, the SoftAP servers and the cloud API all read and change this one model, under its
lock, so that what a probe reads and what an action changes stay consistent and a fix can be verified.
``World.boot()`` is the "physics": given the device's persistent settings and the environment, it decides the
mode the device ends in and its LED pattern (the contract's ``led_pattern`` values).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from cryptography.hazmat.primitives.asymmetric import rsa

# Console security values (WLanSecurityType) and cipher values (WLanSecurityCipher), reference §2.1.
SEC_UNSEC, SEC_WEP, SEC_WPA, SEC_WPA2, SEC_WPA_ENT, SEC_WPA2_ENT = 0, 1, 2, 3, 4, 5
SEC_NOT_SET = 0xFF
CIPHER_NOT_SET, CIPHER_AES, CIPHER_TKIP, CIPHER_AES_TKIP = 0, 1, 2, 3

# WICED security bitmask (the SoftAP `sec` field), reference §3.
WICED_OPEN = 0
WICED_WEP_PSK = 0x0001
WICED_WEP_SHARED = 0x8001
WICED_WPA_TKIP = 0x00200002
WICED_WPA_AES = 0x00200004
WICED_WPA_MIXED = 0x00200006
WICED_WPA2_AES = 0x00400004
WICED_WPA2_TKIP = 0x00400002
WICED_WPA2_MIXED = 0x00400006
WICED_WPA2_ENT_AES = 0x02400004
WICED_UNKNOWN = -1


class Mode(str, Enum):
    """What the device is doing."""

    LISTENING = "listening"  # blinking dark blue; serial console and SoftAP active
    CONNECTING = "connecting"  # trying Wi-Fi or the cloud, never finishing
    CONNECTED = "connected"  # breathing cyan
    APP_OFFLINE = "app_offline"  # user firmware keeps Wi-Fi or the cloud off (breathing white / green)
    SAFE_MODE = "safe_mode"  # breathing magenta: cloud connected, user app not running
    DFU = "dfu"  # blinking yellow; the bootloader's DFU interface (2b04:d006)
    OFF = "off"  # unpowered, or gone from the USB bus


@dataclass
class AccessPoint:
    """A Wi-Fi network the device could see. ``channel > 14`` means 5 GHz (invisible to the Photon)."""

    ssid: str
    password: str | None = None  # None for open networks
    security: int = WICED_WPA2_AES  # WICED bitmask as the device's scan reports it
    channel: int = 6
    rssi: int = -55
    hidden: bool = False
    n_only: bool = False
    wpa3: bool = False  # WPA3 / transition: the Photon cannot join it
    mixed_wep: bool = False  # WPA2/WEP mixed mode: the Photon cannot join it reliably
    captive_portal: bool = False
    internet: bool = True
    port_5683_open: bool = True
    dhcp_ok: bool = True
    subnet: str = "192.168.1."  # a static IP outside this prefix does not work on this network
    mdr: int = 72200  # max data rate the scan reports

    @property
    def is_5ghz(self) -> bool:
        return self.channel > 14


@dataclass
class StoredCredential:
    """One of up to five stored networks (DCT ``stored_ap_list``)."""

    ssid: str
    password: str
    security: int = SEC_WPA2  # console value; SEC_NOT_SET if it could not be learned
    cipher: int = CIPHER_AES


@dataclass
class Firmware:
    """The user application and how it behaves."""

    app: str = "tinker"  # "tinker", "user", "reset_settings", "doctor"
    system_mode: str = "AUTOMATIC"  # AUTOMATIC | SEMI_AUTOMATIC | MANUAL
    wifi_off: bool = False  # the app calls WiFi.off() or never WiFi.connect()
    blocks_loop: bool = False
    requires_device_os: str = "0.4.9"  # the Device OS the app was built for


@dataclass
class Device:
    """The Photon's persistent and volatile state."""

    device_id: str
    mac: str
    private_key: rsa.RSAPrivateKey
    device_os: str = "2.3.1"
    platform_id: int = 6
    mode: Mode = Mode.CONNECTING
    led: str = "blinking_green"
    credentials: list[StoredCredential] = field(default_factory=list)
    credentials_changed_in_listening: bool = False
    antenna: str = "internal"  # internal | external | auto (DCT antenna_selection)
    radio_antenna: str | None = None  # SoftAP ant-*: the radio's antenna until the next reset, not saved
    ip_mode: str = "dynamic"  # dynamic | static (DCT ip_config)
    static_ip: tuple[str, str, str, str] = ("0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0")
    claim_code: str | None = None  # DCT claim_code (a secret: never printed by photon-doctor)
    claimed_flag: bool = False  # DCT claimed
    server_key_ok: bool = True  # the server public key in DCT is the cloud's
    modules_ok: bool = True  # system part / bootloader dependencies satisfied
    firmware: Firmware = field(default_factory=Firmware)
    eeprom_clear: bool = True
    softap_prefix: str = "Photon"
    device_code: str = "7GXQ2B"
    damaged: bool = False  # the P0 module: radio dead, USB drops off the bus under load
    external_antenna_fitted: bool = False
    marginal_module: bool = (
        False  # a slightly damaged P0: joins Wi-Fi, but a weak link never carries the cloud
    )
    interference: bool = False  # busy 2.4 GHz transmitters nearby
    weak_power: bool = False  # brown-outs on Wi-Fi current peaks
    os_bug: bool = False  # a Device OS bug that a newer release fixes
    fixed_os_version: str = "2.3.1"  # the release that fixes os_bug
    ota_stuck: bool = False  # an OTA system update that never completes
    dct_corrupt: bool = False
    cloud_errors: int = 0
    serial_number: str | None = None  # printed by the `i` command from Device OS 1.4.1 (reference §2.1)
    device_secret: str | None = None  # a secret: printed by `i` from 1.4.1, never by photon-doctor


@dataclass
class Account:
    """A Particle account, its tokens (secrets) and the devices it owns."""

    username: str
    tokens: set[str] = field(default_factory=set)


@dataclass
class CloudDevice:
    """The cloud's record of one device."""

    device_id: str
    owner: str | None
    name: str
    public_key_der: bytes  # the device public key the cloud expects
    online: bool = False
    last_heard: float | None = None
    last_ip_address: str | None = None
    system_firmware_version: str = "2.3.1"
    vitals: dict[str, object] = field(default_factory=dict)
    product_id: int | None = None  # a product the device is in; None: a developer device (reports platform 6)
    variables: dict[str, object] = field(default_factory=dict)  # cloud variables the firmware registers
    notes: str | None = None  # the owner's notes on the device (PAJS setDeviceNotes)


@dataclass
class Cloud:
    """The Particle device cloud as the simulator sees it."""

    accounts: dict[str, Account] = field(default_factory=dict)
    devices: dict[str, CloudDevice] = field(default_factory=dict)
    claim_codes: dict[str, str] = field(default_factory=dict)  # claim code -> username
    outage: bool = False

    def account_for_token(self, token: str) -> Account | None:
        for acct in self.accounts.values():
            if token in acct.tokens:
                return acct
        return None

    def new_claim_code(self, username: str) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+"
        code = "".join(secrets.choice(alphabet) for _ in range(63))
        self.claim_codes[code] = username
        return code


def new_device_key() -> rsa.RSAPrivateKey:
    """A fresh RSA-1024 device key, as `particle keys doctor` makes one (openssl genrsa 1024)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


@dataclass
class World:
    """The device, the networks around it and the cloud, under one lock."""

    device: Device
    cloud: Cloud
    networks: list[AccessPoint] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    clock: float = field(default_factory=time.time)
    events: list[str] = field(default_factory=list)  # what happened, for tests and the simulate command
    host_ssid: str = ""  # the network the person's laptop is on (what the host-network probe sees)
    #: Called (under the lock) after every mode change, e.g. to bring the SoftAP's ports up at once.
    watchers: list[Callable[[], None]] = field(default_factory=list, repr=False, compare=False)

    def _changed(self) -> None:
        for watcher in list(self.watchers):
            watcher()

    # --- the physics -------------------------------------------------------------------------------------
    def visible_networks(self) -> list[AccessPoint]:
        """What the device's own scan finds: 2.4 GHz only, not hidden, within reach of the selected antenna."""
        d = self.device
        if d.damaged:
            return []
        result = []
        for ap in self.networks:
            if ap.is_5ghz or ap.hidden:
                continue
            rssi = self.effective_rssi(ap)
            if rssi < -92:
                continue
            result.append(ap)
        return result

    def effective_rssi(self, ap: AccessPoint) -> int:
        """RSSI at the device: an external antenna selected with none fitted loses about 45 dB."""
        d = self.device
        rssi = ap.rssi
        if (d.radio_antenna or d.antenna) == "external" and not d.external_antenna_fitted:
            rssi -= 45
        if d.interference:
            rssi -= 12
        return rssi

    def boot(self) -> None:
        """Power-up or reset: run the connection sequence and settle on a mode and LED pattern."""
        with self.lock:
            self._settle()
            self.events.append(f"boot -> {self.device.mode.value} ({self.device.led})")
            self._changed()

    def retry_cloud(self) -> None:
        """A device still trying to reach the cloud tries again, as Device OS keeps retrying the connection
        after a failed handshake (no reset): e.g. once the cloud has its new public key."""
        with self.lock:
            d = self.device
            if d.mode is not Mode.CONNECTING:
                return
            antenna = d.radio_antenna
            self._settle()
            d.radio_antenna = antenna
            self.events.append(f"retried the cloud -> {d.mode.value} ({d.led})")
            self._changed()

    def enter_listening(self) -> None:
        with self.lock:
            self._go_offline()
            self.device.mode = Mode.LISTENING
            self.device.led = "blinking_blue"
            self.device.credentials_changed_in_listening = False
            self.events.append("listening mode")
            self._changed()

    def exit_listening(self) -> None:
        """Leave listening mode: connect if there are credentials (reference §2.1)."""
        with self.lock:
            self._settle()
            d = self.device
            if d.credentials_changed_in_listening and d.mode is Mode.CONNECTING and d.led in JOIN_FAILED:
                # WLAN_LISTEN_ON_FAILED_CONNECT: new credentials that do not work send it back to listening.
                # Device OS v2.3.1 wlan_connect_finalize() (hal/src/photon/wlan_hal.cpp) reports a failed join
                # and a failed DHCP alike (HAL_NET_notify_dhcp(false)), and notify_dhcp(false)
                # (system/src/system_network_internal.h) then calls listen().
                d.mode = Mode.LISTENING
                d.led = "green_then_blinking_blue"
            d.credentials_changed_in_listening = False
            self.events.append(f"exit listening -> {d.mode.value} ({d.led})")
            self._changed()

    def enter_dfu(self) -> None:
        with self.lock:
            self._go_offline()
            self.device.mode = Mode.DFU
            self.device.led = "blinking_yellow"
            self.events.append("DFU mode")
            self._changed()

    def drop_off_bus(self) -> None:
        """The module falls off the USB bus (a damaged P0 browning out): the device is gone until powered again."""
        with self.lock:
            self._go_offline()
            self.device.mode = Mode.OFF
            self.device.led = "off"
            self.events.append("dropped off the USB bus")
            self._changed()

    def set_credentials(self, cred: StoredCredential) -> None:
        """Store credentials: same SSID replaced, newest first, at most five (reference §7)."""
        with self.lock:
            d = self.device
            d.credentials = [c for c in d.credentials if c.ssid != cred.ssid]
            d.credentials.insert(0, cred)
            del d.credentials[5:]
            d.credentials_changed_in_listening = True
            self.events.append(f"credentials stored for {cred.ssid!r}")

    def clear_credentials(self) -> None:
        with self.lock:
            self.device.credentials = []
            self.events.append("credentials cleared")

    def _go_offline(self) -> None:
        cd = self.cloud.devices.get(self.device.device_id)
        if cd is not None:
            cd.online = False

    def _settle(self) -> None:
        d = self.device
        d.radio_antenna = None  # a reset or a new connection applies the DCT's antenna_selection again
        self._go_offline()
        if d.mode is Mode.OFF and d.damaged:
            return
        if not d.modules_ok or d.dct_corrupt:
            # An application whose dependencies fail does not run: safe mode, if the network allows.
            led, mode = self._network_outcome()
            if mode is Mode.CONNECTED:
                d.mode, d.led = Mode.SAFE_MODE, "breathing_magenta"
                self._mark_online()
            else:
                d.mode, d.led = mode, led
            return
        fw = d.firmware
        if fw.wifi_off:
            d.mode, d.led = Mode.APP_OFFLINE, "breathing_white"
            return
        if fw.system_mode != "AUTOMATIC":
            d.mode, d.led = Mode.APP_OFFLINE, "breathing_green" if d.credentials else "breathing_white"
            return
        if d.ota_stuck:
            d.mode, d.led = Mode.CONNECTING, "blinking_magenta"
            return
        led, mode = self._network_outcome()
        if mode is Mode.CONNECTED and fw.blocks_loop:
            d.mode, d.led = Mode.APP_OFFLINE, "breathing_green"
            return
        d.mode, d.led = mode, led
        if mode is Mode.CONNECTED:
            self._mark_online()

    def _mark_online(self) -> None:
        d = self.device
        cd = self.cloud.devices.get(d.device_id)
        if cd is None:
            return
        cd.online = True
        cd.last_heard = time.time()
        cd.system_firmware_version = d.device_os
        if d.claim_code:
            owner = self.cloud.claim_codes.pop(d.claim_code, None)
            if owner is not None and cd.owner is None:
                cd.owner = owner
                d.claimed_flag = True
            d.claim_code = None

    def _network_outcome(self) -> tuple[str, Mode]:
        """Try the stored networks in order; return (LED pattern, mode)."""
        d = self.device
        if not d.credentials:
            return "blinking_blue", Mode.LISTENING
        if d.damaged or d.weak_power:
            return "blinking_green", Mode.CONNECTING
        by_ssid = {ap.ssid: ap for ap in self.networks}
        visible = {ap.ssid for ap in self.visible_networks()}
        for cred in d.credentials:
            ap = by_ssid.get(cred.ssid)
            if ap is None or ap.is_5ghz:
                continue
            if ap.hidden and cred.security == SEC_NOT_SET:
                continue  # could not learn its security: never joins
            if not ap.hidden and cred.ssid not in visible:
                continue
            if self.effective_rssi(ap) < -85:
                continue
            if not self._security_ok(ap, cred):
                continue
            # Joined the network.
            if not ap.dhcp_ok and d.ip_mode == "dynamic":
                return "fast_blinking_green", Mode.CONNECTING
            if d.ip_mode == "static" and not d.static_ip[0].startswith(ap.subnet):
                return "cyan_then_orange_2", Mode.CONNECTING
            if ap.captive_portal or not ap.internet:
                return "cyan_then_orange_2", Mode.CONNECTING
            if not ap.port_5683_open:
                return "cyan_then_orange_3", Mode.CONNECTING
            if self.cloud.outage:
                return "blinking_cyan", Mode.CONNECTING
            if not d.server_key_ok:
                return "cyan_then_orange_1", Mode.CONNECTING
            cd = self.cloud.devices.get(d.device_id)
            if cd is None or cd.public_key_der != public_key_der(d.private_key):
                return "cyan_then_red", Mode.CONNECTING
            if d.marginal_module and self.effective_rssi(ap) < -60:
                return "blinking_cyan", Mode.CONNECTING
            if d.os_bug:
                return "fast_blinking_cyan", Mode.CONNECTING
            return "breathing_cyan", Mode.CONNECTED
        return "blinking_green", Mode.CONNECTING

    def _security_ok(self, ap: AccessPoint, cred: StoredCredential) -> bool:
        d = self.device
        if ap.wpa3 or ap.mixed_wep:
            return False
        if ap.n_only and version_tuple(d.device_os) >= (0, 7, 0):
            return False
        if ap.security & 0x02000000:  # enterprise: needs an enterprise set-up the simulator does not model
            return False
        if ap.password is None:
            return cred.security in (SEC_UNSEC, SEC_NOT_SET)
        expected = wiced_to_console_security(ap.security)
        if expected == SEC_WEP:
            return cred.security in (SEC_WEP, SEC_NOT_SET) and wep_key_as_stored(
                cred.password
            ) == wep_router_key(ap.password)
        if cred.password != ap.password:
            return False
        return cred.security in (expected, SEC_NOT_SET) or (expected == SEC_WPA and cred.security == SEC_WPA2)


#: LED patterns of a device whose Wi-Fi join failed: it could not associate, or it got no address by DHCP.
JOIN_FAILED = frozenset({"blinking_green", "fast_blinking_green"})


def wep_key_as_stored(password: str) -> bytes | None:
    """What the device keeps of a WEP password (Device OS v0.6.4 ``hal/src/photon/wlan_hal.cpp``,
    ``wlan_set_credentials_internal``): a password whose first byte is above 4 (text, not a key index) is
    hex-decoded into the WICED key (index, length, bytes); None when that decoding fails (garbled key)."""
    raw = password.encode("utf-8", "surrogateescape")
    if len(raw) > 1 and raw[0] > 4:
        try:
            return bytes.fromhex(password)
        except ValueError:
            return None
    return raw


def wep_router_key(key: str) -> bytes:
    """The WICED key a WEP router's key stands for: key 0, its length, its bytes (5 or 13 characters of text, or
    10 or 26 hex digits as routers also show it)."""
    if len(key) in (10, 26):
        try:
            raw = bytes.fromhex(key)
        except ValueError:
            raw = key.encode("ascii", "replace")
    else:
        raw = key.encode("ascii", "replace")
    return bytes([0, len(raw)]) + raw


def wiced_to_console_security(sec: int) -> int:
    """`toSecurityType()` of the device (reference §3): WPA is checked before WPA2."""
    if sec == 0:
        return SEC_UNSEC
    if sec & 0x0001:
        return SEC_WEP
    if sec & 0x02000000:
        return SEC_WPA2_ENT if sec & 0x00400000 else SEC_WPA_ENT
    if sec & 0x00200000:
        return SEC_WPA
    if sec & 0x00400000:
        return SEC_WPA2
    return SEC_NOT_SET


def wiced_to_cipher(sec: int) -> int:
    aes, tkip = bool(sec & 0x0004), bool(sec & 0x0002)
    if aes and tkip:
        return CIPHER_AES_TKIP
    if tkip:
        return CIPHER_TKIP
    if aes:
        return CIPHER_AES
    return CIPHER_NOT_SET


def version_tuple(version: str) -> tuple[int, ...]:
    """'1.5.2' -> (1, 5, 2); a pre-release suffix is ignored."""
    core = version.split("-", 1)[0].split("+", 1)[0]
    return tuple(int(p) for p in core.split(".") if p.isdigit())


def public_key_der(key: rsa.RSAPrivateKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
