"""The certainty arithmetic, checked against the reference's worked numbers (PAIP ch. 16, Novak)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from photon_doctor.engine.certainty import THRESHOLD, combine, combine_all, conclusion, in_words

cf = st.floats(min_value=-0.99, max_value=0.99, allow_nan=False)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [(0.6, 0.4, 0.76), (-0.6, -0.4, -0.76), (0.6, -0.4, 0.3333), (0.5, 0.6, 0.8), (0.36, 0.76, 0.8464)],
)
def test_worked_numbers(a: float, b: float, expected: float) -> None:
    assert combine(a, b) == pytest.approx(expected, abs=1e-4)


def test_rule_conclusion_is_cf_times_weakest_premise() -> None:
    # "A and B => .9 C" with A=.6 and B=.4 gives .36 (PAIP); Novak: min(.6,.3,.4) x .7 = .21
    assert conclusion(0.9, [0.6, 0.4]) == pytest.approx(0.36)
    assert conclusion(0.7, [0.6, 0.3, 0.4]) == pytest.approx(0.21)


def test_premise_at_or_below_threshold_counts_as_false() -> None:
    assert conclusion(0.9, [THRESHOLD]) == 0.0
    assert conclusion(0.9, [0.21]) > 0


def test_true_and_false_does_not_divide_by_zero() -> None:
    assert -1.0 <= combine(1.0, -1.0) <= 1.0


@given(cf, cf)
def test_combination_is_commutative_and_bounded(a: float, b: float) -> None:
    assert combine(a, b) == pytest.approx(combine(b, a))
    assert -1.0 <= combine(a, b) <= 1.0


@given(cf)
def test_zero_is_neutral(a: float) -> None:
    assert combine(a, 0.0) == pytest.approx(a)


@given(
    st.lists(st.floats(min_value=0, max_value=0.99), max_size=6), st.floats(min_value=0.01, max_value=0.99)
)
def test_more_support_never_lowers_belief(values: list[float], extra: float) -> None:
    assert combine_all([*values, extra]) >= combine_all(values) - 1e-12


def test_words() -> None:
    assert in_words(0.9) == "strongly suggestive"
    assert in_words(-0.6) == "evidence against"


def test_more_support_near_certainty_still_does_not_lower_belief() -> None:
    # Found by hypothesis: a clamp near 1 once made extra support lower a nearly certain belief.
    values = [0.96875] * 4
    assert combine_all([*values, 0.03125]) >= combine_all(values)
