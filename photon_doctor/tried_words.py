"""The fixes an owner says they already tried, in their own words: "I flashed Tinker, re-entered the Wi-Fi and
updated Device OS" is ``flash_tinker_usb``, ``set_wifi_credentials`` and ``update_device_os_usb``.

A list of fixes tried (``-a "fixes_tried_failed=..."``, an answers file, or the prompt) takes numbers and ids; this
module reads the rest. Each part of the list (split at commas, semicolons, "and", "then") names the fix whose words
it holds, the most specific words winning ("cleared the Wi-Fi credentials" is clearing them, not entering them).
Words that could mean several fixes ("reset") or none are refused with a one-line reason, never guessed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection

from photon_doctor.plain import clipped

#: People's words for the fixes, as (words that must all be in the part, the fix id). Word stems: "flash" also
#: finds "flashed", "wifi" also "Wi-Fi" (hyphens go first). Only words that point to one fix are listed.
FIX_WORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("tinker",), "flash_tinker_usb"),
    (("safe", "mode"), "enter_safe_mode"),
    (("listening",), "enter_listening_mode"),
    (("wifi",), "set_wifi_credentials"),
    (("credential",), "set_wifi_credentials"),
    (("password",), "set_wifi_credentials"),
    (("clear", "wifi"), "clear_wifi_credentials"),
    (("clear", "credential"), "clear_wifi_credentials"),
    (("reset", "wifi"), "clear_wifi_credentials"),
    (("reset", "firmware"), "flash_reset_settings_firmware"),
    (("reset", "setting"), "flash_reset_settings_firmware"),
    (("setting", "reset"), "flash_reset_settings_firmware"),
    (("eeprom",), "flash_reset_settings_firmware"),
    (("key",), "reset_keys"),
    (("device", "os"), "update_device_os_usb"),
    (("deviceos",), "update_device_os_usb"),
    (("system", "firmware"), "update_device_os_usb"),
    (("particle", "update"), "update_device_os_usb"),
    (("login",), "relogin_cli"),
    (("logged", "in"), "relogin_cli"),
    (("log", "in"), "relogin_cli"),
    (("logout",), "relogin_cli"),
    (("claim",), "claim_device"),
    (("hotspot",), "use_other_network"),
    (("another", "network"), "use_other_network"),
    (("other", "network"), "use_other_network"),
    (("different", "network"), "use_other_network"),
    (("2.4",), "use_2_4ghz_network"),
    (("dhcp",), "use_dynamic_ip"),
    (("static", "ip"), "use_dynamic_ip"),
    (("antenna",), "select_internal_antenna"),
    (("power", "cycle"), "power_cycle"),
    (("unplug",), "power_cycle"),
    (("reboot",), "power_cycle"),
    (("restart",), "power_cycle"),
    (("power", "supply"), "fix_power_supply"),
    (("charger",), "fix_power_supply"),
    (("support",), "contact_support_replace"),
    (("5683",), "open_port_5683"),
    (("firewall",), "open_port_5683"),
    (("another", "phone"), "use_other_setup_method"),
    (("other", "phone"), "use_other_setup_method"),
)

#: Words that name several fixes at once, and what to say instead.
AMBIGUOUS: dict[str, str] = {
    "doctor": "particle doctor runs several fixes in one go, and they did not always stick: name the ones you "
    "saw fail (such as tinker, wifi, keys, device os)",
    "reset": "it could be a power cycle, clearing the Wi-Fi credentials, the settings-reset firmware or "
    "the keys: say which (power cycle, cleared wifi, reset firmware, keys)",
}

#: Where a list of fixes is cut into parts: commas, semicolons, slashes, "and", "then", "also", "+", "&".
_PARTS = re.compile(r"\s*(?:[,;/+&]|\band\b|\bthen\b|\balso\b)\s*")
_WORD = re.compile(r"[a-z0-9.]+")


class NotAFix(ValueError):
    """Raised when a part of a list of fixes tried names no fix, or several; the message says which part."""


def parts(text: str) -> list[str]:
    """The parts of a typed list: "tinker, wifi and device os" -> ["tinker", "wifi", "device os"]."""
    return [p for p in _PARTS.split(text) if p.strip()]


def _words(text: str) -> list[str]:
    plain = text.lower().replace("\u2019", "'").replace("-", "").replace("wi fi", "wifi")
    return [w.rstrip(".") for w in _WORD.findall(plain) if w.rstrip(".")]


def _has(words: list[str], stem: str) -> bool:
    """``stem`` is one of the words, or begins one ("flash" in "flashed", "credential" in "credentials")."""
    return any(w == stem or (len(stem) >= 3 and w.startswith(stem)) for w in words)


def fix_in_words(part: str, fixes: Collection[str]) -> str:
    """The fix id that ``part`` names in words. Raises NotAFix (several fixes, or none)."""
    words = _words(part)
    said = clipped(" ".join(part.split()))
    said = said if said.isprintable() else json.dumps(said)[1:-1]  # one printable line in an error message
    found: dict[str, int] = {}
    for needed, fix in FIX_WORDS:
        if fix in fixes and all(_has(words, w) for w in needed):
            found[fix] = max(found.get(fix, 0), len(needed))
    best = max(found.values(), default=0)
    chosen = [fix for fix, size in found.items() if size == best]
    if len(chosen) == 1:
        return chosen[0]
    for word, why in AMBIGUOUS.items():
        if _has(words, word):
            raise NotAFix(f"'{said}': {why}")
    if chosen:
        raise NotAFix(f"'{said}' could be any of {', '.join(chosen)}: say which")
    raise NotAFix(f"'{said}' names no fix this knowledge has")


#: Words that tell of something done, at a question that asked something else: "I already flashed Tinker".
_DONE = re.compile(
    r"\b(already|tried|flashed|re-?entered|updated|upgraded|ran|reset|did|cleared|reflashed)\b"
)


def said_tried(text: str, fixes: Collection[str]) -> tuple[str, ...] | None:
    """The fixes ``text`` says were already tried ("I already re-entered the Wi-Fi and flashed Tinker"), typed at a
    question that asked something else; None when it says no such thing (no word of something done, or no part
    that names a fix or a known ambiguity). Raises NotAFix for a part that names no fix, or several, when another
    part does, or for words that name several fixes ("I ran particle doctor")."""
    if not _DONE.search(text.lower()):
        return None
    chosen: list[str] = []
    failed: list[NotAFix] = []
    ambiguous: list[NotAFix] = []
    for part in parts(text):
        try:
            chosen.append(fix_in_words(part, fixes))
        except NotAFix as exc:
            (ambiguous if any(_has(_words(part), word) for word in AMBIGUOUS) else failed).append(exc)
    if ambiguous:
        raise ambiguous[0]
    if not chosen:
        return None
    if failed:
        raise failed[0]
    return tuple(dict.fromkeys(chosen))
