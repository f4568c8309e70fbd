"""HOW and WHY say all they should, in words (QA of the explanations): HOW says plainly when nothing points to a
cause or against it (only its base rate); WHY at a question says the share an answer would give, and when it would
put another cause first; WHY at the check the plan shows before its fixes says which fix each answer puts first."""

from __future__ import annotations

import re

from photon_doctor.engine.diagnosis import Diagnosis, diagnose
from photon_doctor.engine.explain import how_cause, why_question
from photon_doctor.engine.observe import check_first
from photon_doctor.foundation.evidence import Observation, ObsValue
from photon_doctor.knowledge.loader import load_knowledge

from photon_doctor.plain import how_cause_text, in_sentence, percent, value_words, why_question_text

KB = load_knowledge()


def _observations(extra: dict[str, ObsValue]) -> dict[str, Observation]:
    obs = {"fixes_tried_failed": Observation("fixes_tried_failed", ())}
    obs.update({k: Observation(k, v) for k, v in extra.items()})
    return obs


def _diagnosis(extra: dict[str, ObsValue]) -> tuple[dict[str, Observation], Diagnosis]:
    obs = _observations(extra)
    return obs, diagnose(KB, obs)


def test_how_says_when_a_cause_has_only_its_base_rate() -> None:
    _, d = _diagnosis({"led_pattern": "cyan_then_orange_2", "history_static_ip": True})
    bare = [c for c in d.causes if len(c.evidence) == 1]  # its prior, nothing else
    assert bare  # the situation this test is about
    for c in bare:
        text = how_cause_text(KB, d, how_cause(KB, d, c.id))
        assert "What points to it" not in text and "What speaks against it" not in text
        assert (
            "Nothing known points to it or speaks against it: it has only its base rate, how common it is "
            f"before any evidence ({percent(c.prior)})." in text
        ), text
    supported = d.causes[0]
    assert "only its base rate" not in how_cause_text(KB, d, how_cause(KB, d, supported.id))


def test_why_at_a_question_says_the_share_each_answer_would_give() -> None:
    obs, d = _diagnosis({"led_colour": "green"})
    text = why_question_text(KB, d, why_question(KB, obs, d, "led_pattern"))
    checked = 0
    for line in text.splitlines():
        m = re.match(r"If '(.+?)': (.+?) (becomes|stays) the likeliest \(from (.+?) to (.+?)\)", line)
        if m is None:
            continue
        value = next(
            v for v in KB.observations["led_pattern"].choices if value_words(KB, "led_pattern", v) == m[1]
        )
        after = diagnose(KB, {**obs, "led_pattern": Observation("led_pattern", value)})
        top = after.causes[0]
        assert (top.id != d.causes[0].id) == (m[3] == "becomes")
        assert m[2] == in_sentence(KB.causes[top.id].title.rstrip("."))
        assert m[4] == percent(d.cause(top.id).probability) and m[5] == percent(top.probability)
        checked += 1
    assert checked >= 2, text  # before, the answers said "more likely" without a share or a leader


def test_why_at_the_check_says_which_fix_each_answer_puts_first() -> None:
    obs, d = _diagnosis({"led_pattern": "blinking_green"})
    check = check_first(KB, obs, d)
    assert check is not None
    text = why_question_text(KB, d, why_question(KB, obs, d, check.obs), asking=False)
    assert "The plan shows it as the check to do before the first fix" in text
    for value, p, first in check.outcomes:
        assert first is not None
        said = f"if '{value_words(KB, check.obs, value)}' ({percent(p)}), '{KB.fixes[first].title}'"
        assert said in text, text
    assert len(text.splitlines()) <= 6


def test_how_says_which_of_a_cause_s_fixes_was_tried() -> None:
    _, d = _diagnosis(
        {"led_pattern": "blinking_green", "fixes_tried_failed": ("set_wifi_credentials", "flash_tinker_usb")}
    )
    text = how_cause_text(KB, d, how_cause(KB, d, "wifi_credentials_wrong"))
    title = KB.fixes["set_wifi_credentials"].title
    assert f"  - {title} (tried without success)" in text  # it read "(not in the plan now)"
    assert "was tried and did not help" in text  # and the tried fix is among what speaks against the cause


def test_why_of_an_answer_gives_each_cause_s_share_now() -> None:
    obs, d = _diagnosis({"led_pattern": "cyan_then_orange_2", "history_static_ip": True})
    text = why_question_text(KB, d, why_question(KB, obs, d, "led_pattern"), answered="cyan_then_orange_2")
    lead = d.causes[0]
    assert f"{in_sentence(KB.causes[lead.id].title)} (now {percent(lead.probability)})" in text
    # a title with a comma in it is parted from the next by its share, not run into it
    assert "not the device and the" not in text


def test_a_cause_far_down_the_ranking_reads_with_the_right_ordinal() -> None:
    from photon_doctor.plain import _ordinal

    said = {n: _ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111)}
    assert said == {
        1: "first", 2: "second", 3: "third", 4: "4th", 11: "11th", 12: "12th", 13: "13th",
        21: "21st", 22: "22nd", 23: "23rd", 101: "101st", 111: "111th",
    }  # fmt: skip
