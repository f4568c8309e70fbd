"""Diagnoses as JSON (stable, versioned) and as text for the terminal (rich on a terminal, plain when piped)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from photon_doctor.engine.diagnosis import Diagnosis, TraceEntry
from photon_doctor.engine.explain import check_json
from photon_doctor.engine.observe import check_first
from photon_doctor.foundation.environment import NO_WRAP
from photon_doctor.foundation.evidence import Unavailable, observation_json, one_shape
from photon_doctor.foundation.redact import redact, redact_obj
from photon_doctor.knowledge.model import KnowledgeBase
from photon_doctor.plain import (
    ORDER_RULE,
    PROBE_WORDS,
    SMALL,
    how_short,
    likelihood,
    percent,
    risk_short,
    stands_out,
    tag,
    wrap_lines,
)

JSON_SCHEMA_VERSION = 1


#: The version of ``why --json`` (docs/json-output.md): 2 since its observations have the one shape.
EXPLANATION_SCHEMA_VERSION = 2


def explanation_json(result: Mapping[str, Any]) -> dict[str, Any]:
    """An explanation of the engine (WHY a fix or question, HOW a cause) as ``why --json`` prints it: versioned,
    with every observation in the one shape (the engine's explanations give theirs flat: ``source``,
    ``detail``)."""

    def shaped(value: Any, key: str = "") -> Any:
        if isinstance(value, Mapping):
            return {k: shaped(v, k) for k, v in value.items()}
        if isinstance(value, list):
            if key == "observations":
                return [
                    one_shape(o) if isinstance(o, Mapping) and "id" in o and "value" in o else shaped(o)
                    for o in value
                ]
            return [shaped(v) for v in value]
        return value

    return redact_obj({"schema_version": EXPLANATION_SCHEMA_VERSION, **shaped(result)})  # type: ignore[no-any-return]


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


def plan_shown(d: Diagnosis, top: int = 8) -> int:
    """How many plan steps the table lists: the first ``top``, fewer when the rest have under 5 % to go on."""
    shown = 0
    for s in d.plan[:top]:
        if shown and s.p_reach < SMALL:
            break
        shown += 1
    return shown


def _check_json(kb: KnowledgeBase, d: Diagnosis) -> dict[str, Any] | None:
    """Observe-repair (engine/observe.py): a cheap check worth doing before the first fix, or None."""
    check = check_first(kb, {o.id: o for o in d.observations}, d)
    return None if check is None else check_json(kb, check)


def check_line(kb: KnowledgeBase, obs_id: str, cost: float) -> str:
    """The check the plan puts before its first fix, in one line (the text and the terminal's tables)."""
    return (
        f"Check first (~{cost:g} min, it decides which fix comes first): {kb.observations[obs_id].question}"
    )


def _not_probed(unavailable: Iterable[Unavailable]) -> list[tuple[str, str]]:
    """What was not probed and why, once each (the shell has already left out the probes that observed
    something, but for the facts a cut-short serial console lost)."""
    seen: dict[str, str] = {}
    for u in unavailable:
        seen.setdefault(PROBE_WORDS.get(u.probe, u.probe), redact(u.reason))
    return list(seen.items())


def causes_heading(d: Diagnosis) -> str:
    """The heading of the causes: "Likely causes", or, when even the first reads "unlikely, about 10 %", one that
    does not call them likely."""
    top = d.ranked[0].probability if d.ranked else 0.0
    return "Likely causes" if stands_out(top) else "Possible causes (none stands out yet)"


def diagnosis_text(
    kb: KnowledgeBase,
    d: Diagnosis,
    *,
    top: int = 8,
    unavailable: Iterable[Unavailable] = (),
    verbose: bool = False,
    width: int = NO_WRAP,
) -> str:
    """Plain text in sentences: the likely causes in words and percentages, the numbered fix plan, and what could
    not be probed. Ids only with ``verbose``; every line fits ``width`` columns."""
    lines: list[str] = []
    ranked = d.ranked
    if ranked:
        lines.append(f"{causes_heading(d)}:")
        for c in ranked[:top]:
            lines.append(f"  - {kb.causes[c.id].title}: {likelihood(c.probability)}{tag(c.id, verbose)}")
        if len(ranked) > top:
            lines.append(f"  ... and {len(ranked) - top} more, each less likely")
    else:
        lines.append(
            "No cause has support yet: answer more questions, or let photon-doctor probe the device."
        )
    if d.plan:
        shown = plan_shown(d, top)
        lines.append("")
        check = check_first(kb, {o.id: o for o in d.observations}, d)
        if check is not None:
            lines.append(check_line(kb, check.obs, check.cost))
        rest = f"; the first {shown} of {len(d.plan)}" if shown < len(d.plan) else ""
        lines.append(f"What to do, in this order (about {d.ecr:.0f} min expected{rest}):")
        for i, s in enumerate(d.plan[:shown], 1):
            fix = kb.fixes[s.fix]
            lines.append(
                f"  {i}. {fix.title}: {percent(s.p_success)} chance, about {s.cost:g} min, "
                f"{risk_short(fix)}, {how_short(fix)}{tag(s.fix, verbose)}"
            )
        lines.append(f"  ({CHANCE_MEANS})")
        lines.append("")
        lines.append(
            "Ask 'photon-doctor why 1' (a step's number) or 'photon-doctor why \"words of a title\"' "
            "for the reasoning."
        )
    missing = _not_probed(unavailable)
    if missing:
        lines.append("")
        lines.append("Not probed:")
        for name, reason in missing:
            lines.append(f"  - {name}: {reason}")
    return redact(wrap_lines(lines, width))


#: What a step's chance is: the plan's column does not rise or fall with the order, so it is said once.
CHANCE_MEANS = f"chance: that the step solves it if the steps above it did not; the order puts {ORDER_RULE}"

_RISK_STYLE = {
    "harmless": "green",
    "changes_settings": "yellow",
    "erases_data": "red",
    "irreversible": "bold red",
}


def diagnosis_rich(
    kb: KnowledgeBase,
    d: Diagnosis,
    *,
    top: int = 8,
    unavailable: Iterable[Unavailable] = (),
    verbose: bool = False,
) -> Any:
    """The same content as :func:`diagnosis_text`, as rich tables for a terminal (colour by likelihood and risk);
    rich wraps the cells to the terminal's width."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    parts: list[Any] = []
    ranked = d.ranked
    if ranked:
        causes = Table(title=causes_heading(d), title_justify="left", show_edge=False, header_style="bold")
        causes.add_column("cause", ratio=3)
        causes.add_column("how likely", ratio=1)
        if verbose:
            causes.add_column("id", style="dim")
        for c in ranked[:top]:
            colour = "bold red" if c.probability > 0.6 else "yellow" if c.probability > 0.3 else "white"
            row: list[str | Text] = [kb.causes[c.id].title, Text(likelihood(c.probability), style=colour)]
            causes.add_row(*row, *([c.id] if verbose else []))
        parts.append(causes)
    else:
        parts.append(
            Text("No cause has support yet: answer more questions, or let photon-doctor probe the device.")
        )
    if d.plan:
        shown = plan_shown(d, top)
        rest = f"; the first {shown} of {len(d.plan)}" if shown < len(d.plan) else ""
        plan = Table(
            title=f"What to do, in this order (about {d.ecr:.0f} min expected{rest})",
            title_justify="left",
            show_edge=False,
            header_style="bold",
        )
        for col, just in (
            ("#", "right"),
            ("fix", "left"),
            ("chance", "right"),
            ("min", "right"),
            ("risk", "left"),
            ("how", "left"),
        ):
            plan.add_column(col, justify=just)  # type: ignore[arg-type]
        if verbose:
            plan.add_column("id", style="dim")
        for i, s in enumerate(d.plan[:shown], 1):
            fix = kb.fixes[s.fix]
            plan.add_row(
                str(i),
                fix.title,
                percent(s.p_success).replace("about ", ""),
                f"{s.cost:g}",
                Text(risk_short(fix), style=_RISK_STYLE[fix.risk.value]),
                how_short(fix),
                *([s.fix] if verbose else []),
            )
        parts.append(Text(""))
        check = check_first(kb, {o.id: o for o in d.observations}, d)
        if check is not None:  # as the plain text says it (it was missing on a terminal)
            parts.append(Text(check_line(kb, check.obs, check.cost)))
        parts.append(plan)
        parts.append(Text(f"({CHANCE_MEANS})", style="dim"))
        parts.append(
            Text(
                "Ask 'photon-doctor why 1' (a step's number) or 'photon-doctor why \"words of a title\"' "
                "for the reasoning.",
                style="dim",
            )
        )
    missing = _not_probed(unavailable)
    if missing:
        parts.append(Text("\nNot probed:", style="bold"))
        listed = Table.grid()  # a column for the dash: a long reason goes on under its first word
        listed.add_column(no_wrap=True)
        listed.add_column()
        for name, reason in missing:
            listed.add_row("  - ", Text(f"{name}: {reason}", style="dim"))
        parts.append(listed)
    return Group(*parts)
