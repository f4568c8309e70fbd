"""Explanations: WHY a question is asked, HOW a cause was concluded, WHY a fix comes where it does.

Pure functions returning plain dictionaries (stable, JSON-ready) and their text renderings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from photon_doctor.engine.certainty import in_words
from photon_doctor.engine.diagnosis import Diagnosis, TraceEntry, done_fixes, situation
from photon_doctor.engine.observe import CheckStep, check_first
from photon_doctor.engine.planning import MIN_P, MIN_REACH, after_same_action, risk_handicap
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
        top = after.causes[0]
        answers.append(
            {
                "value": shown,
                "changes": changes,
                "leading": {"cause": top.id, "probability": round(top.probability, 4)},
                "first_fix": first,
                "ecr": round(after.ecr, 2),
            }
        )
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
    result: dict[str, Any] = {
        "question": obs_id,
        "text": odef.question,
        "cost_minutes": odef.cost,
        "ecr_now": round(diagnosis.ecr, 2),
        "answers": answers,
        "rules_waiting": waiting,
    }
    if obs_id not in observations and obs_id in kb.observations:
        check = check_first(kb, observations, diagnosis)
        if check is not None and check.obs == obs_id:  # the check the plan shows before its first fix
            result["check_first"] = check_json(kb, check)
    return result


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
        result.update(
            {"reason": "already tried without success"}
            if tried or done
            else {"reason": fix.applies_why}
            if not fix.applies(situation(known))
            else _left_out(kb, diagnosis, fix_id)
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
    if position == 0:
        check = check_first(kb, {o.id: o for o in diagnosis.observations}, diagnosis)
        if check is not None:
            result["check_first"] = check_json(kb, check)
    if position + 1 < len(diagnosis.plan):
        result["before_next"] = {"fix": diagnosis.plan[position + 1].fix, **_order(kb, diagnosis, position)}
    else:
        result["last"] = _last(diagnosis)
    if position > 0:
        result["after_previous"] = {
            "fix": diagnosis.plan[position - 1].fix,
            **_order(kb, diagnosis, position - 1),
        }
    return result


def check_json(kb: KnowledgeBase, check: CheckStep) -> dict[str, Any]:
    """Observe-repair: the check worth doing before the first fix, and the first fix after each of its answers."""
    return {
        "observation": check.obs,
        "question": kb.observations[check.obs].question,
        "cost_minutes": check.cost,
        "eco_minutes": round(check.eco, 2),
        "ecr_minutes": round(check.ecr, 2),
        "outcomes": [{"value": v, "probability": round(p, 4), "first_fix": f} for v, p, f in check.outcomes],
    }


# ------------------------------------------------------------------------------- why one step before the next
#: The plan's reasons for putting a step before the next (engine/planning.py), as ``before_next["because"]``.
BETTER_PER_MINUTE = "chance_per_minute"  # the earlier step's chance per minute was the higher one
LESS_RISK = "less_risk"  # the later one was a little better per minute, but it risks more (the handicap)
TOO_UNLIKELY_YET = "too_unlikely_yet"  # the later one had under MIN_P until the earlier one failed
QUICKER = "quicker"  # the same chance per minute and risk: the quicker step first
EITHER = "either"  # the same chance per minute, risk and time: the order between them is the plan's tie-break


def _remaining(diagnosis: Diagnosis, position: int) -> dict[str, float]:
    """Each cause's probability that it is still the problem when step ``position`` (0-based) starts, the earlier
    steps having failed (unnormalised, as the planner keeps it)."""
    remaining = {c: p for c, p in diagnosis.probabilities.items() if p > 0}
    for s in diagnosis.plan[:position]:
        for c, q in s.addresses:
            if c in remaining:
                remaining[c] *= 1.0 - q
    return remaining


def _chances(kb: KnowledgeBase, diagnosis: Diagnosis, fix_id: str, position: int) -> dict[str, float]:
    """The chances ``fix_id`` resolves each cause as the planner held them when step ``position`` starts: a fix
    that carries out the same action as one tried, or as an earlier step, counts only for what it adds."""
    held = {fix_id: tuple(diagnosis.resolves_of(kb.fixes[fix_id]).items())}
    for tried in sorted(done_fixes(kb, {o.id: o for o in diagnosis.observations})):
        if tried in kb.fixes and fix_id in held:
            after_same_action(kb, held, tried, diagnosis.resolves_of(kb.fixes[tried]))
    for s in diagnosis.plan[:position]:
        if fix_id in held:
            after_same_action(kb, held, s.fix, dict(s.addresses))
    return dict(held.get(fix_id, ()))


def _chance_at(kb: KnowledgeBase, diagnosis: Diagnosis, fix_id: str, position: int) -> float:
    """P(``fix_id`` resolves the problem | the steps before ``position`` failed): its chance had it come there."""
    remaining = _remaining(diagnosis, position)
    reach = sum(remaining.values())
    if reach <= 0:
        return 0.0
    return (
        sum(remaining.get(c, 0.0) * q for c, q in _chances(kb, diagnosis, fix_id, position).items()) / reach
    )


def _order(kb: KnowledgeBase, diagnosis: Diagnosis, position: int) -> dict[str, Any]:
    """Why step ``position`` (0-based) comes before the next one: both chances compared at the same point, when the
    earlier step starts (the plan's column shows the later one's chance once the earlier has failed), and which
    of the planner's reasons decided (docs/knowledge-format.md, "The plan")."""
    first, second = diagnosis.plan[position], diagnosis.plan[position + 1]
    then = _chance_at(kb, diagnosis, second.fix, position)
    mine, theirs = first.p_success / first.cost, then / second.cost
    if mine > theirs * (1 + 1e-9):
        because = BETTER_PER_MINUTE
    elif then < MIN_P:
        because = TOO_UNLIKELY_YET
    elif theirs > mine * (1 + 1e-9) or risk_handicap(kb, second.fix) > risk_handicap(kb, first.fix):
        because = LESS_RISK
    else:
        because = QUICKER if first.cost < second.cost else EITHER
    a, b = first.fix, second.fix
    reason = {
        BETTER_PER_MINUTE: f"{a} has the higher chance of success per minute "
        f"({first.p_success:.0%} in {first.cost:g} min vs {then:.0%} in {second.cost:g} min for {b} at that point)",
        LESS_RISK: f"{b} risks more (its risk, or it cannot be undone), and its chance per minute is not better by "
        f"enough to go first ({then:.0%} in {second.cost:g} min vs {first.p_success:.0%} in {first.cost:g} min)",
        TOO_UNLIKELY_YET: f"{b} has under {MIN_P:.0%} chance of success until {a} has failed ({then:.1%})",
        QUICKER: f"the same chance per minute; {a} takes less time",
        EITHER: f"the same chance per minute, time and risk; {a} comes first by its id",
    }[because]
    return {
        "ratio": round(second.ratio, 5),
        "because": because,
        "reason": reason,
        # compared when the earlier step starts: its chance and the later step's chance at that point
        "first_p_success": round(first.p_success, 4),
        "first_cost_minutes": first.cost,
        "second_p_success_then": round(then, 4),
        "second_cost_minutes": second.cost,
    }


def _last(diagnosis: Diagnosis) -> dict[str, Any]:
    """Why the plan ends after its last step: the chance left is negligible, or no fix left would help enough."""
    start = sum(p for p in diagnosis.probabilities.values() if p > 0)
    stops = diagnosis.unresolved <= MIN_REACH * start
    return {
        "because": "negligible_left" if stops else "nothing_likely_left",
        "unresolved": round(diagnosis.unresolved, 4),
    }


def _left_out(kb: KnowledgeBase, diagnosis: Diagnosis, fix_id: str) -> dict[str, Any]:
    """Why a fix that applies and was not tried is not in the plan: it adds nothing to a step that carries out the
    same action, the plan stopped before it, or its chance of helping is too small."""
    end = len(diagnosis.plan)
    same = [
        s.fix
        for s in diagnosis.plan
        if kb.fixes[s.fix].automation == kb.fixes[fix_id].automation
        and kb.fixes[fix_id].automation != "manual"
    ]
    if same and not _chances(kb, diagnosis, fix_id, end):
        return {
            "reason": f"it carries out the same action as {same[0]}, and adds nothing to it",
            "left_out": "same_action",
            "same_as": same[0],
        }
    remaining = _remaining(diagnosis, end)
    start = sum(p for p in diagnosis.probabilities.values() if p > 0)
    then = _chance_at(kb, diagnosis, fix_id, end)
    if end and then >= MIN_P and sum(remaining.values()) <= MIN_REACH * start:
        return {
            "reason": f"the plan stops after {end} steps: after them the problem is still there in under "
            f"{MIN_REACH:.0%} of cases",
            "left_out": "plan_stops",
            "p_success_then": round(then, 4),
        }
    return {
        "reason": "too unlikely to help now, given what is known",
        "left_out": "too_unlikely",
        "p_success_then": round(then, 4),
    }
