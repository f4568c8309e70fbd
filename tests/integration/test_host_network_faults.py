"""The host probe loses only the fact a Wi-Fi tool spoiled, never the captive-portal and port checks."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from photon_doctor.probes.host_checks import CommandResult

from tests.integration.test_host_network import (  # noqa: F401 - fixtures used by name
    NO_PORTAL,
    FakeRunner,
    Reply,
    _probe,
    _values,
    http_server,
    listener,
)


class BrokenRunner(FakeRunner):
    """A runner whose Wi-Fi tool fails in a way nobody planned for (not CommandNotFound, not a bad exit)."""

    def run(self, argv: Sequence[str], timeout: float) -> CommandResult:
        self.calls.append(list(argv))
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")


def test_an_odd_iw_frequency_keeps_the_rest_of_the_probe(
    http_server: Callable[[Reply], str],  # noqa: F811 - the imported fixtures
    listener: int,  # noqa: F811 - the imported fixtures
) -> None:
    runner = FakeRunner(
        {
            "iw dev": "\tInterface wlan0\n",
            "iw dev wlan0 link": "Connected to aa:bb (on wlan0)\n\tSSID: Net\n\tfreq: 2437.0.1\n\tsignal: -50 dBm\n",
        }
    )
    report = _probe(http_server(NO_PORTAL), listener, runner)
    values = _values(report)
    assert values["captive_portal"] is False and values["port_5683_reachable"] is True
    assert "network_band" not in values
    assert any(u.id == "network_band" for u in report.unavailable)


def test_a_wifi_tool_failing_unexpectedly_loses_only_band_and_security(
    http_server: Callable[[Reply], str],  # noqa: F811 - the imported fixtures
    listener: int,  # noqa: F811 - the imported fixtures
) -> None:
    report = _probe(http_server(NO_PORTAL), listener, BrokenRunner({}))
    values = _values(report)
    assert values == {"captive_portal": False, "port_5683_reachable": True}
    lost = {u.id: u.reason for u in report.unavailable}
    assert set(lost) == {"network_band", "network_security"}
    assert "could not read" in lost["network_band"] and "UnicodeDecodeError" not in lost["network_band"]
