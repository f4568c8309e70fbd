"""Certainty-factor arithmetic (EMYCIN, as in PAIP ch. 16 and Novak's notes).

Pure functions; no state. See docs/knowledge-format.md for how the engine uses them.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import reduce

#: A premise counts as true only when its strength is above this (EMYCIN's 0.2 cut-off).
THRESHOLD = 0.2
#: Combining +1 with -1 is undefined (the mixed formula divides by zero); values are kept inside this bound.
_LIMIT = 0.999999


def combine(a: float, b: float) -> float:
    """MYCIN's parallel combination of two certainty factors for the same conclusion.

    ``a + b - ab`` when both are positive, ``a + b + ab`` when both are negative,
    ``(a + b) / (1 - min(|a|, |b|))`` otherwise. The result stays in [-1, 1].
    """
    if a >= 0 and b >= 0:
        return a + b - a * b
    if a < 0 and b < 0:
        return a + b + a * b
    # Only the mixed formula can divide by zero (true combined with false): keep both inside the bound there.
    a = max(-_LIMIT, min(_LIMIT, a))
    b = max(-_LIMIT, min(_LIMIT, b))
    return (a + b) / (1 - min(abs(a), abs(b)))


def combine_all(values: Iterable[float], start: float = 0.0) -> float:
    """Fold :func:`combine` over ``values``, starting from ``start`` (0 leaves the first value unchanged)."""
    return reduce(combine, values, start)


def conclusion(rule_cf: float, premise_strengths: Iterable[float]) -> float:
    """A rule's contribution: its CF times the weakest premise (EMYCIN's $AND is the minimum); 0 below the
    threshold, because a premise that weak counts as false."""
    strength = min(premise_strengths, default=1.0)
    if strength <= THRESHOLD:
        return 0.0
    return rule_cf * strength


def in_words(cf: float) -> str:
    """PAIP's cf->english: how strongly a certainty suggests its conclusion."""
    if cf > 0.8:
        return "strongly suggestive"
    if cf > 0.5:
        return "suggestive"
    if cf > 0:
        return "weakly suggestive"
    if cf < -0.8:
        return "strong evidence against"
    if cf < -0.5:
        return "evidence against"
    if cf < 0:
        return "weak evidence against"
    return "no evidence"
