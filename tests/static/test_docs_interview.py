"""The docs say how the interview chooses and when it stops with the figures the engine uses (QA finding:
docs/architecture.md still said it stops "when no answer is expected to make the repair cheaper than the question
costs (myopic value of information with ECR)", a rule the interview no longer has)."""

from __future__ import annotations

import re

import pytest
from photon_doctor.engine.diagnosis import CLEAR_PROBABILITY, LEAD_RATIO
from photon_doctor.engine.questions import MIN_GAIN_PER_MINUTE

from tests.conftest import REPO


@pytest.mark.parametrize("doc", ["docs/architecture.md", "docs/knowledge-format.md"])
def test_the_interview_s_stopping_rule_is_said_with_the_engine_s_figures(doc: str) -> None:
    text = " ".join((REPO / doc).read_text(encoding="utf-8").split())
    said = text[
        text.index("the interview stops") if "the interview stops" in text else text.index("it stops when") :
    ]
    said = said[: said.index(".", said.index("nats per minute"))]
    assert f"{MIN_GAIN_PER_MINUTE:g} nats per minute" in said, said
    assert (
        f"{CLEAR_PROBABILITY:.0%}".replace("%", " %") in text and f"{LEAD_RATIO:g} times the next" in text
    ), doc
    assert not re.search(r"ECR|repair cheaper", said), said
