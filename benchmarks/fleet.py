"""Fleet benchmarks: `photon-doctor fleet` against the simulated cloud and on an export file, each run once.

    .venv/bin/python benchmarks/fleet.py                 # 10,000 devices over the API, 1,000,000 from a file
    .venv/bin/python benchmarks/fleet.py --api 2000 --file 100000

Every figure is the wall time of the real command in a subprocess (Python start-up included), with the simulator in
its own process, as a person would run them; plus the per-device cost of the core and the phases of the file run.
The export is generated (seeded) into a temporary folder first and its generation is not timed. Figures go to
stdout as Markdown; the latest are in docs/benchmarks.md and docs/fleet.md. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPORT_NOW = 1_780_000_000.0
EXPORT_AS_OF = "2026-05-28T20:26:40Z"  # EXPORT_NOW as ISO 8601


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "photon_doctor", *args]


def core_cost(rows: list[tuple[str, str]]) -> None:
    """Milliseconds per diagnosis by the core, on the observation sets of a real (simulated) fleet."""
    from photon_doctor.knowledge.loader import load_knowledge
    from photon_doctor.simulator.fleet import device_json, diagnostics_json, make_fleet

    from photon_doctor.fleet_diagnose import verdict_of
    from photon_doctor.fleet_observe import Canon, distinct, fleet_context, needs_diagnosis, observation_key
    from photon_doctor.fleet_records import facts_from_record

    kb = load_knowledge()
    facts = [
        facts_from_record({**device_json(d, 1), **diagnostics_json(d)})
        for d in make_fleet(10_000, 1, EXPORT_NOW)
    ]
    context = fleet_context(facts)
    canon = Canon(kb)
    keys = [observation_key(d, context, canon, EXPORT_NOW) for d in facts if needs_diagnosis(d)]
    unique = distinct(keys)
    verdict_of(kb, unique[0])  # compile the rules first
    start = time.perf_counter()
    for key in unique:
        verdict_of(kb, key)
    per = (time.perf_counter() - start) / len(unique) * 1000
    rows.append(("core: one diagnosis (cloud-visible observations of a simulated fleet)", f"{per:.1f} ms"))
    rows.append(
        (
            "10,000 simulated devices: to diagnose / distinct observation sets",
            f"{len(keys):,} / {len(unique):,}",
        )
    )
    start = time.perf_counter()
    for key in keys:
        verdict_of(kb, key)
    without = time.perf_counter() - start
    start = time.perf_counter()
    distinct_keys = distinct(keys)
    for key in distinct_keys:
        verdict_of(kb, key)
    with_dedupe = time.perf_counter() - start
    rows.append(
        (
            "10,000 simulated devices, diagnosis in one process: every device / each distinct set once",
            f"{without:.1f} s / {with_dedupe:.1f} s",
        )
    )


def planted_found(
    rows: list[tuple[str, str]], size: int = 10_000, seeds: tuple[int, ...] = (1, 2, 3)
) -> None:
    """The share of devices with a planted cause whose planted cause ranks first (same pipeline, no HTTP)."""
    from photon_doctor.knowledge.loader import load_knowledge
    from photon_doctor.simulator.fleet import device_json, diagnostics_json, make_fleet

    from photon_doctor.fleet_diagnose import diagnose_distinct
    from photon_doctor.fleet_observe import Canon, distinct, fleet_context, needs_diagnosis, observation_key
    from photon_doctor.fleet_records import facts_from_record

    kb = load_knowledge()
    canon = Canon(kb)
    for seed in seeds:
        fleet = make_fleet(size, seed, EXPORT_NOW)
        facts = [facts_from_record({**device_json(d, 1), **diagnostics_json(d)}) for d in fleet]
        context = fleet_context(facts)
        keys = {f.id: observation_key(f, context, canon, EXPORT_NOW) for f in facts if needs_diagnosis(f)}
        verdicts = diagnose_distinct(distinct(keys.values()), None, kb)
        planted = [d for d in fleet if d.planted is not None]
        found = sum(
            1 for d in planted if d.device_id in keys and verdicts[keys[d.device_id]].leading == d.planted
        )
        healthy_flagged = sum(1 for d in fleet if d.planted is None and d.device_id in keys)
        rows.append(
            (
                f"planted cause ranked first, {size:,} simulated devices, seed {seed}",
                f"{found / len(planted):.1%} of {len(planted):,} (healthy devices diagnosed: {healthy_flagged})",
            )
        )


def api_run(size: int, rate: float, rows: list[tuple[str, str]]) -> None:
    sim = subprocess.Popen(
        cli("simulate", "--fleet", str(size), "--seed", "1", "--rate", str(rate)),
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert sim.stdout is not None
        header = "".join(sim.stdout.readline() for _ in range(3))
        url = re.search(r"cloud api:\s+(\S+)", header)
        token = re.search(r"token:\s+(\S+)", header)
        assert url and token, header
        with tempfile.TemporaryDirectory() as home:
            env = {**os.environ, "PHOTON_DOCTOR_HOME": home}
            start = time.perf_counter()
            done = subprocess.run(
                cli(
                    "fleet",
                    "--product",
                    "4242",
                    "--api-url",
                    url.group(1),
                    "--token",
                    token.group(1),
                    "--json",
                ),
                capture_output=True,
                text=True,
                env=env,
                cwd=ROOT,
                check=False,
            )
            wall = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"fleet failed: {done.stderr}")
        head = json.loads(done.stdout)
        source = head["source"]
        rows.append(
            (
                f"fleet --product over the API: {size:,} devices, simulator at {rate:g} requests/s",
                f"{wall:.1f} s wall ({source['requests']:,} requests, {source['rate_limited']:,} answered 429)",
            )
        )
    finally:
        sim.terminate()
        sim.wait()


def file_run(size: int, rows: list[tuple[str, str]]) -> None:
    from photon_doctor.simulator.fleet import device_json, diagnostics_json, make_fleet

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fleet.jsonl"
        with path.open("w") as fh:
            for d in make_fleet(size, 1, EXPORT_NOW):
                fh.write(
                    json.dumps({**device_json(d, 4242), **diagnostics_json(d)}, separators=(",", ":")) + "\n"
                )
        mb = path.stat().st_size / 1e6
        for fmt in ((), ("--json",)):
            start = time.perf_counter()
            done = subprocess.run(
                cli("fleet", "--from", str(path), "--as-of", EXPORT_AS_OF, *fmt),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                cwd=ROOT,
                check=False,
            )
            wall = time.perf_counter() - start
            if done.returncode != 0:
                raise SystemExit(f"fleet failed: {done.stderr}")
            what = "JSON, every device" if fmt else "text summary"
            rows.append(
                (f"fleet --from: {size:,} devices ({mb:,.0f} MB JSONL), {what}", f"{wall:.1f} s wall")
            )
        phases(path, rows)


def phases(path: Path, rows: list[tuple[str, str]]) -> None:
    """The file run's phases in this process (same functions as the command)."""
    from photon_doctor.knowledge.loader import load_knowledge

    from photon_doctor.fleet import _from_file
    from photon_doctor.fleet_diagnose import diagnose_distinct, local_or_inline
    from photon_doctor.fleet_observe import Canon, distinct, fleet_context, needs_diagnosis, observation_key
    from photon_doctor.fleet_summary import summarise

    kb = load_knowledge()
    marks = [time.perf_counter()]
    devices, source = _from_file(path, None)
    marks.append(time.perf_counter())
    context = fleet_context(devices)
    canon = Canon(kb)
    keys = {d.id: observation_key(d, context, canon, EXPORT_NOW) for d in devices if needs_diagnosis(d)}
    unique = distinct(keys.values())
    marks.append(time.perf_counter())
    verdicts = diagnose_distinct(unique, None, kb, local_or_inline(len(unique), None, None))
    marks.append(time.perf_counter())
    summarise(kb, devices, keys, verdicts, EXPORT_NOW, source)
    marks.append(time.perf_counter())
    names = ("read JSONL", "fleet context + dedupe keys", "diagnose distinct sets", "summarise")
    spans = ", ".join(f"{n} {b - a:.1f} s" for n, a, b in zip(names, marks, marks[1:]))
    rows.append(
        (f"  phases in one process ({len(keys):,} to diagnose, {len(unique):,} distinct sets)", spans)
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--api", type=int, default=10_000, help="devices in the simulated cloud (0: skip)")
    parser.add_argument("--rate", type=float, default=2000.0, help="the simulator's requests per second")
    parser.add_argument("--file", type=int, default=1_000_000, help="devices in the export file (0: skip)")
    args = parser.parse_args()
    rows: list[tuple[str, str]] = []
    core_cost(rows)
    planted_found(rows)
    if args.api:
        api_run(args.api, args.rate, rows)
    if args.file:
        file_run(args.file, rows)
    print(f"CPython {sys.version.split()[0]}, {os.cpu_count()} cores\n")
    print("| what | figure |\n|---|---|")
    for what, figure in rows:
        print(f"| {what} | {figure} |")


if __name__ == "__main__":
    main()
