"""The one Session type: its JSON round-trips, and a schema 1 file in the old shapes is still read."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from photon_doctor.foundation.errors import SessionError
from photon_doctor.foundation.evidence import Observation, Provenance, Source, observation_json, one_shape
from photon_doctor.knowledge.loader import load_knowledge
from photon_doctor.knowledge.model import KnowledgeBase

from photon_doctor.session import SESSION_SCHEMA_VERSION, Session
from photon_doctor.sessions import read_session, save_session
from tests.conftest import KB_MINI, REPO

OLD = REPO / "tests" / "data" / "session-v1.json"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge(KB_MINI)


def a_session() -> Session:
    return Session(
        observations=(
            Observation("visible_damage", True, 1.0, Provenance("person", "answered at the prompt")),
            Observation("led_pattern", "blinking_green", 0.8, Provenance("probe:serial", "sent 'i'")),
        ),
        diagnosis={"schema_version": 1, "ranked_causes": [{"id": "physical_damage"}]},
        id="20261201T101010-abcdef",
        knowledge_dir=str(KB_MINI),
        answer_order=("visible_damage",),
        skipped=("usb_cable_ok",),
        questions_asked=2,
        pending_question="led_pattern",
        actions=({"fix": "flash_tinker_usb", "result": "failed"},),
        outcome={"verified_connected": False, "fixed_by": None},
        scenario="dented",
    )


def test_a_session_round_trips_through_its_json(kb: KnowledgeBase) -> None:
    s = a_session()
    data = json.loads(json.dumps(s.to_json()))
    assert data["schema_version"] == SESSION_SCHEMA_VERSION == 2
    assert Session.from_json(kb, data, "test") == s


def test_every_field_is_written_even_when_empty() -> None:
    assert set(Session().to_json()) == {
        "schema_version",
        "id",
        "command",
        "knowledge_dir",
        "scenario",
        "observations",
        "answer_order",
        "skipped",
        "questions_asked",
        "pending_question",
        "diagnosis",
        "actions",
        "outcome",
        "interview_state",
    }


def test_the_interview_state_comes_back_and_a_malformed_one_is_left_out() -> None:
    state = {
        "tried_answers": {"reset_keys": True},
        "checklists_asked": {"checklist:changes": ["recent_router_change"]},
    }
    back = Session.from_json(None, Session(interview_state=state).to_json(), "test")
    assert back.interview_state == state
    data = {**Session().to_json(), "interview_state": ["not", "an", "object"]}
    assert Session.from_json(None, data, "test").interview_state == {}


def test_a_schema_1_file_in_the_old_shape_is_read(kb: KnowledgeBase) -> None:
    path, s = read_session(kb, OLD)
    assert path == OLD and s.id == "20261101T101010-abc123" and s.questions_asked == 1
    # The flat observation (source and detail beside the value) and the nested one read the same way.
    assert s.observed() == {
        "visible_damage": Observation(
            "visible_damage", True, 1.0, Provenance("person", "answered at the prompt")
        ),
        "led_pattern": Observation(
            "led_pattern", "blinking_green", 0.9, Provenance("cli", "--answer led_pattern=blinking_green")
        ),
    }
    # What a schema 1 file may lack reads as empty.
    assert (s.answer_order, s.skipped, s.pending_question, s.actions, s.outcome, s.scenario) == (
        (),
        (),
        None,
        (),
        None,
        None,
    )
    assert s.diagnosis["ranked_causes"][0]["id"] == "physical_damage"


def test_an_old_file_is_saved_again_in_the_new_schema(kb: KnowledgeBase, tmp_path: Path) -> None:
    _, s = read_session(kb, OLD)
    path = save_session(s, tmp_path / "again.json")
    data = json.loads(path.read_text())
    assert data["schema_version"] == 2 and data["id"] == "20261101T101010-abc123"
    assert all(set(o) == {"id", "value", "confidence", "provenance"} for o in data["observations"])
    assert read_session(kb, path)[1] == s


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"schema_version": 3}, "not a photon-doctor session"),
        ({"schema_version": "1"}, "not a photon-doctor session"),
        ({"observations": {}}, "field 'observations' missing or not a list"),
        ({"skipped": "x"}, "field 'skipped' is not a list"),
        ({"actions": [1]}, "actions[0] is not an object"),
        ({"actions": 5}, "field 'actions' is not a list"),  # mutation round 2: a number, a string, an object
        ({"actions": "x"}, "field 'actions' is not a list"),
        ({"actions": {"a": 1}}, "field 'actions' is not a list"),
        ({"outcome": []}, "field 'outcome' is not an object"),
        ({"observations": [{"id": "led", "value": "x"}]}, "unknown observation 'led'"),
        ({"observations": [{"id": "visible_damage", "value": True, "provenance": 5}]}, "is not an object"),
        (
            {
                "observations": [
                    {"id": "visible_damage", "value": True, "provenance": {"source": "rumour", "detail": ""}}
                ]
            },
            "provenance.source must be one of person, cli",
        ),
    ],
)
def test_a_malformed_session_is_a_session_error(
    kb: KnowledgeBase, change: dict[str, Any], message: str
) -> None:
    data = {**json.loads(OLD.read_text()), **change}
    with pytest.raises(SessionError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Session.from_json(kb, data, "test")


def test_one_shape_takes_either_shape_and_keeps_other_keys() -> None:
    nested = observation_json(Observation("a", ("x", "y"), 0.5, Provenance("cli", "d")))
    flat = {"id": "a", "value": ["x", "y"], "confidence": 0.5, "source": "cli", "detail": "d"}
    assert one_shape(flat) == one_shape(nested) == nested
    assert one_shape({"id": "a", "value": 1, "value_text": "1"}) == {
        "id": "a",
        "value": 1,
        "value_text": "1",
        "provenance": {"source": "person", "detail": ""},
    }


def test_every_source_is_written_as_the_string_the_json_has_always_carried() -> None:
    for source in Source:
        obs = Observation("visible_damage", True, 1.0, Provenance(source, "seen"))
        assert json.loads(json.dumps(observation_json(obs)))["provenance"]["source"] == source.value
    # The strings documented before the Enum, unchanged; a string given for a source becomes the member.
    assert [s.value for s in Source if s.is_probe] == [
        f"probe:{n}" for n in ("serial", "softap", "cloud", "host", "usb")
    ]
    assert Provenance("cli").source is Source.CLI and Source.parse("what-if") is Source.WHAT_IF
    assert Source.parse("rumour") is None
    with pytest.raises(ValueError):
        Provenance("rumour")


@pytest.mark.parametrize("asked", [0, 3])
def test_how_many_questions_were_asked_is_read_back_also_when_none_were(
    kb: KnowledgeBase, asked: int
) -> None:
    """Mutation testing: a session that asked no question read back as "not known" with every test passing."""
    data = {**json.loads(OLD.read_text()), "questions_asked": asked}
    assert Session.from_json(kb, data, "test").questions_asked == asked


@pytest.mark.parametrize("asked", [-1, True, 1.5, "3"])
def test_an_odd_count_of_questions_reads_as_not_known(kb: KnowledgeBase, asked: object) -> None:
    data = {**json.loads(OLD.read_text()), "questions_asked": asked}
    assert Session.from_json(kb, data, "test").questions_asked is None


def _with_observation(item: object) -> dict[str, Any]:
    return {**json.loads(OLD.read_text()), "observations": [item]}


@pytest.mark.parametrize("knowledge", ["shipped", None])
@pytest.mark.parametrize(
    ("item", "message"),
    [
        (5, "observations[0] needs 'id' and 'value'"),
        ({"id": "visible_damage"}, "observations[0] needs 'id' and 'value'"),
        ({"value": True}, "observations[0] needs 'id' and 'value'"),
        (
            {"id": "visible_damage", "value": True, "confidence": 1.5},
            "observations[0].confidence must be a number from 0 to 1",
        ),
        (
            {"id": "visible_damage", "value": True, "confidence": -0.1},
            "observations[0].confidence must be a number from 0 to 1",
        ),
        (
            {"id": "visible_damage", "value": True, "confidence": True},
            "observations[0].confidence must be a number from 0 to 1",
        ),
        (
            {"id": "visible_damage", "value": True, "confidence": "1"},
            "observations[0].confidence must be a number from 0 to 1",
        ),
    ],
)
def test_a_malformed_observation_is_a_session_error_naming_it(
    kb: KnowledgeBase, knowledge: str | None, item: object, message: str
) -> None:
    """Mutation testing (round 2): each of these checks could go with every test passing; without them a bad
    session file ends in a traceback or an observation more certain than certain."""
    with pytest.raises(SessionError, match=re.escape(f"test: {message}")):
        Session.from_json(kb if knowledge else None, _with_observation(item), "test")


@pytest.mark.parametrize("value", [None, {"a": 1}])
def test_without_knowledge_a_value_must_still_be_a_value(value: object) -> None:
    """``graph --session`` reads a session without the knowledge: the value's shape is still checked."""
    with pytest.raises(SessionError, match=re.escape("test: observations[0].value is not a value")):
        Session.from_json(None, _with_observation({"id": "visible_damage", "value": value}), "test")


def test_the_ends_of_the_confidence_range_are_read() -> None:
    for confidence in (0, 1, 0.5):
        item = {"id": "visible_damage", "value": True, "confidence": confidence}
        (obs,) = Session.from_json(None, _with_observation(item), "test").observations
        assert obs.confidence == confidence and isinstance(obs.confidence, float)


@pytest.mark.parametrize("field", ["confidence", "source"])
def test_a_long_bad_value_is_quoted_in_40_characters(field: str) -> None:
    long = "x" * 100
    item: dict[str, Any] = {"id": "visible_damage", "value": True}
    if field == "confidence":
        item["confidence"] = long
    else:
        item["provenance"] = {"source": long, "detail": ""}
    with pytest.raises(SessionError) as err:
        Session.from_json(None, _with_observation(item), "test")
    quoted = json.dumps(long)[:40]
    assert str(err.value).endswith(f"not {quoted}") and len(quoted) == 40
