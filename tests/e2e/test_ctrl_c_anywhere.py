"""Ctrl-C in a command that has no Ctrl-C handling of its own (kb check, evaluate, report, graph) says so in one
line and exits 130 (docs/exit-codes.md); typer used to end such a run in silence. The command is caught blocked in
a read: its knowledge folder's causes.toml is a pipe, and the test's own open of the pipe for writing returns only
once the command has opened it for reading (no sleeping)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pexpect
from photon_doctor.foundation.errors import ExitCode

from tests.conftest import REPO, spawn_cli


def test_ctrl_c_while_a_command_reads_says_interrupted(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(REPO / "knowledge" / "data", kb)
    (kb / "causes.toml").unlink()
    os.mkfifo(kb / "causes.toml")
    child = spawn_cli(tmp_path / "home", "--knowledge", str(kb), "kb", "check", width=100)
    with open(kb / "causes.toml", "w", encoding="utf-8"):  # returns once the command is reading it
        child.sendcontrol("c")
        child.expect(pexpect.EOF)
    child.close()
    said = child.before or ""
    assert "photon-doctor: interrupted" in said, said
    assert "Traceback" not in said
    assert child.exitstatus == ExitCode.INTERRUPTED
