"""The report speaks in words with the shipped knowledge too (QA finding: the evidence's "seen:" lines and the
table of observations showed a choice's id, `blinking_green`, and the ids of the fixes tried, and labels were cut
at the first "(": "What does the status LED", "Does your account's device list")."""

from __future__ import annotations

import re
from typing import Any

from photon_doctor.knowledge.loader import load_knowledge

from photon_doctor.plain import question_label
from photon_doctor.report import build_report, to_html, to_markdown

KB = load_knowledge(None)
IDS = (
    set(KB.causes)
    | set(KB.fixes)
    | set(KB.observations)
    | {v for o in KB.observations.values() for v in o.choices if "_" in v}
)


def _obs(oid: str, value: Any) -> dict[str, Any]:
    return {
        "id": oid,
        "value": value,
        "confidence": 1.0,
        "provenance": {"source": "person", "detail": "answered"},
    }


SESSION = {
    "schema_version": 1,
    "id": "20261201T101112-abc123",
    "command": "diagnose",
    "questions_asked": 4,
    "observations": [
        _obs("visible_damage", True),
        _obs("led_pattern", "blinking_green"),
        _obs("device_scan_lists_networks", False),
        _obs("fixes_tried_failed", ["flash_tinker_usb", "flash_reset_settings_firmware"]),
    ],
}


def test_the_report_shows_no_knowledge_id_in_words() -> None:
    report = build_report(KB, SESSION)
    for page in (to_markdown(report), to_html(report)):
        words = re.findall(r"[a-z0-9]+(?:_[a-z0-9]+)+", page)
        assert not [w for w in words if w in IDS]
        assert "green blinking: trying to join Wi-Fi" in page
        assert "Flash the factory Tinker firmware over USB" in page


def test_a_question_label_keeps_its_sense_without_the_asides() -> None:
    led = KB.observations["led_pattern"].question
    assert question_label(led, 80).startswith("What does the status LED do most of the time after power-up")
    assert (
        question_label(KB.observations["cloud_lists_device"].question, 80)
        == "Does your account's device list show the device"
    )
    assert question_label("Short?", 80) == "Short" and len(question_label(led, 60)) <= 63


def test_a_question_label_is_cut_between_words() -> None:
    """QA finding: the report's evidence read "Is there a dent, crack or other visible damage on the metal can of
    the Wi-Fi mod...: yes" (cut inside a word)."""
    dent = KB.observations["visible_damage"].question
    label = question_label(dent, 80)
    assert label.endswith("...") and len(label) <= 83
    assert dent.startswith(label[:-3]) and dent[len(label) - 3] == " ", label
    assert question_label("What, when", 5) == "What..."


def test_every_source_is_said_in_words() -> None:
    """QA finding: the fixes already tried showed "How it was found: interview" in the report (the source's value,
    not words), as the fixes photon-doctor ran showed "executor"."""
    from photon_doctor.foundation.evidence import Source

    from photon_doctor.report import source_words

    for source in Source:
        assert source_words(source.value) != source.value, source
