"""The external programs fixes drive: ``particle`` (the Particle CLI) and ``dfu-util``.

:class:`Toolbox` finds a program on a PATH (the process's own, or one the composition root gives), checks its
version, and runs it with a time limit, passing each output line to a callback as it comes. The command line a
person would type is returned first by :meth:`Toolbox.command_line`, so the executor can show it before running.
A tool that is missing or too old raises :class:`~photon_doctor.actions.errors.ToolMissing`; one that runs past
its time limit is killed and raises :class:`~photon_doctor.actions.errors.CommandFailed`.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from photon_doctor.actions.errors import CommandFailed, ToolMissing
from photon_doctor.foundation.redact import redact

DFU_UTIL = "dfu-util"
PARTICLE = "particle"

#: How to ask each tool for its version, how to read the answer, and the oldest version the fixes rely on:
#: dfu-util 0.8 for DfuSe ``:leave`` after an upload; particle-cli 2.0 for ``flash --usb``, ``keys`` and ``update``.
_VERSION_ARGS = {DFU_UTIL: ("-V",), PARTICLE: ("--version",)}
_VERSION_RE = {
    DFU_UTIL: re.compile(r"dfu-util\s+v?(\d+(?:\.\d+)+)"),
    PARTICLE: re.compile(r"(\d+\.\d+\.\d+)"),
}
MIN_VERSION = {DFU_UTIL: (0, 8), PARTICLE: (2, 0, 0)}
INSTALL_HINT = {
    DFU_UTIL: "install dfu-util (apt install dfu-util, brew install dfu-util, or dfu-util.sourceforge.net)",
    PARTICLE: "install the Particle CLI (npm install -g particle-cli, or docs.particle.io/getting-started/developer-tools/cli)",
}


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


@dataclass(frozen=True)
class Tool:
    """A program found on the PATH, with the version it reported."""

    name: str
    path: str
    version: str


@dataclass(frozen=True)
class ToolRun:
    """One finished run: the command line as shown, the exit code and the output (stdout and stderr together)."""

    command: str
    returncode: int
    output: str

    def last_line(self) -> str:
        lines = [line.strip() for line in self.output.splitlines() if line.strip()]
        return redact(lines[-1]) if lines else "(no output)"


class Toolbox:
    """Finds and runs ``particle`` and ``dfu-util``.

    ``path``: the PATH to search (default: the process's ``PATH`` at call time). ``env``: the environment the
    tools run in (default: the process's). ``timeout``: the default time limit of one run, in seconds.
    Version checks are cached per tool.
    """

    def __init__(
        self, path: str | None = None, env: Mapping[str, str] | None = None, timeout: float = 300.0
    ) -> None:
        self.path = path
        self.env = dict(env) if env is not None else None
        self.timeout = timeout
        self._found: dict[str, Tool | ToolMissing] = {}

    def available(self, name: str) -> Tool | None:
        """The tool if it is installed and recent enough, else None (never raises)."""
        try:
            return self.find(name)
        except ToolMissing:
            return None

    def find(self, name: str) -> Tool:
        """The tool, version checked. Raises ToolMissing (not found, too old, no readable version)."""
        known = self._found.get(name)
        if known is None:
            known = self._look(name)
            self._found[name] = known
        if isinstance(known, ToolMissing):
            raise known
        return known

    def _look(self, name: str) -> Tool | ToolMissing:
        search = self.path if self.path is not None else (self.env or os.environ).get("PATH", os.defpath)
        where = shutil.which(name, path=search)
        if where is None:
            return ToolMissing(f"{name} is not installed (not found on the PATH): {INSTALL_HINT[name]}")
        try:
            done = subprocess.run(
                [where, *_VERSION_ARGS[name]],
                capture_output=True,
                text=True,
                timeout=30,
                env=self.env,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return ToolMissing(f"{name} at {where} does not run ({type(exc).__name__})")
        match = _VERSION_RE[name].search(done.stdout + "\n" + done.stderr)
        if match is None:
            return ToolMissing(f"{name} at {where} did not say its version ({' '.join(_VERSION_ARGS[name])})")
        version = match.group(1)
        if _version_tuple(version) < MIN_VERSION[name]:
            need = ".".join(map(str, MIN_VERSION[name]))
            return ToolMissing(
                f"{name} {version} at {where} is too old: {need} or newer is needed; {INSTALL_HINT[name]}"
            )
        return Tool(name, where, version)

    @staticmethod
    def command_line(name: str, args: Sequence[str]) -> str:
        """The command as a person would type it (secrets never go on a command line)."""
        return shlex.join([name, *args])

    def run(
        self,
        name: str,
        args: Sequence[str],
        *,
        timeout: float | None = None,
        echo: Callable[[str], None] | None = None,
        cwd: Path | None = None,
    ) -> ToolRun:
        """Run the tool with ``args`` (in ``cwd``, where a tool leaves its files); pass each output line to
        ``echo``; return the finished run.

        Raises ToolMissing, or CommandFailed if it cannot start or runs past ``timeout`` (it is killed).
        Ctrl-C kills the tool and propagates. A non-zero exit is returned, not raised: the caller decides.
        """
        tool = self.find(name)
        limit = self.timeout if timeout is None else timeout
        shown = self.command_line(name, args)
        lines: list[str] = []
        try:
            proc = subprocess.Popen(
                [tool.path, *args],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                errors="replace",
                env=self.env,
                cwd=cwd,
            )
        except OSError as exc:
            raise CommandFailed(f"{shown}: cannot start ({exc.strerror or type(exc).__name__})") from None
        with proc:
            assert proc.stdout is not None
            reader = threading.Thread(target=_pump, args=(proc.stdout, lines, echo), daemon=True)
            reader.start()
            try:
                proc.wait(limit)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                reader.join(5)
                raise CommandFailed(f"{shown}: no result within {limit:g} s (stopped)") from None
            except BaseException:  # Ctrl-C: do not leave the tool running on its own
                proc.kill()
                proc.wait()
                reader.join(5)
                raise
            reader.join(5)
        return ToolRun(shown, proc.returncode, "".join(lines))


def _pump(stream: object, lines: list[str], echo: Callable[[str], None] | None) -> None:
    try:
        for line in stream:  # type: ignore[attr-defined]
            lines.append(line)
            if echo is not None:
                echo(redact(line.rstrip("\r\n")))
    except (OSError, ValueError):
        pass  # the pipe was closed under us (the tool was killed and a child of it kept the pipe open)
