"""The shapes of questions that come from the knowledge rather than from one observation (engine/questions.py):
the LED pattern narrowed to the colour given, and "have you already tried this fix?".

Written in the second round of mutation testing (docs/reliability.md): the "other" colour and the yes/no question
about a fix already tried could be broken with every test passing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pytest
from photon_doctor.engine.diagnosis import diagnose
from photon_doctor.engine.questions import (
    AWARENESS,
    CHECKLIST_PREFIX,
    QUESTION_OVERHEAD,
    candidate_values,
    led_colour_of,
    next_question,
    question_def,
    rank_questions,
    value_of,
)
from photon_doctor.foundation.evidence import Observation, ObsValue
from photon_doctor.foundation.ids import LED_COLOUR, LED_PATTERN, TRIED_PREFIX
from photon_doctor.knowledge.loader import load_knowledge
from photon_doctor.knowledge.model import Kind, version_key

from photon_doctor.evaluate import load_cases
from tests.conftest import REPO

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


def test_an_item_is_offered_only_while_the_rule_it_feeds_can_still_fire() -> None:
    """A dent that resets the device when pressed, on a network where other devices work, argues for damage
    (the rule needs all three). With a dent known, "it resets when I press the module" is worth ticking; once the
    owner said other devices on that network do not work either, the rule cannot fire and the item is not
    offered: a sibling already answered keeps its answer when an item's worth is weighed."""
    dent = {"visible_damage": Observation("visible_damage", True)}
    offered = question_def(KB, dent, "checklist:already_found", diagnose(KB, dent).probabilities).choices
    assert "reboots_when_pressed=yes" in offered
    others_fail = {
        **dent,
        "other_devices_same_network_work": Observation("other_devices_same_network_work", False),
    }
    offered = question_def(
        KB, others_fail, "checklist:already_found", diagnose(KB, others_fail).probabilities
    ).choices
    assert "reboots_when_pressed=yes" not in offered
    assert [r.id for r in KB.rules_using("reboots_when_pressed")] == ["dent_pressure_reset_one_network"]


def test_the_device_os_question_looks_ahead_at_valid_versions_on_each_side_of_every_threshold() -> None:
    """What a Device OS answer could be, for the question's value: the versions the rules compare with, and one
    below and one above each of them, every one a version a person could type (mutation testing: "1.-1.0" and
    "-1.9.0" went unnoticed, and so did a "below" that was above)."""
    odef = KB.observations["device_os_version"]
    thresholds = {str(c.value) for r in KB.rules_using(odef.id) for c in r.conditions if c.obs == odef.id}
    assert thresholds
    values = candidate_values(KB, odef)
    keys = [version_key(str(v)) for v in values]  # raises on a value that is no version
    assert all(k >= version_key("0.0.0") for k in keys)
    for t in thresholds:
        assert t in values
        assert any(k < version_key(t) for k in keys) and any(k > version_key(t) for k in keys)
    assert len(set(values)) == len(values)


def _kl(post: Mapping[str, float], prior: Mapping[str, float]) -> float:
    return sum(p * math.log(p / prior[c]) for c, p in post.items() if p > 0 and prior.get(c, 0.0) > 0)


@pytest.mark.parametrize("values", [{}, {"led_pattern": "blinking_green"}, {"led_pattern": "breathing_cyan"}])
def test_a_checklist_is_worth_what_its_ticks_would_teach(values: dict[str, str]) -> None:
    """The module's rule: a list is worth, over its open items, the chance the owner ticks one (aware of it half
    the time, AWARENESS, times the chance it holds) times what the tick would teach, KL(after || now); per
    minute of reading the list. Each item's chance and posterior are the single question's own."""
    observations = {k: Observation(k, v) for k, v in values.items()}
    d = diagnose(KB, observations)
    ranked = {q.obs: q for q in rank_questions(KB, observations, d)}
    for cl in KB.checklists.values():
        expected = 0.0
        for item in cl.items:
            odef = KB.observations[item.obs]
            if item.obs in observations or not odef.askable or item.obs == LED_COLOUR:
                continue
            single = value_of(KB, observations, d, item.obs)
            if single is None:
                continue
            expected += sum(
                AWARENESS * o.probability * _kl(o.posterior, d.probabilities)
                for o in single.outcomes
                if o.value == item.value
            )
        qv = ranked[CHECKLIST_PREFIX + cl.id]
        assert expected > 0
        assert qv.information_gain == pytest.approx(expected, rel=1e-9)
        assert qv.cost == cl.cost + QUESTION_OVERHEAD
        # Not discounted by answerability: the owner's awareness of each item is already in the chance of a tick.
        assert qv.gain_per_minute == pytest.approx(expected / (cl.cost + QUESTION_OVERHEAD), rel=1e-9)


def test_a_checklist_whose_every_item_is_answered_is_not_asked() -> None:
    cl = next(iter(KB.checklists.values()))
    answered = {item.obs: Observation(item.obs, item.value) for item in cl.items}
    ranked = rank_questions(KB, answered, diagnose(KB, answered))
    assert CHECKLIST_PREFIX + cl.id not in {q.obs for q in ranked}
    assert any(q.obs.startswith(CHECKLIST_PREFIX) for q in ranked)  # the other lists still are


@pytest.mark.parametrize(
    "values",
    [
        {"led_pattern": "blinking_green"},
        {"led_pattern": "breathing_cyan"},
        {"power_source": "battery"},
        {"led_pattern": "breathing_white", "recent_device_os_update": True},
    ],
)
def test_the_interview_asks_the_best_question_while_it_is_worth_its_minutes(
    values: dict[str, ObsValue],
) -> None:
    """Not only a question worth a nat a minute: any worth MIN_GAIN_PER_MINUTE (mutation testing: stopping
    below 1 nat a minute passed every test, the first question of an interview being worth more)."""
    observations = {k: Observation(k, v) for k, v in values.items()}
    d = diagnose(KB, observations)
    best = rank_questions(KB, observations, d)[0]
    assert not d.leading_clear and 0 <= best.saving < 1
    asked = next_question(KB, observations, d)
    assert asked is not None and asked.obs == best.obs


def test_the_led_colour_comes_first_then_its_pattern() -> None:
    """Once the lists were shown, what the LED shows is worth most; it is asked as the colour first, then the
    colour's patterns while the owner is looking at the LED."""
    shown = {CHECKLIST_PREFIX + c for c in KB.checklists}
    d = diagnose(KB, {})
    assert rank_questions(KB, {}, d, shown)[0].obs == LED_PATTERN
    first = next_question(KB, {}, d, shown)
    assert first is not None and first.obs == LED_COLOUR
    # Told to skip the colour, the pattern itself is asked.
    skipped = next_question(KB, {}, d, shown | {LED_COLOUR})
    assert skipped is not None and skipped.obs == LED_PATTERN
    # The colour given: the pattern comes next, before any other question.
    for colour in ("green", "cyan", "white"):
        known = {LED_COLOUR: Observation(LED_COLOUR, colour)}
        after = next_question(KB, known, diagnose(KB, known))
        assert after is not None and after.obs == LED_PATTERN, colour


def test_the_last_question_worth_asking_is_asked() -> None:
    """A public case (real-d09) once its lists were shown: one question left is worth its minutes, the next is
    not; the one is asked (mutation testing: looking at the second question's worth passed every test)."""
    (case,) = [
        c for c in load_cases(KB, sorted((REPO / "tests" / "cases").glob("*.json"))) if c.id == "real-d09"
    ]
    shown = {CHECKLIST_PREFIX + c for c in KB.checklists}
    d = diagnose(KB, case.observations)
    ranked = rank_questions(KB, case.observations, d, shown)
    assert not d.leading_clear and ranked[0].saving >= 0 > ranked[1].saving
    asked = next_question(KB, case.observations, d, shown)
    assert asked is not None and asked.obs == ranked[0].obs
