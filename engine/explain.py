"""Explanations: WHY a question is asked, HOW a cause was concluded, WHY a fix comes where it does.

Pure functions returning plain dictionaries (stable, JSON-ready) and their text renderings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from photon_doctor.engine.certainty import in_words
from photon_doctor.engine.diagnosis import Diagnosis, TraceEntry, situation
from photon_doctor.engine.questions import (
    CHECKLIST_PREFIX,
    candidate_values,
    current_firings,
    question_def,
    what_if,
)
from photon_doctor.foundation.evidence import Observation, ObsValue
from photon_doctor.foundation.ids import FIXES_TRIED_FAILED
from photon_doctor.knowledge.model import KnowledgeBase


def _obs_dict(o: Observation) -> dict[str, Any]:
    return {
        "id": o.id,
        "value": list(o.value) if isinstance(o.value, tuple) else o.value,
        "confidence": o.confidence,
        "source": o.provenance.source.value,
        "detail": o.provenance.detail,
    }


def _entry_dict(kb: KnowledgeBase, e: TraceEntry) -> dict[str, Any]:
    d: dict[str, Any] = {
        "kind": e.kind,
        "id": e.source_id,
        "cf": round(e.cf, 4),
        "strength": round(e.strength, 4),
        "contribution": round(e.contribution, 4),  # natural log of the factor (negative: evidence against)
        "factor": round(e.lr, 4),  # what it multiplied the cause's odds by (the prior odds, for a prior)
        "observations": [_obs_dict(o) for o in e.observations],
    }
    if e.kind == "rule":
        rule = kb.rule(e.source_id)
        d["conditions"] = [c.describe() for c in rule.conditions]
        d["rationale"] = rule.rationale
        d["source"] = rule.source
    elif e.kind == "tried_fix":
        fix = kb.fixes[e.source_id]
        d["rationale"] = f"'{fix.title}' was tried and did not help, so a cause it resolves is less likely."
        d["source"] = FIXES_TRIED_FAILED
    else:
        d["rationale"] = "how common this cause is before any evidence"
        d["source"] = "; ".join(kb.causes[e.cause].sources)
    return d


def why_question(
    kb: KnowledgeBase, observations: Mapping[str, Observation], diagnosis: Diagnosis, obs_id: str
) -> dict[str, Any]:
    """WHY is ``obs_id`` asked: what each answer would raise or lower, and the rules that wait on it."""
    odef = question_def(kb, observations, obs_id)
    before = {c.id: c.certainty for c in diagnosis.causes}
    firings = current_firings(kb, diagnosis)
    answers = []
    # A checklist: what each line would change if ticked (its observation answered with the line's value).
    asked: list[tuple[str, ObsValue, ObsValue]] = (
        [
            (i.obs, i.value, i.text)
            for i in kb.checklists[obs_id[len(CHECKLIST_PREFIX) :]].items
            if i.key in odef.choices
        ]
        if obs_id.startswith(CHECKLIST_PREFIX)
        else [(obs_id, v, v) for v in candidate_values(kb, odef)]
    )
    for target, v, shown in asked:
        after = what_if(kb, observations, firings, target, v)
        moved = [
            (c.id, before[c.id], c.certainty) for c in after.causes if abs(c.certainty - before[c.id]) > 0.005
        ]
        moved.sort(key=lambda m: -abs(m[2] - m[1]))
        changes = [{"cause": cid, "before": round(b, 4), "after": round(a, 4)} for cid, b, a in moved]
        first = after.plan[0].fix if after.plan else None
        answers.append({"value": shown, "changes": changes, "first_fix": first, "ecr": round(after.ecr, 2)})
    waiting: list[dict[str, Any]] = []
    for rule in kb.rules_using(obs_id):
        known: list[str] = []
        needed: list[str] = []
        contradicted = False
        for cond in rule.conditions:
            if cond.obs == obs_id:
                continue
            o = observations.get(cond.obs)
            if o is None:
                needed.append(cond.describe())
            elif cond.holds(o.value):
                known.append(cond.describe())
            else:
                contradicted = True
        if contradicted:
            continue
        waiting.append(
            {
                "rule": rule.id,
                "cause": rule.cause,
                "cf": rule.cf,
                "tests": [c.describe() for c in rule.conditions if c.obs == obs_id],
                "known": known,
                "still_needed": needed,
                "rationale": rule.rationale,
            }
        )
    waiting.sort(key=lambda w: (len(w["still_needed"]), -abs(w["cf"])))
    return {
        "question": obs_id,
        "text": odef.question,
        "cost_minutes": odef.cost,
        "ecr_now": round(diagnosis.ecr, 2),
        "answers": answers,
        "rules_waiting": waiting,
    }


def how_cause(kb: KnowledgeBase, diagnosis: Diagnosis, cause_id: str) -> dict[str, Any]:
    """HOW was ``cause_id`` concluded: its prior, the evidence for it and against it, with sources."""
    belief = diagnosis.cause(cause_id)
    cause = kb.causes[cause_id]
    rank = next((i + 1 for i, c in enumerate(diagnosis.ranked) if c.id == cause_id), None)
    return {
        "cause": cause_id,
        "title": cause.title,
        "description": cause.description,
        "certainty": round(belief.certainty, 4),
        "probability": round(belief.probability, 4),
        "in_words": in_words(belief.certainty),
        "rank": rank,
        "likely": belief.likely,
        "prior": belief.prior,
        "for": [_entry_dict(kb, e) for e in belief.evidence if e.kind != "prior" and e.contribution > 0],
        "against": [_entry_dict(kb, e) for e in belief.evidence if e.kind != "prior" and e.contribution < 0],
        "fixes": [f.id for f in kb.fixes_for_cause(cause_id)],
    }


def why_fix(kb: KnowledgeBase, diagnosis: Diagnosis, fix_id: str) -> dict[str, Any]:
    """WHY this fix: the causes it addresses, their certainties, its cost and risk, and its place in the plan."""
    fix = kb.fixes[fix_id]
    position = next((i for i, s in enumerate(diagnosis.plan) if s.fix == fix_id), None)
    step = diagnosis.plan[position] if position is not None else None
    addresses = [
        {
            "cause": c,
            "resolves_probability": q,
            "certainty": round(diagnosis.cause(c).certainty, 4),
            "probability": round(diagnosis.cause(c).probability, 4),
        }
        for c, q in sorted(diagnosis.resolves_of(fix).items(), key=lambda kv: -kv[1])
    ]
    result: dict[str, Any] = {
        "fix": fix_id,
        "title": fix.title,
        "description": fix.description,
        "addresses": addresses,
        "cost_minutes": fix.cost,
        "risk": fix.risk.value,
        "reversible": fix.reversible,
        "changes": fix.changes,
        "automation": fix.automation,
        "steps": list(fix.steps),
        "position": None if position is None else position + 1,
        "situation": [
            {"cause": cq.cause, "resolves_probability": cq.q, "why": cq.why, "source": cq.source}
            for cq in fix.situations(situation({o.id: o for o in diagnosis.observations}))
        ],
    }
    if step is None:
        tried = any(e.kind == "tried_fix" and e.source_id == fix_id for e in diagnosis.trace)
        known = {o.id: o for o in diagnosis.observations}
        done = fix.done(situation(known))
        if done:
            # the answers that report it done: the observations of its done_when
            result["done_by"] = [
                {
                    "observation": c.obs,
                    "value": known[c.obs].value,
                    "source": known[c.obs].provenance.source.value,
                }
                for c in fix.done_when
                if c.obs in known
            ]
        result["reason"] = (
            "already tried without success"
            if tried or done
            else fix.applies_why
            if not fix.applies(situation(known))
            else "too unlikely to help now, given what is known"
        )
        return result
    result.update(
        {
            "p_success": round(step.p_success, 4),
            "p_reach": round(step.p_reach, 4),
            "ratio": round(step.ratio, 5),
            "expected_cost": round(step.expected_cost, 3),
        }
    )
    assert position is not None
    if position + 1 < len(diagnosis.plan):
        nxt = diagnosis.plan[position + 1]
        result["before_next"] = {
            "fix": nxt.fix,
            "ratio": round(nxt.ratio, 5),
            "reason": (
                f"{fix_id} has the higher chance of success per minute "
                f"({step.p_success:.0%} in {step.cost:g} min vs {nxt.p_success:.0%} in {nxt.cost:g} min "
                f"once {fix_id} has failed)"
            ),
        }
    if position > 0:
        prev = diagnosis.plan[position - 1]
        result["after_previous"] = {"fix": prev.fix, "ratio": round(prev.ratio, 5)}
    return result
