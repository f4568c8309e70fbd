"""Run a command as a loaded machine would: paused now and then, at random, without burning a processor.

Run: `python3 benchmarks/stutter.py [--only parent|children] PAUSE PERIOD COMMAND...`, for instance
`python3 benchmarks/stutter.py --only parent 1.0 0.5 .venv/bin/python -m pytest tests/e2e/test_auto_cli.py -x`.
While COMMAND runs, it is left alone for up to PERIOD seconds, then stopped (SIGSTOP) for up to PAUSE seconds and
continued (SIGCONT), again and again. ``--only parent`` stops the command itself (a pytest process and the
simulators in its threads) and not what it started (the photon-doctor under test); ``--only children`` the other
way round. A test that waits a fixed time for something another process does fails under it as it does on a busy
CI runner, and with the same seed (``SEED``, default 1) in the same way; docs/reliability.md, "Under load".
It signals only the process it started and that process's descendants. Exits with the command's exit code.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import time


def descendants(pid: int) -> list[int]:
    """The processes below ``pid`` (Linux: /proc/PID/task/*/children)."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as f:
                children = [int(c) for c in f.read().split()]
        except OSError:
            continue
        for child in children:
            found += [child, *descendants(child)]
    return found


def _signal(pids: list[int], sig: signal.Signals) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass  # it ended meanwhile


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--only", choices=("parent", "children"), help="which processes to pause (default: all)"
    )
    parser.add_argument("pause", type=float, help="longest pause, in seconds")
    parser.add_argument("period", type=float, help="longest time left running between two pauses, in seconds")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if not args.command:
        parser.error("no command to run")
    rng = random.Random(int(os.environ.get("SEED", "1")))
    proc = subprocess.Popen(args.command)
    try:
        while proc.poll() is None:
            time.sleep(rng.uniform(0, args.period))
            below = descendants(proc.pid)
            targets = {"parent": [proc.pid], "children": below}.get(args.only, [proc.pid, *below])
            _signal(targets, signal.SIGSTOP)
            time.sleep(rng.uniform(0, args.pause))
            _signal(targets, signal.SIGCONT)
    finally:
        _signal([proc.pid, *descendants(proc.pid)], signal.SIGCONT)  # never leave anything stopped behind
    return proc.wait()


if __name__ == "__main__":
    raise SystemExit(main())
