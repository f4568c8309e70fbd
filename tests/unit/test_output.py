"""Terminal rendering: rich tables with colour on a terminal; the plain text has no escape codes."""

from __future__ import annotations

import io

from rich.console import Console

from photon_doctor.engine.diagnosis import diagnose
from photon_doctor.engine.evidence import Observation
from photon_doctor.knowledge.loader import load_knowledge
from photon_doctor.output import diagnosis_rich, diagnosis_text

KB = load_knowledge()
OBS = {"led_pattern": Observation("led_pattern", "blinking_green"), "visible_damage": Observation("visible_damage", True)}


def test_rich_rendering_has_colour_and_the_same_content() -> None:
    d = diagnose(KB, OBS)
    buf = io.StringIO()
    Console(file=buf, force_terminal=True, width=140, color_system="standard").print(diagnosis_rich(KB, d))
    out = buf.getvalue()
    assert "\x1b[" in out
    assert "Likely causes" in out and "Fix plan" in out and d.ranked[0].id in out


def test_plain_text_has_no_escape_codes() -> None:
    text = diagnosis_text(KB, diagnose(KB, OBS))
    assert "\x1b[" not in text and text.startswith("Likely causes:")
