"""benchmarks/sparse_reports.py: each real case told once without each of its facts (docs/evaluation.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from photon_doctor.knowledge.loader import load_knowledge

from benchmarks.sparse_reports import main, variants
from photon_doctor.evaluate import load_cases

REPO = Path(__file__).resolve().parents[2]


def test_each_fact_is_left_out_once_and_a_one_fact_case_gives_no_variant() -> None:
    kb = load_knowledge()
    cases = load_cases(kb, [REPO / "tests" / "cases" / "real-forum.json"])
    pairs = variants(cases)
    expected = sum(len(c.observations) for c in cases if len(c.observations) > 1)
    assert len(pairs) == expected > 0
    by_case = {c.id: c for c in cases}
    for variant, left_out in pairs:
        whole = by_case[variant.id]
        assert left_out in whole.observations and left_out not in variant.observations
        assert set(variant.observations) == set(whole.observations) - {left_out}
        assert variant.expected_causes == whole.expected_causes
    one_fact = [c.id for c in cases if len(c.observations) == 1]
    assert one_fact and not {v.id for v, _ in pairs} & set(one_fact)


def test_the_summary_counts_the_variants(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(REPO / "tests" / "cases" / "real-more.json"), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    rows = doc["variants"]
    assert doc["summary"]["variants"] == len(rows) > 0
    top3 = sum(r["rank"] is not None and r["rank"] <= 3 for r in rows) / len(rows)
    assert doc["summary"]["top3"] == top3
