"""Which question comes next, and how answerable one is (engine/questions.py), on the shipped knowledge.

Written after mutation testing: the interview asked on with a clear leading cause, stopped with questions worth
asking, and the answerability of the LED colour and of "did you already try" questions came out of the wrong
observation's counts, with every test passing.
"""

from __future__ import annotations

import math

import pytest
from photon_doctor.engine.belief import EVIDENCE_WEIGHT, MIN_FAILED_FACTOR, entropy
from photon_doctor.engine.diagnosis import diagnose
from photon_doctor.engine.questions import (
    ANSWER_PRIOR,
    ANSWER_WEIGHT,
    P_TRIED,
    QUESTION_OVERHEAD,
    UNUSUAL,
    answerability,
    next_question,
    value_of,
)
from photon_doctor.foundation.ids import FIXES_TRIED_FAILED, LED_COLOUR, LED_PATTERN, TRIED_PREFIX
from photon_doctor.knowledge.loader import load_knowledge

from photon_doctor.evaluate import load_cases
from tests.conftest import KB_MINI, REPO

KB = load_knowledge()
CASES = load_cases(KB, sorted((REPO / "tests" / "cases").glob("*.json")))
CASES_COUNTED = sum(c.real_cases for c in KB.causes.values())


def _smoothed(reported: int) -> float:
    return (reported + ANSWER_WEIGHT * ANSWER_PRIOR) / (CASES_COUNTED + ANSWER_WEIGHT)


def test_answerability_is_the_smoothed_share_of_real_cases_that_reported_the_observation() -> None:
    assert CASES_COUNTED > 0
    for oid in ("device_os_version", FIXES_TRIED_FAILED, LED_PATTERN):  # no author estimate on these
        assert answerability(KB, oid) == pytest.approx(_smoothed(KB.observations[oid].reported)), oid
    # The LED colour is as answerable as the pattern, "did you try X" as the list of tried fixes.
    assert answerability(KB, LED_COLOUR) == pytest.approx(_smoothed(KB.observations[LED_PATTERN].reported))
    fix = next(iter(KB.fixes))
    assert answerability(KB, TRIED_PREFIX + fix) == pytest.approx(
        _smoothed(KB.observations[FIXES_TRIED_FAILED].reported)
    )
    assert answerability(KB, "not_in_the_knowledge") == pytest.approx(_smoothed(0))
    assert all(
        KB.observations[o].answerable is None for o in ("device_os_version", FIXES_TRIED_FAILED, LED_PATTERN)
    )
    # The three differ, so that a mix-up between them shows.
    assert (
        len({KB.observations[o].reported for o in ("device_os_version", FIXES_TRIED_FAILED, LED_PATTERN)})
        == 3
    )


def test_no_question_once_the_leading_cause_is_clear_and_one_while_it_is_not() -> None:
    clear = [c for c in CASES if diagnose(KB, c.observations).leading_clear]
    assert clear
    for case in clear:
        assert next_question(KB, case.observations, diagnose(KB, case.observations)) is None, case.id
    fresh = diagnose(KB, {})
    assert not fresh.leading_clear
    first = next_question(KB, {}, fresh)
    assert first is not None and first.saving >= 0


def test_did_you_already_try_the_first_fix_is_worth_its_entropy_drop() -> None:
    """A "yes" is the engine's failed-fix update (each cause's weight times 1 - q, floored), a "no" changes nothing;
    the value is the expected drop in entropy, the cost half a minute plus the overhead."""
    d = diagnose(KB, {})
    fix = KB.fixes[d.plan[0].fix]
    qv = value_of(KB, {}, d, TRIED_PREFIX + fix.id)
    assert qv is not None
    probs = d.probabilities
    q = d.resolves_of(fix)
    weights = {c: p * max(1.0 - q.get(c, 0.0), MIN_FAILED_FACTOR) for c, p in probs.items() if p > 0}
    after_yes = {c: w / sum(weights.values()) for c, w in weights.items()}
    yes, no = qv.outcomes
    assert (yes.value, yes.probability, no.value, no.probability) == (True, P_TRIED, False, 1.0 - P_TRIED)
    assert dict(yes.posterior) == pytest.approx(after_yes) and dict(no.posterior) == pytest.approx(probs)
    drop = (
        entropy(probs.values())
        - P_TRIED * entropy(after_yes.values())
        - (1 - P_TRIED) * entropy(probs.values())
    )
    assert drop > 0 and qv.information_gain == pytest.approx(drop)
    assert qv.cost == pytest.approx(0.5 + QUESTION_OVERHEAD)


def test_a_yes_no_question_s_answers_follow_the_answer_model() -> None:
    """The mini knowledge's "visible damage?": only its rule "dent" (yes -> physical damage, ratio lr) can fire.
    The finding that argues for a cause is the unusual one (UNUSUAL); under that cause it is lr^W times likelier.
    Mutation testing: this answer model could be changed anywhere with every unit test passing."""
    mini = load_knowledge(KB_MINI)
    d = diagnose(mini, {})
    probs = d.probabilities
    qv = value_of(mini, {}, d, "visible_damage")
    assert qv is not None
    dent = next(r for r in mini.rules_using("visible_damage") if r.id == "dent")
    lam, u, pa = dent.lr**EVIDENCE_WEIGHT, UNUSUAL, probs[dent.cause]
    z = u * lam + (1 - u)
    p_yes = pa * u * lam / z + (1 - pa) * u
    p_no = pa * (1 - u) / z + (1 - pa) * (1 - u)
    after_yes = {c: p * (lam if c == dent.cause else 1.0) / (pa * lam + 1 - pa) for c, p in probs.items()}
    got = {o.value: o for o in qv.outcomes}
    assert set(got) == {True, False}
    assert (got[True].probability, got[False].probability) == (pytest.approx(p_yes), pytest.approx(p_no))
    assert dict(got[True].posterior) == pytest.approx(after_yes)
    assert dict(got[False].posterior) == pytest.approx(probs)
    kl_yes = sum(p * math.log(p / probs[c]) for c, p in after_yes.items() if p > 0)
    assert qv.information_gain == pytest.approx(p_yes * kl_yes / (p_yes + p_no))
    assert qv.cost == pytest.approx(mini.observations["visible_damage"].cost + QUESTION_OVERHEAD)
