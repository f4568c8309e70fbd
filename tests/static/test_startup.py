"""What start-up imports: the heavy packages stay off the paths that do not need them.

Speed itself is measured in benchmarks/startup.py (figures in docs/benchmarks.md), never asserted here; this
checks the cause of a slow start instead — which packages a fresh interpreter has imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY = {
    "rich",
    "markdown_it",
    "pydantic",
    "requests",
    "urllib3",
    "experta",
    "networkx",
    "serial",
    "cryptography",
}
REPORT = (
    "import atexit, json, sys\n"
    "atexit.register(lambda: sys.__stderr__.write('\\nMODULES ' + json.dumps(sorted({m.split('.')[0] "
    "for m in sys.modules})) + '\\n'))\n"
    "from photon_doctor.cli import main\n"
    "main()\n"
)


def imported(*args: str, home: Path) -> set[str]:
    """The top-level packages imported by the time the command ``args`` ends, in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", REPORT, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, "PHOTON_DOCTOR_HOME": str(home)},
    )
    line = done.stderr.rsplit("MODULES ", 1)
    assert len(line) == 2, done.stderr
    return set(json.loads(line[1]))


def test_importing_the_cli_imports_nothing_heavy(tmp_path: Path) -> None:
    code = "import json, sys; import photon_doctor.cli; print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    modules = set(json.loads(done.stdout))
    assert "typer" in modules  # the check sees real imports
    assert modules & HEAVY == set()


def test_a_diagnosis_in_json_needs_only_the_rule_engine_and_the_option_parser(tmp_path: Path) -> None:
    modules = imported("diagnose", "-a", "led_pattern=blinking_green", "--no-input", "--json", home=tmp_path)
    assert "experta" in modules
    # pydantic is typer's own (it validates every option value); rich only prints for a person.
    assert modules & HEAVY == {"experta", "pydantic"}
