"""USB discovery: which Particle devices are plugged in, in which mode, on which port (reference §1).

Serial (CDC) mode is found with pyserial's port list, DFU mode with Linux sysfs (``/sys/bus/usb/devices``).
Both sources are parameters, so tests give a list of ``ListPortInfo`` objects and a fake sysfs tree.
The device id comes from the USB serial number (the CLI's ``/[0-9A-Fa-f]{24}/``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from photon_doctor.foundation.evidence import Unavailable
from photon_doctor.probes.base import ProbeContext, ProbeReport
from serial.tools.list_ports_common import ListPortInfo

PARTICLE_VID = 0x2B04
CORE_VID = 0x1D50
SYSFS_USB = Path("/sys/bus/usb/devices")
_DEVICE_ID = re.compile(r"[0-9A-Fa-f]{24}")


class UsbMode(str, Enum):
    """How the device shows up on USB."""

    SERIAL = "serial"  # CDC: the application or listening mode (system firmware running)
    DFU = "dfu"  # the bootloader's DFU interface


@dataclass(frozen=True)
class Platform:
    """A Particle platform and its USB product ids."""

    name: str
    platform_id: int
    vid: int
    cdc_pid: int
    dfu_pid: int


PLATFORMS: tuple[Platform, ...] = (
    Platform("Core", 0, CORE_VID, 0x607D, 0x607F),
    Platform("Photon", 6, PARTICLE_VID, 0xC006, 0xD006),
    Platform("P1", 8, PARTICLE_VID, 0xC008, 0xD008),
    Platform("Electron", 10, PARTICLE_VID, 0xC00A, 0xD00A),
    Platform("Argon", 12, PARTICLE_VID, 0xC00C, 0xD00C),
    Platform("Boron", 13, PARTICLE_VID, 0xC00D, 0xD00D),
    Platform("Xenon", 14, PARTICLE_VID, 0xC00E, 0xD00E),
    Platform("A SoM", 22, PARTICLE_VID, 0xC016, 0xD016),
    Platform("B SoM", 23, PARTICLE_VID, 0xC017, 0xD017),
    Platform("B5 SoM", 25, PARTICLE_VID, 0xC019, 0xD019),
    Platform("Tracker", 26, PARTICLE_VID, 0xC01A, 0xD01A),
)


@dataclass(frozen=True)
class UsbDevice:
    """One Particle device on USB.

    ``port`` is the serial port (``/dev/ttyACM0``) in serial mode, or the sysfs bus path (``1-1.2``, what
    ``dfu-util -p`` takes) in DFU mode. ``device_id`` is None when the USB serial number holds no id (0.5.x).
    """

    device_id: str | None
    mode: UsbMode
    platform: str
    platform_id: int
    port: str
    vid: int
    pid: int

    def as_fact(self) -> dict[str, Any]:
        """Plain JSON-able data."""
        fact = asdict(self)
        fact["mode"] = self.mode.value
        fact["usb_id"] = f"{self.vid:04x}:{self.pid:04x}"
        return fact


def lookup(vid: int, pid: int) -> tuple[Platform, UsbMode] | None:
    """The platform and mode for a USB vendor/product id pair, or None if it is not a Particle device."""
    for p in PLATFORMS:
        if p.vid == vid and pid == p.cdc_pid:
            return p, UsbMode.SERIAL
        if p.vid == vid and pid == p.dfu_pid:
            return p, UsbMode.DFU
    return None


def device_id_from_serial(serial_number: str | None) -> str | None:
    """The device id in a USB serial number (the CLI's ``deviceIdFromSerialNumber``), lowercased."""
    m = _DEVICE_ID.search(serial_number or "")
    return m.group(0).lower() if m else None


def serial_devices(ports: Sequence[ListPortInfo]) -> list[UsbDevice]:
    """Particle devices among pyserial port descriptions."""
    found = []
    for info in ports:
        if info.vid is None or info.pid is None:
            continue
        hit = lookup(info.vid, info.pid)
        if hit is None or hit[1] is not UsbMode.SERIAL:
            continue
        platform, mode = hit
        found.append(
            UsbDevice(
                device_id_from_serial(info.serial_number),
                mode,
                platform.name,
                platform.platform_id,
                info.device,
                info.vid,
                info.pid,
            )
        )
    return found


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None  # absent or unreadable attribute: this entry is not for us


def dfu_devices(sysfs_root: Path) -> list[UsbDevice]:
    """Particle devices in DFU mode under a sysfs USB devices directory (missing directory: none)."""
    found = []
    try:
        entries = sorted(sysfs_root.iterdir())
    except OSError:
        return []
    for entry in entries:
        vid_text, pid_text = _read(entry / "idVendor"), _read(entry / "idProduct")
        if vid_text is None or pid_text is None:
            continue  # an interface (1-1:1.0) or a hub port, not a device
        try:
            vid, pid = int(vid_text, 16), int(pid_text, 16)
        except ValueError:
            continue
        hit = lookup(vid, pid)
        if hit is None or hit[1] is not UsbMode.DFU:
            continue
        platform, mode = hit
        found.append(
            UsbDevice(
                device_id_from_serial(_read(entry / "serial")),
                mode,
                platform.name,
                platform.platform_id,
                entry.name,
                vid,
                pid,
            )
        )
    return found


def discover(ports: Sequence[ListPortInfo] | None = None, sysfs_root: Path | None = None) -> list[UsbDevice]:
    """All Particle devices on USB: serial ones first, then DFU ones.

    ``ports`` defaults to ``serial.tools.list_ports.comports()`` and ``sysfs_root`` to
    ``/sys/bus/usb/devices``, both read at call time. Raises OSError only if pyserial's port listing itself
    fails.
    """
    if ports is None:
        from serial.tools.list_ports import comports

        ports = comports()
    return serial_devices(ports) + dfu_devices(sysfs_root if sysfs_root is not None else SYSFS_USB)


class UsbProbe:
    """Find Particle devices on USB (name "usb"). Facts: ``devices`` (a list), and when exactly one Photon is
    found, ``photon_port``, ``photon_mode`` and (in serial mode) ``serial_port``. ``run`` never raises."""

    name = "usb"

    def __init__(self, ports: Sequence[ListPortInfo] | None = None, sysfs_root: Path | None = None) -> None:
        self._ports = ports
        self._sysfs_root = sysfs_root

    def run(self, ctx: ProbeContext) -> ProbeReport:
        """List the devices; say why nothing could be listed, or why no single Photon was picked."""
        try:
            devices = discover(self._ports, self._sysfs_root)
        except Exception as exc:  # the Probe contract: nothing escapes run()
            reason = f"cannot list USB serial ports: {type(exc).__name__}: {exc}".splitlines()[0]
            return ProbeReport(self.name, unavailable=(Unavailable(self.name, reason),))
        facts: dict[str, Any] = {"devices": [d.as_fact() for d in devices]}
        photons = [d for d in devices if d.platform_id == 6]
        if ctx.device_id:
            photons = [d for d in photons if d.device_id in (None, ctx.device_id.lower())]
        unavailable: tuple[Unavailable, ...] = ()
        if len(photons) == 1:
            facts["photon_port"] = photons[0].port
            facts["photon_mode"] = photons[0].mode.value
            if photons[0].mode is UsbMode.SERIAL:
                facts["serial_port"] = photons[0].port  # what ProbeContext.serial_port wants
            if photons[0].device_id:
                facts["device_id"] = photons[0].device_id
        elif not photons:
            unavailable = (
                Unavailable(self.name, "no Photon found on USB (check the cable: it must carry data)"),
            )
        else:
            unavailable = (
                Unavailable(self.name, f"{len(photons)} Photons found on USB; unplug all but one"),
            )
        return ProbeReport(self.name, facts=facts, unavailable=unavailable)
