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


#: Module versions a Device OS release writes into its module headers: (system parts, bootloader), from
#: ``modules/shared/system_module_version.mk`` (``COMMON_MODULE_VERSION``, ``BOOTLOADER_VERSION``) at each tag.
MODULE_VERSIONS: dict[tuple[int, int, int], tuple[int, int]] = {
    (1, 2, 1): (1213, 311),
    (1, 3, 1): (1321, 401),
    (1, 4, 0): (1401, 500),
    (1, 4, 1): (1403, 500),
    (1, 4, 2): (1404, 501),
    (1, 4, 3): (1405, 501),
    (1, 4, 4): (1406, 501),
    (1, 5, 0): (1502, 501),
    (1, 5, 1): (1511, 501),
    (1, 5, 2): (1512, 502),
    (2, 0, 0): (2008, 1003),
    (2, 0, 1): (2011, 1005),
    (2, 0, 2): (2021, 1005),
    (2, 1, 0): (2101, 1005),
    (2, 2, 0): (2202, 1006),
    (2, 3, 0): (2301, 1006),
    (2, 3, 1): (2302, 1006),
}


def _release(device_os: str) -> tuple[int, int, int]:
    parts = (list(version_tuple(device_os)) + [0, 0, 0])[:3]
    return parts[0], parts[1], parts[2]


def module_version(device_os: str) -> int:
    """The system module version a Device OS release puts in its module headers (2.3.1 -> 2302).

    Releases in :data:`MODULE_VERSIONS` give the real number; others (before 1.2.1, or unknown) an ordered
    stand-in, ``major*1000 + minor*100 + patch*10``, which keeps the property the dependency check needs.
    """
    release = _release(device_os)
    if release in MODULE_VERSIONS:
        return MODULE_VERSIONS[release][0]
    return release[0] * 1000 + release[1] * 100 + release[2] * 10


def bootloader_version(device_os: str) -> int:
    """The bootloader module version of a Device OS release (2.3.1 -> 1006, 1.4.4 -> 501)."""
    release = _release(device_os)
    if release in MODULE_VERSIONS:
        return MODULE_VERSIONS[release][1]
    known = [boot for rel, (_, boot) in sorted(MODULE_VERSIONS.items()) if rel <= release]
    return known[-1] if known else 201  # 0.7.0 to 1.1.1 ship bootloader 201 or 301 (the .mk at those tags)


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


#: ``SYSTEM_ERROR_UNKNOWN``: what a signal source reports without a Wi-Fi link (``services/inc/system_error.h``).
SIGNAL_UNKNOWN = {"err": -100}
#: ``NET_ACCESS_TECHNOLOGY_WIFI`` (``hal/inc/net_hal.h``): ``net:at`` of every Wi-Fi signal.
ACCESS_TECHNOLOGY_WIFI = 1


def diagnostics(world: World) -> dict[str, Any]:
    """The `d` command's document: diagnostic source names (``services/inc/diagnostics.h``) to values.

    Names as Device OS prints them: ``sys:uram``/``sys:tram`` for RAM; the Wi-Fi signal as ``net:sigstr``,
    ``net:sigstrv``, ``net:sigqual``, ``net:sigqualv`` and ``net:at``, plus ``net:rssi`` before 1.5.1 (see
    :func:`signal_sources`). `d` only exists in listening mode, where the device has dropped its Wi-Fi link
    (``on_start_listening``), so the signal sources fail as they do on the device.
    """
    with world.lock:
        d = world.device
        connected = d.mode in (Mode.CONNECTED, Mode.SAFE_MODE)
        doc: dict[str, Any] = {
            "sys:reset": 20,  # RESET_REASON_PIN_RESET
            "sys:uptime": 42,
            "sys:uram": 24816,
            "sys:tram": 82944,
            "net:stat": 4 if connected else 2,  # CONNECTED / DISCONNECTED
        }
        doc.update(signal_sources(d.device_os, current_link_rssi(world) if connected else None))
        doc.update(
            {
                "net:dconn": 0,
                "net:connatt": 0 if connected else 1,
                "net:err": 0,
                "cloud:stat": 2 if connected else 0,  # CONNECTED / DISCONNECTED
                "cloud:err": 0,
                "cloud:dconn": d.cloud_errors,
                "cloud:connatt": 0 if connected else d.cloud_errors,
            }
        )
        return doc


def current_link_rssi(world: World) -> int | None:
    """The RSSI of the network the device is joined to: the first stored network it can see."""
    visible = {ap.ssid: ap for ap in world.visible_networks()}
    for cred in world.device.credentials:
        if cred.ssid in visible:
            return world.effective_rssi(visible[cred.ssid])
    return None


def signal_sources(device_os: str, rssi: int | None) -> dict[str, Any]:
    """The Wi-Fi signal diagnostic sources of a Device OS release (``system_network_diagnostics.cpp``).

    Fixed point as the device encodes them: ``net:sigstr``/``net:sigqual`` unsigned Q8.8 percent,
    ``net:sigstrv`` (RSSI, dBm) and ``net:sigqualv`` (SNR, dB) signed Q16.16; before 1.5.1 also ``net:rssi``,
    the RSSI in dBm as signed Q8.8 (dBm x 256). Without a link (``rssi`` None) each fails with
    :data:`SIGNAL_UNKNOWN`. Strength and quality percent follow ``WiFiSignal`` (docs: RSSI over [-90, 0] dBm,
    SNR over [0, 90] dB); the SNR uses an assumed -95 dBm noise floor (a simulator choice).
    """
    values: dict[str, Any]
    if rssi is None:
        values = {k: SIGNAL_UNKNOWN for k in ("net:sigstr", "net:sigstrv", "net:sigqual", "net:sigqualv")}
    else:
        snr = max(0, min(90, rssi + 95))
        values = {
            "net:sigstr": round(max(0.0, min(100.0, (rssi + 90) / 90 * 100)) * 256),
            "net:sigstrv": rssi * 65536,
            "net:sigqual": round(snr / 90 * 100 * 256),
            "net:sigqualv": snr * 65536,
        }
    values["net:at"] = ACCESS_TECHNOLOGY_WIFI
    if _release(device_os) < (1, 5, 1):
        values = {"net:rssi": SIGNAL_UNKNOWN if rssi is None else rssi * 256, **values}
    return values


def module_info_text(world: World) -> str:
    """`s` output without the trailing line ending: compact JSON, as the device's appender writes it."""
    return json.dumps(module_info(world), separators=(",", ":"))


def diagnostics_text(world: World) -> str:
    """`d` output without the trailing line ending."""
    return json.dumps(diagnostics(world), separators=(",", ":"))
