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


def test_the_readme_accuracy_paragraph_is_what_evaluate_measures() -> None:
    """The README's 'how often it is right' sentence, recomputed from the shipped cases and knowledge."""
    from pathlib import Path

    from photon_doctor.knowledge.loader import load_knowledge

    from photon_doctor.evaluate import evaluate, load_cases

    kb = load_knowledge(None)
    files = [Path(REPO / "tests" / "cases" / f) for f in ("real-forum.json", "real-more.json")]
    cases = load_cases(kb, files)
    batch = evaluate(kb, cases)
    loo = evaluate(kb, cases, leave_one_out=True)
    first = sum(c["expected_cause_rank"] == 1 for c in batch["cases"])
    first_loo = sum(c["expected_cause_rank"] == 1 for c in loo["cases"])
    fix_first = sum(c["first_accepted_fix_position"] == 1 for c in batch["cases"])
    dd = batch["summary"]["device_doctor"]
    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    assert f"on {len(cases)} real, resolved cases" in readme
    said = re.search(
        r"ranks the true cause first in (\d+) \((\d+) %, also when each case is left out", readme
    )
    assert said is not None and int(said.group(1)) == first == first_loo
    assert int(said.group(2)) == round(100 * first / len(cases))
    assert f"a fix that worked in {fix_first}." in readme
    assert f"on average on the {dd['cases_both_fix']} of those cases it could fix" in readme
    assert (
        f"needed {dd['mean_steps']:.1f} steps" in readme
        and f"photon-doctor needs {dd['ours_mean_steps']:.1f}." in readme
    )


def test_the_fleet_doc_s_case_figures_are_what_evaluate_measures() -> None:
    """QA finding: docs/fleet.md said "66 cases ...: top-1 92 %, top-3 95 %" after the knowledge moved them."""
    from pathlib import Path

    from photon_doctor.knowledge.loader import load_knowledge

    from photon_doctor.evaluate import evaluate, load_cases

    kb = load_knowledge(None)
    cases = load_cases(kb, sorted(Path(REPO / "tests" / "cases").glob("*.json")))
    summary = evaluate(kb, cases)["summary"]
    doc = " ".join((REPO / "docs" / "fleet.md").read_text(encoding="utf-8").split())
    said = re.search(r"(\d+) cases with the real ones now in tests/cases: top-1 (\d+) %, top-3 (\d+) %", doc)
    assert said is not None
    assert tuple(map(int, said.groups())) == (
        len(cases),
        round(100 * summary["top1"]),
        round(100 * summary["top3"]),
    )


def test_an_option_the_readme_names_in_a_comment_is_a_flag_of_that_command() -> None:
    """QA finding: "graph ... # --session highlights your diagnosis", but --session takes a file (the flag is
    --last-session): `graph --session --format html` ended in "unexpected extra argument (html)"."""
    import typer

    from photon_doctor.cli import app

    root = typer.main.get_command(app)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    checked = 0
    for line in readme.splitlines():
        command, _, comment = line.partition("#")
        words = command.split()
        if len(words) < 2 or words[0] != "photon-doctor" or not comment:
            continue
        cmd = getattr(root, "commands", {}).get(words[1])
        if hasattr(cmd, "commands") and len(words) > 2:
            cmd = cmd.commands.get(words[2])
        assert cmd is not None, line
        for option in re.findall(r"--[a-z][a-z-]+", comment):
            params = [p for p in cmd.params if option in p.opts]
            assert params, (line, option)
            assert getattr(params[0], "is_flag", False), (line, option, "takes a value")
            checked += 1
    assert checked >= 2
