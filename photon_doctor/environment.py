"""The terminal the program runs in: its streams, whether they are terminals, colour, width, and how talkative
to be. One object, in the style of httpie's ``Environment``; everything that prints asks it.

stdout carries results (tables, JSON); stderr carries the conversation (questions, progress, warnings, errors).
A stream left as None means "the process's own, at the time of use", so typer's ``CliRunner`` (which swaps
``sys.stdout`` and friends) and a test that passes its own streams both see what they expect.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, TextIO


@dataclass(frozen=True)
class Environment:
    """The streams and settings output goes through. ``quiet`` leaves out remarks (progress, where a file was
    saved); ``verbose`` shows the knowledge's ids beside the titles; ``environ`` is read for ``NO_COLOR``."""

    stdin: TextIO | None = None
    stdout: TextIO | None = None
    stderr: TextIO | None = None
    environ: Mapping[str, str] | None = None
    quiet: bool = False
    verbose: bool = False

    @property
    def input(self) -> TextIO:
        """Where answers are read from."""
        return self.stdin if self.stdin is not None else sys.stdin

    @property
    def out(self) -> TextIO:
        """Where results go."""
        return self.stdout if self.stdout is not None else sys.stdout

    @property
    def err(self) -> TextIO:
        """Where the conversation goes."""
        return self.stderr if self.stderr is not None else sys.stderr

    def isatty(self, stream: Any) -> bool:
        """Whether ``stream`` is a terminal (False for anything that cannot say)."""
        return bool(getattr(stream, "isatty", lambda: False)())

    def colour(self, stream: Any) -> bool:
        """Colour only on a terminal, and never with ``NO_COLOR`` set."""
        environ = self.environ if self.environ is not None else os.environ
        return self.isatty(stream) and not environ.get("NO_COLOR")

    def width(self, stream: Any = None) -> int:
        """Columns to wrap human output to: the terminal's; no wrapping when it is no terminal."""
        from photon_doctor.plain import columns

        return columns(stream if stream is not None else self.err)


_current = Environment()


def current() -> Environment:
    """The environment of this run (the CLI sets it once it has parsed the global options)."""
    return _current


def configure(env: Environment | None = None, **changes: Any) -> Environment:
    """Make ``env`` (or the current environment with ``changes``) the environment of this run; returns it."""
    global _current
    _current = replace(env if env is not None else _current, **changes)
    return _current


def emit_json(data: Any) -> None:
    """One JSON document on stdout."""
    current().out.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def say(text: str) -> None:
    """Conversation goes to stderr, word-wrapped to the terminal."""
    from photon_doctor.plain import wrap_lines

    env = current()
    env.err.write(wrap_lines(text.splitlines() or [""], env.width(env.err)) + "\n")
    env.err.flush()


def note(text: str) -> None:
    """A remark on stderr that ``--quiet`` leaves out (progress, where a file was saved)."""
    if not current().quiet:
        say(text)


def terminal_width(stream: Any = None) -> int:
    """Columns to wrap human output to: the terminal's; no wrapping when it is no terminal."""
    return current().width(stream)


def use_color(stream: Any) -> bool:
    """Whether to colour what goes to ``stream``."""
    return current().colour(stream)


def print_result(text: str) -> None:
    """Results to stdout: rich on a terminal, plain text when piped."""
    env = current()
    if env.colour(env.out):
        from rich.console import Console

        Console(file=env.out, highlight=False).print(text, markup=False)
    else:
        env.out.write(text + "\n")
