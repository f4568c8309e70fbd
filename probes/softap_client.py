"""Clients for the Photon's SoftAP (reference §3): HTTP (port 80) and the raw TCP protocol (port 5609).

They speak the protocol the way particle-iot/softap-setup-js does: ``GET /<command>`` for commands without
a body; for ``configure-ap``, ``connect-ap`` and ``set`` a ``POST`` whose body is the compact JSON string,
sent as ``Content-Type: application/x-www-form-urlencoded`` (so a browser would not need a CORS preflight).
Over TCP the request is ``"<command>\\n<length>\\n\\n<body>"`` and the reply ``"\\n\\n" + JSON``.

Every failure (refused or dropped connection, timeout, HTTP error, garbled or truncated reply, a device that
refuses a command) raises :class:`ProbeFailure` with a one-line reason; :class:`SoftAPUnreachable` (a
subclass) means the SoftAP did not answer at all. The Wi-Fi password and the claim code are registered as
secrets as soon as they are handed in and never appear in an error.
"""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from photon_doctor.foundation.jsonfile import parse_json
from photon_doctor.foundation.redact import redact, register_secret
from photon_doctor.probes.base import ProbeFailure
from photon_doctor.probes.softap_data import (
    ScanResult,
    parse_public_key_blob,
    parse_scan,
    read_unescaped_scan,
)

#: softap-setup-js defaults (``SoftAP.defaultOptions``): host, ports and an 8 s timeout.
DEFAULT_URL = "http://192.168.0.1"
DEFAULT_TCP = ("192.168.0.1", 5609)
DEFAULT_TIMEOUT = 8.0

_FORM = {"Content-Type": "application/x-www-form-urlencoded"}
_MAX_REPLY = 256 * 1024


#: Why a connection failed when nothing listens at the address: no access point, or not yet.
REFUSED = "connection refused"


class SoftAPUnreachable(ProbeFailure):
    """Raised when nothing answers at the SoftAP address: the computer is not on the device's
    ``Photon-XXXXXX`` network, or the device is not in listening mode (connection refused, timed out or
    closed unanswered). ``refused`` is True when the connection was refused: no access point (yet)."""

    def __init__(self, message: str, refused: bool = False) -> None:
        super().__init__(message)
        self.refused = refused


def encode_body(payload: dict[str, Any]) -> bytes:
    """The request body as ``JSON.stringify`` writes it: compact, UTF-8, non-ASCII left unescaped."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def encrypt_password(key: rsa.RSAPublicKey, password: str) -> str:
    """RSA PKCS#1 v1.5 of the UTF-8 password under the device key, as lowercase hex (softap-setup-js)."""
    return key.encrypt(password.encode("utf-8"), padding.PKCS1v15()).hex()


def check_text(name: str, value: str, limit: int) -> None:
    """Raise ValueError (naming ``name``, never quoting ``value``: it may be a password) unless ``value`` is
    UTF-8 text of at most ``limit`` bytes without control characters, as the device's setup accepts."""
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:  # its message quotes the character: not the place for part of a password
        raise ValueError(f"the {name} is not valid text (an invalid byte was typed?)") from None
    if size > limit or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError(f"the {name} must be at most {limit} bytes without control characters")


def _snippet(raw: bytes | str) -> str:
    """A short, redacted, printable excerpt of a bad reply for an error message."""
    return redact(repr(raw[:40]))


def _decode_reply(command: str, raw: bytes) -> dict[str, Any]:
    """Parse a JSON object reply; raises ProbeFailure on anything else."""
    if not raw.strip():
        # The device answers a request it cannot parse with no JSON at all (an empty body or a bare "\n\n").
        raise ProbeFailure(f"SoftAP {command}: the device sent no answer (it could not read the request)")
    try:
        obj = parse_json(raw)  # bounded nesting and numbers (a JsonProblem is a ValueError)
    except ValueError:
        # The device writes scanned SSIDs unescaped: a network named with a quote breaks the JSON.
        obj = read_unescaped_scan(raw) if command == "scan-ap" else None
        if obj is None:
            raise ProbeFailure(f"SoftAP {command}: reply is not valid JSON: {_snippet(raw)}") from None
    if not isinstance(obj, dict):
        raise ProbeFailure(f"SoftAP {command}: reply is not a JSON object: {_snippet(raw)}")
    return obj


#: What ``configure-ap``'s codes mean: the Photon HAL's ``wlan_set_credentials()`` (Device OS
#: ``hal/inc/wlan_hal.h``, ``hal/src/photon/wlan_hal.cpp``); a password that does not decrypt gives mbedTLS's
#: RSA error codes (-0x4080 .. -0x4400).
CONFIGURE_AP_CODES = {
    -2: "its own scan does not see that network (hidden, 5 GHz only or out of reach); "
    "the USB serial set-up can give the security by hand",
    -3: "the network name is empty or longer than 32 bytes",
    -4: "the password's length does not fit the network's security (WEP 5 to 58, WPA/WPA2 8 to 64 bytes)",
}


def _check_r(command: str, reply: dict[str, Any], meanings: dict[int, str] | None = None) -> None:
    r = reply.get("r")
    if type(r) is not int:
        raise ProbeFailure(f"SoftAP {command}: reply has no result code 'r'")
    if r != 0:
        meaning = (meanings or {}).get(r)
        if meaning is None and meanings is not None and -0x4400 <= r <= -0x4080:
            meaning = "the password did not decrypt with the device's key"
        because = f": {meaning}" if meaning else ""
        raise ProbeFailure(f"SoftAP {command}: the device refused it (r={r}){because}")


class _SoftAPCommands:
    """The command set over some transport; subclasses implement :meth:`_call`."""

    where: str
    timeout: float

    def __init__(self) -> None:
        self._public_key: rsa.RSAPublicKey | None = None

    def _call(self, command: str, body: dict[str, Any] | None) -> dict[str, Any]:
        raise NotImplementedError

    def _unreachable(self, why: str) -> SoftAPUnreachable:
        return SoftAPUnreachable(
            f"SoftAP at {self.where} not reachable ({why}): join the device's Photon-XXXXXX Wi-Fi first, "
            "with the device blinking dark blue (listening mode)",
            refused=why == REFUSED,
        )

    def version(self) -> int:
        """The SoftAP protocol version (2 on current firmware). Raises ProbeFailure."""
        v = self._call("version", None).get("v")
        if type(v) is not int:
            raise ProbeFailure("SoftAP version: reply lacks an integer 'v'")
        return v

    def device_id(self) -> tuple[str, bool]:
        """(device id in lowercase hex, claimed flag). Raises ProbeFailure on a malformed reply."""
        reply = self._call("device-id", None)
        dev_id, claimed = reply.get("id"), reply.get("c")
        if (
            not isinstance(dev_id, str)
            or len(dev_id) != 24
            or any(ch not in "0123456789abcdefABCDEF" for ch in dev_id)
        ):
            raise ProbeFailure(f"SoftAP device-id: 'id' is not 24 hex digits: {_snippet(str(dev_id))}")
        if claimed not in ("0", "1", 0, 1):
            raise ProbeFailure('SoftAP device-id: \'c\' is neither "0" nor "1"')
        return dev_id.lower(), str(claimed) == "1"

    def scan(self) -> list[ScanResult]:
        """The networks the device's own scan finds (2.4 GHz only). Raises ProbeFailure."""
        return parse_scan(self._call("scan-ap", None))

    def public_key(self) -> rsa.RSAPublicKey:
        """The device's RSA public key from ``public-key`` (294-byte DCT dump). Raises ProbeFailure."""
        reply = self._call("public-key", None)
        _check_r("public-key", reply)
        blob = reply.get("b")
        if not isinstance(blob, str):
            raise ProbeFailure("SoftAP public-key: reply lacks the hex string 'b'")
        try:
            raw = bytes.fromhex(blob)
        except ValueError:
            raise ProbeFailure("SoftAP public-key: 'b' is not hex") from None
        self._public_key = parse_public_key_blob(raw)
        return self._public_key

    def configure_ap(
        self, ssid: str, password: str | None, security_wiced: int, channel: int, index: int = 0
    ) -> None:
        """Store Wi-Fi credentials on the device (it joins only after :meth:`connect_ap`).

        The password is encrypted with the device's public key (fetched first if needed) and omitted for an
        open network (``security_wiced == 0``). Raises ValueError for an SSID or password the device cannot
        take (too long, control characters, not text), ProbeFailure if the device refuses (``r != 0``).
        """
        register_secret(password)
        for name, value, limit in (("SSID", ssid, 32), ("password", password or "", 64)):
            check_text(name, value, limit)
        # softap-setup-js 4.1.0's order (lib/SoftAP.js configure): idx, ssid, sec, ch, then pwd last.
        payload: dict[str, Any] = {"idx": index, "ssid": ssid, "sec": security_wiced, "ch": channel}
        if security_wiced != 0:
            if not password:
                raise ProbeFailure(
                    f"SoftAP configure-ap: a password is needed for the secured network {ssid!r}"
                )
            key = self._public_key or self.public_key()
            payload["pwd"] = encrypt_password(key, password)
        _check_r("configure-ap", self._call("configure-ap", payload), CONFIGURE_AP_CODES)

    def connect_ap(self, index: int = 0) -> None:
        """Tell the device to leave listening mode and join the configured network. Raises ProbeFailure."""
        _check_r("connect-ap", self._call("connect-ap", {"idx": index}))

    def set_claim_code(self, code: str) -> None:
        """Hand the device a claim code (``set`` ``cc``); it is a secret. Raises ValueError for a code the
        device would cut short (over 63 bytes: it truncates and accepts), ProbeFailure if refused."""
        register_secret(code)
        if not code or len(code.encode("utf-8")) > 63:
            raise ValueError("a claim code must be 1 to 63 characters (the device cuts a longer one short)")
        _check_r("set", self._call("set", {"k": "cc", "v": code}))


class SoftAPClient(_SoftAPCommands):
    """The SoftAP over HTTP, e.g. ``SoftAPClient("http://192.168.0.1", timeout=8.0)``."""

    def __init__(self, base_url: str = DEFAULT_URL, timeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.where = self.base_url
        self.timeout = timeout

    def _call(self, command: str, body: dict[str, Any] | None) -> dict[str, Any]:
        url = f"{self.base_url}/{command}"
        try:
            # A fresh session per command: the device closes every connection anyway, and nothing stays open.
            with requests.Session() as session:
                if body is None:
                    resp = session.get(url, timeout=self.timeout, allow_redirects=False)
                else:
                    resp = session.post(
                        url,
                        data=encode_body(body),
                        headers=_FORM,
                        timeout=self.timeout,
                        allow_redirects=False,
                    )
                status, reason, content = resp.status_code, resp.reason, resp.content
        except requests.RequestException as exc:
            raise self._translate(command, exc) from None
        if status == 404:
            raise ProbeFailure(f"SoftAP {command}: the device does not know this command (HTTP 404)")
        if status != 200:
            raise ProbeFailure(f"SoftAP {command}: HTTP {status} {reason or ''}".rstrip())
        return _decode_reply(command, content)

    def _translate(self, command: str, exc: requests.RequestException) -> ProbeFailure:
        """Turn a requests error into a one-line ProbeFailure, never quoting the body (secrets)."""
        text = str(exc)
        if isinstance(exc, requests.ConnectTimeout):
            return self._unreachable(f"no connection within {self.timeout:g} s")
        if isinstance(exc, requests.ReadTimeout) or "Read timed out" in text:
            return ProbeFailure(f"SoftAP {command}: no answer within {self.timeout:g} s")
        if isinstance(exc, requests.exceptions.ChunkedEncodingError):
            return ProbeFailure(f"SoftAP {command}: the reply was cut off")
        if isinstance(exc, requests.ConnectionError):
            if "refused" in text:
                return self._unreachable(REFUSED)
            if "without response" in text or "reset by peer" in text or "Connection aborted" in text:
                return self._unreachable("connection closed without an answer")
            return self._unreachable("cannot connect")
        return ProbeFailure(f"SoftAP {command}: request failed ({type(exc).__name__})")


class SoftAPTcpClient(_SoftAPCommands):
    """The SoftAP's raw TCP protocol, e.g. ``SoftAPTcpClient(("192.168.0.1", 5609), timeout=8.0)``."""

    def __init__(self, address: tuple[str, int] = DEFAULT_TCP, timeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__()
        self.address = address
        self.where = f"tcp://{address[0]}:{address[1]}"
        self.timeout = timeout

    def select_antenna(self, external: bool) -> None:
        """TCP-only: point the radio at the u.FL connector (``external``) or the chip antenna until the next
        reset; nothing is saved. The HAL's names are swapped on the Photon (``WICED_ANTENNA_1`` is the u.FL),
        so the external antenna is ``ant-internal``. The device writes nothing back. Raises ProbeFailure."""
        command = "ant-internal" if external else "ant-external"
        raw = self._exchange(command, b"", reply=False)
        if raw.strip():
            raise ProbeFailure(f"SoftAP {command}: unexpected reply {_snippet(raw)}")

    def _call(self, command: str, body: dict[str, Any] | None) -> dict[str, Any]:
        return _decode_reply(command, self._exchange(command, encode_body(body) if body is not None else b""))

    def _exchange(self, command: str, body: bytes, reply: bool = True) -> bytes:
        """Send one request and return the reply after its ``\\n\\n`` header (``reply`` False: a command the
        device answers with nothing, whose connection just closes). Raises ProbeFailure."""
        # The length is in bytes: the device reads that many bytes (softap-setup-js counts UTF-16 units).
        request = b"%s\n%d\n\n%s" % (command.encode("ascii"), len(body), body)
        try:
            sock = socket.create_connection(self.address, timeout=self.timeout)
        except TimeoutError:
            raise self._unreachable(f"no connection within {self.timeout:g} s") from None
        except ConnectionRefusedError:
            raise self._unreachable(REFUSED) from None
        except OSError as exc:
            raise self._unreachable(f"cannot connect ({exc.strerror or type(exc).__name__})") from None
        deadline = time.monotonic() + self.timeout
        chunks: list[bytes] = []
        try:
            with sock:
                sock.sendall(request)
                while sum(map(len, chunks)) < _MAX_REPLY:
                    sock.settimeout(max(deadline - time.monotonic(), 0.001))
                    chunk = sock.recv(4096)
                    if not chunk:
                        break
                    chunks.append(chunk)
        except TimeoutError:
            raise ProbeFailure(f"SoftAP {command}: no answer within {self.timeout:g} s") from None
        except OSError as exc:
            if not chunks:
                raise self._unreachable("connection closed without an answer") from None
            raise ProbeFailure(
                f"SoftAP {command}: connection lost ({exc.strerror or type(exc).__name__})"
            ) from None
        raw = b"".join(chunks)
        if not raw and not reply:
            return raw
        if not raw:
            raise self._unreachable("connection closed without an answer")
        if not raw.startswith(b"\n\n"):
            raise ProbeFailure(f"SoftAP {command}: reply does not start with a blank line: {_snippet(raw)}")
        return raw[2:]


__all__ = [
    "DEFAULT_TCP",
    "DEFAULT_TIMEOUT",
    "DEFAULT_URL",
    "ScanResult",
    "SoftAPClient",
    "SoftAPTcpClient",
    "SoftAPUnreachable",
    "encode_body",
    "encrypt_password",
]
