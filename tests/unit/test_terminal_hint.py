"""The demo's hint under a question speaks in words even when it does not fit the choices (QA finding: after a
wrong LED colour the pattern question's hint read "would answer: blinking_green", an id that is no choice)."""

from __future__ import annotations

import io

import pytest
from photon_doctor.engine.questions import question_def
from photon_doctor.foundation.evidence import Observation
from photon_doctor.knowledge.loader import load_knowledge

from photon_doctor.terminal import TerminalAnswerer

KB = load_knowledge(None)


def test_a_hint_outside_the_narrowed_choices_is_said_in_words(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    known = {"led_colour": Observation("led_colour", "blue")}  # the owner sees green; dark blue was typed
    narrowed = question_def(KB, known, "led_pattern")
    assert "blinking_green" not in narrowed.choices
    monkeypatch.setattr("sys.stdin", io.StringIO("back\n"))
    reply = TerminalAnswerer(KB, hints={"led_pattern": "blinking_green"}, width=80).answer(narrowed, 2)
    said = capsys.readouterr().err
    assert reply == "back"
    assert "blinking_green" not in said and "green blinking" in said and "type back" in said


def test_a_checklist_hint_names_the_lines_the_owner_would_tick(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    checklist = next(iter(KB.checklists.values()))
    odef = question_def(KB, {}, "checklist:" + checklist.id)
    third = checklist.items[2]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    TerminalAnswerer(KB, hints={third.obs: third.value}, width=200).answer(odef, 3)
    assert "the owner of this simulated Photon would answer: 3\n" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    TerminalAnswerer(KB, hints={"led_pattern": "blinking_green"}, width=200).answer(odef, 3)
    assert "would answer: nothing (press Enter)" in capsys.readouterr().err
