"""A prompt and its answer: whatever stops the read (Ctrl-C, the end of input), the next message starts on a line
of its own — also when Ctrl-C lands while the prompt is being written, before the read starts (the e2e terminal
test saw "> photon-doctor: interrupted; ..." on one line about one run in four)."""

from __future__ import annotations

import io

import pytest
from photon_doctor.actions.person import TerminalPerson, read_answer


class InterruptedWhileWriting(io.StringIO):
    """Ctrl-C arrives as the prompt is flushed, before anything is read."""

    def __init__(self) -> None:
        super().__init__()
        self.flushes = 0

    def flush(self) -> None:
        self.flushes += 1
        if self.flushes == 1:
            raise KeyboardInterrupt


def test_ctrl_c_while_the_prompt_is_written_ends_its_line() -> None:
    out = InterruptedWhileWriting()
    with pytest.raises(KeyboardInterrupt):
        TerminalPerson(out, io.StringIO("yes\n")).prompt("> ")
    assert out.getvalue() == "> \n"


def test_the_end_of_input_ends_the_prompt_s_line() -> None:
    out = io.StringIO()
    with pytest.raises(EOFError):
        read_answer(out, io.StringIO(""), "> ")
    assert out.getvalue() == "> \n"


def test_an_answer_is_read_after_its_prompt() -> None:
    out = io.StringIO()
    assert read_answer(out, io.StringIO("  blinking green \n"), "Q1> ") == "  blinking green "
    assert out.getvalue() == "Q1> "
