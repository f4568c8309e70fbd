"""Pure SoftAP helpers: the WICED security mapping, bands, scan parsing and the public-key blob."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from photon_doctor.probes.base import ProbeFailure
from photon_doctor.probes.softap import (
    channel_band,
    encrypt_password,
    parse_public_key_blob,
    wiced_to_network_security,
)
from photon_doctor.probes.softap_client import check_text, encode_body
from photon_doctor.probes.softap_data import parse_scan, read_unescaped_scan


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


@pytest.mark.parametrize(
    ("sec", "value"),
    [
        (0, "open"),
        (0x0001, "wep"),  # wep_psk
        (0x8001, "wep"),  # wep_shared
        (0x00200002, "wpa_psk"),  # wpa_tkip
        (0x00200004, "wpa_psk"),  # wpa_aes
        (0x00200006, "wpa_psk"),  # wpa_mixed (TKIP+AES ciphers, WPA only)
        (0x00400004, "wpa2_psk"),
        (0x00400002, "wpa2_psk"),
        (0x00400006, "wpa2_psk"),
        (0x00600006, "wpa_wpa2_mixed"),
        (0x00400005, "wpa2_wep_mixed"),
        (0x02200004, "wpa2_enterprise"),
        (0x02400004, "wpa2_enterprise"),
        (0x02400006, "wpa2_enterprise"),
        (-1, None),
        (0x0004, None),  # a cipher without a security kind
    ],
)
def test_wiced_to_network_security(sec: int, value: str | None) -> None:
    assert wiced_to_network_security(sec) == value


@pytest.mark.parametrize(
    ("channel", "band"), [(1, "2.4GHz"), (13, "2.4GHz"), (14, "2.4GHz"), (36, "5GHz"), (165, "5GHz")]
)
def test_channel_band(channel: int, band: str) -> None:
    assert channel_band(channel) == band


@pytest.mark.parametrize("pad", [0x00, 0xFF, 0x5A])
def test_public_key_blob_any_padding(key: rsa.RSAPrivateKey, pad: int) -> None:
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    blob = der + bytes([pad]) * (294 - len(der))
    assert parse_public_key_blob(blob).public_numbers() == key.public_key().public_numbers()


@pytest.mark.parametrize(
    "blob", [b"", b"\x30", b"\x02\x01\x00", b"\x30\x81\xff" + b"\x00" * 10, b"\xff" * 294]
)
def test_public_key_blob_garbage(blob: bytes) -> None:
    with pytest.raises(ProbeFailure, match="^SoftAP public-key: 'b' is not a DER RSA public key$"):
        parse_public_key_blob(blob)


def test_public_key_blob_not_rsa() -> None:
    der = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(ProbeFailure, match="not an RSA key"):
        parse_public_key_blob(der + b"\xff" * 100)


def test_encrypt_password_is_lowercase_hex_pkcs1v15(key: rsa.RSAPrivateKey) -> None:
    hex_text = encrypt_password(key.public_key(), "pässword")
    assert len(hex_text) == 256 and hex_text == hex_text.lower()
    assert key.decrypt(bytes.fromhex(hex_text), padding.PKCS1v15()) == "pässword".encode()


def test_encode_body_is_compact_utf8() -> None:
    assert encode_body({"k": "cc", "v": "é"}) == '{"k":"cc","v":"é"}'.encode()


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        ({}, "lacks the list 'scans'"),
        ({"scans": {}}, "lacks the list 'scans'"),
        ({"scans": ["x"]}, "entry 0 is not an object"),
        ({"scans": [{"ssid": "a", "rssi": "-50", "sec": 0, "ch": 1}]}, "entry 0 lacks"),
        ({"scans": [{"ssid": 5, "rssi": -50, "sec": 0, "ch": 1}]}, "entry 0 lacks"),
        ({"scans": [{"ssid": "a", "rssi": -50, "sec": 0}]}, "entry 0 lacks"),
        ({"scans": [{"ssid": "a", "rssi": True, "sec": 0, "ch": 1}]}, "entry 0 lacks"),
    ],
)
def test_parse_scan_rejects_malformed(reply: dict[str, Any], message: str) -> None:
    with pytest.raises(ProbeFailure, match=message):
        parse_scan(reply)


def test_parse_scan_ok_without_mdr() -> None:
    (s,) = parse_scan({"scans": [{"ssid": "a", "rssi": -50, "sec": 4194308, "ch": 40}]})
    assert (s.ssid, s.rssi, s.sec, s.channel, s.mdr, s.band, s.security) == (
        "a",
        -50,
        4194308,
        40,
        0,
        "5GHz",
        "wpa2_psk",
    )


def test_an_unescaped_scan_is_read_in_the_devices_exact_layout_only() -> None:
    raw = b'{"scans":[{"ssid":"a"b","rssi":-5,"sec":0,"ch":1,"mdr":1},{"ssid":"c\\","rssi":-6,"sec":-1,"ch":2,"mdr":0}]}'
    assert read_unescaped_scan(raw) == {
        "scans": [
            {"ssid": 'a"b', "rssi": -5, "sec": 0, "ch": 1, "mdr": 1},
            {"ssid": "c\\", "rssi": -6, "sec": -1, "ch": 2, "mdr": 0},
        ]
    }
    assert read_unescaped_scan(b'{"scans":[]}') == {"scans": []}
    for bad in (
        b'{"scans":[{"ssid":"a","rssi":-5,"sec":0,"ch":1,"mdr":1}x]}',  # stray byte between entries
        b'{"scans":[{"ssid":"a","rssi":-5,"sec":0,"ch":1}]}',  # a field missing
        b'{"scans":[',  # cut off
        b"<html>",
    ):
        assert read_unescaped_scan(bad) is None


@pytest.mark.parametrize(
    "bad",
    [
        b'{"scans":[x{"ssid":"a","rssi":-5,"sec":0,"ch":1,"mdr":1}]}',  # a stray byte before the first entry
        b'{"scans":[{"ssid":"a","rssi":-5,"sec":0,"ch":1,"mdr":1}{"ssid":"b","rssi":-6,"sec":0,"ch":2,"mdr":1}]}',
        b'{"scans":[{"ssid":"a","rssi":-5,"sec":0,"ch":1,"mdr":1},,{"ssid":"b","rssi":-6,"sec":0,"ch":2,"mdr":1}]}',
    ],
)
def test_an_unescaped_scan_needs_exactly_one_comma_between_entries(bad: bytes) -> None:
    """Mutation testing: the check of what lies between two entries could go with every test passing (the
    stray byte above sits after the last entry)."""
    assert read_unescaped_scan(bad) is None


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("x" * 64, True),
        ("x" * 65, False),
        ("é" * 32, True),
        ("é" * 33, False),
        ("a\nb", False),
        ("a\x7fb", False),
    ],
)
def test_a_text_for_the_device_is_at_most_its_limit_in_bytes_without_control_characters(
    value: str, ok: bool
) -> None:
    """What the SoftAP set-up accepts (64 bytes for a password: "é" is two), checked before anything is sent; the
    message never quotes the value (mutation round 2: the whole check could go with every test passing)."""
    if ok:
        check_text("password", value, 64)
        return
    with pytest.raises(ValueError) as err:
        check_text("password", value, 64)
    assert str(err.value) == "the password must be at most 64 bytes without control characters"
