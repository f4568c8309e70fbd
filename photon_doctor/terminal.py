"""The person at the terminal during the interview: questions on stderr, answers from stdin, wrapped to the
terminal's width, with a short re-ask and the demo's hints. It talks through the executor's person,
:class:`photon_doctor.actions.person.TerminalPerson`: one port, one pair of streams, for both."""

from __future__ import annotations

from typing import Any

from photon_doctor.actions.person import TerminalPerson
from photon_doctor.answers import valid_values, yes_or_no
from photon_doctor.engine.questions import CHECKLIST_PREFIX, led_colour_of
from photon_doctor.foundation.environment import columns
from photon_doctor.foundation.ids import FIXES_TRIED_FAILED, LED_COLOUR, LED_PATTERN, TRIED_PREFIX
from photon_doctor.knowledge.model import Kind, KnowledgeBase, ObservationDef
from photon_doctor.plain import tag, wrap_lines


class TerminalAnswerer:
    """Asks on stderr, reads stdin; everything it says is wrapped to the terminal's width. EOF or Ctrl-C raise, and
    the caller saves the session first. After a bad answer, ``why`` or ``help`` the question is asked again in one
    short line, without the list of choices.

    ``hints`` (the demo) shows, under each question, what the simulated device's owner would answer.
    """

    def __init__(
        self,
        kb: KnowledgeBase,
        hints: dict[str, Any] | None = None,
        *,
        verbose: bool = False,
        quiet: bool = False,
        width: int | None = None,
        person: TerminalPerson | None = None,
    ) -> None:
        self.kb = kb
        self.person = person if person is not None else TerminalPerson(width=width)
        self.hints = hints or {}
        self.verbose = verbose
        self.quiet = quiet
        self.width = width
        self._last: tuple[str, int] | None = None
        self._stand_in = False  # the demo's owner answers: the input ended and it is no terminal

    def columns(self) -> int:
        return self.width or self.person.width or columns(self.person.out)

    def tell(self, text: str) -> None:
        self.person.out.write(wrap_lines(text.splitlines() or [""], self.columns()) + "\n")
        self.person.out.flush()

    def note(self, text: str) -> None:
        """A remark that --quiet leaves out."""
        if not self.quiet:
            self.tell(text)

    def _choices(self, odef: ObservationDef) -> list[str]:
        if odef.kind is Kind.ENUM:
            return [
                f"   {i:2}) {meaning}{tag(value, self.verbose)}"
                for i, (value, meaning) in enumerate(odef.choices.items(), 1)
            ]
        if odef.kind is Kind.FIXES and odef.choices:  # a checklist: tick all that apply
            checklist = self.kb.checklists.get(odef.id[len(CHECKLIST_PREFIX) :])
            groups = {i.key: i.group for i in checklist.items} if checklist is not None else {}
            lines: list[str] = []
            heading = ""
            for i, (key, text) in enumerate(odef.choices.items(), 1):
                group = groups.get(key, "")
                if group and group != heading:  # numbers run on across the headings
                    lines.append(f"  {group}:")
                heading = group or heading
                lines.append(f"   {i:2}) {text}{tag(key, self.verbose)}")
            return lines
        if odef.kind is Kind.FIXES:
            return [
                f"   {i:2}) {fix.title}{tag(fix.id, self.verbose)}"
                for i, fix in enumerate(self.kb.fixes.values(), 1)
            ]
        return []

    def _hint(self, odef: ObservationDef) -> Any:
        """What the demo's owner would answer, or None: the LED colour is the colour of the pattern they see,
        and "already tried <fix>?" is yes when the fix is among the fixes they tried."""
        if odef.id in self.hints:
            return self.hints[odef.id]
        if odef.id == LED_COLOUR and LED_PATTERN in self.hints:
            return led_colour_of(str(self.hints[LED_PATTERN]))
        if odef.id.startswith(TRIED_PREFIX) and isinstance(self.hints.get(FIXES_TRIED_FAILED), list):
            return odef.id[len(TRIED_PREFIX) :] in self.hints[FIXES_TRIED_FAILED]
        checklist = self.kb.checklists.get(odef.id[len(CHECKLIST_PREFIX) :]) if self.hints else None
        if odef.id.startswith(CHECKLIST_PREFIX) and checklist is not None:
            # The lines the owner would tick: those shown (numbered as shown: the list offers only the items
            # that could still teach something) whose fact holds for the simulated Photon.
            holds = {item.key for item in checklist.items if self.hints.get(item.obs) == item.value}
            ticked = [str(n) for n, key in enumerate(odef.choices, 1) if key in holds]
            return ",".join(ticked)  # "" when none: the owner presses Enter
        return None

    def _hint_text(self, odef: ObservationDef) -> str:
        shown = self._hint(odef)
        typed = self._owner_answer(odef)
        if isinstance(shown, list) or odef.id.startswith(CHECKLIST_PREFIX):
            return typed or "nothing (press Enter)"
        if odef.kind is Kind.ENUM and str(shown) in odef.choices:
            return f"{typed} ({odef.choices[str(shown)]})"
        if isinstance(shown, bool):
            return typed
        full = self.kb.observations.get(odef.id)
        if odef.kind is Kind.ENUM and full is not None and str(shown) in full.choices:
            # The LED pattern narrowed to another colour than the owner's: say the pattern, and how to go back.
            return f"{full.choices[str(shown)]}, which is not listed: type back to change the colour"
        return str(shown)

    def _owner_answer(self, odef: ObservationDef) -> str:
        """The demo owner's answer as a person would type it: a number of the list, yes/no, the numbers of the lines
        to tick ("" for none), or "?" when the owner would not know."""
        shown = self._hint(odef)
        if shown is None:
            return "?"
        if isinstance(shown, bool):
            return "yes" if shown else "no"
        if odef.kind is Kind.ENUM:
            return str(list(odef.choices).index(str(shown)) + 1) if str(shown) in odef.choices else "?"
        if isinstance(shown, list):
            return ",".join(str(list(self.kb.fixes).index(f) + 1) for f in shown if f in self.kb.fixes)
        return str(shown)

    def _read(self, odef: ObservationDef, text: str, again: bool) -> str:
        """One line from the person. In the demo, when standard input ends and is no terminal (a pipe, a CI job,
        ``< /dev/null``), the simulated Photon's owner answers the rest of the questions, and says so; a question
        asked again after such an answer gets "don't know", so the interview always ends."""
        if not self._stand_in:
            try:
                return self.person.prompt(text)
            except EOFError:
                if not self.hints or getattr(self.person.inp, "isatty", lambda: True)():
                    raise
            self._stand_in = True
            self.tell(
                "  [demo] no more answers on standard input, and it is no terminal: the simulated owner answers "
                "the rest (run it in a terminal to answer yourself)"
            )
        said = "?" if again else self._owner_answer(odef)
        self.tell(f"{text}{said}")
        return said

    def answer(self, odef: ObservationDef, number: int) -> str:
        if self._last == (odef.id, number):
            return self._read(odef, f"Q{number} again> ", again=True)
        else:
            self._last = (odef.id, number)
            self.tell("")
            self.tell(f"Q{number}. {odef.question}{tag(odef.id, self.verbose)}")
            for line in self._choices(odef):
                self.tell(line)
            if odef.kind is Kind.ENUM:
                hint = f"a number from 1 to {len(odef.choices)}"
            elif odef.kind is Kind.BOOL:
                hint = "yes or no"
            elif odef.kind is Kind.FIXES:
                hint = "numbers separated by commas, e.g. 1,4; Enter for none"
            else:
                hint = valid_values(self.kb, odef)
            self.tell(f"  ({hint}; ? = don't know, why, help, back, quit)")
            if self._hint(odef) is not None:
                self.tell(
                    f"  [demo] the owner of this simulated Photon would answer: {self._hint_text(odef)}"
                )
        return self._read(odef, "> ", again=False)

    def confirm(self, question: str) -> bool:
        """A yes/no question; Enter means yes."""
        while True:
            self.tell(f"{question} [Y/n]")
            word = self.person.prompt("> ").strip()
            said = yes_or_no(word) if word else True
            if said is not None:
                return said

    def confirm_quit(self) -> str:
        """After ``quit``: "stop" (no diagnosis), "go on" (answer more), or "show" (the diagnosis so far)."""
        while True:
            self.tell(
                "Stop without a diagnosis? y = stop (the answers are saved), n = go on answering, "
                "d = show the diagnosis from the answers so far"
            )
            word = self.person.prompt("> ").strip().lower()
            if word in ("y", "yes", "stop", "q", "quit"):
                return "stop"
            if word in ("n", "no"):
                return "go on"
            if word in ("d", "diagnosis", "show"):
                return "show"
