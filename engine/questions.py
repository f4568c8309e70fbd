"""Choosing the next question: the one whose answer is worth most per minute of the owner's time.

Value of a question o: the expected information its answer brings about the cause (nats), Σ_v P(o = v) x
KL(belief after v || belief now), the mutual information of answer and cause, the measure the checklists use too,
times the chance the owner can answer it at all (:func:`answerability`: how often owners reported it in the
public real cases, smoothed; a "don't know" is worth nothing), per minute it costs (its ``cost`` plus
:data:`QUESTION_OVERHEAD`). Ask the best question while its value per minute is at least
:data:`MIN_GAIN_PER_MINUTE` and the leading cause is not yet clear.

With likelihood ratios a what-if answer is a multiplication: only the rules that test o can change, each one
multiplies its cause's odds by its ratio. Nothing is re-matched, re-assessed or re-planned per hypothetical
answer, so choosing a question is linear in the number of rules that test the candidate questions.

P(o = v | evidence) = sum over causes c of P(c) x P(v | c), with P(v | c) ∝ base(v) x λ_c(v): an answer a rule
for c counts as evidence for c is that many times likelier under c (the definition of a likelihood ratio).

Two question shapes come from the knowledge rather than from one observation:

* **LED colour first, then pattern**: when the LED pattern is the best question and its colour is not known,
  ``led_colour`` is asked first; the pattern question then offers only that colour's patterns
  (:func:`question_def`) and comes right after it, while the owner is looking at the LED.
* **Checklists** (``checklist:<id>``, knowledge/data/checklists.toml): "tick all that apply" over facts an owner
  knows at once (what changed just before it stopped, what is special about the firmware or network, what they
  already found out). A ticked item is an answer, an unticked one no answer. Its value is the sum, over its items,
  of the chance the item is ticked times what that answer would teach (the item's share of the mutual
  information: P(v) x KL(posterior after v || now), discounted by the observation's answerability), per minute
  of reading the list. Once a checklist marked ``settles`` was shown, its observations are not asked one by one.
* **Fixes already tried, as yes/no**: ``tried:<fix id>`` asks whether one fix of the current plan was already
  tried without success (a "yes" multiplies the causes it resolves by 1 - q). Only the first
  :data:`TRIED_CANDIDATES` fixes of the plan are considered: the fixes that matter now.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from photon_doctor.engine.belief import EVIDENCE_WEIGHT, entropy, failed_fix_factor, normalise
from photon_doctor.engine.diagnosis import Diagnosis, assess, match_rule, tried_fixes
from photon_doctor.engine.rete import Firing
from photon_doctor.foundation.evidence import Observation, ObsValue, Provenance, Source
from photon_doctor.foundation.ids import FIXES_TRIED_FAILED, LED_COLOUR, LED_PATTERN, TRIED_PREFIX
from photon_doctor.knowledge.model import ChecklistItem, Kind, KnowledgeBase, ObservationDef

#: Minutes every question costs on top of finding the answer: reading it, thinking, typing.
QUESTION_OVERHEAD = 1.0
#: Below this expected information (nats per minute, after the don't-know discount) a question is not asked.
#: Round 3 had 0.005 with the information measured as the drop in entropy; measured as the expected divergence
#: (which, unlike the entropy drop, still values an answer that would overturn a confident lead), 0.005 asked
#: owners three "don't know" questions more on confident cases, and 0.0075-0.015 give the same interview results
#: on every case set (docs/evaluation.md, round 4); 0.0175 stops asking the network's security type.
MIN_GAIN_PER_MINUTE = 0.01
#: The colour words LED pattern names start with.
_COLOURS = ("cyan", "green", "blue", "white", "magenta", "yellow", "red", "off")
#: A checklist item whose tick would teach less than this (nats, KL of the belief after it from now) is not offered:
#: what the owner already told makes it moot (without a dent, "it resets when I press the module"). 0.01 would also
#: drop "it joins the Wi-Fi" after breathing green, but cost the own cases a top-3 place (thread-photon-4): a list
#: shown once settles its items, so an item left out now is not asked later.
MIN_ITEM_INFORMATION = 0.005
#: How many plan fixes the yes/no "did you already try this fix" questions consider.
#: Prefix of the "tick all that apply" checklist questions.
CHECKLIST_PREFIX = "checklist:"
#: The chance an owner ticks a checklist item that holds: they know it happened (a router change, an update) or
#: saw it (another network works). Not the answerability of the single question: that counts how often owners
#: report a fact, which already includes how rare the fact is, and the item's chance of holding is P(v).
AWARENESS = 0.5
TRIED_CANDIDATES = 3
#: How often an owner who asks for help has already tried a given fix of the plan (a "yes" to tried:<fix>).
P_TRIED = 0.3
#: How often a yes/no finding that argues for a cause is seen when that cause is absent (the answer model's base
#: rate for it; the other answer takes the rest). Round 1 used 1/4; 1/10 gives the same interview on every case
#: set (evaluate --interactive: same top-1 and median questions) and a less trigger-happy observe-repair
#: (engine/observe.py): with 1/4, "module dependencies fail" came out a quarter of the time on any device.
UNUSUAL = 0.1
#: Answerability smoothing: an observation no real case reported still counts as ANSWER_PRIOR (or its own
#: ``answerable``), worth ANSWER_WEIGHT cases (a Beta prior on "the owner can tell").
ANSWER_PRIOR = 0.15
ANSWER_WEIGHT = 4.0
#: An author's ``answerable`` estimate counts as many cases as the public sample (26): worth 4 cases, 0.7 for
#: "does it reset when you press the module?" became 0.09 against 26 forum posts that never mention it, and the
#: interview stopped one question short of a dent that resets (demo thread-second-poster: damage 10 % instead of
#: 65 %). The oracle interview of the public cases is unchanged at 4 and at 26 (evaluate --interactive).
ANSWERABLE_WEIGHT = 26.0


@dataclass(frozen=True)
class Outcome:
    """One possible answer: how likely it is and the cause distribution it would leave."""

    value: ObsValue
    probability: float
    posterior: Mapping[str, float]


@dataclass(frozen=True)
class QuestionValue:
    """What asking ``obs`` is expected to teach, and what it costs."""

    obs: str
    outcomes: tuple[Outcome, ...]
    information_gain: float = 0.0  # expected KL divergence of the belief after the answer from now (nats)
    cost: float = 1.0  # minutes, overhead included
    p_know: float = 1.0  # chance the owner can answer (answerability)

    @property
    def gain_per_minute(self) -> float:
        return self.p_know * self.information_gain / self.cost

    @property
    def saving(self) -> float:
        """Positive when the question is worth its time (its value per minute exceeds the threshold)."""
        return self.gain_per_minute - MIN_GAIN_PER_MINUTE


def led_colour_of(pattern: str) -> str:
    """The colour an LED pattern shows first (``cyan_then_red`` -> cyan; ``solid_color`` -> other)."""
    words = pattern.split("_")
    for w in words:
        if w in _COLOURS:
            return w
    return "other"


def question_def(
    kb: KnowledgeBase,
    observations: Mapping[str, Observation],
    obs_id: str,
    probabilities: Mapping[str, float] | None = None,
) -> ObservationDef:
    """The question to put for ``obs_id``: the LED pattern narrowed to the colour already given, a yes/no
    question for ``tried:<fix>``, otherwise the knowledge's own definition. A checklist offers the items not yet
    answered; given the current ``probabilities``, only those whose tick would still teach something
    (:data:`MIN_ITEM_INFORMATION`): without a dent, "it resets when I press the module" is not offered."""
    if obs_id.startswith(CHECKLIST_PREFIX):
        cl = kb.checklists[obs_id[len(CHECKLIST_PREFIX) :]]
        told = outcomes_told(kb, observations)
        open_items = [i for i in cl.items if i.obs not in observations and i.obs not in told]
        teaching = [
            i
            for i in open_items
            if probabilities is None
            or _item_information(kb, observations, probabilities, i, cl.items) >= MIN_ITEM_INFORMATION
        ]
        items = {i.key: i.text for i in (teaching or open_items)}  # never an empty list
        return ObservationDef(
            id=obs_id,
            kind=Kind.FIXES,
            question=cl.question,
            help=cl.help,
            cost=cl.cost,
            choices=MappingProxyType(items),
        )
    if obs_id.startswith(TRIED_PREFIX):
        fix = kb.fixes[obs_id[len(TRIED_PREFIX) :]]
        return ObservationDef(
            id=obs_id,
            kind=Kind.BOOL,
            question=f"Have you already tried this, without success: {fix.title}?",
            help="Answer yes only if you did it and the device still did not reach the cloud.",
            cost=0.5,
        )
    odef = kb.observations[obs_id]
    colour = observations.get(LED_COLOUR)
    if obs_id == LED_PATTERN and colour is not None:
        narrowed = {v: m for v, m in odef.choices.items() if led_colour_of(v) == colour.value}
        if narrowed:
            return dataclasses.replace(odef, choices=MappingProxyType(narrowed))
    return odef


def _item_information(
    kb: KnowledgeBase,
    observations: Mapping[str, Observation],
    probs: Mapping[str, float],
    item: ChecklistItem,
    siblings: tuple[ChecklistItem, ...],
) -> float:
    """What ticking ``item`` could teach now: KL(belief after its answer || belief now), in nats; alone, or with
    the other items of the same list ticked too when that teaches more (a dent and a reset under pressure are worth
    more together than either alone; a scan that lists nothing takes away what "my network is missing from the
    list" would say, and that item is still worth offering to whoever did not see an empty list)."""
    together = dict(observations)
    for other in siblings:
        if other.obs not in together and other.obs != item.obs:
            together[other.obs] = Observation(other.obs, other.value)
    log_p = {c: math.log(p) for c, p in probs.items() if p > 0}
    best = 0.0
    for context in (observations, together):
        factors = _log_factors(kb, context, item.obs, (item.value,))[0]
        if factors:
            best = max(best, _kl(normalise({c: w + factors.get(c, 0.0) for c, w in log_p.items()}), probs))
    return best


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


def _log_factors(
    kb: KnowledgeBase, observations: Mapping[str, Observation], obs_id: str, values: tuple[ObsValue, ...]
) -> list[dict[str, float]]:
    """For each candidate value: the log-odds each cause would gain if ``obs_id`` were answered so."""
    result: list[dict[str, float]] = [{} for _ in values]
    for rule in kb.rules_using(obs_id):
        own = [c for c in rule.conditions if c.obs == obs_id]
        others_hold = True
        for c in rule.conditions:
            if c.obs == obs_id:
                continue
            o = observations.get(c.obs)
            if o is None or not c.holds(o.value) or o.confidence <= 0.2:
                others_hold = False
                break
        if not others_hold:
            continue
        step = math.log(rule.lr) * EVIDENCE_WEIGHT
        for i, v in enumerate(values):
            if all(c.holds(v) for c in own):
                result[i][rule.cause] = result[i].get(rule.cause, 0.0) + step
    return result


def _base_rates(odef: ObservationDef, factors: list[dict[str, float]]) -> list[float]:
    """How common each answer is before the causes are considered: for yes/no, the answer that argues for a
    cause is the unusual finding (1/4); otherwise uniform."""
    if odef.kind is not Kind.BOOL:
        return [1.0] * len(factors)
    supports = [any(f > 0 for f in fac.values()) for fac in factors]
    if any(supports) and not all(supports):
        return [UNUSUAL if s else 1.0 - UNUSUAL for s in supports]
    return [0.5] * len(factors)


def _value(
    obs_id: str,
    probs: Mapping[str, float],
    values: tuple[ObsValue, ...],
    factors: list[dict[str, float]],
    base: list[float],
    cost: float,
    p_know: float,
) -> QuestionValue | None:
    if not any(factors):
        return None
    # P(v | c) ∝ base(v) x λ_c(v), normalised over v for each cause that any answer moves.
    moved = {c for fac in factors for c in fac}
    z = {c: sum(b * math.exp(fac.get(c, 0.0)) for b, fac in zip(base, factors)) for c in moved}
    total_base = sum(base)
    log_p = {c: math.log(p) for c, p in probs.items() if p > 0}
    outcomes = []
    expected_kl = 0.0
    for v, b, fac in zip(values, base, factors):
        p_v = 0.0
        for c, p in probs.items():
            if c in moved:
                p_v += p * b * math.exp(fac.get(c, 0.0)) / z[c]
            else:
                p_v += p * b / total_base
        if p_v <= 0:
            continue
        post = normalise({c: w + fac.get(c, 0.0) for c, w in log_p.items()}) if fac else dict(probs)
        outcomes.append(Outcome(v, p_v, post))
        expected_kl += p_v * _kl(post, probs)
    norm = sum(o.probability for o in outcomes) or 1.0
    gain = expected_kl / norm
    return QuestionValue(obs_id, tuple(outcomes), max(gain, 0.0), cost, p_know)


def value_of(
    kb: KnowledgeBase,
    observations: Mapping[str, Observation],
    diagnosis: Diagnosis,
    obs_id: str,
    p_know: float = 1.0,
) -> QuestionValue | None:
    """The value of asking ``obs_id`` now, or None if no rule could use its answer."""
    probs = diagnosis.probabilities
    if obs_id.startswith(TRIED_PREFIX):
        fix = kb.fixes[obs_id[len(TRIED_PREFIX) :]]
        yes = {c: failed_fix_factor(q) for c, q in diagnosis.resolves_of(fix).items()}
        # A yes/no about the past: P(yes | c) does not depend on c here, so the posterior after "yes" is the
        # engine's update and "no" leaves everything as it is.
        outcomes = (
            Outcome(
                True,
                P_TRIED,
                normalise({c: math.log(p) + yes.get(c, 0.0) for c, p in probs.items() if p > 0}),
            ),
            Outcome(False, 1.0 - P_TRIED, probs),
        )
        # Valued by its entropy drop, not by the divergence of the other questions: measured by the divergence, the
        # yes/no questions about tried fixes were asked more often on every case set and changed no result (round 4).
        gain = entropy(probs.values()) - sum(o.probability * entropy(o.posterior.values()) for o in outcomes)
        return QuestionValue(obs_id, outcomes, max(gain, 0.0), 0.5 + QUESTION_OVERHEAD, p_know)
    odef = question_def(kb, observations, obs_id)
    values = candidate_values(kb, odef)
    if not values or not kb.rules_using(obs_id):
        return None
    factors = _log_factors(kb, observations, obs_id, values)
    return _value(
        obs_id, probs, values, factors, _base_rates(odef, factors), odef.cost + QUESTION_OVERHEAD, p_know
    )


def answerability(kb: KnowledgeBase, obs_id: str) -> float:
    """The chance an owner can answer ``obs_id``: (reported + weight x prior) / (cases + weight), where
    ``reported`` is how many of the public real cases reported it (observations.toml), ``cases`` how many real
    cases were counted (the sum of the causes' ``real_cases``), and prior and weight the observation's
    ``answerable`` (the author's estimate for what an owner tells by looking at the board or from memory of their
    own setup) and ANSWERABLE_WEIGHT, or ANSWER_PRIOR and ANSWER_WEIGHT. The LED colour is as answerable as the pattern; a fix already tried as the list of
    tried fixes."""
    if obs_id.startswith(TRIED_PREFIX):
        obs_id = FIXES_TRIED_FAILED
    if obs_id == LED_COLOUR:
        obs_id = LED_PATTERN
    odef = kb.observations.get(obs_id)
    reported = odef.reported if odef is not None else 0
    if odef is not None and odef.answerable is not None:
        prior, weight = odef.answerable, ANSWERABLE_WEIGHT
    else:
        prior, weight = ANSWER_PRIOR, ANSWER_WEIGHT
    cases = sum(c.real_cases for c in kb.causes.values())
    return float((reported + weight * prior) / (cases + weight))


def rank_questions(
    kb: KnowledgeBase,
    observations: Mapping[str, Observation],
    diagnosis: Diagnosis,
    skip: frozenset[str] | set[str] = frozenset(),
    offered: Mapping[str, tuple[str, ...]] | None = None,
) -> list[QuestionValue]:
    """Every askable, unanswered question with its value, best (most information per minute) first.
    ``offered``: for a checklist already shown, the observations its list offered (see
    :func:`settled_by_checklists`)."""
    result = []
    skip = set(skip) | settled_by_checklists(kb, skip, offered) | outcomes_told(kb, observations)
    # An observation on a checklist not yet shown is asked through the list first (one question for many).
    listed = {
        o for cl in kb.checklists.values() if CHECKLIST_PREFIX + cl.id not in skip for o in cl.observations
    }
    single: dict[str, QuestionValue] = {}
    for obs_id, odef in kb.observations.items():
        if obs_id in observations or obs_id in skip or not odef.askable or odef.kind is Kind.FIXES:
            continue
        if obs_id == LED_COLOUR:
            continue  # asked only as the first half of the LED pattern question
        qv = value_of(kb, observations, diagnosis, obs_id, answerability(kb, obs_id))
        if qv is not None:
            single[obs_id] = qv
            if obs_id not in listed:
                result.append(qv)
    for cl in kb.checklists.values():
        qid = CHECKLIST_PREFIX + cl.id
        if qid not in skip:
            cv = _checklist_value(kb, qid, cl.items, cl.cost, single, diagnosis.probabilities)
            if cv is not None:
                result.append(cv)
    tried = set(tried_fixes(observations))
    for step in diagnosis.plan[:TRIED_CANDIDATES]:
        qid = TRIED_PREFIX + step.fix
        if step.fix in tried or qid in observations or qid in skip:
            continue
        qv = value_of(kb, observations, diagnosis, qid, answerability(kb, qid))
        if qv is not None:
            result.append(qv)
    result.sort(key=lambda q: (-q.gain_per_minute, q.obs))
    return result


def outcomes_told(kb: KnowledgeBase, observations: Mapping[str, Observation]) -> set[str]:
    """The observations a fix tried without success already answers: its own outcome (its ``done_when``: flashing
    Tinker did not help says "even with Tinker it does not connect"), not to be asked again."""
    return {c.obs for fid in tried_fixes(observations) if fid in kb.fixes for c in kb.fixes[fid].done_when}


def settled_by_checklists(
    kb: KnowledgeBase,
    asked: frozenset[str] | set[str],
    offered: Mapping[str, tuple[str, ...]] | None = None,
) -> set[str]:
    """The observations not to ask one by one: those of every ``settles`` checklist already asked (answered or
    not), because an owner who did not tick what they would remember does not know it. Only the items the list
    offered, when ``offered`` says which (a list shows only the items that could still teach something): an item
    left out was never put to the owner, and may be asked once it matters."""
    result: set[str] = set()
    for cl in kb.checklists.values():
        qid = CHECKLIST_PREFIX + cl.id
        if cl.settles and qid in asked:
            shown = offered.get(qid) if offered is not None else None
            result.update(cl.observations if shown is None else shown)
    return result


def _checklist_value(
    kb: KnowledgeBase,
    qid: str,
    items: tuple[ChecklistItem, ...],
    cost: float,
    single: Mapping[str, QuestionValue],
    probs: Mapping[str, float],
) -> QuestionValue | None:
    """A checklist's value: for each item still open, P(ticked) x KL(posterior if ticked || now), where P(ticked)
    is the chance of the item's value (from the model) times :data:`AWARENESS`."""
    gain = 0.0
    open_items = 0
    for item in items:
        qv = single.get(item.obs)
        if qv is None:
            continue
        open_items += 1
        for o in qv.outcomes:
            if o.value == item.value:
                gain += AWARENESS * o.probability * _kl(o.posterior, probs)
    if open_items == 0:
        return None
    return QuestionValue(qid, (), gain, cost + QUESTION_OVERHEAD, 1.0)


def _kl(post: Mapping[str, float], prior: Mapping[str, float]) -> float:
    """Kullback-Leibler divergence KL(post || prior) in nats: what one answer taught."""
    return sum(p * math.log(p / prior[c]) for c, p in post.items() if p > 0 and prior.get(c, 0.0) > 0)


def next_question(
    kb: KnowledgeBase,
    observations: Mapping[str, Observation],
    diagnosis: Diagnosis,
    skip: frozenset[str] | set[str] = frozenset(),
    offered: Mapping[str, tuple[str, ...]] | None = None,
) -> QuestionValue | None:
    """The question to ask next, or None when the session should stop asking: the leading cause is clear, or
    no question's expected information (discounted by the chance of "don't know") is worth its minutes.

    When the LED pattern is the best question and its colour is not known, the colour is asked first."""
    if diagnosis.leading_clear:
        return None
    ranked = rank_questions(kb, observations, diagnosis, skip, offered)
    if not ranked or ranked[0].saving < 0:
        return None
    best = ranked[0]
    if LED_COLOUR in observations and LED_PATTERN not in observations:
        # The colour was just given: the owner is looking at the LED now, so its pattern comes next (among the
        # colour's few patterns) whenever it is worth asking at all, before any other question.
        pattern = next((q for q in ranked if q.obs == LED_PATTERN and q.saving >= 0), None)
        if pattern is not None:
            return pattern
    if (
        best.obs == LED_PATTERN
        and LED_COLOUR in kb.observations
        and LED_COLOUR not in observations
        and LED_COLOUR not in skip
    ):
        return dataclasses.replace(best, obs=LED_COLOUR)
    return best


def what_if(
    kb: KnowledgeBase,
    observations: Mapping[str, Observation],
    firings: tuple[Firing, ...],
    obs_id: str,
    value: ObsValue,
) -> Diagnosis:
    """The full diagnosis if ``obs_id`` were answered ``value`` (for explanations; question choice does not
    need it)."""
    extended = dict(observations)
    extended[obs_id] = Observation(obs_id, value, 1.0, Provenance(Source.WHAT_IF))
    new = [f for r in kb.rules_using(obs_id) if (f := match_rule(r, extended)) is not None]
    return assess(kb, extended, (*firings, *new))


def current_firings(kb: KnowledgeBase, diagnosis: Diagnosis) -> tuple[Firing, ...]:
    """The firings behind ``diagnosis``, rebuilt from its trace."""
    return tuple(
        Firing(e.source_id, tuple((o.id, float(o.confidence)) for o in e.observations))
        for e in diagnosis.trace
        if e.kind == "rule"
    )


__all__ = [
    "CHECKLIST_PREFIX",
    "Outcome",
    "QuestionValue",
    "candidate_values",
    "led_colour_of",
    "next_question",
    "question_def",
    "rank_questions",
    "settled_by_checklists",
    "value_of",
    "what_if",
]
