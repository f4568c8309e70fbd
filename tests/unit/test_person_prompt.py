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


CONSENT = {"y": "yes", "n": "no, skip it", "w": "why this fix", "q": "quit"}
DONE = {"y": "yes, done", "n": "no, skip this one", "q": "quit"}
SECURITY = {
    "1": "WPA2 (most home routers)",
    "2": "WPA",
    "3": "WPA/WPA2 mixed",
    "4": "WEP",
    "5": "open (no password)",
}


@pytest.mark.parametrize(
    ("typed", "options", "key"),
    [
        ("y", CONSENT, "y"),
        ("Yes.", CONSENT, "y"),
        ("sure", CONSENT, "y"),
        ("yep", CONSENT, "y"),
        ("OK", CONSENT, "y"),
        ("skip", CONSENT, "n"),
        ("nope", CONSENT, "n"),
        ("No.", CONSENT, "n"),
        ("why", CONSENT, "w"),
        ("why?", CONSENT, "w"),
        ("quit", CONSENT, "q"),
        ("done", DONE, "y"),
        ("skip", DONE, "n"),
        ("Yes!", {"y": "yes", "n": "no"}, "y"),
        ("nah", {"y": "yes", "n": "no"}, "n"),
        ("WPA", SECURITY, "2"),  # was WPA2, the first meaning that starts with it
        ("wpa2", SECURITY, "1"),
        ("open", SECURITY, "5"),
    ],
)
def test_a_choice_takes_the_words_people_type(typed: str, options: dict[str, str], key: str) -> None:
    """QA finding: at 'Run it? [y] yes / [n] no, skip it / ...' the answers 'sure', 'Yes.' and 'skip' (a word of
    the prompt itself) were 'please answer one of: y, n, w, q', though the interview takes them."""
    out = io.StringIO()
    assert TerminalPerson(out, io.StringIO(f"{typed}\n")).choose("Run it?", options) == key
    assert "please answer" not in out.getvalue()


@pytest.mark.parametrize(
    ("typed", "options"),
    [("not sure", CONSENT), ("", CONSENT), ("maybe", CONSENT), ("yes and no", CONSENT), ("sure?!no", CONSENT)]
    + [("wp", SECURITY)],  # the start of two choices
)
def test_a_choice_is_asked_again_for_what_is_no_clear_answer(typed: str, options: dict[str, str]) -> None:
    out = io.StringIO()
    assert TerminalPerson(out, io.StringIO(f"{typed}\n2\n")).choose("?", {**options, "2": "two"}) == "2"
    assert "please answer one of: " in out.getvalue()
