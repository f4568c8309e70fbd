"""The question-and-answer loop, independent of who answers: a person at a terminal or an oracle (evaluate).

The loop asks the question the core says is worth most, one at a time, and takes "don't know", ``why``,
``help``, ``back`` (undo the last answer) and ``quit``. It stops when the core says no question can pay for itself
or the leading cause is clear. I/O happens only through the :class:`Answerer` port. ``quit`` only sets
:attr:`Interview.quit`: the caller asks whether to stop without a diagnosis. The question being asked is kept in
:attr:`Interview.current`, so a session interrupted there resumes at the same question.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from photon_doctor import tried_words
from photon_doctor.answers import DONT_KNOW, AnswerError, choices_fitting, parse_value, typed
from photon_doctor.engine.diagnosis import Diagnosis, diagnose
from photon_doctor.engine.explain import why_question
from photon_doctor.engine.questions import CHECKLIST_PREFIX, next_question, question_def
from photon_doctor.foundation.evidence import Observation, Provenance, Source
from photon_doctor.foundation.ids import FIXES_TRIED_FAILED, LED_COLOUR, LED_PATTERN, TRIED_PREFIX
from photon_doctor.knowledge.model import Kind, KnowledgeBase, ObservationDef
from photon_doctor.plain import clipped, why_question_text


class Answerer(Protocol):
    """Who answers the questions. ``answer`` returns the raw reply: a value, a don't-know word, or one of the
    commands ``why``, ``help``, ``back``, ``quit``. It may raise KeyboardInterrupt or EOFError."""

    def answer(self, odef: ObservationDef, number: int) -> str: ...

    def tell(self, text: str) -> None:
        """Show a message (an explanation, a re-ask hint)."""
        ...


@dataclass
class Interview:
    """The state of one interview: what is known, what the person could not tell, in the order given.

    Yes/no answers to "already tried <fix>?" (``tried:<fix id>``) are kept in ``tried_answers`` and folded into
    the ``fixes_tried_failed`` observation (the "yes" ones), so every observation keeps a knowledge-base id.
    """

    kb: KnowledgeBase
    observations: dict[str, Observation] = field(default_factory=dict)
    skipped: set[str] = field(default_factory=set)
    history: list[str] = field(default_factory=list)  # obs ids answered or skipped at the prompt, in order
    asked: int = 0
    quit: bool = False
    tried_answers: dict[str, bool] = field(default_factory=dict)  # fix id -> tried without success?
    given_tried: Observation | None = None  # fixes_tried_failed as known before any yes/no answer
    current: str | None = None  # the question being asked now (saved if the session is interrupted there)
    verbose: bool = False  # show ids in explanations
    ticked: dict[str, tuple[str, ...]] = field(
        default_factory=dict
    )  # checklist id -> observations it answered
    offered: dict[str, tuple[str, ...]] = field(
        default_factory=dict
    )  # checklist id -> the observations its list offered when it was shown

    def diagnosis(self) -> Diagnosis:
        return diagnose(self.kb, self.observations)

    def settled(self) -> set[str]:
        """Questions not to ask again: the skipped ones and the yes/no questions about tried fixes answered."""
        return self.skipped | {TRIED_PREFIX + f for f in self.tried_answers} | set(self.ticked)

    def record(self, obs: Observation) -> None:
        self.history.append(obs.id)
        if obs.id.startswith(CHECKLIST_PREFIX):
            # Each ticked item answers its observation; unticked items answer nothing.
            items = {i.key: i for i in self.kb.checklists[obs.id[len(CHECKLIST_PREFIX) :]].items}
            ticked = [items[k] for k in (obs.value if isinstance(obs.value, tuple) else ()) if k in items]
            new = [i for i in ticked if i.obs not in self.observations]
            for i in new:
                # The line ticked, not the number typed ("answered '10'" told a report's reader nothing).
                said = Provenance(obs.provenance.source, f"ticked in a list: '{i.text}'")
                self.observations[i.obs] = Observation(i.obs, i.value, obs.confidence, said)
            self.ticked[obs.id] = tuple(i.obs for i in new)
            return
        if obs.id.startswith(TRIED_PREFIX):
            if not self.tried_answers:
                self.given_tried = self.observations.get(FIXES_TRIED_FAILED)
            self.tried_answers[obs.id[len(TRIED_PREFIX) :]] = obs.value is True
            self._fold_tried()
            return
        self.observations[obs.id] = obs

    def session_fields(self) -> dict[str, Any]:
        """What a saved session needs beyond the observations and the skipped questions, so that a resumed session
        does not ask again: the yes/no answers about fixes tried, and the checklists shown (with what they set)."""
        return {
            "tried_answers": dict(self.tried_answers),
            "checklists_asked": {k: list(v) for k, v in self.ticked.items()},
            "checklists_offered": {k: list(v) for k, v in self.offered.items()},
        }

    def restore_session_fields(self, data: Mapping[str, Any]) -> None:
        """Take back :meth:`session_fields` from a saved session (after its observations); ignores what does not
        fit this knowledge base. The "yes" answers are already folded into fixes_tried_failed."""
        tried = data.get("tried_answers")
        if isinstance(tried, dict):
            answers = {f: v for f, v in tried.items() if f in self.kb.fixes and isinstance(v, bool)}
            if answers:
                self.given_tried = self.observations.get(FIXES_TRIED_FAILED)
                self.tried_answers.update(answers)
        skipped = data.get("skipped")
        for qid in skipped if isinstance(skipped, list) else []:
            if isinstance(qid, str) and (
                (qid.startswith(CHECKLIST_PREFIX) and qid[len(CHECKLIST_PREFIX) :] in self.kb.checklists)
                or (qid.startswith(TRIED_PREFIX) and qid[len(TRIED_PREFIX) :] in self.kb.fixes)
            ):
                self.skipped.add(qid)  # "don't know" to a checklist or a tried-fix question
        self.ticked.update(self._checklist_map(data.get("checklists_asked"), self.observations))
        self.offered.update(self._checklist_map(data.get("checklists_offered"), self.kb.observations))

    def _checklist_map(self, raw: Any, known: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
        """A saved ``{checklist question: [observation ids]}``, keeping this knowledge's checklists and the ids
        in ``known``."""
        if not isinstance(raw, dict):
            return {}
        return {
            qid: tuple(o for o in obs_ids if isinstance(o, str) and o in known)
            for qid, obs_ids in raw.items()
            if isinstance(qid, str)
            and qid.startswith(CHECKLIST_PREFIX)
            and qid[len(CHECKLIST_PREFIX) :] in self.kb.checklists
            and isinstance(obs_ids, list)
        }

    def skip(self, obs_id: str) -> None:
        self.skipped.add(obs_id)
        self.history.append(obs_id)
        if obs_id == LED_COLOUR:
            self.skipped.add(LED_PATTERN)  # who cannot tell the colour cannot tell the pattern

    def _fold_tried(self) -> None:
        """The fixes known to have been tried before, and the "yes" answers, as fixes_tried_failed."""
        given = self.given_tried
        before = given.value if given is not None and isinstance(given.value, tuple) else ()
        yes = tuple(dict.fromkeys((*before, *(f for f, tried in self.tried_answers.items() if tried))))
        if yes != before:
            self.observations[FIXES_TRIED_FAILED] = Observation(
                FIXES_TRIED_FAILED, yes, 1.0, Provenance(Source.INTERVIEW, "yes/no answers about fixes tried")
            )
        elif given is not None:
            self.observations[FIXES_TRIED_FAILED] = given
        else:
            self.observations.pop(FIXES_TRIED_FAILED, None)

    def back(self) -> str | None:
        """Undo the last answer given at the prompt; returns its id (None if nothing to undo)."""
        if not self.history:
            return None
        last = self.history.pop()
        self.offered.pop(last, None)
        if last in self.ticked:
            for obs_id in self.ticked.pop(last):
                self.observations.pop(obs_id, None)
            return last
        if last.startswith(TRIED_PREFIX):
            self.tried_answers.pop(last[len(TRIED_PREFIX) :], None)
            self.skipped.discard(last)
            self._fold_tried()
            return last
        self.observations.pop(last, None)
        self.skipped.discard(last)
        if last == LED_COLOUR:
            self.skipped.discard(LED_PATTERN)
        return last


def run(
    interview: Interview,
    answerer: Answerer,
    *,
    source: Source = Source.PERSON,
    max_questions: int = 60,
) -> Diagnosis:
    """Ask until the core says stop (or ``quit``); return the final diagnosis."""
    kb = interview.kb
    while not interview.quit and interview.asked < max_questions:
        d = interview.diagnosis()
        pending = interview.current
        settled = interview.settled()
        if (
            pending is not None
            and _askable(kb, pending)
            and pending not in interview.observations
            and pending not in settled
        ):
            obs_id = pending  # resumed: the question that was open when the session stopped
        else:
            q = next_question(kb, interview.observations, d, settled, interview.offered)
            if q is None:
                return d
            obs_id = q.obs
        _ask(
            interview, answerer, question_def(kb, interview.observations, obs_id, d.probabilities), d, source
        )
    return interview.diagnosis()


def _askable(kb: KnowledgeBase, obs_id: str) -> bool:
    """True for a question this knowledge can put: an observation, or "already tried <fix>?"."""
    if obs_id.startswith(TRIED_PREFIX):
        return obs_id[len(TRIED_PREFIX) :] in kb.fixes
    if obs_id.startswith(CHECKLIST_PREFIX):
        return obs_id[len(CHECKLIST_PREFIX) :] in kb.checklists
    return obs_id in kb.observations


def _ask(
    interview: Interview, answerer: Answerer, odef: ObservationDef, d: Diagnosis, source: Source
) -> None:
    interview.current = odef.id
    if odef.id.startswith(CHECKLIST_PREFIX):
        items = interview.kb.checklists[odef.id[len(CHECKLIST_PREFIX) :]].items
        interview.offered[odef.id] = tuple(i.obs for i in items if i.key in odef.choices)
    _ask_once(interview, answerer, odef, d, source)
    if not interview.quit:
        interview.current = None


#: Up to this many choices that fit an answer are named in the re-ask; more are given by number only.
FITS_NAMED = 6


def _heard_tried(interview: Interview, answerer: Answerer, text: str, source: Source) -> bool:
    """An answer that tells of fixes already tried instead ("I already re-entered the Wi-Fi and flashed Tinker"):
    each is recorded as a "yes" to "already tried, without success?" (``back`` undoes one at a time) and said back.
    False when the text tells of no fix tried; a part that names no fix, or several, is said and nothing recorded."""
    try:
        fixes = tried_words.said_tried(text, interview.kb.fixes)
    except tried_words.NotAFix as exc:
        answerer.tell(f"{exc}. Nothing was noted; the question again:")
        return True
    if not fixes:
        return False
    for fix in fixes:
        said = Provenance(source, f"said '{clipped(text)}'")
        interview.record(Observation(TRIED_PREFIX + fix, True, 1.0, said))
    titles = "; ".join(interview.kb.fixes[f].title for f in fixes)
    answerer.tell(f"Noted as already tried without success: {titles} (back undoes it). The question again:")
    return True


def short_reask(odef: ObservationDef, count: int) -> str:
    """A one-line hint after an answer that does not fit (the choices are not listed again)."""
    if odef.kind is Kind.ENUM:
        return f"Please type a number from 1 to {count}, ? if you don't know, or help."
    if odef.kind is Kind.BOOL:
        return "Please answer yes or no (? if you don't know)."
    if odef.kind is Kind.FIXES and odef.choices:  # a checklist: tick all that apply
        return f"Please type the numbers (1 to {count}) of all that apply, separated by commas, or press Enter for none."
    if odef.kind is Kind.FIXES:
        return "Please type the numbers of the fixes you tried, separated by commas, or press Enter for none."
    if odef.kind is Kind.NUMBER and (odef.minimum is not None or odef.maximum is not None):
        low = "" if odef.minimum is None else f" from {odef.minimum:g}"
        high = "" if odef.maximum is None else f" to {odef.maximum:g}"
        unit = f" {odef.unit}" if odef.unit else ""
        return f"Please type a number{low}{high}{unit}, or ? if you don't know."
    if odef.kind is Kind.VERSION:
        return "Please type a version such as 1.5.2 (help says where to find it), or ? if you don't know."
    return "That does not fit; type help for what is expected, or ? if you don't know."


def _ask_once(
    interview: Interview, answerer: Answerer, odef: ObservationDef, d: Diagnosis, source: Source
) -> None:
    kb = interview.kb
    interview.asked += 1
    while True:
        try:
            raw = answerer.answer(odef, interview.asked)
        except BaseException:
            # Ctrl-C or the end of input: the open question was not answered, so it does not count (it is kept
            # in ``current`` and asked again, with the same number, when the session is resumed).
            interview.asked -= 1
            raise
        text = raw.strip()
        # "Why?", "help?", "back." and "I don't know." are the words they end (a "?" alone is "don't know").
        word = typed(text).rstrip("?").rstrip().lower().replace("\u2019", "'") or text.lower()
        if word in {"why", "w"}:
            answerer.tell(
                why_question_text(
                    kb, d, why_question(kb, interview.observations, d, odef.id), verbose=interview.verbose
                )
            )
            continue
        if word in {"help", "h", "how"}:
            answerer.tell(odef.help)
            continue
        if word in {"quit", "q", "exit"}:
            interview.quit = True
            interview.asked -= 1
            return
        if word in {"back", "b", "undo"}:
            undone = interview.back()
            # This question does not count, and neither does the one undone (it will be asked again).
            interview.asked -= 2 if undone else 1
            if undone:
                answerer.tell(
                    f"Undid your answer to: {question_def(kb, interview.observations, undone).question}"
                )
            else:
                answerer.tell("Nothing to undo yet.")
            return
        if word in DONT_KNOW or (word == "" and odef.kind.value != "fixes"):
            interview.skip(odef.id)
            return
        try:
            value = parse_value(kb, odef, text)
        except AnswerError:
            if _heard_tried(interview, answerer, text, source):
                continue  # "I already flashed Tinker": noted, and the question is asked again
            count = len(odef.choices) if odef.choices else len(kb.fixes)
            fits = choices_fitting(odef, typed(text)) if odef.kind is Kind.ENUM else []
            if len(fits) > 1:
                # "WPA2" or "blinking": words of several choices; say which, rather than only "not an answer".
                shown = list(odef.choices.values())
                names = (
                    "; ".join(f"{n}) {shown[n - 1].split(':')[0]}" for n in fits)
                    if len(fits) <= FITS_NAMED
                    else ", ".join(map(str, fits))
                )
                answerer.tell(
                    f"'{clipped(text)}' fits {len(fits)} choices: {names}. Please type the number you mean."
                )
            else:
                answerer.tell(f"'{clipped(text)}' is not an answer here. {short_reask(odef, count)}")
            continue
        interview.record(Observation(odef.id, value, 1.0, Provenance(source, f"answered '{text}'")))
        return
