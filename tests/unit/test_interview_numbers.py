"""The interview numbers its questions as a person counts them, also across Ctrl-C and ``--resume`` (QA finding:
the question open at Ctrl-C was counted as asked, so after resuming the same question came back one number
higher, and ``back`` then showed the first question as "Q2")."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from photon_doctor.knowledge.loader import load_knowledge
from photon_doctor.knowledge.model import ObservationDef

from photon_doctor.interview import Interview, run

KB = load_knowledge(None)


@dataclass
class Scripted:
    """An Answerer (the interview's port) that gives the scripted replies in turn; Ctrl-C when they run out."""

    replies: list[str]
    asked: list[tuple[str, int]] = field(default_factory=list)

    def answer(self, odef: ObservationDef, number: int) -> str:
        self.asked.append((odef.id, number))
        if not self.replies:
            raise KeyboardInterrupt
        return self.replies.pop(0)

    def tell(self, text: str) -> None:
        pass


def test_ctrl_c_at_a_question_does_not_count_it_and_resume_asks_it_with_the_same_number() -> None:
    interview = Interview(KB)
    first = Scripted(["2"])  # the LED colour: green; then Ctrl-C at the second question
    with pytest.raises(KeyboardInterrupt):
        run(interview, first)
    (q1, n1), (q2, n2) = first.asked
    assert (n1, n2) == (1, 2)
    assert interview.asked == 1 and interview.current == q2  # what the session saves

    resumed = Interview(
        KB,
        observations=dict(interview.observations),
        history=list(interview.history),
        asked=interview.asked,
        current=interview.current,
    )
    again = Scripted(["back"])  # the open question again, then back to the first one, then Ctrl-C
    with pytest.raises(KeyboardInterrupt):
        run(resumed, again)
    assert again.asked == [(q2, 2), (q1, 1)]
