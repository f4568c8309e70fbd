"""Observations as plain data: what was seen, how sure, and where it came from (provenance)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

#: An observation's value: an enum value name, a bool, a number, a version string, or a tuple of fix ids.
ObsValue = str | bool | int | float | tuple[str, ...]


class Source(str, Enum):
    """Where an observation came from: a fixed choice, whose value is the string the JSON has always carried."""

    PERSON = "person"  # an answer at a prompt
    CLI = "cli"  # --answer / --answers
    CASE = "case"  # a case file
    SCENARIO = "scenario"  # the demo scenario's owner (a simulated answer)
    INTERVIEW = "interview"  # the yes/no answers about fixes tried, folded into one list
    EXECUTOR = "executor"  # the fixes photon-doctor itself carried out
    WHAT_IF = "what-if"  # a supposed answer, to rank the questions
    PROBE_SERIAL = "probe:serial"
    PROBE_SOFTAP = "probe:softap"
    PROBE_CLOUD = "probe:cloud"
    PROBE_HOST = "probe:host"
    PROBE_USB = "probe:usb"

    def __str__(self) -> str:
        return self.value

    @property
    def is_probe(self) -> bool:
        """Whether a probe (not a person, a file or the program) saw it."""
        return self.value.startswith("probe:")

    @classmethod
    def parse(cls, text: str) -> Source | None:
        """The source a JSON string names, or None for a string that is not one."""
        try:
            return cls(text)
        except ValueError:
            return None


@dataclass(frozen=True)
class Provenance:
    """Where an observation came from.

    ``source`` is a :class:`Source` (``person``, ``cli``, ``case``, ``probe:serial``, ...); its value is the JSON
    string. ``detail`` is the raw evidence in one line, e.g. ``sent 'c', device said 'Device claimed: no'``.
    It must never contain a secret.
    """

    source: Source = Source.PERSON
    detail: str = ""

    def __post_init__(self) -> None:
        # A source given as its JSON string becomes the Enum member; a string that names none is a ValueError.
        if not isinstance(self.source, Source):
            object.__setattr__(self, "source", Source(self.source))


@dataclass(frozen=True)
class Observation:
    """One observed fact, in the contract's vocabulary."""

    id: str
    value: ObsValue
    confidence: float = 1.0
    provenance: Provenance = field(default_factory=Provenance)


@dataclass(frozen=True)
class Unavailable:
    """An observation (or a whole probe) that could not be made, and why, in one line."""

    probe: str
    reason: str
    id: str | None = None


def observation_json(o: Observation) -> dict[str, Any]:
    """An observation in its one JSON shape (docs/json-output.md): ``id``, ``value`` (a tuple as a list),
    ``confidence`` and ``provenance`` ``{source, detail}``."""
    return {
        "id": o.id,
        "value": list(o.value) if isinstance(o.value, tuple) else o.value,
        "confidence": o.confidence,
        "provenance": {"source": o.provenance.source.value, "detail": o.provenance.detail},
    }


def one_shape(item: Mapping[str, Any]) -> dict[str, Any]:
    """An observation's JSON in the one shape, from either shape: the nested ``provenance`` or the flat
    ``source``/``detail`` that ``why --json`` printed before JSON schema 2. Other keys are kept as they are."""
    result = {k: v for k, v in item.items() if k not in ("source", "detail", "provenance")}
    nested = item.get("provenance")
    prov = dict(nested) if isinstance(nested, Mapping) else {}
    for key in ("source", "detail"):
        if key not in prov and key in item:
            prov[key] = item[key]
    result["provenance"] = {"source": prov.get("source", "person"), "detail": prov.get("detail", "")}
    return result
