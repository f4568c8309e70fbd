"""Terminal rendering: rich tables with colour on a terminal; the plain text has no escape codes; both speak in
titles and percentages, with the knowledge's ids only when verbose, and fit the width they are given."""

from __future__ import annotations

import io
import re

import pytest
from photon_doctor.engine.diagnosis import diagnose
from photon_doctor.foundation.evidence import Observation, Unavailable
from photon_doctor.knowledge.loader import load_knowledge
from rich.console import Console

from photon_doctor.output import diagnosis_rich, diagnosis_text, plan_shown
from photon_doctor.plain import likelihood, percent

KB = load_knowledge()
OBS = {
    "led_pattern": Observation("led_pattern", "blinking_green"),
    "visible_damage": Observation("visible_damage", True),
}
IDS = set(KB.causes) | set(KB.fixes) | set(KB.observations)


def ids_in(text: str) -> set[str]:
    """The knowledge's ids that appear as words in ``text``."""
    return {w for w in re.findall(r"[a-z0-9]+(?:_[a-z0-9]+)+", text) if w in IDS}


def test_rich_rendering_has_colour_and_the_same_content() -> None:
    d = diagnose(KB, OBS)
    buf = io.StringIO()
    Console(file=buf, force_terminal=True, width=140, color_system="standard").print(diagnosis_rich(KB, d))
    out = buf.getvalue()
    assert "\x1b[" in out
    assert "Likely causes" in out and "What to do, in this order" in out
    assert "if the steps above it did not" in " ".join(re.sub(r"\x1b\[[0-9;]*m", "", out).split())
    assert KB.causes[d.ranked[0].id].title in out and not ids_in(out)


def test_plain_text_speaks_in_titles_and_percentages() -> None:
    d = diagnose(KB, OBS)
    text = diagnosis_text(KB, d, width=80)
    assert "\x1b[" not in text and text.startswith("Likely causes:")
    top = d.ranked[0]
    assert f"{KB.causes[top.id].title}: {likelihood(top.probability)}" in " ".join(text.split())
    assert " %" in text and not ids_in(text)
    assert all(len(line) <= 80 for line in text.splitlines())
    # The plan is numbered 1..n like the steps that run, and says how many there are in all.
    shown = plan_shown(d)
    assert f"  {shown}. " in text and f"  {shown + 1}. " not in text
    assert (f"the first {shown} of {len(d.plan)}" in text) == (shown < len(d.plan))
    # What the chance column means is said once, under the plan (it does not rise or fall with the order).
    assert "if the steps above it did not" in " ".join(text.split())


def test_verbose_adds_the_ids() -> None:
    d = diagnose(KB, OBS)
    text = diagnosis_text(KB, d, verbose=True)
    assert d.ranked[0].id in text and d.plan[0].fix in text


def test_not_probed_lists_each_probe_once_in_words() -> None:
    missing = [
        Unavailable("softap", "not on the device's Wi-Fi", "led_pattern"),
        Unavailable("softap", "not on the device's Wi-Fi", "scan"),
        Unavailable("cloud", "no token", "cloud_online"),
    ]
    text = diagnosis_text(KB, diagnose(KB, OBS), unavailable=missing)
    section = text.split("Not probed:")[1]
    assert section.count("setup Wi-Fi") == 1 and "the Particle cloud: no token" in section


def test_a_long_not_probed_reason_goes_on_under_its_words_on_a_terminal() -> None:
    reason = "join the device's Photon-XXXXXX Wi-Fi while it blinks dark blue, then add --softap-url http://x"
    buf = io.StringIO()
    shown = diagnosis_rich(KB, diagnose(KB, OBS), unavailable=[Unavailable("softap", reason)])
    Console(file=buf, force_terminal=False, width=60).print(shown)
    section = buf.getvalue().split("Not probed:")[1].strip("\n").splitlines()
    assert section[0].startswith("  - the device's setup Wi-Fi (SoftAP): join")
    assert len(section) > 1 and all(line.startswith("    ") and line[4] != " " for line in section[1:])


@pytest.mark.parametrize(
    ("p", "words"),
    [
        (0.02, "very unlikely, under 5 %"),
        (0.7, "very likely, about 70 %"),
        (0.42, "likely, about 40 %"),
        (0.99, "almost certain, almost 100 %"),
    ],
)
def test_likelihood_in_words(p: float, words: str) -> None:
    assert likelihood(p) == words


def test_percent_rounds_to_five() -> None:
    assert (percent(0.33), percent(0.049), percent(0.5)) == ("about 35 %", "under 5 %", "about 50 %")


def test_causes_that_do_not_stand_out_are_not_headed_likely() -> None:
    """QA: with nothing known, "Likely causes:" headed a list of causes each "unlikely, about 10 %"."""
    d = diagnose(KB, {})
    assert likelihood(d.ranked[0].probability).startswith(("unlikely", "very unlikely"))
    text = diagnosis_text(KB, d, width=80)
    assert text.startswith("Possible causes (none stands out yet):") and "Likely causes" not in text
    buf = io.StringIO()
    Console(file=buf, width=140).print(diagnosis_rich(KB, d))
    assert "Possible causes (none stands out yet)" in buf.getvalue() and "Likely causes" not in buf.getvalue()
    dented = diagnose(KB, OBS)  # "likely, about 50 %": not clear yet, but it does stand out
    assert diagnosis_text(KB, dented).startswith("Likely causes:")
