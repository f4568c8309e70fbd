"""Turning text answers (command line, prompts, case files, JSON) into typed observations, with clear errors."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from photon_doctor import tried_words
from photon_doctor.foundation.errors import UsageError
from photon_doctor.foundation.evidence import Observation, ObsValue, Provenance, Source
from photon_doctor.foundation.jsonfile import read_json
from photon_doctor.foundation.numbers import ascii_int, finite_number
from photon_doctor.knowledge.model import Kind, KnowledgeBase, ObservationDef, version_key

_TRUE = {"yes", "y", "true", "t", "1", "on", "yeah", "yep", "yup", "sure"}
_FALSE = {"no", "n", "false", "f", "0", "off", "nope", "nah"}
#: Answers at a prompt that mean "I don't know": the observation stays absent.
DONT_KNOW = {
    "?", "dk", "don't know", "dont know", "i don't know", "i dont know", "unknown", "skip", "idk", "not sure",
    "no idea", "dunno",
}  # fmt: skip
#: A list that holds nothing, as people say it.
_NOTHING = {
    "", "none", "nothing", "no", "nope", "nah", "not yet", "nothing yet", "none yet", "nothing so far", "none so far",
}  # fmt: skip
#: A list typed at a prompt: "1,4", "1, 4", "1 4", "1 and 4".
_LIST_SEPARATORS = re.compile(r"[,;\s]+")


def typed(raw: str) -> str:
    """What a person typed, without the end of a sentence: "Yes." and "Blinking green!" are "Yes" and "Blinking
    green" (a full stop or an exclamation mark is never part of an answer; "?" alone means "don't know")."""
    text = raw.strip()
    return text.rstrip(".!").rstrip() or text


def choice_in_words(odef: ObservationDef, text: str) -> str | None:
    """The choice whose name, as shown (its words before the colon, not the explanation after it), ``text``
    says: all of it ("green blinking", "WPA2 personal"), or two words or more of it found in that choice's name
    alone ("pulsing white", which the slow white fade is also called). None when no choice, or more than one, fits."""
    said = _plain_words(text)
    names = {c: _plain_words(meaning.split(":")[0]) for c, meaning in odef.choices.items()}
    whole = [c for c, name in names.items() if name == said]
    if said and len(whole) == 1:
        return whole[0]
    found = [c for c, name in names.items() if f" {said} " in f" {name} "] if len(said.split()) >= 2 else []
    return found[0] if len(found) == 1 else None


def choices_fitting(odef: ObservationDef, text: str) -> list[int]:
    """The numbers (from 1) of the choices whose shown name holds every word of ``text`` ("WPA2" is in five of the
    security choices), so that an answer that fits several can be told which; empty when it fits none."""
    said = _plain_words(text).split()
    if not said:
        return []
    names = [_plain_words(meaning.split(":")[0]).split() for meaning in odef.choices.values()]
    return [n for n, name in enumerate(names, 1) if all(w in name for w in said)]


def _plain_words(text: str) -> str:
    return " ".join(re.findall(r"[\w.]+", text.lower()))


#: Words that say yes or no in a sentence: "Yes, it does.", "no it doesn't".
_SPOKEN = {"yes", "yeah", "yep", "yup", "no", "nope", "nah"}


#: A short answer that starts with one of these verbs (after "I", "it", "we"...) says yes: "I did", "already
#: did", "tried it", "done that", "it does", "I have"; the same verb negated says no: "I haven't", "not yet".
_VERBS = {
    "did", "do", "does", "have", "has", "had", "is", "was", "are", "were", "can", "could", "will", "would",
    "tried", "done", "already",
}  # fmt: skip
_SUBJECTS = {"i", "it", "we", "they", "he", "she", "that", "this", "yes", "yeah", "yep"}
#: Words that make a short answer unsure ("I don't know", "I think so"): neither yes nor no.
_UNSURE = {
    "know",
    "sure",
    "idea",
    "remember",
    "recall",
    "think",
    "maybe",
    "perhaps",
    "probably",
    "guess",
    "unsure",
}
#: Words whose negation tells of an outcome rather than answers ("didn't help": tried, or not?).
_OUTCOMES = {"help", "helped", "work", "worked", "fix", "fixed", "change", "changed"}


def yes_or_no(raw: str) -> bool | None:
    """True for a typed yes ("y", "Yes.", "yep", "Yes, it does.", "I did", "already did", "tried it"), False for
    a no ("nope", "No, it doesn't", "I haven't", "not yet", "never"), None for anything else (and for a sentence
    that says both, or hedges: "I don't know", "didn't help")."""
    word = typed(raw).lower().replace("\u2019", "'")
    if word in _TRUE | _FALSE:
        return word in _TRUE
    words = re.findall(r"[a-z']+", word)
    if words and words[0] in _SPOKEN and not _SPOKEN.intersection(words[1:]):
        return words[0] in _TRUE
    return None if word.endswith("?") else _said_with_a_verb(words)


def _said_with_a_verb(words: list[str]) -> bool | None:
    """A short answer in a verb ("I did", "I have not", "not yet"): True, False, or None when it is no such answer."""
    if not words or len(words) > 8 or _UNSURE.intersection(words) or _SPOKEN.intersection(words):
        return None
    rest = words[1:] if words[0] in _SUBJECTS and len(words) > 1 else words
    first, second = rest[0], rest[1] if len(rest) > 1 else ""
    negated = first in {"not", "never"} or (first.endswith("n't") and first != "n't")
    if first in _VERBS and second in {"not", "never", "nothing"}:
        negated = True  # "I have not", "did not", "have never", "does nothing"
    elif first in _VERBS:
        return True  # "I did", "tried it, didn't help"
    if negated:
        return (
            None if _OUTCOMES.intersection(words) else False
        )  # "not yet", "haven't"; "didn't help" is neither
    return None


class AnswerError(ValueError):
    """Raised when a value does not fit an observation; the message lists what would."""


def lookup(kb: KnowledgeBase, obs_id: str) -> ObservationDef:
    """The observation definition, or UsageError naming close matches."""
    odef = kb.observations.get(obs_id)
    if odef is None:
        close = difflib.get_close_matches(obs_id, list(kb.observations), n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise UsageError(
            f"unknown observation '{json_text(obs_id)}'.{hint} Valid ids: {', '.join(sorted(kb.observations))}"
        )
    return odef


def valid_values(kb: KnowledgeBase, odef: ObservationDef) -> str:
    """The valid answers for ``odef`` in words."""
    if odef.kind is Kind.ENUM:
        return ", ".join(odef.choices)
    if odef.kind is Kind.BOOL:
        return "yes, no"
    if odef.kind is Kind.NUMBER:
        unit = f" {odef.unit}" if odef.unit else ""
        if odef.minimum is not None and odef.maximum is not None:
            return f"a number from {odef.minimum:g} to {odef.maximum:g}{unit}"
        if odef.minimum is not None:
            return f"a number of {odef.minimum:g}{unit} or more"
        if odef.maximum is not None:
            return f"a number of {odef.maximum:g}{unit} or less"
        return f"a number{' in ' + odef.unit if odef.unit else ''}"
    if odef.kind is Kind.VERSION:
        return "a version such as 1.5.2"
    if odef.choices:  # a checklist: tick all that apply
        return "item numbers or ids separated by commas, or 'none': " + ", ".join(odef.choices)
    return "fix numbers or ids separated by commas, or 'none': " + ", ".join(kb.fixes)


_VERSION_IN_TEXT = re.compile(
    r"(?<![\w.])[vV]?(\d{1,4})\.(\d{1,4}|[xX*])(?:\.(\d{1,4}|[xX*]))?(-[0-9A-Za-z.]+)?(?![\w.])"
)


def salvage_version(text: str) -> str | None:
    """A Device OS version from what a person or a case file wrote: "1.5.2", "v0.6.0-rc.1", and also "0.7.x" or
    "Device OS 0.4.9" (a wildcard counts as 0, the release's first). None when there is no version in it."""
    text = text.strip()
    try:
        version_key(text)
        return text.lstrip("vV")
    except ValueError:
        pass
    found = _VERSION_IN_TEXT.search(text)
    if found is None or not text.isascii():
        return None
    parts = [p if p and p.isdigit() else "0" for p in (found.group(1), found.group(2), found.group(3))]
    version = ".".join(parts) + (found.group(4) or "")
    try:
        version_key(version)
    except ValueError:
        return None
    return version


def parse_value(kb: KnowledgeBase, odef: ObservationDef, raw: Any, *, bounded: bool = True) -> ObsValue:
    """Convert ``raw`` (text, or a JSON value) to the observation's kind. Raises AnswerError.

    ``bounded``: a number must also lie in the observation's ``min``..``max`` (what a person types or a file of
    answers gives). Case files for ``evaluate`` pass False: the contract only asks for a number, and a case quoting
    an odd reading must not lose the whole file."""
    kind = odef.kind
    text = typed(raw) if isinstance(raw, str) else raw
    if kind is Kind.ENUM:
        if isinstance(text, str) and text in odef.choices:
            return text
        if isinstance(text, str):
            # as a person types it: "Blinking green", "blinking-green"
            spelled = "_".join(text.lower().replace("-", " ").split())
            if spelled in odef.choices:
                return spelled
        number = ascii_int(text) if isinstance(text, str) else None
        if number is not None and 1 <= number <= len(odef.choices):
            return list(odef.choices)[number - 1]
        shown = choice_in_words(odef, text) if isinstance(text, str) else None
        if shown is not None:
            return shown
    elif kind is Kind.BOOL:
        if isinstance(text, bool):
            return text
        said = yes_or_no(text) if isinstance(text, str) else None
        if said is not None:
            return said
    elif kind is Kind.NUMBER:
        # Finite only: NaN and infinities are not answers, and a bare NaN is not JSON (the session). The
        # observation's own unit may follow the number, as a person reads it off a screen ("-70 dBm").
        if isinstance(text, str) and odef.unit and text.lower().endswith(odef.unit.lower()):
            text = text[: -len(odef.unit)].strip()
        reading = finite_number(text)
        if reading is not None and (
            not bounded
            or (
                (odef.minimum is None or reading >= odef.minimum)
                and (odef.maximum is None or reading <= odef.maximum)
            )
        ):
            return reading
    elif kind is Kind.VERSION:
        if isinstance(text, str):
            found = salvage_version(text)
            if found is not None:
                return found
    else:
        items: list[Any] | None = None
        if isinstance(text, list):
            items = text
        elif isinstance(text, str):
            items = (
                []
                if typed(text).lower() in _NOTHING
                else [t for t in _LIST_SEPARATORS.split(text) if t and t.lower() != "and"]
            )
        if items is not None:
            # A list with its own choices (a checklist) picks among them; otherwise among the fixes.
            ids = list(odef.choices or kb.fixes)
            # At the prompt the items are numbered: accept "3, 5" as well as ids.
            items = [
                ids[n - 1] if isinstance(i, str) and (n := ascii_int(i) or 0) and n <= len(ids) else i
                for i in items
            ]
            # Ids only: a list or an object in a file is not hashable and is not an id.
            unknown = [i for i in items if not isinstance(i, str) or i not in ids]
            if not unknown:
                return tuple(dict.fromkeys(items))
            if isinstance(text, str) and not odef.choices:
                return _fixes_in_words(kb, odef, text)  # "flashed Tinker, re-entered the Wi-Fi"
            what = "item" if odef.choices else "fix"
            raise AnswerError(
                f"unknown {what} id(s) {', '.join(map(json_text, unknown))} for {odef.id}; valid: "
                + ", ".join(ids)
            )
    raise AnswerError(
        f"'{json_text(raw.strip() if isinstance(raw, str) else raw)}' is not a valid answer for {odef.id}; valid: {valid_values(kb, odef)}"
    )


def _fixes_in_words(kb: KnowledgeBase, odef: ObservationDef, text: str) -> tuple[str, ...]:
    """A list of fixes tried, typed as a person says it: each part a number, an id or words ("tinker", "re-entered
    the Wi-Fi", "updated Device OS"). Raises AnswerError naming the part that names no fix, or several."""
    ids = list(kb.fixes)
    chosen = []
    for part in tried_words.parts(typed(text)):
        number = ascii_int(part.strip())
        if number is not None and 1 <= number <= len(ids):
            chosen.append(ids[number - 1])
        elif part.strip() in kb.fixes:
            chosen.append(part.strip())
        else:
            try:
                chosen.append(tried_words.fix_in_words(part, kb.fixes))
            except tried_words.NotAFix as exc:
                raise AnswerError(
                    f"{exc} ({odef.id}: fix ids, numbers, or words such as tinker, wifi, "
                    f"device os, keys, safe mode, power cycle; valid ids: {', '.join(ids)})"
                ) from None
    return tuple(dict.fromkeys(chosen))


def parse_assignment(kb: KnowledgeBase, text: str, source: Source = Source.CLI) -> Observation:
    """Parse ``id=value`` from ``--answer``. Raises UsageError."""
    if "=" not in text:
        raise UsageError(f"--answer expects id=value, got '{json_text(text)}'")
    obs_id, _, raw = text.partition("=")
    odef = lookup(kb, obs_id.strip())
    try:
        value = parse_value(kb, odef, raw)
    except AnswerError as exc:
        raise UsageError(str(exc)) from None
    return Observation(odef.id, value, 1.0, Provenance(source, f"--answer {odef.id}={raw.strip()}"))


def load_answers_file(kb: KnowledgeBase, path: Path) -> dict[str, Observation]:
    """Read ``--answers FILE.json``: an object of id -> value (the case-file ``observations`` shape)."""
    data = read_json(path, UsageError)
    if isinstance(data, dict) and isinstance(data.get("observations"), dict):
        data = data["observations"]
    if not isinstance(data, dict):
        raise UsageError(f"{path}: expected a JSON object of observation id -> value")
    return observations_from_mapping(kb, data, Provenance(Source.CLI, f"--answers {path.name}"), str(path))


def observations_from_mapping(
    kb: KnowledgeBase, data: Mapping[str, Any], provenance: Provenance, where: str
) -> dict[str, Observation]:
    """Typed observations from a JSON-like mapping. Raises UsageError naming ``where`` and the id."""
    result = {}
    for obs_id, raw in data.items():
        odef = lookup(kb, obs_id)
        try:
            value = parse_value(kb, odef, raw)
        except AnswerError as exc:
            raise UsageError(f"{where}: {exc}") from None
        result[obs_id] = Observation(obs_id, value, 1.0, provenance)
    return result


def value_to_json(value: ObsValue) -> Any:
    return list(value) if isinstance(value, tuple) else value


def json_text(value: Any, limit: int = 40) -> str:
    """A short, one-line rendering of a value from a person or a file, for an error message: printable text as
    it is, anything else as JSON (newlines escaped; never a 5,000-digit number in full)."""
    if isinstance(value, str) and value.isprintable():
        text = value
    else:
        try:
            text = json.dumps(value)
        except (TypeError, ValueError):
            text = type(value).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"
