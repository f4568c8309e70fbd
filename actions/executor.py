"""The fix loop: walk the plan in its decision-theoretic order, with consent; run; verify; re-plan.

For each step the person is shown why it comes now (:func:`~photon_doctor.engine.explain.why_fix`), what it does
and changes, its risk and whether it can be undone, and the exact commands. ``--yes`` consents only to fixes that are
harmless or change settings that can be changed back; a fix that erases data needs ``--allow-erase``, one that cannot
be undone needs ``--allow-irreversible``, or, at a terminal, the person typing the word the prompt asks for (see
:func:`needs_flag`). Without consent and without anyone to ask, a fix is skipped.
After a fix the device is verified (the cloud's ping, or the person's eyes). A fix that ran and did not help is
evidence: it joins the ``fixes_tried_failed`` observation, the probes are run again, the core re-plans
(Breese & Heckerman; expert-systems.md §3), and the loop goes on with the new plan's first untried step.
A fix that could not run (the device gone, a command failing) is no evidence: it is passed over; a fix whose tool is
not installed becomes a guided manual step. The loop stops when the device is verified connected, when the person
stops, at a manual step nobody can confirm, when a fix waits on someone else, or when nothing is left.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from photon_doctor.actions.automations import Automation, automation_for
from photon_doctor.actions.consent import (
    ERASE_FLAG,
    IRREVERSIBLE_FLAG,
    TYPED_WORD,
    Policy,
    allowed,
    needs_flag,
)
from photon_doctor.actions.errors import ActionFailed, Pending, ToolMissing
from photon_doctor.actions.person import SAID_NO, Person
from photon_doctor.actions.records import ActionRecord, Consent, Go, Outcome, Result
from photon_doctor.actions.rig import Rig, Workbench
from photon_doctor.actions.summary import (
    BY_HAND,
    summary_text,
)  # summary_text re-exported: the shell prints it
from photon_doctor.actions.verify import TROUBLE, Verdict, trouble, verify_connected
from photon_doctor.engine.diagnosis import Diagnosis, diagnose
from photon_doctor.engine.explain import why_fix
from photon_doctor.foundation.evidence import Observation, Provenance, Source
from photon_doctor.foundation.ids import FIXES_TRIED_FAILED
from photon_doctor.foundation.redact import redact
from photon_doctor.knowledge.model import FixDef, KnowledgeBase

from photon_doctor.plain import (
    SMALL,
    counted,
    in_sentence,
    likelihood,
    percent,
    risk_sentence,
    tag,
    why_fix_text,
)

#: Re-runs the probes after a fix that did not help: (new observations, new facts).
Refresh = Callable[[], "tuple[Mapping[str, Observation], Mapping[str, Any]]"]
TRIED = FIXES_TRIED_FAILED
#: The word typed to accept a risk no flag covers (an automation's check could not rule out a harm).
RISK_WORD = "anyway"


@dataclass
class FixSession:
    """The outcome, and the observations and diagnosis the session ended with. ``notes``: more JSON-ready facts
    the composition root adds for the output (the demo: the simulated device before and after)."""

    outcome: Outcome
    observations: dict[str, Observation]
    diagnosis: Diagnosis
    notes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Step:
    record: ActionRecord
    then: str  # "connected" | "replan" | "next" | "stop" | "interrupted" | "ended" (the input ended)
    reason: str = ""


class Executor:
    """Runs one fix session; see the module docstring. ``refresh`` re-probes (None: re-plan on the evidence only)."""

    def __init__(
        self, kb: KnowledgeBase, rig: Rig, person: Person, policy: Policy, refresh: Refresh | None = None
    ) -> None:
        self.kb = kb
        self.rig = rig
        self.person = person
        self.policy = policy
        self.refresh = refresh
        self.observations: dict[str, Observation] = {}
        self.tried_here: list[str] = []
        self.offered: set[str] = set()  # the fixes this session has come to (run, refused or skipped)
        self.online_before = False  # the device answered the cloud before any fix: a ping proves nothing
        self.fresh = False  # the probes ran since the last fix (no need to run them again to re-plan)

    # --- the loop -----------------------------------------------------------------------------------------
    def run(self, observations: Mapping[str, Observation]) -> FixSession:
        """Walk the plan for ``observations``; never raises for a failed fix or Ctrl-C (see ``Outcome``)."""
        self.observations = dict(observations)
        online = self.observations.get("cloud_online")
        self.online_before = online is not None and online.value is True
        d = self._diagnose()
        outcome = Outcome(dry_run=self.policy.dry_run)
        if self.policy.dry_run:
            self._dry_run(d, outcome)
            return FixSession(outcome, self.observations, d)
        self.person.tell(
            f"\nFixing, in the order of the plan ({counted(len(d.plan), 'step')} at most; each fix is verified):"
        )
        try:
            d = self._loop(d, outcome)
        except (KeyboardInterrupt, EOFError) as exc:  # between steps: no fix was under way
            outcome.stop_reason, outcome.interrupted = "interrupted", True
            outcome.input_ended = isinstance(exc, EOFError)
            d = self._diagnose()
        return FixSession(outcome, self.observations, d)

    def _loop(self, d: Diagnosis, outcome: Outcome) -> Diagnosis:
        self.offered = set()
        for _ in range(len(self.kb.fixes)):
            plan_step = next((s for s in d.plan if s.fix not in self.offered), None)
            if plan_step is None:
                outcome.stop_reason = "nothing is left in the plan"
                return d
            fix = self.kb.fixes[plan_step.fix]
            self.offered.add(fix.id)
            self._introduce(d, fix, len(outcome.actions) + 1)
            step = self._one(d, fix)
            outcome.actions.append(step.record)
            if step.then == "connected":
                outcome.verified_connected, outcome.fixed_by = True, fix.id
                if fix.after_success is not None:
                    after, why = fix.after_success
                    outcome.then = (self.kb.fixes[after].title, why)
                outcome.stop_reason = f"verified: {step.record.message}"
                return d
            if step.then in ("stop", "interrupted", "ended"):
                outcome.stop_reason = step.reason
                outcome.interrupted = step.then in ("interrupted", "ended")
                outcome.input_ended = step.then == "ended"
                return d
            if step.then == "replan":
                d = self._replan(fix)
        outcome.stop_reason = "stopped after trying every fix once"
        return d

    def _diagnose(self) -> Diagnosis:
        d = diagnose(self.kb, self.observations)
        self.rig.observations = {k: o.value for k, o in self.observations.items()}
        return d

    def _missing_tool(self, automation: Automation | None) -> str | None:
        """Why the automation cannot run here (a program it drives is not installed), or None."""
        for name in automation.requires if automation is not None else ():
            try:
                self.rig.tools.find(name)
            except ToolMissing as exc:
                return str(exc.message)
        return None

    def _one(self, d: Diagnosis, fix: FixDef) -> _Step:
        automation = automation_for(fix.automation)
        self.fresh = False  # whatever the probes saw before this step may be out of date after it
        try:
            if automation is None:
                return self._manual(fix)
            missing = self._missing_tool(automation)
            if missing is not None:
                return self._manual(fix, f"{missing}; so this is done by hand")
            return self._automated(d, fix, automation)
        except (KeyboardInterrupt, EOFError) as exc:  # at a question: nothing was started
            record = self._record(
                fix, (), Consent.REFUSED, Result.SKIPPED, "stopped at the question", None, None
            )
            if isinstance(exc, EOFError):
                return _Step(record, "ended", "the input ended at a question")
            return _Step(record, "interrupted", "interrupted at a question")

    # --- one step ------------------------------------------------------------------------------------------
    def _introduce(self, d: Diagnosis, fix: FixDef, number: int) -> None:
        w = why_fix(self.kb, d, fix.id)
        tell = self.person.tell
        tell("")
        tell(f"Step {number}: {fix.title}{tag(fix.id, self.policy.verbose)}")
        if w.get("position"):
            causes = [
                f"{in_sentence(self.kb.causes[a['cause']].title)} ({likelihood(a['probability'])})"
                for a in w["addresses"]
                if a["probability"] >= SMALL
            ]
            tell(
                f"  Why now: {percent(w['p_success'])} chance it solves the problem if the earlier steps did not, "
                f"about {fix.cost:g} min" + (f"; it is for: {'; '.join(causes)}." if causes else ".")
            )
        tell(f"  What it does: {fix.description}")
        tell(f"  What it changes: {fix.changes}")
        tell(f"  Risk: {risk_sentence(fix)}")

    def _consent(self, d: Diagnosis, fix: FixDef) -> tuple[Consent | None, str]:
        """(consent, why); consent None means the person wants to stop."""
        flag = needs_flag(fix)
        if allowed(self.policy, fix):
            return Consent.AUTO, flag or "--yes"
        if not self.person.interactive:
            if flag is not None:
                what = "it erases data" if flag == ERASE_FLAG else "it cannot be undone"
                return Consent.REFUSED, f"not run: {what}, so it needs {flag} (--yes is not enough)"
            return Consent.REFUSED, "not run: needs consent (--yes), and nobody can be asked"
        if flag is not None:
            what = "erases data on the device" if flag == ERASE_FLAG else "cannot be undone"
            return self._typed_consent(d, fix, TYPED_WORD[flag], what)
        while True:
            answer = self.person.choose(
                "Run it?", {"y": "yes", "n": "no, skip it", "w": "why this fix", "q": "quit"}
            )
            if answer == "w":
                self.person.tell(why_fix_text(self.kb, d, why_fix(self.kb, d, fix.id), self.policy.verbose))
                continue
            if answer == "y":
                return Consent.GIVEN, "yes"
            if answer == "n":
                return Consent.REFUSED, "not run: the person said no"
            return None, "stopped by the person"

    def _risk_consent(self, d: Diagnosis, fix: FixDef, risk: str) -> tuple[Consent | None, str]:
        """A risk no flag covers (the device's Device OS is not known, so the update may be a downgrade): it runs
        only when someone at a terminal, told the risk, types the word."""
        if not self.person.interactive:
            return Consent.REFUSED, f"not run: {risk}; only someone at a terminal can accept that risk"
        self.person.tell(f"  Beware: {risk}.")
        return self._typed_consent(d, fix, RISK_WORD, "cannot be undone and may harm the device (see above)")

    def _typed_consent(self, d: Diagnosis, fix: FixDef, word: str, what: str) -> tuple[Consent | None, str]:
        """A fix that erases data or cannot be undone (``what``) runs only when the person types ``word``, not
        on a ``y``."""
        while True:
            answer = (
                (
                    self.person.ask(
                        f"This fix {what}. Type '{word}' to run it, or n to skip it, w why, q quit:"
                    )
                    or ""
                )
                .strip()
                .lower()
                .rstrip(".!")  # "erase?" is a question, not consent
            )
            if answer == word:
                return Consent.GIVEN, f"typed '{word}'"
            if answer.rstrip("?") in ("w", "why"):
                self.person.tell(why_fix_text(self.kb, d, why_fix(self.kb, d, fix.id), self.policy.verbose))
                continue
            if answer in ("q", "quit"):
                return None, "stopped by the person"
            if answer in ("n", "", "s") or answer in SAID_NO:
                return Consent.REFUSED, "not run: the person said no"
            self.person.tell(f"  Not run unless you type '{word}'.")

    def _automated(self, d: Diagnosis, fix: FixDef, automation: Automation) -> _Step:
        check = automation.check(self.rig) if automation.check is not None else None
        if check is not None and check.go is Go.REFUSE:  # it would harm the device (a downgrade)
            why = f"not run: {check.said}"
            self.person.tell(f"  Not run: {check.said}.")
            return _Step(self._record(fix, (), Consent.REFUSED, Result.SKIPPED, why, None, None), "next", why)
        preview = automation.preview(self.rig)
        self.person.tell("  It will run:")
        for line in preview:
            self.person.tell(f"    {redact(line)}")
        if check is not None and check.go is Go.ASK:
            consent, why = self._risk_consent(d, fix, check.said)
        else:
            consent, why = self._consent(d, fix)
        if consent is None or consent is Consent.REFUSED:
            record = self._record(
                fix, tuple(preview), consent or Consent.REFUSED, Result.SKIPPED, why, None, None
            )
            return _Step(record, "stop" if consent is None else "next", why)
        self.person.tell(f"  Consent: {why}.")
        bench = Workbench(self.rig, self.person)
        started = time.monotonic()
        done: str | None = None  # what the fix did, once it ran to its end (the check may still be cut short)
        try:
            try:
                message = automation.run(bench)
            except ActionFailed as exc:
                self.person.tell(f"  Failed: {exc.message}")
                message = self._put_back(bench, exc.message)
                record = self._record(
                    fix, tuple(bench.commands), consent, Result.FAILED, message, None, started
                )
                if isinstance(exc, Pending):
                    return _Step(record, "stop", "the fix now waits on someone else")
                return _Step(record, "next")
            except (
                Exception
            ) as exc:  # a bug or an unexpected OS error: end this step cleanly, never half-done
                reason = redact(f"unexpected error: {type(exc).__name__}: {exc}").splitlines()[0]
                self.person.tell(f"  Failed: {reason}")
                message = self._put_back(bench, reason)
                record = self._record(
                    fix, tuple(bench.commands), consent, Result.FAILED, message, None, started
                )
                return _Step(record, "stop", "an unexpected error ended the fix")
            self.person.tell(f"  Done: {redact(message)}")
            done = message
            verdict = self._verify(automation)
        except (KeyboardInterrupt, EOFError) as exc:
            ended = isinstance(exc, EOFError)
            why = "the input ended" if ended else "interrupted (Ctrl-C)"
            if done is None and bench.finished:  # what had already happened (an update cannot be undone)
                ran = " and ".join(bench.finished)
                why += f"; {ran} had finished and reported success before (what it changed was not checked)"
            if done is None and not bench.commands:  # at a question the fix asked (the password): nothing ran
                record = self._record(
                    fix, (), consent, Result.SKIPPED, f"{why} at a question: nothing was done", None, None
                )
            elif done is None:
                record = self._record(
                    fix,
                    tuple(bench.commands),
                    consent,
                    Result.FAILED,
                    self._put_back(bench, why),
                    None,
                    started,
                )
            else:  # the fix did its work; only the check that the device reaches the cloud was cut short
                message = self._put_back(
                    bench, f"{done}; {why} while checking that the device reaches the cloud"
                )
                record = self._record(
                    fix, tuple(bench.commands), consent, Result.DONE, message, None, started
                )
            if ended:
                return _Step(record, "ended", "the input ended during a fix")
            return _Step(record, "interrupted", "interrupted (Ctrl-C) during a fix")
        commands = tuple(bench.commands) + verdict.steps
        message = f"{message}; {verdict.detail}"
        if verdict.connected:
            return _Step(
                self._record(fix, commands, consent, Result.DONE, message, True, started), "connected"
            )
        message = self._put_back(bench, message)
        record = self._record(fix, commands, consent, Result.DONE, message, verdict.connected, started)
        if verdict.connected is None:
            return _Step(
                record, "stop", "the fix ran, but whether the device reaches the cloud could not be checked"
            )
        return _Step(record, "replan")

    def _verify(self, automation: Automation) -> Verdict:
        if not automation.verifies:
            return Verdict(False, "not connected: in listening mode the device stays off the cloud")
        self.person.tell("  Checking that the device reaches the cloud ...")
        verdict = verify_connected(self.rig, self.person, self._recheck())
        self.person.tell(f"  {'Verified' if verdict.connected else 'Not verified'}: {verdict.detail}")
        return verdict

    def _put_back(self, bench: Workbench, message: str) -> str:
        """Restore the device's mode; say so in the message."""
        was = "DFU" if bench.in_dfu else "listening" if bench.in_listening else None
        dialog = bench.in_dialog
        problems = bench.restore()
        if problems:
            return f"{message}; could not put the device back: {'; '.join(problems)}"
        if dialog:
            return f"{message}; the device was reset to end the console dialog (nothing half-saved)"
        return f"{message}; the device was taken out of {was} mode again" if was else message

    def _manual(self, fix: FixDef, note: str | None = None) -> _Step:
        self.person.tell(f"  {note}:" if note else "  This one is done by hand:")
        for i, line in enumerate(fix.steps, 1):
            self.person.tell(f"    {i}. {line}")
        said = f"{note}; " if note else ""
        if not self.person.interactive:
            record = self._record(
                fix,
                fix.steps,
                Consent.AUTO,
                Result.MANUAL_UNCONFIRMED,
                f"{said}shown; not confirmed (nobody can be asked): do the steps, then check the "
                "LED or run photon-doctor again",
                None,
                None,
            )
            return _Step(record, "stop", "a manual step is needed, and nobody here can confirm it")
        started = time.monotonic()
        answer = self.person.choose(
            "Have you done these steps?", {"y": "yes, done", "n": "no, skip this one", "q": "quit"}
        )
        if answer != "y":
            why = "skipped by the person" if answer == "n" else "stopped by the person"
            record = self._record(fix, fix.steps, Consent.REFUSED, Result.SKIPPED, said + why, None, started)
            return _Step(record, "next" if answer == "n" else "stop", why)
        if self.rig.carry_out is not None:  # the demo: the simulated world does what the person says was done
            changed = self.rig.carry_out(fix.id)
            if changed is None:
                why = "the demo cannot carry out this step on the simulated Photon, so it cannot help here"
                self.person.tell(f"  [demo] {why}.")
                record = self._record(
                    fix, fix.steps, Consent.GIVEN, Result.SKIPPED, said + why, None, started
                )
                return _Step(record, "next", why)
            self.person.tell(f"  [demo] carried out on the simulated Photon: {changed}.")
            said += f"[demo] carried out on the simulated Photon: {changed}; "
        verdict = verify_connected(self.rig, self.person, self._recheck())
        self.person.tell(f"  {'Verified' if verdict.connected else 'Not verified'}: {verdict.detail}")
        record = self._record(
            fix,
            tuple(fix.steps) + verdict.steps,
            Consent.GIVEN,
            Result.MANUAL_CONFIRMED,
            said + verdict.detail,
            verdict.connected,
            started,
        )
        if verdict.connected:
            return _Step(record, "connected")
        if verdict.connected is None:
            return _Step(record, "stop", "whether the device reaches the cloud could not be checked")
        return _Step(record, "replan")

    # --- probing again and re-planning ------------------------------------------------------------------------
    def _probe_again(self) -> dict[str, Observation] | None:
        """Run the probes again (if there are probes); what they found now, or None if there are none."""
        if self.refresh is None:
            return None
        self.person.tell("  Probing again ...")
        fresh, facts = self.refresh()
        self.observations.update(fresh)
        self.rig.facts.update(facts)
        self.fresh = True
        return dict(fresh)

    def _recheck(self) -> Callable[[], list[str] | None] | None:
        """When the device answered the cloud before any fix, the check after a fix probes again too."""
        if not self.online_before:
            return None

        def recheck() -> list[str] | None:
            before = {k: o.value for k, o in self.observations.items()}
            fresh = self._probe_again()
            if fresh is None:
                return None
            now = {k: o.value for k, o in fresh.items()}
            # Trouble seen before the fix that the probes could not look at again (the serial port gone): not
            # known to be left, nor gone; the person's eyes decide.
            if any(before.get(k) == bad and k not in now for k, (bad, _) in TROUBLE.items()):
                return None
            signs: list[str] = trouble(now)
            return signs

        return recheck

    def _replan(self, fix: FixDef) -> Diagnosis:
        """The fix did not help: evidence. Add it to ``fixes_tried_failed`` (first: a Ctrl-C while the probes run
        again keeps it for the session), probe again, diagnose again."""
        old = self.observations.get(TRIED)
        tried = tuple(old.value) if old is not None and isinstance(old.value, tuple) else ()
        if fix.id not in tried:
            tried += (fix.id,)
        self.tried_here.append(fix.id)
        self.observations[TRIED] = Observation(
            TRIED,
            tried,
            1.0,
            Provenance(
                Source.EXECUTOR,
                f"photon-doctor carried out {', '.join(self.tried_here)}; "
                "the device still did not reach the cloud",
            ),
        )
        if not self.fresh:
            self._probe_again()
        self.fresh = False
        d = self._diagnose()
        # The step the loop comes to next: a fix the person refused or skipped is not offered again.
        nxt = next((self.kb.fixes[s.fix].title for s in d.plan if s.fix not in self.offered), None)
        self.person.tell(
            f"  '{fix.title}' did not help, so the causes it solves are now less likely. "
            + (f"Next: '{nxt}'." if nxt else "Nothing is left to try.")
        )
        return d

    # --- dry run ---------------------------------------------------------------------------------------------
    def _dry_run(self, d: Diagnosis, outcome: Outcome) -> None:
        """Record every step of the plan with its exact commands, once; :func:`summary_text` prints them."""
        for step in d.plan:
            fix = self.kb.fixes[step.fix]
            automation = automation_for(fix.automation)
            missing = self._missing_tool(automation)
            if automation is None or missing is not None:
                lines = list(fix.steps)
                note = f"{missing + '; ' if missing else ''}{BY_HAND}"
            else:
                check = automation.check(self.rig) if automation.check is not None else None
                if check is not None and check.go is Go.REFUSE:
                    outcome.actions.append(
                        self._record(
                            fix, (), Consent.DRY_RUN, Result.SKIPPED, f"not run: {check.said}", None, None
                        )
                    )
                    continue
                lines = automation.preview(self.rig)
                flag = needs_flag(fix)
                note = (
                    f"would run only if someone at a terminal types '{RISK_WORD}': {check.said}"
                    if check is not None and check.go is Go.ASK
                    else f"would run after consent ({flag} or typing '{TYPED_WORD[flag]}')"
                    if flag
                    else "would run after consent (--yes or a yes)"
                )
            outcome.actions.append(
                self._record(
                    fix,
                    tuple(lines),
                    Consent.DRY_RUN,
                    Result.PLANNED,
                    f"not run (--dry-run); {note}",
                    None,
                    None,
                )
            )
        outcome.stop_reason = "dry run: nothing was changed"

    def _record(
        self,
        fix: FixDef,
        commands: tuple[str, ...] | list[str],
        consent: Consent,
        result: Result,
        message: str,
        verified: bool | None,
        started: float | None,
    ) -> ActionRecord:
        seconds = time.monotonic() - started if started is not None else 0.0
        return ActionRecord(
            fix.id,
            fix.title,
            fix.automation,
            fix.risk.value,
            fix.reversible,
            tuple(redact(c) for c in commands),
            consent,
            result,
            redact(message),
            verified,
            seconds,
        )


__all__ = [
    "ERASE_FLAG",
    "IRREVERSIBLE_FLAG",
    "Executor",
    "FixSession",
    "Policy",
    "allowed",
    "needs_flag",
    "summary_text",
]
