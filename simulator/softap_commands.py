"""The SoftAP command set of a Photon in listening mode, over the shared :class:`World` (reference §3).

Both transports (HTTP on "port 80", raw TCP on "port 5609") run the same commands; this module is the part
they share: it turns a command name and a request body into the JSON reply the device sends, and changes the
world under its lock. The transports live in :mod:`photon_doctor.simulator.softap`.

Choices where the reference is silent or UNCONFIRMED (also in docs/protocols-softap.md):

* ``public-key`` pads the 162-byte SubjectPublicKeyInfo to 294 bytes with ``0xFF`` (erased flash, as the
  rest of an unwritten DCT area reads).
* ``configure-ap`` answers ``{"r":-1}`` for a malformed request (not JSON, not an object, no or a
  non-string ``ssid``, non-integer ``sec``/``ch``/``idx``, ``pwd`` not hex) and ``{"r":-2}`` when ``pwd``
  does not decrypt with the device key or is not UTF-8. Enterprise keys (``eap``, ``oi``, ``ii``, ``crt``,
  ``ek``, ``key``, ``ca``) are accepted and ignored: the world does not model enterprise joins.
* ``set`` answers ``{"r":-1}`` for an unknown key, a key longer than 3 characters or a value longer than 64.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import padding

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
    """The reply to one command: ``body`` is the JSON object to send (``None``: no body at all) and
    ``after`` says what the device does once the reply has gone out (``"exit_listening"`` or ``None``)."""

    body: dict[str, Any] | None
    after: str | None = None


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
        return CommandResult({"r": configure_ap(world, body)})
    if command == "connect-ap":
        # The index is ignored on the device too ("todo - parse index").
        return CommandResult({"r": R_OK}, after="exit_listening")
    if command == "set":
        return CommandResult({"r": set_value(world, body)})
    if tcp and command in TCP_ONLY_COMMANDS:
        with world.lock:
            world.device.antenna = "external" if command == "ant-external" else "internal"
            world.events.append(f"softap: antenna -> {world.device.antenna}")
        return CommandResult(None)
    return None


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


def _parse_object(body: bytes) -> dict[str, Any] | None:
    try:
        obj = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return obj if isinstance(obj, dict) else None


def _truncate_utf8(text: str, limit: int) -> str:
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def configure_ap(world: World, body: bytes) -> int:
    """Decrypt and store the credentials of a ``configure-ap`` request; return the device's ``r`` code."""
    req = _parse_object(body)
    if req is None:
        return R_BAD_REQUEST
    ssid, sec, pwd_hex = req.get("ssid"), req.get("sec", 0), req.get("pwd")
    if not isinstance(ssid, str) or not ssid or type(sec) is not int:
        return R_BAD_REQUEST
    for field in ("idx", "ch"):
        if field in req and type(req[field]) is not int:
            return R_BAD_REQUEST
    password = ""
    if pwd_hex is not None:
        if not isinstance(pwd_hex, str):
            return R_BAD_REQUEST
        try:
            ciphertext = bytes.fromhex(pwd_hex)  # accepts both cases, like the device's hex_nibble()
        except ValueError:
            return R_BAD_REQUEST
        with world.lock:
            device_key = world.device.private_key
        try:
            password = device_key.decrypt(ciphertext, padding.PKCS1v15()).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return R_DECRYPT_FAILED
    cred = StoredCredential(
        ssid=_truncate_utf8(ssid, _MAX_SSID_BYTES),
        password=_truncate_utf8(password, _MAX_PASSWORD_BYTES),
        security=wiced_to_console_security(sec),
        cipher=wiced_to_cipher(sec),
    )
    world.set_credentials(cred)
    return R_OK


def set_value(world: World, body: bytes) -> int:
    """Handle ``set``: only ``cc`` (the claim code) is known; return the device's ``r`` code."""
    req = _parse_object(body)
    if req is None:
        return R_BAD_REQUEST
    key, value = req.get("k"), req.get("v")
    if key != "cc" or not isinstance(value, str) or len(value) > 64:
        return R_BAD_REQUEST
    with world.lock:
        world.device.claim_code = value
        world.events.append("softap: claim code set")  # never the code itself: it is a secret
    return R_OK


def exit_listening(world: World) -> None:
    """What ``softap_complete`` does once ``connect-ap`` is answered: leave listening mode and connect."""
    world.exit_listening()
