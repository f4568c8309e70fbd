"""The summary figures of `photon-doctor evaluate`: ranks, where the working fix comes (steps and minutes) against
Particle's Device Doctor, calibration (Brier score, reliability table) and questions asked. Pure functions over
the per-case results of :mod:`photon_doctor.evaluate`."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from typing import Any

#: Reliability-table bins for the leading cause's probability (lower edges).
BINS = (0.0, 0.2, 0.4, 0.6, 0.8)


def _mean(values: Sequence[float]) -> float | None:
    return round(statistics.mean(values), 2) if values else None


def summarise(results: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The ``summary`` object: the contract's fields first, then the added ones (docs/evaluation.md)."""
    n = len(results)
    ranks = [r["expected_cause_rank"] for r in results]
    questions = [r["questions_asked"] for r in results if r["questions_asked"] is not None]
    fix_pos = [
        r["first_accepted_fix_position"] for r in results if r["first_accepted_fix_position"] is not None
    ]
    fix_min = [
        r["first_accepted_fix_minutes"] for r in results if r["first_accepted_fix_minutes"] is not None
    ]
    both = [
        r
        for r in results
        if r["first_accepted_fix_position"] is not None and r["device_doctor_position"] is not None
    ]
    return {
        "cases": n,
        "top1": round(sum(1 for r in ranks if r is not None and r <= 1) / n, 4) if n else None,
        "top3": round(sum(1 for r in ranks if r is not None and r <= 3) / n, 4) if n else None,
        "mean_questions": _mean(questions),
        "median_questions": statistics.median(questions) if questions else None,
        "mean_first_accepted_fix_position": _mean(fix_pos),
        "mean_first_accepted_fix_position_strict": _mean(
            [
                r["first_accepted_fix_position_strict"]
                for r in results
                if r.get("first_accepted_fix_position_strict")
            ]
        ),
        "mean_first_accepted_fix_minutes": _mean(fix_min),
        "accepted_fix_proposed": len(fix_pos),
        "device_doctor": {
            "cases_it_fixes": sum(1 for r in results if r["device_doctor_position"] is not None),
            "cases_both_fix": len(both),
            "mean_steps": _mean([r["device_doctor_position"] for r in both]),
            "ours_mean_steps": _mean([r["first_accepted_fix_position"] for r in both]),
            "mean_minutes": _mean([r["device_doctor_minutes"] for r in both]),
            "ours_mean_minutes": _mean([r["first_accepted_fix_minutes"] for r in both]),
            "cases_ours_needs_more_steps": [
                r["id"] for r in both if r["first_accepted_fix_position"] > r["device_doctor_position"]
            ],
        },
        "cases_with_check_first": sum(1 for r in results if r.get("check_first")),
        "brier": round(statistics.mean(r["brier"] for r in results), 4) if n else None,
        "reliability": reliability(results),
    }


def reliability(results: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """When the leading cause is given probability p, how often is it the true one? One row per bin of p."""
    rows = []
    for i, lo in enumerate(BINS):
        hi = BINS[i + 1] if i + 1 < len(BINS) else 1.0
        inside = [
            r
            for r in results
            if lo <= r["leading_probability"] < hi or (hi == 1.0 and r["leading_probability"] == 1.0)
        ]
        if not inside:
            continue
        rows.append(
            {
                "from": lo,
                "to": hi,
                "cases": len(inside),
                "mean_probability": round(statistics.mean(r["leading_probability"] for r in inside), 4),
                "share_right": round(
                    sum(1 for r in inside if r["expected_cause_rank"] == 1) / len(inside), 4
                ),
            }
        )
    return rows


def summary_lines(result: Mapping[str, Any]) -> list[str]:
    """The summary in sentences, for the human table."""
    s = result["summary"]
    dd = s["device_doctor"]
    mode = f"{result['mode']}{', leave-one-out' if result.get('leave_one_out') else ''}"
    first = f"{_cases(s['cases'])} ({mode}): true cause first in {_pct(s['top1'])}, "
    lines = [first + f"in the top three in {_pct(s['top3'])}."]
    if s["mean_first_accepted_fix_position"] is not None:
        lines.append(
            f"A fix that worked was proposed in {s['accepted_fix_proposed']} of {_cases(s['cases'])}, on "
            f"average as step {s['mean_first_accepted_fix_position']:g} after "
            f"{s['mean_first_accepted_fix_minutes']:g} minutes."
        )
    if dd["cases_both_fix"]:
        worse = dd["cases_ours_needs_more_steps"]
        lines.append(
            f"Device Doctor fixes {dd['cases_it_fixes']} of them; on the {dd['cases_both_fix']} both fix it "
            f"needs {_steps(dd['mean_steps'])} ({dd['mean_minutes']:g} min), this plan "
            f"{_steps(dd['ours_mean_steps'])} ({dd['ours_mean_minutes']:g} min)"
            + (f"; more steps than Device Doctor on {', '.join(worse)}." if worse else ".")
        )
    if s.get("cases_with_check_first"):
        lines.append(
            f"A check comes before the fixes in {_cases(s['cases_with_check_first'])} (observe-repair; it is not "
            "counted as a step)."
        )
    if s["median_questions"] is not None:
        lines.append(f"Questions asked: median {s['median_questions']:g}, mean {s['mean_questions']:g}.")
    if s["brier"] is not None:
        lines.append(
            f"Calibration: Brier score {s['brier']:.3f} (0 is perfect); when the leading cause is given"
        )
        for row in s["reliability"]:
            lines.append(
                f"  {row['from']:.0%}-{row['to']:.0%} ({row['cases']} case{'' if row['cases'] == 1 else 's'}, mean "
                f"{row['mean_probability']:.0%}) it is right in {row['share_right']:.0%}"
            )
    return lines


def _steps(n: float) -> str:
    return f"{n:g} step" if n == 1 else f"{n:g} steps"


def _cases(n: int) -> str:
    return f"{n} case" if n == 1 else f"{n} cases"


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v:.0%}"
