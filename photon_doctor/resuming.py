"""Going on with a saved session (``diagnose --resume``): what is put back, what is said about it, and the command
that goes on with a session as it was started."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from photon_doctor.config import DiagnoseOptions
from photon_doctor.foundation.evidence import Source
from photon_doctor.interview import Interview
from photon_doctor.knowledge.model import KnowledgeBase
from photon_doctor.plain import counted
from photon_doctor.session import Session


def resume_command(options: DiagnoseOptions, fixing: bool = False) -> str:
    """The command that goes on with a session as it was started: with --no-probe when it was (a resumed session
    otherwise looks at USB, the login and the network first), with --fix to go on fixing, and with the options
    that said where to look (--auto, --port, --softap-url, ...: without them the resumed session found no device
    and no cloud). A token given with --token is never shown: the person is told to give it again. Consent
    (--yes, --allow-erase, ...) is not carried over: it is given anew."""
    import shlex

    default_timeout = DiagnoseOptions.probe_timeout
    where = [
        ("--port", options.port),
        ("--softap-url", options.softap_url),
        ("--api-url", options.api_url),
        ("--connectivity-url", options.connectivity_url),
        ("--cloud-endpoint", options.cloud_endpoint),
        ("--ssid", options.ssid),
        ("--device", options.device_id),
        (
            "--probe-timeout",
            f"{options.probe_timeout:g}" if options.probe_timeout != default_timeout else None,
        ),
    ]
    words = ["photon-doctor", "diagnose", "--resume"]
    words += ["--no-probe"] if options.no_probe else []
    words += ["--fix"] if fixing else []
    words += ["--auto"] if options.auto and not options.simulated else []
    for flag, value in where:
        if value is not None and not options.simulated:
            words += [flag, shlex.quote(value)]
    token = ", and the --token you gave" if options.token and not options.simulated else ""
    return " ".join(words) + token


def resume_interview(kb: KnowledgeBase, interview: Interview, path: Path, saved: Session) -> str:
    """Put a saved session back into ``interview``: its answers, what was skipped, the order they were given in
    (so ``back`` works) and the question that was open. Returns what to say ("resuming ..., 3 answers kept")."""
    interview.observations.update(saved.observed())
    interview.skipped.update(s for s in saved.skipped if s in kb.observations)
    interview.restore_session_fields({**saved.interview_state, "skipped": list(saved.skipped)})
    settled = interview.settled()  # checklists shown and tried-fix questions answered keep their place too
    interview.history.extend(o for o in saved.answer_order if o in interview.observations or o in settled)
    asked = saved.questions_asked
    interview.asked = asked if asked is not None else len(interview.history)
    pending = saved.pending_question
    interview.current = pending if pending is not None and pending in kb.observations else None
    # Answers given up front (-a, --answers) are kept too, though no question put them ("0 answers kept" after
    # two -a answers read as if they were lost).
    up_front = [
        o
        for o in interview.observations.values()
        if o.provenance.source is Source.CLI and o.id not in interview.history
    ]
    kept = f"{counted(len(interview.history) + len(up_front), 'answer')} kept"
    where = "; going on with the open question" if interview.current else ""
    return f"Resuming the session {path}: {kept}{where}.{carried_out(saved)}"


#: What became of a fix that ran, by its record's result and whether the device then reached the cloud.
_CAME_OF = {"done": "done", "failed": "did not finish", "manual-confirmed": "done by hand"}
_VERIFIED = {True: "; the device reached the cloud", False: "; did not help", None: "; not verified"}


def carried_out(saved: Session) -> str:
    """The fixes a resumed session already ran, in a sentence (" Already carried out in this session: ...."), or
    "": the resumed plan leaves out those that did not help, and says so here rather than without a word. Fixes
    refused or skipped ran nothing and are not named (they are offered again)."""
    said = []
    for a in saved.actions:
        came = _CAME_OF.get(str(a.get("result")))
        title = a.get("title")
        if came is None or not isinstance(title, str):
            continue  # not run, or a hand-edited record
        verified = a.get("verified_connected")
        checked = verified is None or isinstance(verified, bool)
        after = _VERIFIED[verified] if checked and came != "did not finish" else ""
        said.append(f"{title} ({came}{after})")
    return f" Already carried out in this session: {'; '.join(said)}." if said else ""


def fixed_by_title(kb: KnowledgeBase, saved: Session) -> str | None:
    """The title of the fix that a saved session's outcome says brought the device back to the cloud, or None."""
    outcome = saved.outcome
    if not isinstance(outcome, Mapping) or outcome.get("verified_connected") is not True:
        return None
    fix = outcome.get("fixed_by")
    return kb.fixes[fix].title if isinstance(fix, str) and fix in kb.fixes else "a fix"
