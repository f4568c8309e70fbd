"""The terminal (plain text and rich tables), `why` and the report say the same about the plan (QA of the
explanations): the check the plan puts before its first fix shows on every surface (the rich tables and the report
left it out), and each says the order's rule as the planner has it: the best chance per minute first, and of two
close ones the step that risks less (they said only "the best chance per minute first", which a step that cannot
be undone, later despite its better chance per minute, contradicted)."""

from __future__ import annotations

import html
import io
import re
from typing import Any

from photon_doctor.engine.diagnosis import diagnose
from photon_doctor.engine.observe import check_first
from photon_doctor.foundation.evidence import Observation
from photon_doctor.knowledge.loader import load_knowledge
from rich.console import Console

from photon_doctor.output import diagnosis_rich, diagnosis_text
from photon_doctor.report import build_report, to_html, to_markdown

KB = load_knowledge()
OBS = {
    "fixes_tried_failed": Observation("fixes_tried_failed", ()),
    "led_pattern": Observation("led_pattern", "blinking_green"),
}
D = diagnose(KB, OBS)
CHECK = check_first(KB, OBS, D)
RULE = "the best chance per minute first, and of two close ones the step that risks less"


def _flat(text: str) -> str:
    return " ".join(re.sub(r"\x1b\[[0-9;]*m", "", text).split())


def _session() -> dict[str, Any]:
    return {
        "schema_version": 2,
        "id": "20261202T101112-abc123",
        "command": "diagnose",
        "questions_asked": 1,
        "observations": [
            {
                "id": o.id,
                "value": list(o.value) if isinstance(o.value, tuple) else o.value,
                "confidence": 1.0,
                "provenance": {"source": "person", "detail": "answered"},
            }
            for o in OBS.values()
        ],
    }


def test_the_check_first_shows_on_the_terminal_s_tables_as_in_the_text() -> None:
    assert CHECK is not None  # the situation this test is about
    question = KB.observations[CHECK.obs].question
    buf = io.StringIO()
    Console(file=buf, force_terminal=True, width=200, color_system="standard").print(diagnosis_rich(KB, D))
    assert f"Check first (~{CHECK.cost:g} min, it decides which fix comes first): {question}" in _flat(
        buf.getvalue()
    )
    assert f"Check first (~{CHECK.cost:g} min, it decides which fix comes first): {question}" in _flat(
        diagnosis_text(KB, D)
    )


def test_the_report_names_the_check_before_the_next_step_in_both_formats() -> None:
    assert CHECK is not None
    question = KB.observations[CHECK.obs].question
    report = build_report(KB, _session())
    md = to_markdown(report)
    said = f"Check first (about {CHECK.cost:g} min, it decides which fix comes first): "
    assert said in md and md.index(said) < md.index(KB.fixes[D.plan[0].fix].title)
    page = _flat(html.unescape(to_html(report)))
    assert said in page and question.split("(")[0].strip() in page


def test_every_surface_says_the_order_s_rule_as_the_planner_has_it() -> None:
    buf = io.StringIO()
    Console(file=buf, width=200).print(diagnosis_rich(KB, D))
    report = build_report(KB, _session())
    for shown in (diagnosis_text(KB, D), buf.getvalue(), to_markdown(report), html.unescape(to_html(report))):
        assert RULE in _flat(shown)
