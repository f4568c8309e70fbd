"""Observations as plain data: what was seen, how sure, and where it came from (provenance)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: An observation's value: an enum value name, a bool, a number, a version string, or a tuple of fix ids.
ObsValue = str | bool | int | float | tuple[str, ...]


@dataclass(frozen=True)
class Provenance:
    """Where an observation came from.

    ``source`` is ``person`` (an answer at a prompt), ``cli`` (``--answer``/``--answers``), ``case`` (a case file)
    or ``probe:<name>`` (``probe:serial``, ``probe:softap``, ``probe:cloud``, ``probe:host``, ``probe:usb``).
    ``detail`` is the raw evidence in one line, e.g. ``sent 'c', device said 'Device claimed: no'``.
    It must never contain a secret.
    """

    source: str = "person"
    detail: str = ""


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
        "provenance": {"source": o.provenance.source, "detail": o.provenance.detail},
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
