"""The composition root of `diagnose`: wires knowledge, answers, the interview, probes and the executor.

Everything with effects lives here or below it (prompts, probes, files); the core stays pure.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from photon_doctor.answers import load_answers_file, parse_assignment, valid_values
from photon_doctor.engine.diagnosis import Diagnosis, diagnose
from photon_doctor.engine.evidence import Observation, Unavailable
from photon_doctor.engine.questions import LED_COLOUR, LED_PATTERN, led_colour_of
from photon_doctor.errors import ExitCode, Interrupted, SessionError, UsageError
from photon_doctor.interview import Interview, run
from photon_doctor.knowledge.model import Kind, KnowledgeBase, ObservationDef
from photon_doctor.output import diagnosis_json, diagnosis_rich, diagnosis_text, observation_json
from photon_doctor.sessions import load_session, save_session, session_observations


@dataclass
class DiagnoseOptions:
    answers: list[str] = field(default_factory=list)
    answers_file: Path | None = None
    no_input: bool = False
    as_json: bool = False
    auto: bool = False
    port: str | None = None
    softap_url: str | None = None
    api_url: str | None = None
    token: str | None = None
    device_id: str | None = None
    ssid: str | None = None
    probe_timeout: float = 8.0
    connectivity_url: str | None = None
    cloud_endpoint: str | None = None
    fix: bool = False
    yes: bool = False
    yes_irreversible: bool = False
    dry_run: bool = False
    resume: bool = False
    title: str = "diagnose"
    # Set by `demo`: the probes point at the simulated Photon, and the scenario knows what a person would answer.
    targets: Any = None
    simulation: Any = None  # the running SimulatedPhoton (demo): the executor's tools act on it
    scenario_answers: dict[str, Any] | None = None
    scenario: str | None = None


class TerminalAnswerer:
    """Asks on stderr, reads stdin. EOF or Ctrl-C raise, and the caller saves the session first.

    ``hints`` (the demo) shows, under each question, what the simulated device's owner would answer.
    """

    def __init__(self, kb: KnowledgeBase, hints: dict[str, Any] | None = None) -> None:
        self.kb = kb
        self.hints = hints or {}

    def tell(self, text: str) -> None:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()

    def answer(self, odef: ObservationDef, number: int) -> str:
        self.tell("")
        self.tell(f"Q{number}. {odef.question}")
        if odef.kind is Kind.ENUM:
            for i, (value, meaning) in enumerate(odef.choices.items(), 1):
                self.tell(f"   {i:2}) {value} - {meaning}")
            hint = "a number or a value"
        elif odef.kind is Kind.BOOL:
            hint = "yes or no"
        elif odef.kind is Kind.FIXES:
            for i, title in enumerate(odef.choices.values() or [f.title for f in self.kb.fixes.values()], 1):
                self.tell(f"   {i:2}) {title}")
            hint = "numbers separated by commas, e.g. 1,4; or press Enter for none"
        else:
            hint = valid_values(self.kb, odef)
        self.tell(f"  ({hint}; ? = don't know, why, help, back, quit)")
        hints = self.hints
        if odef.id == LED_COLOUR and LED_COLOUR not in hints and LED_PATTERN in hints:
            hints = {LED_COLOUR: led_colour_of(str(hints[LED_PATTERN]))}  # the colour of the pattern they see
        if odef.id in hints:
            shown = hints[odef.id]
            if isinstance(shown, bool):
                shown = "yes" if shown else "no"
            elif isinstance(shown, list):
                shown = ", ".join(shown) or "none"
            self.tell(f"  [demo] the owner of this simulated Photon would answer: {shown}")
        sys.stderr.write("> ")
        sys.stderr.flush()
        line = sys.stdin.readline()
        if line == "":
            raise EOFError
        return line.rstrip("\r\n")


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
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    record = {
        "command": "diagnose",
        "knowledge_dir": kb.source_dir,
        "observations": [observation_json(o) for o in interview.observations.values()],
        "answer_order": list(interview.history),
        "skipped": sorted(interview.skipped),
        "questions_asked": interview.asked,
        "diagnosis": diagnosis_json(kb, d, questions_asked=interview.asked, unavailable=unavailable),
        "actions": [],
        **interview.session_fields(),
    }
    record.update(extra or {})
    return record


def probe_observations(
    kb: KnowledgeBase, options: DiagnoseOptions
) -> tuple[dict[str, Observation], list[Unavailable], dict[str, Any]]:
    """Run the probes (`--auto`): progress on stderr, observations in the contract's terms, and the facts
    the fixes need (device id, port, the device's scan, this computer's network)."""
    from photon_doctor.autoprobe import run_probes
    from photon_doctor.fixing import probe_facts
    from photon_doctor.wiring import real_targets

    targets = options.targets if options.targets is not None else real_targets(options)
    say = TerminalAnswerer(kb).tell
    result = run_probes(targets, progress=lambda m: say(m))
    say(f"probes done in {result.seconds:.1f} s: {len(result.observations)} observation(s)")
    known = {k: v for k, v in result.observations.items() if k in kb.observations}
    unique = list({(u.probe, u.id, u.reason): u for u in result.unavailable}.values())
    return known, unique, probe_facts(result)


def show_diagnosis(kb: KnowledgeBase, d: Diagnosis, unavailable: list[Unavailable]) -> None:
    """The diagnosis on stdout: rich tables on a terminal, plain text when piped."""
    from photon_doctor.cli import print_result, use_color

    if use_color(sys.stdout):
        from rich.console import Console

        Console(highlight=False).print(diagnosis_rich(kb, d, unavailable=unavailable))
    else:
        print_result(diagnosis_text(kb, d, unavailable=unavailable))


def run_diagnose(kb: KnowledgeBase, options: DiagnoseOptions) -> int:
    """Run one diagnosis session; returns the exit code."""
    if options.dry_run:
        options.fix = True  # --dry-run shows what --fix would do
    if (options.yes or options.yes_irreversible) and not options.fix:
        raise UsageError("--yes and --yes-irreversible go with --fix (or --dry-run)")
    interview = Interview(kb)
    session_path: Path | None = None
    if options.resume:
        session_path, data = load_session()
        interview.observations.update(session_observations(kb, data, str(session_path)))
        skipped = data.get("skipped", [])
        if not isinstance(skipped, list):
            raise SessionError(f"{session_path}: field 'skipped' is not a list")
        interview.skipped.update(s for s in skipped if isinstance(s, str) and s in kb.observations)
        interview.restore_session_fields(data)
    unavailable: list[Unavailable] = []
    facts: dict[str, Any] = {}
    if options.auto:
        probed, unavailable, facts = probe_observations(kb, options)
        interview.observations.update(probed)
    if options.scenario_answers is not None and options.no_input:
        from photon_doctor.answers import observations_from_mapping
        from photon_doctor.engine.evidence import Provenance

        given = observations_from_mapping(
            kb, options.scenario_answers, Provenance("scenario", f"what the owner in '{options.scenario}' would answer"),
            f"scenario {options.scenario}")
        for k, v in given.items():
            interview.observations.setdefault(k, v)
    interview.observations.update(collect_answers(kb, options))
    answerer = TerminalAnswerer(kb, options.scenario_answers)
    try:
        if not options.no_input:
            d = run(interview, answerer)
        else:
            d = diagnose(kb, interview.observations)
    except (KeyboardInterrupt, EOFError):
        d = diagnose(kb, interview.observations)
        path = save_session(session_record(kb, interview, d, unavailable), session_path)
        raise Interrupted(f"interrupted; the session so far is saved in {path} (continue with --resume)") from None
    if options.fix:
        return _fix(kb, options, interview, d, unavailable, facts, session_path, answerer)
    path = save_session(session_record(kb, interview, d, unavailable), session_path)
    if options.as_json:
        data = diagnosis_json(kb, d, questions_asked=interview.asked, unavailable=unavailable)
        data["session"] = str(path)
        from photon_doctor.cli import emit_json

        emit_json(data)
    else:
        show_diagnosis(kb, d, unavailable)
        answerer.tell(f"(session saved: {path})")
    return int(ExitCode.OK)


def _fix(
    kb: KnowledgeBase,
    options: DiagnoseOptions,
    interview: Interview,
    d: Diagnosis,
    unavailable: list[Unavailable],
    facts: dict[str, Any],
    session_path: Path | None,
    answerer: TerminalAnswerer,
) -> int:
    """`--fix`: show the diagnosis, run the executor, save the session with its actions, print the outcome."""
    from photon_doctor.actions.executor import summary_text
    from photon_doctor.cli import emit_json, print_result
    from photon_doctor.fixing import changes_text, run_fix_session

    if not options.as_json:
        show_diagnosis(kb, d, unavailable)
    session = run_fix_session(kb, options, interview.observations, facts)
    interview.observations.clear()
    interview.observations.update(session.observations)
    outcome = session.outcome
    extra = {"actions": [a.to_json() for a in outcome.actions], "outcome": outcome.to_json()}
    path = save_session(session_record(kb, interview, session.diagnosis, unavailable, extra), session_path)
    if options.as_json:
        data = diagnosis_json(kb, session.diagnosis, questions_asked=interview.asked, unavailable=unavailable)
        data["session"] = str(path)
        data["outcome"] = outcome.to_json()
        data.update(session.notes)
        emit_json(data)
    else:
        changes = changes_text(session.notes)
        print_result(summary_text(outcome) + (f"\n{changes}" if changes else ""))
        answerer.tell(f"(session saved: {path})")
    if outcome.interrupted:
        return int(ExitCode.INTERRUPTED)
    if outcome.dry_run or outcome.verified_connected:
        return int(ExitCode.OK)
    return int(ExitCode.NOT_VERIFIED)
