"""One session, as the program keeps it: what was observed, how the interview went, what was concluded and done.

:class:`Session` is the one type the shell builds (``diagnose``, ``demo``), saves (:mod:`photon_doctor.sessions`)
and reads back (``--resume``, ``why``, ``report``, ``graph --session``); :meth:`Session.to_json` and
:meth:`Session.from_json` are its only JSON form. The format is documented in docs/json-output.md: schema 2, and
schema 1 files (before every field was always written) are still read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from photon_doctor.answers import observations_from_mapping
from photon_doctor.foundation.errors import SessionError, UsageError
from photon_doctor.foundation.evidence import Observation, Provenance, Source, observation_json, one_shape
from photon_doctor.knowledge.model import KnowledgeBase

#: The version written; a change of shape gets a new one (docs/json-output.md).
SESSION_SCHEMA_VERSION = 2
#: The versions read: 1 (older files, some fields optional) and 2.
READABLE_VERSIONS = (1, 2)


@dataclass(frozen=True)
class Session:
    """A saved session.

    ``observations`` in the order they were known; ``answer_order`` the ids in the order the person gave them
    (``back`` steps through it); ``skipped`` the questions passed over; ``questions_asked`` how many were asked
    (None when a schema 1 file did not say); ``pending_question`` the one open when the session stopped. ``diagnosis`` is the diagnosis document (``diagnose --json`` without ``session``) as it was
    concluded; ``actions`` and ``outcome`` are the fix session's (``--fix``), in the executor's JSON;
    ``scenario`` names the demo's simulated Photon. ``id`` is the file name's stem, set when it is first saved.
    """

    observations: tuple[Observation, ...] = ()
    diagnosis: Mapping[str, Any] = field(default_factory=dict)
    command: str = "diagnose"
    id: str | None = None
    knowledge_dir: str | None = None
    answer_order: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    questions_asked: int | None = None
    pending_question: str | None = None
    actions: tuple[Mapping[str, Any], ...] = ()
    outcome: Mapping[str, Any] | None = None
    scenario: str | None = None
    #: What the interview needs beyond the observations so that a resumed session does not ask again: the yes/no
    #: answers about fixes tried and the checklists shown (:meth:`Interview.session_fields`).
    interview_state: Mapping[str, Any] = field(default_factory=dict)

    def observed(self) -> dict[str, Observation]:
        """The observations by id."""
        return {o.id: o for o in self.observations}

    def to_json(self) -> dict[str, Any]:
        """The session as one JSON object (not yet redacted: :func:`photon_doctor.sessions.save_session` does)."""
        return {
            "schema_version": SESSION_SCHEMA_VERSION,
            "id": self.id,
            "command": self.command,
            "knowledge_dir": self.knowledge_dir,
            "scenario": self.scenario,
            "observations": [observation_json(o) for o in self.observations],
            "answer_order": list(self.answer_order),
            "skipped": list(self.skipped),
            "questions_asked": self.questions_asked,
            "pending_question": self.pending_question,
            "diagnosis": dict(self.diagnosis),
            "actions": [dict(a) for a in self.actions],
            "outcome": dict(self.outcome) if self.outcome is not None else None,
            "interview_state": dict(self.interview_state),
        }

    @classmethod
    def from_json(cls, kb: KnowledgeBase | None, data: Any, where: str) -> Session:
        """Read a session object of schema 1 or 2; observations are checked against ``kb`` (with None, only their
        shape is: ``graph --session`` marks what it can and lists the rest).

        Raises :class:`SessionError` naming ``where`` and the field when something is missing or malformed.
        The lists of a schema 1 file that are absent read as empty; entries that are not what they should be
        (a skipped question that is not a string) are left out, as the interview always did.
        """
        if not isinstance(data, Mapping) or data.get("schema_version") not in READABLE_VERSIONS:
            raise SessionError(
                f"{where}: not a photon-doctor session (schema_version {SESSION_SCHEMA_VERSION})"
            )
        if not isinstance(data.get("observations"), list):
            raise SessionError(f"{where}: field 'observations' missing or not a list")
        observations = tuple(_observations(kb, data["observations"], where).values())
        skipped = data.get("skipped", [])
        if not isinstance(skipped, list):
            raise SessionError(f"{where}: field 'skipped' is not a list")
        order = data.get("answer_order", [])
        asked = data.get("questions_asked")
        pending = data.get("pending_question")
        diagnosis = data.get("diagnosis")
        actions = data.get("actions")
        outcome = data.get("outcome")
        state = data.get("interview_state")
        text = {k: data.get(k) for k in ("id", "command", "knowledge_dir", "scenario")}
        return cls(
            observations=observations,
            diagnosis=_diagnosis_document(diagnosis),
            command=text["command"] if isinstance(text["command"], str) else "diagnose",
            id=text["id"] if isinstance(text["id"], str) else None,
            knowledge_dir=text["knowledge_dir"] if isinstance(text["knowledge_dir"], str) else None,
            answer_order=tuple(o for o in order if isinstance(o, str)) if isinstance(order, list) else (),
            skipped=tuple(s for s in skipped if isinstance(s, str)),
            questions_asked=asked
            if isinstance(asked, int) and not isinstance(asked, bool) and asked >= 0
            else None,
            pending_question=pending if isinstance(pending, str) else None,
            actions=_actions(actions, where),
            outcome=_object_or_none(outcome, "outcome", where),
            scenario=text["scenario"] if isinstance(text["scenario"], str) else None,
            interview_state=state if isinstance(state, Mapping) else {},
        )


#: The lists of objects in a saved diagnosis document (docs/json-output.md) that report, why and graph read.
_DIAGNOSIS_LISTS = ("observations", "unavailable", "ranked_causes", "other_causes", "plan", "trace")


def _diagnosis_document(value: Any) -> Mapping[str, Any]:
    """The saved diagnosis as its readers expect it: a list that is not a list (a file edited by hand: -1, a
    string) reads as absent, and an entry of it that is not an object is left out (report and graph crashed on
    ``"ranked_causes": -1``)."""
    if not isinstance(value, Mapping):
        return {}
    document = dict(value)
    for key in _DIAGNOSIS_LISTS:
        if key in document:
            items = document[key]
            if isinstance(items, list):
                document[key] = [item for item in items if isinstance(item, Mapping)]
            else:
                del document[key]
    return document


def _object_or_none(value: Any, name: str, where: str) -> Mapping[str, Any] | None:
    if value is None or isinstance(value, Mapping):
        return value
    raise SessionError(f"{where}: field '{name}' is not an object")


def _actions(value: Any, where: str) -> tuple[Mapping[str, Any], ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise SessionError(f"{where}: field 'actions' is not a list")
    for i, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise SessionError(f"{where}: actions[{i}] is not an object")
    return tuple(value)


def _observations(kb: KnowledgeBase | None, items: list[Any], where: str) -> dict[str, Observation]:
    """Typed observations (with their provenance) from a session's list, in either observation shape."""
    result: dict[str, Observation] = {}
    for i, raw in enumerate(items):
        if not isinstance(raw, Mapping) or "id" not in raw or "value" not in raw:
            raise SessionError(f"{where}: observations[{i}] needs 'id' and 'value'")
        if not isinstance(raw["id"], str):
            raise SessionError(f"{where}: observations[{i}].id must be an observation id (a string)")
        if not isinstance(raw.get("provenance") or {}, Mapping):
            raise SessionError(f"{where}: observations[{i}].provenance is not an object")
        item = one_shape(raw)
        if kb is None:
            value = item["value"]
            value = tuple(str(v) for v in value) if isinstance(value, list) else value
            if not isinstance(value, (str, bool, int, float, tuple)):
                raise SessionError(f"{where}: observations[{i}].value is not a value")
            typed = {item["id"]: Observation(item["id"], value)}
        else:
            try:
                typed = observations_from_mapping(kb, {item["id"]: item["value"]}, Provenance(), where)
            except UsageError as exc:
                raise SessionError(str(exc)) from None
        confidence = item.get("confidence", 1.0)
        if (
            isinstance(confidence, bool)
            or not isinstance(confidence, (int, float))
            or not 0 <= confidence <= 1
        ):
            raise SessionError(
                f"{where}: observations[{i}].confidence must be a number from 0 to 1, "
                f"not {json.dumps(confidence)[:40]}"
            )
        obs = typed[item["id"]]
        prov = item["provenance"]
        source = Source.parse(str(prov["source"]))
        if source is None:
            raise SessionError(
                f"{where}: observations[{i}].provenance.source must be one of "
                f"{', '.join(s.value for s in Source)}, not {json.dumps(prov['source'])[:40]}"
            )
        result[obs.id] = Observation(
            obs.id, obs.value, float(confidence), Provenance(source, str(prov["detail"]))
        )
    return result
