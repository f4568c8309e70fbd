"""The shapes of questions that come from the knowledge rather than from one observation (engine/questions.py):
the LED pattern narrowed to the colour given, and "have you already tried this fix?".

Written in the second round of mutation testing (docs/reliability.md): the "other" colour and the yes/no question
about a fix already tried could be broken with every test passing.
"""

from __future__ import annotations

import pytest
from photon_doctor.engine.diagnosis import diagnose
from photon_doctor.engine.questions import QUESTION_OVERHEAD, led_colour_of, question_def, value_of
from photon_doctor.foundation.evidence import Observation
from photon_doctor.foundation.ids import LED_COLOUR, LED_PATTERN, TRIED_PREFIX
from photon_doctor.knowledge.loader import load_knowledge
from photon_doctor.knowledge.model import Kind

KB = load_knowledge()
COLOURS = tuple(KB.observations[LED_COLOUR].choices)
PATTERNS = tuple(KB.observations[LED_PATTERN].choices)


@pytest.mark.parametrize("colour", COLOURS)
def test_every_colour_narrows_the_pattern_question_to_its_own_patterns(colour: str) -> None:
    """Whatever colour the owner gives (also "other": a solid colour that is none of the named ones), the
    pattern question then offers that colour's patterns only."""
    narrowed = question_def(KB, {LED_COLOUR: Observation(LED_COLOUR, colour)}, LED_PATTERN)
    own = [p for p in PATTERNS if led_colour_of(p) == colour]
    assert own, f"no LED pattern starts with {colour}"
    assert list(narrowed.choices) == own


def test_the_colours_cover_every_pattern_once() -> None:
    assert sorted(p for c in COLOURS for p in PATTERNS if led_colour_of(p) == c) == sorted(PATTERNS)


def test_a_pattern_without_a_colour_word_is_other() -> None:
    assert led_colour_of("solid_color") == "other"
    assert led_colour_of("cyan_then_red") == "cyan" and led_colour_of("green_then_blinking_blue") == "green"


@pytest.mark.parametrize("fix_id", list(KB.fixes)[:3])
def test_a_fix_already_tried_is_asked_as_yes_or_no_naming_the_fix(fix_id: str) -> None:
    odef = question_def(KB, {}, TRIED_PREFIX + fix_id)
    assert odef.id == TRIED_PREFIX + fix_id and odef.kind is Kind.BOOL
    assert KB.fixes[fix_id].title in odef.question
    # The minutes the question is valued at are the minutes it is put with.
    d = diagnose(KB, {})
    qv = value_of(KB, {}, d, TRIED_PREFIX + fix_id)
    assert qv is not None and qv.cost == pytest.approx(odef.cost + QUESTION_OVERHEAD)
