"""One case's figures in `evaluate` (photon_doctor/evaluate.py), recomputed from its diagnosis and plan.

Written after mutation testing: the leading cause taken from second place, the Brier score scoring the true
cause against 1.25, the minutes to the working fix starting at 0.01 and leave-one-out keeping a report it should
have removed all passed every test (the end-to-end tests compare ranks, not these figures).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from photon_doctor.engine.diagnosis import diagnose
from photon_doctor.knowledge.baseline import load_device_doctor
from photon_doctor.knowledge.loader import load_knowledge

from photon_doctor.evaluate import SAME_EFFECT, Case, evaluate_case, held_out, load_cases
from tests.conftest import REPO

KB = load_knowledge()
CASES = load_cases(KB, sorted((REPO / "tests" / "cases").glob("*.json")))


def _works(fix: str, accepted: tuple[str, ...]) -> bool:
    return fix in accepted or any(f in accepted for f in SAME_EFFECT.get(fix, ()))


def _first(
    steps: list[tuple[tuple[str, ...], float]], accepted: tuple[str, ...]
) -> tuple[int | None, float | None]:
    for i, (fixes, _) in enumerate(steps):
        if any(_works(f, accepted) for f in fixes):
            return i + 1, sum(cost for _, cost in steps[: i + 1])
    return None, None


@pytest.mark.parametrize("case", CASES[::5], ids=lambda c: c.id)
def test_a_case_s_figures_are_those_of_its_diagnosis_and_plan(case: Case) -> None:
    r = evaluate_case(KB, case, interactive=False)
    d = diagnose(KB, case.observations)
    truth = case.expected_causes[0]
    assert r["leading_cause"] == d.causes[0].id
    assert r["leading_probability"] == pytest.approx(d.causes[0].probability, abs=1e-4)
    assert r["expected_cause_probability"] == pytest.approx(d.cause(truth).probability, abs=1e-4)
    brier = sum((c.probability - (1.0 if c.id == truth else 0.0)) ** 2 for c in d.causes)
    assert r["brier"] == pytest.approx(brier, abs=1e-4)
    ranked = [c.id for c in d.ranked]
    assert r["expected_cause_rank"] == (ranked.index(truth) + 1 if truth in ranked else None)
    position, minutes = _first([((s.fix,), s.cost) for s in d.plan], case.accepted_fixes)
    assert r["first_accepted_fix_position"] == position
    assert r["first_accepted_fix_minutes"] == (None if minutes is None else pytest.approx(minutes, abs=1e-9))
    dd_position, dd_minutes = _first([(s.fixes, s.cost) for s in load_device_doctor(KB)], case.accepted_fixes)
    assert r["device_doctor_position"] == dd_position
    assert r["device_doctor_minutes"] == (None if dd_minutes is None else pytest.approx(dd_minutes, abs=1e-9))


def test_the_cases_are_varied_enough_to_check_those_figures() -> None:
    picked = [evaluate_case(KB, c, interactive=False) for c in CASES[::5]]
    assert any(r["first_accepted_fix_minutes"] for r in picked)
    assert any(r["device_doctor_minutes"] for r in picked)


def test_leave_one_out_takes_the_case_from_its_cause_s_count_and_from_each_observation_it_reports() -> None:
    real = [c for c in CASES if Path(c.file).name.startswith("real-")]
    assert real
    low = 0
    for case in real:
        out = held_out(KB, case)
        for cid, c in KB.causes.items():
            lose = 1 if cid == case.expected_causes[0] else 0
            assert out.causes[cid].real_cases == max(c.real_cases - lose, 0), (case.id, cid)
        for oid, o in KB.observations.items():
            lose = 1 if oid in case.observations else 0
            assert out.observations[oid].reported == max(o.reported - lose, 0), (case.id, oid)
            low += lose and o.reported <= 1
    assert low  # some observation reported once (or never) is held out: the floor at 0 is exercised
