"""Shareable reports of a saved session: what was observed and how, the ranked causes and HOW they were concluded,
the fix plan, and the fixes tried with their results — as JSON, Markdown (for a forum) or one HTML page.

:func:`build_report` re-runs the pure core on the session's observations (so the explanations are the engine's
own) and returns a JSON-ready dictionary; the renderers in :mod:`photon_doctor.report_render` turn it into text.
Every string of a report goes through :func:`photon_doctor.report_scrub.scrub`, and every rendered page through
:func:`photon_doctor.report_scrub.scrub_page` once more: tokens, Wi-Fi passwords and claim codes never get out.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from photon_doctor import __version__
from photon_doctor.actions.records import ActionRecord
from photon_doctor.answers import value_to_json
from photon_doctor.engine.diagnosis import Diagnosis, diagnose
from photon_doctor.engine.explain import how_cause, why_fix
from photon_doctor.foundation.errors import SessionError, UsageError
from photon_doctor.foundation.evidence import Observation, Source
from photon_doctor.knowledge.model import Kind, KnowledgeBase
from photon_doctor.plain import likelihood, stands_out, value_words
from photon_doctor.report_render import to_html, to_markdown, verified_sentence
from photon_doctor.report_scrub import scrub, scrub_page
from photon_doctor.session import Session

REPORT_SCHEMA_VERSION = 1
#: The output formats, and the names (or file suffixes) that mean them.
FORMATS = ("md", "html", "json")
_FORMAT_NAMES = {"md": "md", "markdown": "md", "html": "html", "htm": "html", "json": "json"}

#: How each provenance source is said in a report.
SOURCE_WORDS: dict[Source, str] = {
    Source.PERSON: "answered by the person",
    Source.CLI: "given by the person on the command line",
    Source.CASE: "from a case file",
    Source.SCENARIO: "the demo scenario's simulated owner",
    Source.INTERVIEW: "answered by the person (fixes already tried)",
    Source.EXECUTOR: "found by photon-doctor's own fixes",
    Source.WHAT_IF: "supposed, to weigh a question",
    Source.PROBE_SERIAL: "USB serial probe",
    Source.PROBE_SOFTAP: "SoftAP (device access point) probe",
    Source.PROBE_CLOUD: "Particle cloud probe",
    Source.PROBE_HOST: "host network probe",
    Source.PROBE_USB: "USB discovery probe",
}
#: The fields of an action record (the executor's ``ActionRecord``); other fields are kept in the JSON, scrubbed.
ACTION_FIELDS = tuple(f.name for f in dataclasses.fields(ActionRecord))
_STAMP = re.compile(r"^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})")


def source_words(source: str) -> str:
    """How an observation was obtained, in words (``probe:serial`` -> ``USB serial probe``)."""
    known = Source.parse(source)
    if known is not None and known in SOURCE_WORDS:
        return SOURCE_WORDS[known]
    if source.startswith("probe:"):
        return f"{source[len('probe:') :]} probe"
    return source or "unknown"


def value_text(value: Any, unit: str | None = None) -> str:
    """An observation value for a person: yes/no, comma-separated lists, the unit after numbers."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) if value else "none"
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{text} {unit}" if unit and isinstance(value, (int, float)) else text


def _value_words(kb: KnowledgeBase, obs_id: str, value: Any) -> str:
    """A value as the report says it: a choice's meaning and the titles of fixes (never their ids), else
    :func:`value_text`."""
    odef = kb.observations.get(obs_id)
    if odef is not None and (
        odef.kind is Kind.FIXES or (odef.kind is Kind.ENUM and str(value) in odef.choices)
    ):
        return value_words(kb, obs_id, tuple(value) if isinstance(value, list) else value)
    return value_text(value, odef.unit if odef else None)


def _observation(kb: KnowledgeBase, o: Observation) -> dict[str, Any]:
    odef = kb.observations[o.id]
    value = value_to_json(o.value)
    meaning = odef.choices.get(value) if isinstance(value, str) else None
    return {
        "id": o.id,
        "question": odef.question,
        "value": value,
        "value_text": _value_words(kb, o.id, value),
        "meaning": meaning,
        "confidence": o.confidence,
        "source": o.provenance.source.value,
        "obtained_by": source_words(o.provenance.source.value),
        "evidence": o.provenance.detail,
    }


def _unavailable(saved: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What the probes could not tell, grouped by probe and reason (one reason often covers several ids)."""
    groups: dict[tuple[str, str], list[str]] = {}
    for u in saved.get("unavailable") or []:
        if isinstance(u, dict):
            key = (str(u.get("probe", "")), str(u.get("reason", "")))
            groups.setdefault(key, [])
            if u.get("id") and str(u["id"]) not in groups[key]:
                groups[key].append(str(u["id"]))
    return [{"probe": p, "reason": r, "ids": ids} for (p, r), ids in groups.items()]


def _how(kb: KnowledgeBase, d: Diagnosis, cause_id: str) -> dict[str, Any]:
    """The engine's HOW explanation, with each piece of evidence's observations said in words."""
    how: dict[str, Any] = how_cause(kb, d, cause_id)
    for entry in how["for"] + how["against"]:
        for o in entry["observations"]:
            o["value_text"] = _value_words(kb, o["id"], o["value"])
            o["obtained_by"] = source_words(o["source"])
    return how


def _ruled_out(kb: KnowledgeBase, d: Diagnosis) -> list[dict[str, Any]]:
    """Causes the evidence argues against (now less probable than before any evidence), most firmly ruled out
    first; not those still listed among the possible causes (``d.ranked``): a cause is one or the other."""
    shown = {c.id for c in d.ranked}
    against = [
        c
        for c in d.causes
        if c.id not in shown
        and c.probability < c.prior
        and any(e.contribution < 0 for e in c.evidence if e.kind != "prior")
    ]
    against.sort(key=lambda c: c.probability / c.prior if c.prior > 0 else 0.0)
    return [_how(kb, d, c.id) for c in against]


def _action(kb: KnowledgeBase, i: int, item: Any, where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise SessionError(f"{where}: actions[{i}] is not an object")
    fix = str(item.get("fix") or "")
    commands = item.get("commands") or []
    if isinstance(commands, str):
        commands = [commands]
    if not isinstance(commands, list):
        raise SessionError(f"{where}: actions[{i}].commands is not a list")
    action = dict(item)  # unknown fields are kept (and scrubbed): the executor may add some
    action.update({k: item.get(k) for k in ACTION_FIELDS})
    action.update(
        {
            "fix": fix,
            "title": item.get("title") or (kb.fixes[fix].title if fix in kb.fixes else fix),
            "commands": [str(c) for c in commands],
            "message": str(item.get("message") or ""),
        }
    )
    return action


def _actions_and_outcome(
    kb: KnowledgeBase, session: Session, where: str
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    outcome = session.outcome
    raw: Any = list(session.actions)
    if raw == []:
        raw = (outcome or {}).get("actions") or []
    if not isinstance(raw, list):
        raise SessionError(f"{where}: field 'actions' is not a list")
    actions = [_action(kb, i, a, where) for i, a in enumerate(raw)]
    if outcome is None:
        return actions, None
    result = {k: v for k, v in outcome.items() if k != "actions"}
    result["verified_connected"] = outcome.get("verified_connected")
    fixed_by = outcome.get("fixed_by")  # a fix id; anything else (a hand edit: [], {}) names no fix
    result["fixed_by"] = fixed_by if isinstance(fixed_by, str) else None
    if result["fixed_by"] in kb.fixes:
        fixed = kb.fixes[result["fixed_by"]]
        result["fixed_by_title"] = fixed.title
        if result["verified_connected"] is True and fixed.after_success is not None:
            after = kb.fixes[fixed.after_success[0]]
            result["still_to_do"] = {
                "fix": after.id,
                "title": after.title,
                "why": fixed.after_success[1],
                "steps": list(after.steps),
                "cost_minutes": after.cost,
                "risk": after.risk.value,
                "reversible": after.reversible,
            }
    return actions, result


def _saved_at(session_id: str) -> str | None:
    """The time a session was saved, from its id (``20261124T215728-7e8591``), as ISO 8601 UTC."""
    m = _STAMP.match(session_id)
    if not m:
        return None
    y, mo, day, h, mi, s = m.groups()
    return f"{y}-{mo}-{day}T{h}:{mi}:{s}Z"


def _summary(
    causes: list[dict[str, Any]], outcome: dict[str, Any] | None, actions: list[dict[str, Any]]
) -> str:
    if causes:
        p = float(causes[0].get("probability") or 0.0)
        said = f"{causes[0]['title']} ({likelihood(p)})"
        # "Most likely: ... (unlikely, about 10 %)" would contradict itself: say that nothing stands out yet.
        text = (
            f"Most likely cause: {said}."
            if stands_out(p)
            else f"No cause stands out yet; the likeliest so far: {said}."
        )
    else:
        text = "No cause has support yet: more observations are needed."
    if outcome is not None:
        if outcome.get("verified_connected"):
            text += f" {verified_sentence(outcome, actions)}"
        else:
            text += " The device was not verified connected at the end."
    return text


def _stopped_at(
    kb: KnowledgeBase, observations: Mapping[str, Observation], pending: str | None
) -> str | None:
    """The question that was open when the session stopped (Ctrl-C, quit), or None when it ran to its end."""
    from photon_doctor.engine.questions import CHECKLIST_PREFIX, question_def
    from photon_doctor.foundation.ids import TRIED_PREFIX

    if pending is None:
        return None
    known = (
        pending[len(CHECKLIST_PREFIX) :] in kb.checklists
        if pending.startswith(CHECKLIST_PREFIX)
        else pending[len(TRIED_PREFIX) :] in kb.fixes
        if pending.startswith(TRIED_PREFIX)
        else pending in kb.observations
    )
    return question_def(kb, observations, pending).question if known else None


def build_report(
    kb: KnowledgeBase, session_data: Session | Mapping[str, Any], *, generated_at: datetime | None = None
) -> dict[str, Any]:
    """The report of one saved session as a JSON-ready dictionary (``schema_version`` 1), already scrubbed.

    Raises :class:`SessionError` when the session's observations, actions or outcome are malformed, or name
    observations this knowledge base does not know.
    """
    if isinstance(session_data, Session):
        session = session_data
    else:
        named = session_data.get("id")
        session = Session.from_json(
            kb, session_data, f"session {named}" if isinstance(named, str) else "session"
        )
    session_id = session.id or ""
    where = f"session {session_id}" if session_id else "session"
    observations = session.observed()
    d = diagnose(kb, observations)
    saved: Mapping[str, Any] = session.diagnosis
    causes = []
    for c in d.ranked:
        how = _how(kb, d, c.id)
        how["probability"] = round(c.probability, 4)
        causes.append(how)
    actions, outcome = _actions_and_outcome(kb, session, where)
    notes = []
    saved_ranked = [c.get("id") for c in saved.get("ranked_causes") or [] if isinstance(c, dict)]
    if saved and saved_ranked != [c.id for c in d.ranked]:
        notes.append(
            "The knowledge base has changed since this session was saved: the causes and the plan below are "
            "recomputed from the session's observations with the current knowledge."
        )
    when = (generated_at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    report: dict[str, Any] = {
        "schema_version": REPORT_SCHEMA_VERSION,
        "summary": _summary(causes, outcome, actions),
        "session": {
            "id": session_id or None,
            "command": session.command,
            "scenario": session.scenario,
            "saved_at": _saved_at(session_id),
            "questions_asked": session.questions_asked,
            "skipped": list(session.skipped),
            "stopped_at": _stopped_at(kb, observations, session.pending_question),
        },
        "observations": [_observation(kb, o) for o in observations.values()],
        "unavailable": _unavailable(saved),
        "causes": causes,
        "ruled_out": _ruled_out(kb, d),
        "leading_cause_clear": d.leading_clear,
        "plan": [why_fix(kb, d, s.fix) for s in d.plan],
        "ecr_minutes": round(d.ecr, 2),
        "unresolved_probability": round(d.unresolved, 4),
        "actions": actions,
        "outcome": outcome,
        "notes": notes,
        "generator": {
            "name": "photon-doctor",
            "version": __version__,
            "generated_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "knowledge_schema_version": kb.schema_version,
        },
    }
    return scrub(report)  # type: ignore[no-any-return]


def format_name(fmt: str | None, output: Path | None = None) -> str:
    """The format to write: ``fmt`` if given, else the ``--output`` file's suffix, else Markdown.

    Raises :class:`UsageError` naming the valid formats.
    """
    if fmt is None:
        suffix = output.suffix.lower().lstrip(".") if output is not None else ""
        if suffix not in _FORMAT_NAMES and suffix not in ("", "txt", "text"):
            # A name such as report.pdf asks for a format this cannot write: Markdown in it would not open.
            raise UsageError(
                f"cannot write a .{suffix} file: give --format md, html or json "
                "(or a file name ending in .md, .html or .json)"
            )
        return _FORMAT_NAMES.get(suffix, "md")
    name = _FORMAT_NAMES.get(fmt.lower())
    if name is None:
        raise UsageError(f"unknown report format '{fmt}'; valid: {', '.join(FORMATS)}")
    return name


def render(report: Mapping[str, Any], fmt: str) -> str:
    """The report as text in format ``fmt`` (md, html or json), scrubbed once more as a whole."""
    name = format_name(fmt)
    if name == "json":
        return scrub_page(json.dumps(scrub(report), indent=2, ensure_ascii=False) + "\n")
    return to_html(report) if name == "html" else to_markdown(report)


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically, readable by the owner only (0600): a write that fails half way
    (a full disk) leaves the previous file whole.

    Raises :class:`UsageError` when the file cannot be written (a missing folder, no permission, a full disk).
    """
    from photon_doctor.sessions import write_private as write_atomically

    write_atomically(path, text, UsageError, "the report")


def register_local_secrets(env: Mapping[str, str]) -> None:
    """Register the secrets this computer knows, as the program does where they enter: the Particle access token
    (``PARTICLE_ACCESS_TOKEN`` or the particle CLI's settings), so that a stray copy is masked in any report."""
    from photon_doctor.probes.base import ProbeFailure
    from photon_doctor.probes.token import discover_token

    try:
        discover_token(env)
    except ProbeFailure:
        pass  # no token on this computer: nothing to register


def run_report(
    kb: KnowledgeBase, session: Path | None, fmt: str | None, output: Path | None, env: Mapping[str, str]
) -> tuple[str, Path]:
    """The ``report`` command: load the session (the last one by default), build the report, render it.

    Returns ``(text, the session file read)``; the text is written to ``output`` (0600) when given, else left to the caller to
    print. Raises :class:`UsageError` (a bad format, an unwritable file) or :class:`SessionError`.
    """
    from photon_doctor.sessions import read_session

    name = format_name(fmt, output)
    register_local_secrets(env)
    path, saved = read_session(kb, session)
    text = render(build_report(kb, saved), name)
    if output is not None:
        write_private(output, text)
    return text, path


__all__ = [
    "FORMATS",
    "REPORT_SCHEMA_VERSION",
    "build_report",
    "format_name",
    "register_local_secrets",
    "render",
    "run_report",
    "source_words",
    "to_html",
    "to_markdown",
    "value_text",
    "write_private",
]
