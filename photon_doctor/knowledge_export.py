"""The validated knowledge base as JSON (``kb show --json``) and as a short text summary."""

from __future__ import annotations

from typing import Any

from photon_doctor.engine.belief import base_rates
from photon_doctor.knowledge.model import Condition, KnowledgeBase


def condition_json(c: Condition) -> dict[str, Any]:
    value = list(c.value) if isinstance(c.value, tuple) else c.value
    return {"obs": c.obs, "op": c.op.value, "value": value, "negate": c.negate, "text": c.describe()}


def knowledge_json(kb: KnowledgeBase) -> dict[str, Any]:
    rates = base_rates(kb)
    return {
        "schema_version": kb.schema_version,
        "observations": [
            {
                "id": o.id,
                "kind": o.kind.value,
                "question": o.question,
                "help": o.help,
                "cost": o.cost,
                "choices": dict(o.choices),
                "unit": o.unit,
                "probes": list(o.probes),
                "askable": o.askable,
                "reported": o.reported,
                "answerable": o.answerable,
            }
            for o in kb.observations.values()
        ],
        "causes": [
            {
                "id": c.id,
                "title": c.title,
                "description": c.description,
                "prior": c.prior,
                "sources": list(c.sources),
                "real_cases": c.real_cases,
                "base_rate": round(rates[c.id], 6),
            }
            for c in kb.causes.values()
        ],
        "rules": [
            {
                "id": r.id,
                "cause": r.cause,
                "cf": r.cf,
                "lr": r.lr,
                "when": [condition_json(c) for c in r.conditions],
                "rationale": r.rationale,
                "source": r.source,
                "file": r.file,
            }
            for r in kb.rules
        ],
        "fixes": [
            {
                "id": f.id,
                "title": f.title,
                "description": f.description,
                "resolves": dict(f.resolves),
                "cost": f.cost,
                "risk": f.risk.value,
                "reversible": f.reversible,
                "automation": f.automation,
                "changes": f.changes,
                "steps": list(f.steps),
                "sources": list(f.sources),
                "resolves_when": [
                    {
                        "cause": cq.cause,
                        "q": cq.q,
                        "when": [condition_json(c) for c in cq.conditions],
                        "why": cq.why,
                        "source": cq.source,
                    }
                    for cq in f.resolves_when
                ],
                "done_when": [condition_json(c) for c in f.done_when],
                "applies_when": [condition_json(c) for c in f.applies_when],
                "applies_why": f.applies_why,
                "after_success": (
                    None
                    if f.after_success is None
                    else {"fix": f.after_success[0], "why": f.after_success[1]}
                ),
            }
            for f in kb.fixes.values()
        ],
    }


def knowledge_text(kb: KnowledgeBase) -> str:
    rates = base_rates(kb)
    lines = [
        f"Knowledge base (schema {kb.schema_version}) from {kb.source_dir}:",
        f"  {len(kb.observations)} observations, {len(kb.causes)} causes, {len(kb.rules)} rules, {len(kb.fixes)} fixes",
        "",
        "Causes:",
    ]
    for c in kb.causes.values():
        n = len(kb.rules_for_cause(c.id))
        lines.append(f"  {c.id:34} base rate {rates[c.id]:6.1%}  {n:2} rules  {c.title}")
    lines.append("")
    lines.append("Fixes:")
    for f in kb.fixes.values():
        lines.append(f"  {f.id:38} {f.cost:6g} min  {f.risk.value:16} {f.automation}")
    return "\n".join(lines)
