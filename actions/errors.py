"""Why a fix could not be carried out. The executor catches these; they end one step, not the session."""

from __future__ import annotations

from photon_doctor.foundation.errors import ExitCode, PhotonDoctorError
from photon_doctor.foundation.redact import redact


class ActionFailed(PhotonDoctorError):
    """Raised by an automation when it cannot go on: the message is one line for the person, never a secret.

    The executor catches it and ends the step; one that escapes a command ends it with the device exit code."""

    exit_code = ExitCode.DEVICE

    def __init__(self, message: str) -> None:
        super().__init__(redact(message))


class ToolMissing(ActionFailed):
    """Raised when ``particle`` or ``dfu-util`` is not on the PATH, or too old, or its version cannot be read."""


class CommandFailed(ActionFailed):
    """Raised when an external command exits non-zero, says it failed, or runs past its time limit."""


class DeviceGone(ActionFailed):
    """Raised when the device cannot be reached: no serial port, the port vanished, not in DFU mode in time."""


class NeedsPerson(ActionFailed):
    """Raised when a fix needs something only the person can give (a password, a login) and nobody can be asked."""


class Pending(ActionFailed):
    """Raised when a fix went as far as it can and now waits on someone else (another account must accept a
    transfer): nothing more can be done here, so the session stops."""
