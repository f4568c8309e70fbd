"""`photon-doctor evaluate`: measure the knowledge base on case files (../shared/contract/cases.md).

A bad file is rejected whole, naming the file, the case id and the field; nothing is half-evaluated.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from photon_doctor.answers import AnswerError, json_text, parse_value
from photon_doctor.engine.diagnosis import Diagnosis, diagnose
from photon_doctor.engine.observe import check_first
from photon_doctor.engine.questions import CHECKLIST_PREFIX, led_colour_of
from photon_doctor.evaluate_metrics import summarise, summary_lines
from photon_doctor.foundation.errors import CaseFileError
from photon_doctor.foundation.evidence import Observation, Provenance, Source
from photon_doctor.foundation.ids import FIXES_TRIED_FAILED, LED_COLOUR, LED_PATTERN, TRIED_PREFIX
from photon_doctor.foundation.jsonfile import read_json
from photon_doctor.interview import Interview, run
from photon_doctor.knowledge.baseline import load_device_doctor
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
        raise CaseFileError(
            f"{path}: field 'schema_version': expected {CASE_SCHEMA_VERSION}, "
            f"found {doc.get('schema_version')!r}"
        )
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
            typed = parse_value(kb, odef, value, bounded=False)
        except AnswerError as exc:
            raise fail(f"observations.{obs_id}", str(exc)) from None
        observations[obs_id] = Observation(obs_id, typed, 1.0, Provenance(Source.CASE, case_id))
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
        observations = self.case.observations
        if odef.id.startswith(CHECKLIST_PREFIX):
            # Tick every item the case holds; the rest stay unticked (no answer).
            cl = self.kb.checklists[odef.id[len(CHECKLIST_PREFIX) :]]
            return ",".join(
                i.key
                for i in cl.items
                if i.key in odef.choices and i.obs in observations and observations[i.obs].value == i.value
            )
        if odef.id.startswith(TRIED_PREFIX):
            tried = observations.get(FIXES_TRIED_FAILED)
            if tried is None or not isinstance(tried.value, tuple):
                return "?"
            return "yes" if odef.id[len(TRIED_PREFIX) :] in tried.value else "no"
        if odef.id == LED_COLOUR and LED_COLOUR not in observations and LED_PATTERN in observations:
            return str(led_colour_of(str(observations[LED_PATTERN].value)))
        obs = observations.get(odef.id)
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


#: Fixes that do what another fix does: proposing the first counts as proposing the second. A Device OS update
#: over USB installs the same Device OS as an over-the-air update (particle-protocols.md §5), and the update fix's
#: own first way is that same `particle update` over USB (knowledge/data/fixes.toml: the two share the executor's
#: action, and the plan treats them as one action); the Device Doctor's first step is credited the same way
#: (knowledge/data/device-doctor.toml).
SAME_EFFECT: Mapping[str, frozenset[str]] = {
    "update_device_os_usb": frozenset({"update_device_os"}),
    "update_device_os": frozenset({"update_device_os_usb"}),
}


def _counts_as(fix_id: str, accepted: tuple[str, ...]) -> bool:
    return fix_id in accepted or bool(SAME_EFFECT.get(fix_id, frozenset()) & set(accepted))


def _first_fix(
    steps: list[tuple[tuple[str, ...], float]], accepted: tuple[str, ...], strict: bool = False
) -> tuple[int | None, float | None]:
    """1-based position and minutes (costs summed up to and including it) of the first step that performs an
    accepted fix; (None, None) when none does. ``strict``: only the accepted ids themselves count."""
    minutes = 0.0
    for i, (fixes, cost) in enumerate(steps):
        minutes += cost
        if any((f in accepted) if strict else _counts_as(f, accepted) for f in fixes):
            return i + 1, round(minutes, 2)
    return None, None


def _diagnose_case(kb: KnowledgeBase, case: Case, interactive: bool) -> tuple[Diagnosis, int | None]:
    """The case's diagnosis and how many questions it took: the interview with the oracle, or every observation
    given at once (no questions)."""
    if interactive:
        interview = Interview(kb)
        return run(interview, Oracle(kb, case), source=Source.CASE), interview.asked
    return diagnose(kb, case.observations), None


def evaluate_case(kb: KnowledgeBase, case: Case, interactive: bool) -> dict[str, Any]:
    d, asked = _diagnose_case(kb, case, interactive)
    ranked = [
        {"id": c.id, "certainty": round(c.probability, 4), "probability": round(c.probability, 4)}
        for c in d.ranked
    ]
    ids = [c["id"] for c in ranked]
    rank = ids.index(case.expected_causes[0]) + 1 if case.expected_causes[0] in ids else None
    proposed = [s.fix for s in d.plan]
    position, minutes = _first_fix([((s.fix,), s.cost) for s in d.plan], case.accepted_fixes)
    strict_position, _ = _first_fix([((s.fix,), s.cost) for s in d.plan], case.accepted_fixes, strict=True)
    dd_position, dd_minutes = _first_fix(
        [(s.fixes, s.cost) for s in load_device_doctor(kb)], case.accepted_fixes
    )
    truth = case.expected_causes[0]
    # Observe-repair: a check the plan puts before the fixes. Positions and minutes count fixes only; the check is
    # reported beside them (the case holds no answer to it, so the plan after it is the plan shown).
    check = check_first(kb, {o.id: o for o in d.observations}, d)
    return {
        "id": case.id,
        "ranked_causes": ranked,
        "expected_cause_rank": rank,
        "questions_asked": asked,
        "proposed_fixes": proposed,
        "first_accepted_fix_position": position,
        "first_accepted_fix_minutes": minutes,
        "first_accepted_fix_position_strict": strict_position,  # without the SAME_EFFECT credit
        "device_doctor_position": dd_position,
        "device_doctor_minutes": dd_minutes,
        "expected_cause_probability": round(d.cause(truth).probability, 4),
        "leading_cause": d.causes[0].id,
        "leading_probability": round(d.causes[0].probability, 4),
        "brier": round(sum((c.probability - (1.0 if c.id == truth else 0.0)) ** 2 for c in d.causes), 4),
        "file": case.file,
        "check_first": None
        if check is None
        else {
            "observation": check.obs,
            "cost_minutes": check.cost,
            "eco_minutes": round(check.eco, 2),
            "ecr_minutes": round(check.ecr, 2),
        },
    }


def evaluate(
    kb: KnowledgeBase, cases: list[Case], interactive: bool = False, leave_one_out: bool = False
) -> dict[str, Any]:
    """The evaluation result object of contract/cases.md, with the added fields of docs/evaluation.md.

    ``leave_one_out``: each real case is diagnosed with a knowledge base whose counts do not include that case
    (:func:`held_out`), so the figures are not a fit on the case being scored.
    """
    results = []
    for c in cases:
        results.append(
            evaluate_case(held_out(kb, c) if leave_one_out and _counted(kb, c) else kb, c, interactive)
        )
    summary = summarise(results)
    return {
        "schema_version": CASE_SCHEMA_VERSION,
        "mode": "interactive" if interactive else "batch",
        "leave_one_out": leave_one_out,
        "summary": summary,
        "cases": results,
    }


def held_out(kb: KnowledgeBase, case: Case) -> KnowledgeBase:
    """``kb`` without ``case`` in its counts: one real case fewer for its cause (base rates) and one report fewer
    for each observation it holds (answerability)."""
    cause = case.expected_causes[0]
    causes = {
        cid: (dataclasses.replace(c, real_cases=max(c.real_cases - 1, 0)) if cid == cause else c)
        for cid, c in kb.causes.items()
    }
    observations = {
        oid: (dataclasses.replace(o, reported=max(o.reported - 1, 0)) if oid in case.observations else o)
        for oid, o in kb.observations.items()
    }
    return dataclasses.replace(
        kb, causes=MappingProxyType(causes), observations=MappingProxyType(observations)
    )


def _counted(kb: KnowledgeBase, case: Case) -> bool:
    """True when ``case`` is one of the real cases counted in the base rates (causes.toml ``real_cases``)."""
    return Path(case.file).name.startswith("real-") and kb.causes[case.expected_causes[0]].real_cases > 0


def evaluation_text(result: Mapping[str, Any]) -> str:
    header = f"{'case':30} {'rank':>4} {'P(true)':>7} {'questions':>9} {'fix at':>6} {'min':>5} {'DD at':>5}"
    lines = [f"{header}  leading cause"]
    for r in result["cases"]:
        q = "-" if r["questions_asked"] is None else str(r["questions_asked"])
        rank = "-" if r["expected_cause_rank"] is None else str(r["expected_cause_rank"])
        pos = "-" if r["first_accepted_fix_position"] is None else str(r["first_accepted_fix_position"])
        mins = "-" if r["first_accepted_fix_minutes"] is None else f"{r['first_accepted_fix_minutes']:g}"
        dd = "-" if r["device_doctor_position"] is None else str(r["device_doctor_position"])
        lines.append(
            f"{r['id'][:30]:30} {rank:>4} {r['expected_cause_probability']:>7.0%} {q:>9} {pos:>6} "
            f"{mins:>5} {dd:>5}  {r['leading_cause']} ({r['leading_probability']:.0%})"
        )
    lines.append("")
    lines.extend(summary_lines(result))
    misses = [r for r in result["cases"] if r["expected_cause_rank"] != 1]
    if misses:
        lines.append("Misses (expected cause not ranked first):")
        for r in misses:
            where = "not shown" if r["expected_cause_rank"] is None else f"at rank {r['expected_cause_rank']}"
            lines.append(f"  - {r['id']}: expected cause {where} ({r['expected_cause_probability']:.0%})")
    return "\n".join(lines)


def explain_misses(
    kb: KnowledgeBase, cases: list[Case], interactive: bool = False, leave_one_out: bool = False
) -> list[dict[str, Any]]:
    """For each case whose expected cause is not ranked first: the prior and every rule or failed fix that moved
    the cause ranked first and the expected one, as factors on the odds (the knowledge engineer's blame list).

    The misses are those of the same run of :func:`evaluate`: with ``interactive`` the evidence is what the
    interview learned, with ``leave_one_out`` each real case is scored without its own counts."""
    result = []
    for case in cases:
        d, _ = _diagnose_case(
            held_out(kb, case) if leave_one_out and _counted(kb, case) else kb, case, interactive
        )
        truth = case.expected_causes[0]
        if d.causes[0].id == truth:
            continue
        rows = []
        for belief in (d.causes[0], d.cause(truth)):
            rows.append(
                {
                    "cause": belief.id,
                    "probability": round(belief.probability, 4),
                    "evidence": [
                        {
                            "kind": e.kind,
                            "id": e.source_id,
                            "factor": round(e.lr, 4),
                            "source": kb.rule(e.source_id).source if e.kind == "rule" else "",
                        }
                        for e in belief.evidence
                    ],
                }
            )
        result.append({"id": case.id, "wrong": rows[0], "expected": rows[1]})
    return result


def misses_text(misses: list[dict[str, Any]]) -> str:
    """The blame list in lines: for each miss, what lifted the wrong cause and what held the right one back."""
    lines = []
    for m in misses:
        w, e = m["wrong"], m["expected"]
        lines.append(
            f"{m['id']}: {w['cause']} ({w['probability']:.0%}) is ranked over {e['cause']} "
            f"({e['probability']:.0%})"
        )
        for label, row in (("lifted the wrong cause", w), ("held the expected cause", e)):
            # the base rate is a probability, every rule or failed fix a factor on the odds
            parts = [
                f"base rate {x['factor']:.1%}" if x["kind"] == "prior" else f"{x['id']} x{x['factor']:.3g}"
                for x in row["evidence"]
            ]
            lines.append(f"  {label}: {', '.join(parts)}")
    return "\n".join(lines) if lines else "No misses."
