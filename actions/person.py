"""The person the executor talks to: a port with three implementations.

:class:`TerminalPerson` asks on stderr and reads stdin (secrets without echo on a terminal); :class:`SilentPerson`
(``--no-input``) never asks, so every question is answered with None; :class:`ScriptedSecrets` wraps either and
answers the secret questions it knows (the demo: the simulated owner types the Wi-Fi password). The end of input
or Ctrl-C at a question raise EOFError / KeyboardInterrupt, and the executor ends the session (the shell tells an
input that ran dry without a terminal, exit 10, from Ctrl-D at one, 130).
"""

from __future__ import annotations

import getpass
import re
import sys
from collections.abc import Callable, Mapping
from typing import Protocol, TextIO

from photon_doctor.foundation.environment import Environment, columns
from photon_doctor.foundation.redact import register_secret

from photon_doctor.plain import wrap_lines

#: The secrets a fix may ask for, by kind, in words.
SECRET_KINDS = {"wifi_password": "Wi-Fi password", "access_token": "Particle access token"}


class Person(Protocol):
    """Someone who can be told things and, perhaps, asked. ``interactive`` is False when nobody answers."""

    interactive: bool

    def tell(self, text: str) -> None:
        """Say something (stderr: the conversation, never a result)."""
        ...

    def choose(self, question: str, options: Mapping[str, str]) -> str | None:
        """One of ``options``' keys, or None when nobody can be asked."""
        ...

    def ask(self, question: str) -> str | None:
        """A line of text (not secret), or None when nobody can be asked."""
        ...

    def secret(self, kind: str, prompt: str) -> str | None:
        """A secret (``kind`` in :data:`SECRET_KINDS`), registered for redaction; None when nobody can be asked."""
        ...


def read_answer(out: TextIO, inp: TextIO, prompt: str = "") -> str:
    """Write ``prompt`` and read one line from ``inp`` (without its end). At Ctrl-C or the end of input, the
    cursor is moved past the prompt first, so that what is said next starts on a line of its own; then the
    exception goes on. The prompt is written inside the same guard: a Ctrl-C that lands while it is being written,
    before the read starts, also ends the line."""
    try:
        if prompt:
            out.write(prompt)
            out.flush()
        line = inp.readline()
    except KeyboardInterrupt:
        out.write("\n")
        out.flush()
        raise
    if line == "":
        out.write("\n")
        out.flush()
        raise EOFError
    return line.rstrip("\r\n")


#: Words people type for yes and no ("sure", "nope"); "skip" is a no, as the prompts say ("no, skip it").
SAID_YES = frozenset({"yes", "yeah", "yep", "yup", "sure", "ok", "okay"})
SAID_NO = frozenset({"no", "nope", "nah", "skip"})


def pick(typed: str, options: Mapping[str, str]) -> str | None:
    """The key of ``options`` (key -> meaning, such as ``{"y": "yes", "n": "no, skip it"}``) that ``typed`` means,
    or None: a key, a meaning or its start ("why"), a yes or a no in people's words ("Yes.", "sure", "nope",
    "skip"), or a word that stands in one meaning only ("done" in "yes, done"). Nothing is guessed from an answer
    that is not one word ("not sure")."""
    answer = typed.strip().lower().rstrip(".!?").strip()
    if not answer:
        return None
    # Exactly a key or a meaning first: "WPA" is not "WPA2 (most home routers)", the first choice it starts.
    for key, meaning in options.items():
        if answer in (key.lower(), meaning.lower()):
            return key
    starts = [key for key, meaning in options.items() if meaning.lower().startswith(answer)]
    if len(starts) == 1:
        return starts[0]
    if starts or not answer.isalpha():
        return None
    word = "yes" if answer in SAID_YES else "no" if answer in SAID_NO and answer != "skip" else answer
    words = {key: re.findall(r"[a-z]+", meaning.lower()) for key, meaning in options.items()}
    if word in ("yes", "no"):
        hits = [key for key, said in words.items() if said[:1] == [word]]
    else:
        hits = [key for key, said in words.items() if len(word) >= 4 and word in said]
    return hits[0] if len(hits) == 1 else None


class TerminalPerson:
    """Asks on ``out`` (stderr) and reads ``inp`` (stdin), word-wrapped to the terminal. Raises EOFError at the
    end of input. The executor asks through it, and so does the interview (:mod:`photon_doctor.terminal`)."""

    interactive = True

    def __init__(
        self, out: TextIO | None = None, inp: TextIO | None = None, width: int | None = None
    ) -> None:
        self.out = out if out is not None else sys.stderr
        self.inp = inp if inp is not None else sys.stdin
        self.width = width

    @classmethod
    def of(cls, env: Environment, width: int | None = None) -> TerminalPerson:
        """The person at ``env``'s terminal: asked on its stderr, answering on its stdin."""
        return cls(env.err, env.input, width)

    def prompt(self, text: str) -> str:
        """Write ``text`` (no new line) and read one line, as typed (without its end)."""
        return read_answer(self.out, self.inp, text)

    def tell(self, text: str) -> None:
        self.out.write(wrap_lines(text.splitlines() or [""], self.width or columns(self.out)) + "\n")
        self.out.flush()

    def _line(self, prompt: str) -> str:
        *said, last = prompt.split("\n")
        if said:
            self.tell("\n".join(said))
        return self.prompt(last).strip()

    def choose(self, question: str, options: Mapping[str, str]) -> str | None:
        menu = " / ".join(f"[{k}] {v}" for k, v in options.items())
        while True:
            key = pick(self._line(f"{question} {menu}\n> "), options)
            if key is not None:
                return key
            self.tell(f"  please answer one of: {', '.join(options)}")

    def ask(self, question: str) -> str | None:
        return self._line(f"{question}\n> ")

    def secret(self, kind: str, prompt: str) -> str | None:
        if getattr(self.inp, "isatty", lambda: False)():
            try:
                value = getpass.getpass(f"{prompt} (input hidden): ", stream=self.out)
            except (KeyboardInterrupt, EOFError):  # what is said next starts on a line of its own
                self.out.write("\n")
                self.out.flush()
                raise
        else:
            value = self._line(f"{prompt}: ")
        register_secret(value)
        return value


class SilentPerson:
    """``--no-input``: tells (on stderr, word-wrapped to the terminal), never asks."""

    interactive = False

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out if out is not None else sys.stderr

    def tell(self, text: str) -> None:
        self.out.write(wrap_lines(text.splitlines() or [""], columns(self.out)) + "\n")
        self.out.flush()

    def choose(self, question: str, options: Mapping[str, str]) -> str | None:
        return None

    def ask(self, question: str) -> str | None:
        return None

    def secret(self, kind: str, prompt: str) -> str | None:
        return None


class ScriptedSecrets:
    """Wraps a person and answers the secret questions in ``secrets`` (kind -> value) without asking.

    The demo uses it: the simulated device's owner knows the Wi-Fi password and can log in again. ``hint``
    returns a line to show before a question (what the simulated device shows), or None; ``who`` names the one
    who answers, in what is said.
    """

    def __init__(
        self,
        inner: Person,
        secrets: Mapping[str, str],
        hint: Callable[[str], str | None] | None = None,
        who: str = "[scripted] the person",
    ) -> None:
        self.inner = inner
        self.secrets = dict(secrets)
        self.hint = hint
        self.who = who
        self.interactive = inner.interactive
        for value in self.secrets.values():
            register_secret(value)

    def tell(self, text: str) -> None:
        self.inner.tell(text)

    def _hint(self, question: str) -> None:
        shown = self.hint(question) if self.hint is not None else None
        if shown and self.inner.interactive:
            self.inner.tell(f"  {shown}")

    def choose(self, question: str, options: Mapping[str, str]) -> str | None:
        self._hint(question)
        return self.inner.choose(question, options)

    def ask(self, question: str) -> str | None:
        return self.inner.ask(question)

    def secret(self, kind: str, prompt: str) -> str | None:
        if kind in self.secrets:
            self.inner.tell(f"  {self.who} enters the {SECRET_KINDS.get(kind, kind)} (not shown)")
            return self.secrets[kind]
        return self.inner.secret(kind, prompt)
