"""Reading the Wi-Fi signal from a `d` document of each Device OS generation (docs/protocols-serial.md)."""

from __future__ import annotations

from typing import Any

import pytest
from photon_doctor.probes.serial_console import rssi_from_diagnostics
from photon_doctor.simulator.console_info import SIGNAL_UNKNOWN, signal_sources


@pytest.mark.parametrize(
    ("diag", "dbm"),
    [
        ({"net:sigstrv": -52 * 65536, "net:at": 1}, -52),  # 1.5.1+: signed Q16.16
        ({"net:sigstrv": -3440640}, -52.5),
        ({"net:rssi": -52 * 256, "net:sigstrv": {"err": -100}}, -52),  # 1.0.1-1.5.0: signed Q8.8
        ({"net:rssi": -13440}, -52.5),
        ({"net:rssi": -52}, None),  # not fixed point: -0.2 dBm is no reading, not a strong signal
        ({"net:sigstrv": {"err": -100}, "net:at": 1}, None),  # no link (listening mode)
        ({"net:rssi": True}, None),
        ({}, None),
    ],
)
def test_literal_documents(diag: dict[str, Any], dbm: float | None) -> None:
    assert rssi_from_diagnostics(diag) == dbm


def test_the_simulated_encoding_is_the_devices() -> None:
    new, old = signal_sources("2.3.1", -52), signal_sources("1.4.4", -52)
    assert "net:rssi" not in new and new["net:sigstrv"] == -3407872 and new["net:at"] == 1
    assert old["net:rssi"] == -13312 and old["net:sigstrv"] == -3407872
    assert rssi_from_diagnostics(new) == rssi_from_diagnostics(old) == -52
    assert signal_sources("1.5.1", None)["net:sigqualv"] == SIGNAL_UNKNOWN
