"""Faults a running simulated Photon can show, named on the command line: ``simulate --fault cloud=429``.

Each fault is ``PART=KIND``; several may be given (one per part). They reuse the simulators' own fault hooks:
the cloud API's :class:`~photon_doctor.simulator.cloud_api.Fault` (a status, a hang, or a reply written here),
the USB console's :class:`~photon_doctor.simulator.serial_console.ConsoleFaults` and the SoftAP's
:class:`~photon_doctor.simulator.softap.Fault`. docs/reliability.md lists what photon-doctor does for each.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING

from photon_doctor.simulator import cloud_api, softap
from photon_doctor.simulator.serial_console import ConsoleFaults

if TYPE_CHECKING:
    from photon_doctor.simulator.photon import SimulatedPhoton

#: Every fault, by part, with what it does (shown by ``simulate --help`` and in error messages).
FAULTS: dict[str, dict[str, str]] = {
    "cloud": {
        "429": "every API call is rate limited (429, Retry-After: 30)",
        "500": "every API call fails with a server error (500)",
        "truncated": "answers break off half way (the connection closes before the promised length)",
        "slow": "answers drip one byte every 0.2 s",
        "huge": "answers are 64 MB of blanks",
        "hang": "the API accepts requests and never answers",
    },
    "serial": {
        "garbage": "the console answers with line noise",
        "silent": "the console reads commands and never answers",
        "unplug": "the port vanishes when the host asks for the MAC address: a cable pulled mid-conversation",
    },
    "softap": {
        "close": "the access point accepts each request and closes without a word",
        "hang": "the access point accepts each request and never answers",
        "garbage": "the access point answers with broken JSON",
        "truncated": "the access point's answers break off half way",
    },
}

#: How long the slow fault waits between bytes; bodies are released at once when the simulator stops.
DRIP_SECONDS = 0.2
HUGE_BYTES = 64 * 1024 * 1024
_BODY = b'[{"id": "0123456789abcdef01234567", "name": "photon", "online": false, "connected": false}]'


@dataclass(frozen=True)
class FaultChoice:
    """One ``PART=KIND`` fault."""

    part: str
    kind: str

    def __str__(self) -> str:
        return f"{self.part}={self.kind}"

    @property
    def description(self) -> str:
        return FAULTS[self.part][self.kind]


def parse_fault(text: str) -> FaultChoice:
    """``"cloud=429"`` -> FaultChoice. Raises ValueError naming the valid faults."""
    part, sep, kind = text.strip().partition("=")
    part, kind = part.strip().lower(), kind.strip().lower()
    if not sep or part not in FAULTS or kind not in FAULTS[part]:
        raise ValueError(f"unknown fault '{text}'; valid: {valid_faults()}")
    return FaultChoice(part, kind)


def parse_faults(texts: Iterable[str]) -> tuple[FaultChoice, ...]:
    """Several faults; at most one per part. Raises ValueError."""
    chosen = tuple(parse_fault(t) for t in texts)
    parts = [c.part for c in chosen]
    for part in parts:
        if parts.count(part) > 1:
            raise ValueError(f"one fault per part: {part} is given {parts.count(part)} times")
    return chosen


def valid_faults() -> str:
    return ", ".join(f"{part}={'|'.join(kinds)}" for part, kinds in FAULTS.items())


def apply_faults(sim: SimulatedPhoton, faults: Iterable[FaultChoice]) -> None:
    """Make the (started or not yet started) simulated Photon misbehave as told."""
    for fault in faults:
        if fault.part == "cloud":
            sim.cloud.inject(cloud_fault(sim.cloud, fault.kind))
        elif fault.part == "serial":
            sim.serial.faults = _SERIAL[fault.kind](sim.serial.faults)
        else:
            sim.softap.inject(_SOFTAP[fault.kind])


_SERIAL: dict[str, Callable[[ConsoleFaults], ConsoleFaults]] = {
    "garbage": lambda f: dataclasses.replace(f, garbage=True),
    "silent": lambda f: dataclasses.replace(f, mute=True),
    "unplug": lambda f: dataclasses.replace(f, hang_up_on=b"m"),  # 'm': the MAC address, asked after 'i'
}
_SOFTAP = {
    "close": softap.Fault.CLOSE,
    "hang": softap.Fault.HANG,
    "garbage": softap.Fault.GARBAGE,
    "truncated": softap.Fault.TRUNCATE,
}


def cloud_fault(api: cloud_api.CloudApiSimulator, kind: str) -> cloud_api.Fault:
    """The cloud fault ``kind`` for ``api``: a simulated Photon's cloud, or the simulated fleet's
    (``simulate --fleet N --fault cloud=500``)."""
    if kind == "429":
        return cloud_api.Fault(status=429, retry_after=30)
    if kind == "500":
        return cloud_api.Fault(status=500)
    if kind == "hang":
        return cloud_api.Fault(hang=True)
    stopped = api._release.wait  # set when the simulator stops: the drip ends at once
    writers: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {
        "truncated": _truncated,
        "slow": lambda handler: _slow(handler, stopped),
        "huge": _huge,
    }
    return cloud_api.Fault(write=writers[kind])


def _head(handler: BaseHTTPRequestHandler, length: int) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json; charset=utf-8")
    handler.send_header("Content-Length", str(length))
    handler.end_headers()


def _truncated(handler: BaseHTTPRequestHandler) -> None:
    _head(handler, len(_BODY))
    handler.wfile.write(_BODY[: len(_BODY) // 2])
    handler.wfile.flush()
    handler.close_connection = True


def _slow(handler: BaseHTTPRequestHandler, stopped: Callable[[float], bool]) -> None:
    _head(handler, len(_BODY))
    for byte in _BODY:
        handler.wfile.write(bytes([byte]))
        handler.wfile.flush()
        if stopped(DRIP_SECONDS):
            break
    handler.close_connection = True


def _huge(handler: BaseHTTPRequestHandler) -> None:
    _head(handler, HUGE_BYTES)
    block = b" " * 65536
    for _ in range(HUGE_BYTES // len(block)):
        handler.wfile.write(block)  # the client hangs up long before: BrokenPipeError ends this handler
    handler.close_connection = True
