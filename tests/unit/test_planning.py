"""Fix ordering: the reference's p/c example (expert-systems.md §3) and the greedy re-planning."""

from __future__ import annotations

import itertools
from types import MappingProxyType

import pytest
from photon_doctor.engine.planning import evaluate_plan, plan_fixes
from photon_doctor.knowledge.model import CauseDef, FixDef, KnowledgeBase, Risk

EXAMPLE = [  # (fix, p, cost): each fix resolves its own cause for certain
    ("reenter_credentials", 0.35, 3),
    ("move_closer", 0.25, 5),
    ("update_os", 0.15, 8),
    ("reset_keys", 0.15, 10),
    ("open_port", 0.10, 15),
]


def _kb(
    rows: list[tuple[str, float, float]],
    resolves: dict[str, dict[str, float]] | None = None,
    automation: dict[str, str] | None = None,
) -> KnowledgeBase:
    causes = {f"c_{fid}": CauseDef(f"c_{fid}", fid, fid, 0.1, ("test",)) for fid, _, _ in rows}
    fixes = {
        fid: FixDef(
            fid,
            fid,
            fid,
            MappingProxyType((resolves or {}).get(fid, {f"c_{fid}": 1.0})),
            cost,
            Risk.HARMLESS,
            True,
            ("do it",),
            (automation or {}).get(fid, "manual"),
            "nothing",
        )
        for fid, _, cost in rows
    }
    return KnowledgeBase(1, MappingProxyType({}), MappingProxyType(causes), (), MappingProxyType(fixes))


def test_reference_example_orders_by_p_over_c_with_ecr_13_45() -> None:
    kb = _kb(EXAMPLE)
    probs = {f"c_{fid}": p for fid, p, _ in EXAMPLE}
    steps, ecr, unresolved = plan_fixes(kb, probs)
    assert [s.fix for s in steps] == [fid for fid, _, _ in EXAMPLE]
    assert ecr == pytest.approx(13.45)
    assert unresolved == pytest.approx(0.0)
    assert steps[0].p_success == pytest.approx(0.35)
    assert steps[1].p_success == pytest.approx(0.25 / 0.65)


def test_p_over_c_order_is_the_brute_force_optimum() -> None:
    kb = _kb(EXAMPLE)
    probs = {f"c_{fid}": p for fid, p, _ in EXAMPLE}
    _, ecr, _ = plan_fixes(kb, probs)
    best = min(evaluate_plan(kb, probs, order) for order in itertools.permutations(f for f, _, _ in EXAMPLE))
    assert ecr == pytest.approx(best)
    # Ordering by probability alone (the .15 tie broken towards the dearer fix) gives 13.75; the worst order 34.05.
    by_probability = ["reenter_credentials", "move_closer", "reset_keys", "update_os", "open_port"]
    assert evaluate_plan(kb, probs, by_probability) == pytest.approx(13.75)
    worst = max(evaluate_plan(kb, probs, order) for order in itertools.permutations(f for f, _, _ in EXAMPLE))
    assert worst == pytest.approx(34.05)


def test_replans_after_a_hypothetical_failure_when_fixes_overlap() -> None:
    # Two fixes for the same cause: once the first fails, the second is worth less than a fix for another cause.
    rows = [("a1", 0.0, 1), ("a2", 0.0, 1.1), ("b", 0.0, 2)]
    kb = _kb(rows, {"a1": {"c_a1": 0.9}, "a2": {"c_a1": 0.9}, "b": {"c_b": 1.0}})
    probs = {"c_a1": 0.6, "c_b": 0.4}
    steps, _, _ = plan_fixes(kb, probs)
    assert [s.fix for s in steps] == ["a1", "b", "a2"]


def test_excluded_and_hopeless_fixes_are_left_out() -> None:
    kb = _kb(EXAMPLE)
    probs = {f"c_{fid}": p for fid, p, _ in EXAMPLE}
    probs["c_open_port"] = 0.0
    steps, _, _ = plan_fixes(kb, probs, exclude={"reset_keys"})
    assert "reset_keys" not in [s.fix for s in steps]
    assert "open_port" not in [s.fix for s in steps]


def test_a_fix_doing_the_same_action_as_a_failed_one_only_counts_what_it_adds() -> None:
    # Two Device OS updates run the same command; the one over USB also writes the bootloader, which helps a
    # mismatch more (0.9 vs 0.5). Once the over-the-air one is assumed failed, the USB one adds (0.9-0.5)/(1-0.5)
    # for the mismatch and nothing for the bug; done the other way round, the over-the-air one adds nothing.
    rows = [("ota", 0.0, 5), ("usb", 0.0, 10), ("other", 0.0, 20)]
    resolves = {
        "ota": {"c_bug": 0.8, "c_mm": 0.5},
        "usb": {"c_bug": 0.8, "c_mm": 0.9},
        "other": {"c_other": 1.0},
    }
    same = {"ota": "update_device_os", "usb": "update_device_os"}
    probs = {"c_bug": 0.6, "c_mm": 0.2, "c_other": 0.2}
    steps, _, _ = plan_fixes(_kb(rows, resolves, same), probs)
    assert [s.fix for s in steps][:1] == ["ota"]
    usb = next(s for s in steps if s.fix == "usb")
    assert dict(usb.addresses) == pytest.approx({"c_mm": 0.8})  # the bug: nothing beyond the first update
    # Different actions (manual here) keep their full chances.
    steps, _, _ = plan_fixes(_kb(rows, resolves), probs)
    assert dict(next(s for s in steps if s.fix == "usb").addresses) == pytest.approx(
        {"c_bug": 0.8, "c_mm": 0.9}
    )
    # A tried update counts the same way: the other one is only planned for what it adds.
    steps, _, _ = plan_fixes(_kb(rows, resolves, same), probs, exclude={"usb"})
    assert "ota" not in [s.fix for s in steps]
