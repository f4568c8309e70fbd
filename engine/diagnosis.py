"""The pure diagnosis core: knowledge + observations in; ranked causes, a fix plan and a trace out.

No prompts, printing, sleeping or I/O happen here. The rules are matched by the experta network
(:mod:`photon_doctor.engine.rete`); the certainty arithmetic and the ranking are plain Python.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from photon_doctor.engine.certainty import THRESHOLD, combine, combine_all, conclusion
from photon_doctor.engine.evidence import Observation
from photon_doctor.engine.planning import PlanStep, plan_fixes
from photon_doctor.engine.rete import Firing, RuleMatcher
from photon_doctor.knowledge.model import KnowledgeBase, RuleDef

#: A fix that was tried and did not help is evidence against each cause it resolves, scaled by this weight.
TRIED_FIX_WEIGHT = 0.8
#: The leading cause is "clear" when its certainty reaches this and leads the next one by LEAD_MARGIN.
CLEAR_CERTAINTY = 0.8
LEAD_MARGIN = 0.3


@dataclass(frozen=True)
class TraceEntry:
    """One piece of evidence for or against a cause: a rule that fired, a prior, or a fix that failed."""

    kind: str  # "prior" | "rule" | "tried_fix"
    source_id: str  # the rule id, the cause id (prior) or the fix id
    cause: str
    cf: float  # the rule's CF (or the prior, or -weight*q)
    strength: float  # the weakest matched premise (1.0 for priors)
    contribution: float  # what it added: cf x strength
    observations: tuple[Observation, ...] = ()


@dataclass(frozen=True)
class CauseBelief:
    """A cause's combined certainty and the evidence behind it."""

    id: str
    certainty: float
    prior: float
    probability: float  # normalised belief used for planning (single-fault assumption)
    evidence: tuple[TraceEntry, ...]

    @property
    def supported(self) -> bool:
        """True when at least one rule argued for it: only supported causes are shown as likely."""
        return any(e.kind == "rule" and e.contribution > 0 for e in self.evidence)

    @property
    def likely(self) -> bool:
        return self.supported and self.certainty > THRESHOLD


@dataclass(frozen=True)
class Diagnosis:
    """The result of one diagnosis step."""

    causes: tuple[CauseBelief, ...]  # every cause, ranked by certainty (highest first)
    plan: tuple[PlanStep, ...]  # fixes in decision-theoretic order
    ecr: float  # expected cost (minutes) of repair following the plan
    unresolved: float  # probability that no fix in the plan resolves the problem
    trace: tuple[TraceEntry, ...]  # every rule that fired (in knowledge order), then the failed fixes
    observations: tuple[Observation, ...]

    @property
    def ranked(self) -> tuple[CauseBelief, ...]:
        """The causes with support, best first (what a person is shown as likely)."""
        return tuple(c for c in self.causes if c.supported and c.certainty > 0)

    @property
    def leading_clear(self) -> bool:
        """True when the leading cause is clear: certain enough and well ahead of the next."""
        ranked = self.ranked
        if not ranked or ranked[0].certainty < CLEAR_CERTAINTY:
            return False
        return len(ranked) == 1 or ranked[0].certainty - ranked[1].certainty >= LEAD_MARGIN

    def cause(self, cause_id: str) -> CauseBelief:
        for c in self.causes:
            if c.id == cause_id:
                return c
        raise KeyError(cause_id)

    def step(self, fix_id: str) -> PlanStep | None:
        for s in self.plan:
            if s.fix == fix_id:
                return s
        return None


_matchers: dict[int, tuple[weakref.ref[KnowledgeBase], RuleMatcher]] = {}
_matchers_lock = threading.Lock()


def matcher_for(kb: KnowledgeBase) -> RuleMatcher:
    """The compiled experta network for ``kb``, built on first use and kept while ``kb`` lives."""
    key = id(kb)
    with _matchers_lock:
        entry = _matchers.get(key)
        if entry is not None and entry[0]() is kb:
            return entry[1]
        matcher = RuleMatcher(kb.rules)

        def forget(_ref: weakref.ref[KnowledgeBase], k: int = key) -> None:
            _matchers.pop(k, None)

        _matchers[key] = (weakref.ref(kb, forget), matcher)
        return matcher


def diagnose(kb: KnowledgeBase, observations: Mapping[str, Observation]) -> Diagnosis:
    """Run the rules over ``observations`` and return the ranked causes, the fix plan and the trace."""
    firings = matcher_for(kb).match(observations)
    return assess(kb, observations, firings)


def match_rule(rule: RuleDef, observations: Mapping[str, Observation]) -> Firing | None:
    """Pure-Python match of one rule (same semantics as the experta network): used for what-if lookahead."""
    strengths = []
    for cond in rule.conditions:
        obs = observations.get(cond.obs)
        if obs is None or not cond.holds(obs.value):
            return None
        strengths.append((cond.obs, float(obs.confidence)))
    return Firing(rule.id, tuple(strengths))


def assess(kb: KnowledgeBase, observations: Mapping[str, Observation], firings: Iterable[Firing]) -> Diagnosis:
    """Turn rule firings into beliefs, a ranking and a plan (no matching here)."""
    rules = {r.id: r for r in kb.rules}
    evidence: dict[str, list[TraceEntry]] = {
        cid: [TraceEntry("prior", cid, cid, c.prior, 1.0, c.prior)] for cid, c in kb.causes.items()
    }
    trace: list[TraceEntry] = []
    order = {r.id: i for i, r in enumerate(kb.rules)}
    for firing in sorted(firings, key=lambda f: order[f.rule_id]):
        rule = rules[firing.rule_id]
        contribution = conclusion(rule.cf, (s for _, s in firing.strengths))
        if contribution == 0.0:
            continue
        matched = tuple(observations[obs_id] for obs_id in dict(firing.strengths))
        entry = TraceEntry(
            "rule", rule.id, rule.cause, rule.cf, min(s for _, s in firing.strengths), contribution, matched
        )
        evidence[rule.cause].append(entry)
        trace.append(entry)
    tried = observations.get("fixes_tried_failed")
    tried_ids: tuple[str, ...] = ()
    if tried is not None and isinstance(tried.value, tuple):
        tried_ids = tried.value
        for fix_id in tried_ids:
            fix = kb.fixes.get(fix_id)
            if fix is None:
                continue
            for cause_id, q in fix.resolves.items():
                cf = -TRIED_FIX_WEIGHT * q
                entry = TraceEntry("tried_fix", fix_id, cause_id, cf, float(tried.confidence),
                                   cf * tried.confidence, (tried,))
                evidence[cause_id].append(entry)
                trace.append(entry)

    # MYCIN keeps belief and disbelief apart and combines them last, so the result does not depend on the
    # order in which evidence arrived (the mixed-sign formula is not associative).
    certainties = {}
    for cid, entries in evidence.items():
        belief = combine_all(e.contribution for e in entries if e.contribution > 0)
        disbelief = combine_all(e.contribution for e in entries if e.contribution < 0)
        certainties[cid] = combine(belief, disbelief)
    probabilities = _probabilities(kb, certainties)
    beliefs = [
        CauseBelief(cid, round(certainties[cid], 6), kb.causes[cid].prior, probabilities[cid], tuple(evidence[cid]))
        for cid in kb.causes
    ]
    # Rank by certainty; ties by prior, then id, so the order never depends on the order of the answers.
    beliefs.sort(key=lambda b: (-b.certainty, -b.prior, b.id))
    plan, ecr, unresolved = plan_fixes(kb, probabilities, exclude=set(tried_ids))
    return Diagnosis(
        causes=tuple(beliefs),
        plan=plan,
        ecr=ecr,
        unresolved=unresolved,
        trace=tuple(trace),
        observations=tuple(observations[k] for k in sorted(observations)),
    )


def _probabilities(kb: KnowledgeBase, certainties: Mapping[str, float]) -> dict[str, float]:
    """Single-fault beliefs for planning: positive certainties normalised to sum to one (priors if none)."""
    weights = {cid: max(cf, 0.0) for cid, cf in certainties.items()}
    total = sum(weights.values())
    if total <= 0:
        weights = {cid: c.prior for cid, c in kb.causes.items()}
        total = sum(weights.values()) or 1.0
    return {cid: w / total for cid, w in weights.items()}
