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


def test_the_shipped_rule_graph_page_draws_the_shipped_knowledge() -> None:
    # QA finding: docs/rule-graph.html and .svg still drew 164 rules and 27 causes after the merges (186 and 29).
    # Regenerate: photon-doctor graph -o docs/rule-graph.svg; photon-doctor graph -o docs/rule-graph.html
    from photon_doctor.knowledge.loader import load_knowledge

    kb = load_knowledge(None)
    page = (REPO / "docs" / "rule-graph.html").read_text(encoding="utf-8")
    counts = re.search(r"(\d+) observations, \d+ values tested, (\d+) rules, (\d+) causes, (\d+) fixes", page)
    assert counts is not None
    assert tuple(map(int, counts.groups())) == (
        len(kb.observations),
        len(kb.rules),
        len(kb.causes),
        len(kb.fixes),
    )
