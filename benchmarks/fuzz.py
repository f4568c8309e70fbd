"""Fuzz every parser and file reader with at least 10,000 generated inputs each, and count them.

Run: `.venv/bin/python benchmarks/fuzz.py` (default 10,000 per target; `--examples N`, `--only NAME`).
The targets and the errors each may raise are in tests/fuzz_targets.py (the suite runs them on a small budget).
Prints a Markdown table of inputs run, rejections (the documented error, with a one-line message) and crashes;
exits 1 if anything crashed, hung past `--deadline` seconds for one input, or gave a bad message.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.fuzz_targets import TARGETS, Target, bad_message  # noqa: E402


def fuzz(target: Target, examples: int, deadline: float) -> tuple[int, int, list[str]]:
    """(inputs run, rejected with the documented error, crash descriptions)."""
    counts = {"run": 0, "rejected": 0}
    crashes: list[str] = []

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        value: Any = data.draw(target.strategy())
        counts["run"] += 1
        started = time.monotonic()
        try:
            target.call(value)
        except target.allowed as exc:
            counts["rejected"] += 1
            message = str(exc)
            if bad_message(message):
                crashes.append(f"bad message {message[:80]!r} for {value!r:.80}")
        except Exception as exc:
            crashes.append(f"{type(exc).__name__}: {str(exc)[:80]} for {value!r:.80}")
        if time.monotonic() - started > deadline:
            crashes.append(f"took {time.monotonic() - started:.1f} s for {value!r:.80}")

    run()
    return counts["run"], counts["rejected"], crashes


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--examples", type=int, default=10_000, help="inputs per target (default 10,000)")
    parser.add_argument("--only", default="", help="only targets whose name contains this")
    parser.add_argument("--deadline", type=float, default=2.0, help="seconds one input may take")
    args = parser.parse_args()
    print("| target | inputs | rejected (documented error) | crashes | seconds |")
    print("|---|---:|---:|---:|---:|")
    total = bad = 0
    for target in TARGETS:
        if args.only not in target.name:
            continue
        started = time.monotonic()
        ran, rejected, crashes = fuzz(target, args.examples, args.deadline)
        seconds = time.monotonic() - started
        total += ran
        bad += len(crashes)
        print(f"| {target.name} | {ran:,} | {rejected:,} | {len(crashes)} | {seconds:.0f} |", flush=True)
        for line in crashes[:5]:
            print(f"|   {line} | | | | |", flush=True)
    print(f"| **total** | **{total:,}** | | **{bad}** | |")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
