"""The SoftAP command set of a Photon in listening mode, over the shared :class:`World` (reference §3).

Both transports (HTTP on "port 80", raw TCP on "port 5609") run the same commands; this module is the part
they share: it turns a command name and a request body into the JSON reply the device sends, and changes the
world under its lock. The transports live in :mod:`photon_doctor.simulator.softap`.

Choices where the reference is silent or UNCONFIRMED (also in docs/protocols-softap.md):

* ``public-key`` pads the 162-byte SubjectPublicKeyInfo to 294 bytes with ``0xFF`` (erased flash, as the
  rest of an unwritten DCT area reads).
* A request the device cannot parse (not a JSON object, an unknown key, a value of the wrong kind) gets no
  JSON at all, as ``JSONCommand::execute`` skips the response when ``parse_request`` fails
  (:mod:`photon_doctor.simulator.softap_json`).
* ``configure-ap`` answers ``{"r":-1}`` without an SSID and ``{"r":-2}`` when ``pwd`` is not hex, does not
  decrypt with the device key or is not UTF-8 (the device's codes there are its RSA error numbers).
  Enterprise keys are parsed and ignored: the world does not model enterprise joins.
* ``set`` cuts the key to 2 and the value to 63 bytes and answers ``{"r":-1}`` unless the key is ``cc``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import padding
from photon_doctor.simulator.softap_json import atoi, parse_request
from photon_doctor.simulator.world import (
    Mode,
    StoredCredential,
    World,
    public_key_der,
    wiced_to_cipher,
    wiced_to_console_security,
)

#: ``EXTERNAL_FLASH_SERVER_PUBLIC_KEY_LENGTH``: the size of DCT ``device_public_key`` the device hex-dumps.
PUBLIC_KEY_BLOB_LENGTH = 294
#: What the DCT holds after the DER key: erased flash (our choice; reference says only "DCT padding").
PUBLIC_KEY_PAD_BYTE = 0xFF

#: Commands both transports serve; ``ant-*`` are TCP-only (reference §3).
COMMANDS = frozenset({"version", "device-id", "scan-ap", "configure-ap", "connect-ap", "public-key", "set"})
TCP_ONLY_COMMANDS = frozenset({"ant-internal", "ant-external"})

R_OK = 0
R_BAD_REQUEST = -1
R_DECRYPT_FAILED = -2

# Device-side truncation when credentials are stored (reference §7: wlan_hal.cpp).
_MAX_SSID_BYTES = 32
_MAX_PASSWORD_BYTES = 64


@dataclass(frozen=True)
class CommandResult:
    """The reply to one command: ``body`` is the JSON object to send (``None``: the command ran but sends no
    JSON, as after a request it cannot parse) and ``after`` says what the device does once the reply has
    gone out (``"exit_listening"`` or ``None``)."""

    body: dict[str, Any] | None
    after: str | None = None
    silent: bool = False  # not even the TCP "\n\n" preamble: a command the dispatcher does not run


def is_listening(world: World) -> bool:
    """True when the device is in listening mode, i.e. when its SoftAP exists at all."""
    with world.lock:
        return world.device.mode is Mode.LISTENING


def encode_json(obj: dict[str, Any]) -> bytes:
    """Serialise a reply compactly, as the device's JSON writer does (no spaces)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def run_command(world: World, command: str, body: bytes, *, tcp: bool = False) -> CommandResult | None:
    """Run one SoftAP command against the world.

    Returns ``None`` for an unknown command (HTTP answers 404; TCP closes the connection without a reply).
    Never raises for bad input: malformed bodies become non-zero ``r`` codes, as on the device.
    """
    if command == "version":
        return CommandResult({"v": 2})
    if command == "device-id":
        with world.lock:
            d = world.device
            return CommandResult({"id": d.device_id.upper(), "c": "1" if d.claimed_flag else "0"})
    if command == "scan-ap":
        return CommandResult({"scans": scan_entries(world)})
    if command == "public-key":
        return CommandResult({"b": public_key_blob(world).hex().upper(), "r": R_OK})
    if command == "configure-ap":
        return _result(configure_ap(world, body))
    if command == "connect-ap":
        # The index is ignored on the device too ("todo - parse index").
        return CommandResult({"r": R_OK}, after="exit_listening")
    if command == "set":
        return _result(set_value(world, body))
    if tcp and command in TCP_ONLY_COMMANDS:
        # wwd_wifi_select_antenna() on the radio only, nothing saved in the DCT; and on the Photon
        # WICED_ANTENNA_1 is the u.FL connector, so "ant-internal" selects the external one (wlan_hal.cpp).
        with world.lock:
            world.device.radio_antenna = "external" if command == "ant-internal" else "internal"
            world.events.append(f"softap: radio antenna -> {world.device.radio_antenna} until reset")
        return CommandResult(None, silent=True)
    return None


def _result(r: int | None) -> CommandResult:
    """A command's reply: ``{"r": r}``, or no JSON when the request did not parse."""
    return CommandResult(None) if r is None else CommandResult({"r": r})


def scan_entries(world: World) -> list[dict[str, Any]]:
    """The device's own scan: ``world.visible_networks()``, with the RSSI as measured at the device."""
    with world.lock:
        return [
            {
                "ssid": ap.ssid,
                "rssi": world.effective_rssi(ap),
                "sec": ap.security,
                "ch": ap.channel,
                "mdr": ap.mdr,
            }
            for ap in world.visible_networks()
            if ap.ssid  # the device skips empty SSIDs
        ]


def public_key_blob(world: World) -> bytes:
    """DCT ``device_public_key`` as the device dumps it: SPKI DER then padding, 294 bytes in all."""
    with world.lock:
        der = public_key_der(world.device.private_key)
    return der + bytes([PUBLIC_KEY_PAD_BYTE]) * (PUBLIC_KEY_BLOB_LENGTH - len(der))


#: The keys each JSON-request command knows, True for a string value, False for a primitive (softap.cpp).
CONFIGURE_KEYS = {
    "idx": False,
    "ssid": True,
    "pwd": True,
    "ch": False,
    "sec": False,
    "eap": False,
    "oi": True,
    "ii": True,
    "crt": True,
    "ek": True,
    "key": True,
    "ca": True,
}
SET_KEYS = {"k": True, "v": True}
#: ``SetValueCommand``: ``strncpy`` into 3- and 64-byte buffers, then the last byte is cut: 2 and 63 bytes.
_SET_KEY_BYTES, _SET_VALUE_BYTES = 2, 63


def _truncate_utf8(text: str, limit: int) -> str:
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def configure_ap(world: World, body: bytes) -> int | None:
    """Decrypt and store the credentials of a ``configure-ap`` request; return the device's ``r`` code, or
    None when the request does not parse (the device then sends no JSON at all)."""
    req = parse_request(body, CONFIGURE_KEYS)
    if req is None:
        return None
    ssid = req["ssid"].text if "ssid" in req else ""
    sec = atoi(req["sec"].text) if "sec" in req else 0
    if not ssid:
        return R_BAD_REQUEST  # wlan_set_credentials() refuses an empty SSID
    password = req["pwd"].text if "pwd" in req else ""
    if len(password) // 2:  # the device decrypts any pwd of two characters or more
        try:
            ciphertext = bytes.fromhex(password)  # accepts both cases, like the device's hex_nibble()
        except ValueError:
            return R_DECRYPT_FAILED
        with world.lock:
            device_key = world.device.private_key
        try:
            password = device_key.decrypt(ciphertext, padding.PKCS1v15()).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return R_DECRYPT_FAILED
    cred = StoredCredential(
        ssid=_truncate_utf8(ssid, _MAX_SSID_BYTES),  # raw: a \" stays a backslash and a quote
        password=_truncate_utf8(password, _MAX_PASSWORD_BYTES),
        security=wiced_to_console_security(sec),
        cipher=wiced_to_cipher(sec),
    )
    world.set_credentials(cred)
    return R_OK


def set_value(world: World, body: bytes) -> int | None:
    """Handle ``set``: key cut to 2 bytes and value to 63, then only ``cc`` (the claim code) is known.
    Returns the device's ``r`` code, or None when the request does not parse (no JSON sent)."""
    req = parse_request(body, SET_KEYS)
    if req is None:
        return None
    key = _truncate_utf8(req["k"].text, _SET_KEY_BYTES) if "k" in req else ""
    value = _truncate_utf8(req["v"].text, _SET_VALUE_BYTES) if "v" in req else ""
    if key != "cc" or not value:
        return R_BAD_REQUEST
    with world.lock:
        world.device.claim_code = value
        world.events.append("softap: claim code set")  # never the code itself: it is a secret
    return R_OK


def exit_listening(world: World) -> None:
    """What ``softap_complete`` does once ``connect-ap`` is answered: leave listening mode and connect."""
    world.exit_listening()
