"""The Photon HAL's rules for taking Wi-Fi credentials, shared by the serial `w` dialog and SoftAP ``configure-ap``.

Device OS ``hal/src/photon/wlan_hal.cpp`` (v2.3.1; the same at v1.4.4 and v1.5.2; the length checks since v0.7.0,
commit 6d6899309 "wlan_set_credentials() now checks SSID and password lengths (Photon)"):

* ``toCipherType()``: a scan entry's cipher is AES when the AES bit is set, else TKIP, else not set. A mixed
  AES+TKIP network is reported as AES; the scan never says "AES+TKIP".
* ``wlan_set_credentials_internal()``: an empty SSID or one over 32 bytes is ``WLAN_INVALID_SSID_LENGTH`` (-3);
  WPA/WPA2 security with no cipher makes the device scan for the SSID (``toSecurity()`` → ``sniff_security()``)
  and take that network's security, or answer ``WLAN_SET_CREDENTIALS_CIPHER_REQUIRED`` (-2) when the scan does
  not see it; a WEP key outside 5..58 bytes and a WPA/WPA2 (not enterprise) passphrase outside 8..64 bytes
  (``WSEC_MIN_PSK_LEN``, ``WSEC_MAX_PSK_LEN``) are ``WLAN_INVALID_KEY_LENGTH`` (-4). Codes: ``hal/inc/wlan_hal.h``.
"""

from __future__ import annotations

from photon_doctor.simulator.world import (
    CIPHER_AES,
    CIPHER_NOT_SET,
    CIPHER_TKIP,
    SEC_NOT_SET,
    SEC_WEP,
    SEC_WPA,
    SEC_WPA2,
    SEC_WPA2_ENT,
    SEC_WPA_ENT,
    World,
)

WLAN_SET_CREDENTIALS_CIPHER_REQUIRED = -2
WLAN_INVALID_SSID_LENGTH = -3
WLAN_INVALID_KEY_LENGTH = -4

#: ``SSID_NAME_SIZE`` (wwd_structures.h).
MAX_SSID_BYTES = 32
#: WEP keys: 5 printable characters (40-bit) to 58 hex characters (232-bit).
WEP_KEY_BYTES = (5, 58)
#: ``WSEC_MIN_PSK_LEN`` .. ``WSEC_MAX_PSK_LEN`` (wwd_wlioctl.h).
PSK_BYTES = (8, 64)

_WEP_ENABLED, _TKIP_ENABLED, _AES_ENABLED = 0x0001, 0x0002, 0x0004
_WPA_SECURITY, _WPA2_SECURITY, _ENTERPRISE_ENABLED = 0x00200000, 0x00400000, 0x02000000


def scan_cipher(sec: int) -> int:
    """``toCipherType()``: the cipher a scan entry reports (AES wins over TKIP; never AES+TKIP)."""
    if sec & _AES_ENABLED:
        return CIPHER_AES
    if sec & _TKIP_ENABLED:
        return CIPHER_TKIP
    return CIPHER_NOT_SET


def ssid_error(ssid: str) -> int:
    """0, or ``WLAN_INVALID_SSID_LENGTH`` for an empty SSID or one over 32 bytes."""
    size = len(ssid.encode("utf-8"))
    return 0 if 0 < size <= MAX_SSID_BYTES else WLAN_INVALID_SSID_LENGTH


def key_error(wiced_security: int, password: bytes | None) -> int:
    """0, or ``WLAN_INVALID_KEY_LENGTH`` when the key does not fit the (WICED) security it is stored with."""
    size = -1 if password is None else len(password)
    if wiced_security & _WEP_ENABLED and not WEP_KEY_BYTES[0] <= size <= WEP_KEY_BYTES[1]:
        return WLAN_INVALID_KEY_LENGTH
    wpa = wiced_security & (_WPA_SECURITY | _WPA2_SECURITY)
    if wpa and not wiced_security & _ENTERPRISE_ENABLED and not PSK_BYTES[0] <= size <= PSK_BYTES[1]:
        return WLAN_INVALID_KEY_LENGTH
    return 0


def to_security(security: int, cipher: int = CIPHER_NOT_SET) -> int:
    """``toSecurity()`` without its scan: the WICED bitmask for a console security value and cipher."""
    base = {
        SEC_WEP: _WEP_ENABLED,
        SEC_WPA: _WPA_SECURITY,
        SEC_WPA2: _WPA2_SECURITY,
        SEC_WPA_ENT: _WPA_SECURITY | _ENTERPRISE_ENABLED,
        SEC_WPA2_ENT: _WPA2_SECURITY | _ENTERPRISE_ENABLED,
    }.get(security, 0)
    if cipher & CIPHER_AES:
        base |= _AES_ENABLED
    if cipher & CIPHER_TKIP:
        base |= _TKIP_ENABLED
    return base


def sniff_security(world: World, ssid: str) -> int | None:
    """``sniff_security()``: the WICED security of the network the device's scan sees under exactly this SSID
    (the last one reported wins), or None when the scan does not see it (hidden, 5 GHz, out of reach).
    The caller holds ``world.lock``."""
    found = None
    for ap in world.visible_networks():
        if ap.ssid == ssid:
            found = ap.security
    return found


def needs_sniff(security: int, cipher: int) -> bool:
    """``toSecurity()`` scans when the security is not set, or is WPA/WPA2 without a cipher (SoftAP never
    sends a cipher, so every WPA/WPA2 ``configure-ap`` scans)."""
    return security == SEC_NOT_SET or bool(
        to_security(security) & (_WPA_SECURITY | _WPA2_SECURITY) and cipher == CIPHER_NOT_SET
    )
