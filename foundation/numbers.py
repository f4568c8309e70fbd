"""Reading numbers a person or a file gave us, without the traps of ``str.isdigit`` and ``float``.

``"³".isdigit()`` is True but ``int("³")`` raises; ``float("nan")`` and ``float(10**400)`` are not numbers an
answer can hold (the first is not JSON, the second overflows). Every place that turns text into a number calls
these helpers, which return None for anything that is not a plain, finite, reasonably sized number.
"""

from __future__ import annotations

import math
import re

#: More digits than any count, port, channel or frequency we read: longer strings are not numbers to us.
MAX_DIGITS = 18
_ASCII_INT = re.compile(r"[0-9]+")
_ASCII_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def ascii_int(text: str, max_digits: int = MAX_DIGITS) -> int | None:
    """``text`` (surrounding blanks allowed) as a non-negative int if it is 1 to ``max_digits`` ASCII digits."""
    text = text.strip()
    if len(text) > max_digits or not _ASCII_INT.fullmatch(text):
        return None
    return int(text)


def finite_number(raw: object) -> float | None:
    """A JSON number or a text number (ASCII, optional sign, decimals, exponent) as a finite float; else None.

    Rejects booleans, NaN, infinities, and values too large for a float.
    """
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str):
        text = raw.strip()
        if len(text) > 64 or not _ASCII_NUMBER.fullmatch(text):
            return None
        raw = text
    elif not isinstance(raw, (int, float)):
        return None
    try:
        value = float(raw)
    except (OverflowError, ValueError):
        return None
    return value if math.isfinite(value) else None
