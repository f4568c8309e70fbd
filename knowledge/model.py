"""The knowledge base as frozen dataclasses: observations, causes, rules, fixes.

Built once by :mod:`photon_doctor.knowledge.loader` from the TOML files in ``knowledge/data`` and validated
there; everything downstream (the engine, the graph, the shell) reads these objects only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Any

from photon_doctor.foundation.evidence import ObsValue


class Kind(str, Enum):
    """The kind of an observation's answer (contract: ``kind``)."""

    ENUM = "enum"
    BOOL = "bool"
    NUMBER = "number"
    VERSION = "version"
    FIXES = "fixes"


class Risk(str, Enum):
    """How much a fix can change or lose; ordered from harmless to irreversible."""

    HARMLESS = "harmless"
    CHANGES_SETTINGS = "changes_settings"
    ERASES_DATA = "erases_data"
    IRREVERSIBLE = "irreversible"

    @property
    def rank(self) -> int:
        return list(Risk).index(self)


class Op(str, Enum):
    """Condition operators a rule may use on an observation."""

    IS = "is"
    IS_NOT = "is_not"
    IN = "in"
    NOT_IN = "not_in"
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"
    VERSION_LT = "version_lt"
    VERSION_LE = "version_le"
    VERSION_GT = "version_gt"
    VERSION_GE = "version_ge"
    CONTAINS = "contains"
    NOT_CONTAINS = "not_contains"


def version_key(version: str) -> tuple[int, ...]:
    """A comparable key for a Device OS version: '1.5.2' -> (1, 5, 2, 1); '0.7.0-rc.3' sorts before '0.7.0'.

    Raises ValueError for something that is not a version.
    """
    text = version.strip().lstrip("vV")
    core, _, pre = text.partition("-")
    core = core.split("+", 1)[0]
    parts = core.split(".")
    # ASCII digits only ('²'.isdigit() is True, int('²') fails), and not absurdly long.
    if not parts or not all(p.isascii() and p.isdigit() and len(p) <= 9 for p in parts) or len(parts) > 4:
        raise ValueError(f"not a version: {version!r}")
    nums = [int(p) for p in parts] + [0] * (3 - len(parts))
    # A release sorts after its pre-releases.
    return (*nums, 0 if pre else 1)


@dataclass(frozen=True)
class Condition:
    """One test on one observation. A rule holds when all its conditions hold.

    An absent observation satisfies no condition, negated or not: "unknown" is never "false".
    """

    obs: str
    op: Op
    value: Any
    negate: bool = False

    def holds(self, actual: ObsValue) -> bool:
        """True if the observed value satisfies this condition."""
        result = self._test(actual)
        return not result if self.negate else result

    def _test(self, actual: ObsValue) -> bool:
        op, v = self.op, self.value
        try:
            if op is Op.IS:
                return bool(_norm(actual) == _norm(v))
            if op is Op.IS_NOT:
                return bool(_norm(actual) != _norm(v))
            if op is Op.IN:
                return bool(actual in v)
            if op is Op.NOT_IN:
                return bool(actual not in v)
            if op in (Op.LT, Op.LE, Op.GT, Op.GE):
                if isinstance(actual, bool) or not isinstance(actual, (int, float)):
                    return False
                a = float(actual)
                return bool({Op.LT: a < v, Op.LE: a <= v, Op.GT: a > v, Op.GE: a >= v}[op])
            if op in (Op.VERSION_LT, Op.VERSION_LE, Op.VERSION_GT, Op.VERSION_GE):
                a_key, v_key = version_key(str(actual)), version_key(str(v))
                return {
                    Op.VERSION_LT: a_key < v_key,
                    Op.VERSION_LE: a_key <= v_key,
                    Op.VERSION_GT: a_key > v_key,
                    Op.VERSION_GE: a_key >= v_key,
                }[op]
            if op is Op.CONTAINS:
                return isinstance(actual, (tuple, list)) and bool(v in actual)
            if op is Op.NOT_CONTAINS:
                return isinstance(actual, (tuple, list)) and bool(v not in actual)
        except (TypeError, ValueError):
            return False
        raise AssertionError(f"unhandled operator {op}")  # pragma: no cover - Op is closed

    def describe(self) -> str:
        """The condition in words, e.g. ``led_pattern is blinking_green``."""
        words = {
            Op.IS: "is",
            Op.IS_NOT: "is not",
            Op.IN: "is one of",
            Op.NOT_IN: "is none of",
            Op.LT: "<",
            Op.LE: "<=",
            Op.GT: ">",
            Op.GE: ">=",
            Op.VERSION_LT: "is a version before",
            Op.VERSION_LE: "is a version up to",
            Op.VERSION_GT: "is a version after",
            Op.VERSION_GE: "is a version from",
            Op.CONTAINS: "includes",
            Op.NOT_CONTAINS: "does not include",
        }[self.op]
        value = ", ".join(map(_show, self.value)) if isinstance(self.value, tuple) else _show(self.value)
        text = f"{self.obs} {words} {value}"
        return f"not ({text})" if self.negate else text


def _norm(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v


def _show(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, tuple):
        return "[" + ", ".join(map(str, v)) + "]" if v else "none"
    return str(v)


@dataclass(frozen=True)
class ObservationDef:
    """Something that can be observed: the question put to a person, its answers, and how hard it is to find out."""

    id: str
    kind: Kind
    question: str
    help: str
    cost: float  # minutes it takes a person to find out
    choices: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({})
    )  # value -> meaning (enum)
    unit: str | None = None
    probes: tuple[str, ...] = ()  # probes that can observe it (serial, softap, cloud, host, usb)
    askable: bool = True  # False for what only a probe can tell
    reported: int = 0  # in how many of the public real cases (tests/cases/real-*.json) the owner reported it
    #: The author's estimate of the chance an owner who is asked can answer (look at the board, remember what they
    #: changed); None: the project's default (engine/questions.py ANSWER_PRIOR). Blended with ``reported``.
    answerable: float | None = None
    minimum: float | None = None  # a number below this is no reading (e.g. a positive RSSI)
    maximum: float | None = None


@dataclass(frozen=True)
class CauseDef:
    """A root cause of "does not reach the cloud"."""

    id: str
    title: str
    description: str
    prior: float  # the knowledge author's base rate: how common the cause is among "won't reach the cloud" reports
    sources: tuple[str, ...]
    real_cases: int = 0  # how many of the public real cases (tests/cases/real-*.json) had this as their cause


CF_EXPONENT = 2.0


def cf_to_lr(cf: float) -> float:
    """Heckerman's (1986) transform of a certainty factor into a likelihood ratio: 1/(1 - CF) for evidence for,
    1 + CF for evidence against. Under it MYCIN's parallel combination of same-sign CFs is exactly the product of
    the ratios, so a rule written as ``cf = 0.5`` keeps the weight its author gave it (it doubles the odds)."""
    return float((1.0 / (1.0 - cf) if cf > 0 else 1.0 + cf) ** CF_EXPONENT)


def lr_to_cf(lr: float) -> float:
    """The inverse of :func:`cf_to_lr`."""
    return 1.0 - 1.0 / lr if lr >= 1.0 else lr - 1.0


@dataclass(frozen=True)
class RuleDef:
    """If all ``conditions`` hold, the odds of ``cause`` are multiplied by ``lr`` (below 1: evidence against).

    A rule is written either with ``lr`` (a likelihood ratio, the belief model's own unit) or, in the older
    format, with ``cf`` (a certainty factor, mapped with :func:`cf_to_lr`); both fields are always filled.
    """

    id: str
    cause: str
    cf: float
    conditions: tuple[Condition, ...]
    rationale: str
    source: str
    file: str = ""
    lr: float = 0.0  # 0: derived from cf
    #: The ids of the more general rules for the same cause this one adds to: whenever this rule fires they fire
    #: too, and this rule's ratio is the extra factor for the more specific situation (an interaction).
    refines: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.lr <= 0.0:
            object.__setattr__(self, "lr", cf_to_lr(self.cf))

    @property
    def observations(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for c in self.conditions:
            seen.setdefault(c.obs, None)
        return tuple(seen)


@dataclass(frozen=True)
class ConditionalQ:
    """A fix's chance of resolving a cause in a particular situation (``[[fix.resolves_when]]``).

    When every condition holds, ``q`` replaces the fix's general chance for ``cause``: re-entering the Wi-Fi
    credentials rarely helps against an unusual security mode in general, but on a WEP network, whose key the
    device only takes in hex, entering it again in that form is the fix.
    """

    cause: str
    q: float
    conditions: tuple[Condition, ...]
    why: str
    source: str

    def holds(self, values: Mapping[str, ObsValue]) -> bool:
        """True when every condition holds on ``values`` (an absent observation satisfies none)."""
        return all(c.obs in values and c.holds(values[c.obs]) for c in self.conditions)


@dataclass(frozen=True)
class FixDef:
    """A corrective action: which causes it resolves (and how likely), cost, risk and the steps to take."""

    id: str
    title: str
    description: str
    resolves: Mapping[str, float]  # cause id -> probability the fix resolves that cause
    cost: float  # minutes
    risk: Risk
    reversible: bool
    steps: tuple[str, ...]
    automation: str  # the executor's action id, or "manual"
    changes: str  # what it changes, in words
    sources: tuple[str, ...] = ()
    resolves_when: tuple[ConditionalQ, ...] = ()  # situation-dependent chances; the first that holds wins
    #: An observation that reports this fix's own outcome (``done_when``: "flashing Tinker did not bring it online"
    #: is ``tinker_fixes = false``): when all these conditions hold the fix was done without success and is not
    #: proposed again. The observation's rules carry what that says about the causes; this only keeps the plan
    #: from repeating it.
    done_when: tuple[Condition, ...] = ()
    #: The situation in which this fix makes sense at all (``applies_when``): "send someone to the site" is a
    #: fleet's step, for a device whose site the fleet's facts describe, not for an owner at their desk. When any
    #: of these conditions does not hold (an absent observation holds none) the fix resolves nothing and is not
    #: proposed. Empty: the fix applies everywhere.
    applies_when: tuple[Condition, ...] = ()
    applies_why: str = ""  # why it is not proposed where it does not apply, in words (with ``applies_when``)
    #: What to do once this fix has brought the device online, when that is not the end of it (``after_success``):
    #: Tinker online proves the owner's application kept it off, and the application still has to be changed.
    #: (the fix to do next, why, in words); None: the fix is the end of it.
    after_success: tuple[str, str] | None = None

    def applies(self, values: Mapping[str, ObsValue]) -> bool:
        """True when the situation ``values`` describes is one this fix is meant for (its ``applies_when``)."""
        return all(c.obs in values and c.holds(values[c.obs]) for c in self.applies_when)

    def done(self, values: Mapping[str, ObsValue]) -> bool:
        """True when the observations in ``values`` report this fix as done without success."""
        return bool(self.done_when) and all(
            c.obs in values and c.holds(values[c.obs]) for c in self.done_when
        )

    def resolves_given(self, values: Mapping[str, ObsValue]) -> Mapping[str, float]:
        """The chance this fix resolves each cause, in the situation ``values`` describes (observation -> value).

        For each cause the first ``resolves_when`` entry whose conditions all hold replaces the general chance
        in ``resolves``; with none holding this is ``resolves`` itself. A fix that does not apply in this situation
        (:meth:`applies`) resolves nothing.
        """
        if not self.applies(values):
            return MappingProxyType({})
        in_effect = self.situations(values)
        if not in_effect:
            return self.resolves
        return MappingProxyType({**self.resolves, **{cq.cause: cq.q for cq in in_effect}})

    def situations(self, values: Mapping[str, ObsValue]) -> tuple[ConditionalQ, ...]:
        """The ``resolves_when`` entries in effect in the situation ``values`` describes: per cause, the first
        whose conditions all hold."""
        chosen: dict[str, ConditionalQ] = {}
        for cq in self.resolves_when:
            if cq.cause not in chosen and cq.holds(values):
                chosen[cq.cause] = cq
        return tuple(chosen.values())


@dataclass(frozen=True)
class ChecklistItem:
    """One line of a checklist: ticking it answers observation ``obs`` with ``value``."""

    obs: str
    value: ObsValue
    text: str  # the statement the owner ticks, in words
    group: str = (
        ""  # the heading shown above the first line of its group ("" for none): a long list reads in parts
    )

    @property
    def key(self) -> str:
        """The item's id in answers and sessions: ``obs=value`` (yes/no for booleans)."""
        shown = ("yes" if self.value else "no") if isinstance(self.value, bool) else str(self.value)
        return f"{self.obs}={shown}"


@dataclass(frozen=True)
class ChecklistDef:
    """A "tick all that apply" question that collects several facts an owner knows at once (checklists.toml).

    A ticked item is an answer; an unticked item is no answer at all (never "false"). When ``settles`` is true,
    the items' observations are not asked again one by one once the checklist was shown: what an owner remembers
    (what changed, the network's settings) they would have ticked.
    """

    id: str
    question: str
    help: str
    cost: float  # minutes to read the list and tick
    items: tuple[ChecklistItem, ...]
    settles: bool = False

    @property
    def observations(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(i.obs for i in self.items))


@dataclass(frozen=True)
class KnowledgeBase:
    """The validated knowledge, with lookups."""

    schema_version: int
    observations: Mapping[str, ObservationDef]
    causes: Mapping[str, CauseDef]
    rules: tuple[RuleDef, ...]
    fixes: Mapping[str, FixDef]
    source_dir: str = ""
    checklists: Mapping[str, ChecklistDef] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        # Indexes for the lookups the question selection makes thousands of times.
        by_cause: dict[str, list[RuleDef]] = {}
        by_obs: dict[str, list[RuleDef]] = {}
        for r in self.rules:
            by_cause.setdefault(r.cause, []).append(r)
            for o in r.observations:
                by_obs.setdefault(o, []).append(r)
        object.__setattr__(self, "_by_cause", {k: tuple(v) for k, v in by_cause.items()})
        object.__setattr__(self, "_by_obs", {k: tuple(v) for k, v in by_obs.items()})

    def rules_for_cause(self, cause: str) -> tuple[RuleDef, ...]:
        return self._by_cause.get(cause, ())  # type: ignore[attr-defined,no-any-return]

    def rules_using(self, obs: str) -> tuple[RuleDef, ...]:
        return self._by_obs.get(obs, ())  # type: ignore[attr-defined,no-any-return]

    def fixes_for_cause(self, cause: str) -> tuple[FixDef, ...]:
        return tuple(
            f
            for f in self.fixes.values()
            if cause in f.resolves or any(cq.cause == cause for cq in f.resolves_when)
        )

    def resolves_given(self, values: Mapping[str, ObsValue]) -> Mapping[str, Mapping[str, float]]:
        """Every fix's chances of resolving each cause in the situation ``values`` describes
        (:meth:`FixDef.resolves_given`)."""
        return MappingProxyType({fid: f.resolves_given(values) for fid, f in self.fixes.items()})

    def rule(self, rule_id: str) -> RuleDef:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)
