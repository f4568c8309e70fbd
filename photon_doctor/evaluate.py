"""`photon-doctor evaluate`: measure the knowledge base on case files (../shared/contract/cases.md).

A bad file is rejected whole, naming the file, the case id and the field; nothing is half-evaluated.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from photon_doctor.answers import AnswerError, json_text, parse_value
from photon_doctor.engine.diagnosis import Diagnosis, diagnose
from photon_doctor.engine.evidence import Observation, Provenance
from photon_doctor.errors import CaseFileError
from photon_doctor.interview import Interview, run
from photon_doctor.jsonfile import read_json
from photon_doctor.knowledge.model import KnowledgeBase, ObservationDef

CASE_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Case:
    id: str
    title: str
    observations: Mapping[str, Observation]
    expected_causes: tuple[str, ...]
    accepted_fixes: tuple[str, ...]
    file: str


def load_cases(kb: KnowledgeBase, paths: list[Path]) -> list[Case]:
    """Read and validate every case file. Raises CaseFileError on the first problem."""
    cases: list[Case] = []
    seen: set[str] = set()
    for path in paths:
        for case in _load_file(kb, path):
            if case.id in seen:
                raise CaseFileError(f"{path}: case '{json_text(case.id)}': duplicate case id")
            seen.add(case.id)
            cases.append(case)
    return cases


def _load_file(kb: KnowledgeBase, path: Path) -> list[Case]:
    doc = read_json(path, CaseFileError)
    if not isinstance(doc, dict):
        raise CaseFileError(f"{path}: expected a JSON object with schema_version and cases")
    if doc.get("schema_version") != CASE_SCHEMA_VERSION:
        raise CaseFileError(f"{path}: field 'schema_version': expected {CASE_SCHEMA_VERSION}, "
                            f"found {doc.get('schema_version')!r}")
    raw_cases = doc.get("cases")
    if not isinstance(raw_cases, list):
        raise CaseFileError(f"{path}: field 'cases': missing or not a list")
    return [_case(kb, path, i, raw) for i, raw in enumerate(raw_cases)]


def _case(kb: KnowledgeBase, path: Path, index: int, raw: Any) -> Case:
    if not isinstance(raw, dict):
        raise CaseFileError(f"{path}: cases[{index}]: must be an object")
    case_id = raw.get("id")
    if not isinstance(case_id, str) or not case_id:
        raise CaseFileError(f"{path}: cases[{index}]: field 'id': missing or not a string")

    def fail(field: str, problem: str) -> CaseFileError:
        return CaseFileError(f"{path}: case '{json_text(case_id)}': field '{field}': {problem}")

    for name in ("observations", "expected_causes", "accepted_fixes"):
        if name not in raw:
            raise fail(name, "missing")
    obs_raw = raw["observations"]
    if not isinstance(obs_raw, dict):
        raise fail("observations", "must be an object of observation id -> value")
    observations: dict[str, Observation] = {}
    for obs_id, value in obs_raw.items():
        odef = kb.observations.get(obs_id)
        if odef is None:
            raise fail(f"observations.{json_text(obs_id)}", "unknown observation")
        try:
            typed = parse_value(kb, odef, value)
        except AnswerError as exc:
            raise fail(f"observations.{obs_id}", str(exc)) from None
        observations[obs_id] = Observation(obs_id, typed, 1.0, Provenance("case", case_id))
    expected = raw["expected_causes"]
    if not isinstance(expected, list) or not expected or not all(isinstance(c, str) for c in expected):
        raise fail("expected_causes", "must be a non-empty list of cause ids")
    for c in expected:
        if c not in kb.causes:
            raise fail("expected_causes", f"unknown cause '{json_text(c)}'")
    accepted = raw["accepted_fixes"]
    if not isinstance(accepted, list) or not all(isinstance(f, str) for f in accepted):
        raise fail("accepted_fixes", "must be a list of fix ids")
    for f in accepted:
        if f not in kb.fixes:
            raise fail("accepted_fixes", f"unknown fix '{json_text(f)}'")
    title = raw.get("title", "")
    if not isinstance(title, str):
        raise fail("title", "must be a string")
    return Case(case_id, title, observations, tuple(expected), tuple(accepted), str(path))


class Oracle:
    """Answers the interview from a case: the case's value, or "don't know" for anything it does not hold."""

    def __init__(self, kb: KnowledgeBase, case: Case) -> None:
        self.kb = kb
        self.case = case

    def answer(self, odef: ObservationDef, number: int) -> str:
        obs = self.case.observations.get(odef.id)
        if obs is None:
            return "?"
        v = obs.value
        if isinstance(v, tuple):
            return ",".join(v) if v else "none"
        if isinstance(v, bool):
            return "yes" if v else "no"
        return str(v)

    def tell(self, text: str) -> None:  # the oracle reads nothing
        pass


def evaluate_case(kb: KnowledgeBase, case: Case, interactive: bool) -> dict[str, Any]:
    if interactive:
        interview = Interview(kb)
        d: Diagnosis = run(interview, Oracle(kb, case), source="case")
        asked: int | None = interview.asked
    else:
        d = diagnose(kb, case.observations)
        asked = None
    ranked = [{"id": c.id, "certainty": round(c.certainty, 4)} for c in d.ranked]
    ids = [c["id"] for c in ranked]
    rank = ids.index(case.expected_causes[0]) + 1 if case.expected_causes[0] in ids else None
    proposed = [s.fix for s in d.plan]
    positions = [proposed.index(f) + 1 for f in case.accepted_fixes if f in proposed]
    return {
        "id": case.id,
        "ranked_causes": ranked,
        "expected_cause_rank": rank,
        "questions_asked": asked,
        "proposed_fixes": proposed,
        "first_accepted_fix_position": min(positions) if positions else None,
    }


def evaluate(kb: KnowledgeBase, cases: list[Case], interactive: bool = False) -> dict[str, Any]:
    """The evaluation result object of contract/cases.md."""
    results = [evaluate_case(kb, c, interactive) for c in cases]
    n = len(results)
    ranks = [r["expected_cause_rank"] for r in results]
    questions = [r["questions_asked"] for r in results if r["questions_asked"] is not None]
    fix_pos = [r["first_accepted_fix_position"] for r in results if r["first_accepted_fix_position"] is not None]
    summary = {
        "cases": n,
        "top1": round(sum(1 for r in ranks if r is not None and r <= 1) / n, 4) if n else None,
        "top3": round(sum(1 for r in ranks if r is not None and r <= 3) / n, 4) if n else None,
        "mean_questions": round(statistics.mean(questions), 2) if questions else None,
        "median_questions": statistics.median(questions) if questions else None,
        "mean_first_accepted_fix_position": round(statistics.mean(fix_pos), 2) if fix_pos else None,
    }
    return {
        "schema_version": CASE_SCHEMA_VERSION,
        "mode": "interactive" if interactive else "batch",
        "summary": summary,
        "cases": results,
    }


def evaluation_text(result: Mapping[str, Any]) -> str:
    s = result["summary"]
    lines = [f"{'case':34} {'rank':>4} {'questions':>9} {'fix pos':>7}  leading cause"]
    for r in result["cases"]:
        lead = r["ranked_causes"][0]["id"] if r["ranked_causes"] else "-"
        q = "-" if r["questions_asked"] is None else str(r["questions_asked"])
        rank = "-" if r["expected_cause_rank"] is None else str(r["expected_cause_rank"])
        pos = "-" if r["first_accepted_fix_position"] is None else str(r["first_accepted_fix_position"])
        lines.append(f"{r['id'][:34]:34} {rank:>4} {q:>9} {pos:>7}  {lead}")
    lines.append("")
    lines.append(
        f"{s['cases']} cases ({result['mode']}): top-1 {s['top1']}, top-3 {s['top3']}, "
        f"mean questions {s['mean_questions']}, mean first accepted fix position {s['mean_first_accepted_fix_position']}"
    )
    misses = [r for r in result["cases"] if r["expected_cause_rank"] != 1]
    if misses:
        lines.append("Misses (expected cause not ranked first):")
        for r in misses:
            lines.append(f"  - {r['id']}: expected at rank {r['expected_cause_rank']}")
    return "\n".join(lines)
