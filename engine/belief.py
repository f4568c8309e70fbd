"""The belief model: one Bayesian posterior over the causes, under the single-fault assumption.

Exactly one cause is behind "my Photon does not reach the cloud"; ``unknown_cause`` stands for everything the
knowledge base does not know. Each cause starts at its base rate (:func:`base_rates`); each piece of evidence
multiplies the odds of one cause by a likelihood ratio:

* a rule that fires multiplies its cause by its ratio ``lr`` (raised to the strength of its weakest premise, so an
  observation given at confidence 0.5 counts half in log-odds; premises at or below :data:`THRESHOLD` count as
  false, EMYCIN's cut-off);
* a fix tried without success multiplies each cause it resolves by ``1 - q`` (the chance it would have failed
  had that been the cause);
* an answer of "don't know" is no observation at all, so it changes nothing.

The posterior is the normalised product: P(c | e) ∝ prior(c) x Π λ. Everything is a product, so the order in
which answers arrive never matters, and a what-if answer is a multiplication, not a re-assessment.
Pure functions; no I/O.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections.abc import Iterable, Mapping

from photon_doctor.knowledge.model import KnowledgeBase

#: The cause that stands for "something the knowledge base does not know".
UNKNOWN_CAUSE = "unknown_cause"
#: A premise counts as true only when its confidence is above this (EMYCIN's 0.2 cut-off).
THRESHOLD = 0.2
#: How many cases the author's base rates are worth when blended with the counts of real cases (a Dirichlet
#: prior): the author's estimate and the 26 public real cases weigh the same.
PRIOR_WEIGHT = 52.0
#: A failed fix never makes a cause impossible: the person may have done it wrong (1 - q is kept above this).
MIN_FAILED_FACTOR = 0.05
#: Every rule's ratio is applied raised to this power (calibration). With the authors' ratios as written the
#: posteriors were under-confident on every case set: where the leading cause was given 40-80 % it was right
#: every time (docs/evaluation.md). 1.5 is the largest weight that leaves the interview's figures on every case
#: set no worse (evaluate --interactive: top-1, top-3, position of the working fix); the Brier score alone would
#: ask for 2.5 or more, which would be over-confident wherever the knowledge is wrong.
EVIDENCE_WEIGHT = 1.5

_rates: dict[int, tuple[weakref.ref[KnowledgeBase], dict[str, float]]] = {}
_rates_lock = threading.Lock()


def base_rates(kb: KnowledgeBase, held_out: Mapping[str, int] | None = None) -> dict[str, float]:
    """Prior probability of each cause, summing to 1.

    The author's ``prior`` fields (normalised) act as :data:`PRIOR_WEIGHT` pseudo-cases and are blended with
    ``real_cases``, the number of public real cases whose confirmed cause it was. ``held_out`` removes cases from
    those counts (leave-one-out evaluation: a case must not vote for its own prior).
    """
    if held_out:
        return _base_rates(kb, held_out)
    key = id(kb)
    with _rates_lock:
        entry = _rates.get(key)
        if entry is not None and entry[0]() is kb:
            return entry[1]
        rates = _base_rates(kb, {})

        def forget(_ref: weakref.ref[KnowledgeBase], k: int = key) -> None:
            _rates.pop(k, None)

        _rates[key] = (weakref.ref(kb, forget), rates)
        return rates


def _base_rates(kb: KnowledgeBase, held_out: Mapping[str, int]) -> dict[str, float]:
    author_total = sum(c.prior for c in kb.causes.values())
    counts = {cid: max(c.real_cases - held_out.get(cid, 0), 0) for cid, c in kb.causes.items()}
    weight = PRIOR_WEIGHT if author_total > 0 else 0.0
    raw = {
        cid: (weight * (c.prior / author_total if author_total > 0 else 0.0) + counts[cid])
        for cid, c in kb.causes.items()
    }
    total = sum(raw.values())
    if total <= 0:
        return {cid: 1.0 / len(kb.causes) for cid in kb.causes} if kb.causes else {}
    return {cid: r / total for cid, r in raw.items()}


def rule_factor(lr: float, strengths: Iterable[float]) -> float:
    """The log-odds a fired rule adds: ``log(lr)`` times its weakest premise's confidence (0 at or below the
    threshold, because a premise that weak counts as false), times :data:`EVIDENCE_WEIGHT`."""
    strength = min(strengths, default=1.0)
    if strength <= THRESHOLD:
        return 0.0
    return math.log(lr) * min(strength, 1.0) * EVIDENCE_WEIGHT


def failed_fix_factor(q: float, confidence: float = 1.0) -> float:
    """The log-odds a fix tried without success adds to a cause it resolves with probability ``q``."""
    if confidence <= THRESHOLD:
        return 0.0
    return math.log(max(1.0 - q, MIN_FAILED_FACTOR)) * min(confidence, 1.0)


def normalise(log_weights: Mapping[str, float]) -> dict[str, float]:
    """Turn unnormalised log weights into probabilities that sum to 1 (a numerically safe softmax)."""
    if not log_weights:
        return {}
    top = max(log_weights.values())
    exp = {c: math.exp(w - top) for c, w in log_weights.items()}
    total = sum(exp.values())
    return {c: e / total for c, e in exp.items()}


def entropy(probabilities: Iterable[float]) -> float:
    """Entropy (nats) of a distribution: how undecided the diagnosis still is."""
    return -sum(p * math.log(p) for p in probabilities if p > 0)
