"""How fast the command starts: cold ``photon-doctor --help`` and a diagnosis from given answers, as ratios to
``python -c pass`` on the same machine. Run: ``.venv/bin/python benchmarks/startup.py`` (or ``--quick``).

Each command runs as a fresh process (nothing is imported in this one); the figures are the median wall time of
``--repeat`` runs after one warm-up run (so the disk cache is warm and every run pays the same: Python's start-up,
the imports, the work). Sessions go to a temporary PHOTON_DOCTOR_HOME. Figures go to stdout as Markdown; the latest
are kept in docs/benchmarks.md. Nothing here asserts a time. ``--imports`` also lists the slowest imports of each
command (``python -X importtime``), cumulative, to find what to make lazy.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
ANSWERS = ("-a", "led_pattern=blinking_green", "-a", "visible_damage=no")
COMMANDS: tuple[tuple[str, list[str]], ...] = (
    ("python -c pass", [sys.executable, "-c", "pass"]),
    ("photon-doctor --help", [str(BIN / "photon-doctor"), "--help"]),
    (
        "photon-doctor diagnose -a … --no-input --json",
        [str(BIN / "photon-doctor"), "diagnose", *ANSWERS, "--no-input", "--json"],
    ),
)


def wall_ms(argv: list[str], env: dict[str, str], repeat: int) -> float:
    """Median wall time of ``argv`` in milliseconds, after one warm-up run; the command must succeed."""
    times = []
    for i in range(repeat + 1):
        start = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        if i:
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def slowest_imports(argv: list[str], env: dict[str, str], top: int = 12) -> list[tuple[int, str]]:
    """The ``top`` top-level imports by cumulative microseconds (``-X importtime``)."""
    if argv[0] != sys.executable:
        argv = [sys.executable, "-c", "from photon_doctor.cli import main; main()", *argv[1:]]
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *argv[1:]], env=env, capture_output=True, text=True, check=False
    )
    rows = []
    for line in done.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| ( *)(\S+)", line)
        if m and len(m.group(2)) <= 1:
            rows.append((int(m.group(1)), m.group(3)))
    return sorted(rows, reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="5 runs each instead of 20")
    parser.add_argument(
        "--imports", action="store_true", help="also list the slowest imports of each command"
    )
    args = parser.parse_args()
    repeat = 5 if args.quick else 20
    with tempfile.TemporaryDirectory(prefix="photon-doctor-startup-") as home:
        env = {**os.environ, "PHOTON_DOCTOR_HOME": home, "COLUMNS": "80"}
        env.pop("PHOTON_DOCTOR_KNOWLEDGE", None)
        figures = [(name, wall_ms(argv, env, repeat)) for name, argv in COMMANDS]
        base = figures[0][1]
        print(
            f"{repeat} runs each, median after one warm-up; CPython {sys.version.split()[0]}, "
            f"{os.cpu_count()} cores\n"
        )
        print("| command | median ms | × python -c pass |")
        print("|---|---:|---:|")
        for name, ms in figures:
            print(f"| `{name}` | {ms:.0f} | {ms / base:.1f} |")
        print(f"\n`diagnose` / `--help`: {figures[2][1] / figures[1][1]:.2f}")
        if args.imports:
            for name, argv in COMMANDS[1:]:
                print(f"\nslowest imports of `{name}` (cumulative ms):")
                for us, module in slowest_imports(argv, env):
                    print(f"  {us / 1000:7.1f}  {module}")


if __name__ == "__main__":
    main()
