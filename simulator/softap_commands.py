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
* ``configure-ap`` answers the HAL's codes (:mod:`photon_doctor.simulator.wlan_hal`): -3 for an SSID that is
  empty or over 32 bytes, -2 for a WPA/WPA2 network the device's own scan does not see, -4 for a key of the
  wrong length; a ``pwd`` that does not decrypt gets mbedTLS's bad-padding code. Enterprise keys are parsed
  and ignored: the world does not model enterprise joins.
* ``set`` cuts the key to 2 and the value to 63 bytes and answers ``{"r":-1}`` unless the key is ``cc``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import padding
from photon_doctor.simulator.softap_json import atoi, parse_request
from photon_doctor.simulator.wlan_hal import (
    WLAN_SET_CREDENTIALS_CIPHER_REQUIRED,
    key_error,
    needs_sniff,
    sniff_security,
    ssid_error,
    to_security,
)
from photon_doctor.simulator.world import (
    CIPHER_NOT_SET,
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
#: A ``pwd`` that does not decrypt: ``decrypt_rsa()`` returns ``-abs(err)`` of mbedTLS's
#: ``mbedtls_rsa_pkcs1_decrypt()``, which for a wrong key or garbage is ``MBEDTLS_ERR_RSA_INVALID_PADDING``
#: (-0x4100; mbedtls/rsa.h, a submodule of Device OS).
R_DECRYPT_FAILED = -0x4100

#: ``add_wiced_wifi_credentials()`` keeps at most 64 bytes of a password (an open network's, say).
_MAX_PASSWORD_BYTES = 64


@dataclass(frozen=True)
class CommandResult:
    """The reply to one command: ``body`` is the JSON object to send (``None``: the command ran but sends no
    JSON, as after a request it cannot parse) and ``after`` says what the device does once the reply has
    gone out (``"exit_listening"`` or ``None``)."""

    body: dict[str, Any] | None
    after: str | None = None
    silent: bool = False  # not even the TCP "\n\n" preamble: a command the dispatcher does not run
    raw: bytes | None = None  # the exact bytes written instead of ``body`` (``scan-ap``: not escaped)

    def payload(self) -> bytes:
        """What the device writes after the header: ``raw``, or ``body`` as compact JSON, or nothing."""
        if self.raw is not None:
            return self.raw
        return encode_json(self.body) if self.body is not None else b""


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
        entries = scan_entries(world)
        return CommandResult({"scans": entries}, raw=scan_reply(entries))
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


def scan_reply(entries: list[dict[str, Any]]) -> bytes:
    """``ScanAPCommand::produce_response()``: ``write_json_string()`` puts the SSID between quotes as it is,
    raw bytes with nothing escaped, so an SSID with ``"`` or ``\\`` makes the reply invalid JSON."""
    parts = [
        b'{"ssid":"%s","rssi":%d,"sec":%d,"ch":%d,"mdr":%d}'
        % (e["ssid"].encode("utf-8")[:32], e["rssi"], e["sec"], e["ch"], e["mdr"])
        for e in entries
    ]
    return b'{"scans":[' + b",".join(parts) + b"]}"


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
    None when the request does not parse (the device then sends no JSON at all).

    ``ConfigureAPCommand`` (softap.cpp) hands the HAL the security ``toSecurityType(sec)`` and no cipher, so
    ``wlan_set_credentials()`` checks the SSID (-3), scans for a WPA/WPA2 network and takes its security from
    the scan (-2 when the scan does not see it) and checks the key length (-4): :mod:`.wlan_hal`.
    """
    req = parse_request(body, CONFIGURE_KEYS)
    if req is None:
        return None
    ssid = req["ssid"].text if "ssid" in req else ""
    security = wiced_to_console_security(atoi(req["sec"].text) if "sec" in req else 0)
    password: bytes | None = None  # no pwd: the HAL gets no password at all
    if "pwd" in req and req["pwd"].text:
        text = req["pwd"].text
        password = text.encode("utf-8")
        if len(text) // 2:  # the device decrypts any pwd of two characters or more
            password = _decrypt(world, text)
            if password is None:
                return R_DECRYPT_FAILED
    error = ssid_error(ssid)
    if error:
        return error
    with world.lock:
        wiced = to_security(security)
        if needs_sniff(security, CIPHER_NOT_SET):
            sniffed = sniff_security(world, ssid)
            if sniffed is None:
                return WLAN_SET_CREDENTIALS_CIPHER_REQUIRED
            wiced = sniffed
    error = key_error(wiced, password)
    if error:
        return error
    cred = StoredCredential(
        ssid=ssid,  # raw: a \" stays a backslash and a quote
        password=(password or b"")[:_MAX_PASSWORD_BYTES].decode("utf-8", errors="replace"),
        security=wiced_to_console_security(wiced),
        cipher=wiced_to_cipher(wiced),
    )
    world.set_credentials(cred)
    return R_OK


def _hex_nibble(c: int) -> int:
    """``hex_nibble()`` (softap.cpp): any byte is some nibble; below ``0`` and above ``z`` are 0."""
    if c < 0x30:
        return 0
    if c <= 0x39:
        return c - 0x30
    if c <= 0x5A:
        return (c - 0x41 + 10) & 0xFF
    if c <= 0x7A:
        return (c - 0x61 + 10) & 0xFF
    return 0


def hex_decode(text: bytes, limit: int = 256) -> bytes:
    """``hex_decode()`` into the 256-byte buffer of ``decrypt()``: two characters a byte, garbage read as some
    nibble, a last lone character as the high nibble; at most ``limit`` bytes, the rest of the text unread."""
    out = bytearray()
    for i in range(0, min(len(text), 2 * limit), 2):
        pair = text[i : i + 2]
        low = _hex_nibble(pair[1]) if len(pair) == 2 else 0
        out.append((_hex_nibble(pair[0]) << 4 & 0xFF) | low)
    return bytes(out)


def _decrypt(world: World, hex_text: str) -> bytes | None:
    """``decrypt()``: :func:`hex_decode`, then RSA PKCS#1 v1.5 with the device key over the first key-size bytes
    (``decrypt_rsa()`` reads as many as the key has; past what was decoded the device's buffer holds whatever
    was there, so fewer is a failure here). The password is a C string: cut at its first NUL. None if it fails."""
    with world.lock:
        device_key = world.device.private_key
    size = device_key.key_size // 8
    ciphertext = hex_decode(hex_text.encode("utf-8"))
    if len(ciphertext) < size:
        return None
    try:
        plaintext = device_key.decrypt(ciphertext[:size], padding.PKCS1v15())
    except ValueError:
        return None
    return plaintext.split(b"\0", 1)[0]


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
