"""Plain data from the SoftAP: scan results, the WICED security mapping, bands, and the device public key.

Pure functions, no I/O; the clients in :mod:`photon_doctor.probes.softap_client` feed them raw replies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from photon_doctor.probes.base import ProbeFailure

# WICED security bits (reference §3, wwd_constants.h).
WEP_ENABLED = 0x0001
TKIP_ENABLED = 0x0002
AES_ENABLED = 0x0004
SHARED_ENABLED = 0x8000
WPA_SECURITY = 0x00200000
WPA2_SECURITY = 0x00400000
ENTERPRISE_ENABLED = 0x02000000
WICED_SECURITY_UNKNOWN = -1

BAND_2_4GHZ = "2.4GHz"
BAND_5GHZ = "5GHz"


def wiced_to_network_security(sec: int) -> str | None:
    """Map a scan's WICED ``sec`` bitmask to the contract's ``network_security`` value.

    ``0`` -> ``open``; any enterprise bit -> ``wpa2_enterprise`` (the contract's one "WPA/WPA2 enterprise"
    value); WEP together with WPA/WPA2 -> ``wpa2_wep_mixed``; WEP alone (open or shared key) -> ``wep``;
    WPA and WPA2 -> ``wpa_wpa2_mixed``; WPA alone -> ``wpa_psk``; WPA2 alone -> ``wpa2_psk``. ``-1``
    (``WICED_SECURITY_UNKNOWN``), other negatives and bitmasks without a known security bit -> ``None``: the
    value is then not reported. ``wpa3`` is never returned: the BCM43362 predates WPA3 and its scan has no bit
    for it (such networks usually show as WPA2 or unknown).
    """
    if sec == 0:
        return "open"
    if sec < 0:
        return None
    wpa = bool(sec & WPA_SECURITY)
    wpa2 = bool(sec & WPA2_SECURITY)
    if sec & ENTERPRISE_ENABLED:
        return "wpa2_enterprise"
    if sec & WEP_ENABLED:
        return "wpa2_wep_mixed" if (wpa or wpa2) else "wep"
    if wpa and wpa2:
        return "wpa_wpa2_mixed"
    if wpa:
        return "wpa_psk"
    if wpa2:
        return "wpa2_psk"
    return None


def channel_band(channel: int) -> str:
    """``"2.4GHz"`` for channels 1-14, ``"5GHz"`` above (the Photon's radio only has the former)."""
    return BAND_5GHZ if channel > 14 else BAND_2_4GHZ


@dataclass(frozen=True)
class ScanResult:
    """One access point in the device's ``scan-ap``: SSID, RSSI (dBm), WICED ``sec``, channel, max rate."""

    ssid: str
    rssi: int
    sec: int
    channel: int
    mdr: int = 0

    @property
    def security(self) -> str | None:
        """The contract's ``network_security`` value, or ``None`` if the bitmask says nothing known."""
        return wiced_to_network_security(self.sec)

    @property
    def band(self) -> str:
        """``"2.4GHz"`` or ``"5GHz"``, from the channel."""
        return channel_band(self.channel)

    def as_fact(self) -> dict[str, Any]:
        """Plain JSON-ready data for ``ProbeReport.facts``."""
        return {
            "ssid": self.ssid,
            "rssi": self.rssi,
            "sec": self.sec,
            "security": self.security,
            "channel": self.channel,
            "band": self.band,
            "mdr": self.mdr,
        }


def parse_scan(reply: dict[str, Any]) -> list[ScanResult]:
    """Parse ``{"scans":[{"ssid","rssi","sec","ch","mdr"},...]}``. Raises ProbeFailure if malformed."""
    scans = reply.get("scans")
    if not isinstance(scans, list):
        raise ProbeFailure("SoftAP scan-ap: reply lacks the list 'scans'")
    results = []
    for n, entry in enumerate(scans):
        if not isinstance(entry, dict):
            raise ProbeFailure(f"SoftAP scan-ap: entry {n} is not an object")
        ssid = entry.get("ssid")
        numbers = [entry.get(k) for k in ("rssi", "sec", "ch")]
        mdr = entry.get("mdr", 0)
        if not isinstance(ssid, str) or any(type(v) is not int for v in [*numbers, mdr]):
            raise ProbeFailure(f"SoftAP scan-ap: entry {n} lacks ssid/rssi/sec/ch or has wrong types")
        rssi, sec, ch = (int(v) for v in numbers)  # type: ignore[arg-type]  # checked just above
        results.append(ScanResult(ssid=ssid, rssi=rssi, sec=sec, channel=ch, mdr=int(mdr)))
    return results


#: One entry exactly as ``ScanAPCommand`` writes it (Device OS ``hal/src/photon/softap.cpp``), the SSID unescaped.
_RAW_ENTRY = re.compile(
    rb'\{"ssid":"(.*?)","rssi":(-?\d+),"sec":(-?\d+),"ch":(-?\d+),"mdr":(-?\d+)\}', re.DOTALL
)
_RAW_SCANS = re.compile(rb'\{"scans":\[(.*)\]\}\s*', re.DOTALL)


def read_unescaped_scan(raw: bytes) -> dict[str, Any] | None:
    """Read a ``scan-ap`` reply that is not valid JSON because the device wrote an SSID with ``"`` or ``\\``
    in it as it is (``write_json_string()`` escapes nothing). Returns ``{"scans": [...]}`` when the whole reply
    has the device's exact layout, else None."""
    whole = _RAW_SCANS.fullmatch(raw)
    if whole is None:
        return None
    body, pos = whole.group(1), 0
    entries: list[dict[str, Any]] = []
    for match in _RAW_ENTRY.finditer(body):
        if body[pos : match.start()] != (b"," if entries else b""):
            return None
        ssid, *numbers = match.groups()
        rssi, sec, ch, mdr = (int(n) for n in numbers)
        entries.append(
            {"ssid": ssid.decode("utf-8", "replace"), "rssi": rssi, "sec": sec, "ch": ch, "mdr": mdr}
        )
        pos = match.end()
    return {"scans": entries} if pos == len(body) else None


def _der_length(raw: bytes) -> int:
    """Total length of the DER element at the start of ``raw`` (tag, length octets, content)."""
    if len(raw) < 2 or raw[0] != 0x30:
        raise ValueError("not a DER SEQUENCE")
    first = raw[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    if not 1 <= count <= 2 or len(raw) < 2 + count:
        raise ValueError("bad DER length")
    return 2 + count + int.from_bytes(raw[2 : 2 + count], "big")


def parse_public_key_blob(raw: bytes) -> rsa.RSAPublicKey:
    """Load the device key from the ``public-key`` dump: a SubjectPublicKeyInfo DER (162 bytes for RSA-1024:
    a 22-byte header, then the PKCS#1 RSAPublicKey) followed by DCT padding up to 294 bytes.

    The DER's own length says where the key ends, so any padding byte is accepted. Raises ProbeFailure if the
    bytes are not an RSA public key.
    """
    try:
        end = _der_length(raw)
        if end > len(raw):
            raise ValueError("truncated")
        key = serialization.load_der_public_key(raw[:end])
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ProbeFailure("SoftAP public-key: 'b' is not a DER RSA public key") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ProbeFailure("SoftAP public-key: the device key is not an RSA key")
    return key
