"""Observe-repair: a cheap check that separates the leading causes may come before a costly fix.

Heckerman, Breese & Rommelse (1995), "Decision-theoretic troubleshooting" (../shared/reference/expert-systems.md
§3): besides the repair sequence, whose expected cost is ECR, consider each observation o that is not yet known.
Its expected cost of observation is

    ECO(o) = cost(o) + sum over answers v of P(o = v | evidence) x ECR(the plan re-made after o = v)

and o is worth doing first when ECO(o) < ECR. The answer probabilities and the posteriors after each answer are the
question ranker's (:func:`photon_doctor.engine.questions.value_of`: a what-if answer is a multiplication), the
plans after each answer are :func:`~photon_doctor.engine.planning.plan_fixes` again. The check is assumed to give an
answer (it is something to do or look at, not something to remember).

Which observations are checks: yes/no observations a rule can use, that a person can do or a probe can read,
that cost less
than the first fix of the plan (a check dearer than the fix it might save is not cheap), and that are not items of
a checklist marked ``settles`` (those are remembered facts; asking again cannot change the answer). Yes/no only:
the answer model gives a yes/no answer a base rate (the finding that argues for a cause is the unusual one, 1/4),
while it takes enum and version answers as equally likely, which overrates rare answers (a 5 GHz-only network
would come out a third of the time) and so the value of checking them. Only the :data:`CANDIDATES` most
informative per minute are re-planned, to keep this fast. Pure functions; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from photon_doctor.engine.diagnosis import Diagnosis, done_fixes, situation
from photon_doctor.engine.planning import plan_fixes
from photon_doctor.engine.questions import value_of
from photon_doctor.foundation.evidence import Observation, ObsValue
from photon_doctor.knowledge.model import Kind, KnowledgeBase

#: How many candidate checks (the most informative per minute) are re-planned answer by answer.
CANDIDATES = 8
#: A check is shown only if an answer at least this likely changes the first fix (it separates the leading causes).
MIN_SWITCH = 0.1
#: A check must save at least this many minutes of expected repair to be proposed (not a rounding artefact).
MIN_SAVING = 0.5


@dataclass(frozen=True)
class CheckStep:
    """A check to do before the fixes: what it costs, what it is expected to save, and where each answer leads."""

    obs: str
    cost: float  # minutes
    eco: float  # expected minutes: the check plus the repair after its answer
    ecr: float  # expected minutes of repair without the check (the plan's ECR)
    outcomes: tuple[
        tuple[ObsValue, float, str | None], ...
    ]  # (answer, its probability, the first fix after it)

    @property
    def saving(self) -> float:
        return self.ecr - self.eco


def settled_observations(kb: KnowledgeBase) -> set[str]:
    """The observations that are remembered rather than checked: the items of every ``settles`` checklist."""
    return {o for cl in kb.checklists.values() if cl.settles for o in cl.observations}


def check_first(
    kb: KnowledgeBase,
    observations: Mapping[str, Observation],
    diagnosis: Diagnosis,
    skip: frozenset[str] | set[str] = frozenset(),
) -> CheckStep | None:
    """The check whose ECO is lowest, if it is below the plan's ECR by at least :data:`MIN_SAVING` minutes."""
    if not diagnosis.plan:
        return None
    first_cost = diagnosis.plan[0].cost
    remembered = settled_observations(kb)
    scored = []
    for obs_id, odef in kb.observations.items():
        if (
            obs_id in observations
            or obs_id in skip
            or obs_id in remembered
            or odef.kind is not Kind.BOOL
            or not (odef.askable or odef.probes)
            or odef.cost >= first_cost
        ):
            continue
        qv = value_of(kb, observations, diagnosis, obs_id)
        if qv is not None and qv.information_gain > 0:
            scored.append(qv)
    scored.sort(key=lambda q: (-q.gain_per_minute, q.obs))
    exclude = done_fixes(kb, observations)
    now = situation(observations)
    fixes_done_when = [(fid, f) for fid, f in kb.fixes.items() if f.done_when]
    best: CheckStep | None = None
    for qv in scored[:CANDIDATES]:
        cost = kb.observations[qv.obs].cost
        eco = cost
        outcomes = []
        total = sum(o.probability for o in qv.outcomes) or 1.0
        for o in qv.outcomes:
            # The plan after this answer, with each fix's chance in the situation the answer makes (and without a
            # fix the answer reports as done without success).
            after = {**now, qv.obs: o.value}
            done = exclude | {fid for fid, f in fixes_done_when if f.done(after)}
            plan, ecr, _ = plan_fixes(kb, o.posterior, done, kb.resolves_given(after))
            p = o.probability / total
            eco += p * ecr
            outcomes.append((o.value, p, plan[0].fix if plan else None))
        step = CheckStep(qv.obs, cost, eco, diagnosis.ecr, tuple(outcomes))
        if not any(p >= MIN_SWITCH and first != diagnosis.plan[0].fix for _, p, first in outcomes):
            continue  # whatever the answer, the same fix comes first: nothing for the owner to decide on
        if best is None or step.eco < best.eco:
            best = step
    if best is None or best.saving < MIN_SAVING:
        return None
    return best
