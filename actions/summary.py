"""The end of a fix session in words, for stdout: what was done (or, in a dry run, the plan with its exact commands
once), which flag would allow what ``--yes`` did not, and the verdict."""

from __future__ import annotations

from photon_doctor.actions.consent import ERASE_FLAG, IRREVERSIBLE_FLAG
from photon_doctor.actions.records import Outcome, Result
from photon_doctor.foundation.redact import redact

from photon_doctor.plain import counted, tag

_RISK_WORDS = {
    "harmless": "harmless",
    "changes_settings": "changes settings",
    "erases_data": "ERASES DATA",
    "irreversible": "CANNOT BE UNDONE",
}
_RESULT_WORDS = {
    Result.DONE: "done",
    Result.FAILED: "failed",
    Result.SKIPPED: "not run",
    Result.MANUAL_CONFIRMED: "done by hand",
    Result.MANUAL_UNCONFIRMED: "shown, to be done by hand",
    Result.PLANNED: "planned",
}


#: How a dry run's record says that its fix would be done by hand (the program it drives is not installed).
BY_HAND = "done by hand: the person would be guided through it"


def summary_text(outcome: Outcome, verbose: bool = False) -> str:
    """The session's end, for stdout: what was done and the verdict; a dry run lists the plan's exact commands
    once. Commands are listed only for fixes that ran (or would run): a refused fix ran nothing."""
    if outcome.dry_run:
        lines = ["The plan with its exact commands (dry run: nothing was changed):"]
    else:
        lines = ["What was done:"]
    for i, a in enumerate(outcome.actions, 1):
        by_hand = (
            a.automation == "manual"
            or a.result in (Result.MANUAL_CONFIRMED, Result.MANUAL_UNCONFIRMED)
            or (a.result is Result.PLANNED and BY_HAND in a.message)
        )
        head = f"  {i}. {a.title}{tag(a.fix, verbose)}"
        if outcome.dry_run:
            how = "by hand" if by_hand else "automatic"
            lines.append(f"{head} ({_RISK_WORDS.get(a.risk, a.risk)}, {how})")
            if a.result is Result.SKIPPED:  # its own check refused it (a Device OS downgrade): say why
                lines.append(f"       {redact(a.message)}")
        else:
            verified = {True: "; verified connected", False: "; still not connected", None: ""}[
                a.verified_connected
            ]
            lines.append(f"{head}: {_RESULT_WORDS[a.result]}{verified}")
            if a.message:
                lines.append(f"       {redact(a.message)}")
        if a.result is Result.SKIPPED and not by_hand:
            continue  # nothing ran
        if outcome.dry_run and by_hand:
            lines.append(
                f"       by hand, {counted(len(a.commands), 'step')} (photon-doctor why {i} shows them)"
            )
            continue
        for command in a.commands:
            lines.append(f"       {'-' if by_hand else '$'} {redact(command)}")
    if not outcome.actions:
        lines.append("  (none)")
    needed = [
        flag
        for flag in (ERASE_FLAG, IRREVERSIBLE_FLAG)
        if any(a.result is Result.SKIPPED and f"needs {flag}" in a.message for a in outcome.actions)
    ]
    if needed:
        lines.append(f"Not run without your say-so: add {' and '.join(needed)} to allow them (see 'why').")
    if outcome.dry_run:
        lines.append("Not verified: this was a dry run.")
    elif outcome.verified_connected:
        fixed = next((a.title for a in outcome.actions if a.fix == outcome.fixed_by), outcome.fixed_by)
        lines.append(f"Verified connected: the device reaches the Particle cloud (fixed by '{fixed}').")
        if outcome.then is not None:
            title, why = outcome.then
            lines.append(f"Still to do: {title}. {why}")
    else:
        lines.append(f"Not verified connected: {redact(outcome.stop_reason)}.")
    return "\n".join(lines)
