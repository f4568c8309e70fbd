"""``kb check``: static verification of the knowledge base (expert-systems.md §5).

The anomaly classes of Preece & Shinghal (1994) — deficiency, redundancy, ambivalence, circularity — checked
on the knowledge and its rule graph:

=====================  ========  ====================================================================
code                   severity  finding
=====================  ========  ====================================================================
cause-unconcluded      error     no rule that can fire concludes the cause positively
cause-unfixable        error     no fix resolves the cause
fix-resolves-nothing   error     the fix resolves no cause
fix-unreachable        error     every cause the fix resolves is unconcluded, so it is never proposed
rule-never-fires       error     the rule's conditions contradict each other on one observation
rule-conflict          error     two rules accept the same observations for one cause with opposite signs
cycle                  error     the rule graph has a cycle (derived facts are not allowed)
observation-unused     warning   no rule tests the observation
rule-subsumed          warning   whenever the rule fires, a more general rule for the same cause and sign
                                 fires too, so both ratios multiply: the shared evidence counts twice unless
                                 the rule says it ``refines`` the general one (its ratio is the extra factor)
rule-refines           error     ``refines`` names a rule that does not fire whenever this one does
rule-duplicate         warning   two rules accept exactly the same observations, same cause and sign
=====================  ========  ====================================================================

``rule-subsumed`` and ``rule-duplicate`` are errors under ``--strict``. Conditions are compared by testing
candidate values (:mod:`photon_doctor.graph.values`) with :meth:`Condition.holds`, the engine's own semantics.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from enum import Enum
from typing import Any

import networkx as nx
from photon_doctor.foundation.ids import FIXES_TRIED_FAILED, LED_COLOUR
from photon_doctor.graph.build import build_graph, cause_node, fix_node, obs_node, rule_node
from photon_doctor.graph.values import implies, satisfiable
from photon_doctor.knowledge.model import Condition, KnowledgeBase, RuleDef

JSON_SCHEMA_VERSION = 1
#: Observations the engine reads itself rather than through rules (engine.diagnosis.assess: failed fixes).
ENGINE_OBSERVATIONS = frozenset({FIXES_TRIED_FAILED, LED_COLOUR})  # led_colour: asked before led_pattern
#: At most this many cycles are reported.
MAX_CYCLES = 20
_STRICT_ERRORS = frozenset({"rule-subsumed", "rule-duplicate"})


class Severity(str, Enum):
    """How bad a finding is: errors fail ``kb check``; warnings only with ``--strict``."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One problem: its severity, a stable code, the graph node ids involved, and a message for a person."""

    severity: Severity
    code: str
    nodes: tuple[str, ...]
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity.value,
            "code": self.code,
            "nodes": list(self.nodes),
            "message": self.message,
        }


@dataclass(frozen=True)
class LintReport:
    """Every finding of one check, split by severity."""

    errors: tuple[Finding, ...]
    warnings: tuple[Finding, ...]
    strict: bool = False

    @property
    def failed(self) -> bool:
        """True when ``kb check`` must exit with ExitCode.LINT: errors, or any warning under ``--strict``."""
        return bool(self.errors) or (self.strict and bool(self.warnings))

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": JSON_SCHEMA_VERSION,
            "errors": [f.to_json() for f in self.errors],
            "warnings": [f.to_json() for f in self.warnings],
        }


def lint(kb: KnowledgeBase, *, strict: bool = False) -> LintReport:
    """Check ``kb``; under ``strict`` subsumed and duplicate rules are errors."""
    findings = [*check_kb(kb), *cycle_findings(build_graph(kb))]
    if strict:
        findings = [
            Finding(Severity.ERROR, f.code, f.nodes, f.message) if f.code in _STRICT_ERRORS else f
            for f in findings
        ]
    return LintReport(
        errors=tuple(f for f in findings if f.severity is Severity.ERROR),
        warnings=tuple(f for f in findings if f.severity is Severity.WARNING),
        strict=strict,
    )


def check_kb(kb: KnowledgeBase) -> list[Finding]:
    """Every finding about the knowledge itself (everything but cycles), in a stable order."""
    dead = {r.id for r in kb.rules if not rule_can_fire(kb, r)}
    findings = [_never_fires(kb, r) for r in kb.rules if r.id in dead]
    live = [r for r in kb.rules if r.id not in dead]
    concluded = {r.cause for r in live if r.cf > 0}
    for cause in kb.causes:
        if cause not in concluded:
            positive = [r.id for r in kb.rules if r.cause == cause and r.cf > 0]
            why = (
                f"its only positive rules can never fire ({', '.join(positive)})"
                if positive
                else "no rule concludes it positively"
                + (" (only rules against it)" if kb.rules_for_cause(cause) else "")
            )
            findings.append(
                Finding(
                    Severity.ERROR,
                    "cause-unconcluded",
                    (cause_node(cause),),
                    f"cause '{cause}' can never be suggested: {why}",
                )
            )
        if not kb.fixes_for_cause(cause):
            findings.append(
                Finding(
                    Severity.ERROR,
                    "cause-unfixable",
                    (cause_node(cause),),
                    f"cause '{cause}' has no fix: no fix lists it under 'resolves'",
                )
            )
    for fix in kb.fixes.values():
        if not fix.resolves:
            findings.append(
                Finding(
                    Severity.ERROR,
                    "fix-resolves-nothing",
                    (fix_node(fix.id),),
                    f"fix '{fix.id}' resolves no cause",
                )
            )
        elif not any(c in concluded for c in fix.resolves):
            findings.append(
                Finding(
                    Severity.ERROR,
                    "fix-unreachable",
                    (fix_node(fix.id), *map(cause_node, fix.resolves)),
                    f"fix '{fix.id}' is never proposed: every cause it resolves ({', '.join(fix.resolves)}) "
                    "can never be suggested",
                )
            )
    used = {obs for r in kb.rules for obs in r.observations}
    for obs in kb.observations:
        if obs not in used and obs not in ENGINE_OBSERVATIONS:
            findings.append(
                Finding(
                    Severity.WARNING,
                    "observation-unused",
                    (obs_node(obs),),
                    f"observation '{obs}' is tested by no rule: asking it can never change a diagnosis",
                )
            )
    findings += pair_findings(kb, live)
    return findings


def by_observation(rule: RuleDef) -> dict[str, list[Condition]]:
    """A rule's conditions grouped by the observation they test."""
    groups: dict[str, list[Condition]] = {}
    for c in rule.conditions:
        groups.setdefault(c.obs, []).append(c)
    return groups


def rule_can_fire(kb: KnowledgeBase, rule: RuleDef) -> bool:
    """True unless two conditions of ``rule`` on one observation (or one alone) can never hold together."""
    return all(satisfiable(kb.observations[obs], conds) for obs, conds in by_observation(rule).items())


def _never_fires(kb: KnowledgeBase, rule: RuleDef) -> Finding:
    bad = [obs for obs, conds in by_observation(rule).items() if not satisfiable(kb.observations[obs], conds)]
    texts = "; ".join(c.describe() for c in rule.conditions if c.obs in bad)
    return Finding(
        Severity.ERROR,
        "rule-never-fires",
        (rule_node(rule.id), *map(obs_node, bad)),
        f"rule '{rule.id}' can never fire: no value of {', '.join(bad)} satisfies all of: {texts}",
    )


def subsumes(kb: KnowledgeBase, general: RuleDef, specific: RuleDef) -> bool:
    """True if whenever ``specific`` fires, ``general`` fires too (conditions only; causes are not compared).

    Every observation ``general`` tests is tested by ``specific``, and on each of them the values ``specific``
    accepts are among those ``general`` accepts.
    """
    gen, spec = by_observation(general), by_observation(specific)
    return all(obs in spec and implies(kb.observations[obs], spec[obs], conds) for obs, conds in gen.items())


def pair_findings(kb: KnowledgeBase, rules: list[RuleDef]) -> list[Finding]:
    """Subsumed, duplicate and conflicting rules among ``rules`` (same cause, compared pairwise)."""
    findings: list[Finding] = []
    by_cause: dict[str, list[RuleDef]] = {}
    for r in rules:
        by_cause.setdefault(r.cause, []).append(r)
    for cause, group in by_cause.items():
        for a, b in itertools.combinations(group, 2):
            a_general, b_general = subsumes(kb, a, b), subsumes(kb, b, a)
            if not (a_general or b_general):
                continue
            nodes = (rule_node(a.id), rule_node(b.id), cause_node(cause))
            same_sign = (a.cf > 0) == (b.cf > 0)
            if a_general and b_general:
                if same_sign:
                    findings.append(
                        Finding(
                            Severity.WARNING,
                            "rule-duplicate",
                            nodes,
                            f"rules '{a.id}' and '{b.id}' accept exactly the same observations and both conclude "
                            f"'{cause}' (x{a.lr:.3g}, x{b.lr:.3g}): the ratios multiply, so this evidence counts twice; "
                            "merge them into one rule",
                        )
                    )
                else:
                    findings.append(
                        Finding(
                            Severity.ERROR,
                            "rule-conflict",
                            nodes,
                            f"rules '{a.id}' (x{a.lr:.3g}) and '{b.id}' (x{b.lr:.3g}) accept exactly the same "
                            f"observations but argue for and against '{cause}'",
                        )
                    )
            elif same_sign:
                general, specific = (a, b) if a_general else (b, a)
                if general.id in specific.refines:
                    continue  # declared: its ratio is the extra factor on top of the general rule's
                findings.append(
                    Finding(
                        Severity.WARNING,
                        "rule-subsumed",
                        (rule_node(specific.id), rule_node(general.id), cause_node(cause)),
                        f"rule '{specific.id}' (x{specific.lr:.3g}) is subsumed by '{general.id}' "
                        f"(x{general.lr:.3g}): whenever it fires, '{general.id}' fires too, so the shared evidence for "
                        f"'{cause}' counts twice (x{specific.lr * general.lr:.3g} together); if that is meant, "
                        f'say refines = "{general.id}" and give the extra factor, otherwise merge them',
                    )
                )
    by_id = {r.id: r for r in rules}
    for r in rules:
        for refined in (by_id[i] for i in r.refines if i in by_id):
            if not subsumes(kb, refined, r):
                findings.append(
                    Finding(
                        Severity.ERROR,
                        "rule-refines",
                        (rule_node(r.id), rule_node(refined.id), cause_node(r.cause)),
                        f"rule '{r.id}' says it refines '{refined.id}', but '{refined.id}' does not fire whenever "
                        f"'{r.id}' does, so its ratio would not be an extra factor",
                    )
                )
    return findings


def cycle_findings(g: nx.DiGraph) -> list[Finding]:
    """One error per cycle of the rule graph (at most MAX_CYCLES). This knowledge has no derived facts, so a
    correct graph has none; the check guards the builder and any future rule that concludes an observation."""
    return [
        Finding(
            Severity.ERROR,
            "cycle",
            tuple(cycle),
            "the rule graph has a cycle: " + " -> ".join([*map(str, cycle), str(cycle[0])]),
        )
        for cycle in itertools.islice(nx.simple_cycles(g), MAX_CYCLES)
    ]


def report_text(report: LintReport, kb: KnowledgeBase) -> str:
    """The findings for a person: one block per finding, then a one-line summary."""
    lines = [
        f"Knowledge base {kb.source_dir or '(in memory)'}: {len(kb.observations)} observations, "
        f"{len(kb.causes)} causes, {len(kb.rules)} rules, {len(kb.fixes)} fixes",
    ]
    for f in (*report.errors, *report.warnings):
        lines.append(f"{f.severity.value:7}  {f.code}  [{', '.join(f.nodes)}]")
        lines.append(f"         {f.message}")
    n_err, n_warn = len(report.errors), len(report.warnings)
    summary = f"{n_err} error{'s' * (n_err != 1)}, {n_warn} warning{'s' * (n_warn != 1)}"
    if report.strict:
        summary += " (strict)"
    lines.append(summary if n_err or n_warn else "No problems found.")
    return "\n".join(lines)
