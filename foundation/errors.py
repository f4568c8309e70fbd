"""One error hierarchy for the whole program; each class owns its exit code.

The CLI catches :class:`PhotonDoctorError` in one place, prints ``message`` to stderr and exits with
``exit_code``. Messages never contain secrets: callers pass already-redacted text.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes (documented in docs/exit-codes.md)."""

    OK = 0
    INTERNAL = 1
    USAGE = 2
    KNOWLEDGE = 3
    CASES = 4
    SESSION = 5
    DEVICE = 6
    NOT_VERIFIED = 7
    EVALUATION_MISS = 8
    LINT = 9
    NO_TERMINAL = 10
    INTERRUPTED = 130


class PhotonDoctorError(Exception):
    """Base of every error photon-doctor raises on purpose."""

    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(PhotonDoctorError):
    """Raised for a bad command line: an unknown observation id or value, a bad option combination."""

    exit_code = ExitCode.USAGE


class KnowledgeError(PhotonDoctorError):
    """Raised when a knowledge file cannot be loaded: it names the file, the item id, the field and the value."""

    exit_code = ExitCode.KNOWLEDGE

    def __init__(self, file: str, item: str | None, field: str | None, problem: str) -> None:
        where = file
        if item:
            where += f": {item}"
        if field:
            where += f": field '{field}'"
        super().__init__(f"{where}: {problem}")
        self.file = file
        self.item = item
        self.field = field
        self.problem = problem


class CaseFileError(PhotonDoctorError):
    """Raised when a case file is malformed; names the file, the case id and the field."""

    exit_code = ExitCode.CASES


class SessionError(PhotonDoctorError):
    """Raised when a saved session is missing or unreadable."""

    exit_code = ExitCode.SESSION


class DeviceError(PhotonDoctorError):
    """Raised when a device, simulator or external tool needed by a command cannot be used at all."""

    exit_code = ExitCode.DEVICE


class Interrupted(PhotonDoctorError):
    """Raised when the person presses Ctrl-C or closes the input at a prompt."""

    exit_code = ExitCode.INTERRUPTED


class NoTerminal(PhotonDoctorError):
    """Raised when a question must be asked but standard input is no terminal and has ended (a pipe, /dev/null,
    a CI job): the hint is to add --no-input. The session so far is saved first."""

    exit_code = ExitCode.NO_TERMINAL
