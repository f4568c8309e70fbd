"""Every current figure the docs quote is what the command they name prints today (house rule: "measure, then
claim"). Each test recomputes one figure, or reads the constant the docs say in words, and finds it in the doc's
text; the figures of earlier rounds are history and are not checked. The README's accuracy sentence, the rule
graph's counts and docs/fleet.md's case figures are checked in tests/unit/test_readme_figures.py, the interview's
stopping rule in test_docs_interview.py."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.conftest import REPO, run_cli, run_in_process

PUBLIC_CASES = "tests/cases/real-*.json"


def doc_text(name: str) -> str:
    """The doc's text with every run of white space made one space (a phrase may wrap anywhere)."""
    return " ".join((REPO / name).read_text(encoding="utf-8").split())


def pct(share: float) -> str:
    """A share as the docs write it: 0.02 -> '2 %'."""
    return f"{share:.0%}".replace("%", " %")


def said(pattern: str, text: str) -> tuple[str, ...]:
    found = re.search(pattern, text)
    assert found is not None, pattern
    return found.groups()


def evaluation(pattern: str = PUBLIC_CASES, **options: Any) -> dict[str, Any]:
    """What `photon-doctor evaluate PATTERN [options]` computes (PATTERN as the shell expands it)."""
    from photon_doctor.knowledge.loader import load_knowledge

    from photon_doctor.evaluate import evaluate, load_cases

    kb = load_knowledge(None)
    result: dict[str, Any] = evaluate(kb, load_cases(kb, sorted(REPO.glob(pattern))), **options)
    return result


def test_the_readme_names_the_command_and_its_median_of_questions() -> None:
    readme = doc_text("README.md")
    assert f"`photon-doctor evaluate {PUBLIC_CASES}`" in readme
    assert len(sorted(REPO.glob(PUBLIC_CASES))) == 2  # the files tests/unit/test_readme_figures.py reads
    (median,) = said(r"The interview asks a median of (\d+) questions", readme)
    assert int(median) == evaluation(interactive=True)["summary"]["median_questions"]


def test_the_fix_positions_docs_evaluation_calls_now_are_evaluate_s() -> None:
    text = doc_text("docs/evaluation.md")
    assert f"`photon-doctor evaluate {PUBLIC_CASES} --json`" in text
    plain, strict = said(r"public cases now, batch: ([\d.]+), strict ([\d.]+)", text)
    summary = evaluation()["summary"]
    assert (float(plain), float(strict)) == (
        summary["mean_first_accepted_fix_position"],
        summary["mean_first_accepted_fix_position_strict"],
    )


def test_the_dry_run_is_as_long_as_docs_fixes_says() -> None:
    text = doc_text("docs/fixes.md")
    command = "photon-doctor demo --scenario key-mismatch --dry-run --no-input"
    lines, on_stdout = said(
        re.escape(f"`{command} 2>&1 | wc -l`") + r": (\d+) lines \((\d+) of them on stdout\)", text
    )
    done = run_in_process(*command.split()[1:])
    assert done.returncode == 0, done.stderr
    out, err = done.stdout.count("\n"), done.stderr.count("\n")
    assert (int(lines), int(on_stdout)) == (out + err, out)


def graph_page(out: Path, seed: int, *args: str) -> str:
    """`photon-doctor graph ARGS -o OUT` in a process of its own whose string hashes use ``seed``."""
    done = run_cli("graph", *args, "-o", str(out), env={"PYTHONHASHSEED": str(seed)})
    assert done.returncode == 0, done.stderr
    return out.read_text(encoding="utf-8")


def test_the_rule_graph_page_is_the_same_on_every_run_and_is_the_shipped_one(tmp_path: Path) -> None:
    """docs/rule-graph.md: "The output is the same on every run" (QA finding, round 8: the page's short view was
    built from sets, so two runs wrote the page in two orders). Regenerate: photon-doctor graph -o
    docs/rule-graph.html."""
    first = graph_page(tmp_path / "a.html", 0)
    assert graph_page(tmp_path / "b.html", 1) == first
    assert (REPO / "docs" / "rule-graph.html").read_text(encoding="utf-8") == first


def test_a_session_s_rule_graph_page_is_the_same_on_every_run(tmp_path: Path) -> None:
    made = run_in_process("demo", "--scenario", "static-ip", "--no-input")
    assert made.returncode == 0, made.stderr
    first = graph_page(tmp_path / "a.html", 0, "--last-session")
    assert graph_page(tmp_path / "b.html", 1, "--last-session") == first


def test_the_numbers_of_the_belief_model_are_the_engine_s() -> None:
    """docs/knowledge-format.md (and docs/report.md) say the engine's constants in words; each phrase is built
    from the constant it names."""
    from photon_doctor.engine import belief, diagnosis, observe, planning, questions
    from photon_doctor.knowledge import model

    words = {0.5: "half a minute", 1.0: "a minute", 2: "two", 3: "three", 4: "four", 5: "five"}
    text = doc_text("docs/knowledge-format.md")
    phrases = [
        f"worth {belief.PRIOR_WEIGHT:g} pseudo-cases",
        f"P(c) = ({belief.PRIOR_WEIGHT:g} × prior_c / Σ prior + real_cases_c) / ({belief.PRIOR_WEIGHT:g} + Σ real_cases)",
        f"mapped with λ = (1/(1−CF)){'²' if model.CF_EXPONENT == 2 else model.CF_EXPONENT} for CF > 0",
        f"s ≤ {belief.THRESHOLD:g} counts as false",
        f"Every ratio is applied raised to {belief.EVIDENCE_WEIGHT:g}",
        f"written `lr = 4` multiplies the odds by {4**belief.EVIDENCE_WEIGHT:g} in the engine",
        f"1 − q (never below {belief.MIN_FAILED_FACTOR:g})",
        f"lists the causes at {pct(diagnosis.SHOWN_PROBABILITY)} or more",
        f'a cause is "likely" from {pct(diagnosis.LIKELY_PROBABILITY)}',
        f"handicap of {pct(planning.RISK_HANDICAP)} for a step that changes anything and "
        f"{pct(planning.RISK_HANDICAP)} more if it cannot be undone",
        f"leaves out fixes below {pct(planning.MIN_P)} and stops once {pct(1 - planning.MIN_REACH)} of the belief",
        f"is at least {words[observe.MIN_SAVING]} below the plan's ECR",
        f"one answer of which (at {pct(observe.MIN_SWITCH)} or more) changes the first fix",
        f"worth w = {questions.ANSWERABLE_WEIGHT:g} cases",
        f"or else {questions.ANSWER_PRIOR:g} worth {questions.ANSWER_WEIGHT:g} cases",
        f"for the first {words[questions.TRIED_CANDIDATES]} fixes of the current plan",
        f"has base 1/{round(1 / questions.UNUSUAL)}",
    ]
    assert [p for p in phrases if p not in text] == []
    report = doc_text("docs/report.md")
    assert report.count(f"under {pct(diagnosis.SHOWN_PROBABILITY)}") == 2


def test_the_breathing_green_example_is_what_diagnose_says() -> None:
    text = doc_text("docs/knowledge-format.md")
    (alone,) = said(r"breathing green alone makes the application about (\d+) % likely", text)
    command = "photon-doctor diagnose --no-probe --no-input -a led_pattern=breathing_green"
    assert f"`{command}`, then add `-a device_os_version=0.6.4`" in text
    done = run_in_process(*command.split()[1:])
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[1]
    assert first.startswith("  - The application firmware") and first.endswith(f"about {alone} %"), first
    with_old_os = run_in_process(*command.split()[1:], "-a", "device_os_version=0.6.4")
    assert with_old_os.returncode == 0, with_old_os.stderr
    assert with_old_os.stdout.splitlines()[1].startswith("  - A known bug in the installed Device OS")


def benchmark(name: str) -> Any:
    """A script of benchmarks/ imported as a module (they are not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", REPO / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_fuzzing_section_names_every_target_and_the_suite_s_budget() -> None:
    from tests.fuzz_targets import TARGETS
    from tests.unit.test_fuzz import BUDGET

    script = (REPO / "benchmarks" / "fuzz.py").read_text(encoding="utf-8")
    (default,) = said(r'"--examples", type=int, default=([\d_]+)', script)
    per_target = int(default)
    text = doc_text("docs/reliability.md")
    names = [t.name for t in TARGETS]
    table = re.findall(r"\| ([a-z_]+\.[a-z_]+) \| ([\d,]+) \|", text)
    assert [name for name, _ in table] == names
    assert {int(n.replace(",", "")) for _, n in table} == {per_target}
    assert f"**{len(names) * per_target:,} inputs over {len(names)} targets, 0 crashes**" in text
    assert f"`tests/unit/test_fuzz.py`, {BUDGET} inputs per target" in text
    assert f"({per_target:,} inputs per target by default" in text


def test_the_mutation_section_names_every_target_of_the_script() -> None:
    text = doc_text("docs/reliability.md")
    (listed,) = said(r"\(targets: ([`a-z_, ]+?); options", text)
    assert [t.strip(" `") for t in listed.split(",")] == list(benchmark("mutation").TARGETS)


def test_the_fleet_s_planted_causes_found_are_what_fleet_py_measures() -> None:
    """The shares of `benchmarks/fleet.py --api 0 --file 0` do not depend on the machine (seeded fleets), only
    its times do; docs/benchmarks.md and docs/fleet.md quote them (about 8 s: three fleets of 10,000)."""
    rows: list[tuple[str, str]] = []
    benchmark("fleet").planted_found(rows)
    shares = [float(said(r"([\d.]+)% of", figure)[0]) for _, figure in rows]
    quoted = " / ".join(f"{share:.1f} %" for share in shares)
    for doc in ("docs/benchmarks.md", "docs/fleet.md"):
        assert f"seed 1 / 2 / 3 | {quoted} (healthy devices diagnosed: 0;" in doc_text(doc), doc
    assert f"ranks first for {min(shares):.1f}–{max(shares):.1f} % of the devices" in doc_text(
        "docs/fleet.md"
    )


def test_the_questions_a_case_docs_benchmarks_quotes_are_evaluate_s() -> None:
    """A mean said "about N" (it moves by hundredths with the knowledge), the median and the count exactly."""
    text = doc_text("docs/benchmarks.md")
    mean, median, cases = said(
        r"a mean of about (\d+) and a median of (\d+) over the (\d+) cases: "
        r"`photon-doctor evaluate tests/cases/\*.json --interactive`",
        text,
    )
    summary = evaluation("tests/cases/*.json", interactive=True)["summary"]
    assert (int(mean), float(median), int(cases)) == (
        round(summary["mean_questions"]),
        summary["median_questions"],
        summary["cases"],
    )


def test_the_numbers_of_fleet_mode_are_the_code_s() -> None:
    """docs/fleet.md says fleet mode's limits and thresholds; each phrase is built from the constant it names."""
    from photon_doctor import fleet, fleet_cloud, fleet_diagnose, fleet_observe, fleet_summary

    words = {2.0: "twice"}
    text = doc_text("docs/fleet.md")
    phrases = [
        f"`--in-flight N` threads (default {fleet.FleetOptions.in_flight}, 1–64)",
        f"an exponential backoff from {fleet_cloud.BACKOFF_START:g} s to {fleet_cloud.BACKOFF_MAX:g} s",
        f"up to {fleet_cloud.RETRIES} retries per request",
        f"After {fleet_cloud.VITALS_GIVE_UP} devices in a row whose vitals failed",
        f"page=N&per_page={fleet_cloud.PER_PAGE}`",
        f"Files of {fleet.PARALLEL_READ_BYTES // 2**20} MB or more are parsed on all cores",
        f"({fleet_observe.TROUBLE_NETWORK_DISCONNECTS} or more network disconnects, or "
        f"{fleet_observe.TROUBLE_CLOUD_DISCONNECTS} or more cloud disconnects)",
        f"within {fleet_observe.TOGETHER_SECONDS / 60:g} minutes of this one (sites of 2 or more)",
        f"(counted up to {fleet_observe.SITES_CAP})",
        f"has at least {fleet_observe.FIRMWARE_MIN_DEVICES} devices, at least {pct(fleet_observe.FIRMWARE_MIN_SHARE)} "
        f"of them went offline",
        f"that is at least {words[fleet_observe.FIRMWARE_RATIO]} the share on the product's other versions",
        f"at least {words[fleet_diagnose.SUPPORT]} its base rate",
        f"in chunks of {fleet_diagnose.CHUNK} by one worker function",
        f"when there are fewer than {fleet_diagnose.INLINE_BELOW}",
        f'"examples": [up to {fleet_summary.SHOWN} names]',
        f"(up to {fleet_diagnose.TOP}, best first)",
    ]
    assert [p for p in phrases if p not in text] == []


def test_the_limits_on_input_are_the_code_s() -> None:
    """The docs say the limits put on input, probes and fixes; each phrase is built from the constant it names."""
    from photon_doctor.actions.rig import Timing
    from photon_doctor.foundation import jsonfile
    from photon_doctor.probes import cloud_client

    from photon_doctor import config, wiring
    from photon_doctor.fixing import DEMO_TIMING

    mb = 2**20
    timeout = f"{config.DiagnoseOptions.probe_timeout:g} s"
    expected = {
        "docs/reliability.md": [
            f"at most {jsonfile.MAX_BYTES // mb} MB, at most {jsonfile.MAX_DEPTH} levels deep, integers of at most "
            f"{jsonfile.MAX_INT_DIGITS} digits",
            f"with a **{cloud_client.MAX_BODY_BYTES // mb} MB cap**",
            f"the default is {timeout}",
            f"above 0 and at most {wiring.MAX_PROBE_TIMEOUT:g}",
        ],
        "docs/exit-codes.md": [
            f"over {jsonfile.MAX_BYTES // mb} MB",
            f"above 0 and at most {wiring.MAX_PROBE_TIMEOUT:g} seconds",
        ],
        "docs/benchmarks.md": [
            f"`--probe-timeout` (default {timeout})",
            f"({DEMO_TIMING.serial_idle * 1000:g} ms after each answer in the demo; the real CLI waits "
            f"{Timing.serial_idle * 1000:g} ms)",
        ],
        "docs/fixes.md": [
            f"Time limits are real ones: {Timing.verify_wait:g} s for the device to reach the cloud, "
            f"{Timing.dfu_wait:g} s to appear in DFU mode, {Timing.tool_timeout:g} s per tool run",
            f"until the device answers or {Timing.verify_wait:g} s pass ({DEMO_TIMING.verify_wait:g} s in the demo",
        ],
    }
    missing = {doc: [p for p in phrases if p not in doc_text(doc)] for doc, phrases in expected.items()}
    assert missing == {doc: [] for doc in expected}
