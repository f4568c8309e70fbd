"""What the simulated listening-mode console prints for `s` (module info) and `d` (diagnostics).

Both are built from the :class:`~photon_doctor.simulator.world.World` so that they agree with the rest of the
simulation. The JSON shapes and key names follow reference §2.1 (DOS ``system_info.cpp``); the numbers in
them are simulator choices, documented on each function.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from photon_doctor.simulator.world import Mode, World, version_tuple

PHOTON_BOOTLOADER_SIZE = 16384
PHOTON_SYSTEM_PART_SIZE = 262144
PHOTON_USER_PART_SIZE = 131072
_VALIDITY = 30  # "vc"/"vv": every validity check requested and passed


def module_version(device_os: str) -> int:
    """The module version number that a Device OS release puts in its module headers.

    UNCONFIRMED: the real numbers come from a table in Device OS (``system_version.h``). The simulator uses
    ``major*1000 + minor*100 + patch`` (2.3.1 -> 2301), which keeps the one property that matters here: a
    later release has a larger number.
    """
    parts = (list(version_tuple(device_os)) + [0, 0, 0])[:3]
    return parts[0] * 1000 + parts[1] * 100 + parts[2]


def bootloader_version(device_os: str) -> int:
    """The bootloader module version of a Device OS release (a simulator choice: half the system one)."""
    return module_version(device_os) // 2


def module_info(world: World) -> dict[str, Any]:
    """The `s` command's document: ``{"p": 6, "m": [bootloader, system part 1, system part 2, user part]}``.

    When ``device.modules_ok`` is False the user part depends on a system part 2 one release newer than the
    installed one (an app built for a newer Device OS), which a dependency check reports as not satisfied.
    """
    with world.lock:
        d = world.device
        system_v = module_version(d.device_os)
        boot_v = bootloader_version(d.device_os)
        wanted = module_version(d.firmware.requires_device_os)
        user_dep = min(wanted, system_v) if d.modules_ok else max(wanted, system_v + 100)
        sha = hashlib.sha256(f"{d.firmware.app}:{d.device_id}".encode()).hexdigest().upper()
        platform = d.platform_id

    def module(size: int, func: str, index: str, version: int, deps: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "s": size,
            "l": "m",
            "vc": _VALIDITY,
            "vv": _VALIDITY,
            "f": func,
            "n": index,
            "v": version,
            "d": deps,
        }

    user = module(PHOTON_USER_PART_SIZE, "u", "1", 6, [{"f": "s", "n": "2", "v": user_dep}])
    # Key order as the device prints it: "u" (the user part's hash) comes before "f".
    user = (
        {k: user[k] for k in ("s", "l", "vc", "vv")} | {"u": sha} | {k: user[k] for k in ("f", "n", "v", "d")}
    )
    return {
        "p": platform,
        "m": [
            module(PHOTON_BOOTLOADER_SIZE, "b", "0", boot_v, []),
            module(PHOTON_SYSTEM_PART_SIZE, "s", "1", system_v, [{"f": "b", "n": "0", "v": boot_v}]),
            module(PHOTON_SYSTEM_PART_SIZE, "s", "2", system_v, [{"f": "s", "n": "1", "v": system_v}]),
            user,
        ],
    }


def diagnostics(world: World) -> dict[str, Any]:
    """The `d` command's document: diagnostic source names (DOS ``diagnostics.h``) to values.

    Values are plain integers. ``net:rssi`` is the signal of the first stored network the device sees, in dBm;
    when there is none the source fails and is rendered ``{"err": -210}`` (the error number is a simulator
    choice; the ``{"err": N}`` form is the reference's).
    """
    with world.lock:
        d = world.device
        visible = {ap.ssid: ap for ap in world.visible_networks()}
        rssi: Any = {"err": -210}
        for cred in d.credentials:
            if cred.ssid in visible:
                rssi = world.effective_rssi(visible[cred.ssid])
                break
        connected = d.mode in (Mode.CONNECTED, Mode.SAFE_MODE)
        return {
            "sys:reset": 20,  # RESET_REASON_PIN_RESET
            "sys:uptime": 42,
            "mem:used": 24816,
            "mem:total": 82944,
            "net:stat": 4 if connected else 2,  # CONNECTED / DISCONNECTED
            "net:rssi": rssi,
            "net:dconn": 0,
            "net:connatt": 0 if connected else 1,
            "net:err": 0,
            "cloud:stat": 2 if connected else 0,  # CONNECTED / DISCONNECTED
            "cloud:err": 0,
            "cloud:dconn": d.cloud_errors,
            "cloud:connatt": 0 if connected else d.cloud_errors,
        }


def module_info_text(world: World) -> str:
    """`s` output without the trailing line ending: compact JSON, as the device's appender writes it."""
    return json.dumps(module_info(world), separators=(",", ":"))


def diagnostics_text(world: World) -> str:
    """`d` output without the trailing line ending."""
    return json.dumps(diagnostics(world), separators=(",", ":"))
