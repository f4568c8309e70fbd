"""The belief model's numbers (engine/belief.py), each recomputed from its definition.

Written after mutation testing: the property tests (order, monotonicity) still passed with the base rates blended
wrongly, held-out cases added instead of removed, the strongest premise used instead of the weakest, the 0.2
cut-off moved, a failed fix's factor computed from the wrong side of its floor, or an overflowing softmax.
"""

from __future__ import annotations

import math
from types import MappingProxyType

import pytest
from photon_doctor.engine.belief import EVIDENCE_WEIGHT as W
from photon_doctor.engine.belief import (
    MIN_FAILED_FACTOR,
    PRIOR_WEIGHT,
    base_rates,
    entropy,
    failed_fix_factor,
    normalise,
    rule_factor,
)
from photon_doctor.knowledge.model import CauseDef, KnowledgeBase


def _kb(causes: dict[str, tuple[float, int]]) -> KnowledgeBase:
    """A knowledge base of causes only: id -> (author's prior, real cases)."""
    defs = {cid: CauseDef(cid, cid, cid, prior, ("test",), real) for cid, (prior, real) in causes.items()}
    return KnowledgeBase(1, MappingProxyType({}), MappingProxyType(defs), (), MappingProxyType({}))


def test_base_rates_blend_the_author_s_priors_as_pseudo_cases_with_the_real_counts() -> None:
    kb = _kb({"a": (0.3, 0), "b": (0.1, 2), "c": (0.0, 1)})
    raw = {"a": PRIOR_WEIGHT * 0.75, "b": PRIOR_WEIGHT * 0.25 + 2, "c": 1.0}
    total = sum(raw.values())
    assert base_rates(kb) == pytest.approx({c: r / total for c, r in raw.items()})


def test_a_held_out_case_no_longer_counts_for_its_cause_and_the_others_keep_theirs() -> None:
    kb = _kb({"a": (0.3, 3), "b": (0.1, 2), "c": (0.0, 1)})
    raw = {"a": PRIOR_WEIGHT * 0.75 + 3, "b": PRIOR_WEIGHT * 0.25 + 1, "c": 1.0}
    total = sum(raw.values())
    assert base_rates(kb, {"b": 1}) == pytest.approx({c: r / total for c, r in raw.items()})
    # Holding out more cases than were counted leaves none, never a negative count.
    raw["b"], raw["c"] = PRIOR_WEIGHT * 0.25, 0.0
    total = sum(raw.values())
    assert base_rates(kb, {"b": 5, "c": 4}) == pytest.approx({c: r / total for c, r in raw.items()})


def test_without_author_priors_the_counts_alone_decide_and_without_either_all_causes_are_equal() -> None:
    assert base_rates(_kb({"a": (0.0, 0), "b": (0.0, 1)})) == pytest.approx({"a": 0.0, "b": 1.0})
    assert base_rates(_kb({"a": (0.0, 3), "b": (0.0, 1)})) == pytest.approx({"a": 0.75, "b": 0.25})
    assert base_rates(_kb({"a": (0.0, 0), "b": (0.0, 0), "c": (0.0, 0)})) == pytest.approx(
        {"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}
    )
    assert base_rates(_kb({})) == {}


def test_a_fired_rule_adds_log_lr_times_its_weakest_premise() -> None:
    assert rule_factor(4.0, [0.9, 0.6, 1.0]) == pytest.approx(math.log(4.0) * 0.6 * W)
    assert rule_factor(0.5, [1.0]) == pytest.approx(math.log(0.5) * W)
    assert rule_factor(4.0, []) == pytest.approx(math.log(4.0) * W)  # a rule without premises counts whole


def test_a_premise_at_or_below_0_2_counts_as_false_just_above_it_counts() -> None:
    assert rule_factor(4.0, [0.9, 0.2]) == 0.0
    assert rule_factor(4.0, [0.21]) == pytest.approx(math.log(4.0) * 0.21 * W)
    assert failed_fix_factor(0.8, 0.2) == 0.0
    assert failed_fix_factor(0.8, 0.21) == pytest.approx(math.log(0.2) * 0.21)


def test_a_failed_fix_multiplies_the_odds_by_one_minus_q_never_by_less_than_the_floor() -> None:
    assert failed_fix_factor(0.5) == pytest.approx(math.log(0.5))
    assert failed_fix_factor(0.5, 0.5) == pytest.approx(math.log(0.5) * 0.5)
    assert failed_fix_factor(1.0) == pytest.approx(math.log(MIN_FAILED_FACTOR))
    assert math.isfinite(failed_fix_factor(1.0)) and MIN_FAILED_FACTOR > 0


def test_normalise_is_a_softmax_that_survives_weights_far_apart() -> None:
    assert normalise({"a": math.log(3.0), "b": 0.0}) == pytest.approx({"a": 0.75, "b": 0.25})
    far = normalise({"a": 1000.0, "b": 0.0, "c": 1000.0 + math.log(3.0)})
    assert far == pytest.approx({"a": 0.25, "b": 0.0, "c": 0.75})
    assert normalise({}) == {}


def test_entropy_in_nats() -> None:
    assert entropy([0.5, 0.5]) == pytest.approx(math.log(2))
    assert entropy([0.25] * 4) == pytest.approx(math.log(4))
    assert entropy([1.0, 0.0]) == 0.0


def test_a_tried_fix_whose_outcome_is_also_reported_counts_once_per_cause() -> None:
    """ "Flashing Tinker did not help" arrives twice when the owner also ticks "even with Tinker it does not
    connect" (the fix's done_when). For the application, which a rule on that observation reads, the rule counts
    and the failed-fix factor does not; for the system firmware, which no such rule reads, the failed fix still
    counts; with the outcome not reported, the failed fix counts for both."""
    from photon_doctor.engine.diagnosis import diagnose
    from photon_doctor.foundation.evidence import Observation
    from photon_doctor.knowledge.loader import load_knowledge

    kb = load_knowledge()
    tried = {"fixes_tried_failed": Observation("fixes_tried_failed", ("flash_tinker_usb",))}
    both = {**tried, "tinker_fixes": Observation("tinker_fixes", False)}
    app, firmware = "user_firmware_blocks_connection", "system_firmware_mismatch"

    def failed_fix_entries(obs: dict[str, Observation], cause: str) -> list[float]:
        return [e.lr for e in diagnose(kb, obs).cause(cause).evidence if e.kind == "tried_fix"]

    q = kb.fixes["flash_tinker_usb"].resolves
    assert failed_fix_entries(tried, app) == [pytest.approx(1 - q[app])]
    assert failed_fix_entries(tried, firmware) == [pytest.approx(1 - q[firmware])]
    assert failed_fix_entries(both, app) == []
    assert failed_fix_entries(both, firmware) == [pytest.approx(1 - q[firmware])]
    rules = [e for e in diagnose(kb, both).cause(app).evidence if e.kind == "rule"]
    assert any(o.id == "tinker_fixes" for e in rules for o in e.observations)
