"""`diagnose --auto`: run the probes, each bounded in time, and merge what they saw.

Order, and why: the host-network probe runs from the start, in parallel with everything. The device is then put
in listening mode with the 28800-baud switch (only possible with a serial port; harmless: it is the mode a person
enters with the SETUP button) so that the serial console and the SoftAP can be probed together; then it is sent
back to normal operation (`x`) and the cloud is asked about it, with the device id the console gave.
A probe that hangs is abandoned after its timeout; a probe that cannot run says why in one line.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from photon_doctor.foundation.evidence import Observation, Unavailable
from photon_doctor.foundation.redact import redact
from photon_doctor.knowledge.model import KnowledgeBase
from photon_doctor.plain import PROBE_WORDS, counted
from photon_doctor.probes.base import Probe, ProbeContext, ProbeReport

#: Which probe's word counts when two report the same observation with the same confidence.
PRIORITY = ("serial", "softap", "cloud", "host", "usb")


@dataclass
class AutoTargets:
    """Where the probes look. ``probes`` maps probe names to instances (the composition root decides)."""

    probes: Mapping[str, Probe]
    context: ProbeContext
    switch_listening: Callable[[str], None] | None = None  # enter listening mode via the magic baud rate
    #: Asked (with the port) before the switch; False: no switch, and the serial console is not read either.
    #: While it waits for the person, no other probe runs, so nothing is printed over the question.
    confirm_listening: Callable[[str], bool] | None = None
    leave_listening: Callable[[str], None] | None = None  # send `x`
    settle: float = 0.0  # seconds to let the device settle after leaving listening mode
    notes: list[Unavailable] = field(default_factory=list)  # probes deliberately not run, and why


@dataclass
class AutoResult:
    observations: dict[str, Observation] = field(default_factory=dict)
    unavailable: list[Unavailable] = field(default_factory=list)
    reports: list[ProbeReport] = field(default_factory=list)
    seconds: float = 0.0

    def facts(self, probe: str) -> Mapping[str, Any]:
        for r in self.reports:
            if r.probe == probe:
                return r.facts
        return {}


def _run_bounded(probe: Probe, ctx: ProbeContext, limit: float) -> ProbeReport:
    box: list[ProbeReport] = []

    def target() -> None:
        try:
            box.append(probe.run(ctx))
        except Exception as exc:  # a probe must not raise; if one does, it is reported, not fatal
            reason = redact(f"probe failed: {exc}")
            box.append(ProbeReport(probe.name, unavailable=(Unavailable(probe.name, reason),)))

    thread = threading.Thread(target=target, name=f"probe-{probe.name}", daemon=True)
    thread.start()
    thread.join(limit)
    if box:
        return box[0]
    return ProbeReport(probe.name, unavailable=(Unavailable(probe.name, f"no answer within {limit:.0f} s"),))


@dataclass(frozen=True)
class _Running:
    """A probe running in its own thread. ``join`` waits on an event, not on the thread: a ``Thread.join`` cut
    short by Ctrl-C can leave the thread marked as ended (CPython before 3.13), and the join after it returns at
    once while the probe still holds the serial port."""

    done: threading.Event

    def join(self, timeout: float) -> None:
        self.done.wait(timeout)


def _start(
    probe: Probe,
    ctx: ProbeContext,
    limit: float,
    results: list[ProbeReport],
    progress: Callable[[str], None],
    running: list[_Running],
) -> None:
    """Start ``probe`` in its own thread, listed in ``running`` before it starts (a Ctrl-C between the two must
    not leave a probe running that nobody waits for)."""
    done = threading.Event()

    def target() -> None:
        try:
            said = PROBE_WORDS.get(probe.name, probe.name)
            progress(f"probing {said} ...")
            report = _run_bounded(probe, ctx, limit)
            results.append(report)
            got = counted(len(report.observations), "observation")
            missing = (
                f"; {report.unavailable[0].reason}" if report.unavailable and not report.observations else ""
            )
            progress(f"  {said}: {got}{missing}")
        finally:
            done.set()

    running.append(_Running(done))
    threading.Thread(target=target, name=f"auto-{probe.name}", daemon=True).start()


def run_probes(targets: AutoTargets, progress: Callable[[str], None] = lambda _m: None) -> AutoResult:
    """Run every probe in ``targets``; never raises for a probe's failure."""
    started = time.monotonic()
    ctx = targets.context
    limit = max(ctx.timeout * 3, ctx.timeout + 2)
    results: list[ProbeReport] = []
    threads: list[_Running] = []
    probes = dict(targets.probes)

    host = probes.pop("host", None)
    if host is not None and targets.confirm_listening is None:
        _start(host, ctx, limit, results, progress, threads)
        host = None
    if "usb" in probes:
        usb = _run_bounded(probes.pop("usb"), ctx, limit)
        results.append(usb)
        port = usb.facts.get("serial_port")
        if port and not ctx.serial_port:
            ctx = _with(ctx, serial_port=str(port))
        if usb.facts.get("device_id") and not ctx.device_id:
            ctx = _with(ctx, device_id=str(usb.facts["device_id"]))

    switched = False
    device_phase: list[_Running] = []
    try:
        if (
            ctx.serial_port
            and targets.switch_listening is not None
            and ("serial" in probes or "softap" in probes)
        ):
            if targets.confirm_listening is not None and not targets.confirm_listening(ctx.serial_port):
                declined = "you chose not to put it in listening mode; its settings were not read"
                progress(f"  {declined}")
                if probes.pop("serial", None) is not None:
                    results.append(ProbeReport("serial", unavailable=(Unavailable("serial", declined),)))
            else:
                try:
                    progress("putting the device in listening mode (28800-baud switch) ...")
                    # Set first: the switch waits for the console; a Ctrl-C meanwhile takes the device out too.
                    switched = True
                    targets.switch_listening(ctx.serial_port)
                except Exception as exc:  # the probes below will say what they can and cannot see
                    switched = False  # the port could not be opened: nothing was switched
                    progress(f"  could not switch to listening mode: {exc}")
        if host is not None:  # after the question: its progress does not run on over the prompt
            _start(host, ctx, limit, results, progress, threads)
        for name in ("serial", "softap"):
            if name in probes:
                _start(probes.pop(name), ctx, limit, results, progress, device_phase)
        for t in device_phase:
            t.join(limit + 1)
    finally:  # Ctrl-C too: the device is not left in the listening mode the probes put it in
        if switched and targets.leave_listening is not None and ctx.serial_port:
            for t in device_phase:  # after Ctrl-C the serial probe may still hold the port: let it finish
                t.join(limit + 1)
            try:
                targets.leave_listening(ctx.serial_port)
                time.sleep(targets.settle)
            except Exception as exc:
                progress(f"  could not leave listening mode: {exc}")
    serial_facts = next((r.facts for r in results if r.probe == "serial"), {})
    if serial_facts.get("device_id") and not ctx.device_id:
        ctx = _with(ctx, device_id=str(serial_facts["device_id"]))
    claimed = device_claimed(results)
    if claimed is not None and "device_claimed" not in ctx.extra:
        # The cloud answers 403 for unclaimed and someone else's devices alike: the device's flag tells which.
        ctx = _with(ctx, extra={**ctx.extra, "device_claimed": claimed})
    for probe in probes.values():
        _start(probe, ctx, limit, results, progress, threads)
    for t in threads:
        t.join(limit + 1)

    merged = merge(results)
    unavailable = list(targets.notes) + [u for r in results for u in r.unavailable]
    return AutoResult(merged, unavailable, results, time.monotonic() - started)


def known_to(kb: KnowledgeBase, observations: Mapping[str, Observation]) -> dict[str, Observation]:
    """The observations ``kb`` defines (a probe may report more than the knowledge uses)."""
    return {k: v for k, v in observations.items() if k in kb.observations}


def device_claimed(reports: list[ProbeReport]) -> bool | None:
    """The device's own claimed flag as the serial (``c``) or SoftAP (``device-id``) probe read it, if any."""
    for report in reports:
        if report.probe in ("serial", "softap") and isinstance(report.facts.get("claimed"), bool):
            return bool(report.facts["claimed"])
    return None


def merge(reports: list[ProbeReport]) -> dict[str, Observation]:
    """One observation per id: the most confident, then the probe earliest in PRIORITY."""
    rank = {name: i for i, name in enumerate(PRIORITY)}
    best: dict[str, tuple[tuple[float, int], Observation]] = {}
    for report in reports:
        for obs in report.observations:
            key = (-obs.confidence, rank.get(report.probe, len(PRIORITY)))
            if obs.id not in best or key < best[obs.id][0]:
                best[obs.id] = (key, obs)
    return {k: v[1] for k, v in sorted(best.items())}


def _with(ctx: ProbeContext, **changes: Any) -> ProbeContext:
    from dataclasses import replace

    return replace(ctx, **changes)
