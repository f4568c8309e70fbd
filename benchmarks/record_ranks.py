"""Record each case's rank and first-fix position in tests/data/case-ranks.json (run after improving the knowledge).

.venv/bin/python benchmarks/record_ranks.py
"""

from __future__ import annotations

import json
from pathlib import Path

from photon_doctor.knowledge.loader import load_knowledge

from photon_doctor.evaluate import evaluate, load_cases

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    kb = load_knowledge()
    cases = load_cases(kb, sorted((REPO / "tests" / "cases").glob("*.json")))
    result = evaluate(kb, cases)
    doc = {
        "about": "Recorded by benchmarks/record_ranks.py; the suite fails if a case falls below these.",
        "cases": {
            r["id"]: {"rank": r["expected_cause_rank"], "fix_position": r["first_accepted_fix_position"]}
            for r in result["cases"]
        },
        "device_doctor_ahead": result["summary"]["device_doctor"]["cases_ours_needs_more_steps"],
    }
    (REPO / "tests" / "data" / "case-ranks.json").write_text(
        json.dumps(doc, indent=1) + "\n", encoding="utf-8"
    )
    print(json.dumps(result["summary"]["device_doctor"]))


if __name__ == "__main__":
    main()
