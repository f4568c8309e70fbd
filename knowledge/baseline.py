"""Particle's old Device Doctor as data: the fixed script `photon-doctor evaluate` compares the fix plan with.

The steps live in ``knowledge/data/device-doctor.toml`` (source: particle-protocols.md §5, particle-cli
``src/cmd/doctor.js``); each lists the fix ids it performs and its cost in minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from photon_doctor.foundation.errors import KnowledgeError
from photon_doctor.knowledge.loader import DATA_DIR, _Item, _read, _tables
from photon_doctor.knowledge.model import KnowledgeBase


@dataclass(frozen=True)
class ScriptStep:
    """One step of a fixed repair script: the fixes it performs (none: it repairs nothing alone) and its cost."""

    id: str
    fixes: tuple[str, ...]
    cost: float


def load_device_doctor(kb: KnowledgeBase, path: Path | None = None) -> tuple[ScriptStep, ...]:
    """The Device Doctor's steps, in order. Raises KnowledgeError naming the file, step and field."""
    path = path or DATA_DIR / "device-doctor.toml"
    doc = _read(path)
    steps = []
    for i, table in enumerate(_tables(path, doc, "step")):
        item = _Item(path, table, i, "step")
        fixes = item.texts("fixes", required=False)
        for f in fixes:
            if f not in kb.fixes:
                raise KnowledgeError(str(path), item.id, "fixes", f"unknown fix {f!r}")
        steps.append(ScriptStep(item.id, fixes, item.num("cost", 0.0, 1440.0)))
    return tuple(steps)
