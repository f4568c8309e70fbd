"""The pure parsers of the host's Wi-Fi tools, on realistic sample outputs."""

from __future__ import annotations

import pytest
from photon_doctor.probes.wifi_parsers import (
    WifiLink,
    band_of_channel,
    band_of_frequency,
    bands_seen,
    link_from_nmcli,
    parse_airport,
    parse_iw_interfaces,
    parse_iw_link,
    parse_netsh,
    parse_nmcli_scan,
    parse_wdutil,
    security_from_words,
)

NMCLI = """\
no:Neighbours:2412 MHz:WPA1 WPA2
yes:Home\\:Net:5180 MHz:WPA2
no:Home\\:Net:2437 MHz:WPA2
no::5500 MHz:WPA2
no:CoffeeShop:2462 MHz:
no:Back\\\\slash:2437 MHz:--
"""

IW_DEV = """\
phy#0
\tUnnamed/non-netdev interface
\t\twdev 0x2
\tInterface wlp2s0
\t\tifindex 3
\t\twdev 0x1
\t\taddr 8c:c6:81:aa:bb:cc
\t\tssid HomeNet
\t\ttype managed
\t\tchannel 6 (2437 MHz), width: 20 MHz, center1: 2437 MHz
\t\ttxpower 22.00 dBm
"""

IW_LINK = """\
Connected to 60:a4:b7:11:22:33 (on wlp2s0)
\tSSID: HomeNet
\tfreq: 2437.0
\tRX: 1203993 bytes (6203 packets)
\tTX: 204441 bytes (1340 packets)
\tsignal: -52 dBm
\trx bitrate: 72.2 MBit/s MCS 7 short GI
\ttx bitrate: 65.0 MBit/s MCS 6 short GI

\tbss flags:\tshort-slot-time
\tdtim period:\t1
\tbeacon int:\t100
"""

AIRPORT = """\
     agrCtlRSSI: -61
     agrExtRSSI: 0
    agrCtlNoise: -92
    agrExtNoise: 0
          state: running
        op mode: station
     lastTxRate: 433
        maxRate: 867
lastAssocStatus: 0
    802.11 auth: open
      link auth: wpa2-psk
          BSSID: 60:a4:b7:11:22:33
           SSID: HomeNet 5G
            MCS: 9
  guardInterval: 800
            NSS: 2
        channel: 149,80
"""

WDUTIL = """\
————————————————————————————————————————————————————————————————————
NETWORK
————————————————————————————————————————————————————————————————————
    Primary IPv4         : en0 (Wi-Fi / 2E1A6C1D-0C2C-4B9A-A5D3-2E3D8B7F1A11)
    Primary IPv6         : None
    DNS Addresses        : 192.168.1.1
————————————————————————————————————————————————————————————————————
WIFI
————————————————————————————————————————————————————————————————————
    MAC Address          : 3c:22:fb:aa:bb:cc (hw=3c:22:fb:aa:bb:cc)
    Interface Name       : en0
    Power                : On [On]
    Op Mode              : STA
    SSID                 : HomeNet
    BSSID                : 60:a4:b7:11:22:33
    RSSI                 : -58 dBm
    Noise                : -94 dBm
    Tx Rate              : 144.0 Mbps
    Security             : WPA/WPA2 Personal
    PHY Mode             : 11n
    MCS Index            : 15
    Guard Interval       : 400
    NSS                  : 2
    Channel              : 2g6/20
    Country Code         : US
"""

NETSH = """\

There is 1 interface on the system:

    Name                   : Wi-Fi
    Description            : Intel(R) Wi-Fi 6 AX201 160MHz
    GUID                   : 6f4f4a1e-1d0c-4bd9-9d1c-7a2a1b9b1c11
    Physical address       : 8c:c6:81:aa:bb:cc
    Interface type         : Primary
    State                  : connected
    SSID                   : HomeNet
    AP BSSID               : 60:a4:b7:11:22:33
    Band                   : 2.4 GHz
    Channel                : 6
    Connected Akm-cipher   : [ akm = 00-0f-ac:02, cipher = 00-0f-ac:04 ]
    Network type           : Infrastructure
    Radio type             : 802.11n
    Authentication         : WPA2-Personal
    Cipher                 : CCMP
    Connection mode        : Auto Connect
    Receive rate (Mbps)    : 144.4
    Transmit rate (Mbps)   : 144.4
    Signal                 : 92%
    Profile                : HomeNet
    QoS MSCS Configured         : 0

    Hosted network status  : Not available
"""


def test_nmcli_scan_and_active_link() -> None:
    entries = parse_nmcli_scan(NMCLI)
    assert len(entries) == 6
    assert entries[1].ssid == "Home:Net" and entries[5].ssid == "Back\\slash"
    link = link_from_nmcli(entries)
    assert link == WifiLink("nmcli", "Home:Net", "5", 5180, None, "wpa2_psk", "WPA2")
    assert bands_seen(entries, "Home:Net") == {"2.4", "5"}
    assert entries[4].security == "" and entries[3].ssid == ""


def test_nmcli_without_active_connection() -> None:
    assert link_from_nmcli(parse_nmcli_scan("no:Other:2412 MHz:WPA2\n")) is None
    assert parse_nmcli_scan("") == []
    assert parse_nmcli_scan("garbage line\n\x00\xff\n") == []


def test_nmcli_frequency_without_unit() -> None:
    link = link_from_nmcli(parse_nmcli_scan("yes:Net:2462:WPA1 WPA2 802.1X\n"))
    assert link is not None and link.band == "2.4" and link.security == "wpa2_enterprise"


@pytest.mark.parametrize(
    ("nmcli", "expected"),
    [
        ("WPA2", "wpa2_psk"),
        ("WPA1 WPA2", "wpa_wpa2_mixed"),
        ("WPA1", "wpa_psk"),
        ("WPA2 WPA3", "wpa3"),
        ("WPA3", "wpa3"),
        ("WEP", "wep"),
        ("", "open"),
        ("--", "open"),
        ("WPA2 802.1X", "wpa2_enterprise"),
        ("OWE", "wpa3"),
        ("WAPI", None),
    ],
)
def test_nmcli_security_mapping(nmcli: str, expected: str | None) -> None:
    link = link_from_nmcli(parse_nmcli_scan(f"yes:Net:2412 MHz:{nmcli}\n"))
    assert link is not None and link.security == expected


def test_iw_interfaces_and_link() -> None:
    assert parse_iw_interfaces(IW_DEV) == ["wlp2s0"]
    link = parse_iw_link(IW_LINK)
    assert link == WifiLink("iw", "HomeNet", "2.4", 2437, rssi_dbm=-52)
    assert parse_iw_link("Not connected.\n") is None


def test_airport_five_gigahertz() -> None:
    assert parse_airport(AIRPORT) == WifiLink(
        "airport", "HomeNet 5G", "5", None, 149, "wpa2_psk", "wpa2-psk", -61
    )


def test_airport_not_associated() -> None:
    assert parse_airport("     agrCtlRSSI: 0\n          state: init\n        op mode: \n") is None
    assert parse_airport("AirPort: Off\n") is None


def test_wdutil() -> None:
    assert parse_wdutil(WDUTIL) == WifiLink(
        "wdutil", "HomeNet", "2.4", None, 6, "wpa_wpa2_mixed", "WPA/WPA2 Personal", -58
    )
    assert parse_wdutil(WDUTIL.replace(": HomeNet\n", ": None\n")) is None
    six = parse_wdutil(WDUTIL.replace("2g6/20", "6g37/160"))
    assert six is not None and six.band == "6" and six.channel == 37


def test_netsh() -> None:
    assert parse_netsh(NETSH) == WifiLink("netsh", "HomeNet", "2.4", None, 6, "wpa2_psk", "WPA2-Personal")
    no_band_line = NETSH.replace("    Band                   : 2.4 GHz\n", "").replace(": 6\n", ": 44\n")
    link = parse_netsh(no_band_line)
    assert link is not None and link.band == "5" and link.channel == 44


def test_netsh_wep_and_disconnected() -> None:
    wep = parse_netsh(NETSH.replace("WPA2-Personal", "Open").replace("CCMP", "WEP"))
    assert wep is not None and wep.security == "wep"
    assert parse_netsh(NETSH.replace("State                  : connected", "State : disconnected")) is None
    assert parse_netsh("Le service de configuration automatique WLAN n'est pas en cours.\n") is None


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("WPA2-Personal", "wpa2_psk"),
        ("WPA-Personal", "wpa_psk"),
        ("WPA3-Personal", "wpa3"),
        ("WPA2-Enterprise", "wpa2_enterprise"),
        ("Shared", "wep"),
        ("Open", "open"),
        ("WPA2/WPA3 Personal", "wpa3"),
        ("WPA3 Personal", "wpa3"),
        ("WPA2 Enterprise", "wpa2_enterprise"),
        ("None", "open"),
        ("wpa-psk", "wpa_psk"),
        ("wpa2", "wpa2_enterprise"),
        ("wpa3-sae", "wpa3"),
        ("WEP", "wep"),
        ("something new", None),
    ],
)
def test_security_words(words: str, expected: str | None) -> None:
    assert security_from_words(words) == expected


@pytest.mark.parametrize(
    ("freq", "band"),
    [(2412, "2.4"), (2484, "2.4"), (5180, "5"), (5825, "5"), (5955, "6"), (900, None), (None, None)],
)
def test_band_of_frequency(freq: int | None, band: str | None) -> None:
    assert band_of_frequency(freq) == band


@pytest.mark.parametrize(("channel", "band"), [(1, "2.4"), (14, "2.4"), (36, "5"), (165, "5"), (200, None)])
def test_band_of_channel(channel: int, band: str | None) -> None:
    assert band_of_channel(channel) == band


#: The band edges as the docstrings and IEEE 802.11 draw them: 2.4 GHz is 2400-2500 MHz (channel 14 at 2484);
#: 5 GHz from 4900 (Japan's 4.9 GHz channels) up to 6 GHz, which spans 5925-7125 MHz. One MHz either side of
#: each edge (mutation testing: moving an edge by one, or < for <=, went unnoticed).
BAND_EDGES = [
    (2399, None),
    (2400, "2.4"),
    (2500, "2.4"),
    (2501, None),
    (4899, None),
    (4900, "5"),
    (5924, "5"),
    (5925, "6"),
    (7125, "6"),
    (7126, None),
]


@pytest.mark.parametrize(("freq", "band"), BAND_EDGES)
def test_band_edges_of_frequency(freq: int, band: str | None) -> None:
    assert band_of_frequency(freq) == band
    assert band_of_frequency(float(freq)) == band


@pytest.mark.parametrize(
    ("channel", "band"),
    [(0, None), (1, "2.4"), (14, "2.4"), (15, None), (31, None), (32, "5"), (177, "5"), (178, None)],
)
def test_band_edges_of_channel(channel: int, band: str | None) -> None:
    """2.4 GHz has channels 1-14, 5 GHz 32-177; between and beyond them the channel alone says nothing."""
    assert band_of_channel(channel) == band


def _two_adapters(first: str, second: str) -> str:
    """netsh with a second Wi-Fi adapter (a USB one beside the built-in one): one block per adapter."""
    block = NETSH.split("\n\n")[1]
    other = (
        block.replace("Name                   : Wi-Fi", "Name                   : Wi-Fi 2")
        .replace("8c:c6:81:aa:bb:cc", "00:0f:00:aa:bb:cc")
        .replace("SSID                   : HomeNet", "SSID                   : Upstairs")
    )
    blocks = {"connected": block, "disconnected": block.replace(": connected", ": disconnected")}
    second_block = other if second == "connected" else other.replace(": connected", ": disconnected")
    return f"\nThere are 2 interfaces on the system:\n\n{blocks[first]}\n\n{second_block}\n"


def test_netsh_with_two_adapters_reads_the_connected_one() -> None:
    """Mutation testing found nothing pinning which adapter's lines count; a disconnected second adapter must
    not hide the first one's link, nor a disconnected first adapter the second one's."""
    both = parse_netsh(_two_adapters("connected", "connected"))
    assert both is not None and both.ssid == "HomeNet"
    first = parse_netsh(_two_adapters("connected", "disconnected"))
    assert (
        first is not None and first.ssid == "HomeNet" and first.band == "2.4" and first.security == "wpa2_psk"
    )
    second = parse_netsh(_two_adapters("disconnected", "connected"))
    assert second is not None and second.ssid == "Upstairs"
    assert parse_netsh(_two_adapters("disconnected", "disconnected")) is None


def test_the_first_value_of_a_key_wins() -> None:
    """A key repeated further down (another section of wdutil's report) does not override the Wi-Fi section's."""
    later = "————————————————————————————————————————————————————————————————————\nAWDL\n" + (
        "————————————————————————————————————————————————————————————————————\n"
        "    Power                : Off\n    Channel              : 5g149/80\n    Security             : WPA3 Personal\n"
        "    RSSI                 : -90 dBm\n"
    )
    link = parse_wdutil(WDUTIL + later)
    assert link == parse_wdutil(WDUTIL)
    assert link is not None and (link.band, link.channel, link.security, link.rssi_dbm) == (
        "2.4",
        6,
        "wpa_wpa2_mixed",
        -58,
    )
