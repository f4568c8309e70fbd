"""Plain words for people (photon_doctor/plain.py): WHY at a question in 3-6 lines of words, `why` targets found
by plan number, id, an id's start or words of a title, with "did you mean"; risks as honest sentences."""

from __future__ import annotations

import re

import pytest
from photon_doctor.engine.diagnosis import diagnose
from photon_doctor.engine.explain import why_question
from photon_doctor.foundation.evidence import Observation
from photon_doctor.knowledge.loader import load_knowledge

from photon_doctor.plain import (
    NoSuchTarget,
    counted,
    find_target,
    risk_sentence,
    why_question_text,
    wrap,
    wrap_lines,
)

KB = load_knowledge()
OBS = {"fixes_tried_failed": Observation("fixes_tried_failed", ())}
D = diagnose(KB, OBS)


def test_why_at_a_question_is_a_few_lines_of_words() -> None:
    text = why_question_text(KB, D, why_question(KB, OBS, D, "led_pattern"))
    lines = text.splitlines()
    assert 3 <= len(lines) <= 6, text
    assert lines[0].startswith("Why I ask: ") and re.search(
        r"more likely|(becomes|stays) the likeliest", text
    )
    assert "led_pattern" not in text and " -> " not in text and "cf" not in text


def test_why_after_the_answer_says_what_it_told() -> None:
    obs = dict(OBS, led_pattern=Observation("led_pattern", "blinking_green"))
    d = diagnose(KB, obs)
    text = why_question_text(KB, d, why_question(KB, obs, d, "led_pattern"), answered="blinking_green")
    assert text.startswith("You answered '") and "Why I ask" not in text and "more likely" in text


def test_targets_by_number_id_prefix_and_title_words() -> None:
    assert find_target(KB, D, "1").id == D.plan[0].fix
    assert find_target(KB, D, "use_dynamic_ip").id == "use_dynamic_ip"
    assert (
        find_target(KB, D, "flash_reset_settings_firm").id == "flash_reset_settings_firmware"
    )  # cut at 80 cols
    assert find_target(KB, D, "static ip").id == "static_ip_misconfigured"
    assert find_target(KB, D, "back to DHCP").id == "use_dynamic_ip"
    # A fix's title words before the start of a question's id: "tinker" is the fix that flashes it (QA: it was
    # the question tinker_fixes); an observation id's start still finds the question when no title has the word.
    assert find_target(KB, D, "tinker").id == "flash_tinker_usb"
    assert find_target(KB, D, "tinker_fix").id == "tinker_fixes"
    assert find_target(KB, D, "bluetooth_near").id == "bluetooth_nearby"


@pytest.mark.parametrize(
    ("target", "said"),
    [
        ("0", "there is no step 0 in the plan"),
        ("use_dynamic_iq", "Did you mean 'Switch the device back to DHCP'"),
        ("keys", "things: "),
        ("gremlins", "nothing is called 'gremlins'"),
    ],
)
def test_near_misses_and_ambiguity_are_said(target: str, said: str) -> None:
    with pytest.raises(NoSuchTarget) as err:
        find_target(KB, D, target)
    assert said in str(err.value)


def test_a_support_ticket_is_not_said_to_be_undoable() -> None:
    assert risk_sentence(KB.fixes["contact_support_replace"]) == "Harmless: nothing on the device is lost."
    assert risk_sentence(KB.fixes["flash_tinker_usb"]) == "It erases data on the device; it cannot be undone."


def test_wrapping_keeps_a_list_items_hang() -> None:
    text = wrap_lines(["  12) " + "word " * 30], 40)
    lines = text.splitlines()
    assert (
        all(len(line) <= 40 for line in lines)
        and lines[1].startswith(" " * 6)
        and lines[0].startswith("  12) ")
    )


def test_why_at_the_led_colour_says_what_the_colour_is_for_not_to_skip_it() -> None:
    # QA finding: the first question, chosen as the most useful, answered WHY with "No answer would change the
    # ranking much now; you may skip it with '?'" -- and skipping the colour skips the LED pattern too.
    text = why_question_text(KB, D, why_question(KB, OBS, D, "led_colour"))
    assert "skip" not in text and "No answer would change" not in text
    assert "how the LED blinks" in text and len(text.splitlines()) <= 6


@pytest.mark.parametrize(
    "typed, meant", [("statc ip", "static IP"), ("static ipp", "static IP"), ("antena", "antenna")]
)
def test_typos_in_title_words_get_a_did_you_mean(typed: str, meant: str) -> None:
    # QA finding: only whole ids and titles got "did you mean"; a typo in one word of a title got none.
    with pytest.raises(NoSuchTarget) as err:
        find_target(KB, D, typed)
    assert "Did you mean" in str(err.value) and meant in str(err.value)


@pytest.mark.parametrize("typed", ["-1", "2.5", "+3"])
def test_a_number_that_is_no_step_is_not_matched_against_title_digits(typed: str) -> None:
    # QA finding: `why -1` explained "The router is in 802.11n-only mode", `why 2.5` the Device OS answer.
    with pytest.raises(NoSuchTarget, match="no step"):
        find_target(KB, D, typed)


def test_one_percentage_reads_with_one_word() -> None:
    # QA finding: "likely, about 60 %" and "very likely, about 60 %" (0.58 and 0.61) in the same evening.
    from photon_doctor.plain import likelihood

    words: dict[str, set[str]] = {}
    for i in range(1001):
        word, shown = likelihood(i / 1000).split(", ")
        words.setdefault(shown, set()).add(word)
    assert all(len(w) == 1 for w in words.values()), {k: v for k, v in words.items() if len(v) > 1}


def test_did_you_mean_a_question_ends_with_one_question_mark() -> None:
    with pytest.raises(NoSuchTarget) as err:
        find_target(KB, D, "physical_damge")
    assert "?'?" not in str(err.value) and str(err.value).endswith("'")


def test_counted_says_one_thing_or_many() -> None:
    assert counted(1, "observation") == "1 observation"
    assert [counted(n, "case") for n in (0, 2)] == ["0 cases", "2 cases"]
    assert counted(2000, "fix", "fixes") == "2,000 fixes"


def test_a_number_stays_with_its_unit_when_wrapped() -> None:
    text = "A leftover static IP setting does not fit this network: very unlikely, under 5 %."
    assert wrap(text, 80) == [text[:-5].rstrip(), "5 %."]
    assert wrap("x" * 70 + " about 45 min spent", 80)[1] == "45 min spent"
    assert all("\u00a0" not in line for line in wrap(text, 80))


def test_a_line_that_starts_with_a_share_goes_on_under_its_title() -> None:
    line = (
        "   52.5 %  The site lost power or its internet connection: 32 devices (photon-000006, photon-000007)"
    )
    lines = wrap_lines([line], 60).splitlines()
    assert len(lines) > 1 and all(later.startswith(" " * 11) and later[11] != " " for later in lines[1:])


def test_a_cause_s_fixes_are_listed_in_the_plan_s_order() -> None:
    """QA: `why "hidden"` listed its fixes as steps 13, 18, 2, 1, 7."""
    from photon_doctor.engine.explain import how_cause

    from photon_doctor.plain import how_cause_text

    for cause in KB.causes:
        text = how_cause_text(KB, D, how_cause(KB, D, cause))
        places = re.findall(r"\((?:step (\d+) of the plan|not in the plan now)\)", text)
        steps = [int(n) if n else len(D.plan) + 1 for n in places]  # the fixes not in the plan come last
        assert steps == sorted(steps), (cause, places)


@pytest.mark.parametrize(
    ("title", "inside"),
    [
        ("The network is hidden", "the network is hidden"),
        ("A firewall blocks", "a firewall blocks"),
        ("Unusual characters in the network name", "unusual characters in the network name"),
        ("System firmware, bootloader and application", "system firmware, bootloader and application"),
        ("Wi-Fi drops", "Wi-Fi drops"),
        ("DHCP fails", "DHCP fails"),
        ("Particle cloud incident", "Particle cloud incident"),
        ("Device OS is old", "Device OS is old"),
    ],
)
def test_a_title_inside_a_sentence_starts_small_unless_it_is_a_name(title: str, inside: str) -> None:
    """QA: "If 'yes': Unusual characters in the network name or password becomes more likely" (a capital in the
    middle of a sentence, where "the network is hidden" was lowered)."""
    from photon_doctor.plain import in_sentence

    assert in_sentence(title) == inside


def test_why_at_a_number_question_says_whole_numbers_plainly_and_each_effect_once() -> None:
    """QA: the signal question's WHY read "If '-85.0 dBm'", then "If '-65.0 dBm'" and "If '-62.0 dBm'" with the
    same effect, word for word."""
    obs = dict(OBS, network_hidden=Observation("network_hidden", True))
    d = diagnose(KB, obs)
    text = why_question_text(KB, d, why_question(KB, obs, d, "signal_rssi_dbm"))
    effects = [line.partition(": ")[2] for line in text.splitlines() if line.startswith("If '")]
    assert effects and len(effects) == len(set(effects)), text
    assert not re.search(r"\d\.0 dBm", text), text


def test_why_names_every_cause_in_small_letters_inside_its_sentence() -> None:
    """QA: "If 'yes': Unusual characters in the network name or password becomes more likely; the network is
    hidden, ... less likely": one title lowered, the other not."""
    obs = dict(OBS, network_hidden=Observation("network_hidden", True))
    d = diagnose(KB, obs)
    text = why_question_text(KB, d, why_question(KB, obs, d, "password_unusual_chars"))
    effects = [line.partition("': ")[2] for line in text.splitlines() if line.startswith("If '")]
    assert effects, text
    for effect in effects:
        for part in effect.split("; "):
            assert not re.match(r"[A-Z][a-z]+ ", part) or part.split()[0] in ("Particle", "Device"), effect


def test_whole_words_of_a_title_win_over_the_start_of_a_longer_word() -> None:
    # QA finding: `why "device list"` said it fits 'Put the device in listening mode before setup', 'Setup ran
    # while the device was not in listening mode', ... ("list" is the start of "listening") and never offered the
    # question whose title has both words: 'Does your account's device list (particle list) show the device?'.
    assert find_target(KB, D, "account list").id == "cloud_lists_device"
    with pytest.raises(NoSuchTarget) as err:
        find_target(KB, D, "device list")
    said = str(err.value)
    assert "Does your account's device list" in said and "Put the device in listening mode" not in said, said


def test_an_ambiguous_target_says_how_many_things_it_fits_and_ends_with_a_full_stop() -> None:
    with pytest.raises(NoSuchTarget) as err:
        find_target(KB, D, "wi-fi")
    said = str(err.value)
    assert re.search(r"fits \d+ things:", said) and said.endswith("."), said
