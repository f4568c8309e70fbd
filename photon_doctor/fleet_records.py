"""Device records in the cloud API's own shape, read into :class:`DeviceFacts` (pure), and streamed from JSONL.

A record is one device object as ``GET /v1/devices`` or ``GET /v1/products/:p/devices`` lists it (PAJS 12.0.2
``DeviceInfo``: ``id``, ``name``, ``online``, ``last_heard``, ``product_id``, ``firmware_version``; the CLI
fixture's ``system_firmware_version`` and ``last_ip_address``), optionally with a ``diagnostics`` key holding the
``diagnostics`` object of ``GET /v1/diagnostics/:id/last`` (reference §4). ``fleet --from FILE.jsonl`` reads one
record a line; the fleet's own checkpoint file uses the same shape.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from photon_doctor.foundation.errors import UsageError

#: Device OS's cloud_disconnect_reason codes (device-os v2.3.1 services/inc/system_defs.h), by number.
CLOUD_REASONS = (
    "none",
    "error",
    "user",
    "network_disconnect",
    "listening",
    "system_reset",
    "sleep",
    "unknown",
)


class RecordError(ValueError):
    """Raised by :func:`facts_from_record` when a record is not a device object; the message says why."""


class DeviceFacts(NamedTuple):
    """What the cloud knows of one device, typed. A NamedTuple (immutable, and cheap at a million devices)."""

    id: str
    name: str
    online: bool
    last_heard: float | None  # seconds since the epoch
    product_id: int | None
    firmware_version: int | None
    system_firmware_version: str | None
    site: str | None  # the last public IP address: devices behind one router share it
    rssi: float | None
    network_disconnects: float | None
    cloud_disconnects: float | None
    cloud_reason: str | None


def parse_time(value: Any) -> float | None:
    """``'2023-11-14T22:13:20.500Z'`` -> epoch seconds; None for null; RecordError for anything else."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(f"last_heard is not a time: {value!r:.40}")
    try:
        moment = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise RecordError(f"last_heard is not an ISO 8601 time: {value!r:.40}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.timezone.utc)
    return moment.timestamp()


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _dig(node: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _reason(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(CLOUD_REASONS):
        value = CLOUD_REASONS[value]
    if isinstance(value, str):
        text = value.strip().lower()
        if text in CLOUD_REASONS and text != "none":
            return text
    return None


def facts_from_record(record: Any) -> DeviceFacts:
    """The facts of one device record (see the module doc). Raises :class:`RecordError`."""
    if not isinstance(record, dict):
        raise RecordError("the record is not a JSON object")
    device_id = record.get("id")
    if not isinstance(device_id, str) or not device_id.strip():
        raise RecordError("the record has no device 'id'")
    online = record.get("online", record.get("connected"))
    if not isinstance(online, bool):
        raise RecordError("the record has no 'online' flag (true or false)")
    name = record.get("name")
    product = record.get("product_id")
    firmware = record.get("firmware_version")
    system = record.get("system_firmware_version")
    site = record.get("last_ip_address")
    vitals = record.get("diagnostics")
    payload = vitals.get("payload") if isinstance(vitals, dict) else None
    device = payload.get("device") if isinstance(payload, dict) else None
    signal = _dig(device, "network", "signal")
    rssi = (
        _number(signal.get("strengthv"))
        if isinstance(signal, dict) and signal.get("strengthv_units") == "dBm"
        else None
    )
    return DeviceFacts(
        id=device_id.strip().lower(),
        name=name if isinstance(name, str) else "",
        online=online,
        last_heard=parse_time(record.get("last_heard")),
        product_id=product if isinstance(product, int) and not isinstance(product, bool) else None,
        firmware_version=firmware if isinstance(firmware, int) and not isinstance(firmware, bool) else None,
        system_firmware_version=system if isinstance(system, str) and system else None,
        site=site if isinstance(site, str) and site else None,
        rssi=rssi,
        network_disconnects=_number(_dig(device, "network", "connection", "disconnects")),
        cloud_disconnects=_number(_dig(device, "cloud", "connection", "disconnects")),
        cloud_reason=_reason(_dig(device, "cloud", "connection", "disconnect_reason")),
    )


@dataclass(frozen=True)
class BadLine:
    """A line of a JSONL file that is not a device record: its number (from 1) and why."""

    line: int
    reason: str


@dataclass
class JsonlReport:
    """What reading a JSONL file met besides devices: bad lines (the first few kept), repeated ids."""

    bad: int = 0
    first_bad: list[BadLine] | None = None
    repeated: int = 0

    def add_bad(self, line: int, reason: str) -> None:
        self.bad += 1
        if self.first_bad is None:
            self.first_bad = []
        if len(self.first_bad) < 5:
            self.first_bad.append(BadLine(line, reason))


def read_jsonl(path: Path, report: JsonlReport) -> Iterator[DeviceFacts]:
    """Stream the facts of every good line of ``path``; bad lines are counted in ``report`` and skipped.

    Raises :class:`~photon_doctor.foundation.errors.UsageError` when the file cannot be opened or read.
    """
    loads = json.loads
    try:
        with path.open("rb") as fh:
            for number, raw in enumerate(fh, 1):
                if not raw.strip():
                    continue
                try:
                    yield facts_from_record(loads(raw))
                except RecordError as exc:
                    report.add_bad(number, str(exc))
                except ValueError as exc:  # json.JSONDecodeError and UnicodeDecodeError
                    report.add_bad(number, f"not valid JSON ({type(exc).__name__})")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory, not a JSONL file") from None
    except PermissionError:
        raise UsageError(f"{path}: permission denied") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})") from None


def _parse_range(path: str, start: int, end: int) -> tuple[list[DeviceFacts], list[tuple[int, str]], int]:
    """Worker: the facts of the lines in bytes [start, end) of ``path`` (line-aligned), the bad lines by their
    number within the range, and how many lines the range holds."""
    with open(path, "rb") as fh:
        fh.seek(start)
        blob = fh.read(end - start)
    lines = blob.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    facts: list[DeviceFacts] = []
    bad: list[tuple[int, str]] = []
    loads = json.loads
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            facts.append(facts_from_record(loads(raw)))
        except RecordError as exc:
            bad.append((number, str(exc)))
        except ValueError as exc:
            bad.append((number, f"not valid JSON ({type(exc).__name__})"))
    return facts, bad, len(lines)


def line_ranges(path: Path, parts: int) -> list[tuple[int, int]]:
    """``parts`` byte ranges of ``path`` that start and end on line boundaries."""
    size = path.stat().st_size
    cuts = [0]
    with path.open("rb") as fh:
        for i in range(1, parts):
            fh.seek(max(cuts[-1], size * i // parts))
            fh.readline()  # to the start of the next line
            cuts.append(min(size, fh.tell()))
    cuts.append(size)
    return [(a, b) for a, b in itertools.pairwise(cuts) if b > a]


def read_jsonl_parallel(path: Path, report: JsonlReport, workers: int) -> Iterator[DeviceFacts]:
    """:func:`read_jsonl` on ``workers`` processes, for big files: the file is cut at line boundaries into pieces
    that are parsed in parallel; facts come back in file order and bad lines keep their file line numbers."""
    from concurrent.futures import ProcessPoolExecutor

    try:
        ranges = line_ranges(path, workers * 4)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    first_line = 0
    with ProcessPoolExecutor(max_workers=workers) as pool:
        starts = [a for a, _ in ranges]
        ends = [b for _, b in ranges]
        for facts, bad, count in pool.map(_parse_range, [str(path)] * len(ranges), starts, ends):
            for number, reason in bad:
                report.add_bad(first_line + number, reason)
            first_line += count
            yield from facts
