"""Pure parsers for the host computer's Wi-Fi tools: nmcli, iw, macOS airport / wdutil, Windows netsh.

Each parser takes the tool's text output and returns plain data (:class:`WifiLink`, :class:`ScanEntry`), or
None when the output shows no Wi-Fi connection. They never run anything; :mod:`photon_doctor.probes.host_network`
runs the commands. Security strings are mapped to the contract's ``network_security`` values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from photon_doctor.foundation.numbers import ascii_int

BAND_2_4 = "2.4"
BAND_5 = "5"
BAND_6 = "6"


@dataclass(frozen=True)
class WifiLink:
    """The host's current Wi-Fi connection as one tool reports it.

    ``band`` is ``"2.4"``, ``"5"``, ``"6"`` or None; ``security`` a contract ``network_security`` value or None
    when the tool does not say (``iw``) or says something unknown (then ``raw_security`` holds its words).
    """

    tool: str
    ssid: str
    band: str | None = None
    freq_mhz: int | None = None
    channel: int | None = None
    security: str | None = None
    raw_security: str = ""
    rssi_dbm: int | None = None


@dataclass(frozen=True)
class ScanEntry:
    """One access point in nmcli's list (``active`` is the one the host is connected to)."""

    active: bool
    ssid: str
    freq_mhz: int | None
    security: str


def band_of_frequency(freq_mhz: float | None) -> str | None:
    """2412 -> ``"2.4"``, 5180 -> ``"5"``, 5955 -> ``"6"``; None when unknown or outside Wi-Fi bands."""
    if freq_mhz is None:
        return None
    if 2400 <= freq_mhz <= 2500:
        return BAND_2_4
    if 4900 <= freq_mhz < 5925:
        return BAND_5
    if 5925 <= freq_mhz <= 7125:
        return BAND_6
    return None


def band_of_channel(channel: int | None) -> str | None:
    """Channels 1-14 are 2.4 GHz, 32-177 are 5 GHz (without a band hint, 6 GHz channels cannot be told)."""
    if channel is None:
        return None
    if 1 <= channel <= 14:
        return BAND_2_4
    if 32 <= channel <= 177:
        return BAND_5
    return None


def security_from_words(raw: str) -> str | None:
    """Map a tool's security words to a contract value; None if unrecognised.

    Handles nmcli (``WPA1 WPA2``, ``WPA2 802.1X``, ``WPA3``, ``--``), netsh (``WPA2-Personal``,
    ``WPA2-Enterprise``, ``Open``), wdutil (``WPA/WPA2 Personal``, ``WPA3 Personal``, ``None``) and airport's
    ``link auth`` (``wpa2-psk``, ``wpa3-sae``, ``none``; a bare ``wpa``/``wpa2`` there means enterprise).
    """
    words = raw.strip().lower()
    if words in ("", "--", "none", "open", "open system"):
        return "open"
    if "802.1x" in words or "enterprise" in words or words in ("wpa", "wpa2"):
        # airport's link auth is "wpa2-psk" for personal and a bare "wpa"/"wpa2" for 802.1X (best effort).
        return "wpa2_enterprise"
    if "wpa3" in words or "sae" in words or "owe" in words:
        return "wpa3"
    if "wep" in words or words == "shared":
        return "wep"
    has_wpa1 = bool(re.search(r"\bwpa1?\b|\bwpa-", words)) or "wpa/wpa2" in words
    has_wpa2 = "wpa2" in words
    if has_wpa1 and has_wpa2:
        return "wpa_wpa2_mixed"
    if has_wpa2:
        return "wpa2_psk"
    if has_wpa1:
        return "wpa_psk"
    return None


def _nmcli_security(raw: str) -> str | None:
    """nmcli's SECURITY column: ``WPA1 WPA2`` is personal mixed mode; ``802.1X`` marks enterprise."""
    words = raw.strip().upper().split()
    if not words or words == ["--"]:
        return "open"
    if "802.1X" in words:
        return "wpa2_enterprise"
    if "WPA3" in words or "OWE" in words:
        return "wpa3"
    if "WEP" in words:
        return "wep"
    if "WPA1" in words and "WPA2" in words:
        return "wpa_wpa2_mixed"
    if "WPA2" in words:
        return "wpa2_psk"
    if "WPA1" in words or "WPA" in words:
        return "wpa_psk"
    return None


def _split_terse(line: str) -> list[str]:
    """Split one ``nmcli -t`` line on unescaped colons (nmcli escapes ``:`` and ``\\`` with a backslash)."""
    fields, current, escaped = [], [], False
    for ch in line:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ":":
            fields.append("".join(current))
            current = []
        else:
            current.append(ch)
    fields.append("".join(current))
    return fields


def _first_int(text: str) -> int | None:
    """The first (ASCII, optionally negative) integer in ``text``; None if there is none or it is absurdly long."""
    match = re.search(r"(-?)([0-9]+)", text)
    if not match:
        return None
    number = ascii_int(match.group(2))
    return None if number is None else (-number if match.group(1) else number)


def parse_nmcli_scan(text: str) -> list[ScanEntry]:
    """Parse ``nmcli -t -f active,ssid,freq,security dev wifi`` (e.g. ``yes:HomeNet:2437 MHz:WPA2``)."""
    entries = []
    for line in text.splitlines():
        if not line.strip():
            continue
        fields = _split_terse(line)
        if len(fields) < 4:
            continue
        active, ssid, freq, security = fields[0], fields[1], fields[2], ":".join(fields[3:])
        entries.append(
            ScanEntry(active.strip().lower() in ("yes", "*"), ssid, _first_int(freq), security.strip())
        )
    return entries


def link_from_nmcli(entries: list[ScanEntry]) -> WifiLink | None:
    """The active entry as a :class:`WifiLink`, or None if nmcli shows no active Wi-Fi connection."""
    active = next((e for e in entries if e.active), None)
    if active is None:
        return None
    return WifiLink(
        "nmcli",
        active.ssid,
        band_of_frequency(active.freq_mhz),
        active.freq_mhz,
        None,
        _nmcli_security(active.security),
        active.security,
    )


def bands_seen(entries: list[ScanEntry], ssid: str) -> frozenset[str]:
    """Every band on which nmcli's scan saw ``ssid`` (several BSSIDs may share one name)."""
    return frozenset(
        b for e in entries if e.ssid == ssid and (b := band_of_frequency(e.freq_mhz)) is not None
    )


def parse_iw_interfaces(text: str) -> list[str]:
    """Interface names from ``iw dev`` (lines ``Interface wlan0``)."""
    return re.findall(r"^\s*Interface\s+(\S+)", text, flags=re.MULTILINE)


def parse_iw_link(text: str) -> WifiLink | None:
    """Parse ``iw dev <if> link``: ``SSID:``, ``freq:`` (``2437`` or ``2437.0``), ``signal: -52 dBm``.

    ``iw`` does not report security, so ``security`` stays None. ``Not connected.`` gives None.
    """
    if "Connected to" not in text:
        return None
    ssid = re.search(r"^\s*SSID:\s?(.*)$", text, flags=re.MULTILINE)
    freq = re.search(r"^\s*freq:[ \t]*([0-9]+)(?:\.[0-9]+)?[ \t]*$", text, flags=re.MULTILINE)
    signal = re.search(r"^\s*signal:[ \t]*(-?[0-9]+)", text, flags=re.MULTILINE)
    # A frequency or signal the parser cannot read loses that fact only, never the link.
    freq_mhz = ascii_int(freq.group(1), 6) if freq else None
    return WifiLink(
        "iw",
        ssid.group(1).rstrip() if ssid else "",
        band_of_frequency(freq_mhz),
        freq_mhz,
        rssi_dbm=_first_int(signal.group(1)) if signal else None,
    )


def _key_values(text: str) -> dict[str, str]:
    """``Key : value`` lines (netsh, wdutil, airport), keys stripped; the first occurrence of a key wins."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and key.strip() not in found:
            found[key.strip()] = value.strip()
    return found


def parse_airport(text: str) -> WifiLink | None:
    """Parse macOS ``airport -I``: ``SSID``, ``channel`` (``6``, ``36,80``, ``149,+1``), ``link auth``,
    ``agrCtlRSSI``. A ``state`` other than ``running`` (or no SSID) gives None."""
    kv = _key_values(text)
    if kv.get("state", "running") != "running" or not kv.get("SSID"):
        return None
    channel = _first_int(kv.get("channel", ""))
    raw = kv.get("link auth", "")
    rssi = _first_int(kv.get("agrCtlRSSI", ""))
    return WifiLink(
        "airport", kv["SSID"], band_of_channel(channel), None, channel, security_from_words(raw), raw, rssi
    )


def parse_wdutil(text: str) -> WifiLink | None:
    """Parse macOS ``wdutil info`` (WIFI section): ``SSID``, ``Channel : 5g36/80`` (band prefix), ``Security``,
    ``RSSI``. ``SSID : None`` or a missing SSID gives None."""
    section = text.split("WIFI", 1)[1] if "WIFI" in text else text
    kv = _key_values(section)
    ssid = kv.get("SSID", "")
    if not ssid or ssid == "None":
        return None
    match = re.match(r"\s*(2|5|6)g([0-9]{1,3})", kv.get("Channel", ""))
    band = {"2": BAND_2_4, "5": BAND_5, "6": BAND_6}[match.group(1)] if match else None
    channel = int(match.group(2)) if match else _first_int(kv.get("Channel", ""))
    raw = kv.get("Security", "")
    return WifiLink(
        "wdutil",
        ssid,
        band or band_of_channel(channel),
        None,
        channel,
        security_from_words(raw),
        raw,
        _first_int(kv.get("RSSI", "")),
    )


def parse_netsh(text: str) -> WifiLink | None:
    """Parse Windows ``netsh wlan show interfaces`` (English): ``State``, ``SSID``, ``Authentication``,
    ``Cipher``, ``Band`` (Windows 11) or ``Channel``. With several Wi-Fi adapters (a USB one beside the built-in
    one), the first connected one. Not connected, or another language, gives None."""
    # Each adapter's block starts with its "Name" line.
    blocks = re.split(r"^(?=[ \t]*Name[ \t]*:)", text, flags=re.MULTILINE)
    return next((link for block in blocks if (link := _netsh_interface(block)) is not None), None)


def _netsh_interface(text: str) -> WifiLink | None:
    """One adapter's block of ``netsh wlan show interfaces``, if it is connected."""
    kv = _key_values(text)
    if kv.get("State", "").lower() != "connected" or not kv.get("SSID"):
        return None
    channel = _first_int(kv.get("Channel", ""))
    band_text = kv.get("Band", "")
    band = (
        BAND_2_4
        if band_text.startswith("2.4")
        else BAND_5
        if band_text.startswith("5")
        else (BAND_6 if band_text.startswith("6") else band_of_channel(channel))
    )
    raw = kv.get("Authentication", "")
    security = security_from_words(raw)
    if security == "open" and kv.get("Cipher", "").upper() == "WEP":
        security = "wep"  # netsh shows WEP as "Open" authentication with a WEP cipher
    return WifiLink("netsh", kv["SSID"], band, None, channel, security, raw)
