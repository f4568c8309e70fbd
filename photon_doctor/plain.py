"""Plain words for people: chances as percentages in words, risks as sentences, answers as their meaning, and the
explanations (`why`) without ids or raw numbers. Ids appear only when ``verbose`` asks for them.

Pure functions over the knowledge base, a diagnosis and the explanation dictionaries of engine/explain.py; the
terminal, the Markdown and the HTML report all speak through them.
"""

from __future__ import annotations

import difflib
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from photon_doctor.engine.diagnosis import Diagnosis, done_fixes, tried_fixes
from photon_doctor.foundation.evidence import Source
from photon_doctor.foundation.ids import LED_COLOUR
from photon_doctor.foundation.redact import redact
from photon_doctor.knowledge.model import FixDef, Kind, KnowledgeBase, Risk

#: Below this, a cause is "very unlikely" and a fix's chance is "under 5 %".
SMALL = 0.05

#: The probes, as an owner would name them (the progress, "Not probed", the report).
PROBE_WORDS = {
    "usb": "a Photon on USB",
    "serial": "the device over USB serial",
    "softap": "the device's setup Wi-Fi (SoftAP)",
    "cloud": "the Particle cloud",
    "host": "this computer's network",
}


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """ "1 observation", "15 observations", "2,000 devices" (``plural`` when it is not ``noun`` + s)."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def percent(p: float) -> str:
    """A probability (0..1) as "about 70 %", rounded to 5 %; small ones as "under 5 %"."""
    if p < SMALL:
        return "under 5 %"
    if p > 0.975:
        return "almost 100 %"
    return f"about {round(p * 20) * 5} %"


def likelihood(p: float) -> str:
    """A cause's probability in words and as a percentage: "very likely, about 70 %". The word follows the
    percentage shown, so one percentage always reads with one word."""
    shown = p
    p = p if p < SMALL or p > 0.975 else round(p * 20) / 20
    if p >= 0.85:
        word = "almost certain"
    elif p >= 0.6:
        word = "very likely"
    elif p >= 0.35:
        word = "likely"
    elif p >= 0.15:
        word = "possible"
    elif p >= SMALL:
        word = "unlikely"
    else:
        word = "very unlikely"
    return f"{word}, {percent(shown)}"


def stands_out(p: float) -> bool:
    """Whether a leading cause at probability ``p`` reads as at least "possible" (about 15 %): below that, a
    heading "Likely causes" or a sentence "Most likely: ..." would contradict its own "unlikely, about 10 %"."""
    return likelihood(p).split(",")[0] not in ("unlikely", "very unlikely")


def risk_sentence(fix: FixDef) -> str:
    """What a fix puts at risk, as one honest sentence (a support ticket is not "undone")."""
    if fix.risk is Risk.HARMLESS:
        return "Harmless: nothing on the device is lost."
    if fix.risk is Risk.CHANGES_SETTINGS:
        return (
            "It changes settings, which can be changed back."
            if fix.reversible
            else "It changes settings that cannot simply be changed back."
        )
    if fix.risk is Risk.ERASES_DATA:
        return "It erases data on the device; it cannot be undone."
    return "It cannot be undone."


def risk_short(fix: FixDef) -> str:
    """The risk in two or three words, for a table."""
    return {
        Risk.HARMLESS: "harmless",
        Risk.CHANGES_SETTINGS: "changes settings",
        Risk.ERASES_DATA: "ERASES DATA",
        Risk.IRREVERSIBLE: "CANNOT UNDO",
    }[fix.risk]


def how_short(fix: FixDef) -> str:
    return "by hand" if fix.automation == "manual" else "automatic"


def value_words(kb: KnowledgeBase, obs_id: str, value: Any) -> str:
    """An observed value as a person would say it: an enum's meaning, yes/no, fix titles."""
    odef = kb.observations.get(obs_id)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (tuple, list)):
        if odef is not None and odef.kind is Kind.FIXES:
            return ", ".join(kb.fixes[v].title if v in kb.fixes else str(v) for v in value) or "none"
        return ", ".join(str(v) for v in value) or "none"
    if odef is not None and odef.kind is Kind.ENUM and str(value) in odef.choices:
        return str(odef.choices[str(value)])
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # -85 dBm, not -85.0 dBm
    if odef is not None and odef.unit:
        return f"{value} {odef.unit}"
    return str(value)


#: How the plan orders its steps (engine/planning.py), as every surface says it: the chance per minute decides, and
#: between two steps that are close, the one that risks less (a handicap of 10-20 %) goes first.
ORDER_RULE = "the best chance per minute first, and of two close ones the step that risks less"

#: What a person typed is echoed back at most this long: a pasted page is not repeated whole.
ECHO_LIMIT = 60


def clipped(text: str, limit: int = ECHO_LIMIT) -> str:
    """``text`` as typed, cut to ``limit`` characters ("..." at the end) when it is longer."""
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def tag(ident: str, verbose: bool) -> str:
    """`` [id]`` when verbose, else nothing: ids stay out of human output unless asked for."""
    return f" [{ident}]" if verbose else ""


#: A number and its unit ("5 %", "45 min") stay on one line: the space between them is held while wrapping.
_NUMBER_UNIT = re.compile(r"(\d) (%|min\b)")
_HELD = "\u00a0"  # textwrap breaks at ASCII whitespace only


def wrap(text: str, width: int, indent: str = "", hang: str | None = None) -> list[str]:
    """Word-wrap one paragraph to ``width`` columns (long words are broken rather than overflowing; a number
    stays with its unit)."""
    width = max(width, 20)
    hold = _HELD not in text
    lines = textwrap.wrap(
        _NUMBER_UNIT.sub(rf"\1{_HELD}\2", text) if hold else text,
        width=width,
        initial_indent=indent,
        subsequent_indent=hang if hang is not None else indent,
        break_long_words=True,
        break_on_hyphens=False,
    ) or [indent.rstrip()]
    return [line.replace(_HELD, " ") for line in lines] if hold else lines


def wrap_lines(lines: Iterable[str], width: int) -> str:
    """Wrap each line to ``width``, keeping its leading spaces (and the hang of a list marker, or of a share that
    starts the line, "  52.5 %  ...") for its continuations."""
    out: list[str] = []
    for line in lines:
        if len(line) <= width:
            out.append(line)
            continue
        lead = len(line) - len(line.lstrip(" "))
        m = re.match(r" *(?:\d+[.)]|-|\*) | *\d+(?:\.\d+)? % +", line)  # also a share: "  52.5 %  title"
        hang = " " * (m.end() if m else lead)
        out.extend(wrap(line.strip(), width, " " * lead, hang))
    return "\n".join(out)


# --------------------------------------------------------------------------------------------- the answers to why
def _cause_p(d: Diagnosis, cause_id: str) -> float:
    return float(d.cause(cause_id).probability)


def _told(source: Source | None, said: str, question: str) -> str:
    """A known value and who gave it, in one sentence: a person answered, a probe found."""
    if source is None or source in (Source.PERSON, Source.CLI, Source.INTERVIEW):
        return f"You answered '{said}' to: {question}"
    if source is Source.SCENARIO:
        return f"The demo scenario's simulated owner answered '{said}' to: {question}"
    probe = source.value.partition(":")[2]
    if probe:
        return f"Checking {PROBE_WORDS.get(probe, probe)}, photon-doctor found '{said}' for: {question}"
    return f"Known: '{said}' for: {question}"


def why_question_text(
    kb: KnowledgeBase,
    d: Diagnosis,
    w: Mapping[str, Any],
    answered: Any = None,
    verbose: bool = False,
    source: Source | None = None,
    asking: bool = True,
) -> str:
    """WHY a question is asked, in 3-6 lines: what the likeliest answers would make more or less likely.

    ``answered`` (the value, when the question was already answered) turns it into what the answer told;
    ``source`` says who gave it (a probe's finding is not "You answered")."""
    obs_id = str(w["question"])
    if answered is not None:
        lines = [_told(source, value_words(kb, obs_id, answered), f"{w['text']}{tag(obs_id, verbose)}")]
        ups: list[str] = []
        downs: list[str] = []
        for c in d.causes:
            for e in c.evidence:
                if any(o.id == obs_id for o in e.observations) and e.contribution != 0:
                    # each with its share now: the parentheses also part titles that hold a comma
                    said_now = f"{in_sentence(_named(kb, c.id))} (now {percent(c.probability)})"
                    (ups if e.contribution > 0 else downs).append(said_now)
                    break
        if ups:
            lines.append(f"That made more likely: {_join_plain(ups[:3])}.")
        if downs:
            lines.append(f"That made less likely: {_join_plain(downs[:3])}.")
        if not ups and not downs:
            lines.append("On its own it pointed neither way.")
        return "\n".join(lines)
    # At the prompt the question is being asked; `photon-doctor why` on a saved session may name one never asked.
    head = "Why I ask" if asking else "What it would tell"
    lines = [f"{head}: {w['text']}{tag(obs_id, verbose)}"]
    scored: list[tuple[float, Mapping[str, Any]]] = []
    for a in w["answers"]:
        changes: list[dict[str, Any]] = a["changes"]
        if not changes:
            continue
        weight = sum(abs(c["after"] - c["before"]) for c in changes)
        scored.append((weight, a))
    scored.sort(key=lambda s: -s[0])
    said: set[str] = set()
    for _, ans in scored:
        if len(said) == 3:
            break
        moved: list[dict[str, Any]] = list(ans["changes"])
        rise = [c for c in moved if c["after"] > c["before"]]
        fall = [c for c in moved if c["after"] < c["before"]]
        rise.sort(key=lambda c: c["before"] - c["after"])
        fall.sort(key=lambda c: c["after"] - c["before"])
        parts = []
        lead = ans.get("leading") or {}
        if rise and rise[0]["cause"] == lead.get("cause"):
            # the answer would leave this cause first: say so, with its share before and after
            first = in_sentence(_named(kb, rise[0]["cause"]))
            how = "becomes the likeliest" if lead.get("cause") != d.causes[0].id else "stays the likeliest"
            parts.append(f"{first} {how} ({_moved(rise[0])})")
            rise = rise[1:2]
        if rise:
            rise = rise[:2]
            if len(rise) == 1:
                verb = "" if parts else " becomes"
                parts.append(
                    f"{in_sentence(_named(kb, rise[0]['cause']))}{verb} more likely ({_moved(rise[0])})"
                )
            else:
                names = [f"{in_sentence(_named(kb, c['cause']))} ({_moved(c)})" for c in rise]
                parts.append(f"{_join_plain(names)} {'' if parts else 'become '}more likely")
        if fall:
            verb = "" if parts else " becomes"
            parts.append(f"{in_sentence(_named(kb, fall[0]['cause']))}{verb} less likely ({_moved(fall[0])})")
        effect = "; ".join(parts)
        if effect in said:  # two answers that would move the same causes the same way: one line says it
            continue
        said.add(effect)
        lines.append(f"If '{value_words(kb, obs_id, ans['value'])}': {effect}.")
    if len(lines) == 1 and obs_id == LED_COLOUR:
        # The colour moves no cause by itself: it is asked so the pattern question offers only a few lines.
        lines.append(
            "The colour on its own changes nothing yet: it narrows the next question, how the LED "
            "blinks, to that colour's few patterns, and the pattern points to the likely causes."
        )
    elif len(lines) == 1:
        lines.append(
            "No answer would change the ranking much now; you may skip it with '?'."
            if asking
            else "No answer would change the ranking much now."
        )
    check = w.get("check_first")
    if check and d.plan:
        firsts = [
            f"if '{value_words(kb, obs_id, c['value'])}' ({percent(float(c['probability']))}), "
            f"'{kb.fixes[str(c['first_fix'])].title}'"
            for c in check["outcomes"]
            if c["first_fix"] is not None
        ]
        lines.append(
            "The plan shows it as the check to do before the first fix; which fix comes first depends on it: "
            + "; ".join(firsts)
            + "."
        )
    lines.append(f"It takes about {w['cost_minutes']:g} min to find out.")
    return "\n".join(lines)


def how_cause_text(kb: KnowledgeBase, d: Diagnosis, h: Mapping[str, Any], verbose: bool = False) -> str:
    """HOW a cause was concluded, in words: how likely, what points to it, what speaks against it, what fixes it."""
    cause_id = str(h["cause"])
    p = _cause_p(d, cause_id)
    rank = h.get("rank")
    place = f", ranked {_ordinal(rank)}" if rank else ""
    lines = [f"{h['title']}{tag(cause_id, verbose)}: {likelihood(p)}{place}.", f"  {h['description']}"]
    if not h["for"] and not h["against"]:
        # Only its base rate: say so, and why its share moved anyway (single fault: the others rose or fell).
        prior = float(h["prior"])
        moved = (
            " It is less likely now only because what is known points to other causes."
            if percent(p) != percent(prior) and p < prior
            else " It is likelier now only because what is known speaks against other causes."
            if percent(p) != percent(prior)
            else ""
        )
        lines.append(
            "Nothing known points to it or speaks against it: it has only its base rate, how common it is "
            f"before any evidence ({percent(prior)}).{moved}"
        )
    for label, key in (("What points to it", "for"), ("What speaks against it", "against")):
        if not h[key]:
            continue
        lines.append(f"{label}:")
        for e in h[key]:
            seen = "; ".join(_seen(kb, o) for o in e["observations"])
            why = str(e["rationale"])
            lines.append(f"  - {why}" + (f" (seen: {seen})" if seen else "") + tag(str(e["id"]), verbose))
    fixes = list(h["fixes"])
    if fixes:
        lines.append("What fixes it:")
        numbers = {s.fix: i for i, s in enumerate(d.plan, 1)}
        done = done_fixes(kb, {o.id: o for o in d.observations})
        for fid in sorted(fixes, key=lambda f: numbers.get(f, len(numbers) + 1)):  # in the plan's order
            where = (
                f"step {numbers[fid]} of the plan"
                if fid in numbers
                else "tried without success"
                if fid in done
                else "not in the plan now"
            )
            lines.append(f"  - {kb.fixes[fid].title} ({where}){tag(fid, verbose)}")
    return "\n".join(lines)


def why_fix_text(
    kb: KnowledgeBase, d: Diagnosis, w: Mapping[str, Any], verbose: bool = False, steps: bool = False
) -> str:
    """WHY a fix is where it is in the plan, in words (no ratios, no ids); with ``steps`` (the ``why`` command,
    which a dry run names for the steps done by hand), HOW it is done by hand too."""
    fix = kb.fixes[str(w["fix"])]
    lines = [f"{fix.title}{tag(fix.id, verbose)}"]
    if w["position"] is None:
        same = kb.fixes.get(str(w.get("same_as")))
        if w.get("left_out") == "same_action" and same is not None:
            where = next((f" (step {i})" for i, s in enumerate(d.plan, 1) if s.fix == same.id), "")
            lines.append(
                f"  Not in the plan now: it carries out the same action as '{same.title}'{where}, "
                "and would add nothing to it."
            )
        elif w.get("left_out") == "plan_stops":
            lines.append(
                f"  Not in the plan now: the plan stops after its {len(d.plan)} steps, which leave under 1 % "
                "chance that the problem is still there."
            )
        else:
            lines.append(f"  Not in the plan now: {w['reason']}.")
        for done in w.get("done_by", []):
            obs_id = str(done["observation"])
            said = value_words(kb, obs_id, done["value"])
            source = Source(done["source"]) if "source" in done else None
            lines.append(f"  ({_told(source, said, kb.observations[obs_id].question)})")
    else:
        lines.append(
            f"  Step {w['position']} of {len(d.plan)} in the plan: {percent(float(w['p_success']))} "
            f"chance it solves the problem if the earlier steps did not; about {fix.cost:g} min."
        )
        # Proposed although the owner tried a fix that carries out the same action (both Device OS updates run
        # `particle update`): say so, and that it counts only for what it adds (docs/knowledge-format.md).
        for other in tried_fixes({o.id: o for o in d.observations}):
            done = kb.fixes.get(other)
            if done is not None and other != fix.id and fix.automation not in ("", "manual"):
                if done.automation == fix.automation:
                    lines.append(
                        f"  You already tried '{done.title}', which carries out the same action: this step "
                        "counts only for what it does beyond it."
                    )
    lines.append(f"  {risk_sentence(fix)} What it changes: {fix.changes}.")
    # The likeliest cause first: that is the one the step is taken for.
    addressed = sorted(
        (a for a in w["addresses"] if a["probability"] > 0 or verbose), key=lambda a: -float(a["probability"])
    )
    if addressed:
        lines.append("  It is for:")
        for a in addressed:
            lines.append(
                f"  - {kb.causes[a['cause']].title} ({likelihood(float(a['probability']))}); "
                f"it solves that {percent(float(a['resolves_probability']))} of the time"
                f"{tag(str(a['cause']), verbose)}."
            )
    for sit in w.get("situation", ()):
        lines.append(f"  Here: {sit['why']}")
    check = w.get("check_first")
    if check:
        lines.append(_check_sentence(kb, check, fix.id))
    if "after_previous" in w:
        lines.append("  " + order_sentence(kb, w["after_previous"], fix, before=False))
    if "before_next" in w:
        lines.append("  " + order_sentence(kb, w["before_next"], fix, before=True))
    last = w.get("last")
    if last:
        left = percent(float(last["unresolved"]))
        lines.append(
            "  It is the last step: the plan stops there, as the chance that the problem is still there after it "
            "is negligible."
            if last["because"] == "negligible_left"
            else f"  It is the last step: every step fails {left} of the time, by what is known now, and then no "
            "fix left has even a 1 % chance of helping."
        )
    if steps and fix.steps:
        manual = fix.automation == "manual"
        lines.append("  How, by hand:" if manual else "  By hand, where photon-doctor cannot run it itself:")
        lines += [f"    {i}. {step}" for i, step in enumerate(fix.steps, 1)]
    return "\n".join(lines)


def _risk_words(fix: FixDef) -> str:
    """What makes a step riskier than another in the plan's order, after "it" ("it cannot be undone")."""
    if fix.risk is Risk.ERASES_DATA:
        return "erases data"
    if fix.risk is Risk.IRREVERSIBLE or not fix.reversible:
        return "cannot be undone"
    return "changes settings"


def _per_minute(p: float, minutes: float, close: bool) -> str:
    """A chance and its minutes; to the whole percent when two steps are ``close`` (rounded to 5 %, 12 % and 11 %
    would both read "about 10 %" and the sentence could not show which is better)."""
    if not close:
        return f"{percent(p)} in {minutes:g} min"
    shown = "under 1 %" if p < 0.01 else f"{p * 100:.1f} %" if p < 0.1 else f"{round(p * 100)} %"
    return f"{shown.replace('.0 %', ' %')} in {minutes:g} min"


def order_sentence(kb: KnowledgeBase, o: Mapping[str, Any], fix: FixDef, before: bool) -> str:
    """Why ``fix`` comes before (``before``) or after the step ``o`` names, with the reason the plan had
    (``_order`` of engine/explain.py): both chances are said at the same point, when the earlier step starts."""
    other = kb.fixes[str(o["fix"])]
    first, second = (fix, other) if before else (other, fix)
    r1 = float(o["first_p_success"]) / float(o["first_cost_minutes"])
    r2 = float(o["second_p_success_then"]) / float(o["second_cost_minutes"])
    close = max(r1, r2) < 1.25 * min(r1, r2)
    p1 = _per_minute(float(o["first_p_success"]), float(o["first_cost_minutes"]), close)
    p2 = _per_minute(float(o["second_p_success_then"]), float(o["second_cost_minutes"]), close)
    where = f"It comes before '{other.title}'" if before else f"It comes after '{other.title}'"
    because = str(o["because"])
    if because == "chance_per_minute":
        better = "a slightly better" if close else "a better"
        if before:
            return f"{where}: {better} chance per minute ({p1}, against {p2} for that step at this point)."
        return (
            f"{where}, which has {better} chance per minute ({p1}, against {p2} for this step at that point)."
        )
    if because == "less_risk":
        subject = "that step" if before else "this step"
        better = "a slightly better" if r2 > r1 else "the same"
        return (
            f"{where}, although {subject} has {better} chance per minute ({p2}, against {p1}): it "
            f"{_risk_words(second)}, and when the chances are this close, the step that risks less goes first."
        )
    if because == "too_unlikely_yet":
        if before:
            return f"{where}: that step has under 1 % chance of helping until this one has failed."
        return f"{where}: this step has under 1 % chance of helping until that one has failed."
    if because == "quicker":
        quick = "this one" if before else "that one"
        return (
            f"{where}: the same chance per minute, and {quick} is quicker "
            f"({first.cost:g} min instead of {second.cost:g})."
        )
    return f"{where}: the same chance per minute, time and risk; either could come first."


def _check_sentence(kb: KnowledgeBase, check: Mapping[str, Any], first_fix: str) -> str:
    """The check the plan puts before its first fix (observe-repair), and which answer would change that fix."""
    obs_id = str(check["observation"])
    line = f"  Check first (about {float(check['cost_minutes']):g} min): {check['question']}"
    switch = [
        f"if '{value_words(kb, obs_id, c['value'])}' ({percent(float(c['probability']))}), "
        f"'{kb.fixes[str(c['first_fix'])].title}' comes first instead"
        for c in check["outcomes"]
        if c["first_fix"] is not None and c["first_fix"] != first_fix
    ]
    if switch:
        line += " Its answer decides what comes first: " + "; ".join(switch) + "."
    return line


def _seen(kb: KnowledgeBase, o: Mapping[str, Any]) -> str:
    value = o["value"]
    value = tuple(value) if isinstance(value, list) else value
    odef = kb.observations.get(str(o["id"]))
    what = _short_question(odef.question) if odef is not None else str(o["id"])
    return f"{what}: {value_words(kb, str(o['id']), value)}"


def _short_question(question: str) -> str:
    """A question as a short label: its first clause, without the question mark."""
    return question_label(question, 60, stops="?:")


def question_label(question: str, limit: int, stops: str = "?") -> str:
    """A question as a label of at most ``limit`` characters (then "..."): without its parenthesised asides
    (cutting at the first "(" left "What does the status LED" or "Does your account's device list"), up to the
    first of ``stops``."""
    q = re.sub(r"\s*\([^()]*\)", "", question)
    q = re.split(f"[{re.escape(stops)}]", q, maxsplit=1)[0].strip()
    if len(q) <= limit:
        return q
    # Cut between words ("... the Wi-Fi...", not "... the Wi-Fi mod..."), and not after a comma.
    cut = q[: limit + 1].rsplit(" ", 1)[0] if " " in q[:limit] else q[:limit]
    return cut.rstrip(" ,;") + "..."


#: Capitalised first words that stay capitalised inside a sentence (names, not the start of a title).
_NAMES = frozenset({"Particle", "Photon", "Device", "Tinker"})


def in_sentence(title: str) -> str:
    """A title as it reads inside a sentence: "The network is hidden" -> "the network is hidden", "Unusual
    characters ..." -> "unusual characters ..."; "Wi-Fi ...", "DHCP ..." and "Particle ..." keep their capital."""
    first = re.match(r"[A-Z][a-z]*\b(?!-)", title)
    if first is None or first.group(0) in _NAMES:
        return title
    return title[0].lower() + title[1:]


def _moved(change: Mapping[str, Any]) -> str:
    """A cause's share before and after an answer, as the ranking rounds them ("from about 20 % to about 75 %"),
    or "still about 90 %" when the rounding hides the move."""
    before, after = percent(float(change["before"])), percent(float(change["after"]))
    return f"still {after}" if before == after else f"from {before} to {after}"


def _named(kb: KnowledgeBase, cause_id: str) -> str:
    return kb.causes[cause_id].title.rstrip(".")


def _join_plain(items: list[str]) -> str:
    """Items joined with commas and "and", as they are (no title turned into sentence case)."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _join(names: list[str]) -> str:
    names = [in_sentence(n) for n in names]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _ordinal(n: int) -> str:
    """ "first", "second", "third", then "4th" ... "11th", "12th", "13th", "21st", "22nd", "23rd"."""
    if n in (1, 2, 3):
        return ("first", "second", "third")[n - 1]
    suffix = "th" if n % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# ------------------------------------------------------------------------------------------ finding what `why` means
class TargetKind(str, Enum):
    """What a `why` target can be."""

    FIX = "fix"
    CAUSE = "cause"
    OBSERVATION = "observation"


@dataclass(frozen=True)
class Target:
    """What a person asked about: a fix, a cause or an observation, by id."""

    kind: TargetKind
    id: str


class NoSuchTarget(ValueError):
    """Raised when a `why` target matches nothing (or too many things); the message says what was meant."""


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower().replace("_", " "))


def _close_by_words(wanted: list[str], pools: Sequence[tuple[object, Mapping[str, str]]]) -> list[str]:
    """Titles (lower case) whose words come close to every word typed ("statc ip", "antena"), best first."""
    scored: list[tuple[float, str]] = []
    for _, names in pools:
        for title in names.values():
            words = _words(title)
            fits = [
                max(
                    (difflib.SequenceMatcher(None, w, t).ratio() if not t.startswith(w) else 1.0)
                    for t in words
                )
                if words
                else 0.0
                for w in wanted
            ]
            if min(fits) >= 0.75:
                scored.append((sum(fits) / len(fits), title.lower()))
    scored.sort(key=lambda s: -s[0])
    return [title for _, title in scored[:3]]


def find_target(kb: KnowledgeBase, d: Diagnosis, target: str) -> Target:
    """A plan number (``2``), an id, an id's start, or words of a title (``static ip``), with "did you mean"."""
    text = target.strip()
    if text.isascii() and text.isdigit():  # not int() of "³" or of 5,000 digits: both raise ValueError
        n = int(text) if len(text) <= 9 else 0
        if 1 <= n <= len(d.plan):
            return Target(TargetKind.FIX, d.plan[n - 1].fix)
        raise NoSuchTarget(
            f"there is no step {clipped(text)} in the plan (it has {counted(len(d.plan), 'step')})"
        )
    if re.fullmatch(r"[-+]?\d*[.,]?\d+", text):  # -1 or 2.5 is no step, and no title's digits either
        raise NoSuchTarget(
            f"there is no step {clipped(text)} in the plan: give a number from 1 to {len(d.plan)}"
        )
    pools: list[tuple[TargetKind, Mapping[str, str]]] = [
        (TargetKind.FIX, {f.id: f.title for f in kb.fixes.values()}),
        (TargetKind.CAUSE, {c.id: c.title for c in kb.causes.values()}),
        (TargetKind.OBSERVATION, {o.id: o.question for o in kb.observations.values()}),
    ]
    for kind, names in pools:
        if text in names:
            return Target(kind, text)
    starts = [Target(k, i) for k, names in pools for i in names if len(text) >= 4 and i.startswith(text)]
    if len(starts) == 1 and starts[0].kind is not TargetKind.OBSERVATION:
        return starts[0]
    wanted = _words(text)
    hits = [
        Target(k, i)
        for k, names in pools
        for i, title in names.items()
        if wanted and all(any(w2.startswith(w) for w2 in _words(title) + _words(i)) for w in wanted)
    ]
    if (
        len(hits) > 1
    ):  # whole words before the start of a longer one: "device list" is not "device ... listening"
        title_of = {i: title for _, names in pools for i, title in names.items()}
        whole = [h for h in hits if set(wanted) <= set(_words(title_of[h.id]) + _words(h.id))]
        hits = whole or hits
    # A fix or a cause before a question: "static ip" means the cause, not "set a static IP address?"; "tinker"
    # the fix that flashes it, not the question whose id starts with it (tinker_fixes).
    main = [h for h in hits if h.kind is not TargetKind.OBSERVATION]
    if len(starts) == 1:
        return main[0] if len(main) == 1 else starts[0]
    if len(hits) == 1:
        return hits[0]
    if len(main) == 1:
        return main[0]
    label = {i: names[i] for _, names in pools for i in names}
    if len(hits) > 1:
        shown = "; ".join(f"'{label[h.id]}'" for h in hits[:4]) + (
            f" and {len(hits) - 4} more" if len(hits) > 4 else ""
        )
        raise NoSuchTarget(
            f"'{clipped(target)}' fits {len(hits)} things: {shown}. Say more words, or give a plan step number."
        )
    candidates = {i: i for _, names in pools for i in names}
    candidates.update({title.lower(): i for _, names in pools for i, title in names.items()})
    close = difflib.get_close_matches(text.lower(), list(candidates), n=3, cutoff=0.6)
    if not close and wanted:
        close = _close_by_words(wanted, pools)
    if close:
        offered = list(dict.fromkeys(f"'{label[candidates[c]]}'" for c in close))
        shown = " or ".join(offered)
        raise NoSuchTarget(
            f"nothing is called '{clipped(target)}'. Did you mean {shown}"
            + ("" if shown.endswith("?'") else "?")
        )
    raise NoSuchTarget(
        f"nothing is called '{clipped(target)}': give a plan step number (why 1), words of a fix's or "
        "cause's title (why \"static ip\"), or see 'photon-doctor kb show'"
    )


def carried_out_text(action: Mapping[str, Any], outcome: Mapping[str, Any] | None) -> str:
    """What became of a fix in the session's fix run, in one sentence (``why`` starts with it: the reasoning
    below is the plan's, from before the fix ran)."""
    result = str(action.get("result"))
    message = action.get("message")
    why = (
        redact(message) if isinstance(message, str) else ""
    )  # what happened: Ctrl-C after a tool had finished
    verified = action.get("verified_connected")
    fixed = bool(
        outcome and outcome.get("verified_connected") and outcome.get("fixed_by") == action.get("fix")
    )
    after = (
        ", and the device reaches the cloud again"
        if verified or fixed
        else (
            ", but the device still did not reach the cloud" if verified is False else " (not checked since)"
        )
    )
    said = {
        "done": "Carried out in this session" + after + ".",
        "manual-confirmed": "Done by hand in this session" + after + ".",
        "failed": "Tried in this session: it could not run to its end"
        + (f" ({clipped(why, 300)})." if why else "."),
        "skipped": "Not run in this session (refused or skipped).",
        "manual-unconfirmed": "Shown in this session, to be done by hand; nobody said it was done.",
        "planned": "Planned in a dry run in this session; nothing was changed.",
    }
    return said.get(result, f"In this session: {result}.") + " Below, the reasoning from before it ran."
