"""The environment of this run (:class:`~photon_doctor.foundation.environment.Environment`: streams, terminals,
colour, width, how talkative to be) and the ways of printing through it.

stdout carries results (tables, JSON); stderr carries the conversation (questions, progress, warnings, errors).
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from photon_doctor.foundation.environment import Environment

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
