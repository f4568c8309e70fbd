"""The fix plan's stopping rules, its ECR with the residual cost, and the risk tie-breaker (engine/planning.py).

Written after mutation testing: the reference example still passed with the residual cost dropped or negated,
the 1 % cut-offs removed, the risk handicap inverted, or a same-action fix's chance for a cause the failed one did
not address shrunk.
"""

from __future__ import annotations

from types import MappingProxyType

import pytest
from photon_doctor.engine.planning import evaluate_plan, plan_fixes
from photon_doctor.knowledge.model import FixDef, KnowledgeBase, Risk


def _fix(
    fid: str,
    resolves: dict[str, float],
    cost: float,
    risk: Risk = Risk.HARMLESS,
    reversible: bool = True,
    automation: str = "manual",
) -> FixDef:
    return FixDef(
        fid, fid, fid, MappingProxyType(resolves), cost, risk, reversible, ("do it",), automation, "x"
    )


def _kb(*fixes: FixDef) -> KnowledgeBase:
    return KnowledgeBase(
        1, MappingProxyType({}), MappingProxyType({}), (), MappingProxyType({f.id: f for f in fixes})
    )


def test_the_ecr_charges_what_the_plan_leaves_unresolved_at_the_dearest_fix_s_cost() -> None:
    kb = _kb(_fix("a", {"c_a": 1.0}, 2.0), _fix("b", {"c_b": 0.5}, 30.0))
    probs = {"c_a": 0.5, "c_b": 0.3, "c_x": 0.2}  # c_x: no fix for it
    steps, ecr, left = plan_fixes(kb, probs)
    assert [s.fix for s in steps] == ["a", "b"]
    # a first (0.5 / 2 min); then b, reached with 0.5 left, helps 0.3 x 0.5 of it.
    assert [s.p_reach for s in steps] == pytest.approx([1.0, 0.5])
    assert [s.p_success for s in steps] == pytest.approx([0.5, 0.15 / 0.5])
    assert all(s.ratio == pytest.approx(s.p_success / s.cost) for s in steps)
    assert all(s.expected_cost == pytest.approx(s.p_reach * s.cost) for s in steps)
    assert left == pytest.approx(0.3 * 0.5 + 0.2)
    expected = 1.0 * 2.0 + 0.5 * 30.0 + left * 30.0
    assert ecr == pytest.approx(expected)
    assert evaluate_plan(kb, probs, ["a", "b"]) == pytest.approx(expected)
    assert evaluate_plan(kb, probs, []) == pytest.approx(1.0 * 30.0)


def test_with_no_fix_at_all_nothing_is_planned_and_nothing_costs() -> None:
    assert plan_fixes(_kb(), {"c": 1.0}) == ((), 0.0, pytest.approx(1.0))


@pytest.mark.parametrize(("rare", "planned"), [(0.009, False), (0.01, True), (0.011, True)])
def test_a_fix_below_a_1_percent_chance_is_left_out_however_cheap(rare: float, planned: bool) -> None:
    kb = _kb(_fix("cheap", {"c_rare": 1.0}, 0.01), _fix("main", {"c_main": 1.0}, 10.0))
    steps, _, _ = plan_fixes(kb, {"c_rare": rare, "c_main": 1.0 - rare})
    assert [s.fix for s in steps] == (["cheap", "main"] if planned else ["main"])


@pytest.mark.parametrize(("tail", "planned"), [(0.005, False), (0.01, False), (0.011, True)])
def test_the_plan_stops_once_the_problem_is_left_with_1_percent_of_its_chance(
    tail: float, planned: bool
) -> None:
    kb = _kb(_fix("first", {"c1": 1.0}, 1.0), _fix("second", {"c2": 1.0}, 1.0))
    steps, _, left = plan_fixes(kb, {"c1": 1.0 - tail, "c2": tail})
    assert [s.fix for s in steps] == (["first", "second"] if planned else ["first"])
    assert left == pytest.approx(0.0 if planned else tail)


RISKY = [
    # (risk, reversible, the handicap the docs give it: 10 % for a change, 10 % more if it cannot be undone)
    (Risk.CHANGES_SETTINGS, True, 1.1),
    (Risk.HARMLESS, False, 1.1),
    (Risk.ERASES_DATA, False, 1.2),
    (Risk.IRREVERSIBLE, False, 1.2),
]


@pytest.mark.parametrize(("risk", "reversible", "handicap"), RISKY)
@pytest.mark.parametrize("margin", [0.99, 1.01])
def test_a_risky_fix_goes_first_only_when_it_is_better_per_minute_by_its_handicap(
    risk: Risk, reversible: bool, handicap: float, margin: float
) -> None:
    # Equally likely causes; the risky fix is (handicap x margin) times better per minute than the harmless one.
    kb = _kb(
        _fix("harmless", {"c1": 1.0}, 10.0),
        _fix("risky", {"c2": 1.0}, 10.0 / (handicap * margin), risk, reversible),
    )
    steps, _, _ = plan_fixes(kb, {"c1": 0.5, "c2": 0.5})
    assert steps[0].fix == ("risky" if margin > 1 else "harmless")


def test_a_same_action_fix_keeps_its_full_chance_for_a_cause_the_failed_one_did_not_address() -> None:
    kb = _kb(
        _fix("ota", {"c_bug": 0.8}, 5.0, automation="update_device_os"),
        _fix("usb", {"c_bug": 0.8, "c_mm": 0.9}, 10.0, automation="update_device_os"),
    )
    steps, _, _ = plan_fixes(kb, {"c_bug": 0.7, "c_mm": 0.3})
    assert [s.fix for s in steps] == ["ota", "usb"]
    assert dict(steps[1].addresses) == pytest.approx({"c_mm": 0.9})
