"""Why a fix could not be carried out. The executor catches these; they end one step, not the session."""

from __future__ import annotations

from photon_doctor.redact import redact


class ActionFailed(Exception):
    """Raised by an automation when it cannot go on: the message is one line for the person, never a secret."""

    def __init__(self, message: str) -> None:
        super().__init__(redact(message))
        self.message = redact(message)


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
