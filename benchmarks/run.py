"""Benchmarks: how long the core and the probes take. Run: `.venv/bin/python benchmarks/run.py` (or `--quick`).

Figures go to stdout as a Markdown table; the latest are kept in docs/benchmarks.md. Nothing here asserts a time:
speed is measured here, not in the tests.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(median, max) wall time in milliseconds over ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    n = 3 if args.quick else 10

    from photon_doctor.engine.diagnosis import diagnose
    from photon_doctor.engine.questions import next_question
    from photon_doctor.engine.rete import RuleMatcher
    from photon_doctor.foundation.evidence import Observation
    from photon_doctor.knowledge.loader import load_knowledge
    from photon_doctor.simulator.photon import SimulatedPhoton
    from photon_doctor.simulator.scenarios import SCENARIOS, get_scenario

    from photon_doctor.autoprobe import run_probes
    from photon_doctor.evaluate import evaluate, load_cases
    from photon_doctor.wiring import simulated_targets

    rows: list[tuple[str, float, float]] = []
    rows.append(("load and validate the knowledge base", *timed(load_knowledge, n)))
    kb = load_knowledge()
    rows.append(("compile the rules into experta (first use)", *timed(lambda: RuleMatcher(kb.rules), n)))
    obs = {
        "led_pattern": Observation("led_pattern", "blinking_green"),
        "visible_damage": Observation("visible_damage", True),
        "device_scan_lists_networks": Observation("device_scan_lists_networks", False),
        "fixes_tried_failed": Observation("fixes_tried_failed", ("flash_tinker_usb",)),
    }
    rows.append(("diagnose (4 observations)", *timed(lambda: diagnose(kb, obs), n * 5)))
    d0 = diagnose(kb, {})
    rows.append(("choose the next question (nothing known)", *timed(lambda: next_question(kb, {}, d0), n)))
    d1 = diagnose(kb, obs)
    rows.append(("choose the next question (4 known)", *timed(lambda: next_question(kb, obs, d1), n)))
    cases = load_cases(kb, sorted((ROOT / "tests" / "cases").glob("*.json")))
    rows.append(
        (f"evaluate, batch ({len(cases)} cases)", *timed(lambda: evaluate(kb, cases), max(1, n // 3)))
    )
    rows.append(
        (
            f"evaluate, interactive ({len(cases)} cases)",
            *timed(lambda: evaluate(kb, cases, interactive=True), 1),
        )
    )

    def auto(name: str) -> None:
        with SimulatedPhoton(get_scenario(name)) as sim:
            run_probes(simulated_targets(sim))

    for name in ("thread-dented-photon", "static-ip", "cloud-outage"):
        rows.append(
            (
                f"diagnose --auto probes on the simulator ({name}, incl. start/stop)",
                *timed(lambda name=name: auto(name), max(1, n // 2)),
            )
        )

    def all_scenarios() -> None:
        for s in SCENARIOS:
            with SimulatedPhoton(s) as sim:
                run_probes(simulated_targets(sim))

    rows.append((f"--auto over all {len(SCENARIOS)} scenarios", *timed(all_scenarios, 1)))

    print(
        f"Python {sys.version.split()[0]}, {len(kb.rules)} rules, {len(kb.observations)} observations, "
        f"{len(kb.causes)} causes, {len(kb.fixes)} fixes\n"
    )
    print("| what | median ms | max ms |")
    print("|---|---:|---:|")
    for what, med, worst in rows:
        print(f"| {what} | {med:.1f} | {worst:.1f} |")


if __name__ == "__main__":
    main()
