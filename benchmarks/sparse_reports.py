"""Sparser reports of the same real cases: each case once for every fact it holds, told without that fact.

Real reports are sparse (the public cases hold one to four facts), and the real cases the product is measured on but
nobody here sees hold other facts than the public ones. Scoring each public case with one fact left out (leave-one-
out base rates, as `evaluate --leave-one-out`) shows how much the ranking leans on any single fact, and which
knowledge a case without that fact would need. The list of fixes tried counts as a fact. Cases that hold one fact
have no variant.

    .venv/bin/python benchmarks/sparse_reports.py [case files ...]   # default: tests/cases/real-*.json
    .venv/bin/python benchmarks/sparse_reports.py --json
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

from photon_doctor.knowledge.loader import load_knowledge

from photon_doctor.evaluate import Case, evaluate, load_cases

REPO = Path(__file__).resolve().parent.parent


def variants(cases: list[Case]) -> list[tuple[Case, str]]:
    """Each case with one of its facts left out, and the fact left out (cases of one fact give none)."""
    out = []
    for case in cases:
        if len(case.observations) < 2:
            continue
        for left_out in sorted(case.observations):
            kept = {k: v for k, v in case.observations.items() if k != left_out}
            out.append((dataclasses.replace(case, observations=kept), left_out))
    return out


def main(argv: list[str]) -> int:
    as_json = "--json" in argv
    paths = [Path(a) for a in argv if not a.startswith("--")] or sorted(
        (REPO / "tests" / "cases").glob("real-*.json")
    )
    kb = load_knowledge()
    cases = load_cases(kb, paths)
    pairs = variants(cases)
    result = evaluate(kb, [c for c, _ in pairs], leave_one_out=True)
    rows = [
        {
            "case": r["id"],
            "left_out": left_out,
            "rank": r["expected_cause_rank"],
            "leading_cause": r["leading_cause"],
            "fix_position": r["first_accepted_fix_position"],
        }
        for r, (_, left_out) in zip(result["cases"], pairs, strict=True)
    ]
    n = len(rows)
    summary = {
        "cases": len(cases),
        "variants": n,
        "top1": sum(r["rank"] == 1 for r in rows) / n if n else None,
        "top3": sum(r["rank"] is not None and r["rank"] <= 3 for r in rows) / n if n else None,
        "mean_fix_position": (
            sum(r["fix_position"] for r in rows if r["fix_position"])
            / sum(1 for r in rows if r["fix_position"])
            if any(r["fix_position"] for r in rows)
            else None
        ),
    }
    if as_json:
        print(json.dumps({"summary": summary, "variants": rows}, indent=1))
        return 0
    if not n:
        print("No case holds two facts or more: nothing to leave out.")
        return 0
    print(
        f"{n} reports made from {len(cases)} cases by leaving one fact out (leave-one-out base rates): the true "
        f"cause first in {summary['top1']:.0%}, in the top three in {summary['top3']:.0%}; the first working fix at "
        f"step {summary['mean_fix_position']:.2f} on average."
    )
    weak = [r for r in rows if r["rank"] is None or r["rank"] > 3]
    if weak:
        print("Out of the top three without one fact:")
        for r in weak:
            rank = "below the ranked causes" if r["rank"] is None else f"rank {r['rank']}"
            print(f"  - {r['case']} without {r['left_out']}: {rank}, leading {r['leading_cause']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
