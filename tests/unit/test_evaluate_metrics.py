"""The summary figures of `evaluate` (photon_doctor/evaluate_metrics.py) on hand-made per-case results, each
expected figure worked out from the rows by hand.

Written after mutation testing: `top1` counting the second place, Device Doctor's case count doubled or inverted,
a tie with Device Doctor listed as "more steps", the check-first count doubled and the reliability table losing
its top bin or the cases at exactly 100 % left every test passing (the other tests read the summary's fields, not
its values).
"""

from __future__ import annotations

from typing import Any

import pytest

from photon_doctor.evaluate_metrics import reliability, summarise


def _row(
    rid: str,
    rank: int | None,
    p_lead: float,
    fix: int | None = None,
    minutes: float | None = None,
    dd: int | None = None,
    dd_minutes: float | None = None,
    questions: int | None = None,
    check: bool = False,
    brier: float = 0.0,
) -> dict[str, Any]:
    return {
        "id": rid,
        "expected_cause_rank": rank,
        "leading_probability": p_lead,
        "first_accepted_fix_position": fix,
        "first_accepted_fix_position_strict": fix,
        "first_accepted_fix_minutes": minutes,
        "device_doctor_position": dd,
        "device_doctor_minutes": dd_minutes,
        "questions_asked": questions,
        "check_first": {"observation": "x"} if check else None,
        "brier": brier,
    }


ROWS = [
    _row("one", 1, 0.9, fix=1, minutes=2.0, dd=3, dd_minutes=9.0, questions=2, brier=0.02),
    _row("two", 2, 0.5, fix=2, minutes=5.0, dd=2, dd_minutes=4.0, questions=4, check=True, brier=0.5),
    _row("three", 3, 1.0, fix=4, minutes=12.0, dd=1, dd_minutes=1.0, questions=6, brier=0.7),
    _row("four", None, 0.1, dd=2, dd_minutes=3.0, brier=1.2),
    _row("five", 1, 0.85, fix=1, minutes=1.0, questions=1, brier=0.04),
]


def test_the_summary_figures_are_those_of_the_rows() -> None:
    s = summarise(ROWS)
    assert s["cases"] == 5
    assert s["top1"] == pytest.approx(2 / 5)  # "one" and "five"; "two" is second
    assert s["top3"] == pytest.approx(4 / 5)  # "four" is not ranked at all
    assert s["median_questions"] == 3.0 and s["mean_questions"] == pytest.approx(13 / 4)
    assert s["accepted_fix_proposed"] == 4
    assert s["mean_first_accepted_fix_position"] == pytest.approx(8 / 4)
    assert s["mean_first_accepted_fix_minutes"] == pytest.approx(20 / 4)
    assert s["cases_with_check_first"] == 1
    assert s["brier"] == pytest.approx((0.02 + 0.5 + 0.7 + 1.2 + 0.04) / 5)


def test_device_doctor_is_compared_on_the_cases_both_fix_and_a_tie_is_not_more_steps() -> None:
    dd = summarise(ROWS)["device_doctor"]
    assert dd["cases_it_fixes"] == 4  # all but "five"
    assert dd["cases_both_fix"] == 3  # "one", "two", "three"
    assert dd["mean_steps"] == pytest.approx((3 + 2 + 1) / 3)
    assert dd["ours_mean_steps"] == pytest.approx(round((1 + 2 + 4) / 3, 2))
    assert dd["mean_minutes"] == pytest.approx(round((9 + 4 + 1) / 3, 2))
    assert dd["ours_mean_minutes"] == pytest.approx(round((2 + 5 + 12) / 3, 2))
    assert dd["cases_ours_needs_more_steps"] == ["three"]  # "two" ties (2 and 2)


def test_the_reliability_table_bins_the_leading_probability_and_keeps_100_percent_in_the_top_bin() -> None:
    rows = {(r["from"], r["to"]): r for r in reliability(ROWS)}
    assert set(rows) == {(0.0, 0.2), (0.4, 0.6), (0.8, 1.0)}
    top = rows[(0.8, 1.0)]  # 0.9, 1.0 and 0.85: "three" (exactly 100 %) is wrong
    assert top["cases"] == 3
    assert top["mean_probability"] == pytest.approx(round((0.9 + 1.0 + 0.85) / 3, 4))
    assert top["share_right"] == pytest.approx(round(2 / 3, 4))
    assert (rows[(0.4, 0.6)]["cases"], rows[(0.4, 0.6)]["share_right"]) == (1, 0.0)
    assert (rows[(0.0, 0.2)]["cases"], rows[(0.0, 0.2)]["share_right"]) == (1, 0.0)
    # A lower edge belongs to its bin, the upper one to the next.
    edge = reliability([_row("e", 1, 0.2), _row("f", 1, 0.6)])
    assert [(r["from"], r["cases"]) for r in edge] == [(0.2, 1), (0.6, 1)]


def test_an_empty_evaluation_has_no_figures() -> None:
    s = summarise([])
    assert (s["cases"], s["top1"], s["top3"], s["brier"], s["reliability"]) == (0, None, None, None, [])
