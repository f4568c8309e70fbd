"""Diagnoses as JSON (stable, versioned) and as text for the terminal (rich on a terminal, plain when piped)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from photon_doctor.answers import value_to_json
from photon_doctor.engine.diagnosis import Diagnosis, TraceEntry
from photon_doctor.engine.evidence import Observation, Unavailable
from photon_doctor.engine.observe import check_first
from photon_doctor.knowledge.model import KnowledgeBase
from photon_doctor.redact import redact, redact_obj

JSON_SCHEMA_VERSION = 1


def observation_json(o: Observation) -> dict[str, Any]:
    return {
        "id": o.id,
        "value": value_to_json(o.value),
        "confidence": o.confidence,
        "provenance": {"source": o.provenance.source, "detail": o.provenance.detail},
    }


def trace_json(e: TraceEntry) -> dict[str, Any]:
    return {
        "kind": e.kind,
        "id": e.source_id,
        "cause": e.cause,
        "cf": round(e.cf, 4),
        "strength": round(e.strength, 4),
        "contribution": round(e.contribution, 4),
        "observations": [o.id for o in e.observations],
    }


def diagnosis_json(
    kb: KnowledgeBase,
    d: Diagnosis,
    *,
    questions_asked: int | None = None,
    unavailable: Iterable[Unavailable] = (),
) -> dict[str, Any]:
    """The diagnosis as one JSON object (see docs/json-output.md)."""
    ranked_ids = {c.id for c in d.ranked}
    data = {
        "schema_version": JSON_SCHEMA_VERSION,
        "observations": [observation_json(o) for o in d.observations],
        "unavailable": [{"probe": u.probe, "id": u.id, "reason": u.reason} for u in unavailable],
        "ranked_causes": [
            {
                "id": c.id,
                "title": kb.causes[c.id].title,
                "certainty": round(c.certainty, 4),
                "probability": round(c.probability, 4),
                "likely": c.likely,
            }
            for c in d.ranked
        ],
        "other_causes": [
            {"id": c.id, "certainty": round(c.certainty, 4)} for c in d.causes if c.id not in ranked_ids
        ],
        "leading_cause_clear": d.leading_clear,
        "plan": [
            {
                "fix": s.fix,
                "title": kb.fixes[s.fix].title,
                "p_success": round(s.p_success, 4),
                "p_reach": round(s.p_reach, 4),
                "cost_minutes": s.cost,
                "ratio": round(s.ratio, 5),
                "expected_cost": round(s.expected_cost, 3),
                "risk": kb.fixes[s.fix].risk.value,
                "reversible": kb.fixes[s.fix].reversible,
                "automation": kb.fixes[s.fix].automation,
                "addresses": [{"cause": c, "resolves_probability": q} for c, q in s.addresses],
            }
            for s in d.plan
        ],
        "check_first": _check_json(kb, d),
        "ecr_minutes": round(d.ecr, 2),
        "unresolved_probability": round(d.unresolved, 4),
        "questions_asked": questions_asked,
        "trace": [trace_json(e) for e in d.trace],
    }
    return redact_obj(data)  # type: ignore[no-any-return]


def _check_json(kb: KnowledgeBase, d: Diagnosis) -> dict[str, Any] | None:
    """Observe-repair (engine/observe.py): a cheap check worth doing before the first fix, or None."""
    check = check_first(kb, {o.id: o for o in d.observations}, d)
    if check is None:
        return None
    return {"observation": check.obs, "question": kb.observations[check.obs].question,
            "cost_minutes": check.cost, "eco_minutes": round(check.eco, 2), "ecr_minutes": round(check.ecr, 2),
            "outcomes": [{"value": v, "probability": round(p, 4), "first_fix": f} for v, p, f in check.outcomes]}


def _bar(x: float, width: int = 10) -> str:
    n = max(0, min(width, round(x * width)))
    return "#" * n + "." * (width - n)


def diagnosis_text(kb: KnowledgeBase, d: Diagnosis, *, top: int = 8, unavailable: Iterable[Unavailable] = ()) -> str:
    """A plain-text rendering: likely causes, the fix plan, what could not be probed."""
    lines: list[str] = []
    ranked = d.ranked
    if ranked:
        lines.append("Likely causes:")
        for i, c in enumerate(ranked[:top], 1):
            lines.append(f"  {i}. {_bar(max(c.certainty, 0))} {c.certainty:.2f}  {kb.causes[c.id].title} [{c.id}]")
        if len(ranked) > top:
            lines.append(f"  ... and {len(ranked) - top} more with weaker support (--json shows all)")
    else:
        lines.append("No cause has support yet: answer more questions, or run with --auto to probe the device.")
    if d.plan:
        lines.append("")
        check = check_first(kb, {o.id: o for o in d.observations}, d)
        if check is not None:
            lines.append(f"Check first (~{check.cost:g} min, it decides which fix comes first): "
                         f"{kb.observations[check.obs].question}")
        lines.append(f"Fix plan (cheapest expected path first; expected cost about {d.ecr:.0f} min):")
        for i, s in enumerate(d.plan[:top], 1):
            fix = kb.fixes[s.fix]
            auto = "" if fix.automation == "manual" else " (automatable)"
            lines.append(
                f"  {i}. {fix.title} [{s.fix}] - {s.p_success:.0%} chance, ~{s.cost:g} min, risk {fix.risk.value}{auto}"
            )
        lines.append("")
        lines.append("Ask 'photon-doctor why <fix or cause>' for the reasoning behind any line.")
    missing = list(unavailable)
    if missing:
        lines.append("")
        lines.append("Not probed:")
        for u in missing:
            lines.append(f"  - {u.probe}: {u.reason}")
    return redact("\n".join(lines))


_RISK_STYLE = {"harmless": "green", "changes_settings": "yellow", "erases_data": "red", "irreversible": "bold red"}


def diagnosis_rich(kb: KnowledgeBase, d: Diagnosis, *, top: int = 8, unavailable: Iterable[Unavailable] = ()) -> Any:
    """The same content as :func:`diagnosis_text`, as rich tables for a terminal (colour by certainty and risk)."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    parts: list[Any] = []
    ranked = d.ranked
    if ranked:
        causes = Table(title="Likely causes", title_justify="left", show_edge=False, header_style="bold")
        causes.add_column("#", justify="right")
        causes.add_column("certainty")
        causes.add_column("cause")
        causes.add_column("id", style="dim")
        for i, c in enumerate(ranked[:top], 1):
            colour = "bold red" if c.certainty > 0.7 else "yellow" if c.certainty > 0.4 else "white"
            causes.add_row(str(i), Text(f"{_bar(max(c.certainty, 0))} {c.certainty:.2f}", style=colour),
                           kb.causes[c.id].title, c.id)
        parts.append(causes)
    else:
        parts.append(Text("No cause has support yet: answer more questions, or run with --auto to probe the device."))
    if d.plan:
        plan = Table(title=f"Fix plan (expected cost about {d.ecr:.0f} min)", title_justify="left", show_edge=False,
                     header_style="bold")
        for col, just in (("#", "right"), ("fix", "left"), ("chance", "right"), ("min", "right"), ("risk", "left"),
                          ("how", "left")):
            plan.add_column(col, justify=just)  # type: ignore[arg-type]
        for i, s in enumerate(d.plan[:top], 1):
            fix = kb.fixes[s.fix]
            plan.add_row(str(i), f"{fix.title} [dim]{s.fix}[/dim]", f"{s.p_success:.0%}", f"{s.cost:g}",
                         Text(fix.risk.value, style=_RISK_STYLE[fix.risk.value]),
                         "manual" if fix.automation == "manual" else "automatable")
        parts.append(Text(""))
        parts.append(plan)
        parts.append(Text("Ask 'photon-doctor why <fix or cause>' for the reasoning behind any line.", style="dim"))
    missing = list(unavailable)
    if missing:
        parts.append(Text("\nNot probed:", style="bold"))
        for u in missing:
            parts.append(Text(f"  - {u.probe}: {redact(u.reason)}", style="dim"))
    return Group(*parts)
