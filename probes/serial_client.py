"""The host side of a Photon's listening-mode USB serial console (reference §2.1), like ``particle serial``.

:class:`SerialConsole` opens a port name or a pyserial URL at 9600 baud, writes one command byte and collects
the answer until an expected string or an idle gap (the CLI waits 250 ms), within an overall timeout. Every
pyserial error, timeout and garbled or truncated answer becomes a :class:`ProbeFailure` with one line for the
person; secrets (Wi-Fi password, claim code, device secret) are registered where they enter and never appear
in one.
"""

from __future__ import annotations

import errno
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import serial

try:  # POSIX only; pyserial lets termios.error (not an OSError) escape from tcflush and friends
    from termios import error as _TermiosError
except ImportError:  # pragma: no cover - Windows

    class _TermiosError(Exception):  # type: ignore[no-redef]
        """Never raised: there is no termios here."""


from photon_doctor.foundation.jsonfile import JsonProblem, parse_json
from photon_doctor.foundation.redact import MASK, redact, register_secret
from photon_doctor.probes.base import ProbeFailure

_EXCLUSIVE: dict[str, bool] = {"exclusive": True} if os.name == "posix" else {}
LISTEN_BAUD = 28800  # reference §1: the device enters listening mode
DFU_BAUD = 14400  # reference §1: the device reboots into DFU mode


class NoAnswer(ProbeFailure):
    """Raised when the device sends nothing at all within the timeout (e.g. it is not in listening mode)."""


class NotUnderstood(ProbeFailure):
    """Raised when the device's answer is not what the console says: bytes that are not text (line noise, a wrong
    baud rate, another device) or text that is not the answer asked for. ``detail`` says what came back, in words."""

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(message)
        self.detail = detail


class PortGone(ProbeFailure):
    """Raised when the port disappears while in use (device reset, DFU mode, unplugged, a damaged module)."""


@dataclass(frozen=True)
class Identity:
    """What `i` reports. The device secret, when printed, is never kept: only whether there was one."""

    device_id: str
    serial_number: str | None = None
    has_device_secret: bool = False


@dataclass(frozen=True)
class WifiResult:
    """The outcome of the `w` dialog.

    ``saved``: the device said it saved the credentials (and so left listening mode to connect).
    ``found_by_device``: its own silent scan found the SSID (it did not ask for the security type).
    ``prompts``: the prompts seen, in order (never the answers).
    """

    saved: bool
    found_by_device: bool
    prompts: tuple[str, ...]


_SECURITY_RE = rb"Security 0=unsecured, 1=WEP, 2=WPA, 3=WPA2(?:, 4=WPA Enterprise, 5=WPA2 Enterprise)?: "
_DIALOG: tuple[tuple[str, re.Pattern[bytes]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("ssid", rb"SSID: "),
        ("security", _SECURITY_RE),
        ("cipher", re.escape(b"Security Cipher 1=AES, 2=TKIP, 3=AES+TKIP: ")),
        ("eap", re.escape(b"EAP Type 0=PEAP/MSCHAPv2, 1=EAP-TLS: ")),
        ("username", rb"Username: "),
        ("password", rb"Password: "),
        ("outer_identity", re.escape(b"Outer identity (optional): ")),
        ("root_ca", re.escape(b"Root CA in PEM format (optional):\r\n")),
        ("client_cert", re.escape(b"Client certificate in PEM format:\r\n")),
        ("private_key", re.escape(b"Private key in PEM format:\r\n")),
        ("saved", rb"(?:Particle|Spark) <3 you!"),
        ("not_saved", re.escape(b"Derp. Sorry, we couldn't save the credentials.")),
    )
)
#: What pyserial may raise once a port is open.
SERIAL_ERRORS: tuple[type[Exception], ...] = (serial.SerialException, OSError, _TermiosError)
_OPEN_ERRORS: tuple[type[Exception], ...] = (*SERIAL_ERRORS, ValueError)  # ValueError: a bad URL
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _matches(pattern: re.Pattern[str]) -> Callable[[bytes], bool]:
    return lambda b: pattern.search(b.decode("utf-8", "replace")) is not None


def _longer_than(size: int) -> Callable[[bytes], bool]:
    return lambda b: len(b) > size


def open_error(port: str, exc: Exception) -> ProbeFailure:
    """Translate an exception from opening a port into a one-line ProbeFailure (permission, missing, busy)."""
    code = getattr(exc, "errno", None)
    if code is None and exc.args and isinstance(exc.args[0], int):
        code = exc.args[0]  # termios.error carries (errno, message)
    if code in (errno.EACCES, errno.EPERM):
        return ProbeFailure(f"port {port}: permission denied (see udev rules in docs)")
    if code in (errno.ENOENT, errno.ENODEV, errno.ENXIO):
        return ProbeFailure(f"port {port}: no such device (is the Photon plugged in?)")
    if code in (errno.EBUSY, errno.EAGAIN, errno.EWOULDBLOCK):
        # EAGAIN: another process holds the exclusive (flock) lock taken in open_port.
        return ProbeFailure(
            f"port {port}: busy, in use by another program (close it, or wait for it to finish)"
        )
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return ProbeFailure(redact(f"port {port}: cannot open ({reason})"))


def open_port(
    port: str, baudrate: int = 9600, read_timeout: float = 0.02, exclusive: bool = True
) -> serial.SerialBase:
    """Open a port name or pyserial URL. Raises ProbeFailure (permission, no such device, bad URL, in use).

    ``exclusive``: an advisory flock on POSIX, so that two photon-doctors (or a serial monitor) never read each
    other's replies; the second one is told the port is in use.
    """
    try:
        return serial.serial_for_url(
            port,
            baudrate=baudrate,
            timeout=read_timeout,
            write_timeout=1.0,
            **(_EXCLUSIVE if exclusive else {}),
        )
    except _OPEN_ERRORS as exc:
        raise open_error(port, exc) from exc


#: How long the switch to listening mode waits for an answer to one `i` before it asks again: the device drops what
#: comes before its console runs (it first leaves the cloud and its network), so one early `i` may never be answered.
ASK_AGAIN = 0.5
_ID_ANSWER = re.compile(rb"(?:Your (?:device|core) id is |Device ID: )[0-9A-Fa-f]{24}\r?\n")


def _console_answers(ser: serial.SerialBase, within: float) -> bool:
    """Ask `i` on an open port, again every :data:`ASK_AGAIN` seconds, until the listening-mode console answers
    or ``within`` seconds have passed. What was read is dropped: the caller asks again on its own console."""
    deadline = time.monotonic() + within
    seen = bytearray()
    ask_at = 0.0
    asked = 0
    while (now := time.monotonic()) < deadline:
        if now >= ask_at:
            ser.reset_input_buffer()
            seen.clear()
            ser.write(b"i")
            asked += 1
            ask_at = now + ASK_AGAIN
        seen += ser.read(max(1, ser.in_waiting))
        if _ID_ANSWER.search(seen):
            if asked > 1:  # an earlier `i` may still be answered: let it come here, not into the next command
                _read_until_quiet(ser, ASK_AGAIN)
            return True
    return False


def _read_until_quiet(ser: serial.SerialBase, gap: float) -> None:
    """Read and drop what comes until nothing has come for ``gap`` seconds (at most four gaps in all: a device
    that never stops talking does not hold the switch)."""
    last = start = time.monotonic()
    while (now := time.monotonic()) - last < gap and now - start < 4 * gap:
        if ser.read(max(1, ser.in_waiting)):
            last = time.monotonic()


def _switch_baud(
    port: str, baudrate: int, hold: float, until: Callable[[serial.SerialBase], bool] | None = None
) -> bool:
    """Set ``port`` to ``baudrate`` for ``hold`` seconds, then for as long as ``until(port)`` runs; returns what
    ``until`` returns (True without it, False when the port vanished meanwhile)."""
    # Open at 9600 first so that the rate really changes (a Linux host only tells the device about changes).
    ser = open_port(
        port, exclusive=False
    )  # a touch that reads nothing: it may go beside our own open console
    try:
        ser.baudrate = baudrate
        time.sleep(hold)
        return until(ser) if until is not None else True
    except SERIAL_ERRORS:
        return False  # the device may already have left the bus (DFU): that is the point
    finally:
        try:
            ser.close()
        except SERIAL_ERRORS:
            pass


def enter_listening(port: str, hold: float = 0.1, answer_within: float = 0.0) -> bool:
    """Put the device in listening mode by setting the port to 28800 baud.

    With ``answer_within`` (seconds), the port stays at 28800 baud after ``hold`` until the listening-mode console
    answers `i` on it, for at most that long; the result says whether it answered. Why wait: a Photon takes a
    moment to get there (it leaves the cloud and its network first) and drops what is sent before; and a device
    that looks at the line only now and then (the simulator, on a busy computer) misses a rate held a tenth of a
    second if the next program to open the port sets 9600 at once, as the probes do. Without ``answer_within``
    the result is True. Raises ProbeFailure if the port cannot be opened.
    """
    if answer_within <= 0:
        return _switch_baud(port, LISTEN_BAUD, hold)
    return _switch_baud(port, LISTEN_BAUD, hold, lambda ser: _console_answers(ser, answer_within))


def enter_dfu(port: str, hold: float = 0.1) -> None:
    """Reboot the device to DFU mode by setting the port to 14400 baud; the port then disappears.

    Raises ProbeFailure if the port cannot be opened.
    """
    _switch_baud(port, DFU_BAUD, hold)


class SerialConsole:
    """A client for the listening-mode console; a context manager (opening the port happens in ``open``).

    ``timeout``: how long to wait for an answer or the next prompt; ``idle``: the quiet gap ending an answer.
    """

    def __init__(
        self, port_or_url: str, timeout: float = 2.0, idle: float = 0.25, baudrate: int = 9600
    ) -> None:
        self.port = port_or_url
        self.timeout = timeout
        self.idle = idle
        self.baudrate = baudrate
        self._ser: serial.SerialBase | None = None
        self._secrets: set[str] = set()  # also short ones, which register_secret ignores

    # --- plumbing ---------------------------------------------------------------------------------------
    def open(self) -> None:
        """Open the port. Raises ProbeFailure (permission denied, no such device...)."""
        if self._ser is None:
            self._ser = open_port(self.port, self.baudrate, min(0.02, self.idle / 4))

    def close(self) -> None:
        """Close the port; never raises."""
        ser, self._ser = self._ser, None
        if ser is not None:
            try:
                ser.close()
            except SERIAL_ERRORS:
                pass

    def __enter__(self) -> SerialConsole:
        self.open()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _secret(self, value: str) -> None:
        register_secret(value)
        if value:
            self._secrets.add(value)

    def _scrub(self, text: str) -> str:
        for s in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(s, MASK)
        return redact(text)

    def _port(self) -> serial.SerialBase:
        if self._ser is None:
            raise ProbeFailure(f"port {self.port}: not open")
        return self._ser

    def _write(self, data: bytes, what: str) -> None:
        try:
            self._port().write(data)
        except SERIAL_ERRORS as exc:
            raise PortGone(
                f"port {self.port} vanished while sending {what} (device reset, unplugged or in DFU)"
            ) from exc

    def _read_chunk(self, what: str) -> bytes:
        ser = self._port()
        try:
            return bytes(ser.read(max(1, ser.in_waiting)))
        except SERIAL_ERRORS as exc:
            raise PortGone(
                f"port {self.port} vanished during {what} (device reset, unplugged or in DFU)"
            ) from exc

    def _flush_input(self, what: str) -> None:
        try:
            self._port().reset_input_buffer()
        except SERIAL_ERRORS as exc:
            raise PortGone(f"port {self.port} vanished before {what}") from exc

    def _collect(
        self,
        what: str,
        done: Callable[[bytes], bool] | None,
        idle_ends: bool = True,
        buf: bytearray | None = None,
    ) -> bytes:
        """Read until ``done(buffer)``, an idle gap after some data (if ``idle_ends``) or the timeout.

        Raises NoAnswer if nothing at all came, PortGone if the port vanished.
        """
        buf = bytearray() if buf is None else buf
        start = len(buf)
        deadline = time.monotonic() + self.timeout
        last = time.monotonic()
        while True:
            chunk = self._read_chunk(what)
            now = time.monotonic()
            if chunk:
                buf += chunk
                last = now
                if done is not None and done(bytes(buf)):
                    return bytes(buf)
            elif idle_ends and len(buf) > start and now - last >= self.idle:
                return bytes(buf)
            if now >= deadline:
                if len(buf) == start:
                    raise NoAnswer(f"device did not answer {what} within {self.timeout:.1f} s")
                return bytes(buf)

    def _text(self, raw: bytes, what: str) -> str:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = ""
        if not text or _CONTROL.search(text):
            detail = f"{len(raw)} bytes that are not text"
            raise NotUnderstood(f"garbled answer to {what} ({detail}): is this the Photon's port?", detail)
        return text

    def _unexpected(self, what: str, text: str) -> ProbeFailure:
        shown = self._scrub(text.strip())
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        return NotUnderstood(f"unexpected answer to {what}: {shown!r}", f"it said {shown!r}")

    def _command(self, cmd: str, pattern: re.Pattern[str] | None) -> tuple[str, re.Match[str] | None]:
        what = f"'{cmd}'"
        self._flush_input(what)
        self._write(cmd.encode("ascii"), what)
        text = self._text(self._collect(what, None if pattern is None else _matches(pattern)), what)
        return text, (pattern.search(text) if pattern is not None else None)

    # --- the commands -----------------------------------------------------------------------------------
    def identity(self) -> Identity:
        """`i`: the device id, in either of the two formats. Raises ProbeFailure (NoAnswer when silent)."""
        text, m = self._command("i", re.compile(r"Your (?:device|core) id is ([0-9A-Fa-f]{24})\r?\n"))
        if m:
            return Identity(m.group(1).lower())
        m = re.search(r"Device ID: ([0-9A-Fa-f]{24})\r?\n", text)
        if not m:
            raise self._unexpected("'i'", text)
        props = dict(re.findall(r"^([A-Za-z][A-Za-z ]*): ([^\r\n]*)\r?$", text[m.end() :], re.MULTILINE))
        secret = props.get("Device Secret")
        if secret:
            self._secret(secret)
        return Identity(m.group(1).lower(), props.get("Serial Number") or None, bool(secret))

    def identify(self) -> str:
        """`i`: the device id (24 lowercase hex digits). Raises ProbeFailure."""
        return self.identity().device_id

    def mac(self) -> str:
        """`m`: the Wi-Fi MAC address, ``xx:xx:xx:xx:xx:xx``. Raises ProbeFailure."""
        text, m = self._command(
            "m", re.compile(r"Your device MAC address is\r?\n([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5})\r?\n")
        )
        if not m:
            raise self._unexpected("'m'", text)
        return m.group(1).lower()

    def system_version(self) -> str:
        """`v`: the Device OS version, e.g. ``2.3.1``. Raises ProbeFailure."""
        text, m = self._command("v", re.compile(r"system firmware version: (\d[^\s]*)\n\r?\n"))
        m = m or re.search(r"system firmware version: (\d[^\s]*)\r?\n", text)
        if not m:
            raise self._unexpected("'v'", text)
        return m.group(1)

    def claimed(self) -> bool:
        """`c`: whether the device believes it is claimed. Raises ProbeFailure."""
        text, m = self._command("c", re.compile(r"Device claimed: (yes|no)\r?\n"))
        if not m:
            raise self._unexpected("'c'", text)
        return m.group(1) == "yes"

    def _json(self, cmd: str) -> dict[str, Any]:
        text, m = self._command(cmd, re.compile(r"\}\r?\n"))
        line = text.strip()
        if not line.startswith("{"):
            raise self._unexpected(f"'{cmd}'", text)
        if not m:
            raise ProbeFailure(f"truncated answer to '{cmd}' ({len(text)} characters, no end of line)")
        try:
            doc = parse_json(line)  # bounded nesting and numbers: a device's line cannot crash the probe
        except JsonProblem as exc:
            raise ProbeFailure(f"answer to '{cmd}' is {exc}") from None
        if not isinstance(doc, dict):
            raise ProbeFailure(f"answer to '{cmd}' is JSON but not an object")
        return doc

    def module_info(self) -> dict[str, Any]:
        """`s`: the module-info document ``{"p": 6, "m": [...]}``. Raises ProbeFailure."""
        return self._json("s")

    def diagnostics(self) -> dict[str, Any]:
        """`d` (Device OS 1.0.1+): diagnostic source names to values. Raises ProbeFailure."""
        return self._json("d")

    def exit_listening(self) -> None:
        """`x`: leave listening mode (the device answers nothing). Raises PortGone if the port vanished."""
        self._write(b"x", "'x'")

    def set_claim_code(self, code: str) -> None:
        """`C`: store a 63-character claim code. Raises ValueError for a bad code, ProbeFailure if the device
        refuses it or does not answer. The code is a secret: it is never in a message."""
        self._secret(code)
        if len(code) != 63 or not code.isascii() or not code.isprintable():
            raise ValueError("a claim code must be 63 printable ASCII characters")
        self._flush_input("'C'")
        self._write(b"C", "'C'")
        prompt = b"Enter 63-digit claim code: "
        buf = bytearray(self._collect("'C'", lambda b: prompt in b, idle_ends=False))
        if prompt not in buf:
            raise self._unexpected("'C'", self._text(bytes(buf), "'C'"))
        self._write(code.encode("ascii") + b"\n", "the claim code")
        ends = re.compile(rb"(Claim code set to: [^\r\n]*|Claim code unchanged\.)\r\n")
        raw = self._collect("the claim code", lambda b: ends.search(b) is not None, buf=buf)
        text = self._text(raw, "'C'")
        if "Claim code set to: " in text:
            return
        if "Claim code unchanged" in text:
            raise ProbeFailure("device refused the claim code (not 63 characters long, it says)")
        raise self._unexpected("'C'", text)

    def set_wifi(
        self,
        ssid: str,
        password: str | None,
        security: int | None = None,
        cipher: int | None = None,
        *,
        eap_username: str | None = None,
    ) -> WifiResult:
        """`w`: give the device Wi-Fi credentials, answering the prompts it actually shows.

        ``security`` (0..5) and ``cipher`` (1..3) are used only if the device asks (it asks for the security
        when its own scan does not find the SSID); when not given the answer is WPA2 (3), or unsecured (0)
        without a password, and AES (1). Enterprise networks are answered with PEAP and ``eap_username``.
        Returns whether the device saved them. Raises ValueError for bad arguments, ProbeFailure if the dialog
        breaks down.
        """
        password = password or ""
        self._secret(password)
        for name, value, limit in (("SSID", ssid, 32), ("password", password, 64)):
            try:
                size = len(value.encode("utf-8"))
            except UnicodeEncodeError:  # its message quotes the character: part of a password
                raise ValueError(f"the {name} is not valid text (an invalid byte was typed?)") from None
            if size > limit or _CONTROL.search(value) or "\r" in value or "\n" in value:
                raise ValueError(f"the {name} must be at most {limit} bytes without control characters")
        if not ssid:
            raise ValueError("the SSID must not be empty")
        if security is not None and not 0 <= security <= 5:
            raise ValueError("security must be 0..5")
        if cipher is not None and not 1 <= cipher <= 3:
            raise ValueError("cipher must be 1..3")
        answers = {
            "ssid": ssid,
            "password": password,
            "eap": "0",
            "username": eap_username or "",
            "security": str(security if security is not None else (3 if password else 0)),
            "cipher": str(cipher if cipher is not None else 1),
            "outer_identity": "",
            "root_ca": "",
        }
        self._flush_input("'w'")
        self._write(b"w", "'w'")
        return self._dialog(answers)

    def _dialog(self, answers: dict[str, str]) -> WifiResult:
        buf = bytearray()
        pos = 0
        echo = b""
        prompts: list[str] = []
        while True:
            if echo:
                # Skip our own answer coming back (the device echoes what it reads, then "\r\n").
                if bytes(buf[pos:]).startswith(echo):
                    pos, echo = pos + len(echo), b""
                elif not echo.startswith(bytes(buf[pos:])):
                    echo = b""  # a device that does not echo
            found = None if echo else self._next_prompt(bytes(buf), pos)
            if found is None:
                step = f"the 'w' dialog (after {prompts[-1] if prompts else 'w'})"
                before = len(buf)
                try:
                    self._collect(step, _longer_than(before), idle_ends=False, buf=buf)
                except NoAnswer:
                    if echo:
                        echo = b""
                        continue
                    tail = bytes(buf[pos:])
                    if tail:
                        self._text(tail, step)  # garbled -> says so
                    raise ProbeFailure(f"device stopped answering during {step}") from None
                continue
            name, end = found
            pos = end
            prompts.append(name)
            if name in ("saved", "not_saved"):
                return WifiResult(name == "saved", "security" not in prompts, tuple(prompts))
            if name == "ssid" and prompts.count("ssid") > 1:
                raise ProbeFailure("device asked for the SSID again: it did not take the one sent")
            if name in ("client_cert", "private_key"):
                raise ProbeFailure("device asks for an EAP-TLS certificate, which set_wifi does not send")
            answer = answers[name].encode("utf-8")
            self._write(answer + b"\n", f"the answer to {name}")
            echo = answer + b"\r\n"

    @staticmethod
    def _next_prompt(buf: bytes, pos: int) -> tuple[str, int] | None:
        best: tuple[int, str, int] | None = None
        for name, pattern in _DIALOG:
            m = pattern.search(buf, pos)
            if m and (best is None or m.start() < best[0]):
                best = (m.start(), name, m.end())
        return None if best is None else (best[1], best[2])
