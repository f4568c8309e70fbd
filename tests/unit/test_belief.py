"""Property tests of the belief model (engine/belief.py, engine/diagnosis.py) on the shipped knowledge."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from photon_doctor.engine.diagnosis import assess
from photon_doctor.engine.rete import Firing
from photon_doctor.foundation.evidence import Observation
from photon_doctor.knowledge.loader import load_knowledge

KB = load_knowledge()
RULES = list(KB.rules)
FIXES = sorted(KB.fixes)


def _firing(rule: Any) -> Firing:
    return Firing(rule.id, tuple((o, 1.0) for o in rule.observations))


def _obs(rules: list[Any], tried: tuple[str, ...] = ()) -> dict[str, Observation]:
    obs = {o: Observation(o, "x") for r in rules for o in r.observations}
    if tried:
        obs["fixes_tried_failed"] = Observation("fixes_tried_failed", tried)
    return obs


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.sampled_from(RULES), max_size=8, unique_by=lambda r: r.id),
    st.sampled_from([r for r in RULES if r.lr > 1]),
)
def test_evidence_for_a_cause_never_lowers_it(fired: list[Any], extra: Any) -> None:
    base = [r for r in fired if r.id != extra.id]
    before = assess(KB, _obs(base + [extra]), [_firing(r) for r in base]).cause(extra.cause).probability
    after = (
        assess(KB, _obs(base + [extra]), [_firing(r) for r in base + [extra]]).cause(extra.cause).probability
    )
    assert after >= before - 1e-12


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.sampled_from(RULES), max_size=8, unique_by=lambda r: r.id),
    st.randoms(use_true_random=False),
    st.lists(st.sampled_from(FIXES), max_size=3, unique=True),
)
def test_order_never_changes_the_posterior_and_it_sums_to_one(
    fired: list[Any], rnd: Any, tried: list[str]
) -> None:
    shuffled = list(fired)
    rnd.shuffle(shuffled)
    tried_shuffled = list(tried)
    rnd.shuffle(tried_shuffled)
    a = assess(KB, _obs(fired, tuple(tried)), [_firing(r) for r in fired]).probabilities
    b = assess(KB, _obs(fired, tuple(tried_shuffled)), [_firing(r) for r in shuffled]).probabilities
    assert math.isclose(sum(a.values()), 1.0, rel_tol=1e-9)
    assert all(0.0 <= p <= 1.0 for p in a.values())
    assert all(math.isclose(a[c], b[c], rel_tol=1e-9, abs_tol=1e-15) for c in a)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from(RULES), max_size=6, unique_by=lambda r: r.id))
def test_dont_know_is_a_no_op(fired: list[Any]) -> None:
    """An unanswered question is simply absent: the same firings give the same posterior."""
    a = assess(KB, _obs(fired), [_firing(r) for r in fired]).probabilities
    extra = dict(_obs(fired))
    b = assess(KB, extra, [_firing(r) for r in fired]).probabilities
    assert a == b


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(RULES), max_size=6, unique_by=lambda r: r.id), st.sampled_from(FIXES))
def test_a_failed_fix_never_raises_the_causes_it_resolves(fired: list[Any], fix_id: str) -> None:
    """Each cause it resolves loses odds against every cause it does not resolve, and the cause it resolves most
    surely never rises. (A cause it resolves only rarely may rise in probability when a cause it resolves surely
    falls further: that is Bayes, not a defect.)"""
    before = assess(KB, _obs(fired), [_firing(r) for r in fired])
    after = assess(KB, _obs(fired, (fix_id,)), [_firing(r) for r in fired])
    resolves = KB.fixes[fix_id].resolves
    others = [c for c in KB.causes if c not in resolves]
    for cause in resolves:
        for other in others:
            ratio_before = before.cause(cause).probability / before.cause(other).probability
            ratio_after = after.cause(cause).probability / after.cause(other).probability
            assert ratio_after <= ratio_before * (1 + 1e-9)
    surest = max(resolves, key=lambda c: resolves[c])
    assert after.cause(surest).probability <= before.cause(surest).probability + 1e-12
    assert fix_id not in [s.fix for s in after.plan]
