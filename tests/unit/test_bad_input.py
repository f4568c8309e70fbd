"""Bad input that used to crash: superscript digits, NaN, huge numbers, unhashable items, odd iw output.

Each case is one a person (or a damaged file) can produce; each must end in a clear error or a lost fact,
never an exception escaping.
"""

from __future__ import annotations

import json
import math

import pytest
from photon_doctor.foundation.errors import UsageError
from photon_doctor.foundation.evidence import Provenance
from photon_doctor.foundation.numbers import ascii_int, finite_number
from photon_doctor.knowledge.loader import load_knowledge
from photon_doctor.knowledge.model import KnowledgeBase
from photon_doctor.probes.wifi_parsers import parse_iw_link

from photon_doctor.answers import AnswerError, observations_from_mapping, parse_assignment, parse_value
from photon_doctor.interview import short_reask
from tests.conftest import KB_MINI


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge(KB_MINI)


@pytest.mark.parametrize("text", ["³", "¹²", "٣", "1³", "", " ", "-1", "+1", "1.0", "1e3", "9" * 40])
def test_ascii_int_rejects_what_int_would_not_take_or_is_absurd(text: str) -> None:
    assert ascii_int(text) is None


@pytest.mark.parametrize(("text", "value"), [("0", 0), ("7", 7), (" 42 ", 42), ("65535", 65535)])
def test_ascii_int_accepts_plain_digits(text: str, value: int) -> None:
    assert ascii_int(text) == value


@pytest.mark.parametrize(
    "raw", ["nan", "NaN", "inf", "-Infinity", "1e400", 10**400, float("nan"), True, "1_0"]
)
def test_finite_number_rejects_nan_infinity_overflow_and_bools(raw: object) -> None:
    assert finite_number(raw) is None


@pytest.mark.parametrize(("raw", "value"), [("-52", -52.0), (" -60.5 ", -60.5), (-70, -70.0), (1.5, 1.5)])
def test_finite_number_accepts_numbers(raw: object, value: float) -> None:
    assert finite_number(raw) == value


@pytest.mark.parametrize("raw", ["³", "¹", "1³", "٣"])
def test_superscript_digit_at_a_choice_is_a_clear_answer_error(kb: KnowledgeBase, raw: str) -> None:
    with pytest.raises(AnswerError, match="not a valid answer for led_pattern"):
        parse_value(kb, kb.observations["led_pattern"], raw)


def test_superscript_digit_in_a_fix_list_is_a_clear_answer_error(kb: KnowledgeBase) -> None:
    with pytest.raises(AnswerError, match="'²' names no fix"):
        parse_value(kb, kb.observations["fixes_tried_failed"], "1, ²")


def test_choice_by_number_still_works(kb: KnowledgeBase) -> None:
    first = next(iter(kb.observations["led_pattern"].choices))
    assert parse_value(kb, kb.observations["led_pattern"], "1") == first
    assert parse_value(kb, kb.observations["fixes_tried_failed"], "1") == (next(iter(kb.fixes)),)


@pytest.mark.parametrize(("raw", "value"), [("-70 dBm", -70.0), ("-70dbm", -70.0), (" -85 DBM ", -85.0)])
def test_a_number_may_carry_its_own_unit(raw: str, value: float) -> None:
    full = load_knowledge()  # the shipped knowledge: the reading is in dBm
    assert parse_value(full, full.observations["signal_rssi_dbm"], raw) == value


@pytest.mark.parametrize("raw", ["dBm", "-70 dB", "-70 mW", "dBm -70"])
def test_only_a_number_and_its_own_unit_is_a_reading(raw: str) -> None:
    full = load_knowledge()
    with pytest.raises(AnswerError, match="signal_rssi_dbm"):
        parse_value(full, full.observations["signal_rssi_dbm"], raw)


@pytest.mark.parametrize(
    "raw", ["blinking green", "Blinking Green", "BLINKING_GREEN", "blinking-green", " blinking  green "]
)
def test_a_choice_may_be_typed_in_words(kb: KnowledgeBase, raw: str) -> None:
    assert parse_value(kb, kb.observations["led_pattern"], raw) == "blinking_green"


@pytest.mark.parametrize(
    ("obs", "raw", "value"),
    [
        ("led_pattern", "Blinking green.", "blinking_green"),
        ("led_pattern", "1.", "__first__"),
        ("device_os_version", "v1.5.2.", "1.5.2"),
        ("signal_rssi_dbm", "-70 dBm.", -70.0),
        ("fixes_tried_failed", "1 and 2", "__first_two__"),
        ("fixes_tried_failed", "1 2", "__first_two__"),
        ("fixes_tried_failed", "1; 2.", "__first_two__"),
        ("fixes_tried_failed", "No.", ()),  # none of them
        ("fixes_tried_failed", "none", ()),
    ],
)
def test_an_answer_may_end_as_a_sentence_and_a_list_may_be_spaced(obs: str, raw: str, value: object) -> None:
    """QA finding: "Blinking green." and "1 and 2" were refused at the prompt ("is not an answer here")."""
    full = load_knowledge()
    odef = full.observations[obs]
    wanted = {"__first__": next(iter(odef.choices), None), "__first_two__": tuple(list(full.fixes)[:2])}
    assert parse_value(full, odef, raw) == (
        wanted[value] if isinstance(value, str) and value in wanted else value
    )


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("Yes.", True),
        ("yep", True),
        ("Yeah!", True),
        ("nope", False),
        ("No.", False),
        ("nah", False),
        ("Yes, it does.", True),
        ("no it doesn't", False),
        ("I did", True),
        ("Already did.", True),
        ("tried it, didn't help", True),
        ("I have", True),
        ("It does", True),
        ("not yet", False),
        ("I haven't", False),
        ("I have not.", False),
        ("never", False),
        ("it doesn\u2019t", False),
        ("It does nothing.", False),
    ],
)
def test_yes_and_no_as_people_type_them(raw: str, value: bool) -> None:
    """QA finding (the words after "I did", an owner's answers to "Have you already tried this?"): "I did",
    "not yet" and "I haven't" were refused."""
    full = load_knowledge()
    assert parse_value(full, full.observations["listening_mode_enters"], raw) is value


@pytest.mark.parametrize("raw", ["didn't help", "I think so", "I do not remember", "is it?", "twice"])
def test_answers_that_say_neither_yes_nor_no_are_refused(raw: str) -> None:
    full = load_knowledge()
    with pytest.raises(AnswerError):
        parse_value(full, full.observations["listening_mode_enters"], raw)


@pytest.mark.parametrize(
    ("raw", "fixes"),
    [
        ("flashed Tinker", ("flash_tinker_usb",)),
        ("re-entered the Wi-Fi; updated Device OS", ("set_wifi_credentials", "update_device_os_usb")),
        ("cleared the wifi credentials", ("clear_wifi_credentials",)),
        ("ran keys doctor, then safe mode", ("reset_keys", "enter_safe_mode")),
        ("power cycled it and tried a phone hotspot", ("power_cycle", "use_other_network")),
        ("1, tinker", ("__first__", "flash_tinker_usb")),  # the first fix listed at the prompt, then words
        ("not yet", ()),
    ],
)
def test_fixes_tried_may_be_named_in_words(raw: str, fixes: tuple[str, ...]) -> None:
    full = load_knowledge()
    wanted = tuple(next(iter(full.fixes)) if f == "__first__" else f for f in fixes)
    assert parse_value(full, full.observations["fixes_tried_failed"], raw) == wanted


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("reset", "'reset': it could be a power cycle, clearing the Wi-Fi credentials"),
        ("tinker, particle doctor", "'particle doctor': particle doctor runs several fixes in one go"),
        ("prayed", "'prayed' names no fix"),
    ],
)
def test_words_that_name_several_fixes_or_none_are_refused_with_the_reason(raw: str, words: str) -> None:
    full = load_knowledge()
    with pytest.raises(AnswerError, match=words):
        parse_value(full, full.observations["fixes_tried_failed"], raw)


def test_every_fix_named_in_words_is_a_fix() -> None:
    from photon_doctor.tried_words import FIX_WORDS

    assert {fix for _, fix in FIX_WORDS} <= set(load_knowledge().fixes)


@pytest.mark.parametrize(
    ("obs", "raw", "value"),
    [
        (
            "led_pattern",
            "pulsing white",
            "breathing_white",
        ),  # the thread's words; the choice says "also called"
        ("led_pattern", "Green blinking.", "blinking_green"),
        ("led_pattern", "slow green fade", "breathing_green"),
        ("setup_stalls_at", "Verifying product ownership", "verifying_ownership"),
        ("power_source", "wall adapter", "usb_adapter"),
        ("network_security", "WPA2 personal", "wpa2_psk"),
    ],
)
def test_a_choice_may_be_typed_in_the_words_it_is_shown_with(obs: str, raw: str, value: str) -> None:
    """QA finding: the choice read "slow white fade (also called pulsing white)", and "pulsing white" (the
    thread's owner's words) was refused."""
    full = load_knowledge()
    assert parse_value(full, full.observations[obs], raw) == value


@pytest.mark.parametrize("raw", ["white", "green", "orange flashes", "safe mode", "is off", "blinking"])
def test_words_that_fit_no_choice_or_several_are_refused(raw: str) -> None:
    """One word, words of several choices, or words of a choice's explanation (after its colon) pick nothing."""
    full = load_knowledge()
    with pytest.raises(AnswerError):
        parse_value(full, full.observations["led_pattern"], raw)


@pytest.mark.parametrize("raw", [".", "!", "I think so", "yes no", "Yes, no, maybe", "1.2.3.4.5.6"])
def test_a_full_stop_alone_or_a_guess_is_still_refused(raw: str) -> None:
    full = load_knowledge()
    for obs in ("listening_mode_enters", "led_pattern", "fixes_tried_failed"):
        with pytest.raises(AnswerError):
            parse_value(full, full.observations[obs], raw)


@pytest.mark.parametrize("raw", ["blinking", "green blinking", "blinking_green_", "blinking.green"])
def test_words_that_name_no_choice_are_refused(kb: KnowledgeBase, raw: str) -> None:
    with pytest.raises(AnswerError, match="not a valid answer for led_pattern"):
        parse_value(kb, kb.observations["led_pattern"], raw)


@pytest.mark.parametrize("raw", ["nan", "inf", "-inf", "1e999"])
def test_nan_and_infinity_are_not_numbers_for_an_answer(kb: KnowledgeBase, raw: str) -> None:
    with pytest.raises(UsageError, match="signal_rssi_dbm"):
        parse_assignment(kb, f"signal_rssi_dbm={raw}")


@pytest.mark.parametrize(
    ("obs_id", "raw"),
    [
        ("signal_rssi_dbm", 10**400),
        ("signal_rssi_dbm", [[]]),
        ("fixes_tried_failed", [[]]),
        ("fixes_tried_failed", [{}]),
        ("fixes_tried_failed", [None, 1]),
        ("led_pattern", [[]]),
        ("led_pattern", {"a": 1}),
        ("device_os_version", 10**400),
        ("device_os_version", "1.²"),
        ("visible_damage", None),
    ],
)
def test_odd_json_values_in_a_file_are_usage_errors(kb: KnowledgeBase, obs_id: str, raw: object) -> None:
    with pytest.raises(UsageError, match=obs_id):
        observations_from_mapping(kb, {obs_id: raw}, Provenance(), "answers.json")


def test_a_nan_answer_can_never_be_saved_as_bare_nan(kb: KnowledgeBase) -> None:
    for raw in ("nan", "-52"):
        try:
            obs = parse_assignment(kb, f"signal_rssi_dbm={raw}")
        except UsageError:
            continue
        assert isinstance(obs.value, float) and math.isfinite(obs.value)
        json.dumps(obs.value, allow_nan=False)


IW_HEAD = "Connected to 00:11:22:33:44:55 (on wlan0)\n\tSSID: Home\n"


@pytest.mark.parametrize("freq", ["2437.0.1", "9" * 400, "1e5", ".", "..", "2437..", "²⁴³⁷"])
def test_iw_link_with_an_odd_frequency_loses_only_the_frequency(freq: str) -> None:
    link = parse_iw_link(f"{IW_HEAD}\tfreq: {freq}\n\tsignal: -52 dBm\n")
    assert link is not None
    assert link.ssid == "Home" and link.rssi_dbm == -52
    assert link.band is None


def test_iw_link_with_a_huge_signal_loses_only_the_signal() -> None:
    link = parse_iw_link(f"{IW_HEAD}\tfreq: 2437\n\tsignal: -{'9' * 5000} dBm\n")
    assert link is not None and link.band == "2.4" and link.rssi_dbm is None


def test_iw_link_still_reads_normal_output() -> None:
    link = parse_iw_link(f"{IW_HEAD}\tfreq: 2437.0\n\tsignal: -52 dBm\n")
    assert link is not None and link.freq_mhz == 2437 and link.band == "2.4" and link.rssi_dbm == -52


SHIPPED = load_knowledge()  # the shipped knowledge: its number observations carry ranges


@pytest.mark.parametrize(
    ("raw", "ok"), [("67", False), ("5", False), ("-200", False), ("-67", True), ("0", True)]
)
def test_a_signal_reading_must_be_a_possible_rssi(raw: str, ok: bool) -> None:
    kb = SHIPPED
    # 67 typed for -67 would rule out a weak signal; a reading outside -127..0 dBm is refused and the range said.
    if ok:
        assert parse_assignment(kb, f"signal_rssi_dbm={raw}").value == float(raw)
    else:
        with pytest.raises(UsageError, match="from -127 to 0 dBm"):
            parse_assignment(kb, f"signal_rssi_dbm={raw}")


def test_a_percentage_beyond_100_is_refused() -> None:
    kb = SHIPPED
    with pytest.raises(UsageError, match="from 0 to 100"):
        parse_assignment(kb, "site_offline_together_pct=140")


def test_a_number_out_of_range_is_reasked_with_the_range() -> None:
    odef = SHIPPED.observations["signal_rssi_dbm"]
    assert short_reask(odef, 0) == "Please type a number from -127 to 0 dBm, or ? if you don't know."
    assert "from 0" in short_reask(SHIPPED.observations["cloud_disconnects"], 0)


@pytest.mark.parametrize(
    ("raw", "version"),
    [("1.5.2", "1.5.2"), ("v0.6.0-rc.1", "0.6.0-rc.1"), ("0.7.x", "0.7.0"), ("Device OS 0.4.9", "0.4.9")],
)
def test_a_version_is_found_in_what_people_write(raw: str, version: str) -> None:
    assert parse_assignment(SHIPPED, f"device_os_version={raw}").value == version


@pytest.mark.parametrize("raw", ["seven", "1.²", "x.y"])
def test_no_version_in_it_is_a_clear_error(raw: str) -> None:
    with pytest.raises(UsageError, match="a version such as 1.5.2"):
        parse_assignment(SHIPPED, f"device_os_version={raw}")


@pytest.mark.parametrize(
    ("text", "fixes"),
    [
        ("I already re-entered the wifi and flashed tinker", ("set_wifi_credentials", "flash_tinker_usb")),
        ("already updated Device OS", ("update_device_os_usb",)),
        ("wpa2", None),  # no word of something done
        ("I did", None),  # something done, but no fix named
        ("it is green", None),
    ],
)
def test_fixes_said_tried_at_another_question(text: str, fixes: tuple[str, ...] | None) -> None:
    from photon_doctor.tried_words import said_tried

    assert said_tried(text, load_knowledge().fixes) == fixes


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("I ran particle doctor", "particle doctor runs several fixes"),
        ("already reset it", "it could be a power cycle"),
        ("I flashed tinker and it still blinks green", "'it still blinks green' names no fix"),
    ],
)
def test_fixes_said_tried_that_name_several_or_none_say_why(text: str, words: str) -> None:
    from photon_doctor.tried_words import NotAFix, said_tried

    with pytest.raises(NotAFix, match=words):
        said_tried(text, load_knowledge().fixes)
