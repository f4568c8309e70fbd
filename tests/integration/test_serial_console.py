"""The serial client and probe against the simulated Photon console on a real pty (reference §1, §2.1)."""

from __future__ import annotations

import contextlib
import errno
import os
import threading
import time
import tty
from collections.abc import Iterator

import pytest
import serial
from photon_doctor.foundation.evidence import Observation
from photon_doctor.foundation.redact import redact
from photon_doctor.probes.base import ProbeContext, ProbeFailure, ProbeReport
from photon_doctor.probes.serial_client import open_error
from photon_doctor.probes.serial_console import (
    NoAnswer,
    NotUnderstood,
    PortGone,
    SerialConsole,
    SerialProbe,
    check_modules,
    enter_dfu,
    enter_listening,
)
from photon_doctor.simulator.factory import HOME_PASSWORD, HOME_SSID, healthy_world
from photon_doctor.simulator.photon import SimulatedPhoton
from photon_doctor.simulator.scenarios import get_scenario
from photon_doctor.simulator.serial_console import ConsoleFaults, SerialConsoleSimulator
from photon_doctor.simulator.world import (
    CIPHER_AES,
    CIPHER_TKIP,
    SEC_WPA,
    SEC_WPA2,
    WICED_WEP_PSK,
    WICED_WPA2_AES,
    WICED_WPA2_MIXED,
    WICED_WPA_TKIP,
    AccessPoint,
    Mode,
    World,
)

from photon_doctor.autoprobe import run_probes
from photon_doctor.wiring import simulated_targets

FAST = ConsoleFaults(scan_seconds=0.02)
SECRET = "S3cretDeviceKey"


@pytest.fixture
def world() -> World:
    w = healthy_world()
    w.enter_listening()
    return w


@pytest.fixture
def sim(world: World) -> Iterator[SerialConsoleSimulator]:
    with SerialConsoleSimulator(world, FAST) as s:
        yield s


#: How long a client waits for the simulated device's answer when one is due: it comes in milliseconds, but a busy
#: computer may leave the simulator's thread without the processor for a second (tests of silence pass their own).
ANSWER_DUE = 5.0


def client(sim: SerialConsoleSimulator, timeout: float = ANSWER_DUE) -> SerialConsole:
    assert sim.port is not None
    return SerialConsole(sim.port, timeout=timeout, idle=0.05)


def raw_exchange(port: str, data: bytes, wait: float = 0.15) -> bytes:
    """Send bytes on a plain pyserial port and return everything that comes back within ``wait``."""
    with serial.serial_for_url(port, baudrate=9600, timeout=0.02) as ser:
        ser.write(data)
        out = bytearray()
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            out += ser.read(256)
        return bytes(out)


def answer_to(port: str, data: bytes, ends_with: bytes, limit: float = 10.0) -> bytes:
    """Send bytes on a plain pyserial port and read until the answer ends with ``ends_with`` (:func:`read_until`)."""
    with serial.serial_for_url(port, baudrate=9600, timeout=0.05) as ser:
        ser.write(data)
        return read_until(ser, ends_with, limit)


def read_until(ser: serial.SerialBase, ends_with: bytes, limit: float = 10.0) -> bytes:
    """Read an open port until what came ends with ``ends_with``: synchronised on the answer itself, not on a time
    window, which a busy computer overruns (``limit`` only stops a test that would otherwise hang). Whatever else
    is already waiting after it is returned too, so an answer with extra text still fails the caller's comparison."""
    out = bytearray()
    deadline = time.monotonic() + limit
    while not out.endswith(ends_with) and time.monotonic() < deadline:
        out += ser.read(max(1, ser.in_waiting))
    return bytes(out + ser.read(ser.in_waiting or 0))


def wait_for(predicate: object, timeout: float = 1.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return False


def obs(report: ProbeReport) -> dict[str, Observation]:
    return {o.id: o for o in report.observations}


# --- the commands ------------------------------------------------------------------------------------------
def test_i_m_v_c_answer_with_the_exact_strings(sim: SerialConsoleSimulator, world: World) -> None:
    d = world.device
    assert sim.port is not None
    for key, answer in (
        (b"i", f"Your device id is {d.device_id}\r\n".encode()),
        (b"m", f"Your device MAC address is\r\n{d.mac}\r\n".encode()),
        (b"v", b"system firmware version: 2.3.1\n\r\n"),
        (b"c", b"Device claimed: yes\r\n"),
    ):
        assert answer_to(sim.port, key, answer) == answer
    assert raw_exchange(sim.port, b"zq\r\n") == b""  # other bytes are ignored


DERP = b"Derp. Sorry, we couldn't save the credentials.\r\n\r\n"
FLASH_PROMPT = b"Waiting for the binary file to be sent ... (press 'a' to abort)\r\n"
CANCEL = b"\x18\x18"


def test_f_waits_for_a_ymodem_file_and_a_aborts_it(sim: SerialConsoleSimulator) -> None:
    """`f` runs the YModem receiver (system_ymodem.cpp): it is not back at the command loop until the transfer
    ends. `a` aborts: CA CA from receive_file(), CA CA again and "Aborted by user." (v1.4.4 to v2.3.1)."""
    assert sim.port is not None
    aborted = CANCEL + CANCEL + b"Aborted by user.\r\n"
    # `i` meanwhile is a byte that starts no packet: an error, answered with 'C', not with the device id.
    assert answer_to(sim.port, b"fia", aborted) == FLASH_PROMPT + b"C" + aborted
    assert answer_to(sim.port, b"c", b"\r\n") == b"Device claimed: yes\r\n"  # back at the command loop


def test_f_gives_up_after_six_errors_and_acks_a_space(sim: SerialConsoleSimulator) -> None:
    assert sim.port is not None
    failed = CANCEL + CANCEL + b"Failed to receive the file!\r\n"
    # A space is acknowledged (not an error); the sixth bad byte in a row cancels the session.
    assert answer_to(sim.port, b"f xxxxxx", failed) == FLASH_PROMPT + b"\x06" + b"C" * 6 + failed
    # The sender's CA CA is acknowledged and ends it too (one CA CA back: receive_file() sent none).
    assert answer_to(sim.port, b"f" + CANCEL, failed[2:]) == FLASH_PROMPT + b"\x06" + failed[2:]


def test_f_times_out_without_a_sender(world: World) -> None:
    """Each NAK_TIMEOUT without a byte is an error: six 'C's, then the session is cancelled."""
    with SerialConsoleSimulator(world, ConsoleFaults(scan_seconds=0.02, ymodem_seconds=0.05)) as s:
        assert s.port is not None
        failed = CANCEL + CANCEL + b"Failed to receive the file!\r\n"
        assert answer_to(s.port, b"f", failed) == FLASH_PROMPT + b"C" * 6 + failed


def ymodem_packet(number: int, data: bytes) -> bytes:
    """A 128-byte YModem packet (SOH, number, its complement, data padded with NUL, a CRC the device ignores)."""
    return bytes([0x01, number, number ^ 0xFF]) + data.ljust(128, b"\x00") + b"\x00\x00"


def test_a_packet_start_goes_to_the_ymodem_receiver(sim: SerialConsoleSimulator) -> None:
    """handle_peek(): SOH in the command loop starts the receiver at once (no text first). A packet out of order
    is answered with NAK; the filename packet is refused (the simulator flashes nothing), as when
    Spark_Prepare_For_Firmware_Update() fails; none of the packets' bytes reach the command loop."""
    assert sim.port is not None
    refused = CANCEL + CANCEL + b"The file size is higher than the allowed space memory!\r\n"
    sent = ymodem_packet(1, b"ixw") + ymodem_packet(0, b"tinker.bin\x001234 ")
    assert answer_to(sim.port, sent, refused) == b"\x15" + refused
    # An empty filename packet ends the session: no file came.
    failed = CANCEL + CANCEL + b"Failed to receive the file!\r\n"
    assert answer_to(sim.port, b"f" + ymodem_packet(0, b""), failed) == FLASH_PROMPT + failed
    assert answer_to(sim.port, b"c", b"\r\n") == b"Device claimed: yes\r\n"


def test_client_reads_identity_mac_version_and_claim(sim: SerialConsoleSimulator, world: World) -> None:
    with client(sim) as con:
        assert con.identify() == world.device.device_id
        assert con.mac() == world.device.mac
        assert con.system_version() == "2.3.1"
        assert con.claimed() is True
        world.device.claimed_flag = False
        assert con.claimed() is False


def test_identity_with_serial_number_and_device_secret(sim: SerialConsoleSimulator, world: World) -> None:
    world.device.serial_number = "PHHAAB812345678"
    world.device.device_secret = SECRET
    assert sim.port is not None
    raw = answer_to(sim.port, b"i", b"Serial Number: PHHAAB812345678\r\n").decode()
    # The HAL lists "ms" (Device Secret) before "sn" (Serial Number).
    assert raw.startswith(f"Device ID: {world.device.device_id}\r\nDevice Secret: ")
    assert raw.index("Device Secret: ") < raw.index("Serial Number: PHHAAB812345678\r\n")
    with client(sim) as con:
        ident = con.identity()
    assert ident.device_id == world.device.device_id
    assert ident.serial_number == "PHHAAB812345678"
    assert ident.has_device_secret and SECRET not in repr(ident)
    assert SECRET not in redact(f"the device said {raw}")  # registered where it entered


def test_key_values_only_from_1_4_1(sim: SerialConsoleSimulator, world: World) -> None:
    world.device.serial_number = "PHHAAB812345678"
    world.device.device_os = "1.4.0"
    with client(sim) as con:
        assert con.identity().serial_number is None


def test_module_info_and_dependency_check(sim: SerialConsoleSimulator, world: World) -> None:
    with client(sim) as con:
        info = con.module_info()
        assert info["p"] == 6
        assert [(m["f"], m["n"]) for m in info["m"]] == [("b", "0"), ("s", "1"), ("s", "2"), ("u", "1")]
        assert check_modules(info).ok
        world.device.modules_ok = False
        check = check_modules(con.module_info())
    assert not check.ok
    assert "user part 1" in check.describe() and "needs system part 2" in check.describe()


SIGNAL_KEYS = {"net:sigstr", "net:sigstrv", "net:sigqual", "net:sigqualv", "net:at"}


def test_diagnostics_uses_diag_source_names(sim: SerialConsoleSimulator, world: World) -> None:
    with client(sim) as con:
        diag = con.diagnostics()
    assert {"net:stat", "cloud:stat", "cloud:dconn", "sys:reset", "sys:uram", "sys:tram"} <= diag.keys()
    assert not {"mem:used", "mem:total", "net:rssi"} & diag.keys()  # net:rssi is gone from 1.5.1
    assert SIGNAL_KEYS <= diag.keys() and diag["cloud:stat"] == 0
    # Listening mode has dropped the Wi-Fi link: every signal source fails, the access technology stays Wi-Fi.
    assert diag["net:sigstrv"] == {"err": -100} and diag["net:at"] == 1


def test_diagnostics_of_1_4_4_still_have_net_rssi(sim: SerialConsoleSimulator, world: World) -> None:
    world.device.device_os = "1.4.4"
    with client(sim) as con:
        diag = con.diagnostics()
    assert SIGNAL_KEYS | {"net:rssi"} <= diag.keys() and diag["net:rssi"] == {"err": -100}


@pytest.mark.parametrize(
    ("device_os", "system", "bootloader"), [("2.3.1", 2302, 1006), ("1.4.4", 1406, 501), ("1.5.2", 1512, 502)]
)
def test_module_versions_are_the_releases_own(
    sim: SerialConsoleSimulator, world: World, device_os: str, system: int, bootloader: int
) -> None:
    world.device.device_os = device_os
    with client(sim) as con:
        modules = con.module_info()["m"]
    assert [m["v"] for m in modules[:3]] == [bootloader, system, system]
    assert modules[1]["d"] == [{"f": "b", "n": "0", "v": bootloader}]


def test_wifi_scan_keeps_the_last_matching_access_point(sim: SerialConsoleSimulator, world: World) -> None:
    world.device.credentials = []
    world.networks.append(AccessPoint(HOME_SSID, password=HOME_PASSWORD, security=WICED_WPA_TKIP, rssi=-70))
    with client(sim) as con:
        result = con.set_wifi(HOME_SSID, HOME_PASSWORD)
    assert result.found_by_device
    cred = world.device.credentials[0]
    assert (cred.security, cred.cipher) == (SEC_WPA, CIPHER_TKIP)  # the second "HomeNet" the scan reported


def test_no_d_command_before_1_0_1(sim: SerialConsoleSimulator, world: World) -> None:
    world.device.device_os = "0.7.0"
    with client(sim, timeout=0.2) as con, pytest.raises(NoAnswer, match="did not answer 'd'"):
        con.diagnostics()


def test_claim_code_dialog(sim: SerialConsoleSimulator, world: World) -> None:
    code = "A" * 62 + "z"
    with client(sim) as con:
        con.set_claim_code(code)
        with pytest.raises(ValueError) as bad:
            con.set_claim_code("short-code")
    assert world.device.claim_code == code
    assert "short-code" not in str(bad.value)


def test_claim_code_raw_rules(sim: SerialConsoleSimulator, world: World) -> None:
    assert sim.port is not None
    out = answer_to(sim.port, b"C" + b"abc\r", b"Claim code unchanged.\r\n")
    assert out == (
        b"Enter 63-digit claim code: abc\r\n"
        b"Sorry, claim code is not 63 characters long. Claim code unchanged.\r\n"
    )
    # The 64th byte ends the line and is dropped: 63 characters are taken.
    set_to = b"Claim code set to: " + b"B" * 63 + b"\r\n"
    out = answer_to(sim.port, b"C" + b"B" * 64 + b"\n", set_to)
    assert out.endswith(set_to)
    assert world.device.claim_code == "B" * 63  # set before the device says so


def test_x_exits_listening_and_L_resets_into_safe_listening(
    sim: SerialConsoleSimulator, world: World
) -> None:
    assert sim.port is not None
    generation = sim.generation
    with serial.serial_for_url(sim.port, baudrate=9600) as ser:
        ser.write(b"L")
    assert wait_for(lambda: "reset into safe listening mode" in world.events)
    assert world.device.mode is Mode.LISTENING
    # The reset takes the USB port off the bus; a new one comes back (System.enterSafeMode()).
    assert sim.wait_for_port(2.0, newer_than=generation) is not None
    with client(sim) as con:
        con.exit_listening()
    assert wait_for(lambda: world.device.mode is Mode.CONNECTED)


def test_a_port_held_open_across_L_sees_the_device_go(sim: SerialConsoleSimulator, world: World) -> None:
    assert sim.port is not None
    with serial.serial_for_url(sim.port, baudrate=9600, timeout=0.05) as ser:
        ser.write(b"L")
        deadline = time.monotonic() + 2.0
        with pytest.raises(serial.SerialException):
            while time.monotonic() < deadline:
                ser.read(16)  # EIO once the device has left the bus
                ser.write(b"v")


# --- read_line and the w dialog -------------------------------------------------------------------------
def test_read_line_echo_backspace_and_discard(sim: SerialConsoleSimulator, world: World) -> None:
    assert sim.port is not None
    with serial.serial_for_url(sim.port, baudrate=9600, timeout=0.1) as ser:
        ser.write(b"w")
        assert read_until(ser, b"SSID: ") == b"SSID: "
        ser.write(b"\r")  # empty: asked again
        assert read_until(ser, b"SSID: ") == b"\r\nSSID: "
        ser.write(b"HomeX\x08Y\x7fNet\r\nleftover")  # DEL, BS edit; the rest of the input is discarded
        assert read_until(ser, b"Password: ") == b"HomeX\x08Y\x7fNet\r\nPassword: "
        ser.write(HOME_PASSWORD.encode() + b"\n")
        rest = read_until(ser, b"Particle <3 you!\r\n\r\n")
    assert rest.startswith(
        HOME_PASSWORD.encode() + b"\r\nThanks! Wait while I save those credentials...\r\n\r\n"
    )
    assert rest.endswith(b"    Particle <3 you!\r\n\r\n")
    assert world.device.credentials[0].ssid == "HomeNet"


def test_wifi_ssid_found_by_the_device(sim: SerialConsoleSimulator, world: World) -> None:
    world.device.credentials = []
    with client(sim) as con:
        result = con.set_wifi(HOME_SSID, HOME_PASSWORD)
    assert result.saved and result.found_by_device
    assert result.prompts == ("ssid", "password", "saved")
    cred = world.device.credentials[0]
    assert (cred.ssid, cred.password, cred.security, cred.cipher) == (
        HOME_SSID,
        HOME_PASSWORD,
        SEC_WPA2,
        CIPHER_AES,
    )
    assert wait_for(lambda: world.device.mode is Mode.CONNECTED)


def test_wifi_ssid_not_found_asks_security_and_cipher(sim: SerialConsoleSimulator, world: World) -> None:
    world.networks.append(AccessPoint("Attic", password="pw-attic-123", hidden=True))
    assert sim.port is not None
    with serial.serial_for_url(sim.port, baudrate=9600, timeout=0.1) as ser:
        ser.write(b"w")
        read_until(ser, b"SSID: ")
        ser.write(b"Attic\n")
        out = read_until(ser, b"WPA2 Enterprise: ")
        assert out == (
            b"Attic\r\nSecurity 0=unsecured, 1=WEP, 2=WPA, 3=WPA2, 4=WPA Enterprise, 5=WPA2 Enterprise: "
        )
        ser.write(b"9\n")  # out of range: asked again
        assert read_until(ser, b"5=WPA2 Enterprise: ").startswith(b"9\r\nSecurity 0=unsecured")
        ser.write(b"3\n")
        assert read_until(ser, b"AES+TKIP: ") == b"3\r\nSecurity Cipher 1=AES, 2=TKIP, 3=AES+TKIP: "
        ser.write(b"1\n")
        assert read_until(ser, b"Password: ") == b"1\r\nPassword: "
        ser.write(b"pw-attic-123\n")
        assert read_until(ser, b"Particle <3 you!\r\n\r\n").endswith(b"Particle <3 you!\r\n\r\n")
    assert world.device.credentials[0].ssid == "Attic"


def test_client_answers_the_security_menu(sim: SerialConsoleSimulator, world: World) -> None:
    world.networks.append(AccessPoint("Attic", password="pw-attic-123", hidden=True))
    with client(sim) as con:
        result = con.set_wifi("Attic", "pw-attic-123", security=2, cipher=2)
    assert result.saved and not result.found_by_device
    assert result.prompts == ("ssid", "security", "cipher", "password", "saved")
    cred = world.device.credentials[0]
    assert (cred.security, cred.cipher) == (2, 2)


def test_open_network_found_in_scan_is_still_asked_the_cipher(sim: SerialConsoleSimulator) -> None:
    with client(sim) as con:
        result = con.set_wifi("CoffeeShop", None)
    assert result.prompts == ("ssid", "cipher", "saved")


def test_wrong_password_leaves_device_not_connected(sim: SerialConsoleSimulator, world: World) -> None:
    with client(sim) as con:
        result = con.set_wifi(HOME_SSID, "not the password")
    assert result.saved  # the device saves whatever it is given...
    # ...and then cannot join: it tries (after the closing text is out) and falls back to listening.
    assert wait_for(lambda: world.device.led == "green_then_blinking_blue")
    assert world.device.mode is Mode.LISTENING


def test_enterprise_peap_and_failure_without_identity(sim: SerialConsoleSimulator, world: World) -> None:
    world.networks.append(AccessPoint("Campus", password="eap-pass", security=0x02400004))
    with client(sim) as con:
        failed = con.set_wifi("Campus", "eap-pass")
    assert not failed.saved
    assert failed.prompts == ("ssid", "eap", "username", "password", "outer_identity", "root_ca", "not_saved")
    # The dry run had passed (enterprise keys are not checked there), so listening mode ends all the same.
    assert wait_for(lambda: world.device.mode is Mode.CONNECTED)
    world.enter_listening()
    with client(sim) as con:
        ok = con.set_wifi("Campus", "eap-pass", eap_username="student")
    assert ok.saved and world.device.credentials[0].ssid == "Campus"


def test_saving_fails_on_a_corrupt_dct(sim: SerialConsoleSimulator, world: World) -> None:
    world.device.dct_corrupt = True
    with client(sim) as con:
        result = con.set_wifi(HOME_SSID, HOME_PASSWORD)
    assert not result.saved and result.prompts[-1] == "not_saved"


@pytest.mark.parametrize(
    ("network", "password"),
    [
        (AccessPoint("Short", password="7-chars", security=WICED_WPA2_AES), "7-chars"),
        (AccessPoint("Short", password="", security=WICED_WPA2_AES), ""),  # keeps the placeholder "1"
        (AccessPoint("Short", password="4chr", security=WICED_WEP_PSK), "4chr"),
        (AccessPoint("Short", password="k" * 59, security=WICED_WEP_PSK), "k" * 59),
    ],
)
def test_a_key_of_the_wrong_length_is_not_saved(
    sim: SerialConsoleSimulator, world: World, network: AccessPoint, password: str
) -> None:
    """wlan_hal.cpp wlan_set_credentials_internal(): WEP 5..58 bytes, WPA/WPA2 8..64, else the save fails;
    the dry run failed too (placeholder key "1"), so the device stays in listening mode."""
    world.networks.append(network)
    world.device.credentials = []
    with client(sim) as con:
        result = con.set_wifi("Short", password)
    assert not result.saved and result.prompts[-1] == "not_saved"
    assert world.device.credentials == [] and world.device.mode is Mode.LISTENING


def test_keys_of_the_shortest_and_longest_length_are_saved(sim: SerialConsoleSimulator, world: World) -> None:
    world.networks += [
        AccessPoint("Wep5", password="5char", security=WICED_WEP_PSK),
        AccessPoint("Psk64", password="p" * 64, security=WICED_WPA2_AES),
    ]
    for ssid, password in (("Wep5", "5char"), ("Psk64", "p" * 64)):
        world.enter_listening()
        with client(sim) as con:
            assert con.set_wifi(ssid, password).saved
        # The console prints its success line, then leaves listening mode: wait for that, or it can end the next
        # round's listening mode in the middle of its 'w' dialog (about 1 run in 10 failed so).
        assert wait_for(lambda: world.device.mode is not Mode.LISTENING)
    assert [c.ssid for c in world.device.credentials[:2]] == ["Psk64", "Wep5"]


def test_an_open_network_that_cannot_be_saved_still_ends_listening(
    sim: SerialConsoleSimulator, world: World
) -> None:
    """The dry run of an open network passes and marks the serial set-up done (system_network_wifi.h), so the
    device leaves listening mode after "Derp" too."""
    world.device.dct_corrupt = True
    with client(sim) as con:
        result = con.set_wifi("CoffeeShop", None)
    assert result.prompts[-1] == "not_saved"
    assert wait_for(lambda: world.device.mode is not Mode.LISTENING)


def test_a_mixed_aes_tkip_network_is_taken_as_aes(sim: SerialConsoleSimulator, world: World) -> None:
    """toCipherType() (wlan_hal.cpp): the AES bit wins; a scan never reports AES+TKIP."""
    world.networks.append(AccessPoint("Mixed", password="mixed-pass", security=WICED_WPA2_MIXED))
    with client(sim) as con:
        result = con.set_wifi("Mixed", "mixed-pass")
    assert result.found_by_device and result.prompts == ("ssid", "password", "saved")
    cred = world.device.credentials[0]
    assert (cred.security, cred.cipher) == (SEC_WPA2, CIPHER_AES)


def test_device_stuck_in_another_dialog_times_out(sim: SerialConsoleSimulator) -> None:
    assert sim.port is not None
    answer_to(sim.port, b"C", b"Enter 63-digit claim code: ")  # the device now waits for a claim code line
    with (
        client(sim, timeout=0.2) as con,
        pytest.raises(ProbeFailure, match="stopped answering during the 'w'"),
    ):
        con.set_wifi(HOME_SSID, HOME_PASSWORD)


# --- modes and magic baud rates ---------------------------------------------------------------------------
def test_silent_outside_listening_mode(world: World) -> None:
    world.boot()
    assert world.device.mode is Mode.CONNECTED
    with SerialConsoleSimulator(world, FAST) as sim:
        assert sim.port is not None
        assert raw_exchange(sim.port, b"i", wait=0.1) == b""
        world.enter_listening()
        # The byte sent before was consumed and ignored, not kept for the console (nothing comes within 0.1 s).
        assert raw_exchange(sim.port, b"", wait=0.1) == b""
        with client(sim, timeout=0.2) as con:
            assert con.identify() == world.device.device_id


def test_28800_baud_enters_listening_mode(world: World) -> None:
    world.boot()
    with SerialConsoleSimulator(world, FAST) as sim:
        assert sim.port is not None
        enter_listening(sim.port, hold=0.05)
        assert wait_for(lambda: world.device.mode is Mode.LISTENING)


def test_14400_baud_reboots_to_dfu_and_the_port_vanishes(world: World) -> None:
    world.boot()
    with SerialConsoleSimulator(world, FAST) as sim:
        port, generation = sim.port, sim.generation
        assert port is not None
        with client(sim) as con:
            enter_dfu(port, hold=0.05)
            assert wait_for(lambda: world.device.mode is Mode.DFU)
            assert wait_for(lambda: sim.port is None)
            with pytest.raises(PortGone, match="vanished"):
                con.identify()
        world.boot()  # leaves DFU: a new CDC port is offered
        new_port = sim.wait_for_port(1.0, newer_than=generation)
        assert new_port is not None and sim.generation == generation + 1
        enter_listening(new_port, hold=0.05)
        assert wait_for(lambda: world.device.mode is Mode.LISTENING)


def test_no_port_while_in_dfu(world: World) -> None:
    world.enter_dfu()
    with SerialConsoleSimulator(world, FAST) as sim:
        assert sim.port is None


# --- faults ------------------------------------------------------------------------------------------------
def test_garbage_is_reported_as_garbled(world: World) -> None:
    with SerialConsoleSimulator(world, ConsoleFaults(garbage=True)) as sim:
        with client(sim) as con, pytest.raises(ProbeFailure, match="garbled answer to 'i'"):
            con.identify()
        # No prompt it knows comes: the dialog gives up after its timeout and says what came instead.
        with client(sim, timeout=0.6) as con, pytest.raises(ProbeFailure, match="garbled") as err:
            con.set_wifi(HOME_SSID, HOME_PASSWORD)
    assert HOME_PASSWORD not in str(err.value)


def test_device_that_echoes_nothing(world: World) -> None:
    with SerialConsoleSimulator(world, ConsoleFaults(echo=False, scan_seconds=0.02)) as sim:
        assert sim.port is not None
        with serial.serial_for_url(sim.port, baudrate=9600, timeout=0.1) as ser:
            ser.write(b"w")
            assert read_until(ser, b"SSID: ") == b"SSID: "
            ser.write(b"HomeNet\n")
            assert read_until(ser, b"Password: ") == b"\r\nPassword: "
            ser.write(b"\n")
            # The dialog's end, before the client starts one of its own (a time window missed it under load).
            assert read_until(ser, DERP).endswith(DERP)
        with client(sim) as con:
            result = con.set_wifi(HOME_SSID, HOME_PASSWORD)
    assert result.saved and world.device.credentials[0].password == HOME_PASSWORD


def test_truncated_and_invalid_json(world: World) -> None:
    truncated = SerialConsoleSimulator(world, ConsoleFaults(truncate_json=True))
    with truncated as sim, client(sim) as con, pytest.raises(ProbeFailure, match="truncated answer to 's'"):
        con.module_info()
    corrupt = SerialConsoleSimulator(world, ConsoleFaults(corrupt_json=True))
    with (
        corrupt as sim,
        client(sim) as con,
        pytest.raises(ProbeFailure, match="answer to 'd' is not valid JSON"),
    ):
        con.diagnostics()


def test_damaged_module_drops_off_the_bus_mid_dialog(world: World) -> None:
    world.device.damaged = True
    with SerialConsoleSimulator(world, ConsoleFaults(damaged_after=5.0, scan_seconds=0.02)) as sim:
        with client(sim) as con:
            assert con.identify() == world.device.device_id
            with pytest.raises(PortGone, match="vanished during the 'w' dialog") as err:
                con.set_wifi(HOME_SSID, HOME_PASSWORD)
        assert world.device.mode is Mode.OFF and sim.port is None
    assert HOME_PASSWORD not in str(err.value)


def test_damaged_module_drops_off_after_a_short_while(world: World) -> None:
    world.device.damaged = True
    with SerialConsoleSimulator(world, ConsoleFaults(damaged_after=0.1)) as sim, client(sim) as con:
        # (The old path is not reopened: another process may already have a new pty with that number.)
        assert wait_for(lambda: sim.port is None)
        assert world.device.mode is Mode.OFF
        with pytest.raises(PortGone, match="vanished"):
            con.identify()


def test_unplugged_mid_command(sim: SerialConsoleSimulator) -> None:
    with client(sim) as con:
        assert con.identify()
        sim.unplug()
        assert wait_for(lambda: sim.port is None)
        with pytest.raises(PortGone):
            con.mac()


def test_open_errors_are_one_line() -> None:
    assert str(open_error("/dev/ttyACM0", serial.SerialException(errno.EACCES, "could not open port"))) == (
        "port /dev/ttyACM0: permission denied (see udev rules in docs)"
    )
    assert "busy" in str(open_error("/dev/ttyACM0", serial.SerialException(errno.EBUSY, "x")))
    with pytest.raises(ProbeFailure, match="cannot open"):
        SerialConsole("nosuchscheme://x", timeout=0.1).open()


# --- the probe ----------------------------------------------------------------------------------------------
def ctx(port: str | None, timeout: float = ANSWER_DUE, **extra: object) -> ProbeContext:
    return ProbeContext(
        serial_port=port, timeout=timeout, extra={"serial_idle": 0.05, "listen_hold": 0.05, **extra}
    )


def test_probe_in_listening_mode(sim: SerialConsoleSimulator, world: World) -> None:
    world.device.modules_ok = False
    report = SerialProbe().run(ctx(sim.port))
    o = obs(report)
    assert o["usb_serial_responds"].value is True and o["listening_mode_enters"].value is True
    assert o["device_os_version"].value == "2.3.1"
    assert o["module_dependencies_ok"].value is False
    assert all(x.provenance.source == "probe:serial" and "\n" not in x.provenance.detail for x in o.values())
    assert (
        o["device_os_version"].provenance.detail == "sent 'v', device said 'system firmware version: 2.3.1'"
    )
    assert report.facts["device_id"] == world.device.device_id and report.facts["mac"] == world.device.mac
    assert report.facts["claimed"] is True and "net:stat" in report.facts["diagnostics"]
    assert len(report.facts["modules"]) == 4 and report.unavailable == ()
    assert world.device.mode is Mode.LISTENING  # found there, left there


def test_probe_enters_listening_and_leaves_it(world: World) -> None:
    world.boot()
    with SerialConsoleSimulator(world, FAST) as sim:
        # The first 'i' goes unanswered (the device is not listening yet): its timeout passes, then the switch.
        report = SerialProbe().run(ctx(sim.port, timeout=1.0, enter_listening=True))
        o = obs(report)
        assert o["usb_serial_responds"].value is True and o["listening_mode_enters"].value is True
        assert "28800" in o["listening_mode_enters"].provenance.detail
        assert report.facts["entered_listening"] is True
        assert wait_for(lambda: world.device.mode is Mode.CONNECTED)  # left as found


def test_probe_waits_for_a_device_slow_to_enter_listening_mode(world: World) -> None:
    """A Photon leaves the cloud and its network before its console runs, and drops what comes meanwhile: one `i`
    sent right after the 28800-baud switch was never answered ("did not answer in listening mode")."""
    world.boot()
    with SerialConsoleSimulator(world, ConsoleFaults(scan_seconds=0.02, listen_seconds=0.3)) as sim:
        assert sim.port is not None
        report = SerialProbe().run(
            ProbeContext(
                serial_port=sim.port, timeout=1.0, extra={"serial_idle": 0.05, "enter_listening": True}
            )
        )
        assert obs(report)["listening_mode_enters"].value is True, report.unavailable
        assert report.facts["device_id"] == world.device.device_id


def test_auto_probes_find_the_device_in_listening_mode_though_the_simulator_looks_late() -> None:
    """Under load, `diagnose --auto` against the simulator ended without the serial and SoftAP findings: the
    simulator's thread looked at the line after the serial probe had set 9600 again, so it never saw the 0.1 s of
    28800 baud. A device that looks at the line once a second (as a starved thread does) still sees the switch,
    which is now held until the console answers."""
    sim = SimulatedPhoton(get_scenario("static-ip"))
    sim.serial.faults = ConsoleFaults(scan_seconds=0.02, line_seconds=1.0)
    with sim:
        result = run_probes(simulated_targets(sim))
        events = list(sim.world.events)
    assert {"probe:serial", "probe:softap"} <= {o.provenance.source for o in result.observations.values()}, (
        result.unavailable
    )
    assert "listening mode" in events


def test_probe_silent_device(world: World) -> None:
    world.boot()
    with SerialConsoleSimulator(world, FAST) as sim:
        report = SerialProbe().run(ctx(sim.port, timeout=0.5))
    assert report.observations == ()
    assert report.unavailable[0].reason.startswith("device did not answer in listening mode within 0.5 s")


def test_probe_mute_console_even_after_28800(world: World) -> None:
    world.boot()
    with SerialConsoleSimulator(world, ConsoleFaults(mute=True)) as sim:
        report = SerialProbe().run(ctx(sim.port, timeout=0.5, enter_listening=True))
        assert obs(report)["usb_serial_responds"].value is False
        assert [u.id for u in report.unavailable] == ["listening_mode_enters"]
        assert wait_for(lambda: world.device.mode is Mode.CONNECTED)  # `x` still sent


def test_probe_without_port_or_with_a_missing_one() -> None:
    assert SerialProbe().run(ctx(None)).unavailable[0].reason == (
        "not tried: no serial port to open (none found on USB; --port names one)"
    )
    report = SerialProbe().run(ctx("/dev/ttyDOESNOTEXIST"))
    assert (
        report.unavailable[0].reason
        == "port /dev/ttyDOESNOTEXIST: no such device (is the Photon plugged in?)"
    )


def test_probe_on_a_pyserial_url_that_is_not_a_photon() -> None:
    report = SerialProbe().run(ctx("loop://"))  # a loopback: the command comes back as the answer
    assert report.unavailable[0].reason == (
        "opened loop://, but what came back was not a Photon's listening-mode answer (it said 'i'): "
        "is this the Photon's port?"
    )
    assert report.facts["port_answered"] is True


def test_probe_device_dropping_off_mid_probe(world: World) -> None:
    with SerialConsoleSimulator(world, ConsoleFaults(hang_up_on=b"s")) as sim:
        report = SerialProbe().run(ctx(sim.port))
    o = obs(report)
    assert o["usb_serial_responds"].value is True and o["device_os_version"].value == "2.3.1"
    assert "module_dependencies_ok" not in o
    assert [u.reason for u in report.unavailable] == [
        f"port {report.facts['port']} vanished during 's' (device reset, unplugged or in DFU)"
    ]


def test_probe_never_leaks_the_device_secret(sim: SerialConsoleSimulator, world: World) -> None:
    world.device.serial_number = "PHHAAB812345678"
    world.device.device_secret = SECRET
    report = SerialProbe().run(ctx(sim.port))
    assert obs(report)["usb_serial_responds"].value is True
    assert SECRET not in repr(report)
    assert report.facts["serial_number"] == "PHHAAB812345678"


def test_probe_garbled_console(world: World) -> None:
    with SerialConsoleSimulator(world, ConsoleFaults(garbage=True)) as sim:
        port = sim.port
        report = SerialProbe().run(ctx(port))
    assert report.observations == ()
    assert [u.reason for u in report.unavailable] == [
        f"opened {port}, but what came back was not a Photon's listening-mode answer "
        "(44 bytes that are not text): is this the Photon's port?"
    ]
    assert report.facts["port_answered"] is True


def test_secrets_are_scrubbed_from_unexpected_answers() -> None:
    """A console that echoes the claim code and then says something odd: the error must not show the code."""
    code = "Q" * 63
    master, slave = os.openpty()
    tty.setraw(slave)

    def device() -> None:
        with contextlib.suppress(OSError):  # EIO: the test closed the port while it still waited
            os.read(master, 1)  # 'C'
            os.write(master, b"Enter 63-digit claim code: ")
            got = b""
            while not got.endswith(b"\n"):
                got += os.read(master, 128)
            os.write(master, got.rstrip(b"\n") + b"\r\nClaim code refused: " + got.rstrip(b"\n") + b"\r\n")

    responder = threading.Thread(target=device, daemon=True)
    responder.start()
    try:
        console = SerialConsole(os.ttyname(slave), timeout=ANSWER_DUE, idle=0.05)
        with console as con, pytest.raises(ProbeFailure, match="unexpected answer to 'C'") as err:
            con.set_claim_code(code)
    finally:
        os.close(slave)  # as in scripted(): the device's read ends before the master is closed
        responder.join(timeout=10)
        os.close(master)
    assert code not in str(err.value) and "[redacted]" in str(err.value)


def test_pulled_cable_is_not_offered_again(world: World) -> None:
    with SerialConsoleSimulator(world, ConsoleFaults(hang_up_after=0.05)) as sim:
        assert sim.port is not None and sim.generation == 1
        assert wait_for(lambda: sim.port is None)
        # ... and stays gone: no new port is offered within 50 ms
        assert not wait_for(lambda: sim.port is not None or sim.generation != 1, timeout=0.05)


# Second round of mutation testing (docs/reliability.md): Device OS 1.0.1, the first with `d`, and consoles that
# say what the simulator never says (scripted on a raw pty).


def test_the_probe_reads_diagnostics_from_1_0_1_on(sim: SerialConsoleSimulator, world: World) -> None:
    world.device.device_os = "1.0.1"
    report = SerialProbe().run(ctx(sim.port))
    assert "net:stat" in report.facts["diagnostics"]
    assert not any("'d'" in u.reason for u in report.unavailable)
    world.device.device_os = "1.0.0"
    report = SerialProbe().run(ctx(sim.port))
    assert "diagnostics" not in report.facts
    assert [u.reason for u in report.unavailable] == ["Device OS 1.0.0 has no 'd' (diagnostics) command"]


@contextlib.contextmanager
def scripted(*steps: tuple[bytes, bytes]) -> Iterator[SerialConsole]:
    """A console on a raw pty that, for each step, reads until what it read ends with the step's first bytes and
    then writes the second: a device saying what the simulator never says."""
    master, slave = os.openpty()
    tty.setraw(slave)

    def device() -> None:
        with contextlib.suppress(OSError):  # EIO: the test closed the port while a step still waited
            for until, say in steps:
                got = b""
                while not got.endswith(until):
                    got += os.read(master, 1)
                os.write(master, say)

    responder = threading.Thread(target=device, daemon=True)
    responder.start()
    try:
        with SerialConsole(os.ttyname(slave), timeout=ANSWER_DUE, idle=0.05) as con:
            yield con
    finally:
        # The last slave closed, a step still waiting for input ends (its read fails); only then is the master
        # closed, so that a thread still reading can never take the next test's reused descriptor.
        os.close(slave)
        responder.join(timeout=10)
        os.close(master)


def test_a_version_line_ended_by_crlf_alone_is_read() -> None:
    with scripted((b"v", b"system firmware version: 0.4.9\r\n")) as con:
        assert con.system_version() == "0.4.9"


@pytest.mark.parametrize("command", ["v", "s"])
def test_an_unexpected_answer_is_one_short_line_naming_the_command(command: str) -> None:
    """Not what the command answers: a NotUnderstood naming it, the answer cut to 60 characters (never a crash,
    nor "truncated" for a line that was whole)."""
    said = "Unknown command: " + "x" * 100
    with scripted((command.encode(), said.encode() + b"\r\n")) as con, pytest.raises(NotUnderstood) as err:
        con.system_version() if command == "v" else con.module_info()
    shown = said[:57] + "..."
    assert str(err.value) == f"unexpected answer to '{command}': {shown!r}" and len(shown) == 60


def test_a_device_asking_for_the_ssid_again_is_a_probe_failure() -> None:
    with scripted((b"w", b"SSID: "), (b"\n", b"HomeNet\r\nSSID: ")) as con:
        with pytest.raises(ProbeFailure, match="asked for the SSID again"):
            con.set_wifi(HOME_SSID, HOME_PASSWORD)


@pytest.mark.parametrize(
    "prompt", [b"Client certificate in PEM format:\r\n", b"Private key in PEM format:\r\n"]
)
def test_an_eap_tls_prompt_is_a_probe_failure_not_a_crash(prompt: bytes) -> None:
    with scripted((b"w", b"SSID: "), (b"\n", b"HomeNet\r\n" + prompt)) as con:
        with pytest.raises(ProbeFailure, match="EAP-TLS certificate") as err:
            con.set_wifi(HOME_SSID, HOME_PASSWORD)
    assert HOME_PASSWORD not in str(err.value)


def test_an_ssid_that_reads_like_a_prompt_is_not_taken_for_one(world: World) -> None:
    """The device echoes the SSID sent; "Password: " inside it is our own text, not the device asking."""
    ssid = "Password: cafe"
    world.device.credentials = []
    world.networks.append(AccessPoint(ssid, password=HOME_PASSWORD))
    with SerialConsoleSimulator(world, FAST) as sim, client(sim) as con:
        result = con.set_wifi(ssid, HOME_PASSWORD)
    assert result.saved and result.prompts[0] == "ssid" and result.prompts.count("password") == 1
    assert world.device.credentials[0].ssid == ssid
