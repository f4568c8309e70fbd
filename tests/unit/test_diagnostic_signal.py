"""Reading the Wi-Fi signal from a `d` document of each Device OS generation (docs/protocols-serial.md)."""

from __future__ import annotations

from typing import Any

import pytest
from photon_doctor.probes.cloud import rssi_from_vitals
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


# Second round of mutation testing (docs/reliability.md): the ends of the plausible range, the type of a whole
# reading, and vitals without a signal in dBm.


@pytest.mark.parametrize(
    ("q16", "q8", "dbm"),
    [
        (-127 * 65536, -127 * 256, -127),  # the weakest reading a radio reports
        (-1 * 65536, -1 * 256, -1),
        (-128 * 65536, -128 * 256, None),  # beyond it: not a reading
        (-65536 + 1, -256 + 1, None),  # just above -1 dBm: an unscaled value would land near here
    ],
)
def test_the_ends_of_the_plausible_range(q16: int, q8: int, dbm: int | None) -> None:
    """Q16.16 (1.5.1 and later) and Q8.8 (before) alike."""
    assert rssi_from_diagnostics({"net:sigstrv": q16}) == dbm
    assert rssi_from_diagnostics({"net:rssi": q8}) == dbm


def test_a_whole_dbm_reading_is_an_integer() -> None:
    """-52 dBm is reported as -52, not -52.0 (the session and --json show what the probe read)."""
    for diag in ({"net:sigstrv": -52 * 65536}, {"net:rssi": -52 * 256}):
        reading = rssi_from_diagnostics(diag)
        assert reading == -52 and isinstance(reading, int)


def _vitals(signal: Any) -> dict[str, Any]:
    return {"payload": {"device": {"network": {"signal": signal}}}}


@pytest.mark.parametrize(
    "diagnostics",
    [
        _vitals({"strengthv": 60, "strengthv_units": "%"}),  # a percentage is no RSSI
        _vitals({"strengthv": -52}),  # units not said
        _vitals(None),
        {"payload": {"device": {}}},
        {},
    ],
)
def test_vitals_without_a_signal_in_dbm_give_none(diagnostics: dict[str, Any]) -> None:
    assert rssi_from_vitals(diagnostics) is None


def test_vitals_with_a_signal_in_dbm() -> None:
    assert rssi_from_vitals(_vitals({"strengthv": -61.5, "strengthv_units": "dBm"})) == -61.5
