"""Choosing the next question: the one whose answer is expected to lower the cost of repair the most.

Which question: the one with the largest expected information gain about the cause (the drop in entropy of the
single-fault cause distribution) per minute it costs. Whether to ask at all: decided by the expected cost of repair.

Myopic value of information (Heckerman et al. 1995): for a question o with cost C_o and possible answers k,
ECO(o) = C_o + sum_k P(o = k | evidence) x ECR_k(plan re-made after the answer k). It is compared with the cost of
not asking, judged under the same post-answer beliefs: sum_k P(o = k) x ECR_k(the current plan). Certainty factors
are not a probability model (an answer that matches no rule lowers nothing), so comparing with the ECR before the
answer would wrongly penalise questions that can reveal an expensive cause; judging both plans under the same
beliefs measures exactly what the answer is worth: how much better the plan becomes. Ask the question with the
saving is positive for some question; otherwise asking cannot pay for itself and the session moves on to the fixes.
The ECR saving alone is a poor guide to *which* question: with a flat belief it favours questions about rare,
expensive causes; information gain asks first what separates the leading hypotheses (measured on the case files:
interactive top-1 went from 0.68 to about 0.95, see docs/evaluation.md).

P(o = k | evidence) comes from the rules: under each cause c, answers that rules for c treat as evidence for c are
more likely, answers treated as evidence against less likely; mixed over the current cause probabilities.
The lookahead matches rules in pure Python (:func:`~photon_doctor.engine.diagnosis.match_rule`, the same
condition semantics as the experta network), because only the rules that test ``o`` can change.
"""

from __future__ import annotations

from collections.abc import Mapping
import math
from dataclasses import dataclass

from photon_doctor.engine.diagnosis import Diagnosis, assess, match_rule
from photon_doctor.engine.evidence import Observation, ObsValue, Provenance
from photon_doctor.engine.planning import evaluate_plan
from photon_doctor.engine.rete import Firing
from photon_doctor.knowledge.model import Kind, KnowledgeBase, ObservationDef

#: How strongly a rule's CF shapes the expected answer distribution under its cause.
_ANSWER_WEIGHT = 4.0
#: Minutes every question costs on top of finding the answer: reading it, thinking, typing. It keeps the
#: interview from asking questions that would save only seconds ("dumb questions", in EMYCIN's words).
QUESTION_OVERHEAD = 1.0
#: Below this expected information gain (nats per minute) a question is not worth the person's time.
MIN_GAIN_PER_MINUTE = 0.01


@dataclass(frozen=True)
class Outcome:
    """One possible answer and what it would do."""

    value: ObsValue
    probability: float
    ecr: float
    diagnosis: Diagnosis


@dataclass(frozen=True)
class QuestionValue:
    """The expected cost of asking ``obs`` (ECO) against the expected cost of carrying on without asking."""

    obs: str
    eco: float
    baseline: float  # expected cost of the current plan, judged under the post-answer beliefs
    ecr_now: float  # ECR of the current plan under the current beliefs
    outcomes: tuple[Outcome, ...]
    information_gain: float = 0.0  # expected drop in the entropy of the cause distribution (nats)
    cost: float = 1.0  # minutes, overhead included

    @property
    def gain_per_minute(self) -> float:
        return self.information_gain / self.cost

    @property
    def saving(self) -> float:
        """Minutes the question is expected to save, net of its own cost (positive: worth asking)."""
        return self.baseline - self.eco


def candidate_values(kb: KnowledgeBase, odef: ObservationDef) -> tuple[ObsValue, ...]:
    """The answers worth considering for ``odef``: enum values, yes/no, or values on each side of the
    thresholds the rules use for numbers and versions. Lists of tried fixes are not looked ahead."""
    if odef.kind is Kind.ENUM:
        return tuple(odef.choices)
    if odef.kind is Kind.BOOL:
        return (True, False)
    if odef.kind in (Kind.NUMBER, Kind.VERSION):
        thresholds = sorted(
            {c.value for r in kb.rules_using(odef.id) for c in r.conditions if c.obs == odef.id},
            key=lambda v: (str(type(v)), v),
        )
        values: list[ObsValue] = []
        for t in thresholds:
            if odef.kind is Kind.NUMBER:
                values.extend([float(t) - 5.0, float(t) + 5.0])
            else:
                values.extend(_around_version(str(t)))
        return tuple(dict.fromkeys(values))
    return ()


def _around_version(v: str) -> list[str]:
    parts = [int(p) for p in v.split("-")[0].split(".")] + [0, 0]
    major, minor, patch = parts[:3]
    below = f"{major}.{minor - 1}.0" if minor > 0 else (f"{major - 1}.9.0" if major > 0 else "0.0.1")
    return [below, f"{major}.{minor}.{patch}", f"{major}.{minor + 1}.0"]


def _base_rates(kb: KnowledgeBase, odef: ObservationDef, values: tuple[ObsValue, ...]) -> list[float]:
    """How common each answer is before the causes are considered. For yes/no questions the answer that argues
    for a cause is the unusual finding (a dent, a cloud incident, Bluetooth nearby): it gets 1/4, the other 3/4.
    Other kinds start uniform."""
    if odef.kind is not Kind.BOOL:
        return [1.0] * len(values)
    supports = [
        any(r.cf > 0 and all(c.holds(v) for c in r.conditions if c.obs == odef.id) for r in kb.rules_using(odef.id))
        for v in values
    ]
    if any(supports) and not all(supports):
        return [0.25 if s else 0.75 for s in supports]
    return [0.5] * len(values)


def answer_distribution(
    kb: KnowledgeBase, diagnosis: Diagnosis, odef: ObservationDef, values: tuple[ObsValue, ...]
) -> tuple[float, ...]:
    """P(o = k | evidence) for each candidate k: a base rate per answer, shaped under each cause by the rules
    for that cause (answers they count as evidence for it more likely, as evidence against less likely), mixed
    over the current cause probabilities."""
    base = _base_rates(kb, odef, values)
    mix = [0.0] * len(values)
    for belief in diagnosis.causes:
        if belief.probability <= 0:
            continue
        scores = []
        for v, b in zip(values, base):
            score = b
            for rule in kb.rules_for_cause(belief.id):
                conds = [c for c in rule.conditions if c.obs == odef.id]
                if conds and all(c.holds(v) for c in conds):
                    score *= 1.0 + _ANSWER_WEIGHT * rule.cf if rule.cf > 0 else 1.0 / (1.0 - _ANSWER_WEIGHT * rule.cf)
            scores.append(score)
        total = sum(scores)
        for i, sc in enumerate(scores):
            mix[i] += belief.probability * sc / total
    total = sum(mix) or 1.0
    return tuple(m / total for m in mix)


def what_if(
    kb: KnowledgeBase,
    observations: Mapping[str, Observation],
    firings: tuple[Firing, ...],
    obs_id: str,
    value: ObsValue,
) -> Diagnosis:
    """The diagnosis if ``obs_id`` were answered ``value``, given the current firings."""
    extended = dict(observations)
    extended[obs_id] = Observation(obs_id, value, 1.0, Provenance("what-if"))
    new = [f for r in kb.rules_using(obs_id) if (f := match_rule(r, extended)) is not None]
    return assess(kb, extended, (*firings, *new))


def current_firings(kb: KnowledgeBase, diagnosis: Diagnosis) -> tuple[Firing, ...]:
    """The firings behind ``diagnosis``, rebuilt from its trace."""
    return tuple(
        Firing(e.source_id, tuple((o.id, float(o.confidence)) for o in e.observations))
        for e in diagnosis.trace
        if e.kind == "rule"
    )


def value_of(
    kb: KnowledgeBase, observations: Mapping[str, Observation], diagnosis: Diagnosis, obs_id: str
) -> QuestionValue | None:
    """ECO of asking ``obs_id`` now, or None if no rule could use its answer."""
    odef = kb.observations[obs_id]
    values = candidate_values(kb, odef)
    if not values or not kb.rules_using(obs_id):
        return None
    probs = answer_distribution(kb, diagnosis, odef, values)
    firings = current_firings(kb, diagnosis)
    current_plan = [s.fix for s in diagnosis.plan]
    outcomes = []
    expected = baseline = 0.0
    rules = kb.rules_using(obs_id)
    for v, p in zip(values, probs):
        # An answer no rule reacts to leaves the beliefs as they are: no need to recompute them.
        reacts = any(all(c.holds(v) for c in r.conditions if c.obs == obs_id) for r in rules)
        d = what_if(kb, observations, firings, obs_id, v) if reacts else diagnosis
        outcomes.append(Outcome(v, p, d.ecr, d))
        expected += p * d.ecr
        probabilities = {c.id: c.probability for c in d.causes}
        baseline += p * evaluate_plan(kb, probabilities, current_plan)
    gain = entropy(diagnosis) - sum(o.probability * entropy(o.diagnosis) for o in outcomes)
    cost = odef.cost + QUESTION_OVERHEAD
    return QuestionValue(obs_id, cost + expected, baseline, diagnosis.ecr, tuple(outcomes), gain, cost)


def entropy(diagnosis: Diagnosis) -> float:
    """Entropy (nats) of the single-fault cause distribution: how undecided the diagnosis still is."""
    return -sum(c.probability * math.log(c.probability) for c in diagnosis.causes if c.probability > 0)


def rank_questions(
    kb: KnowledgeBase,
    observations: Mapping[str, Observation],
    diagnosis: Diagnosis,
    skip: frozenset[str] | set[str] = frozenset(),
) -> list[QuestionValue]:
    """Every askable, unanswered question with its value, best (most information per minute) first."""
    result = []
    for obs_id, odef in kb.observations.items():
        if obs_id in observations or obs_id in skip or not odef.askable or odef.kind is Kind.FIXES:
            continue
        qv = value_of(kb, observations, diagnosis, obs_id)
        if qv is not None:
            result.append(qv)
    result.sort(key=lambda q: (-q.gain_per_minute, -q.saving, q.obs))
    return result


def next_question(
    kb: KnowledgeBase,
    observations: Mapping[str, Observation],
    diagnosis: Diagnosis,
    skip: frozenset[str] | set[str] = frozenset(),
) -> QuestionValue | None:
    """The question to ask next, or None when the session should stop asking: the leading cause is clear, or
    no question is expected to save more than it costs, or none would teach enough per minute."""
    if diagnosis.leading_clear:
        return None
    ranked = rank_questions(kb, observations, diagnosis, skip)
    if not ranked or max(q.saving for q in ranked) <= 1e-9:
        return None  # no answer is expected to make the repair cheaper than the question costs
    if ranked[0].gain_per_minute < MIN_GAIN_PER_MINUTE:
        return None  # nothing left to learn that is worth the time
    return ranked[0]


__all__ = [
    "Outcome",
    "QuestionValue",
    "answer_distribution",
    "candidate_values",
    "next_question",
    "rank_questions",
    "value_of",
    "what_if",
]
