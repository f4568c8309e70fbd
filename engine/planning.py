"""Ordering the fixes decision-theoretically (Heckerman, Breese & Rommelse 1995; Kadane & Simon's P-over-C).

Single-fault assumption: exactly one cause is behind the failure, with the beliefs given. A fix resolves cause c
with probability q(fix, c). The plan is built greedily: at each step take the fix with the highest
P(it resolves the problem | every earlier fix failed) / cost, then update the beliefs as if it had failed. When
each fix addresses its own cause for certain this is exactly the p/c order; when several fixes address the same
cause it re-plans after each hypothetical failure, as the executor does after a real one.
ECR = sum over steps of P(still broken when the step starts) x cost, plus P(still broken after the whole plan) x
the residual cost (giving up and going to support: the most expensive fix in the knowledge base), so that a plan
that leaves a likely cause uncovered is not mistaken for a cheap one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from photon_doctor.knowledge.model import KnowledgeBase

#: Fixes whose chance of helping (given the earlier ones failed) is below MIN_P are left out; the plan stops when
#: none is left or once the chance that the problem is still there has fallen below MIN_REACH of what it was at
#: the start: no "support ticket" after 17 steps at 1 %.
MIN_P = 0.01
MIN_REACH = 0.01
#: A fix that erases data or cannot be undone must be this much better per minute to go before a harmless one
#: (ties and near-ties go to the harmless, reversible step): 10 % for a step that changes anything, 10 % more if it
#: cannot be undone.
RISK_HANDICAP = 0.1


@dataclass(frozen=True)
class PlanStep:
    """One fix in the plan, with its expected value."""

    fix: str
    p_success: float  # P(this fix resolves the problem | the earlier fixes failed)
    p_reach: float  # P(the problem is still there when this step starts)
    cost: float  # minutes
    ratio: float  # p_success / cost: the ordering key
    expected_cost: float  # p_reach x cost: this step's share of the ECR
    addresses: tuple[tuple[str, float], ...]  # (cause, q) pairs this fix resolves


def plan_fixes(
    kb: KnowledgeBase,
    probabilities: Mapping[str, float],
    exclude: set[str] | frozenset[str] = frozenset(),
    resolves: Mapping[str, Mapping[str, float]] | None = None,
) -> tuple[tuple[PlanStep, ...], float, float]:
    """Return (steps, ECR in minutes, probability left unresolved after the whole plan).

    ``resolves`` gives each fix's chances in the situation at hand (``KnowledgeBase.resolves_given``); by default
    the general chances of ``[fix.resolves]``.
    """
    chances = resolves if resolves is not None else {fid: f.resolves for fid, f in kb.fixes.items()}
    remaining = {c: p for c, p in probabilities.items() if p > 0}
    candidates = {
        fid: tuple(chances[fid].items())
        for fid in kb.fixes
        if fid not in exclude and any(c in remaining for c in chances[fid])
    }
    for tried in exclude:
        if tried in kb.fixes:
            after_same_action(kb, candidates, tried, chances[tried])
    steps: list[PlanStep] = []
    reach = sum(remaining.values())
    start = reach
    while candidates and reach > 1e-12 and reach > MIN_REACH * start:
        best: tuple[tuple[float, float, str], str, float] | None = None
        for fid, pairs in candidates.items():
            gain = 0.0
            for c, q in pairs:
                r = remaining.get(c)
                if r:
                    gain += r * q
            p = gain / reach
            if p < MIN_P:
                continue  # too unlikely to help now; a likelier (if slower) step may still be worth it
            cost = kb.fixes[fid].cost
            key = (p / cost / risk_handicap(kb, fid), -cost, fid)
            if best is None or key > best[0]:  # ties: the cheaper fix, then the id, so the plan is stable
                best = (key, fid, p)
        if best is None:
            break
        _, fid, p = best
        chosen = candidates.pop(fid)
        fix = kb.fixes[fid]
        steps.append(
            PlanStep(
                fix=fid,
                p_success=p,
                p_reach=reach,
                cost=fix.cost,
                ratio=p / fix.cost,
                expected_cost=reach * fix.cost,
                addresses=tuple(sorted(chosen, key=lambda kv: -kv[1])),
            )
        )
        for c, q in chosen:
            if c in remaining:
                remaining[c] *= 1.0 - q
        after_same_action(kb, candidates, fid, dict(chosen))
        reach = sum(remaining.values())
    reach = max(reach, 0.0)
    ecr = sum(s.expected_cost for s in steps) + reach * residual_cost(kb)
    return tuple(steps), ecr, reach


def after_same_action(
    kb: KnowledgeBase,
    candidates: dict[str, tuple[tuple[str, float], ...]],
    failed: str,
    failed_chances: Mapping[str, float],
) -> None:
    """Once ``failed`` is planned (or was tried) and assumed to have failed, a fix that carries out the same action
    (the same automation: both Device OS updates run `particle update`) can only add what it does beyond it:
    P(it works | the other failed, c) = (q - q_other) / (1 - q_other), nothing where q <= q_other. Updated in
    place; a fix with nothing left to add is dropped."""
    action = kb.fixes[failed].automation
    if action == "manual":
        return
    for fid in [f for f in candidates if kb.fixes[f].automation == action]:
        left = []
        for c, q in candidates[fid]:
            before = failed_chances.get(c, 0.0)
            if q > before and before < 1.0:
                left.append((c, (q - before) / (1.0 - before)))
        if left:
            candidates[fid] = tuple(left)
        else:
            del candidates[fid]


def risk_handicap(kb: KnowledgeBase, fix_id: str) -> float:
    """A tie-breaker, not a veto: 10 % for a step that changes anything, 10 % more if it cannot be undone. How
    much it risks (settings, data, the firmware) is a matter of consent (actions/consent.py), not of order."""
    fix = kb.fixes[fix_id]
    return float(1.0 + RISK_HANDICAP * (min(fix.risk.rank, 1) + (0 if fix.reversible else 1)))


def residual_cost(kb: KnowledgeBase) -> float:
    """What it costs when no planned fix works: the most expensive fix (a support ticket, a replacement)."""
    return max((f.cost for f in kb.fixes.values()), default=0.0)


def evaluate_plan(
    kb: KnowledgeBase,
    probabilities: Mapping[str, float],
    fix_ids: list[str] | tuple[str, ...],
    resolves: Mapping[str, Mapping[str, float]] | None = None,
) -> float:
    """The ECR of following ``fix_ids`` in that order when the beliefs are ``probabilities``."""
    remaining = {c: p for c, p in probabilities.items() if p > 0}
    ecr = 0.0
    for fid in fix_ids:
        fix = kb.fixes[fid]
        ecr += sum(remaining.values()) * fix.cost
        for c, q in (resolves[fid] if resolves is not None else fix.resolves).items():
            if c in remaining:
                remaining[c] *= 1.0 - q
    return ecr + max(sum(remaining.values()), 0.0) * residual_cost(kb)
