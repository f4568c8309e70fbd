"""Observations as plain data: what was seen, how sure, and where it came from (provenance)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

#: An observation's value: an enum value name, a bool, a number, a version string, or a tuple of fix ids.
ObsValue = Union[str, bool, int, float, tuple[str, ...]]


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
