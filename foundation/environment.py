"""The terminal the program runs in: its streams, whether they are terminals, colour and width, in one object in
the style of httpie's ``Environment``. Everything that reads from the person or prints asks it.

A stream left as None means "the process's own, at the time of use", so typer's ``CliRunner`` (which swaps
``sys.stdout`` and friends) and a test that passes its own streams both see what they expect. The shell keeps the
environment of the run (:mod:`photon_doctor.environment`).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TextIO

#: The width used when the output is no terminal (a pipe, a file): lines are left whole.
NO_WRAP = 10_000


def columns(stream: Any) -> int:
    """The width of the terminal ``stream`` writes to, at least 40; :data:`NO_WRAP` when it is no terminal."""
    if getattr(stream, "isatty", lambda: False)():
        try:
            return max(40, os.get_terminal_size(stream.fileno()).columns)
        except (OSError, ValueError):
            return max(40, shutil.get_terminal_size((80, 24)).columns)
    return NO_WRAP


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
        return columns(stream if stream is not None else self.err)
