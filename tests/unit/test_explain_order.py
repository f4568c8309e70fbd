"""`why N` says the reason the plan really had for a step's place (engine/explain.py ``_order``, plain.py
``order_sentence``): a better chance per minute, with both chances taken at the same point; or, when the later step
is a little better per minute, that it risks more (the planner's handicap); or that the later step had under 1 %
until the earlier one failed. Before, every step read "a better chance per minute spent", also when the step after
it had the better chance per minute and came later only because it cannot be undone (QA of the explanations)."""

from __future__ import annotations

from typing import Any

import pytest
from photon_doctor.engine.diagnosis import Diagnosis, diagnose
from photon_doctor.engine.explain import why_fix
from photon_doctor.engine.observe import check_first
from photon_doctor.foundation.evidence import Observation, ObsValue
from photon_doctor.knowledge.loader import load_knowledge

from photon_doctor.plain import percent, why_fix_text

KB = load_knowledge()

SITUATIONS: list[dict[str, ObsValue]] = [
    {},
    {"led_pattern": "blinking_green"},
    {"led_pattern": "red_sos"},
    {"led_pattern": "blinking_cyan"},
    {"visible_damage": True},
]


def _diagnosis(extra: dict[str, ObsValue]) -> Diagnosis:
    obs = {"fixes_tried_failed": Observation("fixes_tried_failed", ())}
    obs.update({k: Observation(k, v) for k, v in extra.items()})
    return diagnose(KB, obs)


def _chance_then(d: Diagnosis, i: int, fix_id: str) -> float:
    """P(``fix_id`` resolves it | the plan's steps before ``i`` failed), worked out here from the posterior."""
    remaining = dict(d.probabilities)
    for s in d.plan[:i]:
        for c, q in s.addresses:
            remaining[c] *= 1.0 - q
    chances = d.resolves_of(KB.fixes[fix_id])
    return sum(remaining[c] * q for c, q in chances.items()) / sum(remaining.values())


def _pairs() -> list[tuple[Diagnosis, int]]:
    pairs = []
    for extra in SITUATIONS:
        d = _diagnosis(extra)
        for i in range(len(d.plan) - 1):
            # not a step after another way of the same action (it counts only for what it adds: worked out here
            # from the general chances, it would not be the planner's)
            action = KB.fixes[d.plan[i + 1].fix].automation
            if action == "manual" or all(KB.fixes[s.fix].automation != action for s in d.plan[: i + 1]):
                pairs.append((d, i))
    return pairs


PAIRS = _pairs()


def _sentences(d: Diagnosis, i: int) -> tuple[str, str]:
    """The 'comes before' line of step i and the 'comes after' line of step i + 1."""
    first = why_fix_text(KB, d, why_fix(KB, d, d.plan[i].fix))
    second = why_fix_text(KB, d, why_fix(KB, d, d.plan[i + 1].fix))
    before = next(line for line in first.splitlines() if "It comes before" in line)
    after = next(line for line in second.splitlines() if "It comes after" in line)
    return before, after


def test_every_order_sentence_says_the_reason_the_plan_had() -> None:
    reasons = {"per minute": 0, "risk": 0}
    for d, i in PAIRS:
        step, nxt = d.plan[i], d.plan[i + 1]
        then = _chance_then(d, i, nxt.fix)
        before, after = _sentences(d, i)
        if step.p_success / step.cost > then / nxt.cost:
            reasons["per minute"] += 1
            assert "better chance per minute (" in before and "risks less" not in before, before
            assert "better chance per minute (" in after, after
        elif then < 0.01:
            assert "under 1 % chance of helping until" in before and "under 1 %" in after, before
        else:
            reasons["risk"] += 1
            # the later step is the better per minute: the sentence must not claim the opposite
            assert (
                "a better chance per minute" not in before and "the step that risks less goes first" in before
            )
            assert "although this step has" in after and "risks less goes first" in after, after
    assert reasons["risk"] >= 3 and reasons["per minute"] >= 20  # both kinds are really checked


def test_a_step_that_cannot_be_undone_says_it_comes_later_for_that() -> None:
    d = _diagnosis({})
    order = [s.fix for s in d.plan]
    i = order.index("use_other_setup_method")
    assert order[i + 1] == "flash_tinker_usb"  # the situation this test is about
    text = why_fix_text(KB, d, why_fix(KB, d, "flash_tinker_usb"))
    assert (
        "It comes after 'Set up from another phone or from a computer', although this step has a slightly "
        "better chance per minute" in text
    )
    assert "it erases data, and when the chances are this close, the step that risks less goes first." in text


def test_the_chances_compared_are_taken_at_the_same_point() -> None:
    for d, i in PAIRS:
        w: dict[str, Any] = why_fix(KB, d, d.plan[i].fix)["before_next"]
        assert w["first_p_success"] == round(d.plan[i].p_success, 4)
        assert w["second_p_success_then"] == pytest.approx(_chance_then(d, i, d.plan[i + 1].fix), abs=1e-4)
        before, _ = _sentences(d, i)
        if "about" in before and "slightly" not in before:  # rounded as the plan's table rounds
            assert f"({percent(d.plan[i].p_success)} in {d.plan[i].cost:g} min" in before


def test_the_first_step_names_the_check_that_comes_before_it() -> None:
    d = _diagnosis({"led_pattern": "blinking_green"})
    check = check_first(KB, {o.id: o for o in d.observations}, d)
    assert check is not None  # the situation this test is about
    text = why_fix_text(KB, d, why_fix(KB, d, d.plan[0].fix))
    assert f"Check first (about {check.cost:g} min): {KB.observations[check.obs].question}" in text
    other = next(f for _, _, f in check.outcomes if f and f != d.plan[0].fix)
    assert f"'{KB.fixes[other].title}' comes first instead" in text
    assert "Check first" not in why_fix_text(KB, d, why_fix(KB, d, d.plan[1].fix))


def test_a_fix_left_out_for_doing_what_a_step_does_says_so_in_words() -> None:
    # Device OS 2.3.1: the update over the air does nothing the update over USB (in the plan) does not do.
    d = _diagnosis({"device_os_version": "2.3.1", "led_pattern": "blinking_green"})
    step = next(i for i, s in enumerate(d.plan, 1) if s.fix == "update_device_os_usb")
    w = why_fix(KB, d, "update_device_os")
    assert w["position"] is None and w["left_out"] == "same_action"  # it read "too unlikely to help now"
    text = why_fix_text(KB, d, w)
    assert (
        "Not in the plan now: it carries out the same action as 'Update Device OS and bootloader over USB' "
        f"(step {step}), and would add nothing to it." in text
    )
    assert "update_device_os" not in text


def test_the_last_step_says_why_the_plan_ends_there() -> None:
    for extra in SITUATIONS:
        d = _diagnosis(extra)
        last = d.plan[-1]
        text = why_fix_text(KB, d, why_fix(KB, d, last.fix))
        if d.unresolved <= 0.01 * sum(d.probabilities.values()):
            assert (
                "the plan stops there, as the chance that the problem is still there after it is negligible"
                in text
            )
            continue
        assert f"It is the last step: every step fails {percent(d.unresolved)} of the time" in text
        assert "no fix left has even a 1 % chance of helping" in text
        # true: every fix left out (but one doing what a step does) has under 1 % once the plan's steps failed
        planned = {s.fix for s in d.plan}
        actions = {KB.fixes[f].automation for f in planned} - {"manual"}
        for fid, fix in KB.fixes.items():
            if fid not in planned and fix.automation not in actions and fix.applies({}):
                assert _chance_then(d, len(d.plan), fid) < 0.01, fid
        assert "It is the last step" not in why_fix_text(KB, d, why_fix(KB, d, d.plan[0].fix))


def test_why_a_fix_says_what_it_changes_as_the_fix_prompt_does() -> None:
    # "It changes settings, which can be changed back. It changes: ..." said "It changes" twice in a row; the
    # executor's prompt says "What it changes:".
    d = _diagnosis({})
    for s in d.plan[:5]:
        text = why_fix_text(KB, d, why_fix(KB, d, s.fix))
        assert f"What it changes: {KB.fixes[s.fix].changes}." in text and "It changes:" not in text
