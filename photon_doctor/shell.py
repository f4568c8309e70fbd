"""The composition root of `diagnose`: wires knowledge, answers, the interview, probes and the executor.

Everything with effects lives here or below it (prompts, probes, files); the core stays pure.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from photon_doctor.answers import load_answers_file, parse_assignment, valid_values
from photon_doctor.engine.diagnosis import Diagnosis, diagnose
from photon_doctor.engine.evidence import Observation, Unavailable
from photon_doctor.errors import ExitCode, Interrupted, UsageError
from photon_doctor.interview import Interview, run
from photon_doctor.knowledge.model import Kind, KnowledgeBase, ObservationDef
from photon_doctor.output import diagnosis_json, diagnosis_text, observation_json
from photon_doctor.sessions import load_session, save_session, session_observations


@dataclass
class DiagnoseOptions:
    answers: list[str] = field(default_factory=list)
    answers_file: Optional[Path] = None
    no_input: bool = False
    as_json: bool = False
    auto: bool = False
    port: Optional[str] = None
    softap_url: Optional[str] = None
    api_url: Optional[str] = None
    token: Optional[str] = None
    device_id: Optional[str] = None
    ssid: Optional[str] = None
    probe_timeout: float = 8.0
    fix: bool = False
    yes: bool = False
    yes_irreversible: bool = False
    dry_run: bool = False
    resume: bool = False
    title: str = "diagnose"


class TerminalAnswerer:
    """Asks on stderr, reads stdin. EOF or Ctrl-C raise, and the caller saves the session first."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb

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
            for i, fid in enumerate(self.kb.fixes, 1):
                self.tell(f"   {fid}")
            hint = "fix ids separated by commas, or press Enter for none"
        else:
            hint = valid_values(self.kb, odef)
        self.tell(f"  ({hint}; ? = don't know, why, help, back, quit)")
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
    }
    record.update(extra or {})
    return record


def run_diagnose(kb: KnowledgeBase, options: DiagnoseOptions) -> int:
    """Run one diagnosis session; returns the exit code."""
    if options.auto or options.fix:
        raise UsageError("--auto and --fix need the probes and the executor, which are not built yet")
    interview = Interview(kb)
    session_path: Path | None = None
    if options.resume:
        session_path, data = load_session()
        interview.observations.update(session_observations(kb, data, str(session_path)))
        interview.skipped.update(s for s in data.get("skipped", []) if s in kb.observations)
    interview.observations.update(collect_answers(kb, options))
    unavailable: list[Unavailable] = []
    answerer = TerminalAnswerer(kb)
    try:
        if not options.no_input:
            d = run(interview, answerer)
        else:
            d = diagnose(kb, interview.observations)
    except (KeyboardInterrupt, EOFError):
        d = diagnose(kb, interview.observations)
        path = save_session(session_record(kb, interview, d, unavailable), session_path)
        raise Interrupted(f"interrupted; the session so far is saved in {path} (continue with --resume)") from None
    path = save_session(session_record(kb, interview, d, unavailable), session_path)
    if options.as_json:
        data = diagnosis_json(kb, d, questions_asked=interview.asked, unavailable=unavailable)
        data["session"] = str(path)
        from photon_doctor.cli import emit_json

        emit_json(data)
    else:
        from photon_doctor.cli import print_result

        print_result(diagnosis_text(kb, d, unavailable=unavailable))
        answerer.tell(f"(session saved: {path})")
    return int(ExitCode.OK)
