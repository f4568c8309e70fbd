"""``photon-doctor fleet``: the shell that reads a fleet (cloud API or JSONL), diagnoses it, and reports.

Steps: records (:mod:`photon_doctor.fleet_cloud` or :func:`photon_doctor.fleet_records.read_jsonl`) -> facts ->
fleet context and one observation key per device that needs a diagnosis (:mod:`photon_doctor.fleet_observe`) ->
one diagnosis per distinct key (:mod:`photon_doctor.fleet_diagnose`) -> report (:mod:`photon_doctor.fleet_summary`).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from photon_doctor.fleet_diagnose import Verdict, diagnose_distinct, local_or_inline
from photon_doctor.fleet_observe import Canon, Key, distinct, fleet_context, needs_diagnosis, observation_key
from photon_doctor.fleet_records import (
    DeviceFacts,
    JsonlReport,
    RecordError,
    facts_from_record,
    read_jsonl,
    read_jsonl_parallel,
)
from photon_doctor.fleet_summary import device_rows, summarise
from photon_doctor.foundation.errors import DeviceError, UsageError
from photon_doctor.knowledge.model import KnowledgeBase

if TYPE_CHECKING:
    from photon_doctor.simulator.faults import FaultChoice

Progress = Callable[[str, int, int | None], None]  # (stage, done, total)
#: Files at least this big are parsed on several processes (below it, starting them costs more than it saves).
PARALLEL_READ_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class FleetRun:
    """A finished fleet run: the report (without per-device results) and what the results are made from."""

    report: dict[str, Any]
    devices: list[DeviceFacts]
    keys: dict[str, Key]
    verdicts: dict[Key, Verdict]
    now: float

    def rows(self) -> Iterator[dict[str, Any]]:
        """The per-device results (``results`` in the JSON), generated on demand."""
        return device_rows(self.devices, self.keys, self.verdicts, self.now)

    def names(self) -> dict[str, str]:
        return {d.id: d.name or d.id for d in self.devices}


@dataclass(frozen=True)
class FleetOptions:
    """What ``photon-doctor fleet`` was asked (see ``photon-doctor fleet --help``)."""

    product: str | None = None
    from_file: Path | None = None
    dask: str | None = None
    api_url: str | None = None
    token: str | None = None
    resume: bool = False
    checkpoint: Path | None = None
    in_flight: int = 8
    workers: int | None = None
    knowledge_dir: Path | None = None
    now: float | None = None  # the moment "now" (tests and benchmarks fix it)


def checkpoint_path(options: FleetOptions, env: Mapping[str, str]) -> Path:
    """Where the devices fetched so far are kept: ``--checkpoint`` or the data folder, one file per scope."""
    if options.checkpoint is not None:
        return options.checkpoint
    from photon_doctor.sessions import data_dir

    scope = f"product-{options.product}" if options.product else "account"
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in scope)
    return data_dir(env) / "fleet" / f"{safe}.jsonl"


def _from_api(
    options: FleetOptions, env: Mapping[str, str], progress: Progress | None
) -> tuple[list[DeviceFacts], dict[str, Any]]:
    from photon_doctor.fleet_cloud import Checkpoint, FleetClient, FleetFetcher
    from photon_doctor.probes.token import TokenNotFound, discover_token

    try:
        creds = discover_token(env, options.token, options.api_url)
    except TokenNotFound as exc:
        raise UsageError(str(exc)) from None
    path = checkpoint_path(options, env)
    if options.checkpoint is None:  # in the data folder: one that cannot be used is a session error (exit 5)
        from photon_doctor.sessions import writable_folder

        writable_folder(path.parent)
    try:
        checkpoint = Checkpoint(path, options.resume)
    except OSError as exc:
        raise UsageError(
            f"cannot use the checkpoint file {path}: {exc.strerror or type(exc).__name__}"
        ) from None
    fetcher = FleetFetcher(
        lambda: FleetClient(creds.api_url, creds.token), options.product, options.in_flight
    )
    try:
        records = fetcher.fetch(
            checkpoint, None if progress is None else lambda d, t: progress("fetch", d, t)
        )
    finally:
        checkpoint.close()
    facts = []
    for record in records:
        try:
            facts.append(facts_from_record(record))
        except RecordError as exc:
            raise DeviceError(
                f"the Particle cloud sent a device record photon-doctor cannot read: {exc}"
            ) from None
    stats = fetcher.stats
    source = {
        "kind": "api",
        "product": options.product,
        "checkpoint": str(path),
        "requests": stats.requests,
        "rate_limited": stats.rate_limited,
        "resumed_devices": stats.resumed,
        "vitals_missing": stats.vitals_missing,
        "vitals_skipped": stats.vitals_skipped,
    }
    return facts, source


def _from_file(path: Path, workers: int | None) -> tuple[list[DeviceFacts], dict[str, Any]]:
    report = JsonlReport()
    by_id: dict[str, DeviceFacts] = {}
    cores = workers or os.cpu_count() or 1
    try:
        big = path.is_file() and path.stat().st_size >= PARALLEL_READ_BYTES
    except OSError:
        big = False
    reader = read_jsonl_parallel(path, report, cores) if big and cores > 1 else read_jsonl(path, report)
    for facts in reader:
        if facts.id in by_id:
            report.repeated += 1
        by_id[facts.id] = facts  # a device listed twice: the later line wins
    if not by_id:
        why = f"; line {report.first_bad[0].line}: {report.first_bad[0].reason}" if report.first_bad else ""
        raise UsageError(f"{path}: no device records{why}")
    bad = [{"line": b.line, "reason": b.reason} for b in report.first_bad or []]
    source = {
        "kind": "file",
        "file": str(path),
        "bad_lines": report.bad,
        "first_bad_lines": bad,
        "repeated_ids": report.repeated,
    }
    return list(by_id.values()), source


def run_fleet(
    kb: KnowledgeBase, options: FleetOptions, env: Mapping[str, str], progress: Progress | None = None
) -> FleetRun:
    """Read, diagnose and summarise the fleet."""
    if options.from_file is not None and (options.product or options.resume or options.checkpoint):
        raise UsageError(
            "--from reads a file: --product, --resume and --checkpoint apply to the cloud API only"
        )
    if options.in_flight < 1 or options.in_flight > 64:
        raise UsageError("--in-flight must be between 1 and 64")
    if options.from_file is not None:
        devices, source = _from_file(options.from_file, options.workers)
    else:
        devices, source = _from_api(options, env, progress)
    now = time.time() if options.now is None else options.now
    context = fleet_context(devices)
    canon = Canon(kb)
    keys: dict[str, Key] = {
        d.id: observation_key(d, context, canon, now) for d in devices if needs_diagnosis(d)
    }
    unique = distinct(keys.values())
    factory = local_or_inline(len(unique), options.dask, options.workers)
    done = [0]

    def step(n: int) -> None:
        done[0] += n
        if progress is not None:
            progress("diagnose", done[0], len(unique))

    verdicts = diagnose_distinct(unique, options.knowledge_dir, kb, factory, step)
    source["diagnosed_on"] = "dask" if options.dask else ("processes" if factory else "this process")
    return FleetRun(summarise(kb, devices, keys, verdicts, now, source), devices, keys, verdicts, now)


@contextmanager
def terminal_progress(enabled: bool) -> Iterator[Progress | None]:
    """A progress bar on stderr when it is a terminal; nothing otherwise."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
    from rich.progress import Progress as Bar

    labels = {"fetch": "Reading devices from the cloud", "diagnose": "Diagnosing distinct observation sets"}
    with Bar(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int | None) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(labels.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


def stderr_is_terminal() -> bool:
    return bool(getattr(sys.stderr, "isatty", lambda: False)()) and not os.environ.get("CI")


def serve_simulated_fleet(
    size: int, seed: int, seconds: float, rate: float, faults: Sequence[FaultChoice] = ()
) -> None:
    """``simulate --fleet N``: serve a seeded simulated fleet until Ctrl-C (or ``seconds``) and say how to use it.
    ``faults`` (cloud faults only: ``--fault cloud=500``) make its API misbehave as a simulated Photon's does."""
    from photon_doctor.simulator.faults import cloud_fault
    from photon_doctor.simulator.fleet import FleetSimulator

    if size < 1 or size > 2_000_000:
        raise UsageError("--fleet must be between 1 and 2000000 devices")
    if rate <= 0:
        raise UsageError("--rate must be above 0 requests per second")
    with FleetSimulator(size, seed, rate=rate, burst=max(1, int(rate / 10))) as sim:
        for fault in faults:
            sim.api.inject(cloud_fault(sim.api, fault.kind))
        product = sim.cloud.product_id
        # The simulator's token opens only this simulated cloud, so it is shown: tools need it.
        sys.stdout.write(
            "\n".join(
                [
                    f"simulated fleet: {size:,} devices (seed {seed}), product {product}",
                    f"cloud api:       {sim.url}   (at most {rate:g} requests/s, then 429 with Retry-After)",
                    f"token:           {sim.token}",
                    *[f"fault:           {f} ({f.description})" for f in faults],
                    "",
                    "Try (in another terminal):",
                    f"  photon-doctor fleet --product {product} --api-url {sim.url} --token {sim.token}",
                    "Ctrl-C stops the simulator.",
                ]
            )
            + "\n"
        )
        sys.stdout.flush()
        deadline = time.monotonic() + seconds if seconds > 0 else None
        try:
            while deadline is None or time.monotonic() < deadline:
                time.sleep(0.2)
        except KeyboardInterrupt:
            sys.stderr.write("simulator stopped\n")
