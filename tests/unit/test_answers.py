"""Answers from the command line and from files (photon_doctor/answers.py): what a well-formed one becomes, and the
one-line error a malformed one gets.

Written in the second round of mutation testing (docs/reliability.md): an ``--answer`` without ``=``, an answers
file holding a list, JSON booleans, the certainty of a typed answer and the length of a quoted value could all
change with every unit test passing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from photon_doctor.foundation.errors import UsageError
from photon_doctor.foundation.evidence import Provenance, Source
from photon_doctor.knowledge.loader import load_knowledge

from photon_doctor.answers import json_text, load_answers_file, observations_from_mapping, parse_assignment

KB = load_knowledge()


def test_an_answer_without_an_equals_sign_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="--answer expects id=value, got 'visible_damage'"):
        parse_assignment(KB, "visible_damage")


def test_a_typed_answer_is_certain_and_says_where_it_came_from() -> None:
    obs = parse_assignment(KB, " visible_damage = yes ")
    assert (obs.id, obs.value, obs.confidence) == ("visible_damage", True, 1.0)
    assert obs.provenance == Provenance(Source.CLI, "--answer visible_damage=yes")


def test_json_values_of_a_file_are_typed_and_certain() -> None:
    where = Provenance(Source.CLI, "--answers a.json")
    got = observations_from_mapping(
        KB, {"visible_damage": True, "joins_wifi": False, "signal_rssi_dbm": -70}, where, "a.json"
    )
    assert {k: (o.value, o.confidence, o.provenance) for k, o in got.items()} == {
        "visible_damage": (True, 1.0, where),
        "joins_wifi": (False, 1.0, where),
        "signal_rssi_dbm": (-70.0, 1.0, where),
    }


@pytest.mark.parametrize("content", [[["visible_damage", True]], "visible_damage", 3, None])
def test_an_answers_file_that_is_no_object_is_a_usage_error(tmp_path: Path, content: object) -> None:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(content))
    with pytest.raises(UsageError) as err:
        load_answers_file(KB, path)
    assert str(err.value) == f"{path}: expected a JSON object of observation id -> value"


def test_an_answers_file_may_be_a_case_file(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps({"id": "x", "observations": {"visible_damage": True}}))
    got = load_answers_file(KB, path)
    assert list(got) == ["visible_damage"] and got["visible_damage"].value is True
    assert got["visible_damage"].provenance == Provenance(Source.CLI, "--answers case.json")


@pytest.mark.parametrize("limit", [10, 40])
def test_a_quoted_value_is_cut_to_its_limit(limit: int) -> None:
    assert json_text("x" * limit, limit) == "x" * limit
    cut = json_text("x" * (limit + 1), limit)
    assert len(cut) == limit and cut == "x" * (limit - 1) + "…"
    assert len(json_text({"k": "v" * 100}, limit)) == limit
