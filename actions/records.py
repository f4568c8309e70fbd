"""What the executor did, as data: one :class:`ActionRecord` per fix it considered, and the :class:`Outcome`.

The JSON shapes are a contract (the ``report`` command reads saved sessions): keep the keys as they are.
Every string is redacted when the record is made, so a secret cannot reach a session file or the terminal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from photon_doctor.foundation.redact import redact


class Consent(str, Enum):
    """How a fix came to be run (or not)."""

    GIVEN = "given"  # the person said yes at the prompt
    REFUSED = "refused"  # the person said no, or could not be asked and gave no blanket consent
    AUTO = "auto"  # --yes / --allow-erase / --allow-irreversible, or a manual step shown without asking (--no-input)
    DRY_RUN = "dry-run"  # --dry-run: only shown


class Result(str, Enum):
    """What came of a fix."""

    DONE = "done"  # an automated fix ran to its end
    FAILED = "failed"  # an automated fix could not run or broke off (the device was put back as it was)
    SKIPPED = "skipped"  # not run: refused, or the person skipped a manual step
    MANUAL_CONFIRMED = "manual-confirmed"  # the person says they carried out the manual step
    MANUAL_UNCONFIRMED = "manual-unconfirmed"  # the manual step was shown; nobody could say it was done
    PLANNED = "planned"  # --dry-run


class Go(str, Enum):
    """What an automation's own check says before anything is asked or run."""

    RUN = "run"  # nothing stands in the way
    REFUSE = "refuse"  # it would harm the device (a downgrade): not run, not offered
    ASK = "ask"  # a risk that no flag covers: run only if someone at a terminal accepts it


@dataclass(frozen=True)
class Precheck:
    """An automation's check of the device before it runs (``said``: one plain sentence, the decision's why)."""

    go: Go
    said: str


@dataclass(frozen=True)
class ActionRecord:
    """One fix the executor considered. ``verified_connected`` is None when nothing was checked."""

    fix: str
    title: str
    automation: str
    risk: str
    reversible: bool
    commands: tuple[str, ...]
    consent: Consent
    result: Result
    message: str
    verified_connected: bool | None
    seconds: float

    def to_json(self) -> dict[str, Any]:
        """The action record format (kept exactly; see docs/fixes.md)."""
        return {
            "fix": self.fix,
            "title": self.title,
            "automation": self.automation,
            "risk": self.risk,
            "reversible": self.reversible,
            "commands": [redact(c) for c in self.commands],
            "consent": self.consent.value,
            "result": self.result.value,
            "message": redact(self.message),
            "verified_connected": self.verified_connected,
            "seconds": round(self.seconds, 2),
        }


@dataclass
class Outcome:
    """The end of a fix session.

    ``stop_reason`` says in words why the session ended (for the summary; not part of the JSON ``outcome``).
    ``interrupted`` is true when Ctrl-C (or the end of input) ended it; ``input_ended`` when it was the end of
    input (Ctrl-D, or a pipe that ran dry: the shell tells the two apart).
    """

    actions: list[ActionRecord] = field(default_factory=list)
    verified_connected: bool = False
    fixed_by: str | None = None
    stop_reason: str = ""
    interrupted: bool = False
    input_ended: bool = False
    dry_run: bool = False
    #: What still has to be done after the fix that brought the device online (its ``after_success``: Tinker
    #: online, the application still to change), as (the next fix's title, why); for the summary, not the JSON.
    then: tuple[str, str] | None = None

    def to_json(self) -> dict[str, Any]:
        """``{"verified_connected", "fixed_by", "actions"}`` (kept exactly; see docs/fixes.md)."""
        return {
            "verified_connected": self.verified_connected,
            "fixed_by": self.fixed_by,
            "actions": [a.to_json() for a in self.actions],
        }
