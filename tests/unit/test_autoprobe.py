"""The --auto orchestration with fake probes (fakes of the Probe protocol): bounded time, merging, ordering."""

from __future__ import annotations

import signal
import threading
import time

import pytest
from photon_doctor.foundation.evidence import Observation, Provenance, Unavailable
from photon_doctor.foundation.redact import register_secret
from photon_doctor.probes.base import ProbeContext, ProbeReport

from photon_doctor.autoprobe import AutoTargets, merge, run_probes


class Fake:
    def __init__(
        self, name: str, obs: tuple[Observation, ...] = (), delay: float = 0.0, facts: dict | None = None
    ) -> None:  # type: ignore[type-arg]
        self.name = name
        self.obs = obs
        self.delay = delay
        self.facts = facts or {}
        self.seen: list[ProbeContext] = []

    def run(self, ctx: ProbeContext) -> ProbeReport:
        self.seen.append(ctx)
        time.sleep(self.delay)
        return ProbeReport(self.name, self.obs, (), self.facts)


def test_a_hanging_probe_is_abandoned_and_the_run_stays_bounded() -> None:
    hang = Fake("softap", delay=30)
    ok = Fake("cloud", (Observation("cloud_online", False),))
    started = time.monotonic()
    result = run_probes(AutoTargets({"softap": hang, "cloud": ok}, ProbeContext(timeout=0.2)))
    assert (
        time.monotonic() - started < 15
    )  # the probe would take 30 s: a bound a busy computer does not reach
    assert result.observations["cloud_online"].value is False
    assert any(u.probe == "softap" and "no answer within" in u.reason for u in result.unavailable)


def test_device_id_from_the_console_reaches_the_cloud_probe_and_listening_is_left() -> None:
    calls: list[str] = []
    serial = Fake("serial", (Observation("usb_serial_responds", True),), facts={"device_id": "abc"})
    cloud = Fake("cloud")
    targets = AutoTargets(
        {"serial": serial, "cloud": cloud},
        ProbeContext(serial_port="/dev/x", timeout=1),
        switch_listening=lambda p: calls.append("listen " + p),
        leave_listening=lambda p: calls.append("leave " + p),
    )
    run_probes(targets)
    assert calls == ["listen /dev/x", "leave /dev/x"]
    assert cloud.seen[0].device_id == "abc"


#: The Ctrl-C tests send a real SIGINT: it must raise here even in a suite started with SIGINT ignored.
pytestmark = pytest.mark.usefixtures("ctrl_c_raises")


class CtrlC(Fake):
    """A probe during which the person presses Ctrl-C: a real SIGINT, sent to the main thread.

    Not ``_thread.interrupt_main()``: that only trips Python's flag, and the main thread, blocked in ``join``,
    would see it only after the join returned, at whatever bytecode it had reached by then (possibly inside the
    ``finally`` that takes the device out of listening mode). A signal sent to the main thread interrupts the wait
    itself, as a terminal's Ctrl-C does, so the KeyboardInterrupt is raised inside ``join``, every time.
    """

    def run(self, ctx: ProbeContext) -> ProbeReport:
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
        return super().run(ctx)


def test_ctrl_c_while_probing_still_takes_the_device_out_of_listening_mode() -> None:
    calls: list[str] = []
    targets = AutoTargets(
        {"serial": CtrlC("serial", delay=0.5), "cloud": Fake("cloud")},
        ProbeContext(serial_port="/dev/x", timeout=1),
        switch_listening=lambda p: calls.append("listen " + p),
        leave_listening=lambda p: calls.append("leave " + p),
    )
    with pytest.raises(KeyboardInterrupt):
        run_probes(targets)
    assert calls == ["listen /dev/x", "leave /dev/x"]


class Holding(CtrlC):
    """A console read cut short by Ctrl-C that still holds the port until it ends, and says when it let go."""

    def __init__(self, calls: list[str]) -> None:
        super().__init__("serial", delay=0.5)
        self.calls = calls

    def run(self, ctx: ProbeContext) -> ProbeReport:
        try:
            return super().run(ctx)
        finally:
            self.calls.append("port released")


def test_ctrl_c_while_probing_leaves_listening_mode_only_once_the_console_let_go_of_the_port() -> None:
    """QA finding: after Ctrl-C the device was left in listening mode ("could not leave listening mode: port busy,
    in use by another program"): the serial probe still held the port, and nothing waited for it (an interrupted
    Thread.join marks the thread ended; a Ctrl-C while the probes were being started lost them all)."""
    calls: list[str] = []
    targets = AutoTargets(
        {"serial": Holding(calls), "softap": Fake("softap"), "cloud": Fake("cloud")},
        ProbeContext(serial_port="/dev/x", timeout=1),
        switch_listening=lambda p: calls.append("listen " + p),
        leave_listening=lambda p: calls.append("leave " + p),
    )
    with pytest.raises(KeyboardInterrupt):
        run_probes(targets)
    assert calls == ["listen /dev/x", "port released", "leave /dev/x"]


def test_merge_prefers_confidence_then_probe_priority() -> None:
    a = ProbeReport("host", (Observation("network_security", "wpa2_psk", 0.9, Provenance("probe:host")),))
    b = ProbeReport(
        "softap", (Observation("network_security", "wpa_wpa2_mixed", 0.9, Provenance("probe:softap")),)
    )
    c = ProbeReport("cloud", (Observation("signal_rssi_dbm", -70.0, 0.8),))
    d = ProbeReport("softap", (Observation("signal_rssi_dbm", -60.0, 1.0),))
    merged = merge([a, b, c, d])
    assert merged["network_security"].value == "wpa_wpa2_mixed"
    assert merged["signal_rssi_dbm"].value == -60.0


def test_a_probe_that_raises_is_reported_not_fatal() -> None:
    class Boom:
        name = "usb"

        def run(self, ctx: ProbeContext) -> ProbeReport:
            raise RuntimeError("kaboom")

    result = run_probes(AutoTargets({"usb": Boom()}, ProbeContext(timeout=0.5)))
    assert result.unavailable == [Unavailable("usb", "probe failed: kaboom")]


def test_a_probe_that_raises_with_a_secret_in_its_message_does_not_pass_it_on() -> None:
    register_secret("tok-in-an-exception-8e1f")

    class Leaky:
        name = "cloud"

        def run(self, ctx: ProbeContext) -> ProbeReport:
            raise RuntimeError("GET /v1/devices with tok-in-an-exception-8e1f failed")

    result = run_probes(AutoTargets({"cloud": Leaky()}, ProbeContext(timeout=0.5)))
    assert result.unavailable == [
        Unavailable("cloud", "probe failed: GET /v1/devices with [redacted] failed")
    ]


def test_usb_discovery_gives_the_port_and_device_id_to_the_console_and_cloud_probes() -> None:
    usb = Fake("usb", facts={"serial_port": "/dev/ttyACM0", "device_id": "0123456789abcdef01234567"})
    serial = Fake("serial")
    cloud = Fake("cloud")
    run_probes(AutoTargets({"usb": usb, "serial": serial, "cloud": cloud}, ProbeContext(timeout=1)))
    assert serial.seen[0].serial_port == "/dev/ttyACM0"
    assert cloud.seen[0].device_id == "0123456789abcdef01234567"
