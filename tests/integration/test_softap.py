"""The SoftAP simulator, clients and probe over real sockets on 127.0.0.1 (HTTP and the raw TCP protocol)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.asymmetric import rsa
from photon_doctor.foundation.evidence import Observation
from photon_doctor.probes.base import ProbeContext, ProbeFailure, ProbeReport
from photon_doctor.probes.softap import SoftAPClient, SoftAPProbe, SoftAPTcpClient, SoftAPUnreachable
from photon_doctor.simulator.factory import HOME_PASSWORD, HOME_SSID, healthy_world
from photon_doctor.simulator.scenarios import softap_setup_js_body
from photon_doctor.simulator.softap import Fault, SoftAPSimulator
from photon_doctor.simulator.world import (
    CIPHER_AES,
    CIPHER_NOT_SET,
    SEC_UNSEC,
    SEC_WPA2,
    WICED_OPEN,
    WICED_WPA2_AES,
    WICED_WPA_AES,
    AccessPoint,
    Mode,
    World,
    public_key_der,
)

T = 0.5  # client timeout for a hang or a refusal a test waits out: short, so it costs half a second
#: Client timeout where an answer is due: it comes in milliseconds, but a busy computer may leave the simulator's
#: threads without the processor for a second.
DUE = 5.0
CLAIM_CODE = "Zq3" + "x" * 57 + "abc"  # 63 characters, like a real claim code
SPKI_RSA1024_HEADER = bytes.fromhex("30819f300d06092a864886f70d010101050003818d00")

Client = SoftAPClient | SoftAPTcpClient
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def world() -> World:
    w = healthy_world()
    w.enter_listening()
    return w


@pytest.fixture
def sim(world: World) -> Iterator[SoftAPSimulator]:
    with SoftAPSimulator(world) as s:
        yield s


@pytest.fixture(params=["http", "tcp"])
def client(request: pytest.FixtureRequest, sim: SoftAPSimulator) -> Client:
    if request.param == "http":
        return SoftAPClient(sim.url, timeout=DUE)
    return SoftAPTcpClient(sim.tcp_address, timeout=DUE)


def raw_exchange(address: tuple[str, int], data: bytes) -> bytes:
    """Send bytes, read until the server closes, return everything it said."""
    with socket.create_connection(address, timeout=2) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(4096):
            chunks.append(chunk)
    return b"".join(chunks)


def http_address(sim: SoftAPSimulator) -> tuple[str, int]:
    host, port = sim.url.removeprefix("http://").split(":")
    return host, int(port)


def wait_for_exit_listening(world: World) -> None:
    """connect-ap changes the world after the reply is out; wait (bounded) until it has."""
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        with world.lock:
            if any(e.startswith("exit listening") for e in world.events):
                return
        time.sleep(0.01)
    raise AssertionError("the device never left listening mode")


def obs(report: ProbeReport) -> dict[str, Observation]:
    return {o.id: o for o in report.observations}


# --- HTTP pages and the wire format -------------------------------------------------------------------------


def test_root_redirects_to_index_and_index_to_hello(sim: SoftAPSimulator) -> None:
    root = requests.get(sim.url + "/", allow_redirects=False, timeout=2)
    index = requests.get(sim.url + "/index", allow_redirects=False, timeout=2)
    hello = requests.get(sim.url + "/hello", timeout=2)
    assert (root.status_code, root.headers["Location"]) == (301, "/index")
    assert (index.status_code, index.headers["Location"]) == (301, "/hello")
    assert hello.status_code == 200
    assert hello.headers["Content-Type"] == "text/plain"
    assert hello.text == "Soft AP Setup"
    assert requests.get(sim.url + "/", timeout=2).text == "Soft AP Setup"  # following both redirects


def test_http_reply_is_chunked_json_uncached_with_cors_on_the_wire(sim: SoftAPSimulator) -> None:
    raw = raw_exchange(http_address(sim), b"GET /version HTTP/1.1\r\nHost: 192.168.0.1\r\n\r\n")
    assert raw == (
        b"HTTP/1.1 200 OK\r\n"
        b"Content-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n"
        b"Cache-Control: no-store, no-cache, must-revalidate, post-check=0, pre-check=0\r\n"
        b"Pragma: no-cache\r\n"
        b"Access-Control-Allow-Origin: *\r\n"
        b"Connection: close\r\n"
        b"\r\n"
        b'7\r\n{"v":2}\r\n'
        b"0\r\n\r\n"
    )


def test_the_301_status_line_has_no_reason_phrase(sim: SoftAPSimulator) -> None:
    """HTTP_HEADER_301 is "HTTP/1.1 301" (http_server.h); /index answers it (default_page_handler)."""
    raw = raw_exchange(http_address(sim), b"GET /index HTTP/1.1\r\nHost: 192.168.0.1\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 301\r\n") and b"\r\nLocation: /hello\r\n" in raw


def test_unknown_page_is_404(sim: SoftAPSimulator) -> None:
    assert requests.get(sim.url + "/nope", timeout=2).status_code == 404
    assert requests.get(sim.url + "/ant-external", timeout=2).status_code == 404  # TCP-only command


def test_device_id_raw_is_uppercase_and_claimed_is_a_string(sim: SoftAPSimulator, world: World) -> None:
    reply = requests.get(sim.url + "/device-id", timeout=2).json()
    assert reply == {"id": world.device.device_id.upper(), "c": "1"}


def test_tcp_wire_format(sim: SoftAPSimulator, world: World) -> None:
    assert raw_exchange(sim.tcp_address, b"version\n0\n\n") == b'\n\n{"v":2}'
    body = b'{"k":"cc","v":"abcd"}'
    assert raw_exchange(sim.tcp_address, b"set\n%d\n\n%s" % (len(body), body)) == b'\n\n{"r":0}'
    assert world.device.claim_code == "abcd"
    assert raw_exchange(sim.tcp_address, b"nonsense\n0\n\n") == b""  # unknown command: closed unanswered
    assert raw_exchange(sim.tcp_address, b"version\nten\n\n") == b""  # garbled request: closed unanswered


# --- every command, over both transports --------------------------------------------------------------------


def test_version(client: Client) -> None:
    assert client.version() == 2


def test_device_id_lowercase_and_claimed_flag(client: Client, world: World) -> None:
    assert client.device_id() == (world.device.device_id, True)
    world.device.claimed_flag = False
    assert client.device_id() == (world.device.device_id, False)


def test_scan_is_the_devices_own_view(client: Client, world: World) -> None:
    world.networks.append(AccessPoint("Hidden", password="secret123", hidden=True))
    world.device.interference = True  # effective RSSI is 12 dB lower at the device
    scan = {s.ssid: s for s in client.scan()}
    assert set(scan) == {HOME_SSID, "CoffeeShop"}  # no 5 GHz, no hidden network
    assert (scan[HOME_SSID].rssi, scan[HOME_SSID].sec, scan[HOME_SSID].channel) == (-64, WICED_WPA2_AES, 6)
    assert (scan[HOME_SSID].security, scan[HOME_SSID].band) == ("wpa2_psk", "2.4GHz")
    assert (scan["CoffeeShop"].sec, scan["CoffeeShop"].security) == (WICED_OPEN, "open")


def test_scan_writes_ssids_unescaped_and_the_client_still_reads_them(
    client: Client, sim: SoftAPSimulator, world: World
) -> None:
    """ScanAPCommand writes each SSID between quotes as it is (softap.cpp write_json_string()), so a quote or a
    backslash in a neighbour's name makes the reply invalid JSON; the client reads the device's layout."""
    world.networks.append(AccessPoint('Bob"s \\ Den', password="bob-pass-123", channel=3, rssi=-70))
    raw = requests.get(sim.url + "/scan-ap", timeout=2).content
    assert b'{"ssid":"Bob"s \\ Den","rssi":-70,"sec":4194308,"ch":3,"mdr":72200}' in raw
    with pytest.raises(ValueError):
        json.loads(raw)
    scan = {s.ssid: s for s in client.scan()}
    assert set(scan) == {HOME_SSID, "CoffeeShop", 'Bob"s \\ Den'}
    assert (scan['Bob"s \\ Den'].rssi, scan['Bob"s \\ Den'].channel) == (-70, 3)


def test_public_key_is_the_device_key(client: Client, world: World) -> None:
    key = client.public_key()
    assert key.public_numbers() == world.device.private_key.public_key().public_numbers()


def test_public_key_blob_layout(sim: SoftAPSimulator, world: World) -> None:
    reply = requests.get(sim.url + "/public-key", timeout=2).json()
    assert reply["r"] == 0 and reply["b"] == reply["b"].upper()
    blob = bytes.fromhex(reply["b"])
    der = public_key_der(world.device.private_key)
    assert len(blob) == 294 and len(der) == 162
    assert blob[:22] == SPKI_RSA1024_HEADER
    assert blob[:162] == der and blob[162:] == b"\xff" * 132
    pkcs1 = world.device.private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.PKCS1
    )
    assert blob[22:162] == pkcs1  # what softap-setup-js parses


def test_configure_ap_round_trip_then_connect(client: Client, world: World) -> None:
    world.clear_credentials()
    client.configure_ap(HOME_SSID, HOME_PASSWORD, WICED_WPA2_AES, 6)
    cred = world.device.credentials[0]
    assert (cred.ssid, cred.password, cred.security, cred.cipher) == (
        HOME_SSID,
        HOME_PASSWORD,
        SEC_WPA2,
        CIPHER_AES,
    )
    assert world.device.mode is Mode.LISTENING  # stored, not yet joined
    client.connect_ap()
    wait_for_exit_listening(world)
    assert world.device.mode is Mode.CONNECTED


def test_wrong_password_does_not_connect(client: Client, world: World) -> None:
    world.clear_credentials()
    client.configure_ap(HOME_SSID, "wrong password", WICED_WPA2_AES, 6)
    assert world.device.credentials[0].password == "wrong password"
    client.connect_ap()
    wait_for_exit_listening(world)
    assert world.device.mode is Mode.LISTENING
    assert world.device.led == "green_then_blinking_blue"


def test_open_network_sends_no_password(client: Client, world: World) -> None:
    world.clear_credentials()
    client.configure_ap("CoffeeShop", None, WICED_OPEN, 1)
    cred = world.device.credentials[0]
    assert (cred.ssid, cred.password, cred.security, cred.cipher) == (
        "CoffeeShop",
        "",
        SEC_UNSEC,
        CIPHER_NOT_SET,
    )
    client.connect_ap()
    wait_for_exit_listening(world)
    assert world.device.mode is Mode.CONNECTED


def test_a_wpa2_network_the_device_cannot_see_is_refused(client: Client, world: World) -> None:
    """SoftAP sends no cipher, so for WPA/WPA2 the HAL scans for the SSID (wlan_hal.cpp toSecurity() ->
    sniff_security()); a network its scan does not see is WLAN_SET_CREDENTIALS_CIPHER_REQUIRED (-2)."""
    world.networks.append(AccessPoint("Attic", password="pw-attic-123", hidden=True))
    world.clear_credentials()
    with pytest.raises(ProbeFailure, match=r"refused it \(r=-2\): its own scan does not see that network"):
        client.configure_ap("Attic", "pw-attic-123", WICED_WPA2_AES, 6)
    assert world.device.credentials == []
    client.configure_ap("Attic", None, WICED_OPEN, 6)  # an open one is not looked for: stored as asked
    assert world.device.credentials[0].security == SEC_UNSEC


def test_client_says_why_a_short_password_was_refused(client: Client, world: World) -> None:
    with pytest.raises(ProbeFailure, match=r"\(r=-4\): the password's length does not fit") as info:
        client.configure_ap(HOME_SSID, "short", WICED_WPA2_AES, 6)
    assert "short" not in str(info.value)  # the password itself is never in the message


def test_the_security_is_the_one_the_device_scan_sees(client: Client, world: World) -> None:
    """The stored security comes from the device's scan, not from the ``sec`` sent (WPA asked, WPA2 seen)."""
    world.clear_credentials()
    client.configure_ap(HOME_SSID, HOME_PASSWORD, WICED_WPA_AES, 6)
    cred = world.device.credentials[0]
    assert (cred.security, cred.cipher) == (SEC_WPA2, CIPHER_AES)


@pytest.mark.parametrize(
    ("ssid", "password", "r"),
    [
        (HOME_SSID, "7-chars", -4),  # WPA2 passphrase under 8 bytes: WLAN_INVALID_KEY_LENGTH
        (HOME_SSID, "p" * 65, -4),  # over 64 bytes
        ("S" * 33, HOME_PASSWORD, -3),  # SSID over 32 bytes: WLAN_INVALID_SSID_LENGTH, not cut short
    ],
)
def test_lengths_the_hal_refuses(
    sim: SoftAPSimulator, world: World, ssid: str, password: str, r: int
) -> None:
    world.clear_credentials()
    body = softap_setup_js_body(world, ssid, password, WICED_WPA2_AES, 6)
    assert raw_exchange(sim.tcp_address, tcp_request("configure-ap", body)) == b'\n\n{"r":%d}' % r
    assert world.device.credentials == []


def test_non_ascii_ssid_and_password_survive(client: Client, world: World) -> None:
    world.networks.append(AccessPoint("Café Ø", password="pässwörd €uro", channel=11, rssi=-50))
    world.clear_credentials()
    client.configure_ap("Café Ø", "pässwörd €uro", WICED_WPA2_AES, 11)
    assert (world.device.credentials[0].ssid, world.device.credentials[0].password) == (
        "Café Ø",
        "pässwörd €uro",
    )


def test_set_claim_code(client: Client, world: World) -> None:
    client.set_claim_code(CLAIM_CODE)
    assert world.device.claim_code == CLAIM_CODE
    assert not any(CLAIM_CODE in e for e in world.events)


def test_tcp_antenna_commands_answer_nothing_save_nothing_and_are_swapped(
    sim: SoftAPSimulator, world: World
) -> None:
    """softap.cpp selects the antenna for ant-* and replies nothing; WICED_ANTENNA_1 is the Photon's u.FL."""
    assert raw_exchange(sim.tcp_address, b"ant-internal\n0\n\n") == b""  # not even the "\n\n" preamble
    assert world.device.radio_antenna == "external" and world.device.antenna == "internal"  # DCT unchanged
    home = world.networks[0]
    assert world.effective_rssi(home) == home.rssi - 45  # the radio listens on an empty u.FL connector
    tcp = SoftAPTcpClient(sim.tcp_address, timeout=DUE)
    tcp.select_antenna(external=False)
    assert world.device.radio_antenna == "internal"
    tcp.select_antenna(external=True)
    world.exit_listening()  # a new connection applies the DCT's antenna_selection again
    assert world.device.radio_antenna is None and world.effective_rssi(home) == home.rssi


def tcp_request(command: str, body: bytes, length: int | None = None) -> bytes:
    """A raw TCP request; ``length`` overrides the declared length (softap-setup-js counts characters)."""
    return b"%s\n%d\n\n%s" % (command.encode(), len(body) if length is None else length, body)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/configure-ap", b"{not json"),
        ("/configure-ap", b'["a list"]'),
        ("/configure-ap", b'{"idx":0,"ssid":"HomeNet","sec":"4194308","ch":6}'),  # sec must be a primitive
        ("/configure-ap", b'{"idx":0,"ssid":"HomeNet","extra":1}'),  # a key the device does not know
        ("/configure-ap", b'{"idx":0,"ssid":"Home'),  # cut inside a string
        ("/set", b'{"k":"cc","v":{"x":1}}'),
    ],
)
def test_unparsable_requests_get_no_json_at_all(
    sim: SoftAPSimulator, world: World, path: str, body: bytes
) -> None:
    """JSONCommand::execute writes no response when parse_request fails: an empty 200, or a bare "\n\n"."""
    before = list(world.device.credentials)
    reply = requests.post(sim.url + path, data=body, timeout=2, headers=FORM)
    assert reply.status_code == 200 and reply.content == b""
    assert raw_exchange(sim.tcp_address, tcp_request(path[1:], body)) == b"\n\n"
    assert world.device.credentials == before


def test_client_says_the_device_did_not_answer_an_unparsable_request(sim: SoftAPSimulator) -> None:
    for client in (SoftAPClient(sim.url, timeout=DUE), SoftAPTcpClient(sim.tcp_address, timeout=DUE)):
        with pytest.raises(ProbeFailure, match="the device sent no answer"):
            client._call("set", {"k": "cc", "v": 5})  # a number where the device takes a string


def test_non_ascii_ssid_with_the_length_in_characters_is_accepted(sim: SoftAPSimulator, world: World) -> None:
    """softap-setup-js declares body.length in characters: one byte short per "é", the "}" never arrives."""
    world.clear_credentials()
    request = {"idx": 0, "ssid": "Café", "sec": 0, "ch": 6}
    text = json.dumps(request, ensure_ascii=False, separators=(",", ":"))
    body = text.encode("utf-8")
    assert raw_exchange(sim.tcp_address, tcp_request("configure-ap", body, len(text))) == b'\n\n{"r":0}'
    assert world.device.credentials[0].ssid == "Café"
    world.clear_credentials()  # HTTP: the Content-Length is body.length too (lib/HttpSoftAP.js)
    head = b"POST /configure-ap HTTP/1.1\r\nHost: 192.168.0.1\r\nContent-Length: %d\r\n\r\n" % len(text)
    http = head + body
    assert raw_exchange(http_address(sim), http).endswith(b'7\r\n{"r":0}\r\n0\r\n\r\n')
    assert world.device.credentials[0].ssid == "Café"


def test_quotes_in_an_ssid_are_stored_raw(sim: SoftAPSimulator, world: World) -> None:
    world.clear_credentials()
    body = b'{"idx":0,"ssid":"Bob\\"s \\u00e9","sec":0,"ch":6}'
    assert raw_exchange(sim.tcp_address, tcp_request("configure-ap", body)) == b'\n\n{"r":0}'
    assert world.device.credentials[0].ssid == 'Bob\\"s \\u00e9'  # jsmn cuts the token out, unescaped


def test_set_truncates_key_and_value_and_accepts(sim: SoftAPSimulator, world: World) -> None:
    long_code = "c" * 70
    body = json.dumps({"k": "ccx", "v": long_code}).encode()
    assert raw_exchange(sim.tcp_address, tcp_request("set", body)) == b'\n\n{"r":0}'
    assert world.device.claim_code == "c" * 63
    with pytest.raises(ValueError, match="1 to 63"):
        SoftAPTcpClient(sim.tcp_address, timeout=DUE).set_claim_code(long_code)  # refused before it is cut


# --- the simulator refusing bad requests --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "r"),
    [
        ("/configure-ap", b'{"idx":0,"sec":4194308,"ch":6}', -3),  # no ssid: WLAN_INVALID_SSID_LENGTH
        ("/configure-ap", b'{"idx":0,"ssid":"HomeNet","sec":4194308,"ch":6,"pwd":"zz"}', -0x4100),  # not hex
        (
            "/configure-ap",
            # 64 bytes for a 128-byte key: refused for certain (a full-size wrong ciphertext can pass
            # OpenSSL's implicit rejection as random bytes, so it would not be a reliable example).
            b'{"idx":0,"ssid":"HomeNet","sec":4194308,"ch":6,"pwd":"' + b"ab" * 64 + b'"}',
            -0x4100,  # MBEDTLS_ERR_RSA_INVALID_PADDING
        ),
        ("/set", b'{"k":"xx","v":"1"}', -1),
        ("/set", b'{"k":"cc","v":""}', -1),
    ],
)
def test_bad_requests_get_nonzero_r(
    sim: SoftAPSimulator, world: World, path: str, body: bytes, r: int
) -> None:
    before = list(world.device.credentials)
    reply = requests.post(sim.url + path, data=body, timeout=2, headers=FORM)
    assert reply.status_code == 200 and reply.json() == {"r": r}
    assert world.device.credentials == before


@pytest.mark.parametrize(
    ("plaintext", "tail", "stored"),
    [
        (b"passw0rd-9", "ff", "passw0rd-9"),  # text past the key's size is not read
        (b"passw0rd-9", "f", "passw0rd-9"),  # an odd length too
        (b"passw0rd-9\0junk", "", "passw0rd-9"),  # the password is a C string
    ],
)
def test_pwd_is_read_as_the_device_reads_it(
    sim: SoftAPSimulator, world: World, plaintext: bytes, tail: str, stored: str
) -> None:
    """softap.cpp decrypt(): hex_decode() into a 256-byte buffer, decrypt_rsa() over the key's 128 bytes, and
    the result used as a C string (setPassword(str)). Over HTTP and over TCP."""
    cipher = world.device.private_key.public_key().encrypt(plaintext, asym_padding.PKCS1v15())
    pwd = cipher.hex().upper() + tail  # hex_nibble() reads either case
    body = json.dumps({"idx": 0, "ssid": HOME_SSID, "sec": WICED_WPA2_AES, "ch": 6, "pwd": pwd}).encode()
    world.clear_credentials()
    reply = requests.post(sim.url + "/configure-ap", data=body, timeout=2, headers=FORM)
    assert reply.json() == {"r": 0} and world.device.credentials[0].password == stored
    world.clear_credentials()
    assert raw_exchange(sim.tcp_address, tcp_request("configure-ap", body)) == b'\n\n{"r":0}'
    assert world.device.credentials[0].password == stored


def test_client_reports_refusal_without_the_secret(client: Client, world: World) -> None:
    client.public_key()
    # A key of another size: the client's ciphertext cannot decrypt with it (always; see above).
    world.device.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(
        ProbeFailure,
        match=r"^SoftAP configure-ap: the device refused it \(r=-16640\): the password did not decrypt with "
        r"the device's key$",
    ) as info:
        client.configure_ap(HOME_SSID, HOME_PASSWORD, WICED_WPA2_AES, 6)
    assert HOME_PASSWORD not in str(info.value)


# --- no listening mode, unreachable -------------------------------------------------------------------------


def test_not_in_listening_mode_is_unreachable(client: Client, world: World) -> None:
    """Outside listening mode the access point does not exist: nothing listens, the connection is refused."""
    world.boot()
    assert world.device.mode is Mode.CONNECTED
    refused = r"not reachable \(connection refused\).*Photon-XXXXXX.*listening"
    with pytest.raises(SoftAPUnreachable, match=refused):
        client.device_id()
    world.enter_listening()  # the access point is back at once, on the same port
    assert client.version() == 2


@pytest.mark.parametrize("transport", ["http", "tcp"])
def test_probe_when_not_in_listening_mode(sim: SoftAPSimulator, world: World, transport: str) -> None:
    world.boot()
    ctx = (
        ProbeContext(softap_url=sim.url, timeout=T)
        if transport == "http"
        else ProbeContext(softap_tcp=sim.tcp_address, timeout=T)
    )
    report = SoftAPProbe().run(ctx)
    assert report.observations == ()
    (miss,) = report.unavailable
    assert miss.probe == "softap" and miss.id is None
    assert "not reachable (connection refused)" in miss.reason
    assert "join the device's Photon-XXXXXX Wi-Fi" in miss.reason


def test_probe_connection_refused() -> None:
    with socket.socket() as s:  # a port that was just free and is now closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    report = SoftAPProbe().run(ProbeContext(softap_url=f"http://127.0.0.1:{port}", timeout=T))
    assert report.observations == ()
    assert report.unavailable[0].reason.startswith(
        f"SoftAP at http://127.0.0.1:{port} not reachable (connection refused): join the device's"
    )
    tcp = SoftAPProbe().run(ProbeContext(softap_tcp=("127.0.0.1", port), timeout=T))
    assert "not reachable (connection refused)" in tcp.unavailable[0].reason


def test_probe_without_an_address() -> None:
    report = SoftAPProbe().run(ProbeContext())
    assert report.observations == () and "no SoftAP address given" in report.unavailable[0].reason


# --- injected faults ----------------------------------------------------------------------------------------


def test_invalid_json(client: Client, sim: SoftAPSimulator) -> None:
    sim.inject(Fault.GARBAGE)
    with pytest.raises(ProbeFailure, match=r"^SoftAP version: reply is not valid JSON: b'\{\"scans"):
        client.version()


def test_hang_times_out(client: Client, sim: SoftAPSimulator) -> None:
    sim.inject(Fault.HANG, "scan-ap")
    client.timeout = T  # the hang is waited out
    start = time.monotonic()
    with pytest.raises(ProbeFailure, match=r"^SoftAP scan-ap: no answer within 0.5 s$"):
        client.scan()
    assert time.monotonic() - start < 10  # the hang lasts until the simulator stops
    assert client.version() == 2  # only scan-ap hangs


def test_reply_cut_off(client: Client, sim: SoftAPSimulator) -> None:
    sim.inject(Fault.TRUNCATE, "device-id")
    with pytest.raises(
        ProbeFailure, match=r"^SoftAP device-id: (the reply was cut off|reply is not valid JSON)"
    ):
        client.device_id()


@pytest.mark.parametrize("status", [401, 403, 404, 429, 500])
def test_http_error_status(sim: SoftAPSimulator, status: int) -> None:
    sim.inject(Fault.HTTP_STATUS, "version", status=status)
    with pytest.raises(
        ProbeFailure, match=rf"^SoftAP version: (HTTP {status}|the device does not know)"
    ) as info:
        SoftAPClient(sim.url, timeout=DUE).version()
    assert "\n" not in str(info.value)


def test_probe_with_a_failing_scan_keeps_what_it_saw(sim: SoftAPSimulator) -> None:
    sim.inject(Fault.HTTP_STATUS, "scan-ap")
    report = SoftAPProbe().run(ProbeContext(softap_url=sim.url, target_ssid=HOME_SSID, timeout=DUE))
    assert obs(report)["softap_visible"].value is True
    assert {u.id for u in report.unavailable} == {
        "device_scan_lists_networks",
        "target_network_in_scan",
        "signal_rssi_dbm",
        "network_security",
    }
    assert all(u.reason == "SoftAP scan-ap: HTTP 500 Internal Server Error" for u in report.unavailable)
    assert report.facts["version"] == 2


# --- probe observations -------------------------------------------------------------------------------------


def test_probe_target_present(sim: SoftAPSimulator, world: World) -> None:
    report = SoftAPProbe().run(ProbeContext(softap_url=sim.url, target_ssid=HOME_SSID, timeout=DUE))
    o = obs(report)
    assert {k: v.value for k, v in o.items()} == {
        "softap_visible": True,
        "device_scan_lists_networks": True,
        "target_network_in_scan": True,
        "signal_rssi_dbm": -52,
        "network_security": "wpa2_psk",
    }
    assert all(v.provenance.source == "probe:softap" and "\n" not in v.provenance.detail for v in o.values())
    assert "rssi -52 dBm" in o["signal_rssi_dbm"].provenance.detail
    assert report.unavailable == ()
    assert report.facts["device_id"] == world.device.device_id and report.facts["claimed"] is True
    assert [s["ssid"] for s in report.facts["scan"]] == [HOME_SSID, "CoffeeShop"]


def test_probe_over_tcp(sim: SoftAPSimulator) -> None:
    report = SoftAPProbe().run(
        ProbeContext(softap_tcp=sim.tcp_address, target_ssid="CoffeeShop", timeout=DUE)
    )
    assert {k: v.value for k, v in obs(report).items()} == {
        "softap_visible": True,
        "device_scan_lists_networks": True,
        "target_network_in_scan": True,
        "signal_rssi_dbm": -78,
        "network_security": "open",
    }


@pytest.mark.parametrize("target", ["NotAroundHere", "Neighbours-5G", "Hidden"])
def test_probe_target_absent_5ghz_or_hidden(sim: SoftAPSimulator, world: World, target: str) -> None:
    world.networks.append(AccessPoint("Hidden", password="secret123", hidden=True, rssi=-40))
    report = SoftAPProbe().run(ProbeContext(softap_url=sim.url, target_ssid=target, timeout=DUE))
    o = obs(report)
    assert o["target_network_in_scan"].value is False
    assert "signal_rssi_dbm" not in o and "network_security" not in o
    assert {u.id for u in report.unavailable} == {"signal_rssi_dbm", "network_security"}


def test_probe_without_target_reports_no_target_observations(sim: SoftAPSimulator) -> None:
    report = SoftAPProbe().run(ProbeContext(softap_url=sim.url, timeout=DUE))
    assert set(obs(report)) == {"softap_visible", "device_scan_lists_networks"}


def test_probe_empty_scan(sim: SoftAPSimulator, world: World) -> None:
    world.device.damaged = True  # dead radio: the scan finds nothing
    report = SoftAPProbe().run(ProbeContext(softap_url=sim.url, target_ssid=HOME_SSID, timeout=DUE))
    o = obs(report)
    assert o["device_scan_lists_networks"].value is False
    assert o["target_network_in_scan"].value is False


def test_probe_strongest_of_several_aps_and_unknown_security(sim: SoftAPSimulator, world: World) -> None:
    world.networks.append(AccessPoint(HOME_SSID, password=HOME_PASSWORD, channel=11, rssi=-40))
    world.networks.append(AccessPoint("Odd", security=-1, channel=3, rssi=-60))
    home = SoftAPProbe().run(ProbeContext(softap_url=sim.url, target_ssid=HOME_SSID, timeout=DUE))
    assert obs(home)["signal_rssi_dbm"].value == -40
    odd = SoftAPProbe().run(ProbeContext(softap_url=sim.url, target_ssid="Odd", timeout=DUE))
    assert "network_security" not in obs(odd)
    assert [u.id for u in odd.unavailable] == ["network_security"]


# --- secrets ------------------------------------------------------------------------------------------------


def test_password_and_claim_code_never_leak(client: Client, sim: SoftAPSimulator, world: World) -> None:
    password = "hunter2-very-secret"
    messages = []
    client.timeout = T  # one of the faults is a hang, waited out
    for fault in (Fault.HTTP_STATUS, Fault.GARBAGE, Fault.HANG, Fault.TRUNCATE):
        sim.clear_faults()
        sim.inject(fault, "configure-ap")
        sim.inject(fault, "set")
        with pytest.raises(ProbeFailure) as a:
            client.configure_ap(HOME_SSID, password, WICED_WPA2_AES, 6)
        with pytest.raises(ProbeFailure) as b:
            client.set_claim_code(CLAIM_CODE)
        messages += [str(a.value), repr(a.value), str(b.value), repr(b.value)]
    report = SoftAPProbe().run(ProbeContext(softap_url=sim.url, target_ssid=HOME_SSID, timeout=DUE))
    text = "\n".join(messages + [repr(report), "\n".join(world.events)])
    assert len(messages) == 16
    assert password not in text and CLAIM_CODE not in text
    assert password.encode().hex() not in text


# --- what the real client puts on the wire ------------------------------------------------------------------


def test_post_is_a_json_string_sent_as_form_urlencoded() -> None:
    """Record the client's request with a one-connection socket server in front of the simulator."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(2)
        port = listener.getsockname()[1]
        seen: list[bytes] = []

        def serve() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(2)
                data = b""
                while b"\r\n\r\n" not in data or not data.endswith(b"}"):
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                seen.append(data)
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                    b'7\r\n{"r":0}\r\n0\r\n\r\n'
                )

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        SoftAPClient(f"http://127.0.0.1:{port}", timeout=DUE).set_claim_code("Café-code")
        thread.join(timeout=2)
    head, body = seen[0].split(b"\r\n\r\n", 1)
    assert head.startswith(b"POST /set HTTP/1.1\r\n")
    assert b"\r\nContent-Type: application/x-www-form-urlencoded" in head
    assert (
        body == json.dumps({"k": "cc", "v": "Café-code"}, ensure_ascii=False, separators=(",", ":")).encode()
    )


# --- a device that answers valid JSON with the wrong shape --------------------------------------------------


class _ScriptedHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    replies: ClassVar[dict[str, bytes]] = {}

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = self.replies.get(self.path, b"{}")
        self.send_response_only(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET


@pytest.fixture
def scripted() -> Iterator[tuple[str, dict[str, bytes]]]:
    """A stand-in device whose replies a test writes by hand: ``(url, {path: body})``."""
    replies: ClassVar[dict[str, bytes]] = {}
    handler = type("Handler", (_ScriptedHandler,), {"replies": replies})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", replies
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=2)


@pytest.mark.parametrize(
    ("path", "body", "call", "message"),
    [
        ("/version", b'{"v":"2"}', "version", r"^SoftAP version: reply lacks an integer 'v'$"),
        ("/version", b"[2]", "version", r"^SoftAP version: reply is not a JSON object: b'\[2\]'$"),
        ("/device-id", b'{"id":"XYZ","c":"1"}', "device_id", r"^SoftAP device-id: 'id' is not 24 hex digits"),
        ("/device-id", b'{"id":"' + b"A" * 24 + b'","c":"yes"}', "device_id", r"'c' is neither"),
        ("/scan-ap", b'{"scans":null}', "scan", r"lacks the list 'scans'"),
        ("/public-key", b'{"r":0,"b":"zz"}', "public_key", r"^SoftAP public-key: 'b' is not hex$"),
        ("/public-key", b'{"r":1}', "public_key", r"^SoftAP public-key: the device refused it \(r=1\)$"),
        ("/public-key", b'{"b":"00"}', "public_key", r"^SoftAP public-key: reply has no result code 'r'$"),
        ("/public-key", b'{"r":0}', "public_key", r"lacks the hex string 'b'"),
        ("/connect-ap", b"{}", "connect_ap", r"^SoftAP connect-ap: reply has no result code 'r'$"),
    ],
)
def test_wrong_shaped_replies(
    scripted: tuple[str, dict[str, bytes]], path: str, body: bytes, call: str, message: str
) -> None:
    url, replies = scripted
    replies[path] = body
    with pytest.raises(ProbeFailure, match=message):
        getattr(SoftAPClient(url, timeout=DUE), call)()


def test_probe_against_a_device_with_a_bad_id(scripted: tuple[str, dict[str, bytes]]) -> None:
    url, replies = scripted
    replies["/device-id"] = b'{"id":"nope","c":"0"}'
    report = SoftAPProbe().run(ProbeContext(softap_url=url, timeout=DUE))
    assert report.observations == ()
    assert report.unavailable[0].reason.startswith("SoftAP device-id: 'id' is not 24 hex digits")


def test_the_unusual_ssid_scenario_is_refused_as_softap_setup_js_sends_it(
    sim: SoftAPSimulator, world: World
) -> None:
    """What softap-setup-js 4.1.0 sends for 'Café & "Bar"', read by the simulated device over TCP: the SSID
    stays escaped, so the device's own scan for it (WPA2, no cipher sent) finds nothing: r = -2."""
    world.clear_credentials()
    world.networks[0].ssid = 'Café & "Bar"'
    body = softap_setup_js_body(world, 'Café & "Bar"', HOME_PASSWORD, WICED_WPA2_AES, 6)
    assert body.endswith(b'"')  # the closing brace is past the declared length
    assert raw_exchange(sim.tcp_address, tcp_request("configure-ap", body)) == b'\n\n{"r":-2}'
    assert world.device.credentials == []


def test_probe_waits_for_the_access_point_to_come_up(sim: SoftAPSimulator, world: World) -> None:
    """Right after the switch to listening mode the access point is not up yet: the probe asks again."""
    world.boot()
    came_up = threading.Timer(0.2, world.enter_listening)
    came_up.start()
    try:
        report = SoftAPProbe().run(ProbeContext(softap_tcp=sim.tcp_address, timeout=DUE))
    finally:
        came_up.join()
    assert obs(report)["softap_visible"].value is True
