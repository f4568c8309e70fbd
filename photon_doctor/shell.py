"""One run of `diagnose`: probe → interview → core → executor → verify → Session → render.

What the run acts through (the probes, the demo's simulated Photon, the rig and the executor) is built by the
composition root, :mod:`photon_doctor.bootstrap`, and reaches this module through the :class:`Wiring` port; the
core stays pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from photon_doctor.actions.person import TerminalPerson
from photon_doctor.actions.records import Outcome
from photon_doctor.answers import load_answers_file, parse_assignment
from photon_doctor.config import DiagnoseOptions
from photon_doctor.engine.diagnosis import Diagnosis, diagnose
from photon_doctor.environment import current
from photon_doctor.foundation.errors import (
    ExitCode,
    Interrupted,
    NoTerminal,
    PhotonDoctorError,
)
from photon_doctor.foundation.evidence import Observation, Unavailable
from photon_doctor.foundation.ids import SERIAL_DETAIL_IDS
from photon_doctor.interview import Interview, run
from photon_doctor.knowledge.model import KnowledgeBase
from photon_doctor.output import diagnosis_json, diagnosis_rich, diagnosis_text
from photon_doctor.plain import counted, wrap_lines
from photon_doctor.resuming import fixed_by_title, resume_command, resume_interview
from photon_doctor.session import Session
from photon_doctor.sessions import read_session, save_session
from photon_doctor.terminal import TerminalAnswerer

if TYPE_CHECKING:
    from photon_doctor.actions.executor import FixSession
    from photon_doctor.autoprobe import AutoTargets


class Wiring(Protocol):
    """What the composition root (:mod:`photon_doctor.bootstrap`) built for this run."""

    @property
    def answers(self) -> Mapping[str, Any] | None:
        """What the demo's owner would answer; None for a real Photon."""
        ...

    def targets(self) -> AutoTargets:
        """The probes, built once (the login looked up once)."""
        ...

    def fix(
        self, observations: Mapping[str, Observation], facts: Mapping[str, Any], targets: AutoTargets | None
    ) -> FixSession:
        """Carry out the fix plan (``--fix`` / ``--dry-run``) with the rig and executor built for this run."""
        ...


def collect_answers(kb: KnowledgeBase, options: DiagnoseOptions) -> dict[str, Observation]:
    result: dict[str, Observation] = {}
    if options.answers_file is not None:
        result.update(load_answers_file(kb, options.answers_file))
    for text in options.answers:
        obs = parse_assignment(kb, text)
        result[obs.id] = obs
    return result


def session_record(
    kb: KnowledgeBase,
    interview: Interview,
    d: Diagnosis,
    unavailable: list[Unavailable],
    options: DiagnoseOptions,
    fixed: Outcome | None = None,
    earlier: Session | None = None,
) -> Session:
    """The session as it stands: the interview's answers, the diagnosis, and the fix session's outcome if any.
    A resumed session (``earlier``) keeps what was done before: its actions come first, and its outcome stands
    unless a fix session ran now."""
    before = tuple(earlier.actions) if earlier is not None else ()
    now = tuple(a.to_json() for a in fixed.actions) if fixed is not None else ()
    outcome = fixed.to_json() if fixed is not None else (earlier.outcome if earlier is not None else None)
    return Session(
        observations=tuple(interview.observations.values()),
        diagnosis=diagnosis_json(kb, d, questions_asked=interview.asked, unavailable=unavailable),
        command="diagnose",
        knowledge_dir=kb.source_dir,
        answer_order=tuple(interview.history),
        skipped=tuple(sorted(interview.skipped)),
        questions_asked=interview.asked,
        pending_question=interview.current,
        actions=before + now,
        outcome=outcome,
        scenario=options.scenario,
        interview_state=interview.session_fields(),
    )


def probe_observations(
    kb: KnowledgeBase, targets: AutoTargets, quiet: bool, ask: TerminalAnswerer | None = None
) -> tuple[dict[str, Observation], list[Unavailable], dict[str, Any]]:
    """Run the probes: progress on stderr, observations in the contract's terms, and the facts the fixes need
    (device id, port, the device's scan, this computer's network). With ``ask`` (probing by default, not
    ``--auto``), the person is asked before the device is put in listening mode."""
    from dataclasses import replace as with_changes

    from photon_doctor.autoprobe import known_to, run_probes
    from photon_doctor.fixing import probe_facts

    if ask is not None and targets.switch_listening is not None:

        def allowed(port: str) -> bool:
            try:
                return ask.confirm(
                    f"A Photon is connected at {port}. To read its settings, photon-doctor puts it in "
                    "listening mode (it blinks dark blue) for a few seconds, then lets it go back. "
                    "Go ahead?"
                )
            except (KeyboardInterrupt, EOFError):  # Ctrl-C, or Ctrl-D at this terminal: the person stops here
                raise Interrupted(
                    "interrupted before the first question: nothing was changed on the device"
                ) from None

        targets = with_changes(targets, confirm_listening=allowed)
    say = TerminalAnswerer(kb, quiet=quiet).note
    result = run_probes(targets, progress=lambda m: say(m))
    say(f"probes done in {result.seconds:.1f} s: {counted(len(result.observations), 'observation')}")
    known = known_to(kb, result.observations)
    # "Not probed" lists only probes that observed nothing at all, once each.
    observed = {r.probe for r in result.reports if r.observations}
    answered = any(r.probe == "serial" and r.facts.get("port_answered") for r in result.reports)
    if "serial" in observed or answered:
        # The serial port answered (as a Photon, or not): "no Photon found on USB" would say less, or contradict it.
        observed.add("usb")
    # A serial console cut short after 'i' (the port vanished) still says so: the Device OS version it lost.
    unique = list(
        {
            (u.probe, u.id, u.reason): u
            for u in result.unavailable
            if u.probe not in observed or (u.id in SERIAL_DETAIL_IDS and u.id not in known)
        }.values()
    )
    return known, unique, probe_facts(result)


def show_diagnosis(
    kb: KnowledgeBase,
    d: Diagnosis,
    unavailable: list[Unavailable],
    *,
    verbose: bool = False,
    plan: bool = True,
) -> None:
    """The diagnosis on stdout: rich tables on a terminal, plain text when piped. ``plan=False`` leaves the plan
    out (a dry run lists it, with its commands, once)."""
    from photon_doctor.environment import current, print_result

    if not plan:
        d = replace(d, plan=())
    env = current()
    if env.colour(env.out):
        from rich.console import Console

        Console(file=env.out, highlight=False).print(
            diagnosis_rich(kb, d, unavailable=unavailable, verbose=verbose)
        )
    else:
        print_result(
            diagnosis_text(kb, d, unavailable=unavailable, verbose=verbose, width=env.width(env.out))
        )


def _interview(
    kb: KnowledgeBase,
    options: DiagnoseOptions,
    interview: Interview,
    answerer: TerminalAnswerer,
    unavailable: list[Unavailable],
    session_path: Path | None,
    earlier: Session | None = None,
) -> tuple[Diagnosis, bool]:
    """Ask until the core says stop; ``quit`` asks whether to stop without a diagnosis. Returns the diagnosis and
    whether the person chose to see it after quitting (then no fix is carried out). Saves and raises on Ctrl-C,
    on the end of input (no terminal: :class:`NoTerminal`), or when the person stops."""
    try:
        while True:
            d = run(interview, answerer)
            if not interview.quit:
                return d, False
            choice = answerer.confirm_quit()
            if choice == "show":
                interview.current = None
                return d, True
            if choice == "go on":
                interview.quit = False
                continue
            path = save_session(
                session_record(kb, interview, d, unavailable, options, None, earlier), session_path
            )
            raise Interrupted(
                f"stopped without a diagnosis; your answers are saved in {path} (continue with {resume_command(options)})"
            )
    except (KeyboardInterrupt, EOFError) as exc:
        d = diagnose(kb, interview.observations)
        path = save_session(
            session_record(kb, interview, d, unavailable, options, None, earlier), session_path
        )
        if isinstance(exc, EOFError) and not answerer.person.inp.isatty():
            raise NoTerminal(
                f"no terminal to answer questions on: add --no-input (or give answers with -a); "
                f"the session so far is saved in {path}"
            ) from None
        raise Interrupted(
            f"interrupted; the session so far is saved in {path} (continue with {resume_command(options)})"
        ) from None
    except PhotonDoctorError:
        raise
    except Exception:
        # A bug: keep the answers given so far (the CLI's crash handler names this session), then let it go on.
        try:
            save_session(
                session_record(
                    kb, interview, diagnose(kb, interview.observations), unavailable, options, None, earlier
                ),
                session_path,
            )
        except (PhotonDoctorError, OSError):
            pass  # the bug is the news; a session that cannot be saved must not hide it
        raise


def _interrupted_while_probing(
    kb: KnowledgeBase,
    interview: Interview,
    options: DiagnoseOptions,
    session_path: Path | None,
    earlier: Session | None,
) -> str:
    """Ctrl-C while the probes ran: save what a resumed session already knew; a new one has nothing to keep yet
    (an empty session would only hide the last one from ``why`` and ``report``)."""
    if earlier is None and not interview.observations:
        return "interrupted while probing, before any question: nothing to save yet (run the command again)"
    record = session_record(kb, interview, diagnose(kb, interview.observations), [], options, None, earlier)
    path = save_session(record, session_path)
    return (
        f"interrupted while probing; the session so far is saved in {path} "
        f"(continue with {resume_command(options)})"
    )


def _no_terminal(outcome: Outcome, answerer: TerminalAnswerer) -> bool:
    """The fix session ended because standard input, which is no terminal, ran dry (Ctrl-D at a terminal is an
    interruption, as Ctrl-C is)."""
    return outcome.input_ended and not answerer.person.inp.isatty()


def run_diagnose(kb: KnowledgeBase, options: DiagnoseOptions, wiring: Wiring) -> int:
    """Run one diagnosis session with what ``wiring`` built; returns the exit code."""
    interview = Interview(kb, verbose=options.verbose)
    # The answers given on the command line are read before anything is probed: a misspelt one is a usage error
    # before the device is touched (it came after the probes, which may have put the device in listening mode).
    given_answers = collect_answers(kb, options)
    env = current()
    demo = options.simulated
    owner = wiring.answers  # the demo's owner
    answerer = TerminalAnswerer(
        kb,
        dict(owner) if owner is not None else None,
        verbose=options.verbose,
        quiet=options.quiet,
        person=TerminalPerson.of(env),
    )
    session_path: Path | None = None
    saved: Session | None = None
    if options.resume:
        session_path, saved = read_session(kb, options.session_path)
        answerer.tell(resume_interview(kb, interview, session_path, saved))
        fixed_by = fixed_by_title(kb, saved)
        if options.fixing and fixed_by is not None:
            answerer.tell(
                f"This session already ended with the device verified connected (fixed by '{fixed_by}'): no fix "
                "is run again. (photon-doctor diagnose --fix starts a new session.)"
            )
            options = replace(options, fix=False, dry_run=False)
    unavailable: list[Unavailable] = []
    facts: dict[str, Any] = {}
    at_terminal = env.isatty(env.input)
    by_default = not options.auto and not options.no_probe and not options.no_input and at_terminal
    if by_default:
        answerer.tell(
            "First, photon-doctor looks at what it can check by itself: a Photon on USB, your Particle "
            "login and this computer's network. It asks before changing anything on the device. "
            "(--no-probe skips this.)"
        )
    elif not options.auto and not options.no_probe and demo is None:
        answerer.note(
            "Not probing (no terminal to ask before touching the device): add --auto to let "
            "photon-doctor check the device, the cloud and this network by itself."
        )
    targets: AutoTargets | None = None  # built once, when first needed
    if options.auto or by_default:
        targets = wiring.targets()
        try:
            probed, unavailable, facts = probe_observations(
                kb, targets, options.quiet, answerer if by_default else None
            )
        except KeyboardInterrupt:  # typer would end the run in silence, the session unsaved
            raise Interrupted(
                _interrupted_while_probing(kb, interview, options, session_path, saved)
            ) from None
        interview.observations.update(probed)
    if demo is not None and owner is not None and options.no_input:
        from photon_doctor.answers import observations_from_mapping
        from photon_doctor.foundation.evidence import Provenance, Source

        given = observations_from_mapping(
            kb,
            owner,
            Provenance(Source.SCENARIO, f"what the owner in '{demo.scenario}' would answer"),
            f"scenario {demo.scenario}",
        )
        for k, v in given.items():
            interview.observations.setdefault(k, v)
    interview.observations.update(given_answers)
    stopped = False
    if not options.no_input:
        d, stopped = _interview(kb, options, interview, answerer, unavailable, session_path, saved)
    else:
        d = diagnose(kb, interview.observations)
    if options.fixing and not stopped:
        # The fixes re-probe with the same probes (--auto, the demo); probing by default asked first, so not then.
        again = targets if options.auto or demo is not None else None
        return _fix(
            kb, options, wiring, interview, d, unavailable, facts, session_path, answerer, again, saved
        )
    record = session_record(kb, interview, d, unavailable, options, None, saved)
    path = save_session(record, session_path)
    if options.as_json:
        data = {**record.diagnosis, "session": str(path)}
        from photon_doctor.environment import emit_json

        emit_json(data)
    else:
        show_diagnosis(kb, d, unavailable, verbose=options.verbose)
        if stopped and options.fixing:
            answerer.tell("No fix was carried out: you stopped the questions.")
        answerer.note(f"(session saved: {path})")
    return int(ExitCode.OK)


def _fix(
    kb: KnowledgeBase,
    options: DiagnoseOptions,
    wiring: Wiring,
    interview: Interview,
    d: Diagnosis,
    unavailable: list[Unavailable],
    facts: dict[str, Any],
    session_path: Path | None,
    answerer: TerminalAnswerer,
    targets: AutoTargets | None,
    earlier: Session | None = None,
) -> int:
    """`--fix`: show the diagnosis, run the executor, save the session with its actions (after those of the
    ``earlier`` session it resumes), print the outcome."""
    from photon_doctor.actions.executor import summary_text
    from photon_doctor.environment import emit_json, print_result
    from photon_doctor.fixing import changes_text

    if not options.as_json:
        show_diagnosis(kb, d, unavailable, verbose=options.verbose, plan=not options.dry_run)
    session = wiring.fix(interview.observations, facts, targets)
    interview.observations.clear()
    interview.observations.update(session.observations)
    outcome = session.outcome
    record = session_record(kb, interview, session.diagnosis, unavailable, options, outcome, earlier)
    path = save_session(record, session_path)
    if options.as_json:
        data = {**record.diagnosis, "session": str(path), "outcome": record.outcome}
        data.update(session.notes)
        emit_json(data)
    else:
        changes = changes_text(session.notes, kb)
        from photon_doctor.environment import terminal_width

        text = summary_text(outcome, options.verbose) + (f"\n{changes}" if changes else "")
        print_result(wrap_lines(text.splitlines(), terminal_width(current().out)))
    # How to go on, on stderr with --json too (stdout has the session's path, not the command).
    if outcome.interrupted and not _no_terminal(outcome, answerer):
        answerer.tell(
            f"interrupted; the session is saved in {path} (continue with {resume_command(options, fixing=True)})"
        )
    elif outcome.stop_reason == "stopped by the person":  # quit at a fix: it can go on later
        answerer.note(f"(session saved: {path}; continue with {resume_command(options, fixing=True)})")
    elif not outcome.interrupted and not options.as_json:
        answerer.note(f"(session saved: {path})")
    if _no_terminal(outcome, answerer):
        raise NoTerminal(
            "no terminal to answer the question about a fix: add --yes (and --allow-erase or "
            f"--allow-irreversible for the fixes that need them) or --no-input; the session is saved in {path}"
        )
    if outcome.interrupted:
        return int(ExitCode.INTERRUPTED)
    if outcome.dry_run or outcome.verified_connected:
        return int(ExitCode.OK)
    return int(ExitCode.NOT_VERIFIED)
