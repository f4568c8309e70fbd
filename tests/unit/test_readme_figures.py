"""The README's figures are the program's (QA finding: "24 simulated faults" beside 25 scenarios)."""

from __future__ import annotations

import re

from photon_doctor.simulator.scenarios import SCENARIOS

from tests.conftest import REPO


def test_the_readme_counts_the_demo_scenarios_there_are() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    said = re.search(r"demo --list-scenarios\s+# (\d+) simulated faults", readme)
    assert said is not None
    assert int(said.group(1)) == len(SCENARIOS)
