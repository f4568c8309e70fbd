"""How the rule graph looks, shared by every renderer: the layer and colours of each kind of node and edge."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Node kinds, left to right: the order of the layers in every drawing.
KINDS: tuple[str, ...] = ("observation", "value", "rule", "cause", "fix")
LAYER: dict[str, int] = {kind: i for i, kind in enumerate(KINDS)}

#: Plural titles for legends and Mermaid subgraphs.
TITLES: dict[str, str] = {
    "observation": "Observations",
    "value": "Values tested",
    "rule": "Rules",
    "cause": "Causes",
    "fix": "Fixes",
}

#: One of each kind, for counts ("1 cause").
SINGULAR: dict[str, str] = {
    "observation": "observation",
    "value": "value tested",
    "rule": "rule",
    "cause": "cause",
    "fix": "fix",
}


def count_text(kind: str, n: int) -> str:
    """``n`` nodes of ``kind`` in words: "1 cause", "3 values tested"."""
    return f"{n} {SINGULAR[kind] if n == 1 else TITLES[kind].lower()}"


#: (fill, border) colour of each kind of node.
NODE_COLOURS: dict[str, tuple[str, str]] = {
    "observation": ("#d0e2ff", "#3b6fb6"),
    "value": ("#eef4fc", "#7f9cc4"),
    "rule": ("#fff3bf", "#b08900"),
    "cause": ("#ffd8cc", "#c0502b"),
    "fix": ("#d3f9d8", "#2b8a3e"),
}

POSITIVE = "#2b8a3e"  # evidence for a cause
NEGATIVE = "#c92a2a"  # evidence against a cause
NEUTRAL = "#868e96"  # structure: observation -> value, value -> rule
FIXES = "#1c7ed6"  # cause -> fix
HIGHLIGHT = "#7048e8"  # border of a node a session highlights


def edge_colour(attrs: Mapping[str, Any]) -> str:
    """An edge's colour: green for evidence for a cause, red against it, blue to a fix, else grey."""
    kind = attrs.get("kind")
    if kind == "concludes":
        return POSITIVE if attrs.get("sign") == "+" else NEGATIVE
    if kind == "fixed_by":
        return FIXES
    return NEUTRAL  # a negated test is drawn dashed, not red: red is reserved for evidence against


def edge_label(attrs: Mapping[str, Any]) -> str:
    """A short edge label: the signed CF of a rule, the probability of a fix, 'not' for a negated test."""
    kind = attrs.get("kind")
    if kind == "concludes":
        return f"{float(attrs['cf']):+.2f}"
    if kind == "fixed_by":
        return f"p={float(attrs['p']):.2f}"
    if kind == "condition" and attrs.get("negate"):
        return "not"
    return ""
