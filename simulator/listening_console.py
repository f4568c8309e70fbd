"""The listening-mode console of a Photon (Device OS 0.7.0 to 2.3.1), byte for byte (reference §2.1).

The device code (DOS ``system_setup.cpp``) is written as blocking reads; here it is a generator that pulls
bytes from an input queue and yields when it has to wait: ``None`` means "wake me when input arrives", a float
means "wake me at this ``time.monotonic()``". The pty plumbing lives in
:mod:`photon_doctor.simulator.serial_console`; this module only knows the dialog.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass

from photon_doctor.simulator.console_info import diagnostics_text, module_info_text
from photon_doctor.simulator.wlan_hal import key_error, scan_cipher, to_security
from photon_doctor.simulator.world import (
    CIPHER_NOT_SET,
    SEC_NOT_SET,
    SEC_UNSEC,
    SEC_WPA_ENT,
    StoredCredential,
    World,
    version_tuple,
    wiced_to_console_security,
)

#: What the console yields while it waits: None (for input) or a monotonic deadline (a sleep).
Wait = float | None
Steps = Generator[Wait, None, None]

SOH, STX, BS, LF, CR, DEL = 0x01, 0x02, 0x08, 0x0A, 0x0D, 0x7F
#: YModem bytes (system/inc/system_ymodem.h): end of transmission, acknowledge, cancel (two in a row), 'C'
#: (the receiver asks for a CRC-16 transfer), the user's abort keys, and the byte the receiver ignores.
EOT, ACK, NAK, CA, CRC16, ABORT1, ABORT2, SPACE = 0x04, 0x06, 0x15, 0x18, 0x43, 0x41, 0x61, 0x20
#: ``YModem::NAK_TIMEOUT`` (5000 ms) and ``MAX_ERRORS`` (5): the receiver gives up on the sixth error in a row.
YMODEM_TIMEOUT = 5.0
YMODEM_MAX_ERRORS = 5
#: What ``Ymodem_Serial_Flash_Update()`` prints when no file came (``receive_file()`` returned 0 or -3).
YMODEM_FAILED = "Failed to receive the file!\r\n"
YMODEM_ABORTED = "Aborted by user.\r\n"
#: ... and when Spark_Prepare_For_Firmware_Update() refused the file (``receive_file()`` returned -1).
YMODEM_TOO_BIG = "The file size is higher than the allowed space memory!\r\n"

SECURITY_PROMPT = "Security 0=unsecured, 1=WEP, 2=WPA, 3=WPA2: "
# Photon/P1 have Wiring_WpaEnterprise == 1 from 0.7.0, so they print the enterprise variant.
SECURITY_PROMPT_ENTERPRISE = (
    "Security 0=unsecured, 1=WEP, 2=WPA, 3=WPA2, 4=WPA Enterprise, 5=WPA2 Enterprise: "
)
CIPHER_PROMPT = "Security Cipher 1=AES, 2=TKIP, 3=AES+TKIP: "
EAP_PROMPT = "EAP Type 0=PEAP/MSCHAPv2, 1=EAP-TLS: "
THANKS = "Thanks! Wait while I save those credentials...\r\n\r\n"
SUCCESS = (
    "Awesome. Now we'll connect!\r\n\r\n"
    "If you see a pulsing cyan light, your device \r\n"
    "has connected to the Cloud and is ready to go!\r\n\r\n"
    "If your LED flashes red or you encounter any other problems,\r\n"
    "visit https://www.particle.io/support to debug.\r\n\r\n"
    "    Particle <3 you!\r\n\r\n"
)
FAILURE = "Derp. Sorry, we couldn't save the credentials.\r\n\r\n"
FLASH_TEXT = "Waiting for the binary file to be sent ... (press 'a' to abort)\r\n"
#: Longest PEM line taken. The device's read_multiline() has a budget for the whole block instead (4095 bytes for
#: certificates, 2047 for the key, system_setup.cpp); not modelled: one long line is plenty for the simulator.
PEM_LINE_MAX = 1024


@dataclass(frozen=True)
class ConsoleHooks:
    """How the console reaches outside the dialog.

    ``write``: bytes to the host. ``discard_input``: drop whatever the host has sent and the console has not
    read yet. ``radio_used``: called when the device scans; returns False if the device has just dropped off
    the bus (a damaged module), in which case the console stops answering for good. ``reset``: the device
    resets, so its USB port leaves the bus and comes back as a new one.
    """

    write: Callable[[bytes], None]
    discard_input: Callable[[], None]
    radio_used: Callable[[], bool]
    reset: Callable[[], None]


class ListeningConsole:
    """One listening-mode console session; :meth:`run` is the generator the serial simulator drives.

    ``inbuf`` is the queue of bytes received from the host; ``echo`` False makes a device that echoes
    nothing while reading a line; ``scan_seconds`` is how long the silent Wi-Fi scan of `w` takes;
    ``ymodem_seconds`` is how long the YModem receiver of `f` waits for a byte (5 s on the device).
    """

    def __init__(
        self,
        world: World,
        inbuf: deque[int],
        hooks: ConsoleHooks,
        *,
        echo: bool = True,
        scan_seconds: float = 0.1,
        ymodem_seconds: float = YMODEM_TIMEOUT,
    ) -> None:
        self.world = world
        self.inbuf = inbuf
        self.hooks = hooks
        self.echo = echo
        self.scan_seconds = scan_seconds
        self.ymodem_seconds = ymodem_seconds

    # --- low level -------------------------------------------------------------------------------------
    def _print(self, text: str) -> None:
        self.hooks.write(text.encode("utf-8"))

    def _getc(self) -> Generator[Wait, None, int]:
        while not self.inbuf:
            yield None
        return self.inbuf.popleft()

    def _read_line(self, max_len: int, discard: bool = True) -> Generator[Wait, None, str]:
        """``read_line()`` -> ``serialReadLine()``: echo, BS/DEL editing, ends on CR or LF or the first byte
        after ``max_len`` (dropped), then ``\\r\\n`` and the rest of the buffered input is discarded
        (unless ``discard`` is False: the multi-line PEM reader keeps it)."""
        line = bytearray()
        while True:
            c = yield from self._getc()
            if len(line) == max_len or c in (CR, LF):
                break
            if c in (BS, DEL):
                if not line:
                    continue  # nothing to delete: not accepted, not echoed
                line.pop()
            else:
                line.append(c)
            if self.echo:
                self.hooks.write(bytes([c]))  # the device echoes the accepted byte itself, BS/DEL included
        self._print("\r\n")
        if discard:
            self.inbuf.clear()
            self.hooks.discard_input()
        return line.decode("utf-8", "replace")

    def _os(self) -> tuple[int, ...]:
        with self.world.lock:
            return version_tuple(self.world.device.device_os)

    # --- the command loop --------------------------------------------------------------------------------
    def run(self) -> Steps:
        """Read one byte at a time and act on the commands of reference §2.1; other bytes are ignored."""
        while True:
            c = yield from self._getc()
            if c in (SOH, STX):
                # handle_peek(): a YModem packet start goes to system_firmwareUpdate() unread, no text first.
                self.inbuf.appendleft(c)
                yield from self._ymodem_receive()
                continue
            yield from self._handle(chr(c))

    def _handle(self, c: str) -> Steps:
        w = self.world
        os_version = self._os()
        if c == "w":
            yield from self._wifi_dialog()
        elif c == "i":
            self._print(self._identity())
        elif c == "m":
            with w.lock:
                mac = w.device.mac.lower()
            self._print("Your device MAC address is\r\n" + mac + "\r\n")
        elif c == "f":
            self._print(FLASH_TEXT)
            yield from self._ymodem_receive()
        elif c == "x":
            w.exit_listening()
        elif c == "s":
            self._print(module_info_text(w) + "\r\n")
        elif c == "v":
            with w.lock:
                version = w.device.device_os
            self._print(f"system firmware version: {version}\n")
            self._print("\r\n")
        elif c == "L":
            # SYSTEM_FLAG_STARTUP_LISTEN_MODE, then System.enterSafeMode(): a reset (system_setup.cpp), so the
            # USB port goes away and a new one comes up with the device in listening mode.
            with w.lock:
                w.events.append("reset into safe listening mode")
            w.enter_listening()
            self.hooks.reset()
        elif c == "c" and os_version >= (0, 6, 0):
            with w.lock:
                claimed = w.device.claimed_flag
            self._print("Device claimed: " + ("yes" if claimed else "no") + "\r\n")
        elif c == "C" and os_version >= (0, 6, 0):
            self._print("Enter 63-digit claim code: ")
            code = yield from self._read_line(63)
            if len(code) == 63:
                with w.lock:
                    w.device.claim_code = code
                    w.events.append("claim code set over serial")
                self._print("Claim code set to: " + code)
            else:
                self._print("Sorry, claim code is not 63 characters long. Claim code unchanged.")
            self._print("\r\n")
        elif c == "d" and os_version >= (1, 0, 1):
            self._print(diagnostics_text(w) + "\r\n")

    # --- `f`: the YModem receiver (system/src/system_ymodem.cpp, the same from v1.4.4 to v2.3.1) -----------
    def _receive_byte(self, timeout: float) -> Generator[Wait, None, int | None]:
        """``YModem::receive_byte()``: the next byte, or None after ``timeout`` seconds without one."""
        deadline = time.monotonic() + timeout
        while not self.inbuf:
            now = time.monotonic()
            if now >= deadline:
                return None
            yield min(deadline, now + 0.01)  # woken by the deadline only: look for input every 10 ms
        return self.inbuf.popleft()

    def _ymodem_receive(self) -> Steps:
        """``Ymodem_Serial_Flash_Update()`` as far as a host that sends no file sees it.

        ``receive_file()``: a timeout or a byte that starts no packet is an error, answered with ``C``; the
        sixth in a row cancels (``CA CA``); ``a``/``A`` is the user's abort (``CA CA``); a space is acknowledged;
        the sender's ``CA CA`` is acknowledged and ends the session; ``EOT`` is acknowledged and clears the error
        count; a packet is read whole (:meth:`_receive_packet`), a wrong sequence number is answered with NAK and
        the filename packet ends the session (no file is taken). Then, no file having come, ``CA CA`` again and
        the reason.
        """
        errors = 0
        while True:
            c = yield from self._receive_byte(self.ymodem_seconds)
            if c == SPACE:
                self.hooks.write(bytes([ACK]))
                continue
            if c == EOT:
                errors = 0  # a packet that parsed (receive_packet() returned 0)
                self.hooks.write(bytes([ACK]))
                continue
            if c in (ABORT1, ABORT2):
                self.hooks.write(bytes([CA, CA]))
                self._ymodem_end(YMODEM_ABORTED)
                return
            if c in (SOH, STX):
                packet = yield from self._receive_packet(c)
                if packet is not None:
                    errors = 0
                    if packet[1] != 0:  # not the packet expected (no file taken yet: the filename, number 0)
                        self.hooks.write(bytes([NAK]))
                        continue
                    # The filename packet. An empty name ends the session with no file; a file is refused, as
                    # when Spark_Prepare_For_Firmware_Update() fails: the simulator flashes no firmware.
                    self.hooks.write(bytes([CA, CA]))
                    self._ymodem_end(YMODEM_TOO_BIG if packet[3] else YMODEM_FAILED)
                    return
            elif c == CA and (yield from self._receive_byte(self.ymodem_seconds)) == CA:
                self.hooks.write(bytes([ACK]))  # handle_packet(): the sender aborted
                self._ymodem_end(YMODEM_FAILED)
                return
            errors += 1
            self.hooks.write(bytes([CRC16]))
            if errors > YMODEM_MAX_ERRORS:
                self.hooks.write(bytes([CA, CA]))
                self._ymodem_end(YMODEM_FAILED)
                return

    def _receive_packet(self, start: int) -> Generator[Wait, None, bytes | None]:
        """``YModem::receive_packet()`` after its first byte: 128 (SOH) or 1024 (STX) data bytes with a 3-byte
        header and a 2-byte trailer, each byte within the timeout; None (an error) on a timeout or when the
        sequence number's complement does not match. The CRC is not checked (nor is it on the device)."""
        packet = bytearray([start])
        size = (128 if start == SOH else 1024) + 5
        while len(packet) < size:
            c = yield from self._receive_byte(self.ymodem_seconds)
            if c is None:
                return None
            packet.append(c)
        return bytes(packet) if packet[1] == packet[2] ^ 0xFF else None

    def _ymodem_end(self, reason: str) -> None:
        """No file came: ``Ymodem_Serial_Flash_Update()`` cancels once more and prints why (``println``)."""
        self.hooks.write(bytes([CA, CA]))
        self._print(reason)

    def _identity(self) -> str:
        with self.world.lock:
            d = self.world.device
            props: list[tuple[str, str]] = []
            if version_tuple(d.device_os) >= (1, 4, 1):
                # The HAL's order: "ms" (Device Secret) then "sn" (Serial Number), fetch_system_properties()
                # in hal/src/stm32f2xx/ota_flash_hal_stm32f2xx.cpp (v2.3.1).
                if d.device_secret:
                    props.append(("Device Secret", d.device_secret))
                if d.serial_number:
                    props.append(("Serial Number", d.serial_number))
            device_id = d.device_id.lower()
        if not props:
            return f"Your device id is {device_id}\r\n"
        return f"Device ID: {device_id}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in props)

    # --- the `w` dialog (v0.7.0 -> v2.3.1) -----------------------------------------------------------------
    def _read_digit(self, prompt: str, low: int, high: int) -> Generator[Wait, None, int]:
        while True:
            self._print(prompt)
            answer = yield from self._read_line(1)
            if answer and answer[0].isdigit() and low <= int(answer[0]) <= high:
                return int(answer[0])

    def _wifi_dialog(self) -> Steps:
        ssid = ""
        while not ssid:
            self._print("SSID: ")
            ssid = yield from self._read_line(32)

        # The device's own scan: silent over serial.
        if not self.hooks.radio_used():
            while True:
                yield None  # gone from the bus; the serial simulator hangs up
        yield time.monotonic() + self.scan_seconds
        security, cipher = SEC_NOT_SET, CIPHER_NOT_SET
        with self.world.lock:
            # Every matching AP overwrites the last one (the wlan_scan callback in system_setup.cpp): the last
            # AP the scan reports with this SSID decides security and cipher.
            for ap in self.world.visible_networks():
                if ap.ssid == ssid:
                    security, cipher = wiced_to_console_security(ap.security), scan_cipher(ap.security)

        if security == SEC_NOT_SET:
            security = yield from self._read_digit(SECURITY_PROMPT_ENTERPRISE, 0, 5)
        # The dry run asks for the cipher when it is not known: always after a manual security choice, and for
        # open/WEP networks found in the scan too (their scan entry has no cipher bits).
        if cipher == CIPHER_NOT_SET:
            cipher = yield from self._read_digit(CIPHER_PROMPT, 1, 3)

        # The dry run stores nothing but, when it passes, already marks the serial set-up done
        # (WLAN_SERIAL_CONFIG_DONE in system_network_wifi.h add_profile()), so listening mode ends after this
        # dialog whatever the real save says. It runs with the placeholder password "1", which passes for open
        # and enterprise networks only (the HAL's key length rules).
        dry_run_passed = security == SEC_UNSEC or security >= SEC_WPA_ENT
        password = ""
        saved = True
        if 0 < security <= 3:
            self._print("Password: ")
            # An empty answer leaves the placeholder "1": WiFiAllocatedCredentials.setPassword() ignores "".
            password = (yield from self._read_line(64)) or "1"
            saved = key_error(to_security(security, cipher), password.encode("utf-8")) == 0
        elif security >= 4:
            saved, password = yield from self._enterprise_dialog()

        self._print(THANKS)
        with self.world.lock:
            if self.world.device.dct_corrupt:
                saved = False  # a corrupted DCT cannot take the write
        if not saved:
            self._print(FAILURE)
            if dry_run_passed:
                self.world.exit_listening()
            return
        self.world.set_credentials(StoredCredential(ssid, password, security, cipher))
        self._print(SUCCESS)
        # Saving the credentials ends listening mode: the device goes off to connect.
        self.world.exit_listening()

    def _enterprise_dialog(self) -> Generator[Wait, None, tuple[bool, str]]:
        """WPA Enterprise prompts (exact texts). Saving fails without an identity (PEAP) or without a
        certificate and key (EAP-TLS): ``check_enterprise_credentials()`` in ``hal/src/photon/wlan_hal.cpp``.
        An empty PEAP password keeps the placeholder "1", which passes that check."""
        eap = yield from self._read_digit(EAP_PROMPT, 0, 1)
        password = ""
        if eap == 0:
            self._print("Username: ")
            username = yield from self._read_line(64)
            self._print("Password: ")
            password = (yield from self._read_line(64)) or "1"
            complete = bool(username)
        else:
            self._print("Client certificate in PEM format:\r\n")
            cert = yield from self._read_pem()
            self._print("Private key in PEM format:\r\n")
            key = yield from self._read_pem()
            complete = bool(cert and key)
        self._print("Outer identity (optional): ")
        yield from self._read_line(64)
        self._print("Root CA in PEM format (optional):\r\n")
        yield from self._read_pem()
        return complete, password

    def _read_pem(self) -> Generator[Wait, None, str]:
        lines: list[str] = []
        while True:
            line = yield from self._read_line(PEM_LINE_MAX, discard=False)
            if not line:
                return "\n".join(lines)
            lines.append(line)
