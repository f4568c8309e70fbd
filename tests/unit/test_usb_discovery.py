"""USB discovery from a built port list and a fake sysfs tree (reference §1)."""

from __future__ import annotations

from pathlib import Path

from photon_doctor.probes.base import ProbeContext
from photon_doctor.probes.usb import (
    UsbDevice,
    UsbMode,
    UsbProbe,
    device_id_from_serial,
    discover,
    lookup,
)
from serial.tools.list_ports_common import ListPortInfo

PHOTON_ID = "2f8104fba08f6d3682da2bd8"


def port(device: str, vid: int | None, pid: int | None, serial_number: str | None) -> ListPortInfo:
    info = ListPortInfo(device, skip_link_detection=True)
    info.vid, info.pid, info.serial_number = vid, pid, serial_number
    return info


def usb_entry(root: Path, name: str, **attrs: str) -> None:
    d = root / name
    d.mkdir(parents=True)
    for key, value in attrs.items():
        (d / key).write_text(value + "\n")


def test_pid_table() -> None:
    assert lookup(0x2B04, 0xC006) is not None and lookup(0x2B04, 0xC006)[1] is UsbMode.SERIAL  # type: ignore[index]
    platform, mode = lookup(0x2B04, 0xD006)  # type: ignore[misc]
    assert (platform.name, platform.platform_id, mode) == ("Photon", 6, UsbMode.DFU)
    assert lookup(0x1D50, 0x607D)[0].name == "Core"  # type: ignore[index]
    assert lookup(0x2B04, 0xC00D)[0].name == "Boron"  # type: ignore[index]
    assert lookup(0x0403, 0x6001) is None  # an FTDI cable is not a Particle device


def test_device_id_from_serial_number() -> None:
    assert device_id_from_serial(PHOTON_ID.upper()) == PHOTON_ID  # v0.6.x bootloaders: uppercase
    assert device_id_from_serial("Photon " + PHOTON_ID) == PHOTON_ID
    assert device_id_from_serial("00000000050C") is None  # a fixed string (≤ v0.5.x)
    assert device_id_from_serial(None) is None


def test_serial_mode_from_the_port_list(tmp_path: Path) -> None:
    ports = [
        port("/dev/ttyS0", None, None, None),
        port("/dev/ttyUSB0", 0x0403, 0x6001, "A50285BI"),
        port("/dev/ttyACM0", 0x2B04, 0xC006, PHOTON_ID),
        port("/dev/ttyACM1", 0x2B04, 0xC00C, "e00fce68" + "0" * 16),
    ]
    found = discover(ports, tmp_path / "absent")
    assert found == [
        UsbDevice(PHOTON_ID, UsbMode.SERIAL, "Photon", 6, "/dev/ttyACM0", 0x2B04, 0xC006),
        UsbDevice("e00fce68" + "0" * 16, UsbMode.SERIAL, "Argon", 12, "/dev/ttyACM1", 0x2B04, 0xC00C),
    ]


def test_dfu_mode_from_sysfs(tmp_path: Path) -> None:
    usb_entry(tmp_path, "usb1", idVendor="1d6b", idProduct="0002", product="xHCI Host Controller")
    usb_entry(
        tmp_path, "1-1.2", idVendor="2b04", idProduct="d006", serial=PHOTON_ID, product="Photon DFU Mode"
    )
    usb_entry(tmp_path, "1-1.2:1.0", bInterfaceClass="fe")  # an interface: no idVendor
    usb_entry(tmp_path, "1-1.3", idVendor="2b04", idProduct="c006", serial="x" * 24)  # CDC: seen via pyserial
    usb_entry(tmp_path, "1-1.4", idVendor="zz", idProduct="d006")  # unreadable id: skipped
    found = discover([], tmp_path)
    assert found == [UsbDevice(PHOTON_ID, UsbMode.DFU, "Photon", 6, "1-1.2", 0x2B04, 0xD006)]
    assert found[0].as_fact()["usb_id"] == "2b04:d006" and found[0].as_fact()["mode"] == "dfu"


def test_probe_picks_the_one_photon(tmp_path: Path) -> None:
    probe = UsbProbe([port("/dev/ttyACM0", 0x2B04, 0xC006, PHOTON_ID)], tmp_path)
    report = probe.run(ProbeContext())
    assert report.probe == "usb" and report.unavailable == ()
    assert report.facts["photon_port"] == "/dev/ttyACM0" and report.facts["serial_port"] == "/dev/ttyACM0"
    assert report.facts["photon_mode"] == "serial" and report.facts["device_id"] == PHOTON_ID


def test_probe_photon_in_dfu_has_no_serial_port(tmp_path: Path) -> None:
    usb_entry(tmp_path, "3-2", idVendor="2b04", idProduct="d006", serial=PHOTON_ID)
    report = UsbProbe([], tmp_path).run(ProbeContext())
    assert report.facts["photon_mode"] == "dfu" and report.facts["photon_port"] == "3-2"
    assert "serial_port" not in report.facts


def test_probe_none_or_several(tmp_path: Path) -> None:
    none = UsbProbe([], tmp_path).run(ProbeContext())
    assert none.unavailable[0].reason.startswith("no Photon found on USB")
    two = [port("/dev/ttyACM0", 0x2B04, 0xC006, PHOTON_ID), port("/dev/ttyACM1", 0x2B04, 0xC006, "1" * 24)]
    several = UsbProbe(two, tmp_path).run(ProbeContext())
    assert several.unavailable[0].reason == "2 Photons found on USB; unplug all but one"
    assert len(several.facts["devices"]) == 2
    chosen = UsbProbe(two, tmp_path).run(ProbeContext(device_id="1" * 24))
    assert chosen.facts["photon_port"] == "/dev/ttyACM1"


class BrokenPorts(list[ListPortInfo]):
    """A port list that fails when read, as a broken pyserial backend would."""

    def __iter__(self):  # type: ignore[no-untyped-def]
        raise OSError("udev went away")


def test_probe_never_raises(tmp_path: Path) -> None:
    report = UsbProbe(BrokenPorts(), tmp_path).run(ProbeContext())
    assert report.unavailable[0].reason == "cannot list USB serial ports: OSError: udev went away"
